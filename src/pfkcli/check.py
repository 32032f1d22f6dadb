"""`pfk check`: validate rosters and summarise them, writing nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError, InvalidInput, Problem
from .roster import Roster, load_roster
from .workspace import Workspace


@dataclass
class CheckReport:
    rosters: list[Roster]
    warnings: list[Problem] = field(default_factory=list)

    def per_teacher(self):
        """Students per teacher (rows) and course (columns), over every file checked."""
        import pandas as pd

        frames = [r.frame.assign(course=r.frame["course"] if "course" in r.frame else "") for r in self.rosters]
        frame = pd.concat(frames, ignore_index=True)
        frame["course"] = frame["course"].fillna("").replace("", "（未填课程）")
        table = pd.crosstab(frame["teacher"], frame["course"], margins=True, margins_name="合计")
        return table


def check_files(workspace: Workspace, paths: list[Path], sheet: str | None = None) -> CheckReport:
    """Validate every file; raise one InvalidInput with all problems of all files."""
    rosters, problems, warnings = [], [], []
    for path in paths:
        try:
            roster = load_roster(path, workspace.config, sheet)
        except InvalidInput as exc:
            problems += exc.problems
            warnings += exc.warnings
            continue
        except InputError as exc:  # one unreadable file does not hide the problems of the others
            problems.append(Problem(file=Path(path).name, code="unreadable", message=exc.message.split(": ", 1)[-1]))
            continue
        rosters.append(roster)
        warnings += roster.warnings
    if problems:
        raise InvalidInput(problems, warnings)
    return CheckReport(rosters, warnings)
