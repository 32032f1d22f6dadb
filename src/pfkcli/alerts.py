"""Early warnings (seeds 002/003): who is slipping now, and whose renewal talk is due.

Each rule is declared once in `RULES` with a stable code, a Chinese label, a suggested action and a
function that finds its students over the whole classified frame at once, returning a mask and a
"why" text with the numbers. Thresholds come from pfk.toml [alerts]. Missing data never raises an
alert by itself: a blank cell is skipped, and a missing column is reported as a warning.

| code | fires when |
| --- | --- |
| inactive | days since last_active ≥ inactive_days (7) |
| behind_pace | F < behind_pace_share (0.5) × the F the course has released by the as-of date |
| low_satisfaction | satisfaction < low_satisfaction_below (3), and the previous recorded rating too |
| fast_forward | fast-forwarded share > fast_forward_share (0.5) |
| renewal_30d / _7d / _3d | 7 < days left ≤ 30 / 3 < days left ≤ 7 / 0 ≤ days left ≤ 3 |
| followup_overdue | the newest callback's follow-up date has passed |
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import history
from .classify import ClassifyResult, score_students
from .columns import FIELD_BY_NAME
from .config import Config
from .errors import Problem
from .excel import SheetSpec, write_workbook
from .outputs import ALERT_COLUMNS, ALERTS_SHEET
from .paths import check_output
from .texts import arrow, day_text, join, series, where
from .workspace import Workspace

ALERT_FIELDS = ("student_id", "name", "teacher", "code", "label", "why", "action")


@dataclass
class AlertContext:
    """What every rule reads: the classified students, the settings, the day, the history."""

    frame: object  # pandas.DataFrame from classify_frame
    config: Config
    as_of: dt.date
    conn: sqlite3.Connection | None


@dataclass(frozen=True)
class AlertRule:
    code: str
    label: str
    action: str
    # → (bool mask on frame.index, why): `why(rows)` gives the text for the masked rows only, since a
    # rule fires for a fraction of a school and text is the costly part.
    find: Callable[[AlertContext], tuple[object, Callable[[object], object]]]


def _num(values):
    """`0.657` → `0.66`, `2.0` → `2`, a whole column at a time."""
    import pyarrow as pa

    return arrow(values.round(2)).cast(pa.string())


def _int_text(values):
    """Whole numbers held as floats (day counts), as text: `12.0` → `12`."""
    import pyarrow as pa

    return arrow(values.astype("float64")).cast(pa.int64()).cast(pa.string())


def _inactive(ctx: AlertContext):
    import pandas as pd

    frame = ctx.frame
    if "last_active" not in frame:
        return _no_alert(frame)
    last = frame["last_active"].dt.normalize()
    days = (pd.Timestamp(ctx.as_of) - last).dt.days
    mask = days.notna() & (days >= ctx.config.alerts.inactive_days)

    def why(rows):
        return join("已连续 ", _int_text(days[rows]), " 天没有学习记录（最近一次 ", day_text(last[rows]), "）")

    return mask, why


def _behind_pace(ctx: AlertContext):
    import pandas as pd

    frame = ctx.frame
    share = ctx.config.alerts.behind_pace_share
    expected = frame["expected_f"] if "expected_f" in frame else pd.Series(float("nan"), index=frame.index)
    known = expected.notna() & (expected > 0)
    mask = known & (frame["F"] < share * expected)

    def why(rows):
        return join(
            "F=", _num(frame["F"][rows]), "，按进度到今天应达 ", _num(expected[rows]),
            f"，不到其 {share:.0%}（", _num(share * expected[rows]), "）",
        )

    return mask, why


def _no_alert(frame):
    """A rule whose column the roster lacks: nobody alerted (missing data never raises an alert)."""
    import pandas as pd

    return pd.Series(False, index=frame.index), None


def _low_satisfaction(ctx: AlertContext):
    import pandas as pd
    import pyarrow.compute as pc

    frame = ctx.frame
    below = ctx.config.alerts.low_satisfaction_below
    if "satisfaction" not in frame:
        return _no_alert(frame)
    rating = frame["satisfaction"]
    earlier = previous_ratings(ctx.conn, ctx.as_of)
    merged = frame[["student_id"]].merge(earlier, on="student_id", how="left")
    before = pd.Series(merged["satisfaction"].to_numpy(dtype="float64"), index=frame.index)
    before_on = pd.Series(pd.to_datetime(merged["as_of"]).to_numpy(), index=frame.index)
    low_now = rating < below
    # "Twice in a row" where a history of ratings exists; with none, one low rating is enough.
    mask = low_now & (before.isna() | (before < below))

    def why(rows):
        now, earlier = rating[rows], before[rows]
        once = join("满意度 ", _num(now), f" 星，低于 {below:g} 星")
        if earlier.isna().all():
            return once
        twice = join(
            f"满意度连续两次低于 {below:g} 星（本次 ", _num(now), " 星，",
            pc.fill_null(day_text(before_on[rows], month_day=True), ""), " 为 ", _num(earlier.fillna(0)), " 星）",
        )
        return where(earlier.isna(), once, twice)

    return mask, why


def _fast_forward(ctx: AlertContext):

    frame = ctx.frame
    share = ctx.config.alerts.fast_forward_share
    if "fast_forward" not in frame:
        return _no_alert(frame)
    value = frame["fast_forward"]
    mask = value > share

    def why(rows):
        return join("视频快进比例 ", _int_text((value[rows] * 100).round()), f"%，超过 {share:.0%}")

    return mask, why


def days_to_course_end(frame, config: Config, as_of: dt.date):
    """Days from `as_of` to the course end (roster column, else pfk.toml [course] end); NaN when unknown."""
    import pandas as pd

    end = frame["course_end"] if "course_end" in frame else pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    if config.course.end is not None:
        end = end.fillna(pd.Timestamp(config.course.end))
    return (end.dt.normalize() - pd.Timestamp(as_of)).dt.days, end


def _renewal(low: int | None, high: int) -> Callable[[AlertContext], tuple[object, object]]:
    """Days left in (low, high]; `low=None` means from 0 (the last day itself) up to `high`."""

    def find(ctx: AlertContext):
        days, end = days_to_course_end(ctx.frame, ctx.config, ctx.as_of)
        lower = (days >= 0) if low is None else (days > low)
        mask = days.notna() & lower & (days <= high)

        def why(rows):
            left, ends = days[rows], day_text(end[rows])
            text = join("距课程结束还有 ", _int_text(left), " 天（", ends, " 结课）")
            return where(left != 0, text, join("今天课程结束（", ends, "）"))

        return mask, why

    return find


def _followup_overdue(ctx: AlertContext):
    import pandas as pd
    import pyarrow.compute as pc

    frame = ctx.frame
    recorded = history.latest_callbacks(ctx.conn, ctx.as_of)
    merged = frame[["student_id"]].merge(recorded, on="student_id", how="left")
    recorded_on = pd.Series(pd.to_datetime(merged["called_on"]).to_numpy(), index=frame.index)
    recorded_follow = pd.Series(pd.to_datetime(merged["follow_up"]).to_numpy(), index=frame.index)
    nat = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    roster_on = frame["last_callback"] if "last_callback" in frame else nat
    roster_follow = frame["next_followup"] if "next_followup" in frame else nat
    # The newer callback decides: a roster's own callback date newer than the recorded one wins.
    use_roster = (roster_on.notna() & (recorded_on.isna() | (roster_on > recorded_on))) | (roster_on.isna() & recorded_on.isna())
    follow = roster_follow.where(use_roster, recorded_follow)
    called = roster_on.where(use_roster, recorded_on)
    days = (pd.Timestamp(ctx.as_of) - follow.dt.normalize()).dt.days
    mask = follow.notna() & (days > 0)

    def why(rows):
        text = join("约定 ", day_text(follow[rows]), " 跟进，已过 ", _int_text(days[rows]), " 天")
        on = called[rows]
        return where(on.isna(), text, join(text, "（", pc.fill_null(day_text(on, month_day=True), ""), " 回访时约定）"))

    return mask, why


RULES: tuple[AlertRule, ...] = (
    AlertRule("inactive", "连续未学习", "先发关怀消息，再电话回访：了解是遇到学习困难还是外部干扰，约一个本周能完成的小目标", _inactive),
    AlertRule("behind_pace", "进度严重落后", "了解卡在哪一步，和学员约定补进度的计划，优先补作业", _behind_pace),
    AlertRule("low_satisfaction", "满意度低", "请服务主管介入，了解不满意的原因；必要时协调更换老师或给出补偿方案", _low_satisfaction),
    AlertRule("fast_forward", "快进过多", "课程可能偏简单或枯燥：推送进阶学习资料，并收集他对课程内容的反馈", _fast_forward),
    AlertRule("renewal_30d", "续费沟通（结课前一个月）", "开始续费沟通：总结这段时间的学习成果和提升空间，说明后续课程能解决什么问题", _renewal(7, 30)),
    AlertRule("renewal_7d", "续费提醒（结课前一周）", "再次沟通续费：回应他的顾虑，说明续费福利和后续安排", _renewal(3, 7)),
    AlertRule("renewal_3d", "续费最后提醒（结课前三天）", "最后一次续费提醒：确认意向，不续也问清原因，并介绍老带新活动", _renewal(None, 3)),
    AlertRule("followup_overdue", "跟进逾期", "约好的跟进已过期：今天补打这个电话，并重新约定下次跟进日期", _followup_overdue),
)
RULE_BY_CODE = {rule.code: rule for rule in RULES}


def rules_text(config: Config) -> list[str]:
    """The thresholds in force, one line per rule, printed with every run."""
    a = config.alerts
    return [
        f"连续未学习：最近学习时间距今 ≥ {a.inactive_days} 天",
        f"进度严重落后：F < {a.behind_pace_share:g} × 按进度应达的 F（有课程日期的学员）",
        f"满意度低：满意度 < {a.low_satisfaction_below:g} 星（有历史评分时须连续两次）",
        f"快进过多：快进比例 > {a.fast_forward_share:.0%}",
        "续费沟通：距结课 8–30 天；续费提醒：4–7 天；续费最后提醒：0–3 天",
        "跟进逾期：最近一次回访约定的跟进日期已过，且之后没有新的回访",
    ]


def previous_ratings(conn: sqlite3.Connection | None, as_of: dt.date):
    """Per student, the newest satisfaction stored in a snapshot strictly before `as_of` (and its date)."""
    import pandas as pd

    if conn is None:
        return pd.DataFrame({"student_id": pd.Series(dtype="str"), "satisfaction": pd.Series(dtype="float64"), "as_of": pd.Series(dtype="str")})
    return history.ratings_before(conn, as_of)


def find_alerts(frame, config: Config, as_of: dt.date, conn: sqlite3.Connection | None = None):
    """Every alert for every student: one row per (student, rule), with columns
    student_id, name, teacher, code, label, why, action — grouped by teacher (in roster order),
    then by student, then in the order of `RULES`.

    >>> alerts = find_alerts(result.frame, config, dt.date(2026, 11, 23))  # doctest: +SKIP
    >>> alerts.loc[0, ["code", "why"]].tolist()                              # doctest: +SKIP
    ['inactive', '已连续 12 天没有学习记录（最近一次 2026-11-11）']
    """
    import pandas as pd

    position, rule, why = _alert_rows(frame, config, as_of, conn)
    if not len(position):
        return pd.DataFrame({name: pd.Series(dtype="str") for name in ALERT_FIELDS})
    who = frame[["student_id", "name", "teacher"]].iloc[position].reset_index(drop=True)
    return pd.DataFrame(
        {
            **{name: who[name] for name in who.columns},
            "code": _per_rule(rule, lambda r: r.code),
            "label": _per_rule(rule, lambda r: r.label),
            "why": why.to_pandas(),
            "action": _per_rule(rule, lambda r: r.action),
        },
        columns=list(ALERT_FIELDS),
    )


def alert_texts(frame, config: Config, as_of: dt.date, conn: sqlite3.Connection | None = None):
    """Each student's alerts as one "why now" text (`连续未学习：已连续 12 天…；跟进逾期：…`), a text
    Series on `frame.index`, missing for a student without any."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    position, rule, why = _alert_rows(frame, config, as_of, conn)
    texts = pa.nulls(len(frame), pa.string())
    if len(position):
        lines = pc.binary_join_element_wise(_per_rule(rule, lambda r: f"{r.label}：", as_arrow=True), why, "")
        # The rows come grouped by student: one list of lines per student, joined by Arrow in one call.
        starts = np.flatnonzero(np.r_[True, position[1:] != position[:-1]])
        per_student = pa.ListArray.from_arrays(pa.array(np.r_[starts, len(position)], pa.int32()), lines)
        # Each row takes its student's text; a row without alerts takes nothing (a null index).
        which = np.full(len(frame), -1)
        which[position[starts]] = np.arange(len(starts))
        texts = pc.binary_join(per_student, "；").take(pa.array(which, mask=which < 0))
    return series(texts, frame.index)


def _alert_rows(frame, config: Config, as_of: dt.date, conn):
    """Every alert as (row position in `frame`, rule number, why — an Arrow string array), ordered by
    teacher (in roster order), then student, then rule. Only the alerted rows are ever taken."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    ctx = AlertContext(_typed(frame), config, as_of, conn)
    positions, rules, whys = [], [], []
    for number, rule in enumerate(RULES):
        mask, why = rule.find(ctx)
        mask = mask.fillna(False).astype(bool)
        if not mask.any():
            continue
        positions.append(np.flatnonzero(mask.to_numpy()))
        rules.append(np.full(len(positions[-1]), number))
        whys.append(why(mask).cast(pa.string()))
    if not positions:
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64), pa.array([], pa.string())
    position, rule = np.concatenate(positions), np.concatenate(rules)
    teacher_rank = pd.factorize(frame["teacher"])[0]
    order = np.lexsort((rule, position, teacher_rank[position]))
    return position[order], rule[order], pa.concat_arrays(whys).take(pa.array(order))


def _per_rule(rule, text, as_arrow: bool = False):
    """`text(RULES[n])` for each rule number `n`, as text."""
    import pyarrow as pa

    values = pa.array([text(r) for r in RULES], pa.string()).take(pa.array(rule))
    return values if as_arrow else values.to_pandas()


_DATE_COLUMNS = ("last_active", "course_end", "last_callback", "next_followup")
_NUMBER_COLUMNS = ("F", "expected_f", "satisfaction", "fast_forward")


def _typed(frame):
    """Dates as datetime64 and ratings as floats, also when the frame comes from a stored snapshot
    (ISO text, or all-blank object columns)."""
    import pandas as pd

    retyped = {}
    for name in _DATE_COLUMNS:
        if name in frame and not pd.api.types.is_datetime64_any_dtype(frame[name]):
            retyped[name] = pd.to_datetime(frame[name], errors="coerce").astype("datetime64[ns]")
    for name in _NUMBER_COLUMNS:
        if name in frame and not pd.api.types.is_float_dtype(frame[name]):
            retyped[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
    return frame.assign(**retyped) if retyped else frame


def missing_data_warnings(frame, config: Config, file: str, sheet: str | None = None) -> list[Problem]:
    """Rules that cannot run for lack of a column say so once (no alert is raised for missing data)."""
    warnings = []
    if "last_active" not in frame:
        label = FIELD_BY_NAME["last_active"].label
        warnings.append(Problem(file=file, sheet=sheet, code="no_last_active",
                                message=f"名单里没有「{label}」列，不检查连续未学习（可用 --progress 提供学习记录）"))
    if "course_end" not in frame and config.course.end is None:
        label = FIELD_BY_NAME["course_end"].label
        warnings.append(Problem(file=file, sheet=sheet, code="no_course_end",
                                message=f"名单里没有「{label}」列，pfk.toml 里也没有 [course] end，不做续费提醒"))
    return warnings


@dataclass
class AlertsResult:
    classified: ClassifyResult
    alerts: object  # pandas.DataFrame with ALERT_FIELDS
    as_of: dt.date
    rules: list[str]
    warnings: list[Problem] = field(default_factory=list)
    output: Path | None = None
    _by_teacher: object = field(default=None, repr=False, compare=False)

    def counts(self) -> dict[str, int]:
        """Alerts per rule code, in rule order (rules with none left out)."""
        totals = self.by_teacher().sum()
        return {rule.code: int(totals[rule.code]) for rule in RULES if rule.code in totals and totals[rule.code]}

    def by_teacher(self):
        """Per teacher (in the order the alerts list them): students alerted, then alerts per rule
        code (rules that fired anywhere, in rule order). A pandas DataFrame, worked out once."""
        if self._by_teacher is None:
            self._by_teacher = teacher_counts(self.alerts)
        return self._by_teacher.copy()


def teacher_counts(alerts):
    """`AlertsResult.by_teacher` of an alerts frame (grouped by teacher, then student, as
    `find_alerts` gives it): counted on codes, since a large school raises hundreds of thousands."""
    import numpy as np
    import pandas as pd

    teacher, teachers = pd.factorize(alerts["teacher"])
    rule = pd.Categorical(alerts["code"], categories=[r.code for r in RULES]).codes
    per_rule = np.bincount(teacher * len(RULES) + rule, minlength=len(teachers) * len(RULES)).reshape(-1, len(RULES))
    student = pd.factorize(alerts["student_id"])[0]
    # A student's alerts are together: a student starts wherever the (teacher, student) pair changes.
    starts = np.r_[True, (student[1:] != student[:-1]) | (teacher[1:] != teacher[:-1])] if len(student) else np.array([], bool)
    fired = per_rule.sum(axis=0) > 0
    table = pd.DataFrame(per_rule[:, fired], index=pd.Index(teachers, name="teacher"), columns=[r.code for r, on in zip(RULES, fired) if on])
    table.insert(0, "students", np.bincount(teacher[starts], minlength=len(teachers)))
    return table


def default_output(roster_path: Path) -> Path:
    return roster_path.with_name(f"{roster_path.stem}.alerts.xlsx")


def alerts_sheet(alerts) -> SheetSpec:
    """预警: one row per alert, columns exactly `ALERT_COLUMNS`."""
    import pandas as pd

    # The columns as they are (Arrow text), renamed: no round trip through Python objects.
    names = ("student_id", "name", "teacher", "label", "code", "why", "action")
    table = pd.DataFrame(
        {header: alerts[name].reset_index(drop=True) for header, name in zip(ALERT_COLUMNS, names)},
        columns=list(ALERT_COLUMNS),
    )
    return SheetSpec(ALERTS_SHEET, table, widths={"原因": 50.0, "建议": 60.0})


def run_alerts(
    workspace: Workspace,
    roster_path: Path,
    as_of: dt.date,
    progress_path: Path | None = None,
    output: Path | None = None,
    sheet: str | None = None,
) -> AlertsResult:
    """Classify the roster, find every alert, write `<roster>.alerts.xlsx` (or `output`)."""
    roster_path = Path(roster_path)
    check_output(Path(output) if output else default_output(roster_path), inputs=[roster_path, progress_path], workspace_root=workspace.root)
    # The alerts read scores and dates, not the segments' why and strategy texts.
    classified = score_students(workspace, roster_path, as_of, progress_path, sheet, explain=False)
    config = workspace.config
    with history.opened(workspace.history_path) as conn:
        alerts = find_alerts(classified.frame, config, as_of, conn)
    warnings = list(classified.warnings)
    warnings += missing_data_warnings(classified.frame, config, classified.roster.file, classified.roster.sheet)
    target = Path(output) if output else default_output(roster_path)
    write_workbook(target, [alerts_sheet(alerts)], inputs=[roster_path, progress_path])
    return AlertsResult(classified, alerts, as_of, rules_text(config), warnings, target)
