"""The PFK model: scores P, F, K per student, splits each axis high (L) / low (S), names the segment,
and says why — a whole roster at a time.

Rules (all in pfk.toml [thresholds], see config.py):
- P and K come from the newest callback score known (recorded callbacks beat roster columns when
  newer). A student with no P or no K is pending callback (待回访): never guessed.
- F = homework_done / homework_total + hours_watched / hours_total (0–2). A blank cell counts as 0.
- P, K high when score >= cut (fixed 4 by default, or the cohort mean/median).
- F under the default `pace` rule is high when F >= pace_share × the F the course has released by the
  as-of date (from start/end dates or a release schedule); a student with no course dates falls back
  to the mean F of the students in the same course. A value exactly on a cut is high.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from .config import Config
from .segments import BY_CODE, PENDING_CODE
from .texts import join, series, where


@dataclass
class AxisCut:
    axis: str  # P / F / K
    rule: str
    cut: float | None  # None when it differs per student (pace)
    text: str  # Chinese, printed with every run

    def __str__(self) -> str:
        return f"{self.axis}: {self.text}"


def follow_through(frame, config: Config):
    """F per student (0–2)."""
    homework = frame["homework_done"].fillna(0) if "homework_done" in frame else 0
    hours = frame["hours_watched"].fillna(0) if "hours_watched" in frame else 0
    return homework / config.course.homework_total + hours / config.course.hours_total


def expected_follow_through(frame, config: Config, as_of: dt.date):
    """The F the course has released by `as_of` (0–2) per student; NaN where no course dates are known."""
    import numpy as np
    import pandas as pd

    course = config.course
    n = len(frame)
    if course.releases:
        released = [r for r in sorted(course.releases, key=lambda r: r.date) if r.date <= as_of]
        value = 0.0
        if released:
            last = released[-1]
            value = min(last.homework / course.homework_total, 1) + min(last.hours / course.hours_total, 1)
        return pd.Series(np.full(n, value), index=frame.index)

    def dates(name: str, default: dt.date | None):
        column = frame[name] if name in frame else pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
        if default is not None:
            column = column.fillna(pd.Timestamp(default))
        return column

    start = dates("course_start", course.start)
    end = dates("course_end", course.end)
    length = (end - start).dt.days
    elapsed = (pd.Timestamp(as_of) - start).dt.days
    share = (elapsed / length.where(length > 0)).clip(0, 1)
    return 2 * share


def _score_cut(values, rule: str, fixed: float) -> float:
    known = values.dropna()
    if rule == "mean" and len(known):
        # fsum is exact, so the cut (and who sits on it) does not depend on the order of the rows.
        return math.fsum(known.tolist()) / len(known)
    if rule == "median" and len(known):
        return float(known.median())
    return float(fixed)


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if value == value else "?"


def classify_frame(frame, config: Config, as_of: dt.date, playbook_lines: dict[str, str] | None = None, explain: bool = True):
    """Add P, F, K, expected_f, segment, segment_name, why, strategy to a roster frame (why and
    strategy only with `explain`). Returns (frame, cuts)."""
    import numpy as np
    import pandas as pd

    t = config.thresholds
    frame = frame.copy(deep=False)  # copy-on-write (pandas 3): new columns never reach the caller's frame
    frame["F"] = follow_through(frame, config).round(4)
    for axis in ("P", "K"):
        frame[axis] = pd.to_numeric(frame[axis], errors="coerce").astype("float64") if axis in frame else np.nan

    p_cut = _score_cut(frame["P"], t.p_rule, t.p_cut)
    k_cut = _score_cut(frame["K"], t.k_rule, t.k_cut)
    cuts = [
        AxisCut("P", t.p_rule, p_cut, _score_rule_text("P", t.p_rule, p_cut)),
    ]

    expected = expected_follow_through(frame, config, as_of)
    frame["expected_f"] = expected.round(4)
    if t.f_rule == "pace":
        by_pace = t.pace_share * expected
        group = frame["course"].fillna("") if "course" in frame else pd.Series("", index=frame.index)
        cohort_mean = frame["F"].groupby(group).transform("mean")
        f_cut = by_pace.where(expected.notna(), cohort_mean)
        with_dates = int(expected.notna().sum())
        text = f"按进度：F ≥ {t.pace_share:g} × 到 {as_of:%Y-%m-%d} 为止课程已放出的进度，为高（{with_dates} 人有课程日期"
        if with_dates:
            low, high = by_pace.min(), by_pace.max()
            text += f"，本次分界 F ≥ {_num(low)}" if abs(high - low) < 0.005 else f"，本次分界 F ≥ {_num(low)}–{_num(high)}"
        text += "）"
        if with_dates < len(frame):
            means = "、".join(f"{(g or '全体')} {_num(m)}" for g, m in frame["F"].groupby(group).mean().items())
            text += f"；{len(frame) - with_dates} 人没有课程日期，改与同课程平均 F 比较（{means}）"
        cuts.append(AxisCut("F", "pace", None, text))
    else:
        value = _score_cut(frame["F"], t.f_rule, t.f_cut)
        f_cut = pd.Series(value, index=frame.index)
        cuts.append(AxisCut("F", t.f_rule, value, _score_rule_text("F", t.f_rule, value)))
    cuts.append(AxisCut("K", t.k_rule, k_cut, _score_rule_text("K", t.k_rule, k_cut)))

    p_high = frame["P"] >= p_cut
    k_high = frame["K"] >= k_cut
    f_high = frame["F"] >= f_cut - 1e-9
    pending = frame["P"].isna() | frame["K"].isna()

    code = (
        np.where(p_high, "P_L", "P_S").astype(object)
        + np.where(f_high, "-F_L", "-F_S").astype(object)
        + np.where(k_high, "-K_L", "-K_S").astype(object)
    )
    frame["segment"] = np.where(pending, PENDING_CODE, code)
    names = {code: segment.name for code, segment in BY_CODE.items()}
    frame["segment_name"] = frame["segment"].map(names)
    frame["f_cut"] = f_cut
    if explain:
        frame["why"] = _why(frame, p_high, f_high, k_high, pending, p_cut, k_cut, expected)
        frame["strategy"] = frame["segment"].map(playbook_lines or {})
    return frame, cuts


def _score_rule_text(axis: str, rule: str, cut: float) -> str:
    label = {"fixed": "固定分数线", "mean": "全体平均", "median": "全体中位数"}[rule]
    return f"{label}：{axis} ≥ {_num(cut)} 为高"


def _why(frame, p_high, f_high, k_high, pending, p_cut, k_cut, expected):
    """One short Chinese sentence per student, e.g. `P=5（≥4）；F=0.45，低于按进度应达的0.96；K=2（<4）`.

    Built with Arrow's element-wise join: one pass per sentence instead of a pandas `+` per piece.
    """
    import pandas as pd
    import pyarrow as pa

    def fmt(values):
        # `_num` once per distinct value (by bit pattern, so -0.0 and 0.0 stay apart): a few hundred, not 100,000.
        codes, distinct = pd.factorize(values.to_numpy(dtype="float64").view("int64"))
        texts = pa.array([_num(v) for v in distinct.view("float64").tolist()], type=pa.string())
        return texts.take(pa.array(codes))

    def score_text(axis, high, cut):
        value = frame[axis]
        name = f"{axis}_source"
        source = pa.array(frame[name].fillna("").astype("str"), type=pa.string()) if name in frame else ""
        text = join(f"{axis}=", fmt(value), source, where(high, f"（≥{_num(cut)}）", f"（<{_num(cut)}）"))
        return where(value.notna(), text, f"{axis}未知")

    reference = where(expected.notna(), "按进度应达的", "同课程平均")
    f_text = join("F=", fmt(frame["F"]), where(f_high, "，达到", "，低于"), reference, fmt(frame["f_cut"]))
    scored = join(score_text("P", p_high, p_cut), "；", f_text, "；", score_text("K", k_high, k_cut))
    why = where(~pending, scored, join("尚未回访（P/K 未知，不做猜测）；", f_text))
    return series(why, frame.index)
