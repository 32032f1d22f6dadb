"""What every command shares: the error boundary, problem tables, console, common options."""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from ..errors import InvalidInput, PfkError, Problem

if TYPE_CHECKING:
    from rich.console import Console

T = TypeVar("T")

debug_mode = {"on": bool(os.environ.get("PFK_DEBUG"))}


@functools.cache
def console(stderr: bool = False) -> Console:
    """The stdout (or stderr) console, made on first use so that `pfk --help` never imports rich.
    Piped or captured output gets wide tables, so logs keep whole cells."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    # Markup and emoji codes off: what pfk prints is mostly the user's own text (a teacher named
    # `[/bold]`, a student named `:smile:`), which must appear as written. Styles go through `Text`.
    return Console(
        file=_VisibleControls(stderr),
        stderr=stderr,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=True,
        width=None if stream is not None and stream.isatty() else 160,
    )


# Characters that reorder the text around them on a terminal (a name holding U+202E prints the rest
# of its line backwards: `‮gpj.exe` reads as `exe.jpg`): shown as their code, never applied.
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """`text` with every bidirectional control shown as `<U+202E>` rather than obeyed."""
    return _BIDI.sub(lambda found: f"<U+{ord(found.group()):04X}>", text)


class _VisibleControls:
    """The console's stream (stdout or stderr, looked up at each write, as rich does by itself),
    writing every text through `visible`."""

    def __init__(self, stderr: bool) -> None:
        self._stderr = stderr

    @property
    def _stream(self):
        return sys.stderr if self._stderr else sys.stdout

    def write(self, text: str) -> int:
        return self._stream.write(visible(text))

    def flush(self) -> None:
        self._stream.flush()

    def __getattr__(self, name: str):  # isatty, fileno, encoding …: the stream's own
        return getattr(self._stream, name)


def __getattr__(name: str) -> Console:
    # `common.out` and `common.err` for the commands.
    if name in ("out", "err"):
        return console(stderr=name == "err")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def parse_date_option(value: str | None, option: str) -> dt.date | None:
    """The date given to `option` (`--as-of`), in any way a person writes one; None when not given."""
    if value is None:
        return None
    parsed = _iso_date(value)
    if parsed is None:
        # Every other way of writing a date, through pandas.
        from ..values import parse_date_text

        parsed = parse_date_text(value)
    if parsed is None:
        shown = value if len(value) <= 40 else value[:39] + "…"
        raise typer.BadParameter(f'{option} 的值 "{shown}" 不是日期，请写成 2026-11-23')
    return parsed


def _iso_date(value: str) -> dt.date | None:
    """`2026-11-23` without importing pandas, so that the first read can overlap that import.
    Anything else (or an impossible date) is left to `parse_date_text`, which reads it the same way."""
    year, month, day = value[:4], value[5:7], value[8:]
    if len(value) != 10 or not value.isascii() or value[4] != "-" or value[7] != "-":
        return None
    if not (year.isdigit() and month.isdigit() and day.isdigit() and 1900 <= int(year) < 2200):
        return None
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


AsOf = Annotated[
    str | None,
    typer.Option("--as-of", metavar="日期", help="按这一天计算（默认今天），如 2026-11-23；用于复现某次结果。", show_default=False),
]


def as_of_date(value: str | None) -> dt.date:
    return parse_date_option(value, "--as-of") or dt.date.today()


def run(action: Callable[[], T], *, not_done: str | None = None, full_list: bool = True) -> T:
    """Call one core function; turn pfk's errors into one clear message and an exit code.

    `not_done` is what bad input stopped, said after the count of problems: "未写出任何文件" for a
    command that writes, "未导入任何回访" for `record`; a command that writes nothing says nothing.
    `full_list`: the problems are about rosters, which `pfk check --problems` can list in full.
    """
    try:
        with native_output_aside(lambda: debug_mode["on"]), library_words_aside(debug_mode["on"]), progress_bars():
            return action()
    except InvalidInput as exc:
        if debug_mode["on"]:
            raise
        title = f"发现 {len(exc.problems)} 处问题，{not_done}：" if not_done else f"发现 {len(exc.problems)} 处问题："
        print_problems(exc.problems, title=title, full_list=full_list)
        print_warnings(exc.warnings, full_list=full_list)
        raise typer.Exit(exc.exit_code) from None
    except PfkError as exc:
        if debug_mode["on"]:
            raise
        print_error(exc.message)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        console(stderr=True).print("已中断，没有写出不完整的文件。")
        raise typer.Exit(130) from None
    except MemoryError:
        # What memory.check_* did not foresee (another program took the memory meanwhile): one line too.
        if debug_mode["on"]:
            raise
        print_error("内存不足，没有写出不完整的文件；请关闭其他程序后再试，或把名单按老师或班级拆成几份分别运行")
        raise typer.Exit(2) from None


def print_error(message: str) -> None:
    """`错误：…` on stderr, the message printed as written (it often quotes the user's own text)."""
    from rich.text import Text

    console(stderr=True).print(Text.assemble(("错误：", "red"), message))


@contextmanager
def native_output_aside(shown: Callable[[], bool]) -> Iterator[None]:
    """Keep aside what native code writes straight to the process's stderr — the Rust reader's panic
    traces —, in English and meant for a developer: it goes to a file, shown at the end when `shown()` (--debug).
    Python's own stderr (pfk's messages, the progress bars) keeps writing to the screen."""
    import io

    from ..reading import stderr_fd_aside

    stream = sys.stderr

    def done(kept: bytes) -> None:
        sys.stderr = stream
        if kept and shown():
            stream.write(kept.decode("utf-8", errors="replace"))
            stream.flush()

    with stderr_fd_aside(done) as screen:  # None: no real stderr (a GUI launcher), nothing to keep apart
        try:
            on_fd_2 = screen is not None and stream.fileno() == 2
        except (OSError, ValueError, AttributeError):  # a test's capture: Python's writes never reach fd 2
            on_fd_2 = False
        if on_fd_2:
            sys.stderr = io.TextIOWrapper(
                os.fdopen(screen, "wb", closefd=False),
                encoding=getattr(stream, "encoding", None) or "utf-8",
                errors=getattr(stream, "errors", None) or "replace",
                line_buffering=True,
            )
        yield


@contextmanager
def library_words_aside(shown: bool) -> Iterator[None]:
    """What the libraries say through Python — calamine's log lines (its Rust `log` records reach
    Python's logging as `calamine.xlsx` …), pandas' and pyarrow's warnings — in English and meant for a
    developer: kept off the screen, unless `shown` (--debug), when they go to stderr as they are."""
    import logging
    import warnings

    root = logging.getLogger()
    # A handler on the root: Python's last-resort handler (which prints warnings with no handler set
    # up) stays quiet; with --debug, one that prints them.
    handler = logging.StreamHandler(sys.stderr) if shown else logging.NullHandler()
    root.addHandler(handler)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default" if shown else "ignore")
            logging.captureWarnings(shown)  # shown, warnings go through the same handler
            try:
                yield
            finally:
                logging.captureWarnings(False)
    finally:
        root.removeHandler(handler)


@contextmanager
def progress_bars() -> Iterator[None]:
    """Rich progress bars on stderr for the core's long steps, on a terminal only (never in a pipe or a log)."""
    err = console(stderr=True)
    if not err.is_terminal:
        yield
        return
    from rich.progress import BarColumn, Progress, ProgressColumn, SpinnerColumn, TextColumn
    from rich.text import Text

    from .. import progress

    class Figures(ProgressColumn):
        """`45%  18/40  剩余 0:12` for a step with a count; `已用 0:03` for one without (its bar pulses)."""

        max_refresh = 0.5  # the estimate of time left would flicker at every advance

        def render(self, task) -> Text:
            if task.total is None:
                return Text(f"已用 {_clock(task.elapsed)}", style="progress.elapsed")
            left = "--:--" if task.time_remaining is None else _clock(task.time_remaining)
            return Text(
                f"{task.percentage:3.0f}%  {task.completed:.0f}/{task.total:.0f}  剩余 {left}",
                style="progress.remaining",
            )

    columns = (SpinnerColumn(), TextColumn("{task.description}", markup=False), BarColumn(), Figures())
    with Progress(*columns, console=err, transient=True) as bars:

        @contextmanager
        def show(label: str, total: int | None):
            task = bars.add_task(label, total=total)
            try:
                yield _Advance(bars, task)
            finally:
                bars.remove_task(task)

        previous = progress.install(show)
        try:
            yield
        finally:
            progress.install(previous)


def _clock(seconds: float | None) -> str:
    """`0:07`, `12:40`, `1:02:05`."""
    seconds = int(seconds or 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class _Advance:
    def __init__(self, bars, task) -> None:
        self.bars, self.task = bars, task

    def advance(self, steps: int = 1) -> None:
        self.bars.advance(self.task, steps)


# A screenful: beyond this, a listing gives the first problems and then counts per column and code
# (a bad 20,000-row export has hundreds of thousands of problems, which nobody reads in a terminal).
PROBLEMS_SHOWN = 30
WARNINGS_SHOWN = 10
KINDS_SHOWN = 20
FULL_LIST = "pfk check {files} --problems 问题清单.xlsx"


def print_problems(
    problems: Iterable[Problem],
    title: str,
    style: str = "red",
    *,
    shown: int = PROBLEMS_SHOWN,
    full_list: bool = True,
) -> None:
    """The first `shown` problems (a table on a terminal, one full line each otherwise, so that logs
    and tests can grep them); beyond that, counts per column and code, and with `full_list` the
    command that writes every one of them to a workbook."""
    from rich.text import Text

    problems = list(problems)
    if not problems:
        return
    err = console(stderr=True)
    err.print(Text(title, style=style))
    first = problems[:shown]
    if err.is_terminal:
        from rich.table import Table

        table = Table(show_lines=False)
        for header in ("位置", "说明", "代码"):
            table.add_column(header, overflow="fold")
        for problem in first:
            table.add_row(problem.location(), problem.message, problem.code)
        err.print(table)
    else:
        for problem in first:
            err.print(f"  {problem.line()}  [{problem.code}]")
    if len(problems) <= shown:
        return
    err.print(f"  …… 以上是前 {shown} 处，共 {len(problems)} 处。按列统计：")
    kinds = _kinds(problems)
    for (column, code), (count, example) in kinds[:KINDS_SHOWN]:
        err.print(f"    {column or '（整行或整个文件）'}  [{code}]  {count} 处，如：{_clip(example)}")
    if len(kinds) > KINDS_SHOWN:
        rest = sum(count for _, (count, _) in kinds[KINDS_SHOWN:])
        err.print(f"    另有 {len(kinds) - KINDS_SHOWN} 类共 {rest} 处")
    if full_list:
        files = " ".join(_quoted(name) for name in dict.fromkeys(problem.file for problem in problems))
        err.print(f"  完整清单：{FULL_LIST.format(files=files)}")


def _kinds(problems: list[Problem]) -> list[tuple[tuple[str | None, str], tuple[int, str]]]:
    """(column, code) → (count, first message), the most frequent first."""
    kinds: dict[tuple[str | None, str], list] = {}
    for problem in problems:
        kind = kinds.setdefault((problem.column, problem.code), [0, problem.message])
        kind[0] += 1
    return sorted(((key, (count, example)) for key, (count, example) in kinds.items()), key=lambda kind: -kind[1][0])


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quoted(name: str) -> str:
    return f'"{name}"' if any(c.isspace() for c in name) else name


def print_warnings(warnings: Iterable[Problem], full_list: bool = True) -> None:
    print_problems(warnings, title="提示：", style="yellow", shown=WARNINGS_SHOWN, full_list=full_list)


def print_outcome(heading: str, lines, warnings, output) -> None:
    """The closing lines every writing command prints: the rules used, warnings, the file written."""
    out = console()
    out.print(heading)
    for line in lines:
        out.print(f"  {line}")
    print_warnings(warnings)
    if output:
        out.print(f"✓ 已写出 {output}")
