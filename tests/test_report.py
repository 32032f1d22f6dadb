"""The report's tables as pure functions of snapshot frames: moves, effect, coverage, progress, alerts."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from pfkcli.config import Config
from pfkcli.errors import UsageError
from pfkcli.report import (
    ALL_SEGMENTS_LABEL,
    DESCRIPTIVE,
    CALLED_GROUP,
    COVERAGE_COLUMNS,
    EFFECT_COLUMNS,
    LEFT_STUDENTS,
    MOVED_DOWN_COLUMNS,
    NEW_STUDENTS,
    NOT_CALLED_GROUP,
    PROGRESS_COLUMNS,
    alert_table,
    change_text,
    choose_snapshots,
    compare_snapshots,
    coverage_frame,
    coverage_table,
    effect_table,
    mask_phone,
    moved_down_table,
    moves_matrix,
    one_snapshot_note,
    progress_table,
    segment_table,
    share_difference,
)

D = dt.date


def snapshot(rows: list[tuple]) -> pd.DataFrame:
    """(student_id, teacher, segment, P, F, K[, expected_f]) → a frame shaped like history.load_snapshot's."""
    frame = pd.DataFrame(
        [r if len(r) == 7 else (*r, None) for r in rows],
        columns=["student_id", "teacher", "segment", "P", "F", "K", "expected_f"],
    ).astype({"P": "float64", "F": "float64", "K": "float64"})
    frame["name"] = "学员" + frame["student_id"]
    frame["phone"] = [f"1390000{i:04d}" for i in range(len(frame))]
    frame["why"] = "原因"
    frame["expected_f"] = frame["expected_f"].astype("float64")
    return frame


# A: called, up · B: called, same · C: not called, down · D: not called, same
# E: called, pending → scored · F: left · G: new
PREVIOUS = snapshot(
    [
        ("A", "张老师", "P_S-F_L-K_L", 3, 1.1, 4),
        ("B", "张老师", "P_L-F_S-K_S", 4, 0.3, 2),
        ("C", "李老师", "P_L-F_L-K_L", 5, 1.0, 5),
        ("D", "李老师", "P_S-F_S-K_S", 2, 0.2, 2),
        ("E", "张老师", "待回访", None, 0.8, None),
        ("F", "李老师", "P_S-F_S-K_S", 1, 0.1, 1),
    ]
)
NEWEST = snapshot(
    [
        ("A", "张老师", "P_L-F_L-K_L", 5, 1.4, 4),
        ("B", "张老师", "P_L-F_S-K_S", 4, 0.5, 2),
        ("C", "李老师", "P_L-F_S-K_L", 5, 1.0, 5),
        ("D", "李老师", "P_S-F_S-K_S", 2, 0.2, 2),
        ("E", "张老师", "P_S-F_S-K_L", 2, 0.8, 5),
        ("G", "王老师", "待回访", None, 0.0, None),
    ]
)
CALLED = {"A", "B", "E"}


def test_mask_phone():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("13812345678.0") == "138****5678"  # stored as a number
    assert mask_phone("张 13812345678，李 15900001111") == "张 138****5678，李 159****1111"
    assert mask_phone("010-12345678") == "010-12345678"  # not a mobile number: left alone
    assert mask_phone(None) is None


def test_choose_snapshots():
    dates = [D(2026, 11, 9), D(2026, 11, 16), D(2026, 11, 23)]
    assert choose_snapshots(dates, D(2026, 11, 23), None) == (D(2026, 11, 23), D(2026, 11, 16))
    assert choose_snapshots(dates, D(2026, 11, 20), None) == (D(2026, 11, 16), D(2026, 11, 9))
    assert choose_snapshots(dates, D(2026, 11, 30), D(2026, 11, 9)) == (D(2026, 11, 23), D(2026, 11, 9))
    assert choose_snapshots(dates, D(2026, 11, 30), D(2026, 11, 15)) == (D(2026, 11, 23), D(2026, 11, 9))
    assert choose_snapshots(dates[:1], D(2026, 11, 30), None) == (D(2026, 11, 9), None)
    with pytest.raises(UsageError, match="还没有分层快照"):
        choose_snapshots([], D(2026, 11, 30), None)
    with pytest.raises(UsageError, match="2026-11-01 及之前没有分层快照（最早一次是 2026-11-09）"):
        choose_snapshots(dates, D(2026, 11, 1), None)
    with pytest.raises(UsageError, match="须早于本次分层快照"):
        choose_snapshots(dates, D(2026, 11, 23), D(2026, 11, 23))
    with pytest.raises(UsageError, match="请改 --since"):
        choose_snapshots(dates, D(2026, 11, 23), D(2026, 11, 1))


def test_directions():
    moves = compare_snapshots(PREVIOUS, NEWEST).set_index("student_id")
    assert moves["direction"].to_dict() == {
        "A": "up", "B": "same", "C": "down", "D": "same", "E": "scored", "F": "left", "G": "new",
    }
    assert moves.loc["C", "rank_change"] == 6 - 8
    assert moves.loc["F", "teacher"] == "李老师" and moves.loc["G", "teacher"] == "王老师"


def test_moves_matrix_pins_every_cell():
    matrix = moves_matrix(compare_snapshots(PREVIOUS, NEWEST)).set_index("上次 → 本次")
    cells = {(r, c): int(v) for r, row in matrix.iterrows() for c, v in row.items() if c != "合计" and r != "合计" and v}
    assert cells == {
        ("重要维持学员", "重要价值学员"): 1,
        ("一般督促学员", "一般督促学员"): 1,
        ("重要价值学员", "重点督促学员"): 1,
        ("一般挽留学员", "一般挽留学员"): 1,
        ("待回访学员", "重点挽留学员"): 1,
        ("一般挽留学员", LEFT_STUDENTS): 1,
        (NEW_STUDENTS, "待回访学员"): 1,
    }
    assert matrix.loc["一般挽留学员", "合计"] == 2
    assert matrix.loc["合计", "合计"] == 7
    # Column totals are the newest snapshot's segment counts.
    assert matrix.loc["合计", "重要价值学员"] == 1 and matrix.loc["合计", "待回访学员"] == 1
    assert list(matrix.index) == [
        "重要价值学员", "一般价值学员", "重点督促学员", "一般督促学员", "重要维持学员", "一般维持学员",
        "重点挽留学员", "一般挽留学员", "待回访学员", NEW_STUDENTS, "合计",
    ]


def test_effect_compares_students_who_started_in_the_same_segment():
    effect = effect_table(compare_snapshots(PREVIOUS, NEWEST), CALLED)
    assert list(effect.columns) == list(EFFECT_COLUMNS)
    rows = effect[["起始分层", "组别", "学员数", "上升", "不变", "下降"]].values.tolist()
    assert rows == [
        ["重要价值学员", CALLED_GROUP, 0, 0, 0, 0], ["重要价值学员", NOT_CALLED_GROUP, 1, 0, 0, 1],
        ["一般督促学员", CALLED_GROUP, 1, 0, 1, 0], ["一般督促学员", NOT_CALLED_GROUP, 0, 0, 0, 0],
        ["重要维持学员", CALLED_GROUP, 1, 1, 0, 0], ["重要维持学员", NOT_CALLED_GROUP, 0, 0, 0, 0],
        ["一般挽留学员", CALLED_GROUP, 0, 0, 0, 0], ["一般挽留学员", NOT_CALLED_GROUP, 1, 0, 1, 0],
        [ALL_SEGMENTS_LABEL, CALLED_GROUP, 2, 1, 1, 0], [ALL_SEGMENTS_LABEL, NOT_CALLED_GROUP, 2, 0, 1, 1],
    ]
    # No segment has both groups, and every group is tiny: said plainly, no number made up.
    overall = effect[(effect["起始分层"] == ALL_SEGMENTS_LABEL) & (effect["组别"] == CALLED_GROUP)].iloc[0]
    assert overall["结论"] == DESCRIPTIVE + "人数太少（每组至少要 5 人），看不出什么"
    assert pd.isna(overall["上升占比之差（百分点）"]) and overall["95% 区间"] is None


def test_effect_with_enough_students_gives_the_difference_and_its_interval():
    before = snapshot([(f"S{i:02d}", "张老师", "P_S-F_S-K_L", 2, 0.3, 5) for i in range(40)])
    after = snapshot([(f"S{i:02d}", "张老师", "P_L-F_S-K_L" if i in {*range(15), 20, 21, 22} else "P_S-F_S-K_L", 4, 0.3, 5) for i in range(40)])
    called = {f"S{i:02d}" for i in range(20)}  # 15 of the 20 called moved up; 3 of the 20 others
    effect = effect_table(compare_snapshots(before, after), called).set_index(["起始分层", "组别"])
    row = effect.loc[("重点挽留学员", CALLED_GROUP)]
    assert (row["上升占比（%）"], effect.loc[("重点挽留学员", NOT_CALLED_GROUP), "上升占比（%）"]) == (75.0, 15.0)
    assert row["上升占比之差（百分点）"] == 60.0
    assert row["95% 区间"] == "29.7 ～ 76.9"
    # Said as what it is: whom the teachers called, not what the calls did.
    assert row["结论"] == DESCRIPTIVE + "回访过的学员上升更多"
    assert DESCRIPTIVE.startswith("只是描述，不是回访的效果")
    assert effect.loc[(ALL_SEGMENTS_LABEL, CALLED_GROUP), "上升占比之差（百分点）"] == 60.0


def test_share_difference_matches_newcombes_worked_example():
    # Newcombe (1998), 56/70 against 48/80: 0.2000, 95 % interval 0.0524 to 0.3339 (method 10).
    d, low, high = share_difference(56, 70, 48, 80)
    assert (round(d, 4), round(low, 4), round(high, 4)) == (0.2, 0.0524, 0.3339)


def test_effect_with_nobody_called():
    effect = effect_table(compare_snapshots(PREVIOUS, NEWEST), set())
    called = effect[effect["组别"] == CALLED_GROUP]
    assert called["学员数"].sum() == 0
    assert effect[(effect["起始分层"] == ALL_SEGMENTS_LABEL) & (effect["组别"] == NOT_CALLED_GROUP)]["学员数"].tolist() == [4]


def test_moved_down_table():
    moves = compare_snapshots(PREVIOUS, NEWEST)
    last_called = pd.Series([pd.Timestamp("2026-11-18")], index=["C"])
    table, colours = moved_down_table(moves, CALLED, last_called)
    assert list(table.columns) == list(MOVED_DOWN_COLUMNS)
    assert table[["运营老师", "学号", "上次分层", "本次分层", "本期已回访"]].values.tolist() == [
        ["李老师", "C", "重要价值学员", "重点督促学员", "否"],
    ]
    assert table.loc[0, "手机号"] == "13900000002"
    assert table.loc[0, "最近回访日期"] == pd.Timestamp("2026-11-18")
    assert colours == ["#FFEB9C"]
    masked, _ = moved_down_table(moves, CALLED, last_called, mask=True)
    assert masked.loc[0, "手机号"] == "139****0002"


def test_change_text():
    row = {"P_from": 5.0, "P_to": 3.0, "F_from": 1.104, "F_to": 0.6, "K_from": 4.0, "K_to": 4.0}
    assert change_text(row) == "P 5→3；F 1.10→0.60"
    assert change_text({**row, "P_to": 5.0, "F_to": 1.1}).startswith("分数未变")
    assert change_text({**row, "P_to": None}) == "P 5→—；F 1.10→0.60"


def test_segment_table_counts_every_segment_and_teacher():
    table = segment_table(NEWEST).set_index("运营老师")
    assert list(table.index) == sorted(["张老师", "李老师", "王老师"])
    assert table.loc["张老师", "重要价值学员"] == 1 and table.loc["张老师", "合计"] == 3
    assert table.loc["王老师", "待回访学员"] == 1
    assert table["合计"].sum() == len(NEWEST)


def test_progress_bins_and_pace():
    frame = snapshot(
        [
            ("A", "张老师", "待回访", None, 0.0, None, 1.0),
            ("B", "张老师", "待回访", None, 0.5, None, 1.0),  # a value on an edge goes up a bin
            ("C", "张老师", "待回访", None, 0.8, None, 1.0),  # exactly 0.8 × 1.0: on pace
            ("D", "张老师", "待回访", None, 2.0, None, None),  # no course dates: not judged
            ("E", "李老师", "待回访", None, 1.5, None, None),
        ]
    )
    table = progress_table(frame, Config()).set_index("运营老师")
    assert list(table.reset_index().columns) == list(PROGRESS_COLUMNS)
    assert table.loc["张老师", ["F 0–0.5", "F 0.5–1", "F 1–1.5", "F 1.5–2"]].tolist() == [1, 2, 0, 1]
    assert table.loc["张老师", ["有进度要求", "跟上进度", "未跟上进度"]].tolist() == [3, 1, 2]
    assert table.loc["张老师", "跟上进度占比（%）"] == 33.3
    assert table.loc["李老师", "有进度要求"] == 0
    assert pd.isna(table.loc["李老师", "跟上进度"]) and pd.isna(table.loc["李老师", "跟上进度占比（%）"])
    assert table.loc["李老师", "F 1.5–2"] == 1


def test_coverage_boundaries():
    frame = snapshot(
        [
            ("A", "张老师", "P_L-F_L-K_L", 5, 1, 5),  # called 13 days ago: within 14
            ("B", "张老师", "P_L-F_L-K_L", 5, 1, 5),  # called 14 days ago: due again
            ("C", "张老师", "待回访", None, 1, None),  # never called
            ("D", "李老师", "P_L-F_L-K_L", 5, 1, 5),  # scored on the roster, no callback recorded
            ("E", "李老师", "P_L-F_L-K_L", 5, 1, 5),  # follow-up was yesterday
        ]
    )
    # The newest callback of each, as history.newest_callbacks gives it.
    callbacks = pd.DataFrame(
        {
            "last_called": pd.to_datetime(["2026-11-10", "2026-11-09", None, "2026-11-20", "2026-11-20"]),
            "follow_up": pd.to_datetime([None, "2026-11-23", None, None, "2026-11-22"]),
        }
    )
    coverage = coverage_frame(frame, callbacks, D(2026, 11, 23), 14)
    assert coverage["within"].tolist() == [True, False, False, True, True]
    assert coverage["never"].tolist() == [False, False, True, False, False]
    assert coverage["overdue"].tolist() == [False, False, False, False, True]  # due today is not overdue
    table = coverage_table(frame, coverage)
    assert list(table.columns) == list(COVERAGE_COLUMNS)
    assert table.values.tolist() == [["张老师", 3, 1, 33.3, 1, 1, 0], ["李老师", 2, 2, 100.0, 0, 0, 1]]


def test_alert_table_with_no_alerts_lists_every_teacher_and_rule():
    from pfkcli.alert_rules import ALERT_FIELDS, RULES

    empty = pd.DataFrame({name: pd.Series(dtype="str") for name in ALERT_FIELDS})
    table = alert_table(NEWEST, empty)
    assert list(table.columns) == ["运营老师", *[r.label for r in RULES], "预警学员数", "合计"]
    assert table["合计"].tolist() == [0, 0, 0]
    alerts = pd.DataFrame(
        [
            ("A", "a", "张老师", "inactive", "", "", ""),
            ("A", "a", "张老师", "behind_pace", "", "", ""),
            ("C", "c", "李老师", "inactive", "", "", ""),
        ],
        columns=list(ALERT_FIELDS),
    )
    table = alert_table(NEWEST, alerts).set_index("运营老师")
    assert table.loc["张老师", ["连续未学习", "进度严重落后", "预警学员数", "合计"]].tolist() == [1, 1, 1, 2]
    assert table.loc["李老师", "合计"] == 1 and table.loc["王老师", "合计"] == 0


def test_one_snapshot_note():
    assert one_snapshot_note(D(2026, 11, 23), later=False) == "只有一次分层快照（2026-11-23），下周再运行 pfk report 即可看到变化"
    assert "之前没有更早的分层快照" in one_snapshot_note(D(2026, 11, 16), later=True)
