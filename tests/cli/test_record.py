"""pfk record through the CLI: a call sheet known by its id, what happened on each call, rows taken
as teachers really type them, and what is set aside."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import subprocess
from pathlib import Path

import openpyxl
import pytest

from ..conftest import AS_OF, HEADER, callsheet_ids, callsheet_rows, fill_callsheet, student, write_xlsx

ZHANG = [f"S00{i}" for i in range(1, 5)]
LI = ["S005", "S006"]


@pytest.fixture
def workspace(invoke, tmp_path):
    """Two teachers; nobody called yet, so everyone is on this week's sheet."""
    assert invoke("init", ".").exit_code == 0
    rows = [HEADER]
    rows += [student(sid, f"学员{sid}", "张老师", 3, 20, None, None) for sid in ZHANG]
    rows += [student(sid, f"学员{sid}", "李老师", 3, 20, None, None) for sid in LI]
    write_xlsx(tmp_path / "roster.xlsx", rows)
    assert invoke("classify", "roster.xlsx", "--as-of", AS_OF).exit_code == 0
    assert invoke("callsheet", "--all", "--as-of", AS_OF).exit_code == 0
    return tmp_path


def sheet_of(workspace: Path, teacher: str, day: str = AS_OF) -> Path:
    return workspace / "callsheets" / f"{teacher}-{day}.xlsx"


def calls(workspace: Path, *columns: str) -> list[tuple]:
    shown = ", ".join(columns)
    with sqlite3.connect(workspace / ".pfk" / "history.sqlite") as conn:
        return conn.execute(f"SELECT {shown} FROM callbacks ORDER BY student_id, called_on, id").fetchall()


def test_two_teachers_blanked_sheets_keep_their_identity(invoke, workspace):
    """The audit's loss: with the teacher cell blanked, both sheets shared one key and the second
    replaced the first. Each sheet has its own id now."""
    for teacher, students in (("张老师", ZHANG), ("李老师", LI)):
        fill_callsheet(sheet_of(workspace, teacher), {sid: {"P（1-5）": 4, "K（1-5）": 4} for sid in students}, info={"运营老师": None})
    result = invoke("record", sheet_of(workspace, "张老师"), sheet_of(workspace, "李老师"))
    assert result.exit_code == 0, result.output
    assert calls(workspace, "teacher", "student_id") == [("张老师", s) for s in ZHANG] + [("李老师", s) for s in LI]
    assert "nan" not in result.output


def test_a_sheet_without_its_id_is_refused(invoke, workspace):
    path = fill_callsheet(sheet_of(workspace, "张老师"), {"S001": {"P（1-5）": 4, "K（1-5）": 4}}, info={"回访表编号": None})
    result = invoke("record", path)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"错误：张老师-{AS_OF}.xlsx: 认不出这份回访表：「说明」工作表上没有「回访表编号」。"
        "它不是 pfk 生成的回访表，或说明页被删改过；请用 pfk callsheet 重新生成后再填写"
    )
    assert calls(workspace, "student_id") == []


def test_a_sheet_whose_teacher_contradicts_its_id_is_refused(invoke, workspace):
    path = fill_callsheet(sheet_of(workspace, "张老师"), {"S001": {"P（1-5）": 4, "K（1-5）": 4}}, info={"运营老师": "李老师"})
    result = invoke("record", path)
    assert result.exit_code == 2
    assert "说明页写的运营老师是「李老师」，但编号" in result.stderr and "是发给「张老师」的回访表" in result.stderr
    assert calls(workspace, "student_id") == []


def test_outcomes_dropdown_scores_and_yearless_dates(invoke, workspace):
    path = fill_callsheet(
        sheet_of(workspace, "张老师"),
        {
            "S001": {"回访结果": "已接通", "P（1-5）": "3 一般", "K（1-5）": "5 很强", "下次跟进日期": "12月1日"},
            "S002": {"回访结果": "未接通"},
            "S003": {"回访结果": "微信沟通", "P（1-5）": 2, "K（1-5）": 2, "回访备注": "微信里聊的"},
        },
    )
    result = invoke("record", path)
    assert result.exit_code == 0, result.output
    assert f"✓ 张老师-{AS_OF}.xlsx（张老师，{AS_OF}）：已导入 2 条回访、1 次没联系上" in result.stdout
    assert calls(workspace, "student_id", "outcome", "reached", "p", "k", "follow_up") == [
        ("S001", "已接通", 1, 3.0, 5.0, "2026-12-01"),
        ("S002", "未接通", 0, None, None, None),
        ("S003", "微信沟通", 1, 2.0, 2.0, None),
    ]


def test_three_failed_calls_in_a_row_flag_the_student(invoke, workspace):
    for day in ("2026-11-23", "2026-11-24", "2026-11-25"):
        if day != AS_OF:
            assert invoke("callsheet", "--teacher", "张老师", "--as-of", day).exit_code == 0
        fill_callsheet(sheet_of(workspace, "张老师", day), {"S002": {"回访结果": "未接通"}})
        assert invoke("record", sheet_of(workspace, "张老师", day)).exit_code == 0
    assert invoke("callsheet", "--teacher", "张老师", "--as-of", "2026-11-26").exit_code == 0
    # Nobody answers: off the teacher's sheet, into the public pool, saying why.
    assert "S002" not in callsheet_ids(sheet_of(workspace, "张老师", "2026-11-26"))
    pool = invoke("pool", "list", "--as-of", "2026-11-26")
    assert pool.exit_code == 0, pool.output
    assert "S002" in pool.stdout and "联系不上" in pool.stdout
    shown = invoke("history", "S002").stdout
    assert "S002 的回访记录（0 次回访，3 次没联系上）" in shown


def test_rows_off_the_sheet_and_repeated_students_are_set_aside(invoke, workspace):
    path = sheet_of(workspace, "张老师")
    wb = openpyxl.load_workbook(path)
    ws = wb["回访表"]
    header = [c.value for c in ws[1]]
    column = {name: header.index(name) + 1 for name in ("学号", "P（1-5）", "K（1-5）")}
    ws.cell(2, column["P（1-5）"]).value, ws.cell(2, column["K（1-5）"]).value = 4, 4
    for row, sid in ((3, "S005"), (4, "S999"), (5, ws.cell(2, column["学号"]).value)):
        ws.cell(row, column["学号"]).value = sid
        ws.cell(row, column["P（1-5）"]).value, ws.cell(row, column["K（1-5）"]).value = 3, 3
    wb.save(path)
    first = ws.cell(2, column["学号"]).value
    result = invoke("record", path)
    assert result.exit_code == 2, result.output  # every filled row set aside: nothing recorded
    lines = result.stderr
    assert f"张老师-{AS_OF}.xlsx › 回访表 › 第3行 › 学号: 学号 S005 不在这份回访表上（是李老师的学员）" in lines
    assert f"张老师-{AS_OF}.xlsx › 回访表 › 第4行 › 学号: 学号 S999 不在这份回访表上（历史里没有这个学号）" in lines
    assert f"学号 {first} 在表里出现了不止一次（还有第5行）" in lines
    assert calls(workspace, "student_id") == []  # the repeated student's rows, and the strangers, are not stored
    again = invoke("record", path, "--accept-unknown")
    assert again.exit_code == 0
    assert sorted(s for (s,) in calls(workspace, "student_id")) == sorted([first, first, "S005", "S999"])


def test_a_bad_date_or_a_lost_note_keeps_the_rest_of_the_row(invoke, workspace):
    path = fill_callsheet(
        sheet_of(workspace, "张老师"),
        {"S001": {"P（1-5）": 5, "K（1-5）": 4, "回访备注": "#NAME?", "下次跟进日期": "下周三"}},
    )
    result = invoke("record", path)
    assert result.exit_code == 0, result.output
    assert calls(workspace, "student_id", "p", "k", "note", "follow_up") == [("S001", 5.0, 4.0, None, None)]
    assert '"下周三" 不是日期（如 2026-11-30 或 12月1日），下次跟进日期没有导入，其余照常' in result.stderr
    assert "第2行 › 回访备注: 回访备注成了 Excel 的错误值（如 #NAME?，多半是开头打了「=」被当成公式），备注没有导入，请重新填写" in result.stderr


def test_a_call_date_still_to_come_is_refused(invoke, workspace):
    path = fill_callsheet(sheet_of(workspace, "张老师"), {"S001": {"P（1-5）": 5, "K（1-5）": 4}})
    result = invoke("record", path, "--called-on", "2099-01-01")
    assert result.exit_code == 2
    assert "回访日期不能晚于今天" in result.stderr
    assert calls(workspace, "student_id") == []


def saved_copy(path: Path, target: Path, values: dict, saved: dt.datetime) -> Path:
    """A filled copy whose own properties say it was saved at `saved` (as Excel, WPS and LibreOffice write them)."""
    import re
    import zipfile

    shutil.copy(path, target)
    fill_callsheet(target, values)
    parts = {}
    with zipfile.ZipFile(target) as archive:
        for name in archive.namelist():
            parts[name] = archive.read(name)
    stamp = saved.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    parts["docProps/core.xml"] = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rb"\g<1>" + stamp + rb"\g<2>", parts["docProps/core.xml"])
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return target


def test_an_older_copy_after_a_newer_one_is_refused_unless_replace(invoke, workspace):
    original = sheet_of(workspace, "张老师")
    older = saved_copy(original, workspace / "morning.xlsx", {"S001": {"P（1-5）": 3, "K（1-5）": 3}}, dt.datetime(2026, 11, 24, 9))
    newer = saved_copy(original, workspace / "evening.xlsx", {"S001": {"P（1-5）": 4, "K（1-5）": 4}, "S002": {"P（1-5）": 2, "K（1-5）": 2}}, dt.datetime(2026, 11, 24, 18))
    assert invoke("record", newer).exit_code == 0
    result = invoke("record", older)
    assert result.exit_code == 2
    assert "这是这份回访表较早保存的一份（之前已导入过更新的一份），导入它会丢掉后来填的内容；确认要用它替换，请加 --replace" in result.stderr
    assert calls(workspace, "student_id", "p") == [("S001", 4.0), ("S002", 2.0)]
    assert invoke("record", older, "--replace").exit_code == 0
    assert calls(workspace, "student_id", "p") == [("S001", 3.0)]


def test_a_copy_renamed_by_wechat_records_the_same(invoke, workspace):
    path = fill_callsheet(sheet_of(workspace, "张老师"), {"S001": {"P（1-5）": 4, "K（1-5）": 4}})
    assert invoke("record", path).exit_code == 0
    renamed = shutil.copy(path, workspace / f"张老师-{AS_OF}(1).xlsx")
    result = invoke("record", renamed)
    assert result.exit_code == 0
    assert "之前已经导入过，内容没有变化" in result.stdout
    assert len(calls(workspace, "student_id")) == 1


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed here")
def test_a_libreoffice_resave_records_the_same_rows(invoke, workspace, tmp_path):
    path = fill_callsheet(
        sheet_of(workspace, "张老师"),
        {"S001": {"回访结果": "已接通", "P（1-5）": "4 积极", "K（1-5）": "3 一般", "回访备注": "在忙项目", "下次跟进日期": dt.datetime(2026, 12, 1)}},
    )
    out = tmp_path / "resaved"
    subprocess.run(["soffice", "--headless", "--convert-to", "xlsx", "--outdir", str(out), str(path)], check=True, capture_output=True, timeout=180)
    resaved = out / path.name
    result = invoke("record", resaved)
    assert result.exit_code == 0, result.output
    assert calls(workspace, "student_id", "outcome", "p", "k", "note", "follow_up") == [("S001", "已接通", 4.0, 3.0, "在忙项目", "2026-12-01")]
    # The original, recorded after the re-save, is the same content: nothing changes.
    assert "内容没有变化" in invoke("record", path).stdout


def test_an_open_complaint_is_first_on_the_next_sheet_until_resolved(invoke, workspace):
    path = fill_callsheet(
        sheet_of(workspace, "张老师"),
        {sid: {"P（1-5）": 4, "K（1-5）": 4} for sid in ZHANG} | {"S003": {"P（1-5）": 2, "K（1-5）": 4, "问题类型": "投诉", "是否解决": "否"}},
    )
    assert invoke("record", path).exit_code == 0
    assert invoke("callsheet", "--teacher", "张老师", "--as-of", "2026-11-25").exit_code == 0
    first = callsheet_rows(sheet_of(workspace, "张老师", "2026-11-25"))[1][0]
    assert first["学号"] == "S003"
    assert first["为什么现在打"] == "投诉 2 天还没解决"
    fill_callsheet(sheet_of(workspace, "张老师", "2026-11-25"), {"S003": {"回访结果": "已接通", "是否解决": "是"}})
    assert invoke("record", sheet_of(workspace, "张老师", "2026-11-25")).exit_code == 0
    assert invoke("callsheet", "--teacher", "张老师", "--as-of", "2026-11-26").exit_code == 0
    assert all("投诉" not in (row["为什么现在打"] or "") for row in callsheet_rows(sheet_of(workspace, "张老师", "2026-11-26"))[1])


def test_the_report_counts_the_calls_of_the_week_after_the_sheet(invoke, tmp_path):
    """Classify on Monday, call from that day's sheet, record (the calls take the sheet's date), classify
    the next Monday: those calls are this week's calls in the report."""
    assert invoke("init", ".").exit_code == 0
    header = [*HEADER, "最近回访日期"]
    rows = [header] + [[*student(sid, f"学员{sid}", "张老师", 3, 20, 3, 3), dt.datetime(2026, 11, 1)] for sid in ZHANG]
    write_xlsx(tmp_path / "roster.xlsx", rows)
    assert invoke("classify", "roster.xlsx", "--as-of", AS_OF).exit_code == 0
    assert invoke("callsheet", "--all", "--as-of", AS_OF).exit_code == 0
    path = fill_callsheet(sheet_of(tmp_path, "张老师"), {sid: {"P（1-5）": 5, "K（1-5）": 4} for sid in ZHANG})
    assert invoke("record", path).exit_code == 0
    assert invoke("classify", "roster.xlsx", "--as-of", "2026-11-30").exit_code == 0
    result = invoke("report", "--as-of", "2026-11-30")
    assert result.exit_code == 0, result.output
    assert "本期回访过 4 人：上升 4，不变 0，下降 0" in result.stdout


def test_the_solution_used_is_stored_with_the_call(invoke, workspace):
    """使用方案 as the drop-down lists it (`sxxxxx 短标题`), the id alone in any letter case, or 其他."""
    from pfkcli.playbooks import load_playbooks

    entry = load_playbooks(workspace / "playbooks")["待回访"].problems[0]
    path = fill_callsheet(
        sheet_of(workspace, "张老师"),
        {
            "S001": {"回访结果": "已接通", "P（1-5）": 4, "K（1-5）": 4, "使用方案": f"{entry.id} {entry.short_title}"},
            "S002": {"回访结果": "微信沟通", "P（1-5）": 3, "K（1-5）": 3, "使用方案": entry.id.upper()},
            "S003": {"回访结果": "已接通", "P（1-5）": 2, "K（1-5）": 4, "使用方案": "其他"},
            "S004": {"回访结果": "未接通", "使用方案": entry.id},
        },
    )
    result = invoke("record", path)
    assert result.exit_code == 0, result.output
    assert calls(workspace, "student_id", "reached", "solution") == [
        ("S001", 1, entry.id), ("S002", 1, entry.id), ("S003", 1, "其他"), ("S004", 0, None),
    ]
    assert "第5行 › 使用方案: 回访结果是「未接通」，没通上话：使用方案没有导入  [solution_not_reached]" in result.stderr


def test_a_solution_of_another_segment_is_a_row_problem(invoke, workspace):
    from pfkcli.playbooks import load_playbooks

    other = load_playbooks(workspace / "playbooks")["P_L-F_L-K_L"].problems[0]
    own = load_playbooks(workspace / "playbooks")["待回访"].problems[0]
    path = fill_callsheet(
        sheet_of(workspace, "张老师"),
        {
            "S001": {"P（1-5）": 4, "K（1-5）": 4, "使用方案": f"{other.id} {other.short_title}"},
            "S002": {"P（1-5）": 4, "K（1-5）": 4, "使用方案": "多聊了几句"},
        },
    )
    result = invoke("record", path)
    assert result.exit_code == 2
    for row, text in ((2, f"{other.id} {other.short_title}"), (3, "多聊了几句")):
        assert (
            f"张老师-{AS_OF}.xlsx › 回访表 › 第{row}行 › 使用方案: \"{text[:20]}\" 不是「待回访学员」方案库里的方案"
            f"（可选：{own.id}、其他）  [bad_solution]"
        ) in result.stderr
    assert calls(workspace, "student_id") == []


def test_a_roster_given_to_record_says_what_to_do(invoke, workspace):
    """The easy slip: the roster (whose 说明 sheet has one column) instead of a call sheet."""
    shutil.copy(Path(__file__).parents[2] / "samples" / "roster.xlsx", workspace / "sample.xlsx")
    for name in ("roster.xlsx", "sample.xlsx"):
        result = invoke("record", name)
        assert result.exit_code == 2, result.output
        assert result.stderr.strip() == (
            f"错误：{name}: 这不是回访表（里面没有「回访表」工作表）。名单请用 pfk classify 读入；"
            "pfk record 只导入 pfk callsheet 生成、老师填好的回访表（callsheets/ 里）和 pfk messages 的消息表"
        )
    assert calls(workspace, "student_id") == []


def test_a_file_that_is_not_there_is_said_to_be_missing(invoke, workspace):
    result = invoke("record", "callsheets/张老师-2026-11-32.xlsx")
    assert result.exit_code == 2
    assert result.stderr.startswith("错误：张老师-2026-11-32.xlsx: 找不到这个文件（")
    assert "认不出" not in result.stderr


def test_a_batch_records_the_good_files_and_lists_the_bad(invoke, workspace):
    """One bad row in 李老师's sheet, and a file that is not there: 张老师's calls are recorded all the
    same, the other two are named with what to do, and the exit says not everything was recorded."""
    good = fill_callsheet(sheet_of(workspace, "张老师"), {"S001": {"P（1-5）": 4, "K（1-5）": 4}})
    bad = fill_callsheet(sheet_of(workspace, "李老师"), {"S005": {"P（1-5）": "九"}, "S006": {"P（1-5）": 3}})
    result = invoke("record", good, bad, "missing.xlsx")
    assert result.exit_code == 2, result.output
    assert calls(workspace, "teacher", "student_id") == [("张老师", "S001")]
    assert f"✓ 张老师-{AS_OF}.xlsx（张老师，{AS_OF}）：已导入 1 条回访" in result.stdout
    assert f"错误：李老师-{AS_OF}.xlsx: 1 处问题，这份没有导入" in result.stderr
    assert "错误：missing.xlsx: 找不到这个文件" in result.stderr
    assert '"九" 不是 1-5 的分数' in result.stderr
    # Corrected, the bad one is recorded on its own.
    fill_callsheet(bad, {"S005": {"P（1-5）": 2}})
    assert invoke("record", bad).exit_code == 0
    assert [t for t, _ in calls(workspace, "teacher", "student_id")].count("李老师") == 2


def test_record_exits_2_when_it_records_nothing(invoke, workspace):
    """An unfilled sheet records nothing: said, and a non-zero exit, so a script does not take it for
    done (issue 30). The same file again after it was recorded is done: exit 0, with its line."""
    blank = invoke("record", sheet_of(workspace, "张老师"), sheet_of(workspace, "李老师"))
    assert blank.exit_code == 2, blank.output
    assert "没有填写任何回访结果，未导入" in blank.stdout
    assert blank.stderr.strip() == "错误：什么都没有导入：文件里没有填写任何回访结果或已发送的消息（或所填的行都有问题）"
    assert calls(workspace, "student_id") == []
    fill_callsheet(sheet_of(workspace, "张老师"), {"S001": {"P（1-5）": 4, "K（1-5）": 3, "回访备注": "聊过了"}})
    assert invoke("record", sheet_of(workspace, "张老师"), sheet_of(workspace, "李老师")).exit_code == 0
    again = invoke("record", sheet_of(workspace, "张老师"))
    assert again.exit_code == 0 and "内容没有变化，未重复导入" in again.stdout
