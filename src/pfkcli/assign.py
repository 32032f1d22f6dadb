"""`pfk assign`: give every student without an active teacher one (SPEC §10; seeds 000, 001).

`assign_students` is the assignment itself, a pure function of plain data:

- **Loads follow capacity.** The students held by active teachers are shared in proportion to their
  capacities: each active teacher's target is her share, `students × capacity / total capacity`,
  rounded down or up so that the targets add up (only a share with a fraction is rounded up: a teacher
  already holding more than the lower figure first, then the largest remainder, the larger capacity,
  the name). Every active teacher
  so ends within one student of her share.
- **Nobody already assigned moves**, unless `rebalance`: a teacher already holding more than her
  share keeps her students and takes no new ones, and the others share the rest in proportion (said
  in `Allocation.above_share`). With `rebalance`, such a teacher gives up what she holds beyond her
  target — the fewest moves that reach the targets —, taken from the segments she holds most of
  compared with the team, newest student ID first.
- **The segment mix is spread.** Students are dealt segment by segment, the hardest first
  (待回访, then 挽留 …, as `segments.Segment.rank` orders them), each student to the teacher with room
  left who is furthest below her fair part of that segment (her target × the segment's share of all
  students); ties go to the teacher with more room left, then the name. No teacher gets all the 挽留.
- **Capacity overflow**: more students than the active teachers' total capacity are still all
  assigned, in proportion (a paying student needs a teacher; the pool is for those nobody can reach),
  and `Allocation.overflow` says by how many.
- **Deterministic**: no randomness; students are taken in student-ID order, teachers in name order.

`assign_roster` is the command around it: the roster read and classified (`classify.score_roster`,
which also says who holds whom and who is in the pool), the assignment, the workbook and the moves
stored in the history.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from .errors import UsageError
from .segments import BY_CODE

# Why a student is given a teacher (the code of a `Move`).
NO_TEACHER, INACTIVE, REBALANCE = "no_teacher", "inactive", "rebalance"


@dataclass(frozen=True)
class TeacherSlot:
    name: str
    capacity: int  # students she holds at most
    active: bool = True


@dataclass(frozen=True)
class StudentSlot:
    student_id: str
    segment: str  # a segment code (segments.py) or 待回访
    teacher: str | None  # who holds the student now; None: nobody


@dataclass(frozen=True)
class Move:
    student_id: str
    from_teacher: str | None
    to_teacher: str
    reason: str  # NO_TEACHER, INACTIVE or REBALANCE


@dataclass
class Allocation:
    moves: list[Move]
    shares: dict[str, Fraction]  # each active teacher's capacity-proportional share of the students
    targets: dict[str, int]  # what each active teacher was filled up to (within one of her share)
    before: dict[str, int]  # students each teacher held before (every teacher named, active or not)
    after: dict[str, int]
    overflow: int = 0  # students beyond the active teachers' total capacity (0: none)
    above_share: list[str] = field(default_factory=list)  # active teachers left above their share (no rebalance)

    def teacher_of(self) -> dict[str, str]:
        """Student ID → the teacher it moves to, for the students that move."""
        return {move.student_id: move.to_teacher for move in self.moves}


def assign_students(students: Sequence[StudentSlot], teachers: Sequence[TeacherSlot], rebalance: bool = False) -> Allocation:
    """Give every student not held by an active teacher one, balancing load against capacity and
    spreading the segment mix (see the module's docstring for every rule).

    >>> team = [TeacherSlot("张老师", 20), TeacherSlot("李老师", 10)]
    >>> new = [StudentSlot(f"S{n}", "待回访", None) for n in range(6)]
    >>> Counter(m.to_teacher for m in assign_students(new, team).moves)
    Counter({'张老师': 4, '李老师': 2})
    """
    active = {t.name: t.capacity for t in sorted(teachers, key=lambda t: t.name) if t.active}
    if not active or not sum(active.values()):
        raise UsageError("没有可以分配学员的在职老师：请在 pfk.toml 的 [teachers] 里把至少一位老师设为 active = true，且 capacity 大于 0")
    students = sorted(students, key=lambda s: s.student_id)
    held: dict[str, list[StudentSlot]] = {name: [] for name in active}
    free: list[tuple[StudentSlot, str]] = []
    for student in students:
        if student.teacher in active:
            held[student.teacher].append(student)
        else:
            free.append((student, NO_TEACHER if student.teacher is None else INACTIVE))

    total, capacity = len(students), sum(active.values())
    loads = {name: len(own) for name, own in held.items()}
    targets, above = _targets(total, active, loads, keep=not rebalance)
    mix = Counter(s.segment for s in students)
    if rebalance:
        for name in active:
            given = _given_up(held[name], len(held[name]) - targets[name], targets[name], mix, total)
            if given:
                leaving = {student.student_id for student in given}
                held[name] = [student for student in held[name] if student.student_id not in leaving]
                free += [(student, REBALANCE) for student in given]

    have = {name: Counter(s.segment for s in own) for name, own in held.items()}
    load = {name: len(own) for name, own in held.items()}
    moves = []
    for student, reason in sorted(free, key=lambda item: (_deal_order(item[0].segment), item[0].student_id)):
        name = _receiver(student.segment, active, targets, load, have, mix, total)
        load[name] += 1
        have[name][student.segment] += 1
        moves.append(Move(student.student_id, student.teacher, name, reason))

    before = Counter(s.teacher for s in students if s.teacher is not None)
    after = Counter(before)
    for move in moves:
        if move.from_teacher is not None:
            after[move.from_teacher] -= 1
        after[move.to_teacher] += 1
    named = sorted({t.name for t in teachers} | set(before))
    return Allocation(
        moves=moves,
        shares={name: Fraction(total * cap, capacity) for name, cap in active.items()},
        targets=targets,
        before={name: before.get(name, 0) for name in named},
        after={name: after.get(name, 0) for name in named},
        overflow=max(0, total - capacity),
        above_share=above,
    )


def _targets(total: int, capacities: dict[str, int], loads: dict[str, int], keep: bool) -> tuple[dict[str, int], list[str]]:
    """Each active teacher's target load: her share of `total` by capacity, rounded so the targets add
    up. With `keep`, a teacher holding more than her share keeps that load (and is named in the
    second value), and the others share what is left, until none holds more than her share."""
    fixed: dict[str, int] = {}
    while True:
        rest = [name for name in capacities if name not in fixed]
        left = total - sum(fixed.values())
        room = sum(capacities[name] for name in rest)
        if not room:  # the others take no students at all: they stay at what they hold
            return {**fixed, **{name: loads[name] for name in rest}}, sorted(fixed)
        # Integer arithmetic: share × room = left × capacity, exactly.
        over = [name for name in rest if loads[name] * room > left * capacities[name]] if keep else []
        if not over:
            break
        fixed.update({name: loads[name] for name in over})
    floors = {name: left * capacities[name] // room for name in rest}
    remainders = {name: left * capacities[name] % room for name in rest}
    extra = left - sum(floors.values())
    # Only a share with a fraction is rounded up (there are always enough of them for `extra`); among
    # them, a teacher already holding more than the lower figure first, so fewer students move.
    order = sorted(rest, key=lambda name: (not remainders[name], loads[name] <= floors[name], -remainders[name], -capacities[name], name))
    for name in order[:extra]:
        floors[name] += 1
    return {**fixed, **floors}, sorted(fixed)


def _deal_order(segment: str) -> tuple[int, str]:
    """The hardest segments are dealt first, while every teacher still has room: 待回访, 挽留 …"""
    known = BY_CODE.get(segment)
    return (known.rank if known else len(BY_CODE), segment)


def _given_up(own: list[StudentSlot], excess: int, target: int, mix: Counter, total: int) -> list[StudentSlot]:
    """The `excess` students a teacher above her target gives up: each from the segment she holds most
    of compared with the team's mix (her target × the segment's share), the newest student ID first."""
    if excess <= 0:
        return []
    by_segment: dict[str, list[StudentSlot]] = {}
    for student in sorted(own, key=lambda s: s.student_id):
        by_segment.setdefault(student.segment, []).append(student)
    given = []
    for _ in range(excess):
        # Surplus scaled by `total`, so the comparison is exact.
        segment = max(sorted(by_segment, key=_deal_order), key=lambda g: len(by_segment[g]) * total - target * mix[g])
        given.append(by_segment[segment].pop())
        if not by_segment[segment]:
            del by_segment[segment]
    return given


def _receiver(segment: str, capacities: dict[str, int], targets: dict[str, int], load: dict[str, int], have: dict, mix: Counter, total: int) -> str:
    """The teacher who takes the next student of `segment`: among those below their target, the one
    furthest below her fair part of the segment, then with the most room, then by name."""
    open_ = [name for name in capacities if load[name] < targets[name]]
    if not open_:  # only when no active teacher with capacity is left below target: the lightest load by capacity
        able = [name for name in capacities if capacities[name]] or list(capacities)
        return min(able, key=lambda name: Fraction(load[name] + 1, max(capacities[name], 1)))
    # Deficit scaled by `total`: target × mix / total − have, exactly.
    return max(open_, key=lambda name: (targets[name] * mix[segment] - have[name][segment] * total, targets[name] - load[name]))


# --- the command ----------------------------------------------------------------------------------

# 原因 in the 分配结果 sheet, per move reason.
REASON_TEXTS = {
    NO_TEACHER: "名单里没有运营老师",
    INACTIVE: "原运营老师 {from_teacher} 已停用",
    REBALANCE: "均衡负载：{from_teacher} 超出按容量应带的 {target} 人",
}


def reason_text(move: Move, allocation: Allocation) -> str:
    return REASON_TEXTS[move.reason].format(from_teacher=move.from_teacher, target=allocation.targets.get(move.from_teacher or "", 0))


@dataclass
class AssignResult:
    as_of: dt.date
    allocation: Allocation
    loads: list  # team.TeacherLoad, every teacher
    unassigned_before: int  # students nobody held before (the pool left out)
    in_pool: int  # students in the public pool, left there
    changes: object  # pandas.DataFrame: the 分配结果 sheet
    notes: list[str] = field(default_factory=list)  # what the lead should know, one line each
    warnings: list = field(default_factory=list)
    output: Path | None = None
    recorded: bool = False


def default_output(roster_path: Path) -> Path:
    return roster_path.with_name(f"{roster_path.stem}.assign.xlsx")


def assign_roster(
    workspace,
    roster_path: Path,
    as_of: dt.date,
    output: Path | None = None,
    rebalance: bool = False,
    sheet: str | None = None,
) -> AssignResult:
    """Read and classify the roster, assign, write `<roster>.assign.xlsx` (学员名单, 分配结果), and
    store the moves in the workspace history. Nothing is written when the roster is invalid."""
    from . import history
    from .classify import score_roster
    from .excel import write_workbook
    from .paths import ASSIGNED, check_output
    from .team import team_loads, team_names

    target = Path(output) if output else default_output(Path(roster_path))
    check_output(target, inputs=[roster_path], workspace_root=workspace.root, kind=ASSIGNED)
    config = workspace.config
    with workspace.open_history() as conn:
        scored = score_roster(roster_path, as_of, config, conn, sheet=sheet, teacher_optional=True, keep_cells=True)
        frame = scored.frame
        in_pool = frame["pool_on"].notna()
        holder = frame["owner"]
        names = team_names(config, holder, frame["roster_teacher"])
        teachers = [TeacherSlot(name, int(config.teacher(name).capacity), config.teacher(name).active) for name in names]
        kept = frame[~in_pool]
        students = [
            StudentSlot(sid, segment, owner if isinstance(owner, str) and owner else None)
            for sid, segment, owner in zip(kept["student_id"].tolist(), kept["segment"].tolist(), kept["owner"].tolist())
        ]
        allocation = assign_students(students, teachers, rebalance)
        moved = allocation.teacher_of()
        reasons = {move.student_id: reason_text(move, allocation) for move in allocation.moves}
        after = holder.where(in_pool, frame["student_id"].map(moved).astype("str").fillna(holder))
        # The platform gets each student's teacher; a student in the pool keeps what the roster says.
        given = after.where(~in_pool, frame["roster_teacher"])
        changes = _changes(frame, given, reasons)
        write_workbook(target, [_roster_sheet(scored.roster, frame, given), _changes_sheet(changes)], inputs=[roster_path], kind=ASSIGNED)
        recorded = False
        if conn is not None and allocation.moves:
            roster_of = dict(zip(frame["student_id"].tolist(), frame["roster_teacher"].tolist()))
            history.record_moves(conn, [
                {
                    "student_id": move.student_id, "kind": "assign", "from_teacher": move.from_teacher, "teacher": move.to_teacher,
                    "roster_teacher": roster_of[move.student_id], "on_day": as_of,
                    "reason": reasons[move.student_id],
                }
                for move in allocation.moves
            ])
            recorded = True
    kept_holder = holder[~in_pool]
    result = AssignResult(
        as_of=as_of,
        allocation=allocation,
        loads=team_loads(config, kept_holder, after[~in_pool], names),
        unassigned_before=int(kept_holder.isna().sum()),
        in_pool=int(in_pool.sum()),
        changes=changes,
        warnings=scored.warnings,
        output=target,
        recorded=recorded,
    )
    result.notes = _notes(result, teachers, workspace.history_path is not None)
    return result


def _notes(result: AssignResult, teachers: list[TeacherSlot], in_workspace: bool) -> list[str]:
    allocation = result.allocation
    notes = []
    if allocation.overflow:
        capacity = sum(t.capacity for t in teachers if t.active)
        held = capacity + allocation.overflow
        notes.append(
            f"学员 {held} 人，在职老师的容量共 {capacity} 人，多出 {allocation.overflow} 人：仍全部按容量比例分给在职老师"
            "（每人都会超出容量）；请在 pfk.toml 的 [teachers] 里调高 capacity 或增加老师"
        )
    for name in allocation.above_share:
        share, held = allocation.shares[name], allocation.before.get(name, 0)
        if held <= math.ceil(share):  # within rounding of her share: nothing to say
            continue
        took_none = "，本次没有分给她新学员" if allocation.moves else ""
        notes.append(f"{name} 已有 {held} 人，超过按容量应带的 {float(share):.1f} 人{took_none}；加 --rebalance 可把多出的学员分给其他老师")
    if not allocation.moves:
        held = "不在公海的学员都有在职的运营老师" if result.in_pool else "每位学员都有在职的运营老师"
        notes.append(f"没有需要分配的学员：{held}")
    if result.in_pool:
        notes.append(f"公海里的 {result.in_pool} 名学员不参与分配，学员名单里保持原来的运营老师（用 pfk pool claim 认领）")
    if not in_workspace and allocation.moves:
        notes.append("不在工作区内：这次分配只写进了工作簿，没有记入历史（先用 pfk init 建立工作区）")
    return notes


def _changes(frame, given, reasons: dict[str, str]):
    """分配结果: every student whose 运营老师 differs from the roster's — what the platform must change —,
    in roster order, with why: this run's move, or the earlier move that still stands."""
    import pandas as pd

    from .outputs import ASSIGN_CHANGES_COLUMNS

    roster = frame["roster_teacher"]
    changed = given.fillna("") != roster.fillna("")
    why = frame["student_id"].map(reasons).astype("str").fillna(frame["move_reason"])
    rows = frame[changed]
    return pd.DataFrame(
        dict(zip(ASSIGN_CHANGES_COLUMNS, (rows["student_id"], rows["name"], roster[changed], given[changed], why[changed])))
    ).reset_index(drop=True)


def _changes_sheet(changes):
    from .excel import SheetSpec
    from .outputs import ASSIGN_CHANGES_SHEET

    return SheetSpec(ASSIGN_CHANGES_SHEET, changes, widths={"原因": 40.0})


def _roster_sheet(roster, frame, teachers):
    """学员名单: the roster as it came, every column in its place under its own header, 运营老师 filled
    in (added last when the roster had no such column) — ready to import back into the platform.
    Names, IDs and phones are written as text, dates as dates, other known columns as the cells were
    typed (a number as a number: a minutes column stays in minutes), unknown columns as pfk read them."""
    import pandas as pd

    from .columns import FIELD_BY_NAME
    from .excel import SheetSpec
    from .outputs import ASSIGN_ROSTER_SHEET

    columns = {}
    for header, name in roster.columns:
        if name == "teacher":
            columns[header] = teachers
        elif name.startswith("extra:") or FIELD_BY_NAME[name].kind in ("id", "text", "phone", "date"):
            columns[header] = frame[name]
        else:
            columns[header] = _as_typed(roster.cells[name])
    if "teacher" not in roster.fields:
        columns[FIELD_BY_NAME["teacher"].label] = teachers
    return SheetSpec(ASSIGN_ROSTER_SHEET, pd.DataFrame(columns, index=frame.index))


def _as_typed(cells):
    """A column of cells read as text: numbers where every filled cell is one, else the texts."""
    import pandas as pd

    numbers = pd.to_numeric(cells, errors="coerce")
    return numbers if numbers.notna().sum() == cells.notna().sum() else cells
