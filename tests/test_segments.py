"""The eight segments and pending, declared once; the code built one way; every spelling read."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from pfkcli.segments import ALL_SEGMENTS, BY_CODE, PENDING_CODE, parse_segment, segment_code, segment_codes


def test_each_code_is_built_one_way_alone_or_for_a_whole_column():
    combos = list(itertools.product([True, False], repeat=3))
    p, f, k = (np.array(axis) for axis in zip(*combos))
    column = segment_codes(p, f, k, np.zeros(len(combos), bool))
    assert column.tolist() == [segment_code(*combo) for combo in combos]
    assert set(column) == {s.code for s in ALL_SEGMENTS} - {PENDING_CODE}
    assert segment_codes([True], [True], [True], [True]).tolist() == [PENDING_CODE]


def test_values_put_strong_students_slipping_first():
    by_value = sorted((s for s in ALL_SEGMENTS if s.code != PENDING_CODE), key=lambda s: -s.value)
    assert [s.name for s in by_value] == [
        "重点挽留学员", "重点督促学员", "重要维持学员", "一般督促学员", "重要价值学员", "一般维持学员", "一般价值学员", "一般挽留学员",
    ]
    assert BY_CODE["P_L-F_L-K_L"].rank > BY_CODE["P_S-F_S-K_S"].rank


@pytest.mark.parametrize("spelling", ["P_S-F_S-K_L", "PSFSKL", "P_S F_S K_L", "p_s-f_s-k_l", "重点挽留学员", "重点挽留"])
def test_segment_spellings(spelling):
    assert parse_segment(spelling).code == "P_S-F_S-K_L"


def test_pending_and_nonsense():
    assert parse_segment("待回访").code == PENDING_CODE and parse_segment("待回访学员").code == PENDING_CODE
    assert parse_segment("PXFSKL") is None


def test_segment_values_look_each_code_up_and_give_unknown_and_blank_zero():
    import pandas as pd

    from pfkcli.segments import segment_values

    codes = pd.Series(["P_S-F_S-K_L", None, "P_L-F_L-K_S", "???", "P_S-F_S-K_L"], index=[5, 6, 7, 8, 9], dtype="str")
    assert segment_values(codes).to_dict() == {5: 14.0, 6: 0.0, 7: 2.0, 8: 0.0, 9: 14.0}  # 重点挽留, —, 一般价值
