"""The floor: what a pfk command cannot go below — parse the same inputs with the fastest readers and
write the same output cells with the fastest writer, with no logic in between.

    python benchmarks/floor.py SPEC.json [--bare]

SPEC (written by run.py) names the inputs and every workbook pfk wrote in that round, sheet by sheet,
as Arrow IPC files holding the very cells pfk wrote (read back from its workbooks before any timing).
The floor parses the inputs (fastexcel for the roster, pyarrow's CSV reader for the log, Arrow's
Parquet reader for a snapshot stored in the workspace's history), maps those
cells into memory and writes them with rustpy-xlsxwriter in its standard mode (as pfk does), styled the way SPEC §8 has every output
styled (each data row filled and quote-prefixed, a bold frozen header with a filter) — the styles taken
in turn, not computed. Several workbooks (the call sheets) are written two at a time, as pfk
writes them. Where pfk stores its classification in the workspace (classify), the floor stores
the same table the same way. `--bare` writes the same cells with no style at all, for comparison.
"""

from __future__ import annotations

import json
import sys

FILLS = ["#C6EFCE", "#E2F0D9", "#FFEB9C", "#FFF2CC", "#DDEBF7", "#EDF3FA", "#F8CBAD", "#FCE4D6", "#E7E6E6"]


def main(spec_path: str, bare: bool = False) -> None:
    import fastexcel
    import pyarrow as pa
    from rustpy_xlsxwriter import Format, write_worksheets

    with open(spec_path, encoding="utf-8") as handle:
        spec = json.load(handle)

    if spec.get("roster"):
        roster = fastexcel.read_excel(spec["roster"]).load_sheet(0, header_row=spec["roster_header_row"]).to_pandas()
        assert len(roster) > 0
    if spec.get("snapshot"):
        students = snapshot_table(spec["snapshot"]["history"], spec["snapshot"]["as_of"]).to_pandas()
        assert len(students) > 0
    if spec.get("events"):
        import pyarrow.csv as pacsv

        events = pacsv.read_csv(spec["events"])
        assert events.num_rows > 0

    header = Format().set_bold().set_background_color("#D9D9D9").set_border("thin")
    fills = [Format().set_background_color(colour).set_quote_prefix() for colour in FILLS]

    def write(workbook: dict) -> None:
        entries = []
        for sheet in workbook["sheets"]:
            with pa.memory_map(sheet["cells"]) as source:
                # The writer takes Arrow tables as they are, as pfk hands them over (src/pfkcli/excel.py).
                entries.append((sheet["name"], pa.ipc.open_file(source).read_all()))
        # The writer's standard mode, as pfk writes (src/pfkcli/excel.py: its constant-memory mode
        # repeats a formatted last row, which Excel does not accept).
        standard = {"general": True}
        if bare:
            write_worksheets(entries, workbook["path"], datetime_format="yyyy-mm-dd", dedupe_strings=standard)
            return
        names = [name for name, _ in entries]
        write_worksheets(
            entries,
            workbook["path"],
            datetime_format="yyyy-mm-dd",
            header_format=dict.fromkeys(names, header),
            freeze_panes={name: {"row": 1, "col": 0} for name in names},
            autofilter=dict.fromkeys(names, True),
            column_widths={name: [12.0] * table.num_columns for name, table in entries},
            row_formats={name: {row: fills[row % len(fills)] for row in range(1, table.num_rows + 1)} for name, table in entries},
            dedupe_strings=standard,
        )

    # Two at a time, as pfk writes many workbooks (src/pfkcli/excel.py `write_workbooks`).
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(write, spec["workbooks"]))
    if spec.get("store_snapshot"):
        store_snapshot(**spec["store_snapshot"])


def store_snapshot(cells: str, history: str) -> None:
    """Store the classification as pfk does: one Parquet blob (zstd) in an SQLite table, one transaction."""
    import io
    import sqlite3

    import pyarrow as pa
    import pyarrow.parquet as pq

    with pa.memory_map(cells) as source:
        table = pa.ipc.open_file(source).read_all()
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    with sqlite3.connect(history) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS snapshot_tables (as_of TEXT PRIMARY KEY, data BLOB NOT NULL)")
        conn.execute("INSERT OR REPLACE INTO snapshot_tables VALUES (?, ?)", ("floor", buffer.getvalue()))


def snapshot_table(history: str, as_of: str):
    """A stored classification, as pfk keeps it (one Parquet blob per date in the workspace's SQLite
    file), read the fastest way: the blob by its key, then Arrow's Parquet reader (an Arrow table)."""
    import io
    import sqlite3

    import pyarrow.parquet as pq

    with sqlite3.connect(f"file:{history}?mode=ro", uri=True) as conn:
        (blob,) = conn.execute("SELECT data FROM snapshot_tables WHERE as_of = ?", (as_of,)).fetchone()
    return pq.read_table(io.BytesIO(blob))


if __name__ == "__main__":
    main(sys.argv[1], bare="--bare" in sys.argv[2:])
    # As pfk's CLI ends (src/pfkcli/cli/__init__.py): without tearing the interpreter down.
    sys.stdout.flush()
    sys.stderr.flush()
    import os

    os._exit(0)
