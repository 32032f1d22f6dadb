"""`pfk classify`: read a roster (and optionally a learning-event log), score and segment every
student, write the result workbook beside the input, store a snapshot in the workspace history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from . import history
from .errors import Problem
from .excel import SheetSpec, write_workbook
from .model import AxisCut, classify_frame
from .outputs import RESULT_COLUMNS, RESULT_SHEET, SUMMARY_SHEET
from .paths import check_output
from .progress import step
from .roster import Roster, load_roster
from .segments import ALL_SEGMENTS, BY_CODE
from .workspace import Workspace


@dataclass
class ClassifyResult:
    roster: Roster
    frame: object  # pandas.DataFrame: roster fields + P F K segment segment_name why strategy
    cuts: list[AxisCut]
    as_of: dt.date
    warnings: list[Problem] = field(default_factory=list)
    output: Path | None = None
    snapshot_saved: bool = False
    playbooks: dict = field(default_factory=dict)  # code → Playbook, as loaded for the strategies
    _counts: object = field(default=None, repr=False, compare=False)

    def counts(self):
        """Students per segment (rows, in segment order) and teacher (columns), with totals.
        Worked out once: the summary sheet and the terminal table both show it."""
        import pandas as pd

        if self._counts is None:
            table = pd.crosstab(self.frame["segment"], self.frame["teacher"])
            order = [s.code for s in ALL_SEGMENTS]
            table = table.reindex(order, fill_value=0)
            table["合计"] = table.sum(axis=1)
            self._counts = table
        return self._counts.copy()


def default_output(roster_path: Path) -> Path:
    return roster_path.with_name(f"{roster_path.stem}.pfk.xlsx")


def score_students(
    workspace: Workspace,
    roster_path: Path,
    as_of: dt.date,
    progress_path: Path | None = None,
    sheet: str | None = None,
    explain: bool = True,
) -> ClassifyResult:
    """Read, validate and classify; writes nothing. `explain=False` leaves out each student's why
    and strategy texts, and so the playbooks, for a caller that needs only the scores (alerts)."""
    from concurrent.futures import ThreadPoolExecutor

    from .events import aggregate_events, merge_totals
    from .playbooks import load_playbooks

    config = workspace.config
    # The roster is read here while the playbooks load, and the log (if any) is read, on other threads:
    # calamine and Arrow's CSV reader let go of the GIL, so a 1,000,000-row log costs little more than
    # the roster. A bad roster is still reported first, as if they were read one after the other.
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="pfk-load") as pool:
        books = pool.submit(load_playbooks, workspace) if explain else None
        log = pool.submit(aggregate_events, progress_path, config, as_of) if progress_path is not None else None
        try:
            roster = load_roster(roster_path, config, sheet, need_progress=progress_path is None)
        except BaseException:
            for pending in (books, log):
                if pending is not None:
                    pending.cancel()
            raise
        frame, warnings = roster.frame, list(roster.warnings)
        if log is not None:
            with step(f"读取并汇总 {Path(progress_path).name}"):
                totals, log_warnings = log.result()
            frame, log_warnings = merge_totals(frame, totals, log_warnings, progress_path, config)
            warnings += log_warnings
        playbooks = books.result() if books is not None else {}
    with history.opened(workspace.history_path) as conn:
        frame = _newest_scores(frame, history.latest_scores(conn, as_of))
    lines = {code: book.headline for code, book in playbooks.items()}
    frame, cuts = classify_frame(frame, config, as_of, lines, explain=explain)
    return ClassifyResult(roster, frame, cuts, as_of, warnings, playbooks=playbooks)


def _newest_scores(frame, recorded):
    """P and K: a recorded callback wins over the roster's column unless the roster's own callback date is newer."""
    import pandas as pd

    frame = frame.copy(deep=False)  # copy-on-write: the caller's frame is left as it was
    merged = frame[["student_id"]].merge(recorded, on="student_id", how="left")
    merged.index = frame.index
    roster_date = frame["last_callback"] if "last_callback" in frame else pd.Series(pd.NaT, index=frame.index)
    for axis, column in (("P", "p_score"), ("K", "k_score")):
        from_roster = frame[column] if column in frame else pd.Series(float("nan"), index=frame.index)
        recorded_value = merged[axis.lower()].astype("float64")
        recorded_on = pd.to_datetime(merged[f"{axis.lower()}_on"])
        use_recorded = recorded_value.notna() & (from_roster.isna() | roster_date.isna() | (recorded_on >= roster_date))
        frame[axis] = from_roster.where(~use_recorded, recorded_value)
        source = pd.Series("", index=frame.index, dtype=object)
        source[use_recorded] = "（" + recorded_on[use_recorded].dt.strftime("%m-%d") + "回访）"
        frame[f"{axis}_source"] = source
    return frame


def classify(
    workspace: Workspace,
    roster_path: Path,
    as_of: dt.date,
    progress_path: Path | None = None,
    output: Path | None = None,
    sheet: str | None = None,
) -> ClassifyResult:
    """Classify and write the result workbook; in a workspace, store the snapshot as well."""
    from concurrent.futures import ThreadPoolExecutor

    from .playbooks import remember_playbooks

    target = Path(output) if output else default_output(Path(roster_path))
    check_output(target, inputs=[roster_path, progress_path], workspace_root=workspace.root)
    result = score_students(workspace, roster_path, as_of, progress_path, sheet)
    # The snapshot and its students' alerts (which the call sheets of the day show) are worked out on
    # another thread while the workbook is laid out and written: the Rust writer lets go of the GIL
    # for most of it. The snapshot is stored once the workbook is in place.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pfk-snapshot") as pool:
        encoded = pool.submit(_encode_snapshot, workspace, result) if workspace.history_path is not None else None
        sheets = result_sheets(result)
        write_workbook(target, sheets, inputs=[roster_path, progress_path])
        result.output = target
        if encoded is not None:
            with history.opened(workspace.history_path) as conn:
                history.save_snapshot(conn, as_of, encoded.result(), workspace.config)
            result.snapshot_saved = True
            # The playbooks as parsed for this run, kept for the call sheets that follow.
            remember_playbooks(workspace, result.playbooks)
    return result


def _encode_snapshot(workspace: Workspace, result: ClassifyResult) -> history.EncodedSnapshot:
    from .alerts import alert_texts

    with history.opened(workspace.history_path) as conn:
        basis = history.alerts_basis(conn, result.as_of, workspace.config)
        alerts = alert_texts(result.frame, workspace.config, result.as_of, conn)
    return history.encode_snapshot(result.frame, alerts, basis)


def result_sheets(result: ClassifyResult) -> list[SheetSpec]:
    """分层结果 (every input column in order, then the PFK columns) and 汇总 (counts and cut values)."""
    import pandas as pd

    frame = result.frame
    # Collected first and framed once: inserting columns one by one is quadratic on wide rosters.
    columns = {}
    added = set(RESULT_COLUMNS)
    for header, name in result.roster.columns:
        title = f"{header}（原表）" if header in added else header
        columns[title] = frame[name]
    columns["P"] = frame["P"]
    columns["F"] = frame["F"].round(2)
    columns["K"] = frame["K"]
    columns["分层代码"] = frame["segment"]
    columns["分层名称"] = frame["segment_name"]
    columns["原因"] = frame["why"]
    columns["策略"] = frame["strategy"]
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


