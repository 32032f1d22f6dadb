"""pfk history: one student's calls (reached or not), snapshots, messages and teachers."""

from __future__ import annotations



from ..conftest import AS_OF, callsheet_ids, fill_callsheet


def test_a_students_calls_and_segments_newest_first(invoke, classified, tmp_path):
    assert invoke("callsheet", "--teacher", "张老师", "--as-of", AS_OF).exit_code == 0
    sheet = tmp_path / "callsheets" / f"张老师-{AS_OF}.xlsx"
    sid = callsheet_ids(sheet)[0]
    fill_callsheet(sheet, {sid: {"回访结果": "已接通", "P（1-5）": 3, "K（1-5）": 4, "问题类型": "学习时间", "是否解决": "是", "回访备注": "周末补课"}})
    assert invoke("record", sheet).exit_code == 0
    result = invoke("history", sid)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"{sid} 的回访记录（1 次回访）" in out
    assert "已接通" in out and "学习时间（已解决）" in out and "周末补课" in out
    assert f"{sid} 的历次分层（1 次）" in out


def test_an_unknown_student_is_one_line(invoke, classified):
    result = invoke("history", "NOPE")
    assert result.exit_code == 2 and result.stderr.strip() == "错误：历史里没有学号 NOPE 的记录"
