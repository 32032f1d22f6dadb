"""Values as people type them."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pfkcli.values import looks_numeric, parse_date, parse_id, parse_number, parse_phone


def test_numbers_typed_many_ways():
    value, bad = parse_number(pd.Series(["12", " 4分", "８次", "12.5小时", "30%", None, "", "十", "3.5"]))
    assert value.iloc[:5].tolist() == [12.0, 4.0, 8.0, 12.5, 0.3]
    assert value.iloc[8] == 3.5
    assert value.iloc[5:8].isna().all()
    assert bad.tolist() == [False] * 7 + [True, False]


def test_dates_typed_many_ways():
    texts = ["2026-11-03 00:00:00", "2026/11/3", "2026-11-03", "2026年11月3日", "46329", "20261103", "2026.11.3", "昨天", None]
    value, bad = parse_date(pd.Series(texts))
    assert [d.date() for d in value.iloc[:7]] == [dt.date(2026, 11, 3)] * 7
    assert bad.tolist() == [False] * 7 + [True, False]


def test_impossible_date_is_bad():
    _, bad = parse_date(pd.Series(["2026-13-45"]))
    assert bad.tolist() == [True]


def test_phones_keep_all_digits_as_text():
    phone, _ = parse_phone(pd.Series(["13812345678", "13812345678.0", "138-1234-5678", "+86 138 1234 5678", "010-1234"]))
    assert phone.tolist() == ["13812345678"] * 4 + ["010-1234"]


def test_a_column_of_plain_mobile_numbers_and_blanks_comes_back_as_typed():
    phone, bad = parse_phone(pd.Series([" 13812345678", None, "", "15900001111", "１３８１２３４５６７８"], dtype="str"))
    assert phone.tolist()[0] == "13812345678" and phone.tolist()[3:] == ["15900001111", "13812345678"]
    assert phone.iloc[1:3].isna().all() and not bad.any()


def test_only_ascii_digits_make_an_unknown_column_numeric():
    assert looks_numeric(pd.Series(["12", "3.5", None], dtype="str"))
    # Arabic-Indic digits are digits to Python's \d, but not numbers pandas can read.
    assert not looks_numeric(pd.Series(["١٢", "3"], dtype="str"))


def test_ids_from_number_cells_lose_no_digits():
    ids, _ = parse_id(pd.Series(["1002", "1002.0", " DS2026001 ", "００７"]))
    assert ids.tolist() == ["1002", "1002", "DS2026001", "007"]
