"""pfk pool through the CLI: the weekly loop puts an unreachable student in the pool, a teacher claims
him, and the next call sheet has him under her name."""

from __future__ import annotations

import datetime as dt

import pytest

from pfkcli.outputs import POOL_COLUMNS, POOL_SHEET, RENEWAL_POOL_COLUMNS, RENEWAL_POOL_SHEET

from ..conftest import HEADER, callsheet_ids, callsheet_rows, fill_callsheet, read_sheet, student, write_xlsx

WEEKS = ("2026-11-09", "2026-11-16", "2026-11-23")
NEXT = "2026-11-24"


@pytest.fixture
def workspace(invoke, roster, tmp_path):
    """The conftest roster (张老师: S001, S002; 李老师: S003, S004) in a workspace."""
    assert invoke("init", ".").exit_code == 0
    return tmp_path


def unreached_three_times(invoke, workspace, sid="S002", teacher="张老师"):
    """Three weeks of the loop, each week's sheet filled in with 未接通 for `sid` and recorded."""
    for week in WEEKS:
        assert invoke("classify", "roster.xlsx", "--as-of", week).exit_code == 0
        made = invoke("callsheet", "--teacher", teacher, "--as-of", week)
        assert made.exit_code == 0, made.output
        path = workspace / "callsheets" / f"{teacher}-{week}.xlsx"
        assert sid in callsheet_ids(path)
        fill_callsheet(path, {sid: {"回访结果": "未接通"}})
        recorded = invoke("record", path)
        assert recorded.exit_code == 0, recorded.output
        assert "1 次没联系上" in recorded.stdout


def test_unreachable_student_is_claimed_and_called_by_the_claiming_teacher(invoke, workspace):
    unreached_three_times(invoke, workspace)

    listed = invoke("pool", "list", "--as-of", NEXT)
    assert listed.exit_code == 0, listed.output
    assert "公海（2026-11-24，共 1 人）" in listed.stdout
    row = next(line for line in listed.stdout.splitlines() if "S002" in line)
    assert row.split("│")[1:6] == [" 2026-11-23 ", " S002 ", " 王芳 ", " 张老师     ", " 连续 3 次没联系上（最近一次 2026-11-23） "]
    assert "联系不上 1 人" in listed.stdout

    # In the pool he is on nobody's sheet.
    assert invoke("callsheet", "--all", "--as-of", NEXT).exit_code == 0
    for name in ("张老师", "李老师"):
        assert "S002" not in callsheet_ids(workspace / "callsheets" / f"{name}-{NEXT}.xlsx")

    claimed = invoke("pool", "claim", "--teacher", "李老师", "--as-of", NEXT)
    assert claimed.exit_code == 0, claimed.output
    assert "✓ 李老师 从公海认领了 1 名学员（2026-11-24）" in claimed.stdout
    loads = {line.split()[0]: line.split()[1:] for line in claimed.stdout.splitlines() if line.split() and line.split()[0] in ("张老师", "李老师", "公海")}
    assert loads == {"张老师": ["80", "1", "1", "79", "默认容量"], "李老师": ["80", "2", "3", "77", "默认容量"], "公海": ["1", "0"]}

    again = invoke("callsheet", "--all", "--as-of", NEXT)
    assert again.exit_code == 0, again.output
    _, rows = callsheet_rows(workspace / "callsheets" / f"李老师-{NEXT}.xlsx")
    # The new teacher calls him first: he does not know her yet. The calls not reached are said too.
    assert rows[0]["学号"] == "S002"
    assert rows[0]["为什么现在打"] == "联系不上（连续 3 次没接通），先发微信约时间；新接手（11月24日认领给你），还没联系过"
    assert "S002" not in callsheet_ids(workspace / "callsheets" / f"张老师-{NEXT}.xlsx")
    assert "公海（2026-11-24，共 0 人）" in invoke("pool", "list", "--as-of", NEXT).stdout

    shown = invoke("history", "S002")
    assert "S002 的运营老师变动（1 次）" in shown.stdout
    assert "从公海认领（连续 3 次没联系上（最近一次 2026-11-23））" in shown.stdout


def test_a_claim_beyond_capacity_is_refused_with_the_room_left(invoke, workspace):
    with open(workspace / "pfk.toml", "a", encoding="utf-8") as config:
        config.write('\n[teachers."李老师"]\ncapacity = 2\n[teachers."赵老师"]\ncapacity = 5\nactive = false\n')
    unreached_three_times(invoke, workspace)
    full = invoke("pool", "claim", "--teacher", "李老师", "--as-of", NEXT)
    assert full.exit_code == 2
    assert full.stderr == "错误：李老师 的容量是 2 人，现有 2 人，已经满了，不能再认领（要认领 1 人）；未认领任何学员\n"
    away = invoke("pool", "claim", "--teacher", "赵老师", "--as-of", NEXT)
    assert away.exit_code == 2 and "赵老师 在 pfk.toml 里是停用的（active = false），不能认领学员" in away.stderr
    unknown = invoke("pool", "claim", "--teacher", "钱老师", "--as-of", NEXT)
    assert unknown.exit_code == 2 and "没有「钱老师」这位老师" in unknown.stderr
    assert "共 1 人" in invoke("pool", "list", "--as-of", NEXT).stdout  # nothing was claimed


def test_a_release_by_hand_takes_the_student_off_the_sheets(invoke, workspace):
    assert invoke("classify", "roster.xlsx", "--as-of", NEXT).exit_code == 0
    bad = invoke("pool", "release", "S001", "S999", "--reason", "转给销售", "--as-of", NEXT)
    assert bad.exit_code == 2 and "没有这些学号：S999；未放入任何学员" in bad.stderr
    released = invoke("pool", "release", "S001", "--reason", "多次沟通无意向", "--as-of", NEXT)
    assert released.exit_code == 0, released.output
    assert "✓ 已放入公海 1 人（2026-11-24）：S001（原 张老师）" in released.stdout
    assert "· 已在公海，未改动：S001" in invoke("pool", "release", "S001", "--reason", "再放一次", "--as-of", NEXT).stdout

    refused = invoke("pool", "list", "--as-of", NEXT, "-o", ".pfk/公海.xlsx")
    assert refused.exit_code == 2 and "这里是工作区的 .pfk/ 文件夹" in refused.stderr
    target = workspace / "公海.xlsx"
    listed = invoke("pool", "list", "--as-of", NEXT, "-o", target)
    assert listed.exit_code == 0, listed.output
    assert "手动放入：多次沟通无意向" in listed.stdout
    header, *rows = read_sheet(target, POOL_SHEET)
    assert header == POOL_COLUMNS
    assert rows[0][:6] == ("S001", "张伟", "13800000001", "张老师", "重要价值学员", dt.datetime(2026, 11, 24))
    assert rows[0][6] == "手动放入：多次沟通无意向"

    assert invoke("callsheet", "--all", "--as-of", NEXT).exit_code == 0
    assert "S001" not in callsheet_ids(workspace / "callsheets" / f"张老师-{NEXT}.xlsx")
    summary = invoke("classify", "roster.xlsx", "--as-of", NEXT)
    assert any(line.split()[:1] == ["公海"] and line.split()[-1] == "1" for line in summary.stdout.splitlines())


def test_the_renewal_pool_lists_students_no_one_reached_in_their_stage(invoke, tmp_path):
    assert invoke("init", ".").exit_code == 0
    rows = [
        HEADER + ["课程结束日期", "是否续费"],
        student("S001", "张伟", "张老师", 5, 40, 4, 4) + ["2026-12-01", "否"],  # 7 days left
        student("S002", "王芳", "张老师", 5, 40, 4, 4) + ["2026-12-01", "已续费"],
        student("S003", "李娜", "李老师", 5, 40, 4, 4) + ["2027-02-01", "否"],  # not yet
        student("S004", "刘洋", "李老师", 5, 40, 4, 4) + ["2026-12-20", "否"],  # 26 days left
    ]
    write_xlsx(tmp_path / "r.xlsx", rows)
    assert invoke("classify", "r.xlsx", "--as-of", "2026-11-24").exit_code == 0
    target = tmp_path / "续费.xlsx"
    listed = invoke("pool", "list", "--renewal", "--as-of", "2026-11-24", "-o", target)
    assert listed.exit_code == 0, listed.output
    assert "续费公海（2026-11-24，共 2 人）" in listed.stdout
    header, *body = read_sheet(target, RENEWAL_POOL_SHEET)
    assert header == RENEWAL_POOL_COLUMNS
    assert [(r[0], r[3], r[6]) for r in body] == [("S001", "张老师", "续费提醒（结课前一周）"), ("S004", "李老师", "续费沟通（结课前一个月）")]


def test_the_pool_needs_a_workspace_and_a_snapshot(invoke, workspace, tmp_path):
    empty = invoke("pool", "list", "--as-of", NEXT)
    assert empty.exit_code == 2 and empty.stderr == "错误：工作区还没有分层结果：请先运行 pfk classify\n"
    (tmp_path / "pfk.toml").unlink()
    outside = invoke("pool", "list")
    assert outside.exit_code == 2 and "pfk pool 需要工作区" in outside.stderr


def test_a_claim_run_again_says_it_was_made_and_claims_nothing_more(invoke, workspace):
    """Run again for the same teacher and day (after a kill, say: the moves were recorded), the claim
    says what it claimed then instead of claiming again (issue 30); --more claims on purpose."""
    import sqlite3

    assert invoke("classify", "roster.xlsx", "--as-of", WEEKS[-1]).exit_code == 0
    released = invoke("pool", "release", "S002", "S004", "--reason", "多次沟通无意向", "--as-of", NEXT)
    assert released.exit_code == 0, released.output
    first = invoke("pool", "claim", "--teacher", "李老师", "--as-of", NEXT)
    assert first.exit_code == 0 and "✓ 李老师 从公海认领了 1 名学员（2026-11-24）" in first.stdout, first.output
    again = invoke("pool", "claim", "--teacher", "李老师", "--as-of", NEXT)
    assert again.exit_code == 0, again.output
    assert "· 李老师 在 2026-11-24 已经从公海认领过这 1 名学员，这次没有再认领（确实还要再认领，加 --more）" in again.stdout
    with sqlite3.connect(workspace / ".pfk" / "history.sqlite") as conn:
        claims = conn.execute("SELECT count(*) FROM ownership WHERE kind = 'claim'").fetchone()[0]
    assert claims == 1
    assert "公海（2026-11-24，共 1 人）" in invoke("pool", "list", "--as-of", NEXT).stdout
    more = invoke("pool", "claim", "--teacher", "李老师", "--as-of", NEXT, "--more")
    assert more.exit_code == 0 and "✓ 李老师 从公海认领了 1 名学员" in more.stdout, more.output
    assert "公海（2026-11-24，共 0 人）" in invoke("pool", "list", "--as-of", NEXT).stdout
