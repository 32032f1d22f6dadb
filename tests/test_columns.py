"""Headers as real exports write them: aliases, Traditional characters, units."""

from __future__ import annotations

import pytest

from pfkcli.columns import field_for_header, header_unit, is_weak_header, normalise_header


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("学号/工号", "student_id"), ("用户编号", "student_id"), ("账号", "student_id"), ("会员ID", "student_id"),
        ("user_id", "student_id"), ("userId", "student_id"), ("openid", "student_id"), ("学籍号", "student_id"),
        ("学生学号", "student_id"),
        ("真实姓名", "name"), ("学员名称", "name"), ("用户昵称", "name"), ("微信昵称", "name"), ("用户名", "name"),
        ("班主任老师", "teacher"), ("班主任姓名", "teacher"), ("所属老师", "teacher"), ("归属老师", "teacher"),
        ("跟进人", "teacher"), ("负责人", "teacher"), ("辅导老师", "teacher"), ("学管老师", "teacher"),
        ("课程顾问", "teacher"), ("督学", "teacher"), ("带班老师", "teacher"), ("服务老师", "teacher"),
        ("作业提交数", "homework_done"), ("作业提交次数", "homework_done"), ("提交作业数", "homework_done"),
        ("任务完成数", "homework_done"),
        ("累计观看时长", "hours_watched"), ("视频观看时长", "hours_watched"), ("观看直播时长", "hours_watched"),
        ("累计学习时长", "hours_watched"), ("学习时长", "hours_watched"), ("观看时长（分钟）", "hours_watched"),
        ("学习时长/秒", "hours_watched"),
        ("学习进度", "completion"), ("完课率", "completion"), ("完课率(%)", "completion"),
        ("最后登录时间", "last_active"), ("最后访问时间", "last_active"), ("最近访问时间", "last_active"),
        ("最近活跃时间", "last_active"), ("上次学习时间", "last_active"),
        ("报名日期", "enrolled_on"), ("报名时间", "enrolled_on"), ("入学时间", "enrolled_on"), ("缴费日期", "enrolled_on"),
        ("开通时间", "enrolled_on"), ("购买时间", "enrolled_on"), ("下单时间", "enrolled_on"),
        ("是否续费", "renewal"), ("续费状态", "renewal"), ("续报", "renewal"), ("续费日期", "renewal"),
        ("学员状态", "status"), ("状态", "status"), ("退课", "status"), ("退费状态", "status"), ("學員狀態", "status"),
    ],
)
def test_headers_of_real_exports(header, field):
    assert field_for_header(header) == field


@pytest.mark.parametrize(
    ("traditional", "field"),
    [("學號", "student_id"), ("學員姓名", "name"), ("運營老師", "teacher"), ("班主任老師", "teacher"),
     ("作業完成次數", "homework_done"), ("觀看時長（分鐘）", "hours_watched"), ("最後登錄時間", "last_active"),
     ("學習進度", "completion"), ("報名時間", "enrolled_on"), ("是否續費", "renewal"), ("聯繫電話", "phone"),
     ("備註", None)],
)
def test_traditional_headers_find_the_same_fields(traditional, field):
    assert field_for_header(traditional) == field


def test_folding_keeps_simplified_headers_as_they_are():
    assert normalise_header("观看课时") == "观看课时" and normalise_header("觀看課時") == "观看课时"


@pytest.mark.parametrize(
    ("header", "unit"),
    [("观看时长（分钟）", "minutes"), ("观看时长(min)", "minutes"), ("观看时长/分钟", "minutes"), ("觀看時長（分鐘）", "minutes"),
     ("学习时长（小时）", "hours"), ("学习时长(h)", "hours"), ("学习时长_h", "hours"), ("时长（秒）", "seconds"),
     ("时长(s)", "seconds"), ("完课率(%)", "percent"), ("观看时长", None), ("观看时长（时:分:秒）", None), ("学号（必填）", None)],
)
def test_a_header_names_its_unit(header, unit):
    assert header_unit(header) == unit


def test_nicknames_are_weak_names():
    assert is_weak_header("用户昵称") and is_weak_header("微信昵称")
    assert not is_weak_header("真实姓名") and not is_weak_header("姓名")
    # A header the workspace maps on purpose is never weak.
    assert not is_weak_header("昵称", {"name": "昵称"})
