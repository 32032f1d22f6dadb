"""What every command shares: the error boundary, problem tables, console, common options."""

from __future__ import annotations

import datetime as dt
import functools
import os
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
    return Console(stderr=stderr, highlight=False, soft_wrap=True, width=None if stream.isatty() else 160)


def __getattr__(name: str) -> Console:
    # `common.out` and `common.err` for the commands.
    if name in ("out", "err"):
        return console(stderr=name == "err")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def parse_date_option(value: str | None) -> dt.date | None:
    if value is None:
        return None
    parsed = _iso_date(value)
    if parsed is None:
        # Every other way of writing a date, through pandas.
        from ..values import parse_date_text

        parsed = parse_date_text(value)
    if parsed is None:
        raise typer.BadParameter(f'"{value}" 不是日期，请写成 2026-11-23')
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
    typer.Option("--as-of", help="按这一天计算（默认今天），如 2026-11-23；用于复现某次结果。", show_default=False),
]


def as_of_date(value: str | None) -> dt.date:
    return parse_date_option(value) or dt.date.today()


def run(action: Callable[[], T]) -> T:
    """Call one core function; turn pfk's errors into one clear message and an exit code."""
    try:
        with progress_bars():
            return action()
    except InvalidInput as exc:
        if debug_mode["on"]:
            raise
        print_problems(exc.problems, title=f"发现 {len(exc.problems)} 处问题，未写出任何文件：")
        print_problems(exc.warnings, title="提示：", style="yellow")
        raise typer.Exit(exc.exit_code) from None
    except PfkError as exc:
        if debug_mode["on"]:
            raise
        console(stderr=True).print(f"[red]错误：[/red]{exc.message}", markup=True)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        console(stderr=True).print("已中断，没有写出不完整的文件。")
        raise typer.Exit(130) from None


@contextmanager
def progress_bars() -> Iterator[None]:
    """Rich progress bars on stderr for the core's long steps, on a terminal only (never in a pipe or a log)."""
    err = console(stderr=True)
    if not err.is_terminal:
        yield
        return
    from rich.progress import (
        BarColumn,
        Progress,
        ProgressColumn,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.text import Text

    from .. import progress

    class Count(ProgressColumn):
        """`12/40` for a step with a count; nothing for one without (its bar pulses instead)."""

        def render(self, task) -> Text:
            return Text("" if task.total is None else f"{task.completed:.0f}/{task.total:.0f}")

    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), Count(), TimeElapsedColumn())
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


class _Advance:
    def __init__(self, bars, task) -> None:
        self.bars, self.task = bars, task

    def advance(self, steps: int = 1) -> None:
        self.bars.advance(self.task, steps)


def print_problems(problems: Iterable[Problem], title: str, style: str = "red") -> None:
    """A table on a terminal; one full line per problem otherwise, so logs and tests can grep it."""
    problems = list(problems)
    if not problems:
        return
    err = console(stderr=True)
    err.print(f"[{style}]{title}[/{style}]", markup=True)
    if sys.stderr.isatty():
        from rich.table import Table

        table = Table(show_lines=False)
        for header in ("位置", "说明", "代码"):
            table.add_column(header, overflow="fold")
        for problem in problems:
            table.add_row(problem.location(), problem.message, problem.code)
        err.print(table)
    else:
        for problem in problems:
            err.print(f"  {problem.line()}  [{problem.code}]", markup=False)


def print_warnings(warnings: Iterable[Problem]) -> None:
    print_problems(warnings, title="提示：", style="yellow")


def print_outcome(heading: str, lines, warnings, output) -> None:
    """The closing lines every writing command prints: the rules used, warnings, the file written."""
    out = console()
    out.print(heading)
    for line in lines:
        out.print(f"  {line}")
    print_warnings(warnings)
    if output:
        out.print(f"✓ 已写出 {output}")
