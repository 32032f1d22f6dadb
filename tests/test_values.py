"""Values as people type them."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pfkcli.values import cell_text, column_letter, looks_numeric, parse_date, parse_duration, parse_id, parse_number, parse_phone, parse_share


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


def test_durations_as_platforms_write_them_in_hours():
    texts = ["1:20:00", "00:45:12", "45分12秒", "1小时20分", "2.5小时", "90分钟", "1.5h", "PT1H20M", "1899-12-31 01:20:00", "未学习", "很久", None]
    hours, bad = parse_duration(pd.Series(texts, dtype="str"), unit="minutes")
    assert [round(h, 4) for h in hours.iloc[:9]] == [1.3333, 0.7533, 0.7533, 1.3333, 2.5, 1.5, 1.5, 1.3333, 1.3333]
    assert hours.iloc[9:].isna().all()
    assert bad.tolist() == [False] * 10 + [True, False]


def test_a_plain_number_takes_the_column_unit():
    cells = pd.Series(["90", "5400"], dtype="str")
    assert parse_duration(cells)[0].tolist() == [90.0, 5400.0]  # no unit: hours, as before
    assert parse_duration(cells, unit="minutes")[0].tolist() == [1.5, 90.0]
    assert parse_duration(cells, unit="seconds")[0].tolist() == [0.025, 1.5]
    assert parse_duration(cells, unit="seconds", to="minutes")[0].tolist() == [1.5, 90.0]


def test_two_part_times_are_the_column_unit_and_the_next_smaller():
    cells = pd.Series(["45:12"], dtype="str")
    assert parse_duration(cells, unit="hours")[0].round(4).tolist() == [45.2]  # h:mm
    assert parse_duration(cells, unit="minutes")[0].round(4).tolist() == [0.7533]  # mm:ss
    assert parse_duration(cells, unit="seconds", to="seconds")[0].tolist() == [2712.0]  # mm:ss


def test_a_duration_cell_of_a_day_and_more():
    hours, _ = parse_duration(pd.Series(["1900-01-04 04:00:00"], dtype="str"), unit="hours")
    assert hours.tolist() == [100.0]


def test_zoned_stamps_take_the_date_in_china():
    texts = ["2026-11-20T19:00:00Z", "2026-11-20T15:59:00Z", "2026-11-20T19:00:00+08:00", "2026-11-20 23:30:00-05:00", "2026-11-20T10:00:00.123Z"]
    value, bad = parse_date(pd.Series(texts, dtype="str"))
    assert [d.date() for d in value] == [dt.date(2026, 11, 21), dt.date(2026, 11, 20), dt.date(2026, 11, 20), dt.date(2026, 11, 21), dt.date(2026, 11, 20)]
    assert not bad.any()


def test_dates_without_a_year_take_it_from_the_as_of_date():
    texts = ["11-20", "11月20日", "11/20 19:00", "12月25日", "1/5", "2/30"]
    value, bad = parse_date(pd.Series(texts, dtype="str"), as_of=dt.date(2026, 1, 3))
    got = [None if pd.isna(d) else d.date() for d in value]
    # The latest such date up to a month after the as-of date: last November, this January.
    assert got == [dt.date(2025, 11, 20)] * 3 + [dt.date(2025, 12, 25), dt.date(2026, 1, 5), None]
    assert bad.tolist() == [False] * 5 + [True]
    late, _ = parse_date(pd.Series(["11-20"], dtype="str"), as_of=dt.date(2026, 11, 23))
    assert late.iloc[0].date() == dt.date(2026, 11, 20)


def test_never_means_blank_not_bad():
    for parse in (parse_date, parse_number, parse_duration):
        value, bad = parse(pd.Series(["未学习", "从未登录", "从未学习", "未登录"], dtype="str"))
        assert value.isna().all() and not bad.any()


def test_ids_excel_turned_into_exponents_are_flagged():
    ids, mangled = parse_id(pd.Series(["1.23457E+17", "1002.0", "S1", "2E5"], dtype="str"))
    assert ids.tolist()[1:3] == ["1002", "S1"]
    assert mangled.tolist() == [True, False, False, True]


def test_shares_from_a_percent_column():
    value, _ = parse_share(pd.Series(["45", "45%", "0.5"], dtype="str"), percent=True)
    assert value.tolist() == [0.45, 0.45, 0.005]
    value, _ = parse_share(pd.Series(["0.45", "45%"], dtype="str"))
    assert value.tolist() == [0.45, 0.45]


def test_column_letters():
    assert [column_letter(i) for i in (0, 25, 26, 51, 701, 702)] == ["A", "Z", "AA", "AZ", "ZZ", "AAA"]


def test_a_blank_cell_is_never_the_text_nan():
    assert [cell_text(v) for v in (None, float("nan"), pd.NA, pd.NaT, "", "  ", " 张三 ", 3)] == [None] * 6 + ["张三", "3"]
