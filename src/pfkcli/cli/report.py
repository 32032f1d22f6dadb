"""pfk report — the team dashboard workbook from the workspace history, and its headline figures."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from . import common


def report(
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", metavar="文件", help="报表文件（默认：工作区 reports/report-<日期>.xlsx）。", show_default=False),
    ] = None,
    as_of: common.AsOf = None,
    since: Annotated[
        str | None,
        typer.Option("--since", metavar="日期", help="与这一天（或之前最近一次）的分层快照比较（默认：上一次快照）。", show_default=False),
    ] = None,
    mask_phone: Annotated[
        bool,
        typer.Option("--mask-phone", help="「下降学员」里的手机号隐藏中间四位，如 138****5678（报表要转发给别人时用）。"),
    ] = False,
) -> None:
    """团队看板：分层分布、学习进度、回访覆盖、预警、分层变化和回访效果，每页配 Excel 图表。

    用工作区里 --as-of 当天或之前最近一次的分层快照，与上一次（或 --since 那次）比较；先运行 pfk classify 更新快照。
    """
    from ..report import build_report
    from ..workspace import find_workspace

    day = common.as_of_date(as_of)
    start = common.parse_date_option(since, "--since")
    result = common.run(lambda: build_report(find_workspace(), day, start, output, mask_phone), not_done="未写出任何文件")
    render_result(result)


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def render_result(result) -> None:
    from rich.table import Table

    from ..segments import ALL_SEGMENTS

    figures = result.figures
    compared = f"，对比 {result.previous:%Y-%m-%d}" if result.previous else ""
    table = Table(title=f"团队看板（分层快照 {result.newest:%Y-%m-%d}{compared}）")
    table.add_column("分层")
    table.add_column("学员", justify="right")
    for segment in ALL_SEGMENTS:
        table.add_row(segment.name, str(figures.segment_counts[segment.code]))
    table.add_section()
    table.add_row("合计", str(figures.students))
    common.out.print(table)
    # The first page's answer, first: the week's numbers against last week, then what needs the lead.
    for row in result.week:
        shown = "—" if row.this_week is None else f"{row.this_week:g}"
        before = "" if row.last_week is None else f"（上周 {row.last_week:g}）"
        common.out.print(f"本周{row.label}：{shown}{before}")
    for label, text in result.needs:
        common.out.print(f"⚠ {label}：{text}" if label != "需要处理" else text)
    common.out.print(
        f"回访覆盖：{_share(figures.coverage_share)}（{figures.called_within}/{figures.students} 人在 {figures.cadence_days} 天内回访过），"
        f"从未回访 {figures.never_called}，跟进逾期 {figures.overdue_follow_ups}"
    )
    common.out.print(f"跟上进度：{_share(figures.on_pace_share)}（{figures.on_pace}/{figures.pace_known} 名有课程日期的学员）")
    common.out.print(f"预警：{figures.alerts} 条，涉及 {figures.alerted_students} 名学员")
    if figures.moved_up is not None:
        common.out.print(
            f"分层变化：上升 {figures.moved_up}，不变 {figures.stayed}，下降 {figures.moved_down}，首次打分 {figures.first_scored}"
            f"（新学员 {figures.new_students}，已不在名单 {figures.left_students}）"
        )
        from ..report import ALL_SEGMENTS_LABEL

        overall = figures.effect[figures.effect["起始分层"] == ALL_SEGMENTS_LABEL].to_dict("records")
        for row in overall:
            common.out.print(f"  {row['组别']} {row['学员数']} 人：上升 {row['上升']}，不变 {row['不变']}，下降 {row['下降']}")
        if overall and overall[0]["结论"]:
            common.out.print(f"  回访效果（同一起始分层相比）：{overall[0]['结论']}")
        common.out.print("  （回访效果只比较两次都有分层的学员，首次打分的不计入）")
    for note in result.notes:
        common.out.print(note)
    common.out.print(f"✓ 已写出 {result.output}")
