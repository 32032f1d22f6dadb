"""What the playbooks learn (learning.py, holdout.py), on three weeks recorded through the real CLI
(tests/weeks.py tells the story, student by student)."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pandas as pd

from pfkcli import history
from pfkcli.holdout import draw_value
from pfkcli.learning import Comparison, solution_results, solution_uses, student_weeks
from pfkcli.playbooks import load_playbooks
from pfkcli.plan import holdout_eligible

from .weeks import WEEKS

NEWEST = dt.date.fromisoformat(WEEKS[-1])


def week_rows(folder):
    conn = history.connect(folder / ".pfk" / "history.sqlite")
    try:
        weeks, _ = student_weeks(conn, NEWEST, inactive_days=7)
        uses = solution_uses(conn, NEWEST)
    finally:
        conn.close()
    return weeks, uses


def told(value):
    return None if value is pd.NA else bool(value)


def test_each_student_week_says_what_followed(three_weeks):
    folder, ids = three_weeks
    weeks, _ = week_rows(folder)
    first = weeks[weeks["week"] == pd.Timestamp(WEEKS[0])].set_index("student_id")
    outcome = ["up", "down", "reached_again", "active", "renewed"]
    facts = {sid: [told(first.loc[sid, key]) for key in outcome] for sid in ("Z01", "Z03", "Z04", "Z06", "Z10", "L01")}
    assert facts == {
        "Z01": [True, False, True, True, True],  # up to 重点督促, reached 11-23, learning, renewed
        "Z03": [True, False, False, True, False],  # 11-23's call was not answered: not reached again
        "Z04": [False, False, False, False, False],
        "Z06": [False, True, False, True, False],  # K 2: down to 一般挽留
        "Z10": [False, False, False, False, False],
        "L01": [False, False, False, True, True],  # reached again only 11-23 + 14 days on: not within two weeks
    }
    assert first.loc["Z01", "segment"] == "P_S-F_S-K_L"
    assert first.loc["Z01", "solutions"] == frozenset({ids["new"]})
    assert first.loc["Z05", "solutions"] == frozenset({"其他"})
    # The last week: no next snapshot, not yet two weeks on — blank, not "no".
    last = weeks[weeks["week"] == pd.Timestamp(WEEKS[2])].set_index("student_id")
    assert [told(last.loc["Z01", key]) for key in outcome] == [None, None, None, None, True]


def test_a_solution_is_compared_with_its_segment_in_the_same_weeks(three_weeks):
    folder, ids = three_weeks
    weeks, uses = week_rows(folder)
    results = {r.id: r for r in solution_results(weeks, load_playbooks(folder / "playbooks"), uses)}
    new, default = results[ids["new"]], results[ids["default"]]
    assert (new.uses, default.uses, uses["其他"]) == (4, 1, 2)
    assert new.results == {
        "up": Comparison(3, 4, 1, 6),
        "down": Comparison(0, 4, 1, 6),
        "reached_again": Comparison(2, 4, 1, 6),
        "active": Comparison(3, 4, 2, 6),
        "renewed": Comparison(1, 4, 0, 6),
    }
    assert default.results["up"] == Comparison(0, 1, 4, 9)
    assert default.results["down"] == Comparison(1, 1, 0, 9)
    # Unused solutions are listed too, after the used ones.
    assert list(results)[:2] == [ids["new"], ids["default"]] and len(results) == 10


def test_too_few_is_said_plainly_and_an_interval_decides_the_rest():
    assert Comparison(3, 4, 1, 6).verdict("用过的更高", "用过的更低", "人次") == "人数太少（每组至少要 5 人次），还看不出差别"
    assert Comparison(18, 20, 4, 20).verdict("用过的更高", "用过的更低") == "用过的更高"
    assert Comparison(2, 20, 16, 20).verdict("用过的更高", "用过的更低") == "用过的更低"
    assert Comparison(10, 20, 9, 20).verdict("用过的更高", "用过的更低") == "差别不明显（区间包含 0）"
    d, low, high = Comparison(56, 70, 48, 80).interval  # Newcombe's worked example (method 10)
    assert (round(d, 4), round(low, 4), round(high, 4)) == (0.2, 0.0524, 0.3339)


def test_the_draw_is_the_students_own_reproducible_and_about_the_share():
    day = dt.date(2026, 11, 9)
    assert draw_value("种子", "S001", day) == draw_value("种子", "S001", day)
    assert draw_value("种子", "S001", day) != draw_value("另一个", "S001", day)
    held = sum(draw_value("种子", f"S{i:05d}", day) < 0.2 for i in range(20_000))
    assert 0.19 < held / 20_000 < 0.21


def test_a_promise_is_never_held_out():
    index = pd.RangeIndex(4)
    reasons = {code: pd.Series(False, index=index) for code in ("first_contact", "complaint", "follow_up", "handover", "at_risk", "renewal", "pending", "routine")}
    reasons["routine"][:] = True
    reasons["complaint"][1] = True
    reasons["renewal"][2] = True
    reasons["follow_up"][3] = True
    assert holdout_eligible(reasons).tolist() == [True, False, True, False]


def test_the_draws_are_recorded_with_both_arms(held_out_weeks):
    folder, found = held_out_weeks
    with sqlite3.connect(folder / ".pfk" / "history.sqlite") as conn:
        rows = conn.execute("SELECT drawn_on, until, held_out, count(*) FROM holdout_draws GROUP BY 1, 2, 3").fetchall()
        seed = conn.execute("SELECT count(*) FROM holdout_seed").fetchone()[0]
    assert rows == [("2026-11-09", "2026-12-07", 0, 25), ("2026-11-09", "2026-12-07", 1, 5)]
    assert seed == 0  # the seed of pfk.toml was used: nothing drawn at random
