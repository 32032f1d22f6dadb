"""`pfk alerts ROSTER`: classify a roster, apply every alert rule (alert_rules.py) and write the
预警 workbook — one row per alert, no phone numbers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from . import history
from .alert_rules import RULES, AlertContext, find_alerts, rules_text
from .classify import ClassifyResult, score_roster
from .columns import FIELD_BY_NAME
from .config import Config
from .errors import Problem
from .excel import SheetSpec, write_workbook
from .outputs import ALERT_COLUMNS, ALERTS_SHEET
from .paths import ALERTS, check_output
from .pool import POOL_NAME
from .workspace import Workspace


def missing_data_warnings(result: ClassifyResult, config: Config) -> list[Problem]:
    """Rules that cannot run for lack of a column say so once (no alert is raised for missing data)."""
    warnings = []
    file, sheet = result.roster.file, result.roster.sheet
    if not result.frame["activity_known"].any():
        label = FIELD_BY_NAME["last_active"].label
        warnings.append(Problem(file=file, sheet=sheet, code="no_last_active",
                                message=f"名单里没有「{label}」列，不检查连续未学习（可用 --progress 提供学习记录）"))
    if "course_end" not in result.roster.fields and config.course.end is None and not config.courses:
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

    def counts(self) -> dict[str, int]:
        """Alerts per rule code, in rule order (rules with none left out)."""
        totals = self.by_teacher().sum()
        return {rule.code: int(totals[rule.code]) for rule in RULES if rule.code in totals and totals[rule.code]}

    def by_teacher(self):
        """Per teacher (in the order the alerts list them): students alerted, then alerts per rule
        code (rules that fired anywhere, in rule order). A pandas DataFrame."""
        return teacher_counts(self.alerts)


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
    config = workspace.config
    target = check_output(Path(output) if output else default_output(roster_path), inputs=[roster_path, progress_path], workspace_root=workspace.root, kind=ALERTS)
    with workspace.open_history(read_only=True) as conn:
        classified = score_roster(roster_path, as_of, config, conn, progress_path, sheet)
        # A student in the public pool is nobody's: the alert says so.
        frame = classified.frame.assign(teacher=classified.frame["teacher"].fillna(POOL_NAME))
        ctx = AlertContext(frame, config, as_of, classified.callbacks, history.ratings_before(conn, as_of))
    alerts = find_alerts(ctx)
    warnings = [*classified.warnings, *missing_data_warnings(classified, config)]
    write_workbook(target, [alerts_sheet(alerts)], inputs=[roster_path, progress_path], kind=ALERTS)
    return AlertsResult(classified, alerts, as_of, rules_text(config), warnings, target)
