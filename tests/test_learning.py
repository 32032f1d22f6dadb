"""What the playbooks learn (learning.py, holdout.py), on three weeks recorded through the real CLI
(tests/weeks.py tells the story, student by student)."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pandas as pd

from pfkcli import history
from pfkcli.holdout import draw_value
from pfkcli.learning import Comparison, student_weeks
from pfkcli.playbooks import load_playbooks

from .weeks import WEEKS

NEWEST = dt.date.fromisoformat(WEEKS[-1])


def week_rows(folder):
    from pfkcli.config import load_config

    conn = history.connect(folder / ".pfk" / "history.sqlite")
    try:
        weeks = student_weeks(conn, NEWEST, load_config(folder / "pfk.toml"))
    finally:
        conn.close()
    return weeks


def told(value):
    return None if value is pd.NA else bool(value)


def test_each_student_week_says_what_followed_on_the_platform_and_when_the_rest_is_known(three_weeks):
    folder, ids = three_weeks
    weeks = week_rows(folder)
    first = weeks[weeks["week"] == pd.Timestamp(WEEKS[0])].set_index("student_id")
    outcome = ["active_14", "active_28", "progress_2w", "left_28", "renewed"]
    facts = {sid: [told(first.loc[sid, key]) for key in outcome] for sid in ("Z01", "Z04", "Z06", "Z10", "L01")}
    # Still learning on 11-23 (14 days on): last learning 11-22, whatever P was typed; Z04 and Z10 stopped
    # on 11-10. The rest is not known on 11-23: 28 days on is 12-07; the course released nothing that
    # can be measured (no start date); renewal is known when the window closes.
    assert facts == {
        "Z01": [True, None, None, None, None],
        "Z04": [False, None, None, None, None],
        "Z06": [True, None, None, None, None],  # moved down a segment (K 2): still learning
        "Z10": [False, None, None, None, None],
        "L01": [True, None, None, None, None],
    }
    assert first.loc["Z01", "active_28_on"] == first.loc["Z01", "left_28_on"] == pd.Timestamp("2026-12-07")
    assert pd.isna(first.loc["Z01", "progress_2w_on"])  # never to be known: nothing measurable was released
    # Renewal: the course end + 14 days (李老师's course ends 12-10; 张老师's 2027-06-30).
    assert first.loc["L01", "renewed_on"] == pd.Timestamp("2026-12-24")
    assert first.loc["Z01", "renewed_on"] == pd.Timestamp("2027-07-14")
    assert first.loc["Z01", "segment"] == "P_S-F_S-K_L"
    assert first.loc["Z01", "solutions"] == frozenset({ids["new"]})
    assert first.loc["Z05", "solutions"] == frozenset({"其他"})
    last = weeks[weeks["week"] == pd.Timestamp(WEEKS[2])].set_index("student_id")
    assert last.loc["Z01", "active_14_on"] == pd.Timestamp("2026-12-07") and told(last.loc["Z01", "active_14"]) is None


def test_a_status_that_says_left_or_a_student_gone_while_the_course_runs_left_the_course(tmp_path):
    from pfkcli.config import Config
    from pfkcli.outcomes import Snapshots, left_course, measure

    assert left_course(pd.Series(["已退费", "退课", "休学", "在读", "未退费", None, "正常"])).tolist() == [True, True, True, False, False, False, False]
    conn = history.connect(tmp_path / "history.sqlite")
    start, later = dt.date(2026, 11, 2), dt.date(2026, 11, 30)
    base = pd.DataFrame(
        {
            "student_id": ["A", "B", "C", "D"], "status": [None] * 4, "segment": ["P_S-F_S-K_L"] * 4,
            "course_end": pd.to_datetime(["2027-06-30", "2027-06-30", "2026-11-20", None]),
        }
    )
    history.save_snapshot(conn, start, base)
    # A says 已退费; B is gone while the course runs; C is gone after the course ended; D is gone, end unknown.
    history.save_snapshot(conn, later, base.iloc[:1].assign(status="已退费"))
    measured = measure(Snapshots(conn, later), base["student_id"], pd.Series(pd.Timestamp(start), index=base.index), Config(), keys=("left_28",))
    conn.close()
    assert [told(v) for v in measured["left_28"]] == [True, True, False, None]


def test_a_solution_is_measured_by_the_rows_that_proposed_it_against_the_others_of_its_segment(three_weeks):
    from pfkcli.config import load_config
    from pfkcli.learning import proposal_history, solution_results

    folder, ids = three_weeks
    conn = history.connect(folder / ".pfk" / "history.sqlite")
    try:
        found = proposal_history(conn, NEWEST, load_config(folder / "pfk.toml"))
        stored = conn.execute("SELECT student_id, solution, proposed_on FROM proposals WHERE proposed_on = ? ORDER BY student_id", (WEEKS[0],)).fetchall()
    finally:
        conn.close()
    results = {r.id: r for r in solution_results(found, load_playbooks(folder / "playbooks"))}
    new, default = results[ids["new"]], results[ids["default"]]
    rows = found.rows.set_index(["student_id", "proposed_on"])
    zhang = [(sid, solution) for sid, solution, _ in stored if sid.startswith("Z")]
    assert len(zhang) == 10 and {solution for _, solution in zhang} <= {ids["new"], ids["default"]}
    # Intention to treat: the first week's rows that proposed the new solution, still learning 14 days on.
    proposed_new = [sid for sid, solution in zhang if solution == ids["new"]]
    learning = {"Z01", "Z02", "Z03", "Z05", "Z06"}
    first_week = pd.Timestamp(WEEKS[0])
    assert all(told(rows.loc[(sid, first_week), "active_14"]) == (sid in learning) for sid, _ in zhang)
    c = new.results["active_14"].comparison
    assert (c.k1, c.n1) == (sum(sid in learning for sid in proposed_new), len(proposed_new))
    assert (c.k0, c.n0) == (sum(sid in learning for sid, s in zhang if s != ids["new"]), 10 - len(proposed_new))
    assert new.proposed + default.proposed == int((found.rows["segment"] == "P_S-F_S-K_L").sum())
    # What was used, beside: 4 reached calls recorded the new solution, the proposal followed where both agree.
    assert new.uses == 4 and default.uses == 1
    used_new = {"Z01", "Z02", "Z03", "Z04"}
    assert new.followed == len(used_new & set(proposed_new))


def test_too_few_is_said_plainly_and_an_interval_decides_the_rest():
    assert Comparison(3, 4, 1, 6).verdict("用过的更高", "用过的更低", "人次") == "人数太少（每组至少要 5 人次），还看不出差别"
    assert Comparison(18, 20, 4, 20).verdict("用过的更高", "用过的更低") == "用过的更高"
    assert Comparison(2, 20, 16, 20).verdict("用过的更高", "用过的更低") == "用过的更低"
    assert Comparison(10, 20, 9, 20).verdict("用过的更高", "用过的更低") == "还看不出差别（区间包含 0，不等于没有差别）"
    d, low, high = Comparison(56, 70, 48, 80).interval  # Newcombe's worked example (method 10)
    assert (round(d, 4), round(low, 4), round(high, 4)) == (0.2, 0.0524, 0.3339)


def test_the_draw_is_the_students_own_reproducible_and_about_the_share():
    day = dt.date(2026, 11, 9)
    assert draw_value("种子", "S001", day) == draw_value("种子", "S001", day)
    assert draw_value("种子", "S001", day) != draw_value("另一个", "S001", day)
    held = sum(draw_value("种子", f"S{i:05d}", day) < 0.2 for i in range(20_000))
    assert 0.19 < held / 20_000 < 0.21


def test_the_draws_are_recorded_with_both_arms(held_out_weeks):
    folder, found = held_out_weeks
    with sqlite3.connect(folder / ".pfk" / "history.sqlite") as conn:
        rows = conn.execute("SELECT drawn_on, until, held_out, count(*) FROM holdout_draws GROUP BY 1, 2, 3").fetchall()
        seed = conn.execute("SELECT count(*) FROM holdout_seed").fetchone()[0]
    assert rows == [("2026-11-09", "2026-12-07", 0, 25), ("2026-11-09", "2026-12-07", 1, 5)]
    assert seed == 0  # the seed of pfk.toml was used: nothing drawn at random


def test_the_rosters_status_is_kept_with_the_snapshot(invoke, tmp_path):
    from .conftest import write_xlsx

    assert invoke("init", ".").exit_code == 0
    header = ["学号", "姓名", "运营老师", "作业完成次数", "观看课时", "P", "K", "退费状态"]
    write_xlsx(tmp_path / "roster.xlsx", [header, ["S1", "甲", "张老师", 3, 10, 3, 3, "已退费"], ["S2", "乙", "张老师", 3, 10, 3, 3, "未退费"]])
    assert invoke("classify", "roster.xlsx", "--as-of", "2026-11-23").exit_code == 0
    conn = history.connect(tmp_path / ".pfk" / "history.sqlite")
    try:
        stored = history.load_snapshot(conn, dt.date(2026, 11, 23), ["student_id", "status"])
    finally:
        conn.close()
    assert stored.set_index("student_id")["status"].to_dict() == {"S1": "已退费", "S2": "未退费"}
