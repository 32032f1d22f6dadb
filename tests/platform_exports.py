"""Rosters as learning platforms export them, for tests of the read path: real headers (a nickname
beside the real name, 班主任老师, 观看时长（分钟）), durations as `1:20:00` and `45分12秒`, 未学习, zoned
ISO stamps, one sheet per teacher under a title line, and a 说明 sheet in front."""

from __future__ import annotations

from pathlib import Path

import openpyxl

PLATFORM_HEADER = ["用户编号", "用户昵称", "真实姓名", "班主任老师", "手机号", "作业提交数", "观看时长（分钟）", "最后登录时间", "报名时间", "是否续费"]
PLATFORM_SHEETS = {
    "张老师": [
        ["U1001", "小张同学", "张伟", "张老师", 13800000001, 11, "1:20:00", "2026-11-20T19:00:00Z", "2026-09-01", "是"],
        ["U1002", "芳芳", "王芳", "张老师", 13800000002, 3, "45分12秒", "未学习", "2026-09-02 10:30:00", "否"],
    ],
    "李老师": [
        ["U1003", "nana", "李娜", "李老师", 13800000003, 0, 4560, "2026-11-22 08:30:00", "2026-09-03", None],
        ["U1004", "洋洋", "刘洋", "李老师", 13800000004, 5, "1小时20分", "11-21", "2026/9/4", "续费中"],
    ],
}
# F = 作业 / 11 + 观看小时 / 76, with the minutes above read as hours: 80 min, 45 min 12 s, 76 h, 80 min.
PLATFORM_F = {
    "U1001": 11 / 11 + (80 / 60) / 76,
    "U1002": 3 / 11 + (45.2 / 60) / 76,
    "U1003": 0 / 11 + 76 / 76,
    "U1004": 5 / 11 + (80 / 60) / 76,
}


def platform_roster(folder: Path, name: str = "platform.xlsx") -> Path:
    wb = openpyxl.Workbook()
    notes = wb.active
    notes.title = "说明"
    notes.append(["本表由学习平台导出，每位班主任一个工作表"])
    for sheet, rows in PLATFORM_SHEETS.items():
        ws = wb.create_sheet(sheet)
        ws.append([f"学员学习数据（{sheet}，导出时间 2026-11-23）"])
        ws.append(PLATFORM_HEADER)
        for row in rows:
            ws.append(row)
    path = folder / name
    wb.save(path)
    return path
