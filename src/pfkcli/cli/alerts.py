"""pfk alerts ROSTER — who is slipping now and whose renewal talk is due; writes the 预警 workbook."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from . import common


def alerts(
    roster: Annotated[Path | None, typer.Argument(metavar="名单", help="学员名单（.xlsx/.xls/.ods/.csv）。", show_default=False)] = None,
    progress: Annotated[Path | None, typer.Option("--progress", metavar="学习记录", help="学习记录明细（每行一次看课或交作业），代替名单里的作业、课时、最近学习时间。")] = None,
    as_of: common.AsOf = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", metavar="文件", help="预警表（默认：名单旁边的 <名单名>.alerts.xlsx）。")] = None,
    sheet: Annotated[str | None, typer.Option("--sheet", metavar="工作表", help="指定工作表（默认：第一个有表头的工作表）。")] = None,
    mask_phone: Annotated[bool, typer.Option("--mask-phone", help="隐藏手机号中间四位（预警表本身不含手机号；与 pfk report 用法一致）。")] = False,
) -> None:
    """找出需要马上跟进的学员：连续未学习、进度严重落后、满意度低、快进过多、续费时间点、跟进逾期。"""
    from ..alerts import run_alerts
    from ..errors import UsageError
    from ..workspace import find_workspace

    day = common.as_of_date(as_of)

    def core():
        if roster is None:
            raise UsageError("需要学员名单：pfk alerts 名单.xlsx [--progress 学习记录.csv]")
        return run_alerts(find_workspace(), roster, day, progress, output, sheet)

    result = common.run(core, not_done="未写出任何文件")
    render_result(result)


# Beyond this many alerts the terminal shows counts per teacher and rule; every row is in the
# workbook (a 100,000-student school raises hundreds of thousands, which no one reads in a terminal).
TABLE_ROWS = 20

# Two-line column headers short enough for eight rules and a teacher's name in 80 columns; the line
# under the table gives each rule's full name.
SHORT_HEADERS = {
    "inactive": "连续\n未学习",
    "behind_pace": "进度\n落后",
    "low_satisfaction": "满意\n度低",
    "fast_forward": "快进\n过多",
    "renewal_30d": "续费\n30天",
    "renewal_7d": "续费\n7天",
    "renewal_3d": "续费\n3天",
    "followup_overdue": "跟进\n逾期",
}


def _render_by_teacher(result, title: str) -> None:
    from rich import box
    from rich.cells import cell_len
    from rich.table import Table

    from ..alert_rules import RULE_BY_CODE

    counts = result.by_teacher()
    codes = [code for code in counts.columns if code != "students"]
    teachers = [str(teacher) for teacher in counts.index]
    totals = counts.sum()
    table = Table(title=title, box=box.SIMPLE, show_edge=False, show_footer=True, pad_edge=False, collapse_padding=True)
    width = max(cell_len(name) for name in [*teachers, "运营老师"])
    table.add_column("运营老师", footer="合计", no_wrap=True, min_width=width)
    table.add_column("预警\n学员", footer=str(int(totals["students"])), justify="right", no_wrap=True)
    for code in codes:
        header = SHORT_HEADERS.get(code, RULE_BY_CODE[code].label)
        table.add_column(header, footer=str(int(totals[code])), justify="right", no_wrap=True)
    for teacher, row in zip(teachers, counts.itertuples(index=False)):
        table.add_row(teacher, *[str(int(n)) for n in row])
    common.out.print(table)
    if result.output:
        common.out.print(f"逐条明细见 {result.output}")


def render_result(result) -> None:
    from rich.table import Table

    from ..alert_rules import RULE_BY_CODE

    alerts = result.alerts
    students = int(result.by_teacher()["students"].sum())
    title = f"预警（{result.as_of:%Y-%m-%d}，{students} 名学员共 {len(alerts)} 条）"
    if len(alerts) > TABLE_ROWS:
        _render_by_teacher(result, f"{title}，每位老师的学员数与各类预警条数")
        counts = "、".join(f"{RULE_BY_CODE[code].label} {n}" for code, n in result.counts().items())
        common.out.print(f"按预警：{counts}")
    elif len(alerts):
        table = Table(title=title)
        table.add_column("运营老师", no_wrap=True)
        table.add_column("学号", no_wrap=True)
        table.add_column("姓名", no_wrap=True)
        table.add_column("预警")
        table.add_column("原因", overflow="fold")
        for teacher, group in alerts.groupby("teacher", sort=False):
            shown_teacher = f"{teacher}（{group['student_id'].nunique()} 人）"
            previous = None
            for row in group.itertuples(index=False):
                same = row.student_id == previous
                table.add_row(
                    "" if previous is not None else shown_teacher,
                    "" if same else row.student_id,
                    "" if same else row.name,
                    row.label,
                    row.why,
                )
                previous = row.student_id
            table.add_section()
        common.out.print(table)
        counts = "、".join(f"{RULE_BY_CODE[code].label} {n}" for code, n in result.counts().items())
        common.out.print(f"按预警：{counts}")
    else:
        common.out.print(f"{title}：没有需要预警的学员")
    common.print_outcome("预警规则：", result.rules, result.warnings, result.output)
