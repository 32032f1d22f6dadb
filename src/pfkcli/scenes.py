"""Message scenes (SPEC §11): when a WeChat message is due, declared once.

Each scene has its rule — the alert rule or plan reason it reuses, so that one rule lives in one
place —, the facts (template placeholders) its texts build on, and a window: a student messaged for a
scene (a touch recorded from a messages sheet) is not offered that scene again within it.

| scene | applies when | window |
| --- | --- | --- |
| 首次联系 | the plan's first_contact: enrolled within [plan] first_contact_days, never called | once |
| 满意度低 | the alert low_satisfaction | 14 days |
| 续费3天 / 续费7天 / 续费30天 | the alerts renewal_3d / _7d / _30d | the stage (from 3 / 7 / 30 days before the end) |
| 连续未学习关怀 | the alert inactive | 7 days |
| 进度督促 | the alert behind_pace | 7 days |
| 结课祝贺 | the course ended 1–CONGRATULATE_DAYS (3) days ago | once per course end |

The order of `SCENES` is their precedence: a student several scenes apply to gets one draft, for
the first of them (one message a day, the most pressing), unless a scene is asked for by name.

Renewal by persona (seed 003): in a renewal stage a student may get a variant group of its own, looked
up before the stage's plain texts (`template_keys`): 优惠 for a hesitant student, 新课 for one about to
finish everything, 进阶 for a strong one (`PERSONAS`, first match wins).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from .alert_rules import RENEWAL_STAGES, RULE_BY_CODE, AlertContext, alert_masks, alert_texts
from .config import Config
from .plan import due_reasons
from .texts import day_text, join, series, where

# Days after a course's end in which the congratulations are due.
CONGRATULATE_DAYS = 3


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


_RENEWAL_SCENES = {"续费30天": "renewal_30d", "续费7天": "renewal_7d", "续费3天": "renewal_3d"}


def _renewal_scene(name: str, code: str) -> Scene:
    first, last = RENEWAL_STAGES[code]
    return Scene(
        name, lambda config: f"预警「{RULE_BY_CODE[code].label}」：距课程结束 {last}–{first} 天，本阶段还没有接通的回访，未续费",
        ("姓名", "距结课天数", "结课日期", "已交作业", "作业总数", "进度"), f"本阶段（结课前 {first} 天起）发过就不再起草",
        _alert(code), _before_end(first), _alert_why(code),
    )


SCENES: tuple[Scene, ...] = (
    Scene(
        "首次联系", lambda config: f"新学员：报名不超过 {config.plan.first_contact_days} 天，从未回访（与回访计划的「新学员首次联系」同一条规则）",
        ("姓名", "老师", "课程"), "发过就不再起草", lambda inputs: inputs.reasons["first_contact"], _ever, _first_contact_why,
    ),
    Scene(
        "满意度低", lambda config: f"预警「满意度低」：满意度低于 {config.alerts.low_satisfaction_below:g} 星（有历史评分时须连续两次）",
        ("姓名", "满意度", "上次回访"), "发过后 14 天内不再起草", _alert("low_satisfaction"), _days_back(14), _alert_why("low_satisfaction"),
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
        "结课祝贺", lambda config: f"课程结束后 1–{CONGRATULATE_DAYS} 天",
        ("姓名", "结课日期", "已交作业", "已学课时"), "同一次结课发过就不再起草", _course_ended, _course_end, _course_ended_why,
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

PERSONAS: tuple[Persona, ...] = (
    Persona("优惠", "续报优惠", f"犹豫：最近一次回访备注里有「{'」「'.join(HESITANT_WORDS)}」，或 P ≤ {HESITANT_P}"),
    Persona("新课", "下一门课", f"快学完：F ≥ {FINISHING_F:g}（作业和课时都完成了九成）"),
    Persona("进阶", "进阶课", "学得好：F、K 都高（分层是 P_?-F_L-K_L）"),
)
PERSONA_SEPARATOR = "·"
RENEWAL_GROUP = "续费"


def template_keys(scene: str, persona: str | None) -> tuple[str, ...]:
    """The playbook keys looked up for a draft, in order: for a renewal stage and a persona
    `续费7天·优惠`, `续费·优惠`, then `续费7天`; otherwise the scene alone."""
    if scene in RENEWAL_SCENES and persona:
        return (f"{scene}{PERSONA_SEPARATOR}{persona}", f"{RENEWAL_GROUP}{PERSONA_SEPARATOR}{persona}", scene)
    return (scene,)


# Every key a playbook's `messages:` may hold.
MESSAGE_KEYS: tuple[str, ...] = (
    *SCENE_BY_NAME,
    *(f"{stage}{PERSONA_SEPARATOR}{p.name}" for stage in (RENEWAL_GROUP, *RENEWAL_SCENES) for p in PERSONAS),
)


def personas(ctx: AlertContext):
    """Each student's renewal persona (a Persona name, or None), a Series on the frame's index."""
    import numpy as np
    import pandas as pd

    frame, facts = ctx.frame, ctx.callbacks
    note = facts["last_note"].astype("str").where(facts["last_note"].notna(), "")
    hesitant = note.str.contains("|".join(HESITANT_WORDS), regex=True, na=False) | (frame["P"] <= HESITANT_P)
    finishing = frame["F"] >= FINISHING_F
    segment = frame["segment"].astype("str")
    strong = segment.str.contains("F_L", regex=False) & segment.str.endswith("K_L")
    chosen = np.select([hesitant.to_numpy(bool), finishing.to_numpy(bool), strong.to_numpy(bool)], [p.name for p in PERSONAS], "")
    return pd.Series(chosen, index=frame.index).replace("", None)


def scene_inputs(ctx: AlertContext) -> SceneInputs:
    return SceneInputs(ctx, alert_masks(ctx), due_reasons(ctx))


def offered(inputs: SceneInputs, touches, scenes=SCENES) -> tuple[dict, dict]:
    """Scene name → who it applies to, and → who it is held back for by a touch within its window
    (bool Series on the frame's index). `touches`: history.newest_touches."""
    import pandas as pd

    frame = inputs.ctx.frame
    applies, held = {}, {}
    for scene in scenes:
        mask = scene.applies(inputs).fillna(False).astype(bool)
        mine = touches[touches["scene"] == scene.name].set_index("student_id")["touched_on"]
        last = pd.Series(mine.reindex(frame["student_id"]).to_numpy(), index=frame.index, dtype="datetime64[ns]")
        start = scene.window_start(inputs)
        recent = last.notna() & (start.isna() | (last >= start))
        applies[scene.name] = mask
        held[scene.name] = mask & recent
    return applies, held

