"""The floor: what a pfk command cannot go below — start the libraries the command starts, parse the
same inputs with the fastest readers and write the same outputs with the same writers, with no logic
in between.

    python benchmarks/floor.py SPEC.json [--bare]

SPEC (written by run.py from the command's own untimed run) says what the command read and wrote:

- `start`: the CLI's libraries, imported as pfk's command line imports them: typer (which imports
  pydantic to parse options), rich's console, pandas;
- `config`: pfk.toml, parsed (tomllib); `playbooks`: the nine YAML files, parsed with ruamel.yaml's
  round-trip loader as pfk reads them;
- `roster` (fastexcel), `events` (Arrow's CSV reader), `workbooks_in` (the filled call sheets `pfk
  record` reads: every sheet, fastexcel);
- `history`: the command's own SQL statements (noted in its untimed run), replayed in order on a copy
  of the workspace's SQLite file as it was before the command ran: every row read is fetched, every
  classification read (a Parquet blob) decoded, every write made;
- `workbooks`: every workbook the command wrote, sheet by sheet, as Arrow IPC files holding the very
  cells (read back from its output before any timing), written with rustpy-xlsxwriter in its standard
  mode, as pfk writes, styled as SPEC §8 has every output styled (each data row filled and
  quote-prefixed, a bold frozen header with a filter) — the styles taken in turn, not computed;
  several workbooks two at a time, as pfk writes them;
- `store_snapshot`: the classification encoded and stored as pfk stores it (a Parquet blob in
  SQLite; its own INSERT is then left out of the replay); `stdout`: what the command printed,
  printed again through rich.

`--bare` writes the same cells with no style at all, for comparison. Charts are not drawn.
"""

from __future__ import annotations

import json
import sys

FILLS = ["#C6EFCE", "#E2F0D9", "#FFEB9C", "#FFF2CC", "#DDEBF7", "#EDF3FA", "#F8CBAD", "#FCE4D6", "#E7E6E6"]


def main(spec_path: str, bare: bool = False) -> None:
    with open(spec_path, encoding="utf-8") as handle:
        spec = json.load(handle)

    if spec.get("start"):
        # As pfk's command line starts: typer (and the pydantic it imports), then rich's console.
        import typer  # noqa: F401
        from rich.console import Console

        console = Console(highlight=False, markup=False, emoji=False, soft_wrap=True, width=160)
    import fastexcel
    import pandas  # noqa: F401 — every command of the loop works on pandas frames
    import pyarrow as pa
    from rustpy_xlsxwriter import Format, write_worksheets

    if spec.get("config"):
        import tomllib

        with open(spec["config"], "rb") as handle:
            tomllib.load(handle)
    if spec.get("playbooks"):
        from ruamel.yaml import YAML

        yaml = YAML(typ="rt")
        for path in spec["playbooks"]:
            with open(path, encoding="utf-8-sig") as handle:
                assert yaml.load(handle.read()) is not None
    if spec.get("roster"):
        roster = fastexcel.read_excel(spec["roster"]).load_sheet(0, header_row=spec["roster_header_row"]).to_pandas()
        assert len(roster) > 0
    if spec.get("events"):
        import pyarrow.csv as pacsv

        events = pacsv.read_csv(spec["events"])
        assert events.num_rows > 0
    for path in spec.get("workbooks_in", ()):
        book = fastexcel.read_excel(path)
        for name in book.sheet_names:
            book.load_sheet(name, header_row=None, dtypes="string").to_arrow()
    if spec.get("history"):
        replay(**spec["history"])

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
        list(pool.map(write, spec.get("workbooks", ())))
    if spec.get("store_snapshot"):
        store_snapshot(**spec["store_snapshot"])
    if spec.get("stdout") and spec.get("start"):
        with open(spec["stdout"], encoding="utf-8") as handle:
            console.print(handle.read(), end="")


def replay(path: str, statements: list[str]) -> None:
    """The command's own SQL, in its order, on a copy of the history as it was before the command
    ran: every read (each row fetched; a classification's Parquet blob decoded) and every write."""
    import io
    import sqlite3

    import pyarrow.parquet as pq

    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for statement in statements:
            for row in conn.execute(statement).fetchall():
                for value in row:
                    if isinstance(value, bytes) and value[:4] == b"PAR1":
                        pq.read_table(io.BytesIO(value)).to_pandas()
    finally:
        conn.close()


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
