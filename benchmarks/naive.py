"""The naive baseline: `pfk classify` as a first script would do it — pandas on openpyxl both ways and
the model row by row with `iterrows`.

    python benchmarks/naive.py ROSTER.xlsx OUTPUT.xlsx AS_OF

It reads the benchmark roster (header on row 2, IDs and phones kept as text, the trap pandas sets),
scores P/F/K with the default rules (fixed cut 4, F against the course's pace), writes the same 分层结果
columns and an 汇总 sheet. No validation, no colours: it does less than pfk, never more.
"""

from __future__ import annotations

import datetime as dt
import sys

HOMEWORK_TOTAL, HOURS_TOTAL, CUT, PACE_SHARE = 11, 76, 4, 0.8
NAMES = {
    "P_L-F_L-K_L": "重要价值学员", "P_L-F_L-K_S": "一般价值学员", "P_L-F_S-K_L": "重点督促学员",
    "P_L-F_S-K_S": "一般督促学员", "P_S-F_L-K_L": "重要维持学员", "P_S-F_L-K_S": "一般维持学员",
    "P_S-F_S-K_L": "重点挽留学员", "P_S-F_S-K_S": "一般挽留学员", "待回访": "待回访学员",
}


def main(roster_path: str, output: str, as_of_text: str) -> None:
    import pandas as pd

    as_of = pd.Timestamp(dt.date.fromisoformat(as_of_text))
    roster = pd.read_excel(roster_path, engine="openpyxl", header=1, dtype={"学号": str, "手机号": str})
    rows = []
    for _, row in roster.iterrows():
        homework = 0 if pd.isna(row["作业完成次数"]) else float(row["作业完成次数"])
        hours = 0 if pd.isna(row["观看课时"]) else float(row["观看课时"])
        f = round(homework / HOMEWORK_TOTAL + hours / HOURS_TOTAL, 4)
        start, end = row["课程开始日期"], row["课程结束日期"]
        share = min(max((as_of - start).days / (end - start).days, 0), 1)
        f_cut = PACE_SHARE * 2 * share
        f_high = f >= f_cut - 1e-9
        p, k = row["P"], row["K"]
        f_text = f"F={f:g}，{'达到' if f_high else '低于'}按进度应达的{f_cut:.2f}"
        if pd.isna(p) or pd.isna(k):
            code, why = "待回访", "尚未回访（P/K 未知，不做猜测）；" + f_text
        else:
            code = f"P_{'L' if p >= CUT else 'S'}-F_{'L' if f_high else 'S'}-K_{'L' if k >= CUT else 'S'}"
            why = f"P={p:g}（{'≥' if p >= CUT else '<'}{CUT}）；{f_text}；K={k:g}（{'≥' if k >= CUT else '<'}{CUT}）"
        out = row.to_dict()
        out.update({"P（原表）": p, "K（原表）": k})
        out.update({"P": p, "F": round(f, 2), "K": k, "分层代码": code, "分层名称": NAMES[code], "原因": why, "策略": ""})
        rows.append(out)
    result = pd.DataFrame(rows)
    summary = result.groupby(["分层代码", "运营老师"]).size().unstack(fill_value=0)
    with pd.ExcelWriter(output, engine="openpyxl") as writer:
        result.to_excel(writer, sheet_name="分层结果", index=False)
        summary.to_excel(writer, sheet_name="汇总")


if __name__ == "__main__":
    main(*sys.argv[1:4])
