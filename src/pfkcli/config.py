"""Workspace settings (pfk.toml): the defaults live here once, as pydantic models.

`CONFIG_TEMPLATE` is what `pfk init` writes: the same defaults, with a comment on each.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator, model_validator

from .columns import FIELD_BY_NAME
from .errors import ConfigError


class _Section(BaseModel):
    # inf and nan are no setting (`hours_total = inf` made every F zero).
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_true_for_a_number(cls, value, info):
        """`calls_per_week = true` is no number, though Python counts True as 1."""
        if isinstance(value, bool) and _is_number(cls.model_fields[info.field_name].annotation):
            raise ValueError("应为数字（true/false 不是数字）")
        return value


def _is_number(annotation) -> bool:
    import typing

    kinds = typing.get_args(annotation) or (annotation,)
    return any(kind in (int, float) for kind in kinds) and bool not in kinds


class Release(_Section):
    """By `date`, the course has released `homework` assignments and `hours` hours in all."""

    date: dt.date
    homework: float = Field(ge=0)
    hours: float = Field(ge=0)


class Course(_Section):
    homework_total: float = Field(11, gt=0)
    hours_total: float = Field(76, gt=0)
    start: dt.date | None = None
    end: dt.date | None = None
    releases: list[Release] = []
    # Days between what the course asks of a student (risk.py): blank, a week — or, where the platform
    # logs homework only, the days between two assignments. Never less than [alerts] inactive_days.
    rhythm_days: float | None = Field(None, gt=0)


class Thresholds(_Section):
    p_rule: Literal["fixed", "mean", "median"] = "fixed"
    p_cut: float = 4
    k_rule: Literal["fixed", "mean", "median"] = "fixed"
    k_cut: float = 4
    f_rule: Literal["pace", "fixed", "mean", "median"] = "pace"
    f_cut: float = 1.0
    pace_share: float = Field(0.8, gt=0, le=1)
    pace_grace_days: int = Field(7, ge=0)


class Callbacks(_Section):
    cadence_days: int = Field(14, ge=1)


class Alerts(_Section):
    inactive_days: int = Field(7, ge=1)
    behind_pace_share: float = Field(0.5, gt=0, le=1)
    low_satisfaction_below: float = 3
    fast_forward_share: float = Field(0.5, gt=0, le=1)


class Plan(_Section):
    """What a week of calls holds (see plan.py)."""

    calls_per_week: int = Field(40, ge=1)
    first_contact_days: int = Field(1, ge=0)
    after_end_days: int = Field(14, ge=0)
    rescore_after_days: int = Field(60, ge=1)
    unreachable_after: int = Field(3, ge=1)
    # Renewal calls take at most this share of a week's places (the last stage, three days before the
    # end and after it, excepted): the month before the end must not crowd out the students slipping now.
    renewal_share: float = Field(0.4, ge=0, le=1)
    # The holdout comparison (holdout.py): off at 0. At most half: the rest must still be called.
    holdout_share: float = Field(0, ge=0, le=0.5)
    holdout_weeks: int = Field(4, ge=1, le=26)
    holdout_seed: str = ""  # blank: drawn at random once and kept in the history


class Messages(_Section):
    """What `pfk messages` drafts a day (scenes.py)."""

    # Renewal drafts (the three stages together) a teacher gets a day, in the plan's order; the rest
    # come on the following days. A renewal message opens a conversation to follow up, and a teacher
    # holds about ten such a day beside her calls (40 a week, 8 a day).
    renewal_per_day: int = Field(10, ge=1)


class Teacher(_Section):
    """One operations teacher (`[teachers."张老师"]`): how many students she holds, and whether she
    takes students now (false while she is leaving or on leave)."""

    capacity: int | None = Field(None, ge=0)  # None: [assign] default_capacity
    active: bool = True


class Assign(_Section):
    # Students a teacher holds when pfk.toml does not list her: what the default plan calls on time
    # (40 calls a week, each student every 14 days = 80), inside the 12–300 real teams hold.
    default_capacity: int = Field(80, ge=1)


class Pool(_Section):
    """The public pool (公海, pool.py)."""

    # No longer used: a paying student in a running course who stopped learning is the plan's most
    # urgent call, never nobody's (issue 27). Kept so that older pfk.toml files still load.
    inactive_days: int = Field(30, ge=1)


# The signals of the risk estimate (risk.py), in the order its tables show them.
RISK_SIGNALS = ("behind", "growing", "missed", "never_started", "low_score", "unhappy", "unreached", "low_p", "low_k")


class Risk(_Section):
    """The risk estimate's weights (risk.py): log-odds of dropping out or failing. README › This
    week's plan gives the evidence behind each default; `pfk risk fit` fits them to finished cohorts."""

    intercept: float = -2.5
    behind: float = 3.0
    growing: float = 1.0
    missed: float = 0.9
    never_started: float = 1.5
    low_score: float = 1.5
    unhappy: float = 1.0
    unreached: float = 0.8
    low_p: float = 1.2
    low_k: float = 0.3
    # From this chance on a student is due for a call for the risk alone.
    at_risk: float = Field(0.2, gt=0, lt=1)

    def weights(self) -> dict[str, float]:
        return {name: float(getattr(self, name)) for name in RISK_SIGNALS}


ScaleLevel = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=60, pattern=r"^[^：:]{1,6}[：:].+$")]


class Scale(_Section):
    """What each score means, 1 to 5, one line each as `短名：说明` — shared by the whole team so two
    teachers score the same student alike. Shown in the call sheet's drop-down, the P and K cells'
    input message and its 说明 sheet."""

    p: list[ScaleLevel] = Field(
        default=[
            "抵触：不愿意学，电话也不太配合",
            "消极：很少学，要反复催才动一动",
            "一般：想学但不主动，时学时停",
            "积极：按计划学，作业按时交",
            "很积极：主动学，常提问、愿意分享",
        ],
        min_length=5,
        max_length=5,
    )
    k: list[ScaleLevel] = Field(
        default=[
            "零基础：没接触过相关内容，概念要从头讲",
            "较弱：知道些概念，讲深一点就跟不上",
            "一般：课能听懂，作业常要人帮",
            "较好：内容基本掌握，作业能独立完成",
            "很强：有相关经验，能举一反三、追问深处",
        ],
        min_length=5,
        max_length=5,
    )

    def choices(self, axis: str) -> list[str]:
        """The drop-down of one axis: `1 抵触` … `5 很积极` (the number first, so it reads back as the score)."""
        return [f"{number} {level.split('：', 1)[0].split(':', 1)[0]}" for number, level in enumerate(getattr(self, axis), 1)]

    def lines(self, axis: str) -> list[str]:
        """`1 抵触：不愿意学…` for each level of one axis."""
        return [f"{number} {level}" for number, level in enumerate(getattr(self, axis), 1)]


class Config(_Section):
    course: Course = Course()
    # Courses with settings of their own, by the name in the roster's 课程 column; a key left out
    # takes [course]'s value.
    courses: dict[str, Course] = {}
    thresholds: Thresholds = Thresholds()
    callbacks: Callbacks = Callbacks()
    plan: Plan = Plan()
    scale: Scale = Scale()
    alerts: Alerts = Alerts()
    columns: dict[str, str] = {}
    # The team, by name as the roster writes it; a teacher found in the roster but not listed here
    # is active with [assign] default_capacity.
    teachers: dict[str, Teacher] = {}
    assign: Assign = Assign()
    pool: Pool = Pool()
    risk: Risk = Risk()
    messages: Messages = Messages()

    @model_validator(mode="before")
    @classmethod
    def _courses_inherit(cls, data):
        if isinstance(data, dict) and isinstance(data.get("courses"), dict):
            base = data.get("course") or {}
            if isinstance(base, dict):
                data = {**data, "courses": {name: {**base, **(own or {})} if isinstance(own, dict) else own
                                            for name, own in data["courses"].items()}}
        return data

    def course_for(self, name: str) -> Course:
        """The settings of the course named `name` in the roster ("" or an unlisted name: [course])."""
        return self.courses.get(name, self.course)

    def teacher(self, name: str) -> Teacher:
        """The settings of the teacher `name`, her capacity filled in ([assign] default_capacity when not set)."""
        own = self.teachers.get(name, Teacher())
        return own if own.capacity is not None else own.model_copy(update={"capacity": self.assign.default_capacity})

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, columns: dict[str, str]) -> dict[str, str]:
        unknown = [name for name in columns if name not in FIELD_BY_NAME]
        if unknown:
            known = "、".join(FIELD_BY_NAME)
            raise ValueError(f"未知字段 {'、'.join(unknown)}；可用的字段：{known}")
        return columns


# pfk.toml is a few KB; a file far larger is something else saved under its name.
MAX_CONFIG_BYTES = 1024**2
_TOO_DEEP = "内容嵌套的层数太多（几千层的 [ 或 {），不像 pfk 的设置文件；请检查后改回「名称 = 值」的形式"


def load_config(path: Path | None) -> Config:
    """Read pfk.toml; with no file, the built-in defaults."""
    if path is None or not path.exists():
        return Config()
    if path.stat().st_size > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: 文件超过 {MAX_CONFIG_BYTES // 1024**2} MB，不像 pfk 的设置文件（通常只有几 KB）；请检查后删掉多余的内容")
    try:
        # utf-8-sig: Windows Notepad offers "UTF-8 with BOM", which TOML itself does not allow.
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except RecursionError as exc:
        raise ConfigError(f"{path}: {_TOO_DEEP}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: 不是 UTF-8 编码的文本，请用 UTF-8 另存", detail=str(exc)) from exc
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"line (\d+), column (\d+)", str(exc))
        at = f"第 {where.group(1)} 行第 {where.group(2)} 列：" if where else ""
        raise ConfigError(f"{path}: {at}写法不对（应是「名称 = 值」，文字加引号，每个 [段落] 只写一次）", detail=str(exc)) from exc
    try:
        return Config.model_validate(data)
    except RecursionError as exc:
        raise ConfigError(f"{path}: {_TOO_DEEP}") from exc
    except ValidationError as exc:
        lines = [f"{path}: {'.'.join(str(p) for p in err['loc'])}: {_message(err)}" for err in exc.errors()]
        raise ConfigError("\n".join(lines), detail=str(exc)) from exc


def _message(error: dict) -> str:
    """A setting's problem in Chinese (pydantic's own words go to --debug only)."""
    kind, ctx = error["type"], error.get("ctx") or {}
    limits = {"greater_than_equal": "≥", "greater_than": ">", "less_than_equal": "≤", "less_than": "<"}
    if kind in limits:
        bound = next(iter(v for k, v in ctx.items() if k in ("ge", "gt", "le", "lt")), "")
        return f"应 {limits[kind]} {bound}"
    if kind == "extra_forbidden":
        return "不认识的设置项（拼写错了？）"
    if kind in ("int_parsing", "int_from_float", "float_parsing", "int_type", "float_type"):
        return "应为数字"
    if kind == "finite_number":
        return "应为有限的数字（不能是 inf 或 nan）"
    if kind.startswith("date"):
        return "应为日期，如 2026-11-23"
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return f"只能是 {'、'.join(choices)} 之一"
    if kind in ("string_pattern_mismatch", "string_too_short", "string_too_long"):
        return "每一项应写成「短名：说明」，短名最多 6 个字"
    if kind in ("too_short", "too_long"):
        return "应正好有 5 项（1 到 5 分各一句）"
    if kind in ("string_type", "list_type", "dict_type", "model_type"):
        return {"string_type": "应为文字（加引号）", "list_type": "应为列表 [\"…\", \"…\"]"}.get(kind, "应为一段设置")
    if kind == "value_error":
        return str(ctx.get("error", "写法不对"))
    return "写法不对"


CONFIG_TEMPLATE = """\
# pfk 工作区设置。改完提交到 git，全组共用。
# 说明见 README；删掉某一项就用内置默认值。

[course]
# F（课程跟随进度）= 已交作业数 / homework_total + 已看课时 / hours_total，满分 2。
homework_total = 11
hours_total = 76
# 课程开始、结束日期。名单里有「课程开始日期」「课程结束日期」列时以名单为准。
# 有日期时，F 与「到今天为止课程已放出的进度」比较；都没有时，与全体学员 F 的平均值比较。
# start = 2026-10-08
# end = 2026-12-17
# 学习节奏（天）：超过这么久没学习算「没跟上节奏」。不写时：平台只记作业的课程按两次作业的间隔算，其余按 7 天。
# rhythm_days = 7
# 可选：放课计划（到某天为止累计放出的作业数和课时），比按天均摊更准。
# [[course.releases]]
# date = 2026-10-15
# homework = 1
# hours = 7

# 不止一门课时：按名单「课程」列的名称，每门课写一段；没写的项沿用上面 [course] 的值。
# [courses."Python 入门"]
# homework_total = 20
# hours_total = 40
# start = 2026-11-01
# end = 2026-12-31

[thresholds]
# P、K 的高低：fixed 固定分数线（默认 4，>= 4 为高 L），也可设 mean / median（按全体均值或中位数，>= 为高）。
p_rule = "fixed"
p_cut = 4
k_rule = "fixed"
k_cut = 4
# F 的高低：pace 按进度（F >= pace_share × 应达进度为高）；fixed 用 f_cut；mean / median 按全体。
f_rule = "pace"
pace_share = 0.8
f_cut = 1.0
# 开课后这么多天内不判断进度落后（放出的内容太少，看不出来）。
pace_grace_days = 7

[callbacks]
# 距上次回访超过这么多天，就该再打一次（短期班可设大些，长期班每月一次约 30 天）。
cadence_days = 14

[plan]
# 每位老师每周的回访表最多列多少人（按优先级排，其余顺延到下周）。
calls_per_week = 40
# 报名后多少天内、还没联系过的新学员排在最前面（24 小时内首次联系）。
first_contact_days = 1
# 结课后还做多少天的续费跟进；之后只打约好的跟进电话。
after_end_days = 14
# P、K 分数超过这么多天没更新，就安排重新打分。
rescore_after_days = 60
# 连续这么多次没接通，标为「联系不上」（再不通就进公海；答应过的跟进、没解决的投诉除外）。
unreachable_after = 3
# 续费电话最多占每周名额的这个比例（结课前 3 天和结课后除外）：一个月的续费期不能挤掉正在掉队的学员。
renewal_share = 0.4
# 留出对照（默认 0，关闭）：只因「例行回访」该打的学员，随机留出这个比例（如 0.2），holdout_weeks 周内
# 不安排例行回访；pfk report 的「留出对照」拿他们和照常回访的同分层学员比，看回访到底有没有用。
# 新学员、投诉、约定跟进、待回访、严重预警、续费阶段的学员从不留出；留出的学员有了这些情况照常上表。
holdout_share = 0
holdout_weeks = 4
# 抽签的种子：空着时第一次抽签随机生成并记在历史库里；写一段文字，抽签结果可以复现。
holdout_seed = ""

[risk]
# 流失风险（退课或学不完的概率）的权重：对数几率 = intercept + Σ 权重 × 信号。依据见 README「This week's plan」；
# 有了已结课的几期学员后，运行 pfk risk fit 用本组自己的数据拟合，把它打印的这一段换进来。
intercept = -2.5
behind = 3.0          # 落后：课程已放出的内容里没完成的比例
growing = 1.0         # 上次快照以来放出的内容没跟上的比例
missed = 0.9          # 超过课程节奏没学习（每多一个节奏）
never_started = 1.5   # 开课或报名后一直没开始学
low_score = 1.5       # 作业、测验成绩低于满分的 60%
unhappy = 1.0         # 满意度低于 3 星
unreached = 0.8       # 连续没接通
low_p = 1.2           # 积极性 P 偏低
low_k = 0.3           # 基础 K 偏弱
# 流失风险到这个比例，就为风险本身安排回访。
at_risk = 0.2

[scale]
# P、K 每一分的含义（「短名：说明」），回访表的下拉框和说明页都用它；全组打分标准一致。
p = ["抵触：不愿意学，电话也不太配合", "消极：很少学，要反复催才动一动", "一般：想学但不主动，时学时停", "积极：按计划学，作业按时交", "很积极：主动学，常提问、愿意分享"]
k = ["零基础：没接触过相关内容，概念要从头讲", "较弱：知道些概念，讲深一点就跟不上", "一般：课能听懂，作业常要人帮", "较好：内容基本掌握，作业能独立完成", "很强：有相关经验，能举一反三、追问深处"]

[alerts]
# 连续多少天没有学习记录就预警。
inactive_days = 7
# F 低于应达进度的这个比例，算严重落后。
behind_pace_share = 0.5
# 满意度低于几星算不满意（连续两次才预警）。
low_satisfaction_below = 3
# 快进比例超过多少预警。
fast_forward_share = 0.5

[messages]
# 每位老师每天最多起草多少条续费消息（续费30天、7天、3天合计）：续费消息之后要跟进聊，一天聊不了太多。
# 多出的按回访计划的先后顺延到后面几天（还没联系上的学员一直在续费阶段里，第二天照样起草）。
renewal_per_day = 10

[assign]
# pfk.toml 里没有列出的老师，每人最多带多少学员。80 = 每周 40 个电话 × 每 14 天回访一轮。
default_capacity = 80

# 运营老师：capacity 是最多带多少学员，active = false 表示离职或休假（不再分给她学员，
# pfk assign 会把她的学员分给在职的老师）。名字要和名单里的运营老师一致。
# [teachers."张老师"]
# capacity = 120
# active = true
# [teachers."王老师"]
# capacity = 80
# active = false

[pool]
# 公海（pfk pool）只收联系不上的学员（连续 [plan] unreachable_after 次没接通）和结课超过 after_end_days 天
# 仍未续费的学员；在课期间不学习的学员不进公海，而是回访表上最要紧的电话。下面这一项已不再使用，留着只为旧文件能读。
inactive_days = 30

[columns]
# 名单里的列名认不出来时，在这里指定：字段 = "你的列名"。
# student_id = "学员编码"
# teacher = "服务老师"
"""
