"""Message scenes (SPEC §11): when a WeChat message is due, declared once.

Each scene has its rule — the alert rule or plan reason it reuses, so that one rule lives in one
place —, the facts (template placeholders) its texts build on, and a window: a student messaged for a
scene (a touch recorded from a messages sheet) is not offered that scene again within it.

| scene | applies when | window |
| --- | --- | --- |
| 通话跟进 | reached in the last REACHED_DAYS (3) days, calls recorded up to now included | once per call |
| 首次联系 | the plan's first_contact: enrolled within [plan] first_contact_days, never called | once |
| 满意度低 | the alert low_satisfaction | 14 days |
| 转下期 | never started (no homework, no hours), from 30 days before the end to [plan] after_end_days after it | the course's last 30 days |
| 续费3天 / 续费7天 / 续费30天 | the alerts renewal_3d / _7d / _30d; at most [messages] renewal_per_day a teacher a day | the stage (from 3 / 7 / 30 days before the end) |
| 连续未学习关怀 | the alert inactive | 7 days |
| 进度督促 | the alert behind_pace | 7 days |
| 结课祝贺 | the course ended 1–CONGRATULATE_DAYS (3) days ago | once per course end |

Drafts are true to the day: a student reached in the last REACHED_DAYS days gets only the scenes that
do not ask for the talk just held (通话跟进, 结课祝贺: `Scene.after_call`), and a student who never
started gets no renewal pitch and no congratulations (`Scene.never_started`).

The order of `SCENES` is their precedence: a student several scenes apply to gets one draft, for
the first of them (one message a day, the most pressing), unless a scene is asked for by name.

Renewal by persona (seed 003): in a renewal stage a student may get a variant group of its own, looked
up before the stage's plain texts (`template_keys`): 落后 for one who has done less than half (no
praise: help to finish first; also 结课祝贺·落后), 优惠 for a hesitant student, 新课 for one about to
finish everything, 进阶 for a strong one (`PERSONAS`, first match wins).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from .alert_rules import RENEWAL_STAGES, RULE_BY_CODE, AlertContext, alert_masks, alert_texts
from .config import Config
from .frames import days_between
from .plan import due_reasons
from .texts import day_text, join, series, where

# Days after a course's end in which the congratulations are due.
CONGRATULATE_DAYS = 3
# A call reached this many days ago or less (today included) is fresh: the drafts know it was held.
REACHED_DAYS = 3
# 转下期 from this many days before the end (the renewal window): until then a student who never
# started can still begin, and 连续未学习关怀 says so.
NEXT_COHORT_FROM_DAYS = 30


@dataclass
class SceneInputs:
    """What the scene rules read: the context, and the alert masks and plan reasons worked out once."""

    ctx: AlertContext
    alerts: dict  # alert_rules.alert_masks
    reasons: dict  # plan.due_reasons


@dataclass(frozen=True)
class Scene:
    name: str  # as the playbooks key its texts, the sheet's 场景 column shows it and --scene takes it
    rule: Callable[[Config], str]  # when it applies, one line with the settings in force (说明 sheet)
    facts: tuple[str, ...]  # the placeholders its texts build on
    window: str  # how long it is not offered again after a touch, one line
    applies: Callable[[SceneInputs], object]  # bool Series on the frame's index
    # The first day a touch of this scene holds it back, per student (NaT: a touch ever holds it back).
    window_start: Callable[[SceneInputs], object]
    why: Callable[[AlertContext], object]  # the 原因 text, a text Series on the frame's index
    # Drafted for a student reached in the last REACHED_DAYS days: only a scene that does not ask for
    # the talk just held (通话跟进, 结课祝贺); the others wait until the call is no longer fresh.
    after_call: bool = False
    # Drafted for a student who never started: 转下期 and the scenes that lead to it; never a renewal
    # pitch or congratulations on finishing.
    never_started: bool = True


def _alert(code: str):
    return lambda inputs: inputs.alerts[code]


def _alert_why(code: str):
    return lambda ctx: alert_texts(ctx, [code])


def _days_back(days: int):
    """A touch within the last `days` days (today included) holds the scene back."""

    def start(inputs: SceneInputs):
        import pandas as pd

        return pd.Series(pd.Timestamp(inputs.ctx.as_of - dt.timedelta(days=days - 1)), index=inputs.ctx.frame.index)

    return start


def _ever(inputs: SceneInputs):
    import pandas as pd

    return pd.Series(pd.NaT, index=inputs.ctx.frame.index, dtype="datetime64[ns]")


def _before_end(days: int):
    """From `days` days before the course end: a renewal stage."""

    def start(inputs: SceneInputs):
        import pandas as pd

        return inputs.ctx.courses["end"] - pd.Timedelta(days=days)

    return start


def _first_contact_why(ctx: AlertContext):
    frame = ctx.frame
    enrolled = join("新学员：", day_text(frame["enrolled_on"]), " 报名，还没有联系过")
    return series(where(frame["enrolled_on"].notna(), enrolled, "新学员，还没有联系过"), frame.index)


def _course_ended(inputs: SceneInputs):
    days = inputs.ctx.days_left
    return (days < 0) & (days >= -CONGRATULATE_DAYS)


def _course_ended_why(ctx: AlertContext):
    import pyarrow as pa

    ago = pa.array((-ctx.days_left).where(ctx.days_left < 0, 0).fillna(0).astype("int64")).cast(pa.string())
    return series(join("课程已于 ", day_text(ctx.courses["end"]), " 结束（", ago, " 天前）"), ctx.frame.index)


def _course_end(inputs: SceneInputs):
    return inputs.ctx.courses["end"]


def reached_recently(ctx: AlertContext):
    """Who was reached in the last REACHED_DAYS days, calls recorded up to now included (bool Series)."""
    days = days_between(ctx.as_of, ctx.callbacks["last_called"])
    return ((days >= 0) & (days < REACHED_DAYS)).fillna(False).astype(bool)


def never_started(ctx: AlertContext):
    """Who has not begun the course: no homework and no hours (blank or 0), once the course has run
    its first week ([thresholds] pace_grace_days), not renewed."""
    from .model import renewed

    frame = ctx.frame
    nothing = frame["homework_done"].fillna(0).le(0) & frame["hours_watched"].fillna(0).le(0)
    begun = days_between(ctx.as_of, ctx.courses["start"]) >= ctx.config.thresholds.pace_grace_days
    return (nothing & begun.fillna(False) & ~renewed(frame)).astype(bool)


def _after_call(inputs: SceneInputs):
    return reached_recently(inputs.ctx)


def _after_call_why(ctx: AlertContext):
    return series(join("刚接通过（", day_text(ctx.callbacks["last_called"]), "）：发一条跟进，确认电话里约好的事"), ctx.frame.index)


def _last_call(inputs: SceneInputs):
    """A touch on or after the newest reached call's day holds the follow-up back: one per call."""
    return inputs.ctx.callbacks["last_called"].dt.normalize()


def _next_cohort(inputs: SceneInputs):
    ctx = inputs.ctx
    days = ctx.days_left
    window = (days <= NEXT_COHORT_FROM_DAYS) & (days >= -ctx.config.plan.after_end_days)
    return never_started(ctx) & window.fillna(False)


def _next_cohort_start(inputs: SceneInputs):
    import pandas as pd

    return inputs.ctx.courses["end"] - pd.Timedelta(days=NEXT_COHORT_FROM_DAYS)


def _next_cohort_why(ctx: AlertContext):
    ended = join("一直没开始学，课程 ", day_text(ctx.courses["end"]), " 结课：建议转到下一期从头学，不谈续费")
    return series(ended, ctx.frame.index)


_RENEWAL_SCENES = {"续费30天": "renewal_30d", "续费7天": "renewal_7d", "续费3天": "renewal_3d"}


def _renewal_scene(name: str, code: str) -> Scene:
    first, last = RENEWAL_STAGES[code]
    return Scene(
        name, lambda config: f"预警「{RULE_BY_CODE[code].label}」：距课程结束 {last}–{first} 天，本阶段还没有接通的回访，未续费；"
        f"每位老师每天最多 {config.messages.renewal_per_day} 条（三个阶段合计），其余按回访计划的先后顺延",
        ("姓名", "距结课天数", "结课日期", "已交作业", "作业总数", "剩余作业", "进度"), f"本阶段（结课前 {first} 天起）发过就不再起草",
        _alert(code), _before_end(first), _alert_why(code), never_started=False,
    )


SCENES: tuple[Scene, ...] = (
    Scene(
        "通话跟进", lambda config: f"{REACHED_DAYS} 天内（今天算一天）刚接通过：发一条简短的跟进，确认电话里约好的事；不再问这次已经聊过的",
        ("姓名", "老师", "通话日", "下次跟进"), "同一次通话发过就不再起草", _after_call, _last_call, _after_call_why, after_call=True,
    ),
    Scene(
        "首次联系", lambda config: f"新学员：报名不超过 {config.plan.first_contact_days} 天，从未回访（与回访计划的「新学员首次联系」同一条规则）",
        ("姓名", "老师", "课程"), "发过就不再起草", lambda inputs: inputs.reasons["first_contact"], _ever, _first_contact_why,
    ),
    Scene(
        "满意度低", lambda config: f"预警「满意度低」：满意度低于 {config.alerts.low_satisfaction_below:g} 星（有历史评分时须连续两次）",
        ("姓名", "满意度", "上次回访"), "发过后 14 天内不再起草", _alert("low_satisfaction"), _days_back(14), _alert_why("low_satisfaction"),
    ),
    Scene(
        "转下期", lambda config: f"一直没开始学（没交作业、没看课），课程结束前 {NEXT_COHORT_FROM_DAYS} 天到结课后 {config.plan.after_end_days} 天：建议转到下一期，不发续费",
        ("姓名", "课程", "结课日期"), "本期（结课前 30 天起）发过就不再起草", _next_cohort, _next_cohort_start, _next_cohort_why,
    ),
    *(_renewal_scene(name, code) for name, code in reversed(_RENEWAL_SCENES.items())),
    Scene(
        "连续未学习关怀", lambda config: f"预警「连续未学习」：连续 {config.alerts.inactive_days} 天以上没有学习记录",
        ("姓名", "未学习天数", "最近学习", "已交作业"), "发过后 7 天内不再起草", _alert("inactive"), _days_back(7), _alert_why("inactive"),
    ),
    Scene(
        "进度督促", lambda config: f"预警「进度严重落后」：F 不到按进度应达的 {config.alerts.behind_pace_share:.0%}",
        ("姓名", "进度", "应达进度", "已交作业", "作业总数"), "发过后 7 天内不再起草", _alert("behind_pace"), _days_back(7), _alert_why("behind_pace"),
    ),
    Scene(
        "结课祝贺", lambda config: f"课程结束后 1–{CONGRATULATE_DAYS} 天（没学完一半的学员用「结课祝贺·落后」的话术，不夸）",
        ("姓名", "结课日期", "已交作业", "已学课时", "进度", "剩余作业"), "同一次结课发过就不再起草", _course_ended, _course_end, _course_ended_why,
        after_call=True, never_started=False,
    ),
)
SCENE_BY_NAME = {scene.name: scene for scene in SCENES}
RENEWAL_SCENES = tuple(_RENEWAL_SCENES)


@dataclass(frozen=True)
class Persona:
    name: str  # the suffix of a variant group: 续费7天·优惠, or 续费·优惠 for every stage
    offer: str  # what such a student is offered
    rule: str  # how pfk reads it, one line


# Words in the newest callback's note that show a student hesitating over renewal (or its price).
HESITANT_WORDS = ("犹豫", "考虑", "再说", "再看看", "太贵", "有点贵", "价格", "预算", "没钱", "优惠")
HESITANT_P = 2  # a positivity score at or below this reads as hesitant too
FINISHING_F = 1.8  # F (0–2) at or above this: about to have finished everything

BEHIND_SHARE = 0.5  # a course done (F ÷ 2) below this: behind, whatever else holds

PERSONAS: tuple[Persona, ...] = (
    # First: the facts set the tone. A student who has done less than half is not praised for
    # persistence nor sold the next course; the texts offer to help finish this one.
    Persona("落后", "先补上这期", f"没学完一半：课程完成度（F ÷ 2）不到 {BEHIND_SHARE:.0%}"),
    Persona("优惠", "续报优惠", f"犹豫：最近一次回访备注里有「{'」「'.join(HESITANT_WORDS)}」，或 P ≤ {HESITANT_P}"),
    Persona("新课", "下一门课", f"快学完：F ≥ {FINISHING_F:g}（作业和课时都完成了九成）"),
    Persona("进阶", "进阶课", "学得好：F、K 都高（分层是 P_?-F_L-K_L）"),
)
PERSONA_SEPARATOR = "·"
RENEWAL_GROUP = "续费"


BEHIND = PERSONAS[0].name
CONGRATULATIONS = "结课祝贺"


def template_keys(scene: str, persona: str | None) -> tuple[str, ...]:
    """The playbook keys looked up for a draft, in order: for a renewal stage and a persona
    `续费7天·优惠`, `续费·优惠`, then `续费7天`; for a student behind at the end `结课祝贺·落后`, then
    `结课祝贺`; otherwise the scene alone."""
    if scene in RENEWAL_SCENES and persona:
        return (f"{scene}{PERSONA_SEPARATOR}{persona}", f"{RENEWAL_GROUP}{PERSONA_SEPARATOR}{persona}", scene)
    if scene == CONGRATULATIONS and persona == BEHIND:
        return (f"{scene}{PERSONA_SEPARATOR}{persona}", scene)
    return (scene,)


# Every key a playbook's `messages:` may hold.
MESSAGE_KEYS: tuple[str, ...] = (
    *SCENE_BY_NAME,
    *(f"{stage}{PERSONA_SEPARATOR}{p.name}" for stage in (RENEWAL_GROUP, *RENEWAL_SCENES) for p in PERSONAS),
    f"{CONGRATULATIONS}{PERSONA_SEPARATOR}{BEHIND}",
)


def personas(ctx: AlertContext):
    """Each student's renewal persona (a Persona name, or None), a Series on the frame's index."""
    import numpy as np
    import pandas as pd

    frame, facts = ctx.frame, ctx.callbacks
    behind = (frame["F"] / 2) < BEHIND_SHARE
    note = facts["last_note"].astype("str").where(facts["last_note"].notna(), "")
    hesitant = note.str.contains("|".join(HESITANT_WORDS), regex=True, na=False) | (frame["P"] <= HESITANT_P)
    finishing = frame["F"] >= FINISHING_F
    segment = frame["segment"].astype("str")
    strong = segment.str.contains("F_L", regex=False) & segment.str.endswith("K_L")
    masks = [behind.fillna(False).to_numpy(bool), hesitant.to_numpy(bool), finishing.to_numpy(bool), strong.to_numpy(bool)]
    chosen = np.select(masks, [p.name for p in PERSONAS], "")
    return pd.Series(chosen, index=frame.index).replace("", None)


def scene_inputs(ctx: AlertContext) -> SceneInputs:
    return SceneInputs(ctx, alert_masks(ctx), due_reasons(ctx))


def offered(inputs: SceneInputs, touches, scenes=SCENES) -> tuple[dict, dict]:
    """Scene name → who it applies to, and → who it is held back for by a touch within its window
    (bool Series on the frame's index). `touches`: history.newest_touches."""
    import pandas as pd

    frame = inputs.ctx.frame
    fresh = reached_recently(inputs.ctx)
    unstarted = never_started(inputs.ctx)
    applies, held = {}, {}
    for scene in scenes:
        mask = scene.applies(inputs).fillna(False).astype(bool)
        if not scene.after_call:
            mask &= ~fresh
        if not scene.never_started:
            mask &= ~unstarted
        mine = touches[touches["scene"] == scene.name].set_index("student_id")["touched_on"]
        last = pd.Series(mine.reindex(frame["student_id"]).to_numpy(), index=frame.index, dtype="datetime64[ns]")
        start = scene.window_start(inputs)
        recent = last.notna() & (start.isna() | (last >= start))
        applies[scene.name] = mask
        held[scene.name] = mask & recent
    return applies, held

