"""pfk risk fit — the risk estimate's weights fitted to the team's finished cohorts."""

from __future__ import annotations

import typer

from . import common, usage

app = typer.Typer(help="流失风险：fit 用本工作区已结课的学员拟合权重。", no_args_is_help=True, cls=usage.Group)


@app.command("fit", cls=usage.Command)
def fit(as_of: common.AsOf = None) -> None:
    """用历史里已结课的各期学员拟合流失风险的权重，并和现用权重比较排序的好坏（留出各期的 AUC）。"""
    from ..risk_fit import fit as run_fit
    from ..workspace import find_workspace

    result = common.run(lambda: run_fit(find_workspace(), common.as_of_date(as_of)))
    out = common.out
    out.print(f"已结课的学员 {result.rows} 人，其中流失（结课前离开名单，或结课时 F < 1）{result.lost} 人；共 {len(result.cohorts)} 期：{'、'.join(result.cohorts)}")
    out.print(f"排序好坏（AUC，0.5 = 随机，1 = 完全分开）：现用权重 {result.auc_in_force:.3f}，拟合的权重 {result.auc_fitted:.3f}（{result.how}）")
    better = result.auc_fitted > result.auc_in_force + 0.01
    out.print("拟合的权重排得更好：可以把下面这段换进 pfk.toml，提交到 git 让大家看过再用。" if better
              else "拟合的权重没有明显更好：现用权重可以继续用。下面是拟合的结果，供参考。")
    out.print(result.toml())
