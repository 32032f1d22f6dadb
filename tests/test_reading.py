"""Reading real exports: formats, encodings, header rows under titles, offsets."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from pfkcli.errors import InputError
from pfkcli.reading import MAX_RATIO, read_table, read_tables

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


FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("export.xls", "<html><body><table><tr><td>学号</td></tr></table></body></html>", "其实是网页（HTML）格式，只是扩展名为 .xls；请用 Excel/WPS 打开它，另存为"),
        ("export.xls", "学号\t姓名\t运营老师\nS1\t张伟\t张老师\n", "其实是制表符分隔的文本，只是扩展名为 .xls；把扩展名改成 .csv 即可直接读取"),
        ("roster.xlsx", "学号,姓名,运营老师\nS1,张伟,张老师\n", "其实是逗号分隔的文本（CSV），只是扩展名为 .xlsx"),
        ("export.xls", '<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"/>', "其实是 Excel 2003 XML 表格"),
    ],
)
def test_text_saved_under_a_workbook_name_says_what_it_is(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content.encode("gb18030"))
    with pytest.raises(InputError) as caught:
        read_table(path)
    assert caught.value.message.startswith(f"{name}: 不是有效的 Excel/WPS 表格文件（")
    assert message in caught.value.message


@pytest.mark.parametrize("name", ["password.xls", "password.ods"])
def test_password_protected_xls_and_ods(name):
    with pytest.raises(InputError) as caught:
        read_table(FIXTURES / name)
    assert caught.value.message == f"{name}: 文件设置了打开密码（已加密），请在 Excel/WPS 中取消密码后另存再试"
    assert "password" in caught.value.detail.lower()  # calamine's words, for --debug


def test_a_panic_in_the_reader_is_an_input_error():
    with pytest.raises(InputError) as caught:
        read_table(FIXTURES / "ptgexp-truncated-operand.xls")
    assert caught.value.message.startswith("ptgexp-truncated-operand.xls: 这个文件无法读取（")
    assert "PanicException" in caught.value.detail


def _zip_with(path: Path, member: str, data: bytes) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(member, data)
    return path


def test_a_member_that_inflates_too_far_is_refused_unread(tmp_path):
    # 40 MB of spaces compress about a thousand times: a bomb in miniature, written in well under a second.
    path = _zip_with(tmp_path / "bomb.xlsx", "xl/worksheets/sheet1.xml", b" " * (40 * 1024**2))
    with pytest.raises(InputError) as caught:
        read_table(path)
    assert caught.value.message.startswith("bomb.xlsx: 文件里的「xl/worksheets/sheet1.xml」解压后是压缩时的")
    assert f"上限 {MAX_RATIO} 倍" in caught.value.message


def test_declared_sizes_beyond_the_cap_are_refused_unread(tmp_path):
    path = _zip_with(tmp_path / "huge.xlsx", "xl/worksheets/sheet1.xml", b"<worksheet/>")
    data = bytearray(path.read_bytes())
    # Declare 3 GB for the sheet in its central directory entry, as a crafted file would.
    entry = data.index(b"PK\x01\x02", data.index(b"PK\x01\x02") + 4)
    data[entry + 24 : entry + 28] = (3 * 1024**3).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(InputError) as caught:
        read_table(path)
    assert caught.value.message.startswith("huge.xlsx: 文件里的「xl/worksheets/sheet1.xml」解压后有 3.0 GB，超过 pfk 读取的上限 2.0 GB")


def test_a_value_in_the_last_column_is_refused_before_the_sheet_is_laid_out(tmp_path):
    path = tmp_path / "wide.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append(student("S001", "张伟", "张老师", 3, 10, 5, 5))
    ws.cell(row=2, column=16384, value="x")  # XFD2: calamine would lay out rows × 16,384 cells
    for row in range(3, 3000):
        ws.cell(row=row, column=1, value=f"S{row}")
    wb.save(path)
    with pytest.raises(InputError) as caught:
        read_table(path)
    assert caught.value.message.startswith("wide.xlsx › Sheet: 表格有 16384 列（到第XFD列），超过 pfk 能处理的 1000 列")


def test_every_sheet_with_the_same_header(tmp_path):
    path = write_xlsx(tmp_path / "r.xlsx", [["说明"]], sheet="说明", extra_sheets={
        "一班": [HEADER, student("S001", "张伟", "张老师", 3, 10, 5, 5)],
        "空表": [],
        "二班": [["2026 二班"], HEADER, student("S002", "王芳", "李老师", 3, 10, 5, 5)],
        "统计": [["学号", "姓名", "次数"], ["S1", "张伟", 3]],
    })
    tables = read_tables(path)
    assert [(raw.sheet, raw.header_row, raw.data.index.tolist()) for raw in tables.sheets] == [("一班", 1, [2]), ("二班", 2, [3])]
    assert (tables.skipped_sheets, tables.other_headers) == (["说明"], ["统计"])
    assert read_table(path).sheet == "一班"


def _lying_zip(path: Path, member: str, data: bytes, declared: int) -> Path:
    """A zip whose directory (central entry and local header) declares `declared` bytes for `member`,
    which inflates to all of `data`: the sizes a crafted file lies about."""
    _zip_with(path, member, data)
    raw = bytearray(path.read_bytes())
    name = member.encode()
    local = next(at for at in _all(raw, b"PK\x03\x04") if raw[at + 30 : at + 30 + len(name)] == name)
    raw[local + 22 : local + 26] = declared.to_bytes(4, "little")
    entry = next(at for at in _all(raw, b"PK\x01\x02") if raw[at + 46 : at + 46 + len(name)] == name)
    raw[entry + 24 : entry + 28] = declared.to_bytes(4, "little")
    path.write_bytes(bytes(raw))
    return path


def _all(data: bytes, mark: bytes):
    at = data.find(mark)
    while at >= 0:
        yield at
        at = data.find(mark, at + 1)


def test_a_zip_that_declares_less_than_it_inflates_is_refused_by_what_comes_out(tmp_path):
    # 40 MB of sheet XML declared as 1 KB: the declared sizes pass every bound, the stream does not.
    sheet = b"<worksheet><sheetData>" + b"<row><c><v>1</v></c></row>" * (40 * 1024**2 // 26) + b"</sheetData></worksheet>"
    path = _lying_zip(tmp_path / "liar.xlsx", "xl/worksheets/sheet1.xml", sheet, declared=1024)
    with zipfile.ZipFile(path) as archive:  # the lie holds: the directory says 1 KB
        assert archive.getinfo("xl/worksheets/sheet1.xml").file_size == 1024
    with pytest.raises(InputError) as caught:
        read_table(path)
    assert caught.value.message.startswith("liar.xlsx: 文件里的「xl/worksheets/sheet1.xml」解压后是压缩时的")
    assert "倍以上" in caught.value.message


def test_a_lying_zip_past_the_total_cap_is_refused_when_the_count_reaches_it(tmp_path, monkeypatch):
    from pfkcli import reading

    # Sheets compressed a modest 20 times, each declared as 1 KB; the cap lowered to keep the test small.
    monkeypatch.setattr(reading, "MAX_INFLATED_BYTES", 4 * 1024**2)
    text = "".join(f"<row r=\"{i}\"><c><v>{i * 7919 % 100003}</v></c></row>" for i in range(200_000)).encode()
    path = _lying_zip(tmp_path / "liar.xlsx", "xl/worksheets/sheet1.xml", text, declared=1024)
    with pytest.raises(InputError) as caught:
        read_table(path)
    assert caught.value.message.startswith("liar.xlsx: 文件")
    assert "解压后超过 pfk 读取的上限 4 MB" in caught.value.message


def test_pfk_check_of_a_lying_zip_is_one_line_and_exit_2(tmp_path, invoke):
    sheet = b"<worksheet><sheetData>" + b" " * (40 * 1024**2) + b"</sheetData></worksheet>"
    _lying_zip(tmp_path / "liar.xlsx", "xl/worksheets/sheet1.xml", sheet, declared=1024)
    result = invoke("check", "liar.xlsx")
    assert result.exit_code == 2
    assert "解压后是压缩时的" in result.output and "Traceback" not in result.output
