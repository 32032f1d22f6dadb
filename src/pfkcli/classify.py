"""`pfk classify`: read a roster (and optionally a learning-event log), score and segment every
student, store the snapshot in the workspace history, write the result workbook beside the input.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from . import history
from .config import Config
from .errors import OutputError, Problem
from .excel import SheetSpec, is_large, write_workbook
from .frames import complete
from .model import AxisCut, classify_frame, shown, student_courses
from .outputs import RESULT_COLUMNS, RESULT_SHEET, SUMMARY_SHEET
from .paths import RESULT, check_output
from .playbooks import load_playbooks
from .pool import POOL_NAME, place_students
from .progress import step
from .risk import rhythm_days, score_shares
from .roster import Roster, load_roster
from .segments import ALL_SEGMENTS, BY_CODE
from .workspace import Workspace


@dataclass
class ClassifyResult:
    roster: Roster
    frame: object  # pandas.DataFrame: roster fields, P P_on F K K_on expected_f f_cut segment segment_name why
    callbacks: object  # history.newest_callbacks of `frame`, for the rules that read them
    cuts: list[AxisCut]
    as_of: dt.date
    warnings: list[Problem] = field(default_factory=list)
    output: Path | None = None
    snapshot_saved: bool = False

    def counts(self):
        """Students per segment (rows, in segment order) and teacher (columns), with totals."""
        import pandas as pd

        table = pd.crosstab(self.frame["segment"], self.frame["teacher"].fillna(POOL_NAME))
        # The pool after the teachers: it is nobody's.
        teachers = [t for t in table.columns if t != POOL_NAME] + [t for t in table.columns if t == POOL_NAME]
        table = table.reindex(index=[s.code for s in ALL_SEGMENTS], columns=teachers, fill_value=0)
        table["合计"] = table.sum(axis=1)
        return table


def default_output(roster_path: Path) -> Path:
    return roster_path.with_name(f"{roster_path.stem}.pfk.xlsx")


def score_roster(
    roster_path: Path,
    as_of: dt.date,
    config: Config,
    conn: sqlite3.Connection | None,
    progress_path: Path | None = None,
    sheet: str | None = None,
    *,
    teacher_optional: bool = False,
    keep_cells: bool = False,
) -> ClassifyResult:
    """Read, validate and classify a roster against what the history knows; writes nothing.

    Each student's `teacher` is who holds the student on `as_of` (`pool.place_students`: the roster's
    运营老师 unless a move in the history stands; blank in the public pool), the roster's own in
    `roster_teacher`. `teacher_optional` and `keep_cells` are `load_roster`'s, for pfk assign."""
    from concurrent.futures import ThreadPoolExecutor

    from .events import aggregate_events, merge_totals

    # A learning-event log is read on its own thread while the roster is read: both readers let go
    # of the GIL, so a 1,000,000-row log costs little more than the roster (benchmarks/).
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pfk-log") as pool:
        log = pool.submit(aggregate_events, progress_path, config, as_of) if progress_path is not None else None
        try:
            roster = load_roster(
                roster_path, config, sheet, need_progress=progress_path is None, as_of=as_of,
                teacher_optional=teacher_optional, keep_cells=keep_cells,
            )
        except BaseException:
            if log is not None:
                log.cancel()
            raise
        frame, warnings = roster.frame, list(roster.warnings)
        if log is not None:
            with step(f"读取并汇总 {Path(progress_path).name}"):
                totals, log_warnings = log.result()
            frame, log_warnings = merge_totals(frame, totals, log_warnings, progress_path, config)
            warnings += log_warnings
    # Whether a blank 最近学习时间 means "never studied" or "not in this export" (frames.complete fills it).
    frame = complete(frame).assign(activity_known="last_active" in roster.fields or progress_path is not None)
    callbacks = history.newest_callbacks(conn, frame, as_of)
    frame = frame.assign(**{name: callbacks[name] for name in ("P", "P_on", "K", "K_on")}, first_seen=history.first_seen(conn, frame, as_of))
    frame, cuts = classify_frame(frame, config, as_of)
    frame = frame.assign(
        rhythm_days=rhythm_days(frame, config, student_courses(frame, config)), score_share=score_shares(frame["homework_score"])
    )
    frame = place_students(conn, frame, config, as_of, callbacks)
    return ClassifyResult(roster, frame, callbacks, cuts, as_of, warnings)


def classify(
    workspace: Workspace,
    roster_path: Path,
    as_of: dt.date,
    progress_path: Path | None = None,
    output: Path | None = None,
    sheet: str | None = None,
) -> ClassifyResult:
    """Classify, store the snapshot (in a workspace), write the result workbook.

    The snapshot is stored before the workbook is written: should the workbook fail (a full disk, a
    file open in Excel), the week's classification is kept and the call sheets can be made from it.
    """
    target = Path(output) if output else default_output(Path(roster_path))
    check_output(target, inputs=[roster_path, progress_path], workspace_root=workspace.root, kind=RESULT)
    playbooks = load_playbooks(workspace.playbooks_dir)  # a broken playbook stops the run before any work
    with workspace.open_history() as conn:
        result = score_roster(roster_path, as_of, workspace.config, conn, progress_path, sheet)
        if conn is not None:
            history.save_snapshot(conn, as_of, result.frame)
            result.snapshot_saved = True
    sheets = result_sheets(result, playbooks)
    if is_large(len(sheets[0].frame), len(sheets[0].frame.columns)):
        result.warnings.append(Problem(file=target.name, sheet=RESULT_SHEET, code="no_fills", message=(
            f"{len(result.frame):,} 名学员的{RESULT_SHEET}不按分层上色：这么大的表上色要多占几 GB 内存；"
            "可用「分层代码」列筛选，各层颜色见「汇总」")))
    try:
        write_workbook(target, sheets, inputs=[roster_path, progress_path], kind=RESULT)
    except OutputError as exc:
        if result.snapshot_saved:
            raise OutputError(f"{exc.message}（本次分层快照已存入工作区历史，回访表可照常生成）") from exc
        raise
    result.output = target
    return result


def result_sheets(result: ClassifyResult, playbooks) -> list[SheetSpec]:
    """分层结果 (every input column in order, then the PFK columns) and 汇总 (counts and cut values)."""
    import pandas as pd

    frame = result.frame
    # Collected first and framed once: inserting columns one by one is quadratic on wide rosters.
    columns = {}
    added = set(RESULT_COLUMNS)
    for header, name in result.roster.columns:
        title = f"{header}（原表）" if header in added else header
        columns[title] = frame[name] if name != "teacher" else frame[name].fillna(POOL_NAME)
    columns["P"] = frame["P"]
    columns["F"] = shown(frame["F"])
    columns["K"] = frame["K"]
    columns["分层代码"] = frame["segment"]
    columns["分层名称"] = frame["segment_name"]
    columns["原因"] = frame["why"]
    columns["策略"] = frame["segment"].map({code: book.headline for code, book in playbooks.items()})
    table = pd.DataFrame(columns, index=frame.index)
    colours = frame["segment"].map({s.code: s.colour for s in ALL_SEGMENTS}).tolist()
    widths = {"原因": 50.0, "策略": 40.0}
    return [
        SheetSpec(RESULT_SHEET, table, row_colours=colours, widths=widths),
        SheetSpec(SUMMARY_SHEET, summary_table(result), row_colours=_summary_colours(result), autofilter=False),
    ]


def summary_table(result: ClassifyResult):
    import pandas as pd

    counts = result.counts()
    rows = []
    for code, values in counts.iterrows():
        rows.append({"分层代码": code, "分层名称": BY_CODE[code].name, **{str(k): int(v) for k, v in values.items()}})
    table = pd.DataFrame(rows)
    total = {"分层代码": "合计", "分层名称": ""}
    total.update({str(c): int(counts[c].sum()) for c in counts.columns})
    table = pd.concat([table, pd.DataFrame([total])], ignore_index=True)
    notes = [{"分层代码": "", "分层名称": ""}]
    notes += [{"分层代码": f"{c.axis} 的高低", "分层名称": c.text} for c in result.cuts]
    notes += [{"分层代码": "计算日期", "分层名称": result.as_of.isoformat()}]
    return pd.concat([table, pd.DataFrame(notes)], ignore_index=True)


def _summary_colours(result: ClassifyResult) -> list[str | None]:
    return [s.colour for s in ALL_SEGMENTS] + [None] * (2 + len(result.cuts) + 1)
