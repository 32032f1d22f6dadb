"""Reading real exports: formats, encodings, header rows under titles, offsets."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from pfkcli.errors import InputError
from pfkcli.reading import column_letter, read_table

from .conftest import HEADER, student, write_xlsx


def test_header_found_under_merged_title(tmp_path):
    path = tmp_path / "r.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "学员名单"
    ws.append(["2026秋 学员名单"])
    ws.merge_cells("A1:I1")
    ws.append(["导出时间 2026-11-23"])
    ws.append(HEADER)
    ws.append(student("S001", "张伟", "张老师", 3, 10, 5, 5))
    wb.save(path)
    raw = read_table(path)
    assert (raw.sheet, raw.header_row, raw.headers[:3]) == ("学员名单", 3, ["学号", "姓名", "运营老师"])
    assert raw.data.index.tolist() == [4]


def test_leading_empty_rows_and_columns_keep_excel_numbers(tmp_path):
    path = tmp_path / "r.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    for offset, value in enumerate(HEADER):
        ws.cell(row=3, column=3 + offset, value=value)
    for offset, value in enumerate(student("S001", "张伟", "张老师", 3, 10, 5, 5)):
        ws.cell(row=5, column=3 + offset, value=value)
    wb.save(path)
    raw = read_table(path)
    assert raw.header_row == 3
    assert raw.letters[:2] == ["C", "D"]
    assert raw.data.dropna(how="all").index.tolist() == [5]


def test_first_sheet_with_a_header_wins(tmp_path):
    path = write_xlsx(tmp_path / "r.xlsx", [["说明：本表由系统导出"]], sheet="说明",
                      extra_sheets={"学员": [HEADER, student("S001", "张伟", "张老师", 3, 10, 5, 5)]})
    assert read_table(path).sheet == "学员"
    assert read_table(path, sheet="学员").header_row == 1
    with pytest.raises(InputError, match="没有名为「不存在」的工作表"):
        read_table(path, sheet="不存在")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings(tmp_path, encoding):
    path = tmp_path / "r.csv"
    path.write_bytes("学员ID,姓名,负责老师\nS001,张伟,张老师\n".encode(encoding))
    raw = read_table(path)
    assert raw.headers == ["学员ID", "姓名", "负责老师"]
    assert raw.data.iloc[0].tolist() == ["S001", "张伟", "张老师"]
    assert raw.data.index.tolist() == [2]


def test_ods_is_read(tmp_path):
    path = tmp_path / "r.ods"
    pd.DataFrame([["S001", "张伟", "张老师"]], columns=["学号", "姓名", "班主任"]).to_excel(path, index=False, engine="odf")
    assert read_table(path).data.iloc[0].tolist() == ["S001", "张伟", "张老师"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "文件是空的"),
        (b"PK\x03\x04 not really a zip", "不是有效的 Excel/WPS 表格文件"),
        (b"just some words, no header\n", "找不到表头"),
    ],
)
def test_unusable_files_get_one_clear_line(tmp_path, content, message):
    suffix = ".csv" if b"words" in content else ".xlsx"
    path = tmp_path / f"bad{suffix}"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_table(path)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="文件不存在"):
        read_table(tmp_path / "nope.xlsx")


def test_column_letters():
    assert [column_letter(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]
