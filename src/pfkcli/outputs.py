"""The contract of every workbook pfk writes: sheet names, column order and header texts.

Teachers build filters and macros on these; change them only on purpose, and the tests pin them.
"""

from __future__ import annotations

# pfk classify
RESULT_SHEET = "分层结果"
SUMMARY_SHEET = "汇总"
RESULT_COLUMNS = ("P", "F", "K", "分层代码", "分层名称", "原因", "策略")

# pfk callsheet: who and why first, then what the teacher fills in during the call (all in view on a
# 1366 px screen), then what to look up (学号 is what `pfk record` reads the row by).
CALLSHEET_SHEET = "回访表"
CALLSHEET_PLAYBOOK_SHEET = "话术与方案"
CALLSHEET_INFO_SHEET = "说明"
# Hidden: the 使用方案 drop-down of each segment, one column each (the lists are too long to write inline).
CALLSHEET_SOLUTIONS_SHEET = "方案选项"
# 建议方案: the solution of the student's segment this row proposes (proposals.py, Thompson sampling).
CALLSHEET_COLUMNS = ("顺序", "姓名", "手机号", "分层", "为什么现在打", "建议方案")
# 使用方案: which of the student's segment's solutions (playbook ids) the call used, read after the
# problem it answers.
FILL_IN_COLUMNS = ("回访结果", "P（1-5）", "K（1-5）", "问题类型", "是否解决", "使用方案", "回访备注", "下次跟进日期")
# 流失风险 (a percent) and 风险依据 (the numbers behind it and behind 为什么现在打): a click away, at the right.
REFERENCE_COLUMNS = ("学号", "上次回访日期", "上次回访备注", "分层代码", "流失风险", "风险依据")
# The 说明 sheet's labels that say which sheet this is (`pfk record` reads them back).
INFO_TEACHER = "运营老师"
INFO_AS_OF = "回访表日期"
INFO_SHEET_ID = "回访表编号"

# pfk alerts
ALERTS_SHEET = "预警"
ALERT_COLUMNS = ("学号", "姓名", "运营老师", "预警", "代码", "原因", "建议")

# pfk messages: one row per draft, in the plan's order; the teacher marks 已发送 and `pfk record` reads
# 学号, 场景, 消息 and 已发送 back. Its 说明 sheet names the teacher, the date and the sheet's id.
MESSAGES_SHEET = "消息"
MESSAGE_COLUMNS = ("学号", "姓名", "场景", "原因", "消息", "已发送")
MESSAGES_INFO_SHEET = "说明"
MESSAGES_INFO_AS_OF = "消息表日期"
MESSAGES_INFO_SHEET_ID = "消息表编号"

# pfk assign: the roster to import back into the platform first (an import takes the first sheet),
# then what changed
ASSIGN_ROSTER_SHEET = "学员名单"
ASSIGN_CHANGES_SHEET = "分配结果"
ASSIGN_CHANGES_COLUMNS = ("学号", "姓名", "原运营老师", "运营老师", "原因")

# pfk pool list -o: the public pool (oldest first), or the renewal pool for the sales team
POOL_SHEET = "公海"
POOL_COLUMNS = ("学号", "姓名", "手机号", "原运营老师", "分层", "进入公海日期", "原因")
RENEWAL_POOL_SHEET = "续费公海"
RENEWAL_POOL_COLUMNS = ("学号", "姓名", "手机号", "运营老师", "课程", "结课日期", "阶段", "原因")
