"""A roster larger than the memory pfk may use is refused before any work, in one Chinese line: run
through the real command line in a child process whose address space is bounded (`ulimit -v`)."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from .conftest import SAMPLES

pytestmark = pytest.mark.skipif(not Path("/proc/meminfo").exists(), reason="Linux: /proc and RLIMIT_AS")


def pfk_bounded(folder: Path, limit: int, *args: str) -> subprocess.CompletedProcess:
    def bound() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return subprocess.run([sys.executable, "-m", "pfkcli", *args], cwd=folder, capture_output=True, text=True, preexec_fn=bound, timeout=120)


def test_a_csv_beyond_the_address_space_limit_is_refused_before_reading(tmp_path):
    result = pfk_bounded(tmp_path, 900 * 1024**2, "classify", str(SAMPLES / "roster_gbk.csv"), "-o", str(tmp_path / "out.xlsx"))
    assert result.returncode == 2, result.stderr
    assert "roster_gbk.csv: 处理这份名单约需" in result.stderr and "超过本进程的内存上限" in result.stderr and "ulimit -v" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out.xlsx").exists()


def test_a_sheet_whose_used_range_is_too_large_is_refused_before_calamine_lays_it_out(tmp_path):
    """A value in T1048576: the used range is 1,048,576 × 20 cells, which calamine would hold whole."""
    path = tmp_path / "far.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["学号", "姓名", "运营老师", "P", "K"])
    sheet.append(["S001", "张伟", "张老师", 3, 4])
    sheet.cell(row=1_048_576, column=20, value="x")
    book.save(path)
    result = pfk_bounded(tmp_path, 2 * 1024**3, "classify", str(path), "-o", str(tmp_path / "out.xlsx"))
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("错误：far.xlsx: 处理这份名单约需 2.6 GB 地址空间，超过本进程的内存上限 2.0 GB（ulimit -v）")
    assert "Traceback" not in result.stderr


def test_a_roster_within_the_limit_is_classified(tmp_path):
    result = pfk_bounded(tmp_path, 1536 * 1024**2, "classify", str(SAMPLES / "roster.xlsx"), "-o", str(tmp_path / "out.xlsx"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out.xlsx").exists()
