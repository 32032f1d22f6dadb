"""The season simulator (benchmarks/season.py) runs a tiny season with every planner, pfk through its CLI."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import pytest

from .conftest import _cli_in, callsheet_ids

SEASON = Path(__file__).parent.parent / "benchmarks" / "season.py"


def load_season():
    spec = importlib.util.spec_from_file_location("season", SEASON)
    module = importlib.util.module_from_spec(spec)
    sys.modules["season"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_a_tiny_season_gives_sane_numbers_and_pfk_records_its_calls(tmp_path, monkeypatch):
    season = load_season()
    monkeypatch.chdir(tmp_path)
    runs = {
        planner: season.run_season(1, "calls_help", 25, planner, students=60, weeks=4,
                                   keep=tmp_path / "school" if planner == "pfk" else None)
        for planner in season.PLANNERS
    }
    for planner, run in runs.items():
        assert 0 < run["students"] <= 60, planner
        assert 0 <= run["dropouts"] <= run["students"]
        assert 0 <= run["renewals"] <= run["students"]
        assert 0 < run["reached"] <= run["calls"] <= 4 * 4 * 25
        for metric in ("unneeded_calls", "calls_on_gone", "slipping_calls"):
            assert 0 <= run[metric] <= run["reached"] or metric == "calls_on_gone", (planner, metric)
        assert 0 <= run["never_reached"] <= run["students"]
        assert run["first_contact_median"] >= 0 and math.isfinite(run["first_contact_mean"])
    # Nothing the calls did could change who enrolled: the same seed, the same school.
    assert len({run["students"] for run in runs.values()}) == 1
    # pfk's run went through its own sheets and `pfk record`: the calls are in its history.
    assert runs["pfk"]["sheet_rows"] >= runs["pfk"]["calls"] > 0
    school = tmp_path / "school"
    first_sheet = sorted((school / "callsheets").glob("*.xlsx"))[0]
    monkeypatch.chdir(school)
    result = _cli_in(school)("history", callsheet_ids(first_sheet)[0])
    assert result.exit_code == 0, result.output
    assert "回访记录" in result.output and first_sheet.name in result.output

@pytest.mark.slow
def test_the_same_seed_gives_the_same_numbers():
    season = load_season()
    first = season.run_season(2, "renewal_calls", 10, "round_robin", students=60, weeks=4)
    again = season.run_season(2, "renewal_calls", 10, "round_robin", students=60, weeks=4)
    first.pop("seconds"), again.pop("seconds")
    assert first == again


def test_a_report_without_the_sheets_or_columns_reads_n_a():
    season = load_season()
    found = {"working": "s88bz7", "useless": "sabcde", "planted": {"learning": 30.0, "renewal": 16.0},
             "uses": {}, "proposed": {}, "solutions": None, "holdout": None}
    judged = season.judge(found, "calls_help")
    assert judged == {"solutions": "n/a", "holdout": "n/a"}
    found["solutions"] = [{"方案": "x", "结果": "已续费"}]  # no 方案编号 column
    found["judged"] = season.judge(found, "calls_help")
    assert found["judged"]["solutions"] == "n/a"
    assert "方案效果: n/a" in season.describe_report(1, "calls_help", 25, found)


def test_the_report_is_read_against_the_planted_truth():
    season = load_season()
    rows = [
        {"排名": 1, "方案编号": "sabcde", "结果": "已续费", "差（百分点）": 12.0, "95% 区间": "2.0 ～ 22.0", "结论": "用过的更高"},
        {"排名": 2, "方案编号": "s88bz7", "结果": "已续费", "差（百分点）": 10.0, "95% 区间": "-5.0 ～ 25.0", "结论": "差别不明显（区间包含 0）"},
        {"排名": 2, "方案编号": "s88bz7", "结果": "分层下降", "差（百分点）": -3.0, "95% 区间": "-9.0 ～ 3.0", "结论": "差别不明显（区间包含 0）"},
    ]
    holdout = [{"起始分层": "重点挽留学员", "结果": "仍在学习", "结论": "照常回访的更高"},
               {"起始分层": "重点挽留学员", "结果": "分层下降", "结论": "留出期还没结束（到 2026-07-13），按最新快照计：差别不明显（区间包含 0）"}]
    found = {"working": "s88bz7", "useless": "sabcde", "planted": {"learning": 30.0, "renewal": 16.0},
             "solutions": rows, "holdout": holdout}
    judged = season.judge(found, "calls_help")
    assert judged["working"]["rank"] == 2 and judged["useless"]["rank"] == 1
    assert judged["working_ranked_above"] is False
    assert judged["useless_called_better"] is True
    assert judged["working_intervals_cover"] == "1/1"  # 已续费 covers +16; 分层下降 has no planted value
    assert judged["holdout"]["仍在学习"] == {"kept_higher": 1, "kept_lower": 0, "unclear": 0, "not_yet": 0, "planted": 1}
    assert judged["holdout"]["分层下降"]["not_yet"] == 1 and judged["holdout"]["分层下降"]["planted"] == -1
