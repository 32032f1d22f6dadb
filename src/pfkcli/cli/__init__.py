"""The `pfk` command line: each command lives in its own module and calls one core function.

Nothing here imports pandas: `pfk --help` must answer at once.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from .. import __version__
from . import common, usage

app = typer.Typer(
    name="pfk",
    help="PFK 学员分层运营：给学员打分分层（P 积极性 · F 课程跟随 · K 基础能力），生成每位老师的回访表。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    cls=usage.Group,
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"pfk {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_show_version, is_eager=True, help="显示版本号。")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="出错时显示完整的 Python 调用栈。")] = False,
) -> None:
    if debug:
        common.debug_mode["on"] = True


def _register() -> None:
    from . import alerts, assign, backup, callsheet, check, classify, history, init, messages, playbook, pool, record, report, restore, risk

    for name, function in (
        ("init", init.init),
        ("check", check.check),
        ("classify", classify.classify),
        ("callsheet", callsheet.callsheet),
        ("messages", messages.messages),
        ("record", record.record),
        ("history", history.history),
        ("alerts", alerts.alerts),
        ("report", report.report),
        ("assign", assign.assign),
        ("backup", backup.backup),
        ("restore", restore.restore),
    ):
        app.command(name, cls=usage.Command)(function)
    app.add_typer(playbook.app, name="playbook")
    app.add_typer(pool.app, name="pool")
    app.add_typer(risk.app, name="risk")


_register()


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:  # Ctrl-C before a command's own boundary (common.run) was set up
        print("已中断。", file=sys.stderr)
        sys.exit(130)
    finally:
        # Everything the command made is thrown away now: the interpreter's exit still runs every
        # clean-up (atexit, flushing, closing), but need not search a heap of pandas objects for
        # reference cycles first (0.17 s of `pfk callsheet --all`'s 1.9 s: README › Performance).
        import gc

        gc.freeze()
