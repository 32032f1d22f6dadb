"""The columns pfk understands, declared once: field name, Chinese label, kind and header aliases.

Headers are matched after `normalise_header` (full-width to half-width, case, spaces, brackets), so
`学员 ID`, `学员ID（必填）` and `student_id` all find the same field. A `[columns]` table in pfk.toml
maps any other header to a field.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

Kind = Literal["id", "text", "phone", "number", "score", "date", "share"]


@dataclass(frozen=True)
class Field:
    name: str
    label: str  # the Chinese header pfk writes
    kind: Kind
    aliases: tuple[str, ...]


FIELDS: tuple[Field, ...] = (
    Field("student_id", "学号", "id", ("学号", "学员ID", "学员编号", "学生ID", "学生编号", "ID", "用户ID", "student_id", "studentid", "student id", "uid")),
    Field("name", "姓名", "text", ("姓名", "学员姓名", "学生姓名", "学员", "名字", "name", "student name", "student")),
    Field("teacher", "运营老师", "text", ("运营老师", "班主任", "负责老师", "跟进老师", "老师", "运营", "助教", "teacher", "owner")),
    Field("phone", "手机号", "phone", ("手机号", "手机号码", "手机", "联系电话", "电话", "联系方式", "phone", "mobile", "tel")),
    Field("course", "课程", "text", ("课程", "课程名称", "课程名", "班级", "班期", "course", "class")),
    Field("homework_done", "作业完成次数", "number", ("作业完成次数", "作业次数", "已交作业", "作业完成数", "完成作业数", "作业", "homework", "homework_done")),
    Field("hours_watched", "观看课时", "number", ("观看课时", "已学课时", "学习课时", "课时数", "已看课时", "观看时长", "hours", "hours_watched")),
    Field("last_active", "最近学习时间", "date", ("最近学习时间", "最近学习日期", "最后学习时间", "最后学习日期", "最近登录时间", "最后登录", "last_active", "last active", "last study")),
    Field("course_start", "课程开始日期", "date", ("课程开始日期", "开课日期", "开课时间", "开始日期", "课程开始", "start_date", "course_start")),
    Field("course_end", "课程结束日期", "date", ("课程结束日期", "结课日期", "结课时间", "结束日期", "课程结束", "end_date", "course_end")),
    Field("satisfaction", "满意度", "number", ("满意度", "课程满意度", "课程评分", "评分", "星级", "rating", "satisfaction")),
    Field("fast_forward", "快进比例", "share", ("快进比例", "快进占比", "快进率", "fast_forward", "fast forward")),
    Field("p_score", "P", "score", ("P", "积极性", "学习积极性", "学习积极程度", "积极程度", "P分", "P值", "positivity")),
    Field("k_score", "K", "score", ("K", "基础能力", "基础知识能力", "知识能力", "K分", "K值", "knowledge")),
    Field("last_callback", "最近回访日期", "date", ("最近回访日期", "上次回访日期", "回访日期", "最近回访", "last_callback")),
    Field("next_followup", "下次跟进日期", "date", ("下次跟进日期", "下次跟进", "跟进日期", "next_followup")),
    Field("enrolled_on", "报名日期", "date", ("报名日期", "报名时间", "入学时间", "缴费日期", "开通时间", "enrolled_on")),
    Field("renewal", "续费", "text", ("是否续费", "续费状态", "续报", "续费日期", "renewal")),
)

FIELD_BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}

# A roster is unusable without these.
REQUIRED_FIELDS = ("student_id", "name", "teacher")
# Without these F cannot be scored (unless a learning-event log is given).
PROGRESS_FIELDS = ("homework_done", "hours_watched")

_BRACKETS = re.compile(r"[(\[（【].*?[)\]）】]")
_SPACES = re.compile(r"[\s_\-:：*]+")


def normalise_header(text: object) -> str:
    """Fold a header for matching: `学员 ID（必填）` → `学员id`, `Ｐ` → `p`."""
    if text is None:
        return ""
    folded = unicodedata.normalize("NFKC", str(text)).strip().lower()
    folded = _BRACKETS.sub("", folded)
    return _SPACES.sub("", folded)


_ALIAS_INDEX: dict[str, str] = {normalise_header(alias): f.name for f in FIELDS for alias in f.aliases}


def field_for_header(header: object, mapping: dict[str, str] | None = None) -> str | None:
    """The field a header stands for, or None. `mapping` (field → header, from pfk.toml) wins."""
    key = normalise_header(header)
    if not key:
        return None
    if mapping:
        for field_name, mapped_header in mapping.items():
            if normalise_header(mapped_header) == key:
                return field_name
    return _ALIAS_INDEX.get(key)


def aliases_text(field_name: str) -> str:
    return "、".join(FIELD_BY_NAME[field_name].aliases[:6])
