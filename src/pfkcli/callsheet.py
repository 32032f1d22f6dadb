"""`pfk callsheet`: one workbook per teacher — whom to call, in what order, why now, what to say.

Who is due (as of a date): never called; last callback at least `cadence_days` ago; a follow-up date
that has come; or an open alert (unless the last callback is less than 7 days old). The order: pending callback first, then 挽留 segments, then 督促,
then the rest; within each, the longest wait since the last callback first.
"""

from __future__ import annotations

import datetime as dt
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from . import history
from .errors import OutputError, Problem, UsageError
from .excel import SheetSpec, write_workbook
from .outputs import (
    CALLSHEET_COLUMNS,
    CALLSHEET_INFO_SHEET,
    CALLSHEET_PLAYBOOK_SHEET,
    CALLSHEET_SHEET,
    FILL_IN_COLUMNS,
    INFO_AS_OF,
    INFO_TEACHER,
)
from .paths import check_output_folder, check_outputs, inside, safe_name
from .progress import step
from .segments import BY_CODE, PENDING_CODE
from .texts import arrow, day_text, join, series, where
from .workspace import Workspace

QUESTIONS_ON_SHEET = 3
# Call sheets written at once, one per core (up to 4): while one is written (in Rust, without the
# GIL) the next is laid out.
WRITERS = max(1, min(4, os.cpu_count() or 1))
ALERT_QUIET_DAYS = 7
SCORE_CHOICES = ["1", "2", "3", "4", "5"]


@dataclass
class WrittenSheet:
    teacher: str
    path: Path
    students: int
    due: int


@dataclass
class CallsheetResult:
    as_of: dt.date
    source: str
    sheets: list[WrittenSheet] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def callsheet_name(teacher: str, as_of: dt.date, taken: set[str] | None = None) -> str:
    """`<teacher>-<as-of>.xlsx`; with `taken`, two teachers whose names clean to the same never share a file."""
    return f"{safe_name(teacher, taken=taken)}-{as_of.isoformat()}.xlsx"


def make_callsheets(
    workspace: Workspace,
    as_of: dt.date,
    teacher: str | None = None,
    roster_path: Path | None = None,
    progress_path: Path | None = None,
    limit: int | None = None,
    folder: Path | None = None,
) -> CallsheetResult:
    """Write `callsheets/<teacher>-<as-of>.xlsx` for one teacher (or every teacher when `teacher` is None)."""
    from .playbooks import load_playbooks

    check_output_folder(folder or workspace.callsheets_dir, workspace.root)
    # From a snapshot, the playbooks load on another thread while it is read (ruamel's parser is
    # Python work, but reading the snapshot is mostly Arrow's, without the GIL).
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pfk-load") as pool:
        books = pool.submit(load_playbooks, workspace) if roster_path is None else None
        frame, source, warnings, playbooks, alerts = _students(workspace, as_of, roster_path, progress_path)
        playbooks = books.result() if books is not None else playbooks
    teachers = sorted(frame["teacher"].dropna().unique().tolist())
    if teacher is not None:
        if teacher not in teachers:
            shown = "、".join(teachers[:20]) + ("…" if len(teachers) > 20 else "")
            raise UsageError(f"没有「{teacher}」的学员；名单里的老师有：{shown}")
        teachers = [teacher]
    with step("排定回访名单"):
        order = calling_order(frame, workspace, as_of, alerts)
    folder = folder or workspace.callsheets_dir
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file named callsheets, no permission
        reason = "已有同名的文件" if isinstance(exc, FileExistsError) else exc.strerror
        raise OutputError(f"{folder}: 无法建立回访表文件夹（{reason}）") from exc
    result = CallsheetResult(as_of, source, warnings=warnings)
    inputs = [roster_path, progress_path]
    students = frame["teacher"].value_counts()
    taken: set[str] = set()
    jobs = []
    for name in teachers:
        start, stop = order.bounds.get(name, (0, 0))
        if limit is not None:
            stop = min(stop, start + limit)
        jobs.append((name, inside(folder, callsheet_name(name, as_of, taken)), start, stop))
    check_outputs([target for _, target, _, _ in jobs], inputs=inputs, workspace_root=workspace.root)

    with step("排定回访名单"):
        layout = CallsheetLayout.of(order, [(start, stop) for _, _, start, stop in jobs], playbooks)

    def write(name: str, target: Path, start: int, stop: int) -> None:
        write_workbook(target, layout.sheets(name, as_of, start, stop), inputs=inputs)

    # The Rust writer lets go of the GIL: one workbook is written while the next is prepared.
    with (
        ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="pfk-callsheet") as pool,
        step("写出回访表", total=len(jobs)) as bar,
    ):
        written = [pool.submit(write, name, target, *span) for (name, target, _, _), span in zip(jobs, layout.bounds)]
        try:
            for (name, target, start, stop), done in zip(jobs, written):
                done.result()
                result.sheets.append(WrittenSheet(name, target, int(students.get(name, 0)), stop - start))
                bar.advance()
        except BaseException:
            for pending in written:
                pending.cancel()
            raise
    return result


def _students(workspace: Workspace, as_of: dt.date, roster_path, progress_path):
    """The classified students: from the roster on the fly, or the newest snapshot on or before `as_of`.
    Returns (frame, source, warnings, playbooks, alerts) — playbooks as the classification loaded
    them, or {}; alerts as stored with the snapshot when still current, or None."""
    if roster_path is not None:
        from .classify import score_students

        scored = score_students(workspace, roster_path, as_of, progress_path)
        return scored.frame, f"名单 {Path(roster_path).name}", scored.warnings, scored.playbooks, None
    if workspace.history_path is None or not workspace.history_path.exists():
        raise UsageError("还没有分层结果：请先在工作区里运行 pfk classify，或用 --roster 指定名单")
    with history.opened(workspace.history_path) as conn:
        dates = [d for d in history.snapshot_dates(conn) if d <= as_of]
        if not dates:
            raise UsageError(f"{as_of} 及以前没有分层快照：请先运行 pfk classify，或用 --roster 指定名单")
        frame = history.load_snapshot(conn, dates[-1])
        # Worked out by classify for its own date: a sheet for a later day works them out again.
        alerts = history.stored_alerts(conn, as_of, workspace.config) if dates[-1] == as_of else None
    frame = frame.rename(columns={"p": "P", "f": "F", "k": "K"})
    if alerts is not None:
        alerts.index = frame.index
    return frame, f"{dates[-1]} 的分层快照", [], {}, alerts


def due_students(frame, workspace: Workspace, as_of: dt.date, alerts=None):
    """The students due for a call, with `why_now`, `last_called`, `last_note`: each teacher's
    students together (teachers in order of first appearance), in calling order within each.
    `alerts`: each student's alert text as `alert_texts` gives it, when already worked out."""
    import numpy as np

    order = calling_order(frame, workspace, as_of, alerts)
    return order.take(np.arange(len(order.rows)))


@dataclass
class CallingOrder:
    """Who is due and in what order, for the whole school, worked out on keys alone (dates, masks,
    ranks). The rows themselves — names, phones, the "why now" text — are taken afterwards, only for
    the teachers whose sheets are made (`take`): `--teacher` takes one teacher's rows, not 84,000."""

    frame: object  # the classified students
    rows: object  # numpy positions in `frame` of the due students, in calling order, teachers together
    bounds: dict[str, tuple[int, int]]  # teacher → [start, stop) of `rows`
    reasons: dict[str, object]  # why each due student is due: numpy masks along `rows`
    days: object  # numpy days since the last callback along `rows` (10**6: never)
    priority: object  # numpy call priority of the segment along `rows`
    last_called: object  # pandas Series on frame.index
    follow_up: object
    note: object
    alerts: object
    cadence: int

    def take(self, index):
        """The due students at `index` (positions in `rows`) as a frame: the frame's columns, then
        why_now, last_called, last_note, priority, waited."""
        import pyarrow as pa
        import pyarrow.compute as pc

        rows = self.rows[index]
        never, pending, stale, follow_due, has_alert = (
            self.reasons[key][index] for key in ("never", "pending", "stale", "follow_due", "has_alert")
        )
        days = self.days[index]

        def part(mask, text):
            """One reason: the text where `mask` holds, missing elsewhere."""
            return where(mask, text, pa.scalar(None, pa.string()))

        follow = pc.fill_null(day_text(self.follow_up.iloc[rows], month_day=True), "")
        waited_text = pa.array(days.astype("int64")).cast(pa.string())
        reasons = pc.binary_join_element_wise(
            part(never, "从未回访，先了解情况并打 P、K 分"),
            part(pending & ~never, "P/K 还不完整，补打分"),
            part(stale & ~never, join("距上次回访 ", waited_text, f" 天（≥{self.cadence} 天）")),
            part(follow_due, join("约定的跟进日期 ", follow, " 已到")),
            part(has_alert, pc.fill_null(arrow(self.alerts.iloc[rows]).cast(pa.string()), "")),
            "；",
            null_handling="skip",
        )
        frame = self.frame
        keep = [c for c in ("student_id", "name", "teacher", "phone", "segment") if c in frame]
        due = frame[keep].iloc[rows].reset_index(drop=True)
        due["why_now"] = series(reasons, due.index)
        due["last_called"] = self.last_called.iloc[rows].to_numpy()
        due["last_note"] = self.note.iloc[rows].to_numpy()
        due["priority"] = self.priority[index]
        due["waited"] = days
        return due


def calling_order(frame, workspace: Workspace, as_of: dt.date, alerts=None) -> CallingOrder:
    """Who is due (as the module says) and the calling order, on keys alone; see `CallingOrder`."""
    import numpy as np
    import pandas as pd

    cadence = workspace.config.callbacks.cadence_days
    today = pd.Timestamp(as_of)
    with history.opened(workspace.history_path) as conn:
        recorded = history.latest_callbacks(conn, as_of)
        if alerts is None:  # not stored with the snapshot: worked out now
            from .alerts import alert_texts

            alerts = alert_texts(frame, workspace.config, as_of, conn)
    # The newest recorded callback of each student, looked up by ID: only these columns, not the whole frame.
    if len(recorded):
        recorded = recorded.set_index("student_id").reindex(frame["student_id"])
        recorded.index = frame.index
    else:
        recorded = pd.DataFrame({"called_on": pd.NaT, "follow_up": pd.NaT, "note": None}, index=frame.index)
    nat = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    roster_called = pd.to_datetime(frame["last_callback"]) if "last_callback" in frame else nat
    called_on = pd.to_datetime(recorded["called_on"])
    last_called = called_on.where(roster_called.isna() | (called_on >= roster_called), roster_called)
    roster_follow = pd.to_datetime(frame["next_followup"]) if "next_followup" in frame else nat
    follow_up = pd.to_datetime(recorded["follow_up"]).where(called_on.notna(), roster_follow)
    waited = (today - last_called).dt.days

    pending = (frame["segment"] == PENDING_CODE).to_numpy()
    never = pending & last_called.isna().to_numpy()
    stale = (waited >= cadence).to_numpy()
    follow_due = (follow_up.notna() & (follow_up <= today)).to_numpy()
    # An alert makes a student due, unless someone talked to them in the last few days: otherwise a
    # month-long renewal window would put the same students on every day's sheet.
    has_alert = alerts.notna().to_numpy() & ~(waited < ALERT_QUIET_DAYS).to_numpy()
    due_mask = never | pending | stale | follow_due | has_alert

    # Calling order, worked out on the keys alone; the rows are taken once, in that order.
    rows = np.flatnonzero(due_mask)
    teacher_codes, teacher_names = pd.factorize(frame["teacher"])
    teacher_code = teacher_codes[rows]
    codes, segments = pd.factorize(frame["segment"])
    ranks = np.array([BY_CODE[c].call_priority if c in BY_CODE else 3 for c in segments] + [3])
    priority = ranks[codes[rows]]
    days = waited.fillna(10**6).to_numpy()[rows]
    id_rank = pd.factorize(frame["student_id"].iloc[rows], sort=True)[0]
    order = np.lexsort((id_rank, -days, priority, teacher_code))
    rows, teacher_code = rows[order], teacher_code[order]
    starts = np.searchsorted(teacher_code, np.arange(len(teacher_names) + 1))
    bounds = {name: (int(starts[i]), int(starts[i + 1])) for i, name in enumerate(teacher_names.tolist())}
    masks = {"never": never, "pending": pending, "stale": stale, "follow_due": follow_due, "has_alert": has_alert}
    return CallingOrder(
        frame=frame,
        rows=rows,
        bounds={name: span for name, span in bounds.items() if span[1] > span[0]},
        reasons={key: mask[rows] for key, mask in masks.items()},
        days=days[order],
        priority=priority[order],
        last_called=last_called,
        follow_up=follow_up,
        note=recorded["note"],
        alerts=alerts,
        cadence=cadence,
    )


# Call-sheet columns whose text is the same for every student of a segment, and long.
SEGMENT_TEXTS = ("策略", "建议提问")
CALLSHEET_WIDTHS = {"为什么现在打": 36.0, "策略": 36.0, "建议提问": 50.0, "上次回访备注": 24.0, "回访备注": 30.0, "下次跟进日期": 14.0}
_DATE_RULE = {
    "type": "decimal",
    "criteria": "between",
    "min": 36526,  # 2000-01-01
    "max": 73050,  # 2099-12-31
    "error_title": "请填日期",
    "error_message": "下次跟进日期请填写日期，如 2026-11-30",
}
_SCORE_RULE = {
    "type": "list",
    "values": SCORE_CHOICES,
    "error_title": "请填 1-5",
    "error_message": "请从下拉框选择 1-5 分",
}


@dataclass
class CallsheetLayout:
    """The call-sheet rows of every sheet made, laid out once in one table: each sheet's rows one
    after another, in calling order, with their fills and one set of column widths. A teacher's
    sheet is a slice of it, so 40 sheets cost one layout, not forty."""

    table: object  # pandas.DataFrame of CALLSHEET_COLUMNS + FILL_IN_COLUMNS but SEGMENT_TEXTS, ready for the writer
    segment_codes: object  # numpy: per row of `table`, its segment's position in each of `segment_texts`
    segment_texts: dict[str, object]  # column of SEGMENT_TEXTS → Arrow array of the text per segment
    colours: list[str | None]
    bounds: list[tuple[int, int]]  # per span asked for, its rows [start, stop) of `table`
    widths: dict[str, float]
    playbooks: dict
    _playbook_sheets: dict = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, order: CallingOrder, spans: list[tuple[int, int]], playbooks) -> CallsheetLayout:
        """The rows of `order` in each span [start, stop) of its calling order, one after another."""
        import numpy as np
        import pandas as pd
        import pyarrow as pa

        from .excel import fitted_widths, writable

        lengths = np.array([stop - start for start, stop in spans], dtype=np.int64)
        ends = np.cumsum(lengths)
        index = np.concatenate([np.arange(start, stop) for start, stop in spans]) if spans else np.array([], np.int64)
        rows = order.take(index)

        segments = rows["segment"]
        # Per segment once, spread to the rows by code. The long ones (a strategy and questions) are
        # spread sheet by sheet, on the writers' threads (`sheets`), not all 84,000 rows here.
        segment_codes, distinct = pd.factorize(segments, use_na_sentinel=False)

        def per_segment(text):
            return pa.array([text(c) for c in distinct], pa.string())

        nothing = pd.Series(np.nan, index=rows.index, dtype="str")
        table = pd.DataFrame(
            {
                # Each sheet's own numbering: 1, 2, 3 … from the first row of its span.
                "顺序": np.arange(len(rows)) - np.repeat(ends - lengths, lengths) + 1,
                "学号": rows["student_id"],
                "姓名": rows["name"],
                "手机号": rows["phone"] if "phone" in rows else nothing,
                "分层代码": segments,
                "分层名称": series(per_segment(lambda c: BY_CODE[c].name if c in BY_CODE else "").take(pa.array(segment_codes)), rows.index),
                "为什么现在打": rows["why_now"],
                "上次回访日期": pd.to_datetime(rows["last_called"]),
                "上次回访备注": rows["last_note"],
                **{column: nothing for column in FILL_IN_COLUMNS},
            },
            columns=[c for c in (*CALLSHEET_COLUMNS, *FILL_IN_COLUMNS) if c not in SEGMENT_TEXTS],
        )
        texts = {
            "策略": per_segment(lambda c: playbooks[c].headline if c in playbooks else ""),
            "建议提问": per_segment(lambda c: _questions(playbooks.get(c))),
        }
        table = writable(table)
        colours = np.array([BY_CODE[c].colour if c in BY_CODE else None for c in distinct], dtype=object)[segment_codes].tolist()
        widths = {**fitted_widths(table, skip=CALLSHEET_WIDTHS), **CALLSHEET_WIDTHS}
        bounds = [(int(end - length), int(end)) for end, length in zip(ends, lengths)]
        return cls(table, segment_codes, texts, colours, bounds, widths, playbooks)

    def sheets(self, teacher: str, as_of: dt.date, start: int, stop: int) -> list[SheetSpec]:
        """The three sheets of one teacher's workbook: rows [start, stop) of the table."""
        import pyarrow as pa

        rows = self.table.iloc[start:stop].reset_index(drop=True)
        which = pa.array(self.segment_codes[start:stop])
        for column in SEGMENT_TEXTS:
            rows.insert(CALLSHEET_COLUMNS.index(column), column, series(self.segment_texts[column].take(which), rows.index))
        codes = list(dict.fromkeys(rows["分层代码"].tolist()))
        validations = {"P（1-5）": _SCORE_RULE, "K（1-5）": dict(_SCORE_RULE), "下次跟进日期": _DATE_RULE}
        return [
            SheetSpec(CALLSHEET_SHEET, rows, row_colours=self.colours[start:stop], validations=validations,
                      widths=self.widths, print_landscape=True, prepared=True),
            self._playbook_sheet(tuple(codes)),
            # Four short lines of text: ready as they are, no layout work per teacher.
            SheetSpec(CALLSHEET_INFO_SHEET, info_table(teacher, as_of, len(rows)).astype("str"), autofilter=False,
                      widths={"项目": 12.0, "内容": 70.0}, prepared=True),
        ]

    def _playbook_sheet(self, codes: tuple[str, ...]) -> SheetSpec:
        """Most teachers have students of every segment: the same playbook sheet, laid out once."""
        from .excel import fitted_widths, writable

        if codes not in self._playbook_sheets:
            table = writable(playbook_table(list(codes), self.playbooks))
            widths = {**fitted_widths(table, skip={"内容"}), "内容": 80.0}
            self._playbook_sheets[codes] = SheetSpec(CALLSHEET_PLAYBOOK_SHEET, table, widths=widths, prepared=True)
        return self._playbook_sheets[codes]


def _questions(book) -> str:
    return "；".join(f"{i}. {q}" for i, q in enumerate(book.questions[:QUESTIONS_ON_SHEET], 1)) if book else ""


def playbook_table(codes: list[str], playbooks):
    """The whole playbook of every segment on the sheet, one line per item."""
    import pandas as pd

    rows = []
    for code in codes:
        book = playbooks.get(code)
        if book is None:
            continue
        label = f"{BY_CODE[code].name} {code}" if code in BY_CODE else code
        rows.append((label, "画像", book.portrait.strip()))
        rows.append((label, "策略", book.strategy.strip()))
        rows += [(label, f"提问 {i}", q) for i, q in enumerate(book.questions, 1)]
        rows += [(label, f"问题（{p.author} {p.date}）", f"{p.problem} → {p.solution}") for p in book.problems]
        rows += [(label, f"话术：{scene}", text.strip()) for scene, text in book.scripts.items()]
    return pd.DataFrame(rows, columns=["分层", "项目", "内容"])


def info_table(teacher: str, as_of: dt.date, count: int):
    import pandas as pd

    return pd.DataFrame(
        [
            (INFO_TEACHER, teacher),
            (INFO_AS_OF, as_of.isoformat()),
            ("学员数", str(count)),
            ("填写说明", "通话后填写 P（1-5）、K（1-5）、回访备注、下次跟进日期；保存后交给主管运行 pfk record 导入。请勿改动表头和学号。"),
        ],
        columns=["项目", "内容"],
    )
