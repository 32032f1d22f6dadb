"""Using pfk for real: two `pfk record` processes at once, hostile data in every output, outputs that
cannot be written, inputs that are never written over."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest

from pfkcli import history
from pfkcli.cli import app
from pfkcli.outputs import CALLSHEET_SHEET

from ..conftest import AS_OF, HEADER, digest, student, write_xlsx

pytestmark = pytest.mark.slow

STUDENTS_PER_TEACHER = 120
TEACHERS = ("张老师", "李老师")


def pfk_process(*args, cwd: Path) -> subprocess.Popen:
    """The installed pfk in its own process, with the interpreter running the tests."""
    env = {k: v for k, v in os.environ.items() if k != "PFK_DEBUG"}
    return subprocess.Popen(
        [sys.executable, "-m", "pfkcli", *map(str, args)],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )



def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def cli(runner, monkeypatch):
    """pfk in this process, catching everything: a traceback fails the test."""

    def _run(*args, cwd: Path):
        monkeypatch.chdir(cwd)
        result = runner.invoke(app, [str(a) for a in args], catch_exceptions=True)
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        assert "Traceback" not in result.output
        return result

    return _run


# --- two record processes at once --------------------------------------------------------------------


@pytest.fixture
def filled_callsheets(cli, tmp_path) -> tuple[Path, list[Path], set[tuple]]:
    """A workspace, one call sheet per teacher with every row filled in; returns the callbacks expected."""
    workspace = tmp_path / "ws"
    workspace.mkdir()
    assert cli("init", ".", cwd=workspace).exit_code == 0
    rows = [HEADER] + [
        student(f"S{t}{n:03d}", f"学员{t}{n}", teacher, n % 12, n % 77, None, None)
        for t, teacher in enumerate(TEACHERS)
        for n in range(STUDENTS_PER_TEACHER)
    ]
    roster = write_xlsx(workspace / "roster.xlsx", rows)
    assert cli("classify", roster, "--as-of", AS_OF, cwd=workspace).exit_code == 0
    assert cli("callsheet", "--all", "--as-of", AS_OF, "--limit", STUDENTS_PER_TEACHER, cwd=workspace).exit_code == 0
    expected = set()
    paths = []
    for teacher in TEACHERS:
        path = workspace / "callsheets" / f"{teacher}-{AS_OF}.xlsx"
        wb = openpyxl.load_workbook(path)
        ws = wb[CALLSHEET_SHEET]
        header = [c.value for c in ws[1]]
        column = {name: header.index(name) + 1 for name in ("学号", "P（1-5）", "K（1-5）", "回访备注", "下次跟进日期")}
        for row in range(2, ws.max_row + 1):
            sid = ws.cell(row, column["学号"]).value
            p, k = 1 + row % 5, 1 + (row * 3) % 5
            ws.cell(row, column["P（1-5）"]).value = p
            ws.cell(row, column["K（1-5）"]).value = k
            ws.cell(row, column["回访备注"]).value = f"{teacher}给{sid}打过电话"
            ws.cell(row, column["下次跟进日期"]).value = dt.datetime(2026, 11, 30)
            expected.add((teacher, sid, float(p), float(k), f"{teacher}给{sid}打过电话"))
        wb.save(path)
        paths.append(path)
    assert len(expected) == STUDENTS_PER_TEACHER * len(TEACHERS)
    return workspace, paths, expected


def recorded(workspace: Path) -> set[tuple]:
    with sqlite3.connect(workspace / ".pfk" / "history.sqlite") as conn:
        return set(conn.execute("SELECT teacher, student_id, p, k, note FROM callbacks"))


def test_two_record_processes_at_once_both_land(filled_callsheets):
    workspace, paths, expected = filled_callsheets
    database = workspace / ".pfk" / "history.sqlite"
    # Someone is writing when both arrive: they must queue on the busy timeout, not fail.
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    processes = [pfk_process("record", path, cwd=workspace) for path in paths]
    time.sleep(3)
    assert [p.poll() for p in processes] == [None, None]  # still waiting for the writer
    holder.execute("COMMIT")
    holder.close()
    outputs = [p.communicate(timeout=180) for p in processes]
    for process, (stdout, stderr) in zip(processes, outputs):
        assert process.returncode == 0, stderr
        assert f"已导入 {STUDENTS_PER_TEACHER} 条回访" in stdout
        assert "Traceback" not in stderr
    assert recorded(workspace) == expected
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT count(*) FROM imports").fetchone()[0] == len(TEACHERS)


def test_two_commands_creating_the_store_at_once_both_land(cli, tmp_path):
    """Both processes create and migrate a new workspace's store at the same moment."""
    assert cli("init", ".", cwd=tmp_path).exit_code == 0
    rows = [HEADER] + [student(f"S{n:03d}", f"学员{n}", "张老师", 3, 20, 4, 4) for n in range(20)]
    roster = write_xlsx(tmp_path / "roster.xlsx", rows)
    days = ("2026-11-16", "2026-11-23")
    processes = [pfk_process("classify", roster, "--as-of", day, "-o", f"out-{day}.xlsx", cwd=tmp_path) for day in days]
    for process, (stdout, stderr) in zip(processes, [p.communicate(timeout=180) for p in processes]):
        assert process.returncode == 0, stderr
    with sqlite3.connect(tmp_path / ".pfk" / "history.sqlite") as conn:
        assert [r[0] for r in conn.execute("SELECT as_of FROM snapshot_tables ORDER BY as_of")] == list(days)
        assert conn.execute("PRAGMA user_version").fetchone()[0] == history.SCHEMA_VERSION


def test_a_store_busy_past_the_timeout_is_one_clear_line(cli, filled_callsheets, monkeypatch):
    workspace, paths, _ = filled_callsheets
    monkeypatch.setattr(history, "BUSY_TIMEOUT_SECONDS", 0.2)
    holder = sqlite3.connect(workspace / ".pfk" / "history.sqlite", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = cli("record", paths[0], cwd=workspace)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "历史库正被占用" in lines[0] and "请稍后再试" in lines[0], result.output
    assert recorded(workspace) == set()
    assert cli("record", paths[0], cwd=workspace).exit_code == 0  # and once free, it lands


def test_a_broken_store_is_one_clear_line(cli, filled_callsheets):
    workspace, paths, _ = filled_callsheets
    store = workspace / ".pfk" / "history.sqlite"
    for leftover in store.parent.glob("history.sqlite*"):
        leftover.unlink()
    store.write_bytes(b"this is not a database" * 100)
    result = cli("record", paths[0], cwd=workspace)
    assert result.exit_code == 2 and "是空的或已损坏" in result.output and "pfk restore --fresh" in result.output
    assert store.read_bytes() == b"this is not a database" * 100


# --- hostile data -------------------------------------------------------------------------------------

FORMULAS = ["=cmd|' /C calc'!A0", "+1", "-2+3", "@SUM(1)", "\t=1+2", "\r=HYPERLINK(\"http://x\")", '=HYPERLINK("http://evil","点我")']
PATH_TRICKS = ["../../x", "/etc/passwd", "a:b", "C:\\x", "CON", "-rf"]


def hostile_roster(path: Path) -> Path:
    """Names, teacher names, notes and a column header that are formulas or path tricks, stored as text."""
    header = HEADER + ["最近学习时间", "=SUM(A1:A9)"]
    rows = []
    texts = FORMULAS + PATH_TRICKS
    for n, text in enumerate(texts):
        called = n % 3 != 0
        rows.append(
            student(f"S{n:03d}", text, texts[(n + 3) % len(texts)], n % 12, (n * 7) % 77, 4 if called else None, 2 if called else None, text)
            # Studied within [pool] inactive_days (30) of the as-of date: every one holds a teacher.
            + [dt.datetime(2026, 11, 1 + n), texts[-1 - n]]
        )
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "学员名单"
    for r, line in enumerate([header] + rows, 1):
        for c, value in enumerate(line, 1):
            cell = ws.cell(r, c)
            cell.value = value
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # typed by a user as text, as Excel stores it
    wb.save(path)
    return path


def test_hostile_data_never_becomes_a_formula_nor_a_path(cli, tmp_path):
    workspace = tmp_path / "ws"
    workspace.mkdir()
    assert cli("init", ".", cwd=workspace).exit_code == 0
    roster = hostile_roster(workspace / "roster.xlsx")
    before = files_under(tmp_path.parent)

    for args in (["classify", roster], ["callsheet", "--all"], ["alerts", roster], ["report"]):
        result = cli(*args, "--as-of", AS_OF, cwd=workspace)
        assert result.exit_code == 0, result.output

    created = files_under(tmp_path.parent) - before
    assert created, "nothing was written"
    outside = [p for p in created if not p.resolve().is_relative_to(workspace.resolve())]
    assert outside == []
    workbooks = sorted(p for p in created if p.suffix == ".xlsx")
    callsheets = [p for p in workbooks if p.parent == workspace / "callsheets"]
    assert len(callsheets) == len(FORMULAS + PATH_TRICKS)
    assert {p.name for p in workbooks} >= {"roster.pfk.xlsx", "roster.alerts.xlsx", f"report-{AS_OF}.xlsx"}

    seen = set()
    for path in workbooks:
        for ws in openpyxl.load_workbook(path):
            for row in ws.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (path.name, ws.title, cell.coordinate, cell.value)
                    if isinstance(cell.value, str) and cell.value[:1] in ("=", "+", "-", "@", "\t", "\r"):
                        assert cell.data_type == "s" and cell.quotePrefix, (path.name, ws.title, cell.coordinate, cell.value)
                        seen.add(cell.value)
    # Every formula-like text arrives, as text (tabs and line breaks around a value are trimmed).
    assert {text.strip() for text in FORMULAS} <= seen
    assert "-rf" in seen


# --- inputs are never written over, outputs that cannot be written ----------------------------------------


@pytest.fixture
def roster_in(tmp_path) -> Path:
    rows = [HEADER, student("S001", "张伟", "张老师", 11, 76, 5, 5), student("S002", "王芳", "李老师", 3, 20, 2, 4)]
    return write_xlsx(tmp_path / "roster.xlsx", rows)


def test_output_onto_the_input_is_refused(cli, tmp_path, roster_in):
    before = digest(roster_in)
    (tmp_path / "link.xlsx").symlink_to(roster_in)
    os.link(roster_in, tmp_path / "hard.xlsx")
    for target in (roster_in, Path("roster.xlsx"), tmp_path / "sub" / ".." / "roster.xlsx", tmp_path / "link.xlsx", tmp_path / "hard.xlsx"):
        for command in ("classify", "alerts"):
            result = cli(command, roster_in, "-o", target, "--as-of", AS_OF, cwd=tmp_path)
            assert result.exit_code == 2, (command, target, result.output)
            assert "这是输入文件，pfk 不会覆盖输入" in result.output
            assert digest(roster_in) == before
    assert not list(tmp_path.glob("*.part.xlsx"))


def test_a_callsheet_never_overwrites_the_roster_it_was_made_from(cli, tmp_path, roster_in):
    (tmp_path / "callsheets").mkdir()
    roster = roster_in.rename(tmp_path / "callsheets" / f"张老师-{AS_OF}.xlsx")
    before = digest(roster)
    result = cli("callsheet", "--teacher", "张老师", "--roster", roster, "--as-of", AS_OF, cwd=tmp_path)
    assert result.exit_code == 2 and "这是输入文件" in result.output
    assert digest(roster) == before


def test_unwritable_outputs_get_one_clear_line(cli, tmp_path, roster_in):
    (tmp_path / "folder.xlsx").mkdir()
    (tmp_path / "~$locked.xlsx").write_bytes(b"")
    os.mkfifo(tmp_path / "pipe.xlsx")
    cases = {
        tmp_path / "missing" / "out.xlsx": "不存在",
        # Tests run as root, which writes anywhere: a path under a regular file stands for a read-only folder.
        roster_in / "out.xlsx": "不是文件夹",
        tmp_path / "folder.xlsx": "这是一个文件夹",
        tmp_path / "locked.xlsx": "正在 Excel/WPS 中打开",
        tmp_path / "pipe.xlsx": "不是普通文件",
        tmp_path / ("名" * 100 + ".xlsx"): "文件名太长",
    }
    before = files_under(tmp_path)
    for target, reason in cases.items():
        result = cli("classify", roster_in, "-o", target, "--as-of", AS_OF, cwd=tmp_path)
        assert result.exit_code == 2, (target, result.output)
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("错误：") and reason in lines[0], (target, result.output)
    assert files_under(tmp_path) == before
    assert (tmp_path / "pipe.xlsx").is_fifo()


def big_roster(folder: Path, students: int = 20_000) -> Path:
    rows = [HEADER] + [student(f"S{n:05d}", f"学员{n}", f"老师{n % 20}", n % 12, n % 77, 1 + n % 5, 1 + n % 5) for n in range(students)]
    return write_xlsx(folder / "roster.xlsx", rows)


@pytest.mark.skipif(sys.platform == "win32", reason="file size limits and signals as POSIX has them")
def test_a_full_disk_half_way_leaves_the_old_output_whole(tmp_path):
    """The file system refuses to grow a file past a limit (as a full disk does, with another errno):
    the previous result stays as it was, no temporary file is left, one line says what happened."""
    import resource
    import signal

    roster = big_roster(tmp_path)
    output = tmp_path / "roster.pfk.xlsx"
    first = pfk_process("classify", roster, "--as-of", AS_OF, cwd=tmp_path)
    assert first.wait(timeout=180) == 0
    before = digest(output)

    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))

    process = subprocess.Popen(
        [sys.executable, "-m", "pfkcli", "classify", str(roster), "--as-of", AS_OF],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8", preexec_fn=small_files,
    )
    _, stderr = process.communicate(timeout=180)
    assert process.returncode == 2, stderr
    assert stderr.strip().startswith("错误：") and "无法写入" in stderr and "Traceback" not in stderr
    assert digest(output) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["roster.pfk.xlsx", "roster.xlsx"]


@pytest.mark.skipif(sys.platform == "win32", reason="Ctrl-C is a signal on POSIX")
def test_ctrl_c_half_way_leaves_the_old_output_whole(tmp_path):
    import signal

    roster = big_roster(tmp_path, 40_000)
    output = tmp_path / "roster.pfk.xlsx"
    started = time.monotonic()
    assert pfk_process("classify", roster, "--as-of", AS_OF, cwd=tmp_path).wait(timeout=180) == 0
    took = time.monotonic() - started
    before = digest(output)
    process = pfk_process("classify", roster, "--as-of", AS_OF, cwd=tmp_path)
    time.sleep(took / 2)  # half-way: reading or writing; wherever it is stopped, nothing half-written may remain
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=180)
    assert process.returncode in (130, 0), stderr  # 0: it had finished already
    if process.returncode == 130:
        assert "已中断" in stderr and "Traceback" not in stderr
        assert digest(output) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["roster.pfk.xlsx", "roster.xlsx"]


def test_a_file_where_pfk_keeps_a_folder_is_one_clear_line(cli, tmp_path, roster_in):
    assert cli("init", ".", cwd=tmp_path).exit_code == 0
    (tmp_path / "callsheets").rmdir()
    (tmp_path / "callsheets").write_text("not a folder")
    result = cli("callsheet", "--all", "--roster", roster_in, "--as-of", AS_OF, cwd=tmp_path)
    assert result.exit_code == 2 and "无法建立回访表文件夹（已有同名的文件）" in result.output
    shutil.rmtree(tmp_path / ".pfk")
    (tmp_path / ".pfk").write_text("not a folder")
    result = cli("classify", roster_in, "--as-of", AS_OF, cwd=tmp_path)
    assert result.exit_code == 2 and "历史库无法打开" in result.output and "已有同名的文件" in result.output
    assert not (tmp_path / "roster.pfk.xlsx").exists()
