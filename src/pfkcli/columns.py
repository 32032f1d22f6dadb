"""The columns pfk understands, declared once: field name, Chinese label, kind and header aliases.

Headers are matched after `normalise_header` (full-width to half-width, Traditional to Simplified
characters, case, spaces, brackets and a trailing unit), so `学员 ID`, `學員ID（必填）`, `观看时长/分钟`
and `student_id` all find their field. A `[columns]` table in pfk.toml maps any other header to a field.

A header's unit (`观看时长（分钟）`, `学习时长(h)`, `时长（秒）`, `完课率(%)`) is read by `header_unit`:
it decides how the column's numbers are taken (see values.parse_duration).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

# "hours": a duration, in hours unless the header names another unit; "share": 0–1 or a percentage.
Kind = Literal["id", "text", "phone", "number", "hours", "score", "date", "share"]
Unit = Literal["hours", "minutes", "seconds", "percent"]


@dataclass(frozen=True)
class Field:
    name: str
    label: str  # the Chinese header pfk writes
    kind: Kind
    aliases: tuple[str, ...]
    # Headers that name the field only when no header matches `aliases`: a platform's nickname column
    # beside its real-name column is then kept as an ordinary column.
    weak_aliases: tuple[str, ...] = ()


FIELDS: tuple[Field, ...] = (
    Field("student_id", "学号", "id", (
        "学号", "学员ID", "学员编号", "学生ID", "学生编号", "ID", "用户ID", "学号/工号", "工号", "用户编号", "账号",
        "会员ID", "学籍号", "学生学号", "学员学号", "user_id", "userId", "openid", "student_id", "student id", "uid",
    )),
    Field("name", "姓名", "text", (
        "姓名", "学员姓名", "学生姓名", "真实姓名", "学员名称", "学员", "名字", "name", "student name", "student",
    ), weak_aliases=("用户昵称", "昵称", "微信昵称", "用户名", "nickname")),
    Field("teacher", "运营老师", "text", (
        "运营老师", "班主任", "负责老师", "跟进老师", "班主任老师", "班主任姓名", "所属老师", "归属老师", "跟进人",
        "负责人", "辅导老师", "学管老师", "课程顾问", "督学", "带班老师", "服务老师", "老师", "运营", "助教",
        "teacher", "owner",
    )),
    Field("phone", "手机号", "phone", ("手机号", "手机号码", "手机", "联系电话", "电话", "联系方式", "phone", "mobile", "tel")),
    Field("course", "课程", "text", ("课程", "课程名称", "课程名", "班级", "班期", "course", "class")),
    Field("homework_done", "作业完成次数", "number", (
        "作业完成次数", "作业次数", "已交作业", "作业完成数", "完成作业数", "作业提交数", "作业提交次数", "提交作业数",
        "提交作业次数", "任务完成数", "作业", "homework", "homework_done",
    )),
    Field("hours_watched", "观看课时", "hours", (
        "观看课时", "已学课时", "学习课时", "课时数", "已看课时", "观看时长", "累计观看时长", "视频观看时长",
        "观看直播时长", "直播观看时长", "累计学习时长", "学习时长", "hours", "hours_watched",
    )),
    # Where a platform gives only a share of the course watched: roster.py fills hours_watched from it.
    Field("completion", "学习进度", "share", (
        "学习进度", "完课率", "课程进度", "完课进度", "观看进度", "完成进度", "completion", "progress",
    )),
    Field("last_active", "最近学习时间", "date", (
        "最近学习时间", "最近学习日期", "最后学习时间", "最后学习日期", "上次学习时间", "最近登录时间", "最后登录时间",
        "最后登录", "最后访问时间", "最近访问时间", "最近活跃时间", "最后活跃时间", "last_active", "last active", "last study",
    )),
    Field("course_start", "课程开始日期", "date", ("课程开始日期", "开课日期", "开课时间", "开始日期", "课程开始", "start_date", "course_start")),
    Field("course_end", "课程结束日期", "date", ("课程结束日期", "结课日期", "结课时间", "结束日期", "课程结束", "end_date", "course_end")),
    Field("enrolled_on", "报名日期", "date", (
        "报名日期", "报名时间", "入学时间", "缴费日期", "开通时间", "购买时间", "下单时间", "enrolled_on", "enrolled",
    )),
    # Kept as typed (是/否, 已续费, a date …): what counts as renewed is decided where it is used.
    Field("renewal", "续费", "text", ("是否续费", "续费状态", "续报", "续费日期", "续费", "renewal")),
    # Kept as typed (在读, 已退费, 休学 …): outcomes.LEFT_WORDS decides which words mean the student left.
    Field("status", "学员状态", "text", (
        "学员状态", "学生状态", "学籍状态", "在读状态", "状态", "退课", "是否退课", "退课状态", "退费", "是否退费", "退费状态",
        "status",
    )),
    # Homework or test scores as the platform exports them (0–100, 0–10 or 0–5: risk.score_shares reads the scale).
    Field("homework_score", "作业成绩", "number", (
        "作业成绩", "作业得分", "作业平均分", "作业分数", "测验得分", "测验成绩", "测验分数", "测试得分", "测试成绩",
        "平均分", "考试成绩", "考试得分", "成绩", "得分", "score", "grade", "homework_score",
    )),
    Field("satisfaction", "满意度", "number", ("满意度", "课程满意度", "课程评分", "评分", "星级", "rating", "satisfaction")),
    Field("fast_forward", "快进比例", "share", ("快进比例", "快进占比", "快进率", "fast_forward", "fast forward")),
    Field("p_score", "P", "score", ("P", "积极性", "学习积极性", "学习积极程度", "积极程度", "P分", "P值", "positivity")),
    Field("k_score", "K", "score", ("K", "基础能力", "基础知识能力", "知识能力", "K分", "K值", "knowledge")),
    Field("last_callback", "最近回访日期", "date", ("最近回访日期", "上次回访日期", "回访日期", "最近回访", "last_callback")),
    Field("next_followup", "下次跟进日期", "date", ("下次跟进日期", "下次跟进", "跟进日期", "next_followup")),
)

FIELD_BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}

# A roster is unusable without these.
REQUIRED_FIELDS = ("student_id", "name", "teacher")
# Without these F cannot be scored (unless a learning-event log is given); `completion` stands in
# for hours_watched.
PROGRESS_FIELDS = ("homework_done", "hours_watched")

# Traditional → Simplified for the characters of the alias tables (here and in events.py), so that an
# export from a Taiwan or Hong Kong platform (學號, 運營老師, 觀看時長) finds the same fields. Kept by
# hand: a converter library would be a dependency for a few dozen characters.
_TRADITIONAL = (
    "學號員編碼戶賬帳會稱暱實倫與師運營負責課顧問導帶務輔進屬歸擔話電聯絡機開結時間長觀視頻錄據總數計"
    "達續費購買訂單繳報註冊後極積礎識訪覽離線為應對類動聽題業級歷狀態備資訊點擊價評滿複貫條項幣額習發記躍鐘鍾繫係")
_SIMPLIFIED = (
    "学号员编码户账帐会称昵实伦与师运营负责课顾问导带务辅进属归担话电联络机开结时间长观视频录据总数计"
    "达续费购买订单缴报注册后极积础识访览离线为应对类动听题业级历状态备资讯点击价评满复贯条项币额习发记跃钟钟系系")
_FOLD = str.maketrans(_TRADITIONAL, _SIMPLIFIED)

_BRACKETS = re.compile(r"[(\[（【](.*?)[)\]）】]")
_SPACES = re.compile(r"[\s_\-:：*]+")
_UNIT_WORDS: dict[str, Unit] = {
    **dict.fromkeys(("小时", "时", "h", "hr", "hrs", "hour", "hours", "课时"), "hours"),
    **dict.fromkeys(("分钟", "分", "min", "mins", "minute", "minutes", "m"), "minutes"),
    **dict.fromkeys(("秒", "秒钟", "s", "sec", "secs", "second", "seconds"), "seconds"),
    **dict.fromkeys(("%", "百分比", "百分数"), "percent"),
}
# `观看时长/分钟`, `学习时长_min`, `观看时长-小时`: a unit after a separator at the end of the header.
_UNIT_SUFFIX = re.compile(r"\s*[/_\-|｜]\s*(" + "|".join(sorted(map(re.escape, _UNIT_WORDS), key=len, reverse=True)) + r")\s*$")


def fold(text: object) -> str:
    """NFKC (full-width → half-width), lower case and Traditional → Simplified: `學號（ＩＤ）` → `学号(id)`."""
    return unicodedata.normalize("NFKC", str(text)).strip().lower().translate(_FOLD)


def normalise_header(text: object) -> str:
    """Fold a header for matching: `学员 ID（必填）` → `学员id`, `Ｐ` → `p`, `觀看時長/分钟` → `观看时长`."""
    if text is None:
        return ""
    folded = _UNIT_SUFFIX.sub("", fold(text))
    folded = _BRACKETS.sub("", folded)
    return _SPACES.sub("", folded)


def header_unit(text: object) -> Unit | None:
    """The unit a header names, if any: `观看时长（分钟）` → "minutes", `学习时长(h)` → "hours",
    `时长/秒` → "seconds", `完课率(%)` → "percent". `观看时长（时:分:秒）` names a format, not a unit: None."""
    if text is None:
        return None
    folded = fold(text)
    candidates = [inner.strip() for inner in _BRACKETS.findall(folded)]
    suffix = _UNIT_SUFFIX.search(folded)
    if suffix:
        candidates.append(suffix.group(1))
    for candidate in candidates:
        unit = _UNIT_WORDS.get(candidate.replace(" ", ""))
        if unit:
            return unit
    return None


def _index(aliases_of) -> dict[str, str]:
    return {normalise_header(alias): f.name for f in FIELDS for alias in aliases_of(f)}


_ALIAS_INDEX: dict[str, str] = _index(lambda f: f.aliases)
_WEAK_INDEX: dict[str, str] = _index(lambda f: f.weak_aliases)


def field_for_header(header: object, mapping: dict[str, str] | None = None) -> str | None:
    """The field a header stands for, or None. `mapping` (field → header, from pfk.toml) wins.
    A weak alias (a nickname for the name) is given too: `header_strength` tells it apart."""
    key = normalise_header(header)
    if not key:
        return None
    if mapping:
        for field_name, mapped_header in mapping.items():
            if normalise_header(mapped_header) == key:
                return field_name
    return _ALIAS_INDEX.get(key) or _WEAK_INDEX.get(key)


def is_weak_header(header: object, mapping: dict[str, str] | None = None) -> bool:
    """True when `header` names its field only through a weak alias (`用户昵称` for the name)."""
    key = normalise_header(header)
    if mapping and any(normalise_header(h) == key for h in mapping.values()):
        return False
    return key not in _ALIAS_INDEX and key in _WEAK_INDEX


def aliases_text(field_name: str) -> str:
    return "、".join(FIELD_BY_NAME[field_name].aliases[:6])
