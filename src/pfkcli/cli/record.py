"""pfk record FILE... — import filled call sheets into the workspace history."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from . import common

_STATUS = {
    "new": "已导入 {n} 条回访{tried}",
    "replaced": "已更新：用修改后的文件替换了之前导入的记录，现为 {n} 条回访{tried}",
    "same": "这份文件之前已经导入过，内容没有变化，未重复导入",
    "empty": "没有填写任何回访结果，未导入",
    "invalid": "所有已填行都有问题，未导入",
}
# A messages sheet (pfk messages): the rows marked 已发送 are touches, not callbacks.
_SENT = {
    "new": "已记录 {n} 条发出的消息（记为消息，不算回访）",
    "same": "这些发出的消息之前都已记录，未重复记录",
    "empty": "没有标为「已发送：是」的消息，未记录",
    "invalid": "所有标了已发送的行都有问题，未记录",
}


def record(
    files: Annotated[list[Path], typer.Argument(metavar="回访表", help="填好的回访表（.xlsx），可多个。", show_default=False)],
    called_on: Annotated[str | None, typer.Option("--called-on", metavar="日期", help="回访日期（默认：回访表上的日期）。")] = None,
    skip_invalid: Annotated[bool, typer.Option("--skip-invalid", help="有问题的行跳过，其余照常导入。")] = False,
    accept_unknown: Annotated[bool, typer.Option("--accept-unknown", help="表上没有的学员、重复出现的学员也照样导入（默认列出来、不导入）。")] = False,
    replace: Annotated[bool, typer.Option("--replace", help="用这份（较早保存的）回访表替换之前导入的内容。")] = False,
) -> None:
    """导入老师填好的回访表：P、K、备注、下次跟进日期存入工作区历史；下次 classify 用最新分数。消息表（pfk messages）里标了已发送的消息也记入历史。"""
    from ..messages import TouchOutcome
    from ..record import RefusedFile, record_files
    from ..workspace import find_workspace

    day = common.parse_date_option(called_on, "--called-on")
    outcomes = common.run(
        lambda: record_files(find_workspace(), files, day, skip_invalid, accept_unknown, replace),
        not_done="未导入任何回访（加 --skip-invalid 可只导入没有问题的行）",
        full_list=False,
    )
    skipped, said, refused = [], [], []
    for outcome in outcomes:
        if isinstance(outcome, RefusedFile):
            refused.append(outcome)
            continue
        if isinstance(outcome, TouchOutcome):
            message = _SENT[outcome.status].format(n=outcome.touches)
        else:
            tried = f"、{outcome.attempts} 次没联系上" if outcome.attempts else ""
            message = _STATUS[outcome.status].format(n=outcome.callbacks, tried=tried)
        mark = "✓" if outcome.status in ("new", "replaced") else "·"
        common.out.print(f"{mark} {outcome.path.name}（{outcome.teacher}，{outcome.sheet_date}）：{message}")
        skipped += outcome.problems
        said += outcome.warnings
    common.print_problems(skipped, title="以下行没有导入（表上没有的学员、重复的学员可加 --accept-unknown 导入）：", style="yellow", full_list=False)
    common.print_problems(said, title="已导入，但请留意：", style="yellow", full_list=False)
    if refused:
        # The good files are recorded; the others are said, each with what to do, and the exit says so.
        for item in refused:
            common.print_error(item.reason)
        problems = [problem for item in refused for problem in item.problems]
        common.print_problems(problems, title="这些行有问题，所在的文件没有导入（改好后再运行 pfk record，或加 --skip-invalid 只导入没有问题的行）：", full_list=False)
        raise typer.Exit(2)
    # Nothing recorded and nothing recorded before: a script must not take that for done. (A file
    # recorded already, unchanged, is done: its line says so, and the exit is 0.)
    if outcomes and all(outcome.status in _NOTHING for outcome in outcomes):
        common.print_error("什么都没有导入：文件里没有填写任何回访结果或已发送的消息（或所填的行都有问题）")
        raise typer.Exit(2)


_NOTHING = ("empty", "invalid")
