"""pfk's benchmark: a large school against the I/O floor, in one run.

    python benchmarks/run.py --rounds 3

Generates (seeded, once) a 100,000-student roster over 40 teachers and a 1,000,000-row event log in
benchmarks/data/, then times, round after round, each case beside its floor:

- `pfk classify` (roster only, and with `--progress` the event log), `pfk callsheet --all --roster`
  (40 workbooks), `pfk alerts --progress`;
- the floor of each: floor.py parses the same inputs with the fastest readers and writes the same
  output cells (same sheets, rows × columns and cell kinds as pfk's output) with the fastest writer;
- the naive baseline (naive.py: pandas + openpyxl both ways, iterrows) against `pfk classify`;
- `pfk --help` (wall time, and `python -X importtime` must show no pandas) and the 48-student sample.

Every case runs as a subprocess of the same Python; wall time from the parent, peak memory (max RSS)
from `os.wait4`. Prints medians and ratios, and writes benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
OUT = HERE / "out"
WORKSPACE = OUT / "school"  # a pfk workspace, as a school's lead runs pfk: snapshots stored, call sheets from them
AS_OF = "2026-11-23"
PY = sys.executable
BIN = Path(PY).parent
TARGET_RATIO = 1.5
NAIVE_RATIO = 3.0
STUDENTS = 100_000
MEMORY_LIMIT_MB = 1024
HELP_LIMIT = 0.25


def pfk(*args: str) -> list[str]:
    exe = BIN / "pfk"
    return [str(exe), *args] if exe.exists() else [PY, "-m", "pfkcli", *args]


@dataclass
class Run:
    seconds: float
    peak_mb: float
    cpu: float = 0.0  # user + system seconds: steadier than wall time on a shared machine


@dataclass
class Case:
    key: str
    label: str
    command: list[str]
    outputs: list[Path] = field(default_factory=list)  # the workbooks the floor must match
    floor_inputs: dict = field(default_factory=dict)
    runs: list[Run] = field(default_factory=list)
    floor_runs: list[Run] = field(default_factory=list)
    bare_runs: list[Run] = field(default_factory=list)
    floor_spec: Path | None = None
    stores_snapshot: bool = False  # in a workspace, pfk classify also stores the classification

    @property
    def seconds(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    @property
    def peak_mb(self) -> float:
        return max(r.peak_mb for r in self.runs)

    @property
    def floor_seconds(self) -> float:
        return statistics.median(r.seconds for r in self.floor_runs)

    @property
    def floor_peak_mb(self) -> float:
        return max(r.peak_mb for r in self.floor_runs)

    @property
    def bare_seconds(self) -> float:
        return statistics.median(r.seconds for r in self.bare_runs)

    @property
    def ratio(self) -> float:
        """pfk ÷ floor, the median over rounds of each pfk run against the floor run right after it:
        both then see the same machine, which on a shared virtual machine drifts from minute to minute."""
        return statistics.median(run.seconds / floor.seconds for run, floor in zip(self.runs, self.floor_runs))

    @property
    def cpu_ratio(self) -> float:
        return statistics.median(run.cpu / floor.cpu for run, floor in zip(self.runs, self.floor_runs))

    @property
    def bare_ratio(self) -> float:
        return statistics.median(run.seconds / bare.seconds for run, bare in zip(self.runs, self.bare_runs))


def measure(command: list[str], cwd: Path = WORKSPACE, stdout=None) -> Run:
    """Run once; wall time around the child, its peak RSS from wait4. Fails loudly on a non-zero exit.

    Linux counts a child's peak RSS from the moment it is forked, so this process stays small: it never
    imports pandas or reads a workbook itself (generating, describing outputs and versions run in children).
    """
    env = {**os.environ, "COLUMNS": "120"}
    env.pop("PFK_DEBUG", None)
    # As installed for a user: modules load from their cached bytecode.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    log = (OUT / "last.log").open("wb")
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=cwd, stdout=stdout or log, stderr=log, stdin=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    log.close()
    if child.returncode != 0:
        tail = (OUT / "last.log").read_text(encoding="utf-8", errors="replace")[-2000:]
        raise SystemExit(f"failed ({child.returncode}): {' '.join(command)}\n{tail}")
    return Run(seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime)


def capture(path: Path, folder: Path) -> list[dict]:
    """The sheets of one workbook pfk wrote, their cells saved as Arrow IPC files for the floor to write.
    Runs in a child process (`run.py --capture`), like everything heavy: see `measure`."""
    command = [PY, __file__, "--capture", str(path), str(folder)]
    return json.loads(subprocess.run(command, capture_output=True, check=True).stdout)


def capture_cells(path: Path, folder: Path) -> list[dict]:
    import logging

    import fastexcel
    import pyarrow as pa

    logging.disable(logging.WARNING)  # calamine's "could not determine dtype" on the blank fill-in columns
    reader = fastexcel.read_excel(str(path))
    sheets = []
    for index, name in enumerate(reader.sheet_names):
        table = reader.load_sheet(name).to_arrow()
        cells = folder / f"{path.stem}.{index}.arrow"
        with pa.OSFile(str(cells), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write(table)
        sheets.append({"name": name, "cells": str(cells), "rows": table.num_rows, "columns": table.num_columns})
    return sheets


def capture_snapshot(history: Path, cells: Path) -> None:
    """The snapshot pfk stored, as an Arrow IPC file: the floor stores the same table (`run.py --capture-snapshot`)."""
    import pyarrow as pa
    from floor import snapshot_table

    table = snapshot_table(str(history), AS_OF)
    with pa.OSFile(str(cells), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write(table)


def write_floor_spec(case: Case, statements: list[str], started: float) -> None:
    """What the floor of `case` does, from the command's untimed run that just ended (`started`: when)."""
    floor_out = OUT / "floor" / case.key
    if floor_out.exists():
        shutil.rmtree(floor_out)
    floor_out.mkdir(parents=True)
    case.outputs = written_since(started)
    workbooks = [
        {"path": str(floor_out / f"{i}.xlsx"), "sheets": capture(path, floor_out)} for i, path in enumerate(case.outputs)
    ]
    if case.stores_snapshot:
        # Stored by the floor as pfk stores it (Parquet encoded then), not replayed as a literal.
        statements = [s for s in statements if not re.match(r"\s*INSERT\b[^(]*\bsnapshot_tables\b", s, re.I)]
    spec = {
        **case.floor_inputs,
        "start": True,
        "config": str(WORKSPACE / "pfk.toml"),
        "playbooks": playbook_files(),
        "history": {"path": str(floor_out / "history.sqlite"), "statements": statements},
        "stdout": str(OUT / f"stdout-{case.key}.txt"),
        "workbooks": workbooks,
    }
    if case.stores_snapshot:
        cells = floor_out / "snapshot.arrow"
        history = WORKSPACE / ".pfk" / "history.sqlite"
        subprocess.run([PY, __file__, "--capture-snapshot", str(history), str(cells)], check=True)
        spec["store_snapshot"] = {"cells": str(cells), "history": str(floor_out / "snapshot.sqlite")}
    case.floor_spec = OUT / f"floor-{case.key}.json"
    case.floor_spec.write_text(json.dumps(spec, ensure_ascii=False, indent=1), encoding="utf-8")


def written_since(started: float) -> list[Path]:
    """The workbooks the command just wrote, in the workspace or beside the benchmark's outputs."""
    found = []
    for folder in (WORKSPACE, OUT):
        for path in folder.rglob("*.xlsx") if folder == WORKSPACE else folder.glob("*.xlsx"):
            if path.stat().st_mtime >= started and not path.name.startswith("."):
                found.append(path)
    return sorted(found)


def playbook_files() -> list[str]:
    """The nine playbook files pfk reads in the workspace (its own, else the shipped ones)."""
    code = ("from pfkcli.playbooks import playbook_source; from pfkcli.segments import ALL_SEGMENTS; from pathlib import Path; "
            f"print('\\n'.join(str(playbook_source(Path({str(WORKSPACE / 'playbooks')!r}), s.code)) for s in ALL_SEGMENTS))")
    return subprocess.run([PY, "-c", code], capture_output=True, text=True, check=True).stdout.split()


def fill_callsheets(paths: list[Path]) -> None:
    """Fill call sheets as teachers would (openpyxl, in a child: see `measure`): most students reached,
    P and K from the student's number, one in six not answering (another sixth each week)."""
    subprocess.run([PY, __file__, "--fill", *map(str, paths)], check=True)


def fill(paths: list[str]) -> None:
    import openpyxl

    for path in paths:
        week = int(Path(path).stem[-2:])  # the sheet's day of month: a student unreached one week may answer the next
        book = openpyxl.load_workbook(path)
        sheet = book["回访表"]
        header = [cell.value for cell in sheet[1]]
        result, p, k, sid = (header.index(name) + 1 for name in ("回访结果", "P（1-5）", "K（1-5）", "学号"))
        for row in range(2, sheet.max_row + 1):
            number = int("".join(ch for ch in str(sheet.cell(row, sid).value) if ch.isdigit()) or 0)
            if (number + week) % 6 == 0:
                sheet.cell(row, result).value = "未接通"
                continue
            sheet.cell(row, result).value = "已接通"
            sheet.cell(row, p).value = 1 + number % 5
            sheet.cell(row, k).value = 1 + (number // 5) % 5
        book.save(path)


def callsheets_of(as_of: str) -> list[Path]:
    return sorted((WORKSPACE / "callsheets").glob(f"*-{as_of}.xlsx"))


def imports_pandas() -> bool:
    """Does `pfk --help` import pandas? (python -X importtime lists every module imported.)"""
    result = subprocess.run([PY, "-X", "importtime", "-m", "pfkcli", "--help"], capture_output=True, text=True, cwd=OUT, check=True)
    modules = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}
    return any(m == "pandas" or m.startswith("pandas.") for m in modules)


def machine() -> str:
    from importlib.metadata import version

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {platform.system()} {platform.release()}, Python {platform.python_version()}, "
        f"pandas {version('pandas')}, fastexcel {version('fastexcel')}, rustpy-xlsxwriter {version('rustpy-xlsxwriter')}"
    )


def main() -> None:
    if sys.argv[1:2] == ["--capture"]:
        print(json.dumps(capture_cells(Path(sys.argv[2]), Path(sys.argv[3])), ensure_ascii=False))
        return
    if sys.argv[1:2] == ["--capture-snapshot"]:
        capture_snapshot(Path(sys.argv[2]), Path(sys.argv[3]))
        return
    if sys.argv[1:2] == ["--fill"]:
        fill(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description="pfk benchmark: the weekly loop of a 100k-student school against its floor.")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per case (median reported)")
    parser.add_argument("--students", type=int, default=STUDENTS, help="students in the school (default 100,000)")
    parser.add_argument("--no-naive", action="store_true", help="skip the naive baseline (about 75 s a round)")
    parser.add_argument("--regenerate", action="store_true", help="rebuild the input files")
    parser.add_argument("--only", nargs="+", metavar="CASE", help=f"time only these cases ({' '.join(CASES)})")
    args = parser.parse_args()

    data = DATA if args.students == STUDENTS else DATA / str(args.students)
    roster, events = data / "roster.xlsx", data / "events.csv"
    if args.regenerate or not (roster.exists() and events.exists()):
        print("generating inputs …", flush=True)
        subprocess.run([PY, str(HERE / "generate.py"), "--students", str(args.students),
                        "--events", str(args.students * 10), "--folder", str(data)], check=True)
    OUT.mkdir(exist_ok=True)
    for folder in (OUT, *OUT.parents):
        if (folder / "pfk.toml").exists():
            raise SystemExit(f"{folder}/pfk.toml: the benchmark must run outside any pfk workspace")
    print(machine(), flush=True)
    history = school_with_history(roster)

    as_of = ["--as-of", AS_OF]
    roster_only = {"roster": str(roster), "roster_header_row": 1}
    with_log = {**roster_only, "events": str(events)}
    # The call sheets `pfk callsheet --all` writes for AS_OF, one per teacher (named <teacher>-<date>.xlsx).
    filled = [WORKSPACE / "callsheets" / path.name.replace(HISTORY_WEEKS[-1], AS_OF) for path in callsheets_of(HISTORY_WEEKS[-1])]
    cases = [
        Case("classify", "pfk classify (roster; stores the snapshot)",
             pfk("classify", str(roster), "-o", str(OUT / "classify.pfk.xlsx"), *as_of), floor_inputs=roster_only, stores_snapshot=True),
        Case("classify_log", "pfk classify --progress (roster + log)",
             pfk("classify", str(roster), "--progress", str(events), "-o", str(OUT / "classify_log.pfk.xlsx"), *as_of),
             floor_inputs=with_log, stores_snapshot=True),
        # The weekly loop's step 3: call sheets from the snapshot `pfk classify` stored just before.
        Case("callsheet", "pfk callsheet --all (40 teachers, from the snapshot)", pfk("callsheet", "--all", *as_of)),
        Case("record", "pfk record (40 filled call sheets)", pfk("record", *map(str, filled)),
             floor_inputs={"workbooks_in": list(map(str, filled))}),
        Case("messages", "pfk messages --all", pfk("messages", "--all", *as_of)),
        Case("alerts", "pfk alerts --progress (roster + log)",
             pfk("alerts", str(roster), "--progress", str(events), "-o", str(OUT / "alerts.xlsx"), *as_of), floor_inputs=with_log),
        Case("report", "pfk report", pfk("report", "-o", str(OUT / "report.xlsx"), *as_of)),
        Case("assign", "pfk assign (roster)", pfk("assign", str(roster), "-o", str(OUT / "assign.xlsx"), *as_of),
             floor_inputs=roster_only),
        Case("pool", "pfk pool list", pfk("pool", "list", *as_of)),
    ]
    # Every case runs in every round, in the loop's order (each needs what the one before left); only
    # those asked for are reported.
    shown = [case for case in cases if not args.only or case.key in args.only]
    sample = ROOT / "samples" / "roster.xlsx"
    sample_case = Case("sample", "pfk classify samples/roster.xlsx (48 students)",
                       pfk("classify", str(sample), "-o", str(OUT / "sample.pfk.xlsx"), *as_of))
    help_case = Case("help", "pfk --help", pfk("--help"))
    naive = Case("naive", "naive classify (openpyxl + iterrows)",
                 [PY, str(HERE / "naive.py"), str(roster), str(OUT / "naive.xlsx"), AS_OF])

    for round_number in range(args.rounds + 1):
        print(f"round {round_number}/{args.rounds}" + (" (untimed: what each command reads and writes)" if not round_number else ""), flush=True)
        restore(history)
        for case in cases:
            if case.key == "record":
                fill_callsheets(filled)
            before = OUT / "pre.sqlite"
            shutil.copyfile(WORKSPACE / ".pfk" / "history.sqlite", before)
            if not round_number:
                started = time.time()
                statements = OUT / f"sql-{case.key}.json"
                with (OUT / f"stdout-{case.key}.txt").open("wb") as stdout:
                    arguments = case.command[3:] if case.command[0] == PY else case.command[1:]
                    measure([PY, str(HERE / "trace.py"), str(statements), *arguments], stdout=stdout)
                write_floor_spec(case, json.loads(statements.read_text(encoding="utf-8")), started)
                continue
            if case not in shown:
                subprocess.run(case.command, cwd=WORKSPACE, check=True, capture_output=True)
                continue
            case.runs.append(measure(case.command))
            for runs, extra in ((case.floor_runs, []), (case.bare_runs, ["--bare"])):
                shutil.copyfile(before, OUT / "floor" / case.key / "history.sqlite")
                runs.append(measure([PY, str(HERE / "floor.py"), str(case.floor_spec), *extra]))
            print(f"  {case.label}: {case.runs[-1].seconds:.2f} s (floor {case.floor_runs[-1].seconds:.2f} s, "
                  f"bare {case.bare_runs[-1].seconds:.2f} s)", flush=True)
        if not round_number:
            continue
        # As on a fresh install, outside any workspace (and without touching the school's snapshots).
        sample_case.runs.append(measure(sample_case.command, cwd=OUT))
        for _ in range(5):
            help_case.runs.append(measure(help_case.command, cwd=OUT))
        if not args.no_naive:
            naive.runs.append(measure(naive.command, cwd=OUT))
            print(f"  {naive.label}: {naive.runs[-1].seconds:.2f} s", flush=True)
    pandas_on_help = imports_pandas()
    report(shown, sample_case, help_case, None if args.no_naive else naive, pandas_on_help, args.rounds, args.students)


CASES = ("classify", "classify_log", "callsheet", "record", "messages", "alerts", "report", "assign", "pool")
HISTORY_WEEKS = ("2026-11-09", "2026-11-16")  # recorded before the timed week, AS_OF


def school_with_history(roster: Path) -> Path:
    """A fresh workspace with pfk's defaults and two recorded weeks (classify, call sheets, filled,
    recorded), as a school has it on the morning of AS_OF; kept aside and restored before each round."""
    if WORKSPACE.exists():
        shutil.rmtree(WORKSPACE)
    WORKSPACE.mkdir(parents=True)
    subprocess.run(pfk("init"), cwd=WORKSPACE, check=True, capture_output=True)
    for week in HISTORY_WEEKS:
        print(f"  history: week of {week} …", flush=True)
        subprocess.run(pfk("classify", str(roster_as_of(roster, week)), "-o", str(OUT / f"week-{week}.pfk.xlsx"), "--as-of", week),
                       cwd=WORKSPACE, check=True, capture_output=True)
        subprocess.run(pfk("callsheet", "--all", "--as-of", week), cwd=WORKSPACE, check=True, capture_output=True)
        sheets = callsheets_of(week)
        fill_callsheets(sheets)
        subprocess.run(pfk("record", *map(str, sheets)), cwd=WORKSPACE, check=True, capture_output=True)
    kept = OUT / "school.history"
    if kept.exists():
        shutil.rmtree(kept)
    shutil.copytree(WORKSPACE, kept)
    return kept


def roster_as_of(roster: Path, week: str) -> Path:
    """The roster as the platform exported it on `week`: what had happened by then (the last study, the
    last callback) no later than that day — pfk refuses a date of the past that lies ahead (issue 30).
    Written once per week as CSV, in a child process (this one never imports pandas: see `measure`)."""
    target = DATA / f"roster-{week}.csv"
    if not target.exists():
        code = (
            "import fastexcel, pandas as pd, sys\n"
            "frame = fastexcel.read_excel(sys.argv[1]).load_sheet(0, header_row=1).to_pandas()\n"
            "day = pd.Timestamp(sys.argv[2])\n"
            "for column in ('最近学习时间', '最近回访日期'):\n"
            "    frame[column] = frame[column].where(frame[column] <= day, day)\n"
            "frame['手机号'] = frame['手机号'].astype('Int64')\n"
            "frame.to_csv(sys.argv[3], index=False)\n"
        )
        subprocess.run([PY, "-c", code, str(roster), week, str(target)], check=True)
    return target


def restore(kept: Path) -> None:
    shutil.rmtree(WORKSPACE)
    shutil.copytree(kept, WORKSPACE)


def report(cases: list[Case], sample: Case, help_case: Case, naive: Case | None, pandas_on_help: bool, rounds: int, students: int) -> None:
    def ok(flag: bool) -> str:
        return "yes" if flag else "**no**"

    lines = [
        "| case | pfk (s) | floor (s) | pfk ÷ floor | target | met | pfk peak RSS (MB) | floor peak RSS (MB) | bare floor (s) | pfk ÷ bare floor | CPU pfk ÷ floor |",
        "| --- | ---: | ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    console = []
    for case in cases:
        ratio = case.ratio
        met = ratio <= TARGET_RATIO and case.peak_mb < MEMORY_LIMIT_MB
        lines.append(
            f"| {case.label} | {case.seconds:.2f} | {case.floor_seconds:.2f} | {ratio:.2f}× | ≤ {TARGET_RATIO}×, < 1 GB | "
            f"{ok(met)} | {case.peak_mb:.0f} | {case.floor_peak_mb:.0f} | {case.bare_seconds:.2f} | {case.bare_ratio:.2f}× | {case.cpu_ratio:.2f}× |"
        )
        console.append(f"{case.label:<46} {case.seconds:6.2f} s  floor {case.floor_seconds:5.2f} s  ratio {ratio:4.2f}  "
                       f"peak {case.peak_mb:4.0f} MB  (bare floor {case.bare_seconds:5.2f} s; CPU ratio {case.cpu_ratio:4.2f})")
    classify = cases[0] if cases else None
    if naive is not None and classify is not None and classify.key == "classify":
        speedup = statistics.median(slow.seconds / fast.seconds for slow, fast in zip(naive.runs, classify.runs))
        lines.append(f"| {naive.label} | {naive.seconds:.2f} | — | {speedup:.1f}× pfk classify | ≥ {NAIVE_RATIO:g}× pfk | "
                     f"{ok(speedup >= NAIVE_RATIO)} | {naive.peak_mb:.0f} | — | — | — | — |")
        console.append(f"{naive.label:<46} {naive.seconds:6.2f} s  = {speedup:.1f}× pfk classify")
    lines.append(f"| {help_case.label} | {help_case.seconds:.3f} | — | — | < {HELP_LIMIT} s, no pandas | "
                 f"{ok(help_case.seconds < HELP_LIMIT and not pandas_on_help)} | {help_case.peak_mb:.0f} | — | — | — | — |")
    console.append(f"{help_case.label:<46} {help_case.seconds:6.3f} s  imports pandas: {'yes' if pandas_on_help else 'no'}")
    lines.append(f"| {sample.label} | {sample.seconds:.2f} | — | — | about 1 s | {ok(sample.seconds < 1.5)} | {sample.peak_mb:.0f} | — | — | — | — |")
    console.append(f"{sample.label:<46} {sample.seconds:6.2f} s")

    print()
    print("\n".join(console))
    text = "\n".join(
        [
            "# Benchmark results",
            "",
            f"Written by `python benchmarks/run.py --rounds {rounds}"
            + (f" --students {students}" if students != STUDENTS else "") + f"` on {dt.date.today():%Y-%m-%d}.",
            f"Machine: {machine()}.",
            "",
            (
                f"Inputs (seeded, `benchmarks/generate.py`): a {students:,}-student roster over 40 teachers (.xlsx, 15 columns, "
                f"title line, phones as numbers, real dates) and a {students * 10:,}-row learning-event log (.csv) matching it, "
                "in a workspace holding two recorded weeks (2026-11-09 and 11-16: classify, call sheets filled and recorded). "
                "Each round restores that workspace and runs the week of 2026-11-23 in the loop's order. "
                "Every case runs as a subprocess of the same Python, the floor right after its pfk command in the same "
                f"round; seconds are the median of {rounds} rounds (`pfk --help`: of {len(help_case.runs)} runs), "
                "each ratio the median of the rounds' own ratios (a pfk run against the floor run right after it), "
                "peak RSS the largest of any round (`os.wait4`)."
            ),
            "",
            (
                "- **floor** (`benchmarks/floor.py`): starts the libraries pfk's command line starts (typer, which imports "
                "pydantic; rich's console; pandas), parses pfk.toml and the nine playbooks (ruamel.yaml, as pfk), parses "
                "the same inputs with the fastest readers (fastexcel; pyarrow for the log), replays the command's own SQL "
                "on a copy of the history as it was before the command (every row read fetched, every stored "
                "classification decoded, every write made), prints what the command printed (rich), and writes the very "
                "cells pfk wrote (read back from its workbooks "
                "before timing, memory-mapped from Arrow files and handed to the writer as Arrow tables, as pfk hands "
                "its cells over) with the same writer (rustpy-xlsxwriter), styled as "
                "SPEC §8 has every output styled (each data row filled and quote-prefixed, bold header, frozen, filter), "
                "taking the styles in turn instead of computing them. No logic. Call sheets are written two at a "
                "time, as pfk writes them. It ends without the interpreter's teardown (`os._exit`), which pfk "
                "goes through: the floor is what pfk cannot go below."
            ),
            "- **bare floor**: the same cells with no style at all, for reference.",
            "- **naive** (`benchmarks/naive.py`): pandas on openpyxl both ways and `iterrows`, on the same roster.",
            f"- `python -X importtime -m pfkcli --help` imports pandas: {'yes' if pandas_on_help else 'no'}.",
            "",
            *lines,
            "",
        ]
    )
    (HERE / "RESULTS.md").write_text(text, encoding="utf-8")
    print(f"\nwrote {HERE / 'RESULTS.md'}")


if __name__ == "__main__":
    main()
