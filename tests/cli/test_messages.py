"""pfk messages through the CLI: the workbooks it writes (read back with openpyxl), what it says,
and the marked sheet coming back through pfk record and pfk history."""

from __future__ import annotations

import re

import openpyxl
import pytest

from pfkcli.outputs import MESSAGE_COLUMNS, MESSAGES_INFO_SHEET, MESSAGES_SHEET

from ..test_messages import AS_OF, mark_sent, write_cohort

DAY = AS_OF.isoformat()


@pytest.fixture
def workspace(invoke, tmp_path):
    assert invoke("init", ".").exit_code == 0
    assert invoke("classify", write_cohort(tmp_path), "--as-of", DAY).exit_code == 0
    return tmp_path


def rows_of(path) -> list[dict]:
    sheet = openpyxl.load_workbook(path)[MESSAGES_SHEET]
    header = [cell.value for cell in sheet[1]]
    return [dict(zip(header, row)) for row in sheet.iter_rows(min_row=2, values_only=True)]


def test_all_writes_one_sheet_per_teacher_and_says_what_is_in_it(invoke, workspace):
    result = invoke("messages", "--all", "--as-of", DAY)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"微信消息草稿（{DAY}，来源：{DAY} 的分层快照）"
    assert re.search(r"│ 张老师\s+│\s+4 │ 续费3天 1、续费7天 1、续费30天 1、连续未学习关怀 1\s+│ 张老师-2026-11-23.xlsx │", result.stdout)
    assert re.search(r"│ 李老师\s+│\s+6 │ 首次联系 1、满意度低 1、续费30天 2、进度督促 1、结课祝贺 1\s+│ 李老师-2026-11-23.xlsx │", result.stdout)
    assert lines[-1] == f"✓ 已写出 2 份消息表，在 {workspace / 'messages'}"
    assert result.stderr == ""
    assert "messages/" in (workspace / ".gitignore").read_text(encoding="utf-8").splitlines()


def test_the_sheet_holds_the_drafts_a_drop_down_and_the_sheets_id(invoke, workspace):
    assert invoke("messages", "--teacher", "张老师", "--as-of", DAY).exit_code == 0
    path = workspace / "messages" / f"张老师-{DAY}.xlsx"
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [MESSAGES_SHEET, MESSAGES_INFO_SHEET]
    sheet = book[MESSAGES_SHEET]
    assert tuple(cell.value for cell in sheet[1]) == MESSAGE_COLUMNS
    rows = rows_of(path)
    assert [(r["学号"], r["姓名"], r["场景"]) for r in rows] == [
        ("S03", "李娜", "续费7天"), ("S04", "刘洋", "续费3天"), ("S01", "张伟", "续费30天"), ("S02", "王芳", "连续未学习关怀"),
    ]
    assert rows[0]["原因"] == "续费提醒（结课前一周）：距课程结束还有 5 天（2026-11-28 结课）"
    assert rows[0]["消息"].startswith("李娜您好") and "5天" in rows[0]["消息"] and "6次" in rows[0]["消息"]
    assert all(r["已发送"] is None for r in rows)
    # 已发送: a 是/否 drop-down on every row; 消息 wraps, and each row is tall enough for it.
    (rule,) = sheet.data_validations.dataValidation
    assert (rule.type, rule.formula1, str(rule.sqref)) == ("list", '"是,否"', "F2:F5")
    assert sheet["E2"].alignment.wrap_text
    assert all(sheet.row_dimensions[row].height >= 34 for row in range(2, 6))
    info = {label: value for label, value in book[MESSAGES_INFO_SHEET].iter_rows(values_only=True)}
    assert info["运营老师"] == "张老师" and info["消息表日期"] == DAY
    assert re.fullmatch(r"[0-9a-f]{10}", info["消息表编号"])
    assert info["场景：续费7天"] == "预警「续费提醒（结课前一周）」：距课程结束 4–7 天，本阶段还没有接通的回访，未续费；每位老师每天最多 10 条（三个阶段合计），其余按回访计划的先后顺延；本阶段（结课前 7 天起）发过就不再起草"


def test_one_scene_goes_to_a_file_of_its_own(invoke, workspace):
    result = invoke("messages", "--all", "--scene", "进度督促", "--as-of", DAY)
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in (workspace / "messages").iterdir())
    assert written == [f"张老师-{DAY}-进度督促.xlsx", f"李老师-{DAY}-进度督促.xlsx"]
    # In the plan's order: S10's renewal talk counts for more than S07's routine call with its risk.
    assert [r["学号"] for r in rows_of(workspace / "messages" / f"李老师-{DAY}-进度督促.xlsx")] == ["S10", "S07"]


def test_a_teacher_with_nothing_to_send_gets_no_file(invoke, workspace):
    result = invoke("messages", "--teacher", "张老师", "--scene", "首次联系", "--as-of", DAY)
    assert result.exit_code == 0, result.output
    assert result.stdout == "今天没有要发的消息：张老师（未写出文件）\n"
    assert not (workspace / "messages").exists()


@pytest.mark.parametrize(
    ("args", "line"),
    [
        ((), "错误：请用 --teacher 老师名 指定一位老师，或用 --all 为每位老师起草"),
        (("--all", "--teacher", "张老师"), "错误：请用 --teacher 老师名 指定一位老师，或用 --all 为每位老师起草"),
        (("--teacher", "钱老师"), "错误：没有「钱老师」的学员；名单里的老师有：张老师、李老师"),
        (("--all", "--scene", "续费"), "错误：没有「续费」这个场景；可用：通话跟进、首次联系、满意度低、转下期、续费3天、续费7天、续费30天、连续未学习关怀、进度督促、结课祝贺"),
        (("--all", "--as-of", "2026-11-01"), "错误：2026-11-01 及以前没有分层快照：请先运行 pfk classify"),
    ],
)
def test_what_cannot_be_done_is_one_line_and_exit_2(invoke, workspace, args, line):
    result = invoke("messages", *args, *(() if "--as-of" in args else ("--as-of", DAY)))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [line]
    assert not (workspace / "messages").exists()


def test_before_any_classify_it_says_to_classify(invoke, tmp_path):
    assert invoke("init", ".").exit_code == 0
    result = invoke("messages", "--all")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == ["错误：还没有分层结果：请先在工作区里运行 pfk classify"]
    assert not (tmp_path / ".pfk").exists()


def test_without_a_workspace_it_says_to_make_one(invoke):
    result = invoke("messages", "--all")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "错误：pfk messages 需要工作区（分层快照和发过的消息都在里面）：请先运行 pfk init，并在工作区里运行 pfk classify"
    ]


def test_what_was_sent_comes_back_once_shows_in_history_and_is_not_drafted_again(invoke, workspace):
    assert invoke("messages", "--teacher", "张老师", "--as-of", DAY).exit_code == 0
    path = workspace / "messages" / f"张老师-{DAY}.xlsx"
    mark_sent(path, {"S03": "是", "S02": "否"})
    sent = next(r["消息"] for r in rows_of(path) if r["学号"] == "S03")

    first = invoke("record", path)
    assert first.exit_code == 0, first.output
    assert first.stdout == f"✓ 张老师-{DAY}.xlsx（张老师，{DAY}）：已记录 1 条发出的消息（记为消息，不算回访）\n"
    again = invoke("record", path)
    assert again.exit_code == 0, again.output
    assert again.stdout == f"· 张老师-{DAY}.xlsx（张老师，{DAY}）：这些发出的消息之前都已记录，未重复记录\n"

    shown = invoke("history", "S03")
    assert shown.exit_code == 0, shown.output
    assert "S03 的回访记录（0 次回访）" in shown.stdout
    assert "S03 发过的消息（1 条，不算回访）" in shown.stdout
    assert re.search(rf"│ {DAY} │ 张老师\s+│ 续费7天 │ {re.escape(sent[:20])}", shown.stdout)

    refused = invoke("messages", "--teacher", "张老师", "--as-of", DAY)
    assert refused.exit_code == 2 and "已经填了内容，重新生成会把它覆盖" in refused.stderr  # the marked sheet is kept
    path.rename(path.with_name("已记录.xlsx"))
    later = invoke("messages", "--teacher", "张老师", "--as-of", DAY)
    assert later.exit_code == 0, later.output
    assert "· 1 人的「续费7天」近期已发过，这次不再起草" in later.stdout.splitlines()
    assert [r["学号"] for r in rows_of(path)] == ["S04", "S01", "S02"]


def test_a_bad_mark_is_listed_and_nothing_is_recorded(invoke, workspace):
    assert invoke("messages", "--teacher", "张老师", "--as-of", DAY).exit_code == 0
    path = workspace / "messages" / f"张老师-{DAY}.xlsx"
    mark_sent(path, {"S03": "已发"})
    result = invoke("record", path)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[:2] == [
        "发现 1 处问题，未导入任何回访（加 --skip-invalid 可只导入没有问题的行）：",
        f'  张老师-{DAY}.xlsx › 消息 › 第2行 › 已发送: "已发" 请选「是」或「否」  [bad_choice]',
    ]
    assert "发过的消息（0 条" in invoke("history", "S03").stdout


def test_after_record_the_same_day_the_drafts_know_the_calls(invoke, workspace):
    """The README's order: record the morning's sheet, then draft. 孙丽 (S12, no study since 11-10)
    and 陈静 (S05, new) were reached today: no 连续未学习关怀, no 首次联系 asking for the talk just
    held — a short follow-up of what was agreed instead; 张伟 (S01) agreed nothing: the follow-up
    without a date."""
    from ..conftest import fill_callsheet
    from ..test_messages import COHORT, LATER

    inactive = ["S12", "孙丽", "张老师", "数据运营官", 3, 20, "2026-11-10", "2026-09-20", *LATER, 4, 4, 2, "2026-10-20", None]
    assert invoke("classify", write_cohort(workspace, [*COHORT, inactive]), "--as-of", DAY).exit_code == 0
    assert invoke("messages", "--all", "--as-of", DAY, "--scene", "连续未学习关怀").exit_code == 0
    before = {row["学号"] for row in rows_of(workspace / "messages" / f"张老师-{DAY}-连续未学习关怀.xlsx")}
    assert "S12" in before
    (workspace / "messages" / f"张老师-{DAY}-连续未学习关怀.xlsx").unlink()
    assert invoke("callsheet", "--all", "--as-of", DAY).exit_code == 0
    agreed = {"回访结果": "已接通", "P（1-5）": 4, "K（1-5）": 4, "下次跟进日期": "2026-11-30"}
    fill_callsheet(workspace / "callsheets" / f"张老师-{DAY}.xlsx", {"S12": agreed, "S01": {"回访结果": "已接通", "P（1-5）": 5, "K（1-5）": 5}})
    fill_callsheet(workspace / "callsheets" / f"李老师-{DAY}.xlsx", {"S05": agreed})
    result = invoke("record", workspace / "callsheets" / f"张老师-{DAY}.xlsx", workspace / "callsheets" / f"李老师-{DAY}.xlsx")
    assert result.exit_code == 0, result.output
    assert invoke("messages", "--all", "--as-of", DAY).exit_code == 0
    drafts = {row["学号"]: row for name in ("张老师", "李老师") for row in rows_of(workspace / "messages" / f"{name}-{DAY}.xlsx")}
    for student in ("S01", "S12", "S05"):
        assert drafts[student]["场景"] == "通话跟进", drafts[student]
        assert "今天" in drafts[student]["消息"] and "好好聊" not in drafts[student]["消息"]
        assert drafts[student]["原因"] == f"刚接通过（{DAY}）：发一条跟进，确认电话里约好的事"
    assert "11月30日" in drafts["S12"]["消息"] and "11月30日" in drafts["S05"]["消息"]
    assert "月" not in drafts["S01"]["消息"]  # nothing agreed: the text without a date
    # Asked for by name, the scenes that ask for a talk are not drafted for them either.
    assert invoke("messages", "--all", "--as-of", DAY, "--scene", "连续未学习关怀").exit_code == 0
    after = {row["学号"] for path in (workspace / "messages").glob("*连续未学习关怀.xlsx") for row in rows_of(path)}
    assert "S12" not in after


def test_the_renewal_drafts_left_for_later_are_said(invoke, tmp_path):
    from ..test_messages import MONTH

    assert invoke("init", ".").exit_code == 0
    rows = [["S%02d" % n, f"学员{n}", "张老师", "数据运营官", 6, 40, "2026-11-22", "2026-09-20", *MONTH, 4, 4, 4, "2026-11-01", None] for n in range(30, 43)]
    assert invoke("classify", write_cohort(tmp_path, rows), "--as-of", DAY).exit_code == 0
    result = invoke("messages", "--all", "--as-of", DAY)
    assert result.exit_code == 0, result.output
    assert "续费消息每位老师每天最多 10 条（pfk.toml [messages] renewal_per_day）：另有 3 条按回访计划的先后顺延到后面几天" in result.stdout
    assert len(rows_of(tmp_path / "messages" / f"张老师-{DAY}.xlsx")) == 10
