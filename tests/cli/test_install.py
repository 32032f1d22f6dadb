"""The installed `pfk` as a user runs it, and the help every command must have."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.main import get_command

from pfkcli.cli import app
from pfkcli.outputs import RESULT_SHEET

from ..conftest import SAMPLES, read_sheet

pytestmark = pytest.mark.slow


def installed_pfk() -> str:
    beside = Path(sys.executable).parent / "pfk"
    return str(beside) if beside.exists() else shutil.which("pfk")


def test_installed_pfk_checks_the_samples():
    result = subprocess.run([installed_pfk(), "check", str(SAMPLES / "roster.xlsx")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "✓ roster.xlsx › 学员名单：48 名学员" in result.stdout
    assert "第52行: 「合计」行是合计行，已跳过" in result.stderr


def test_installed_pfk_reports_a_missing_file_in_one_line(tmp_path):
    result = subprocess.run([installed_pfk(), "classify", str(tmp_path / "nope.xlsx")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip() == f"错误：{tmp_path / 'nope.xlsx'}: 文件不存在"
    assert "Traceback" not in result.stderr


def test_installed_pfk_leaves_with_every_line_and_file_in_place(tmp_path):
    """pfk's exit skips the interpreter's search for reference cycles (gc.freeze), nothing else: the
    output through a pipe is whole and the workbook complete."""
    roster = shutil.copy(SAMPLES / "roster.xlsx", tmp_path / "roster.xlsx")
    result = subprocess.run([installed_pfk(), "classify", str(roster), "--as-of", "2026-11-23"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip().splitlines()[-1] == f"✓ 已写出 {tmp_path / 'roster.pfk.xlsx'}"
    assert "第52行: 「合计」行是合计行，已跳过" in result.stderr
    rows = read_sheet(tmp_path / "roster.pfk.xlsx", RESULT_SHEET)
    assert len(rows) == 1 + 48 and rows[1][0] == "DS2026001"


def test_the_wheel_ships_the_playbooks_of_the_top_level_folder_and_no_other_copy(tmp_path):
    """The defaults a team edits in git live in `playbooks/` at the top of the repository, once; the
    package built from the repository carries those very files, which `pfk init` copies."""
    import zipfile

    root = Path(__file__).resolve().parents[2]
    source = tmp_path / "source"  # the files a build reads, so that the build leaves nothing in the repository
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(root / name, source / name)
    for folder in ("src", "playbooks"):
        shutil.copytree(root / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(source)],
        capture_output=True, text=True, timeout=300,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "dist").glob("pfk-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        shipped = {Path(name).name: archive.read(name) for name in archive.namelist() if name.startswith("pfkcli/default_playbooks/") and name.endswith(".yaml")}
    defaults = {path.name: path.read_bytes() for path in (root / "playbooks").glob("*.yaml")}
    assert len(defaults) == 9 and shipped == defaults
    assert not (root / "src" / "pfkcli" / "default_playbooks").exists()  # one copy in git


def test_help_does_not_import_pandas():
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "pfkcli", "--help"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    modules = {line.split("|")[-1].strip().split(".")[0] for line in result.stderr.splitlines() if "|" in line}
    assert "pandas" not in modules and "numpy" not in modules and "openpyxl" not in modules
    assert "classify" in result.stdout


def test_version():
    from typer.testing import CliRunner

    assert CliRunner().invoke(app, ["--version"]).output.strip() == "pfk 0.1.0"


def _commands(group, prefix=()):
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _commands(command, (*prefix, name))
        else:
            yield (*prefix, name), command


@pytest.mark.parametrize(("path", "command"), list(_commands(get_command(app))), ids=lambda v: " ".join(v) if isinstance(v, tuple) else "")
def test_every_command_has_help(path, command):
    assert command.help and "尚未实现" not in command.help, f"pfk {' '.join(path)} has no help"
