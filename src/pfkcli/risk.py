"""The risk of losing each student (SPEC §2, issue 27): one estimate per student — the chance of dropping
out or failing — from what the platform shows and the team has recorded, and the one or two reasons
that weigh most, in a teacher's words.

A logistic model: the log-odds are `[risk] intercept` plus, for each signal below, its weight times
its strength (0 where the data is missing: a blank never raises a risk by itself). The weights are
pfk.toml's `[risk]`; the README gives the evidence each default rests on, and `pfk risk fit` fits
them to the team's own finished cohorts.

| signal | strength |
| --- | --- |
| behind | share of what the course has released that the student has not done: (expected F − F) ÷ expected F, 0–1 (0 in the first `pace_grace_days`) |
| growing | the share of what the course released since the previous snapshot that the student did not do, 0–1 |
| missed | learning missed against the course's own rhythm: days since the last study ÷ the rhythm, beyond the first rhythm, at most `MISSED_CAP` |
| never_started | 1 for a student who has never studied although the course (or the enrolment) began a rhythm ago |
| low_score | homework or test scores below 60 % of full marks: (0.6 − share) ÷ 0.6 |
| unhappy | satisfaction below 3 stars: (3 − stars) ÷ 2 |
| unreached | calls not reached in a row ÷ `[plan] unreachable_after`, at most 1 |
| low_p / low_k | P or K of 1–2: (3 − score) ÷ 2 |

The rhythm (`rhythm_days`, decided per student when classifying): `[courses."…"] rhythm_days` where
set; else, where the platform logs homework only (no hours for anyone on the course), the days between
two assignments (course length ÷ homework_total); else `[alerts] inactive_days` (7) — never less than that.

What a call can change (`call_value`): risk × the chance a call reaches the student (their own record
of calls not reached) × how much is still open (a student silent for many rhythms is probably gone) ×
the effect calls have shown for students like them (1 until the holdout measures it) × the segment's
value as the seed weighs it (1 + value ÷ 28: 重点挽留 1.5 … 一般挽留 1).
"""

from __future__ import annotations

from dataclasses import dataclass

from .frames import days_between

MISSED_CAP = 4.0  # rhythms: beyond, more silence says no more
from .config import RISK_SIGNALS as SIGNALS
# Chance a call reaches a student who answered the last call, and the factor each call not reached since takes off.
REACH_BASE = 0.8
REACH_PER_MISS = 0.6
# Silence beyond this many rhythms makes a call less likely to change anything: the student is probably gone.
OPEN_RHYTHMS = 6.0


@dataclass
class Estimate:
    """The risk of every student of a frame (pandas objects on its index)."""

    risk: object  # chance of dropping out or failing, 0–1
    reach: object  # chance a call reaches the student, 0–1
    open: object  # how much is still open, 0–1
    signals: object  # a DataFrame: each signal's strength (columns SIGNALS)
    weights: dict[str, float]
    facts: object  # a DataFrame of the numbers the reasons quote (days silent, homework behind …)

    def contributions(self):
        """Each signal's weight × strength (log-odds), a DataFrame."""
        return self.signals * [self.weights[name] for name in SIGNALS]


def rhythm_days(frame, config, courses):
    """Each student's rhythm in days (see the module): the classify-time decision, stored with a snapshot."""
    import numpy as np
    import pandas as pd

    floor = float(config.alerts.inactive_days)
    rhythm = pd.Series(floor, index=frame.index, dtype="float64")
    keys = courses["course_key"]
    hours = frame["hours_watched"].fillna(0)
    group = keys.where(keys != "", frame["course"].fillna(""))
    homework_only = ~hours.gt(0).groupby(group).transform("any")
    length = days_between(courses["end"], courses["start"])
    between = (length / courses["homework_total"]).where(length > 0)
    rhythm = rhythm.where(~(homework_only & between.notna()), np.maximum(between, floor))
    for key in keys.unique().tolist():
        own = config.course_for(key).rhythm_days
        if own is not None:
            rhythm = rhythm.where(keys != key, max(float(own), floor))
    return rhythm


def score_shares(scores):
    """Scores as shares of full marks: the scale read off the column (above 10: out of 100; above 5:
    out of 10; above 1: out of 5; else already shares). NaN stays NaN."""
    top = scores.max()
    scale = 100.0 if top > 10 else 10.0 if top > 5 else 5.0 if top > 1 else 1.0
    return (scores.astype("float64") / scale).clip(0, 1)


def estimate(ctx, previous=None) -> Estimate:
    """The risk of every student of `ctx` (an AlertContext of a classified, placed frame). `previous`:
    the previous snapshot's student_id, F and expected_f, for whether the gap grows (None: unknown)."""
    import numpy as np
    import pandas as pd

    from .alert_rules import learning_gap

    frame, config = ctx.frame, ctx.config
    weights = config.risk.weights()
    index = frame.index
    f, expected = frame["F"].astype("float64"), frame["expected_f"].astype("float64")
    settled = days_between(ctx.as_of, ctx.courses["start"]) >= config.thresholds.pace_grace_days
    gap = ((expected - f) / expected.where(expected > 0)).clip(0, 1).where(settled, 0.0).fillna(0.0)
    growing = pd.Series(0.0, index=index)
    if previous is not None and len(previous):
        before = previous.drop_duplicates("student_id").set_index("student_id")
        ids = frame["student_id"]
        released = expected - pd.Series(ids.map(before["expected_f"]).to_numpy(dtype="float64"), index=index)
        done = f - pd.Series(ids.map(before["F"]).to_numpy(dtype="float64"), index=index)
        growing = ((released - done) / released.where(released > 0.02)).clip(0, 1).where(settled, 0.0).fillna(0.0)
    rhythm = frame["rhythm_days"].astype("float64") if "rhythm_days" in frame else pd.Series(float(config.alerts.inactive_days), index=index)
    rhythm = rhythm.fillna(float(config.alerts.inactive_days))
    seen, never = learning_gap(ctx)
    silent = days_between(ctx.as_of, seen).clip(lower=0)  # enrolled before the course start: not yet silent
    rhythms = (silent / rhythm).fillna(0.0)
    missed = (rhythms - 1).clip(0, MISSED_CAP)
    never_started = (never & (rhythms >= 1)).astype("float64")
    score = frame["score_share"].astype("float64") if "score_share" in frame else pd.Series(np.nan, index=index)
    low_score = ((0.6 - score) / 0.6).clip(0, 1).fillna(0.0)
    unhappy = ((3 - frame["satisfaction"].astype("float64")) / 2).clip(0, 1).fillna(0.0)
    failed = ctx.callbacks["failed_in_a_row"].astype("float64")
    unreached = (failed / config.plan.unreachable_after).clip(0, 1)
    low_p = ((3.5 - frame["P"].astype("float64")) / 2.5).clip(0, 1).fillna(0.0)
    low_k = ((3 - frame["K"].astype("float64")) / 2).clip(0, 1).fillna(0.0)
    signals = pd.DataFrame(
        {"behind": gap, "growing": growing, "missed": missed, "never_started": never_started, "low_score": low_score,
         "unhappy": unhappy, "unreached": unreached, "low_p": low_p, "low_k": low_k},
        index=index,
    )
    # A finished course is no longer at risk of being dropped: what is left there is renewal.
    signals = signals.mul(ctx.in_course.to_numpy(dtype=bool).astype("float64"), axis=0)
    logit = config.risk.intercept + signals.to_numpy() @ np.array([weights[name] for name in SIGNALS])
    risk = pd.Series(1 / (1 + np.exp(-logit)), index=index)
    reach = pd.Series(REACH_BASE * REACH_PER_MISS ** failed.to_numpy(), index=index)
    still_open = pd.Series(np.exp(-np.clip(rhythms.to_numpy() - OPEN_RHYTHMS, 0, None) / 2), index=index)
    facts = pd.DataFrame(
        {
            "silent": silent.where(frame["last_active"].notna() | never),
            "never": never,
            "rhythm": rhythm,
            "homework_behind": _homework_behind(frame, ctx),
            "gap": gap,
            "score": score,
            "satisfaction": frame["satisfaction"],
            "failed": failed,
            "P": frame["P"],
        },
        index=index,
    )
    return Estimate(risk, reach, still_open, signals, weights, facts)


def _homework_behind(frame, ctx):
    """Assignments released by now and not handed in (NaN where not known)."""
    import numpy as np

    from .model import TOLERANCE

    courses = ctx.courses
    share = (days_between(ctx.as_of, courses["start"]) / days_between(courses["end"], courses["start"]).where(lambda d: d > 0)).clip(0, 1)
    out = np.floor(share * courses["homework_total"] + TOLERANCE)
    return (out - frame["homework_done"]).clip(lower=0).where(frame["homework_done"].notna())


def segment_weight(segments):
    """1 + the segment's value ÷ 28 (segments.py): the seed's weighting as a gentle tilt, never a zero."""
    from .segments import segment_values

    return 1 + segment_values(segments) / 28


def call_value(ctx, estimate: Estimate):
    """What a call can change for each student: risk × reach × still open × effect (1 until measured)
    × the segment's weight."""
    return estimate.risk * estimate.reach * estimate.open * segment_weight(ctx.frame["segment"])


# Each signal in a teacher's words, from the facts (`reason_texts`).
def _days_text(days: float) -> str:
    days = int(days)
    if days >= 14 and days % 7 <= 1:
        weeks = days // 7
        return f"{'两三四'[weeks - 2]}周" if weeks <= 4 else f"{weeks} 周"
    return f"{days} 天"


def reason_texts(estimate: Estimate, positions, most: int = 2) -> list[str]:
    """The `most` signals that weigh most for the students at `positions`, in plain words joined with
    `，` (「两周没学了，作业落下 3 次」); "" where no signal counts."""
    import numpy as np

    weights = estimate.contributions().to_numpy()[positions]
    facts = estimate.facts.iloc[positions].to_dict("records")
    order = np.argsort(-weights, axis=1, kind="stable")
    texts = []
    for row, fact in zip(range(len(facts)), facts):
        ranked = [SIGNALS[i] for i in order[row] if weights[row, i] > 0.15]
        if "never_started" in ranked and "missed" in ranked:  # one fact, said once
            ranked.remove("missed")
        texts.append("，".join(_reason(name, fact) for name in ranked[:most]))
    return texts


def _reason(name: str, fact) -> str:
    import math

    def known(value) -> bool:
        return value is not None and not (isinstance(value, float) and math.isnan(value))

    if name == "never_started":
        return f"开课（或报名）{_days_text(fact['silent'])}了还没开始学" if known(fact["silent"]) else "一直没开始学"
    if name == "missed":
        return f"{_days_text(fact['silent'])}没学了" if known(fact["silent"]) else "好久没学了"
    if name == "behind":
        behind = fact["homework_behind"]
        if known(behind) and behind >= 1:
            return f"作业落下 {int(behind)} 次"
        return "进度落后三成以上" if fact["gap"] >= 0.3 else "进度有点落后"
    if name == "growing":
        return "上周的课没跟上"
    if name == "low_score":
        return f"作业只得 {round(fact['score'] * 100)} 分" if known(fact["score"]) else "成绩偏低"
    if name == "unhappy":
        return f"满意度只有 {fact['satisfaction']:g} 星"
    if name == "unreached":
        return f"连续 {int(fact['failed'])} 次没接通"
    if name == "low_p":
        return f"上次积极性 {int(fact['P'])} 分"
    if name == "low_k":
        return "基础偏弱"
    return name


def basis_texts(estimate: Estimate, positions) -> list[str]:
    """The numbers behind each estimate, for the sheet's 风险依据 column: `落后应达进度 45%；距上次学习 14 天（节奏 7 天）…`."""
    import math

    def known(value) -> bool:
        return value is not None and not (isinstance(value, float) and math.isnan(value))

    facts = estimate.facts.iloc[positions].to_dict("records")
    signals = estimate.signals.iloc[positions].to_dict("records")
    texts = []
    for fact, signal in zip(facts, signals):
        parts = []
        if signal["behind"] > 0:
            parts.append(f"落后应达进度 {round(fact['gap'] * 100)}%")
        if signal["growing"] > 0:
            parts.append(f"上次快照以来放出的内容没学 {round(signal['growing'] * 100)}%")
        if known(fact["silent"]):
            parts.append(f"{'从未学习，开课或报名' if fact['never'] else '距上次学习'} {int(fact['silent'])} 天（节奏 {fact['rhythm']:g} 天）")
        if known(fact["score"]):
            parts.append(f"成绩 {round(fact['score'] * 100)}%")
        if signal["unhappy"] > 0:
            parts.append(f"满意度 {fact['satisfaction']:g}")
        if fact["failed"]:
            parts.append(f"连续未接通 {int(fact['failed'])} 次")
        if known(fact["P"]):
            parts.append(f"P {int(fact['P'])}")
        texts.append("；".join(parts))
    return texts
