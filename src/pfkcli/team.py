"""The team as data (pfk.toml `[teachers."张老师"]`): who the teachers are, how many students each
holds at most (`capacity`), whether each takes students now (`active`), and the load each carries.

A teacher is anyone pfk.toml lists or anyone who holds a student (the roster's 运营老师, or a move in
the history); one not listed is active with `[assign] default_capacity` (80).
"""

from __future__ import annotations

from dataclasses import dataclass

from .config import Config
from .errors import UsageError


@dataclass(frozen=True)
class TeacherLoad:
    """One teacher's load against her capacity, before and after a change (pfk assign, pfk pool claim)."""

    teacher: str
    capacity: int
    active: bool
    listed: bool  # in pfk.toml [teachers]; otherwise the default capacity applies
    before: int
    after: int

    @property
    def room(self) -> int:
        """Students she can still take (negative: over her capacity)."""
        return self.capacity - self.after


def team_names(config: Config, *holders) -> list[str]:
    """Every teacher, by name: those pfk.toml lists and those holding a student in any of `holders`
    (Series of teacher names; blanks ignored)."""
    names = set(config.teachers)
    for held in holders:
        names.update(str(name) for name in held.dropna().unique().tolist() if str(name).strip())
    return sorted(names)


def team_loads(config: Config, before, after, names: list[str] | None = None) -> list[TeacherLoad]:
    """Each teacher's load before and after (Series of the teacher holding each student; blank: nobody),
    in name order, over `names` (default: `team_names` of both)."""
    names = team_names(config, before, after) if names is None else names
    counted_before, counted_after = before.value_counts(), after.value_counts()
    loads = []
    for name in names:
        own = config.teacher(name)
        loads.append(
            TeacherLoad(name, int(own.capacity), own.active, name in config.teachers, int(counted_before.get(name, 0)), int(counted_after.get(name, 0)))
        )
    return loads


def teachers_to_serve(held_by, teacher: str | None) -> list[str]:
    """The teachers a sheet-making command serves: `teacher` alone, else everyone holding a student
    (`held_by`: each student's teacher, blank in the pool), in name order. One holding nobody is refused."""
    teachers = sorted(held_by.dropna().unique().tolist())
    if teacher is None:
        return teachers
    if teacher not in teachers:
        raise UsageError(f"没有「{teacher}」的学员；名单里的老师有：{names_shown(teachers)}")
    return [teacher]


# Teachers named in one error line at most; more end in "…".
SHOWN_NAMES = 20


def names_shown(names: list[str]) -> str:
    """Teachers' names for an error line: the first `SHOWN_NAMES`, joined with 、, "…" when there are more."""
    return "、".join(names[:SHOWN_NAMES]) + ("…" if len(names) > SHOWN_NAMES else "")
