"""pfk playbook list|show|add|ids|check: the per-segment advice the team grows in git."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import UsageError
from ..segments import Segment, parse_segment, valid_spellings
from . import common, usage

if TYPE_CHECKING:
    from .. import playbooks

# playbooks and workspace import pydantic and ruamel.yaml: loaded inside the commands, so that
# `pfk --help` (which imports every command module) stays fast.

app = typer.Typer(
    help="话术与方案库（playbooks）：list / show / add / ids / check。", no_args_is_help=True, cls=usage.Group
)

CodeArgument = Annotated[
    str,
    typer.Argument(
        metavar="分层",
        help="分层代码或名称：P_S-F_S-K_L、PSFSKL、\"P_S F_S K_L\"、小写，或中文名（重点挽留学员、待回访）。",
        show_default=False,
    ),
]


def _segment(text: str) -> Segment:
    segment = parse_segment(text)
    if segment is None:
        raise UsageError(
            f"不认识的分层「{text}」。可用：{valid_spellings()}；代码也可写成 PSFSKL、P_S F_S K_L 或小写。"
        )
    return segment


def _shown_path(path: Path) -> str:
    """The path relative to the current folder when that is shorter, as the user would type it."""
    relative = os.path.relpath(path)
    return relative if not relative.startswith("..") else str(path)


@app.command("list", cls=usage.Command)
def list_() -> None:
    """列出九份话术：代码、名称、问题数、最近更新。"""
    from rich.table import Table

    from .. import playbooks
    from ..workspace import find_workspace

    workspace = common.run(find_workspace)
    summaries = common.run(lambda: playbooks.list_playbooks(workspace.playbooks_dir))
    table = Table()
    for header in ("代码", "名称", "问题数", "最近更新"):
        table.add_column(header, justify="right" if header == "问题数" else "left", no_wrap=True)
    for summary in summaries:
        table.add_row(summary.code, summary.name, str(summary.problem_count), summary.last_change.isoformat())
    common.out.print(table)
    builtin = [summary.code for summary in summaries if summary.builtin]
    if workspace.root is None:
        common.out.print("当前不在工作区内，显示的是内置话术；pfk init 会把它们复制到工作区的 playbooks/。")
    elif builtin:
        common.out.print(f"工作区里没有 {'、'.join(builtin)} 的文件，用的是内置话术。")


@app.command("show", cls=usage.Command)
def show(code: CodeArgument) -> None:
    """显示一份话术：画像、策略、回访问题、问题与办法（每条办法用过几次、之后怎样）、场景话术、微信消息模板。"""
    from .. import playbooks
    from ..learning import playbook_usage
    from ..workspace import find_workspace

    workspace = common.run(find_workspace)
    segment = common.run(lambda: _segment(code))
    # All of them: an id used twice anywhere stops it, as it stops the commands that record calls by id.
    playbook = common.run(lambda: playbooks.load_playbooks(workspace.playbooks_dir)[segment.code])
    source = playbooks.playbook_source(workspace.playbooks_dir, segment.code)
    usage_found = common.run(lambda: playbook_usage(workspace, playbook))
    _render(playbook, source, usage_found)


def _render(playbook: playbooks.Playbook, source: Path, found=None) -> None:
    from rich.cells import cell_len
    from rich.text import Text

    from .. import playbooks

    out = common.out
    out.print(Text.assemble((f"{playbook.code}  {playbook.name}", "bold")))
    if source.parent == playbooks.BUILTIN_DIR:
        out.print(Text("（内置话术；工作区里还没有这个文件）", style="dim"))
    else:
        out.print(Text(f"（{_shown_path(source)}）", style="dim"))

    def section(title: str) -> None:
        out.print()
        out.print(Text(title, style="bold cyan"))

    def paragraph(text: str, prefix: str = "  ") -> None:
        # Later lines line up under the first line's text, past the prefix.
        for number, line in enumerate(text.splitlines()):
            out.print(Text(f"{prefix if number == 0 else ' ' * cell_len(prefix)}{line}"))

    section("学员画像")
    paragraph(playbook.portrait)
    section("运营策略")
    paragraph(playbook.strategy)
    section("回访问题")
    for number, question in enumerate(playbook.questions, 1):
        out.print(Text(f"  {number}. {question}"))
    section(f"问题与解决办法（{len(playbook.problems)} 条）")
    if not playbook.problems:
        out.print(Text(f"  还没有。遇到问题后用 pfk playbook add {playbook.code} 添加。", style="dim"))
    for number, entry in enumerate(playbook.problems, 1):
        paragraph(entry.problem, prefix=f"  {number}. 问题：")
        paragraph(entry.solution, prefix="     办法：")
        numbered = f" · 编号 {entry.id}" if entry.id else " · 还没有编号（pfk playbook ids）"
        out.print(Text(f"     —— {entry.author} · {entry.date.isoformat()}{numbered}", style="dim"))
        if found is not None and entry.id:
            _render_result(found.results.get(entry.id))
    if found is not None:
        out.print()
        out.print(Text(
            f"  （效果按 {found.newest:%Y-%m-%d} 及以前的分层快照：回访表建议这条的学员，对照同一分层、同一天建议了别的办法的学员；"
            "结果都取自平台数据，不看通话里打的 P、K）", style="dim",
        ))
        if found.others:
            out.print(Text(f"  用了方案库以外的办法（{playbooks.OTHER_SOLUTION}）：{found.others} 人次。管用的话，用 pfk playbook add {playbook.code} 加进来。"))
    if playbook.scripts:
        section("场景话术")
        for scenario, script in playbook.scripts.items():
            paragraph(script, prefix=f"  【{scenario}】")
    if playbook.messages:
        section("微信消息模板（pfk messages）")
        for scene, texts in playbook.messages.items():
            out.print(Text(f"  【{scene}】"))
            for text in texts:
                paragraph(text, prefix="    - ")


def _render_result(result) -> None:
    """Under one solution: how often call sheets proposed it and the teachers used it, and what
    followed the rows that proposed it against the rows that proposed another (learning.py)."""
    from rich.text import Text

    from ..learning import ALONE, OUTCOME_LABELS, SOLUTION_EFFECT
    from ..outcomes import OUTCOMES, PRIMARY

    out = common.out
    if result is None or not result.proposed:
        used = f"（使用方案里记了 {result.uses} 次）" if result is not None and result.uses else ""
        out.print(Text(f"     回访表还没有建议过这条办法{used}", style="dim"))
        return
    out.print(Text(f"     回访表建议过 {result.proposed} 次，照建议用了 {result.followed} 次；使用方案里共记了 {result.uses} 次。"))
    out.print(Text("     之后（建议这条 ／ 建议别的）："))
    for outcome in OUTCOMES:
        t = result.results[outcome.key]
        c = t.comparison
        if not (c.n1 or c.n0):
            out.print(Text(f"       {outcome.label}：{t.said('', '', '人次')}", style="dim"))
            continue
        out.print(Text(f"       {outcome.label}：{_share(c.k1, c.n1)} ／ {_share(c.k0, c.n0)}"))
    if result.alone:
        out.print(Text(f"     {ALONE}"))
        return
    primary = result.results[PRIMARY]
    line = f"     {OUTCOME_LABELS[PRIMARY]}：{primary.said('建议这条的更高', '建议这条的更低', '人次')}"
    detectable = primary.comparison.detectable
    if detectable >= 1:
        line += "；人次还太少，再大的差别也看不出"
    elif detectable == detectable:
        line += f"；这么多人次能看出约 {detectable * 100:.0f} 个百分点以上的差别"
    if detectable == detectable:
        if primary.more:
            line += f"；要看出 {SOLUTION_EFFECT * 100:.0f} 个百分点还需约 {primary.more} 人次" + (f"（按目前进度约 {primary.weeks} 周）" if primary.weeks else "")
    out.print(Text(line))


def _share(k: int, n: int) -> str:
    return f"{k}/{n} 人次（{k / n:.0%}）" if n else "0 人次"


@app.command("add", cls=usage.Command)
def add(
    code: CodeArgument,
    problem: Annotated[str | None, typer.Option("--problem", metavar="文字", help="遇到的问题。不给就会提示输入。")] = None,
    solution: Annotated[str | None, typer.Option("--solution", metavar="文字", help="管用的解决办法。不给就会提示输入。")] = None,
    author: Annotated[str | None, typer.Option("--author", metavar="名字", help="你的名字。不给就会提示输入。")] = None,
    title: Annotated[
        str | None, typer.Option("--title", metavar="短标题", help="回访表「使用方案」下拉框里显示的短标题（最多 16 个字；默认取问题的开头）。")
    ] = None,
) -> None:
    """追加一条「问题 + 解决办法」（日期为今天，自动编号）；git diff 里只有新增的几行。"""
    from .. import playbooks
    from ..workspace import find_workspace

    workspace = common.run(find_workspace)
    segment = common.run(lambda: _segment(code))
    # Before any prompt: no one should type a whole entry only to learn there is no workspace.
    common.run(lambda: playbooks.playbook_path(workspace.playbooks_dir, segment.code))
    asked = {"--problem": problem, "--solution": solution, "--author": author}
    missing = [option for option, value in asked.items() if value is None]
    if missing and (sys.stdin is None or not sys.stdin.isatty()):
        # From a script, CI or a pipe no one can answer a prompt: say what to pass instead of waiting.
        example = " ".join(f'{option} "{_EXAMPLES[option]}"' for option in missing)
        common.run(lambda: _no_prompt(f"没有终端可以提问，请用选项给出：{example}"))
    problem = problem if problem is not None else typer.prompt("遇到的问题", prompt_suffix="：")
    solution = solution if solution is not None else typer.prompt("解决办法", prompt_suffix="：")
    author = author if author is not None else typer.prompt("你的名字", prompt_suffix="：")
    path = common.run(
        lambda: playbooks.add_problem(workspace.playbooks_dir, segment.code, problem, solution, author, dt.date.today(), title)
    )
    common.out.print(f"已在 {_shown_path(path)} 追加一条（{segment.name}）。用 git diff 查看，提交后全组共享。")


@app.command("ids", cls=usage.Command)
def ids() -> None:
    """给工作区话术里还没有编号的方案补上编号（回访表的「使用方案」靠它）；git diff 里只有新增的 id 行。"""
    from .. import playbooks
    from ..workspace import find_workspace

    workspace = common.run(find_workspace)
    changed = common.run(lambda: playbooks.fill_ids(workspace.playbooks_dir))
    if not changed:
        common.out.print("所有方案都已有编号，没有改动。")
        return
    total = sum(count for _, count in changed)
    common.out.print(f"已补上 {total} 个编号：")
    for path, count in changed:
        common.out.print(f"  {_shown_path(path)}：{count} 条")
    common.out.print("用 git diff 查看，提交后全组共享。")


_EXAMPLES = {"--problem": "遇到的问题", "--solution": "管用的办法", "--author": "你的名字"}


def _no_prompt(message: str) -> None:
    raise UsageError(message)


@app.command("check", cls=usage.Command)
def check() -> None:
    """检查工作区的话术文件，有问题时逐条列出并以 1 退出（可用于 CI）。"""
    from rich.text import Text

    from .. import playbooks
    from ..workspace import find_workspace

    workspace = common.run(find_workspace)
    problems = common.run(lambda: playbooks.check_playbooks(workspace.playbooks_dir))
    for problem in problems:
        common.err.print(problem)
    if problems:
        common.err.print(Text(f"话术文件有 {len(problems)} 处问题。", style="red"))
        raise typer.Exit(1)
    where = "playbooks/ 下的话术文件" if workspace.root else "内置话术（当前不在工作区内）"
    common.out.print(Text.assemble(("✓", "green"), f" {where}全部通过检查。"))
