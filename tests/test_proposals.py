"""The solution each call-sheet row proposes (proposals.py): Thompson sampling, the student's own
reproducible draw, kept with the sheet in the history — through real call sheets."""

from __future__ import annotations

import datetime as dt
import sqlite3

from pfkcli.playbooks import load_playbooks
from pfkcli.proposals import choose

from .conftest import callsheet_rows
from .weeks import WEEKS, sheet

DAY = dt.date(2026, 11, 9)


def shares(counts: dict, solutions: list[str], students: int = 400) -> dict[str, float]:
    chosen = [choose("种子", f"S{i:04d}", DAY, solutions, counts) for i in range(students)]
    return {s: chosen.count(s) / students for s in solutions}


def test_mostly_the_best_so_far_sometimes_another_and_a_new_solution_early():
    # 90 of 100 still learning against 50 of 100: the better one nearly always.
    assert shares({"good": (90, 10), "fair": (50, 50)}, ["good", "fair"])["good"] > 0.99
    # Against a new solution with no rows yet, the best so far mostly — and the new one sometimes.
    found = shares({"good": (90, 10)}, ["good", "new"])
    assert 0.8 < found["good"] < 0.97 and found["new"] > 0.03
    # A new solution against one that has done badly: the new one, early and often (Beta(1, 1) beats
    # Beta(11, 91) nine times in ten).
    assert shares({"bad": (10, 90)}, ["bad", "new"])["new"] > 0.8
    # Nothing known of either: about half each.
    assert 0.4 < shares({}, ["a", "b"])["a"] < 0.6


def test_the_draw_is_the_students_own_and_can_be_redone():
    counts = {"a": (3, 4), "b": (5, 2)}
    assert [choose("种子", f"S{i}", DAY, ["a", "b"], counts) for i in range(50)] == [choose("种子", f"S{i}", DAY, ["a", "b"], counts) for i in range(50)]
    assert [choose("种子", f"S{i}", DAY, ["a", "b"], {}) for i in range(50)] != [choose("另一个", f"S{i}", DAY, ["a", "b"], {}) for i in range(50)]
    assert choose("种子", "S1", DAY, [], {}) is None


def test_every_row_proposes_a_solution_of_its_segment_and_the_history_keeps_it(three_weeks, invoke):
    folder, ids = three_weeks
    books = load_playbooks(folder / "playbooks")
    header, rows = callsheet_rows(sheet(folder, "张老师", 1))
    assert header[header.index("为什么现在打") + 1] == "建议方案"
    zhang = books["P_S-F_S-K_L"]
    assert {row["建议方案"] for row in rows} <= set(zhang.choices[:-1])
    with sqlite3.connect(folder / ".pfk" / "history.sqlite") as conn:
        stored = dict(conn.execute("SELECT student_id, solution FROM proposals WHERE proposed_on = ?", (WEEKS[0],)).fetchall())
    assert {row["学号"]: stored[row["学号"]] for row in rows} == {row["学号"]: row["建议方案"].split(" ")[0] for row in rows}
    # The same sheet made again on the same day proposes the same (to the students still due).
    before = {row["学号"]: row["建议方案"] for row in callsheet_rows(sheet(folder, "张老师", 3))[1]}
    sheet(folder, "张老师", 3).rename(folder / "done.xlsx")
    assert invoke("callsheet", "--teacher", "张老师", "--as-of", WEEKS[2]).exit_code == 0
    again = {row["学号"]: row["建议方案"] for row in callsheet_rows(sheet(folder, "张老师", 3))[1]}
    assert len(set(again) & set(before)) >= 5
    assert {sid: again[sid] for sid in again if sid in before} == {sid: before[sid] for sid in again if sid in before}


def test_the_posteriors_count_the_proposals_whose_outcome_is_known(three_weeks):
    from pfkcli import history
    from pfkcli.config import load_config
    from pfkcli.proposals import tallies

    folder, _ = three_weeks
    conn = history.connect(folder / ".pfk" / "history.sqlite")
    try:
        counts = tallies(conn, dt.date.fromisoformat(WEEKS[2]), load_config(folder / "pfk.toml"))
        first = conn.execute("SELECT student_id, solution FROM proposals WHERE proposed_on = ?", (WEEKS[0],)).fetchall()
    finally:
        conn.close()
    # Only the first week is 14 days old on 11-23: its rows, still learning on 11-23 (tests/weeks.py).
    learning = {"Z01", "Z02", "Z03", "Z05", "Z06", *(f"L{i:02d}" for i in range(1, 11))}
    expected: dict[str, list[int]] = {}
    for student, solution in first:
        yes, no = expected.setdefault(solution, [0, 0])
        expected[solution] = [yes + (student in learning), no + (student not in learning)]
    assert counts == {solution: tuple(pair) for solution, pair in expected.items()}
