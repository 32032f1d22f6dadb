"""The contract of the workbooks pfk writes: sheet names and headers a team's filters and macros use."""

from __future__ import annotations

from pfkcli import outputs


def test_the_call_sheet_contract():
    assert outputs.CALLSHEET_SHEET == "回访表"
    assert outputs.CALLSHEET_COLUMNS == ("顺序", "姓名", "手机号", "分层", "为什么现在打", "建议方案")
    assert outputs.FILL_IN_COLUMNS == (
        "回访结果", "P（1-5）", "K（1-5）", "问题类型", "是否解决", "使用方案", "回访备注", "下次跟进日期",
    )
    assert outputs.REFERENCE_COLUMNS[0] == "学号"
    assert (outputs.INFO_TEACHER, outputs.INFO_AS_OF, outputs.INFO_SHEET_ID) == ("运营老师", "回访表日期", "回访表编号")


def test_the_other_workbooks():
    assert (outputs.RESULT_SHEET, outputs.SUMMARY_SHEET) == ("分层结果", "汇总")
    assert outputs.RESULT_COLUMNS[:3] == ("P", "F", "K")
    assert outputs.ALERT_COLUMNS == ("学号", "姓名", "运营老师", "预警", "代码", "原因", "建议")
    assert outputs.MESSAGE_COLUMNS == ("学号", "姓名", "场景", "原因", "消息", "已发送")
    assert (outputs.ASSIGN_ROSTER_SHEET, outputs.ASSIGN_CHANGES_SHEET) == ("学员名单", "分配结果")
