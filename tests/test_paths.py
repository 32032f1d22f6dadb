"""Where outputs may land: `check_output` refuses the workspace's own files, inputs and wrong names."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pfkcli.errors import OutputError
from pfkcli.paths import BACKUP, check_output, check_output_folder, check_outputs
from pfkcli.workspace import init_workspace


@pytest.fixture
def workspace(tmp_path) -> Path:
    root = tmp_path / "ws"
    init_workspace(root)
    (root / ".pfk").mkdir()
    (root / ".pfk" / "history.sqlite").write_bytes(b"SQLite format 3\x00")
    return root


def refusal(path: Path, **rules) -> str:
    with pytest.raises(OutputError) as caught:
        check_output(path, **rules)
    return caught.value.message


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        (".pfk/history.sqlite", "工作区的 .pfk/ 文件夹"),
        (".pfk/result.xlsx", "工作区的 .pfk/ 文件夹"),
        ("pfk.toml", "配置文件 pfk.toml"),
        (".gitignore", "工作区的 .gitignore"),
        ("playbooks/P_S-F_S-K_L.yaml", "playbooks/ 文件夹"),
        ("playbooks/result.xlsx", "playbooks/ 文件夹"),
        (".PFK/result.xlsx", "工作区的 .pfk/ 文件夹"),  # as a case-insensitive disk sees it
        ("PLAYBOOKS/result.xlsx", "playbooks/ 文件夹"),
        ("callsheets/../.pfk/result.xlsx", "工作区的 .pfk/ 文件夹"),
    ],
)
def test_the_workspace_own_files_are_refused(workspace, name, reason):
    message = refusal(workspace / name, workspace_root=workspace)
    assert message.startswith(f"{workspace / name}: ") and reason in message
    # Found from the output's own folders as well, when the command runs outside the workspace.
    assert reason in refusal(workspace / name)


def test_a_link_into_the_state_folder_is_refused(workspace, tmp_path):
    link = tmp_path / "elsewhere"
    link.symlink_to(workspace / ".pfk", target_is_directory=True)
    assert "工作区的 .pfk/ 文件夹" in refusal(link / "result.xlsx")
    file_link = tmp_path / "result.xlsx"
    file_link.symlink_to(workspace / "pfk.toml")
    assert "配置文件 pfk.toml" in refusal(file_link)


def test_an_input_is_refused_by_any_path_to_it(tmp_path):
    roster = tmp_path / "roster.xlsx"
    roster.write_bytes(b"roster")
    (tmp_path / "sub").mkdir()
    twin = tmp_path / "twin.xlsx"
    os.link(roster, twin)
    for path in (roster, tmp_path / "sub" / ".." / "roster.xlsx", twin):
        assert "这是输入文件" in refusal(path, inputs=[None, roster])


def test_the_name_must_say_what_is_written(tmp_path):
    assert refusal(tmp_path / "result.csv") == f"{tmp_path / 'result.csv'}: 输出是 Excel 工作簿，文件名要以 .xlsx 结尾"
    assert "以 .xlsx 结尾" in refusal(tmp_path / "pfk.toml")  # with no workspace, the name rule still holds
    assert "以 .sqlite 结尾" in refusal(tmp_path / "backup.xlsx", suffix=BACKUP)
    assert check_output(tmp_path / "RESULT.XLSX") == tmp_path / "RESULT.XLSX"


def test_ordinary_outputs_pass(workspace):
    assert check_output(workspace / "roster.pfk.xlsx", workspace_root=workspace) == workspace / "roster.pfk.xlsx"
    assert check_output(workspace / "backups" / "h.sqlite", suffix=BACKUP, workspace_root=workspace, folder_made_later=True)
    paths = [workspace / "callsheets" / "张老师-2026-11-23.xlsx", workspace / "callsheets" / "李老师-2026-11-23.xlsx"]
    assert check_outputs(paths, workspace_root=workspace) == paths
    assert check_output_folder(workspace / "callsheets", workspace) == workspace / "callsheets"


def test_a_missing_folder_is_refused_unless_the_command_makes_it(workspace):
    target = workspace / "reports" / "report-2026-11-23.xlsx"
    assert refusal(target) == f"{target}: 文件夹 {workspace / 'reports'} 不存在"
    assert check_output(target, folder_made_later=True) == target


def test_a_workbook_open_in_excel_is_refused(tmp_path):
    (tmp_path / "~$result.xlsx").write_bytes(b"lock")
    assert refusal(tmp_path / "result.xlsx").endswith("请先在 Excel/WPS 里关闭 result.xlsx 再运行")


@pytest.mark.parametrize("folder", [".pfk", "playbooks", "playbooks/extra"])
def test_derived_outputs_never_go_into_the_workspace_own_folders(workspace, folder):
    with pytest.raises(OutputError) as caught:
        check_output_folder(workspace / folder, workspace)
    assert caught.value.message.startswith(f"{workspace / folder}: 这里是工作区的")
