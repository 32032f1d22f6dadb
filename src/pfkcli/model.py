"""The PFK model: scores P, F, K per student, splits each axis high (L) / low (S), names the segment,
and says why — a whole roster at a time.

Rules (all in pfk.toml, see config.py; the README lists them with their defaults):
- P and K are the newest scores the history knows (`history.newest_callbacks`), each with its date.
  A student with no P or no K is pending callback (待回访): never guessed.
- F = homework_done / homework_total + hours_watched / hours_total (0–2), with the totals of the
  student's own course (`[courses."名称"]`, else `[course]`). A blank cell counts as 0.
- P, K high when score >= cut (fixed 4 by default, or the cohort mean/median).
- F under the default `pace` rule is high when F >= pace_share × the F the course has released by the
  as-of date: hours spread evenly from start to end, homework in whole assignments (or a release
  schedule). For `pace_grace_days` after a student's course start nobody is behind. A student with no
  course dates falls back to the mean F of the students in the same course. A value exactly on a cut
  is high: values are compared unrounded, and rounded once, half up, to be shown.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from .config import Config
from .frames import days_between
from .segments import BY_CODE, segment_codes
from .texts import join, series, where

# Floating-point noise in F and its cut (a sum of quotients) is far below this; a real difference is not.
TOLERANCE = 1e-9


@dataclass
class AxisCut:
    axis: str  # P / F / K
    rule: str
    cut: float | None  # None when it differs per student (pace)
    text: str  # Chinese, printed with every run

    def __str__(self) -> str:
        return f"{self.axis}: {self.text}"


def shown(values, digits: int = 2):
    """Numbers as every output shows them: rounded once, half up (0.525 → 0.53), a whole column at a time."""
    import numpy as np

    scale = 10**digits
    return np.floor(values * scale + 0.5 + TOLERANCE) / scale


def _course_keys(frame, config: Config):
    """Each student's pfk.toml course: the roster's 课程 when [courses] names it, else "" ([course])."""
    import pandas as pd

    if not config.courses:  # the usual workspace: everyone follows [course], no text to look at
        return pd.Series("", index=frame.index, dtype="str")
    names = frame["course"] if "course" in frame else pd.Series("", index=frame.index)
    names = names.fillna("").astype("str").str.strip()
    return names.where(names.isin(list(config.courses)), "")


def _per_key(keys, values: dict):
    """`keys.map(values)`; one key alone (the usual case) as a constant column, without a lookup per row."""
    import pandas as pd

    if len(values) == 1:
        return pd.Series(next(iter(values.values())), index=keys.index)
    return keys.map(values)


def course_totals(frame, config: Config):
    """The homework and hours totals of each student's own course: a frame on `frame.index` with
    homework_total and hours_total. Works on a roster as read (`frame` needs only `course`)."""
    import pandas as pd

    keys = _course_keys(frame, config)
    courses = {key: config.course_for(key) for key in keys.unique().tolist()}
    return pd.DataFrame(
        {
            "homework_total": _per_key(keys, {key: c.homework_total for key, c in courses.items()}).astype("float64"),
            "hours_total": _per_key(keys, {key: c.hours_total for key, c in courses.items()}).astype("float64"),
        },
        index=frame.index,
    )


def student_courses(frame, config: Config):
    """The settings of each student's own course, decided here for every command: a frame on
    `frame.index` with homework_total, hours_total, start and end (the roster's own dates first,
    then the course's in pfk.toml), and `course_key` (the pfk.toml course it follows, "" for [course])."""
    import pandas as pd

    keys = _course_keys(frame, config)

    def dates(column: str, name: str):
        given = {key: getattr(config.course_for(key), name) for key in keys.unique().tolist()}
        if all(value is None for value in given.values()):  # no date in pfk.toml: the roster's alone
            return frame[column]
        days = {key: pd.Timestamp(value) if value is not None else pd.NaT for key, value in given.items()}
        return frame[column].fillna(_per_key(keys, days).astype("datetime64[ns]"))

    return course_totals(frame, config).assign(
        course_key=keys, start=dates("course_start", "start"), end=dates("course_end", "end")
    )


def follow_through(frame, courses):
    """F per student (0–2), against the totals of the student's own course (`student_courses`)."""
    return frame["homework_done"].fillna(0) / courses["homework_total"] + frame["hours_watched"].fillna(0) / courses["hours_total"]


def expected_follow_through(frame, config: Config, as_of: dt.date, courses=None):
    """The F each student's course has released by `as_of` (0–2); NaN where no course dates are known.

    Hours are released evenly from the start to the end date; homework in whole assignments (by day
    19 of 44 with 11 assignments, 4 are out). A course with a release schedule in pfk.toml uses it.
    A one-day course (start = end) has released everything from its start.
    """
    import numpy as np
    import pandas as pd

    courses = student_courses(frame, config) if courses is None else courses
    elapsed = days_between(as_of, courses["start"])
    length = days_between(courses["end"], courses["start"])
    share = (elapsed / length.where(length > 0)).where(length > 0, (elapsed >= 0).astype("float64").where(length == 0))
    share = share.clip(0, 1)
    homework = np.floor(share * courses["homework_total"] + TOLERANCE) / courses["homework_total"]
    expected = homework + share
    for key in courses["course_key"].unique().tolist():
        releases = sorted(config.course_for(key).releases, key=lambda r: r.date)
        if not releases:
            continue
        total = config.course_for(key)
        out = [r for r in releases if r.date <= as_of]
        value = min(out[-1].homework / total.homework_total, 1) + min(out[-1].hours / total.hours_total, 1) if out else 0.0
        expected = expected.where(courses["course_key"] != key, value)
    return pd.Series(expected, index=frame.index, dtype="float64")


# How a roster's renewal column (是否续费, 续费状态, 续费日期 …) says a student has renewed; anything
# else (否, 未续费, blank) means not (yet).
RENEWED_WORDS = ("是", "已续费", "已续", "续费", "已续报", "续报", "y", "yes", "true", "1", "√", "✓")
_A_DATE = r"^\d{4}\s*[-/.年]\s*\d{1,2}"


def renewed(frame):
    """Who has renewed, from the roster's renewal column: a yes-word or a renewal date."""
    text = frame["renewal"].astype("str").str.strip().str.lower()
    return (text.isin(RENEWED_WORDS) | text.str.match(_A_DATE, na=False)).fillna(False).astype(bool)


def _score_cut(values, rule: str, fixed: float) -> float:
    known = values.dropna()
    if rule == "mean" and len(known):
        # fsum is exact, so the cut (and who sits on it) does not depend on the order of the rows.
        return math.fsum(known.tolist()) / len(known)
    if rule == "median" and len(known):
        return float(known.median())
    return float(fixed)


def _num(value: float) -> str:
    """One number as shown: half up to 2 places, no trailing zeros (`0.8`, `1.05`, `4`)."""
    if value != value:
        return "?"
    return f"{float(shown(value)):.2f}".rstrip("0").rstrip(".")


def classify_frame(frame, config: Config, as_of: dt.date):
    """Add F, expected_f, f_cut, segment, segment_name and why to a student frame that has P, P_on,
    K, K_on (`history.newest_callbacks`) and the roster fields (`frames.complete`). Returns (frame, cuts)."""
    import pandas as pd

    t = config.thresholds
    frame = frame.copy(deep=False)  # copy-on-write (pandas 3): new columns never reach the caller's frame
    courses = student_courses(frame, config)
    frame["F"] = follow_through(frame, courses)

    p_cut = _score_cut(frame["P"], t.p_rule, t.p_cut)
    k_cut = _score_cut(frame["K"], t.k_rule, t.k_cut)
    cuts = [AxisCut("P", t.p_rule, p_cut, _score_rule_text("P", t.p_rule, p_cut))]

    expected = expected_follow_through(frame, config, as_of, courses)
    frame["expected_f"] = expected
    if t.f_rule == "pace":
        by_pace = t.pace_share * expected
        # In a student's first days nobody can be behind: too little is out to judge by.
        in_grace = days_between(as_of, courses["start"]) < t.pace_grace_days
        by_pace = by_pace.where(~in_grace, 0.0)
        group = courses["course_key"].where(courses["course_key"] != "", frame["course"].fillna(""))
        cohort_mean = frame["F"].groupby(group).transform("mean")
        f_cut = by_pace.where(expected.notna(), cohort_mean)
        cuts.append(AxisCut("F", "pace", None, _pace_text(frame, config, as_of, by_pace, expected, group)))
    else:
        value = _score_cut(frame["F"], t.f_rule, t.f_cut)
        f_cut = pd.Series(value, index=frame.index)
        cuts.append(AxisCut("F", t.f_rule, value, _score_rule_text("F", t.f_rule, value)))
    cuts.append(AxisCut("K", t.k_rule, k_cut, _score_rule_text("K", t.k_rule, k_cut)))

    p_high = frame["P"] >= p_cut
    k_high = frame["K"] >= k_cut
    f_high = frame["F"] >= f_cut - TOLERANCE
    pending = frame["P"].isna() | frame["K"].isna()
    frame["segment"] = segment_codes(p_high, f_high, k_high, pending)
    frame["segment_name"] = frame["segment"].map({code: segment.name for code, segment in BY_CODE.items()})
    frame["f_cut"] = f_cut
    frame["why"] = _why(frame, as_of, p_high, f_high, k_high, pending, p_cut, k_cut, expected)
    return frame, cuts


def _pace_text(frame, config: Config, as_of: dt.date, by_pace, expected, group) -> str:
    t = config.thresholds
    with_dates = int(expected.notna().sum())
    text = f"按进度：F ≥ {t.pace_share:g} × 到 {as_of:%Y-%m-%d} 为止课程已放出的进度，为高（{with_dates} 人有课程日期"
    if with_dates:
        known = by_pace[expected.notna()]
        low, high = known.min(), known.max()
        text += f"，本次分界 F ≥ {_num(low)}" if _num(low) == _num(high) else f"，本次分界 F ≥ {_num(low)}–{_num(high)}"
    text += f"；开课 {t.pace_grace_days} 天内不算落后）"
    if with_dates < len(frame):
        means = "、".join(f"{(g or '全体')} {_num(m)}" for g, m in frame["F"][expected.isna()].groupby(group[expected.isna()]).mean().items())
        text += f"；{len(frame) - with_dates} 人没有课程日期，改与同课程平均 F 比较（{means}）"
    return text


def _score_rule_text(axis: str, rule: str, cut: float) -> str:
    label = {"fixed": "固定分数线", "mean": "全体平均", "median": "全体中位数"}[rule]
    return f"{label}：{axis} ≥ {_num(cut)} 为高"


def _why(frame, as_of: dt.date, p_high, f_high, k_high, pending, p_cut, k_cut, expected):
    """One short Chinese sentence per student, e.g.
    `P=5（≥4，3 天前）；F=0.45，低于按进度应达的0.96；K=2（<4，日期不明）`.

    Built with Arrow's element-wise join: one pass per sentence instead of a pandas `+` per piece.
    """
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    def fmt(values, digits=2):
        # Formatted once per distinct value: a few hundred, not 100,000.
        rounded = shown(values.to_numpy(dtype="float64"), digits)
        codes, distinct = pd.factorize(rounded)
        texts = [f"{v:.{digits}f}".rstrip("0").rstrip(".") for v in distinct.tolist()]
        return pa.array(texts, type=pa.string()).take(pa.array(np.where(codes < 0, 0, codes), mask=codes < 0))

    def age(on):
        days = days_between(as_of, on)
        text = join(fmt(days, 0), " 天前")
        return where(days.isna(), "日期不明", where(days == 0, "今天", text))

    def score_text(axis, high, cut):
        value = frame[axis]
        text = join(f"{axis}=", fmt(value), where(high, f"（≥{_num(cut)}，", f"（<{_num(cut)}，"), age(frame[f"{axis}_on"]), "）")
        return where(value.notna(), text, f"{axis}未知")

    # F and its cut shown alike: where two places make them look equal, four show the difference.
    f, cut = frame["F"], frame["f_cut"]
    close = pd.Series(shown(f.to_numpy(dtype="float64")) == shown(cut.to_numpy(dtype="float64")), index=frame.index) & ~f_high
    f_shown = where(close, fmt(f, 4), fmt(f))
    cut_shown = where(close, fmt(cut, 4), fmt(cut))
    reference = where(expected.notna(), "按进度应达的", "同课程平均")
    f_text = join("F=", f_shown, where(f_high, "，达到", "，低于"), reference, cut_shown)
    scored = join(score_text("P", p_high, p_cut), "；", f_text, "；", score_text("K", k_high, k_cut))
    why = where(~pending, scored, join("尚未回访（P/K 未知，不做猜测）；", f_text))
    return series(why, frame.index)
