"""`pfk risk fit`: the risk estimate's weights fitted to the team's own finished cohorts (issue 27).

For every student of a finished cohort (a course whose end has a snapshot after it), one row: the
signals of `risk.estimate` on the in-course snapshot nearest the course's middle, and the outcome — lost
(gone from the roster at the first snapshot on or after the end, or ending with less than half the
course done, F < 1) or not. A logistic regression (scikit-learn, imported here alone) is fitted to the
rows; how well it ranks is its AUC on cohorts it did not see (each cohort left out in turn; with one
cohort, five folds of its students), beside the AUC of the weights in force on the same rows. The
result is printed as a `[risk]` block for pfk.toml: a lead pastes it, the team reviews it in git.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .config import RISK_SIGNALS
from .errors import UsageError

# F at the end below this: less than half the course done, a student failed.
FAILED_F = 1.0
MIN_ROWS = 20


@dataclass
class FitResult:
    rows: int
    lost: int
    cohorts: list[str]
    auc_in_force: float
    auc_fitted: float
    how: str  # how the held-out AUC was measured
    intercept: float = 0.0
    weights: dict[str, float] = field(default_factory=dict)

    def toml(self) -> str:
        lines = ["[risk]", f"intercept = {self.intercept:.2f}"]
        lines += [f"{name} = {value:.2f}" for name, value in self.weights.items()]
        return "\n".join(lines)


def training_rows(conn, config, as_of: dt.date):
    """One row per student of a finished cohort: the signals mid-course, `lost`, `cohort`."""
    import numpy as np
    import pandas as pd

    from . import history
    from .alert_rules import AlertContext
    from .model import student_courses
    from .risk import estimate

    dates = [d for d in history.snapshot_dates(conn) if d <= as_of]
    frames = {d: history.load_snapshot(conn, d, history.WORKING_COLUMNS) for d in dates}
    # Each student's course end and middle, from the newest snapshot that holds them.
    known = pd.concat([frame.assign(_day=pd.Timestamp(d)) for d, frame in frames.items()], ignore_index=True)
    courses = student_courses(known, config)
    known = known.assign(_end=courses["end"], _start=courses["start"]).dropna(subset=["_end", "_start"])
    known = known.sort_values("_day").drop_duplicates(["student_id", "course", "_end"], keep="last")
    after = {pd.Timestamp(d) for d in dates}
    rows = []
    for (course, end), cohort in known.groupby(["course", "_end"], dropna=False):
        closing = sorted(day for day in after if day >= end)
        if not closing:
            continue  # not finished: its outcomes are not known yet
        final = frames[closing[0].date()].set_index("student_id")
        middle = cohort["_start"].iloc[0] + (end - cohort["_start"].iloc[0]) / 2
        running = [day for day in sorted(after) if day < end]
        if not running:
            continue
        day = min(running, key=lambda d: abs((d - middle).days)).date()
        frame = frames[day]
        frame = frame[frame["student_id"].isin(cohort["student_id"])].reset_index(drop=True)
        if frame.empty:
            continue
        frame = frame.assign(first_seen=pd.NaT)
        callbacks = history.newest_callbacks(conn, frame, day)
        ctx = AlertContext(frame, config, day, callbacks, history.ratings_before(conn, day))
        found = estimate(ctx, history.previous_snapshot(conn, day))
        ids = frame["student_id"]
        stayed = ids.isin(final.index)
        f_end = ids.map(final["F"]) if "F" in final else pd.Series(np.nan, index=ids.index)
        lost = ~stayed | (f_end < FAILED_F)
        name = course if isinstance(course, str) and course else "（未填课程）"
        rows.append(found.signals.assign(lost=lost.to_numpy(), cohort=f"{name} {end:%Y-%m-%d}"))
    if not rows:
        return pd.DataFrame(columns=[*RISK_SIGNALS, "lost", "cohort"])
    return pd.concat(rows, ignore_index=True)


def fit(workspace, as_of: dt.date) -> FitResult:
    """Fit the weights to the finished cohorts of the workspace's history; raises UsageError when there
    are too few to fit (with what is needed)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import GroupKFold, StratifiedKFold

    workspace.history_store("pfk risk fit 需要工作区的历史：请先运行 pfk init，并每周运行 pfk classify", "工作区还没有分层快照：先运行 pfk classify")
    config = workspace.config
    with workspace.open_history() as conn:
        rows = training_rows(conn, config, as_of)
    lost = rows["lost"].astype(bool).to_numpy() if len(rows) else np.zeros(0, bool)
    if len(rows) < MIN_ROWS or lost.all() or not lost.any():
        raise UsageError(
            f"历史里已结课的学员只有 {len(rows)} 人（其中流失 {int(lost.sum())} 人），不够拟合：至少要 {MIN_ROWS} 人，且流失和没流失的都要有；"
            "每周运行 pfk classify，等一期课结束后（结课后也要有一次快照）再试"
        )
    x = rows[list(RISK_SIGNALS)].to_numpy(dtype="float64")
    weights = config.risk.weights()
    in_force = config.risk.intercept + x @ np.array([weights[name] for name in RISK_SIGNALS])
    cohorts = sorted(rows["cohort"].unique())
    held = np.zeros(len(rows))
    if len(cohorts) > 1:
        splits = GroupKFold(n_splits=len(cohorts)).split(x, lost, groups=rows["cohort"])
        how = f"每次留出一期（共 {len(cohorts)} 期），用其余各期拟合、在留出的一期上算"
    else:
        splits = StratifiedKFold(n_splits=5, shuffle=True, random_state=0).split(x, lost)
        how = "只有一期：学员分成 5 份，每次用 4 份拟合、在第 5 份上算"
    for train, test in splits:
        if len(set(lost[train])) < 2:
            held[test] = in_force[test]
            continue
        model = LogisticRegression(C=1.0, max_iter=1000).fit(x[train], lost[train])
        held[test] = model.decision_function(x[test])
    model = LogisticRegression(C=1.0, max_iter=1000).fit(x, lost)
    return FitResult(
        rows=len(rows), lost=int(lost.sum()), cohorts=cohorts,
        auc_in_force=float(roc_auc_score(lost, in_force)), auc_fitted=float(roc_auc_score(lost, held)), how=how,
        intercept=float(model.intercept_[0]), weights={name: float(w) for name, w in zip(RISK_SIGNALS, model.coef_[0])},
    )
