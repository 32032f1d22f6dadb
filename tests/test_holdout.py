"""The holdout drawn at the sheet's margin (holdout.held_out_at_margin), on a real history store."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pfkcli import history
from pfkcli.config import Config
from pfkcli.holdout import draw_value, held_out_at_margin

SEED = "边际"
DAY = dt.date(2026, 11, 9)


def config(share: float = 0.2) -> Config:
    return Config.model_validate({"plan": {"holdout_share": share, "holdout_seed": SEED}})


def ranked(teacher: str, count: int, prefix: str) -> pd.DataFrame:
    return pd.DataFrame({"student_id": [f"{prefix}{i:02d}" for i in range(count)], "teacher": teacher, "segment": "P_S-F_S-K_L"})


def test_held_out_places_go_to_the_next_in_line_who_is_drawn_too(tmp_path):
    conn = history.connect(tmp_path / "history.sqlite")
    candidates = pd.concat([ranked("甲", 30, "A"), ranked("乙", 30, "B")], ignore_index=True)
    held = held_out_at_margin(conn, candidates, {"甲": 10, "乙": 5}, DAY, config())
    rows = conn.execute("SELECT student_id, held_out, until FROM holdout_draws ORDER BY student_id").fetchall()
    drawn = {student: bool(out) for student, out, _ in rows}
    # Walking each list in order until the sheet is full: every student drawn is held out exactly when
    # their own draw is below the share, and the kept ones fill the places.
    for teacher, places, prefix in (("甲", 10, "A"), ("乙", 5, "B")):
        mine = [sid for sid in candidates["student_id"] if sid.startswith(prefix)]
        kept = [sid for sid in mine if sid in drawn and not drawn[sid]]
        assert len(kept) == places
        last = mine.index(kept[-1])
        assert [sid for sid in mine[: last + 1]] == [sid for sid in mine if sid in drawn]  # nobody past the margin drawn
        assert all(drawn[sid] == (draw_value(SEED, sid, DAY) < 0.2) for sid in mine[: last + 1])
    assert held == {sid for sid, out in drawn.items() if out} and held
    assert {until for _, _, until in rows} == {"2026-12-07"}
    # The same week again: the same students held out, nothing drawn twice.
    assert held_out_at_margin(conn, candidates, {"甲": 10, "乙": 5}, DAY, config()) == held
    assert conn.execute("SELECT count(*) FROM holdout_draws").fetchone()[0] == len(rows)
    # A week later the round runs: the held-out students stay out wherever they stand; the kept ones take
    # their places without a new draw.
    later = held_out_at_margin(conn, candidates, {"甲": 10, "乙": 5}, DAY + dt.timedelta(weeks=1), config())
    assert held <= later
    conn.close()


def test_off_or_without_a_history_nobody_is_held_out(tmp_path):
    conn = history.connect(tmp_path / "history.sqlite")
    candidates = ranked("甲", 30, "A")
    assert held_out_at_margin(conn, candidates, {"甲": 10}, DAY, config(0)) == set()
    assert held_out_at_margin(None, candidates, {"甲": 10}, DAY, config()) == set()
    assert conn.execute("SELECT count(*) FROM holdout_draws").fetchone()[0] == 0
    conn.close()
