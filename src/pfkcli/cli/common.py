"""What every command shares: the error boundary, problem tables, console, common options."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable, Iterable
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from ..errors import InvalidInput, PfkError, Problem

# Piped or captured output gets wide tables, so logs keep whole cells.
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, highlight=False, soft_wrap=True, width=None if sys.stderr.isatty() else 160)

T = TypeVar("T")

debug_mode = {"on": bool(os.environ.get("PFK_DEBUG"))}


def parse_date_option(value: str | None) -> dt.date | None:
    if value is None:
        return None
    from ..values import parse_date_text

    parsed = parse_date_text(value)
    if parsed is None:
        raise typer.BadParameter(f'"{value}" 不是日期，请写成 2026-11-23')
    return parsed


AsOf = Annotated[
    str | None,
    typer.Option("--as-of", help="按这一天计算（默认今天），如 2026-11-23；用于复现某次结果。", show_default=False),
]


def as_of_date(value: str | None) -> dt.date:
    return parse_date_option(value) or dt.date.today()


def run(action: Callable[[], T]) -> T:
    """Call one core function; turn pfk's errors into one clear message and an exit code."""
    try:
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
        err.print(f"[red]错误：[/red]{exc.message}", markup=True)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        err.print("已中断，没有写出不完整的文件。")
        raise typer.Exit(130) from None


def print_problems(problems: Iterable[Problem], title: str, style: str = "red") -> None:
    """A table on a terminal; one full line per problem otherwise, so logs and tests can grep it."""
    problems = list(problems)
    if not problems:
        return
    err.print(f"[{style}]{title}[/{style}]", markup=True)
    if sys.stderr.isatty():
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
