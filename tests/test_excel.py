"""The write layer: real workbooks written by `write_workbook`, read back as Excel and openpyxl see them."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from pfkcli.errors import OutputError
from pfkcli.excel import EXCEL_MAX_COLUMNS, RowValidation, SheetSpec, check_width, sheet_parts, write_workbook, write_workbooks

from .xlsx_structure import problems

RED, GREEN = "#F8CBAD", "#C6EFCE"


def result_sheet(rows: int) -> SheetSpec:
    frame = pd.DataFrame(
        {
            "学号": [f"S{i:03d}" for i in range(1, rows + 1)],
            "备注": ["=1+1" if i % 2 else "-5" for i in range(rows)],
            "F": [i / 10 for i in range(rows)],
            "最近学习时间": pd.to_datetime(["2026-11-20"] * rows),
        }
    )
    return SheetSpec("分层结果", frame, row_colours=[RED if i % 2 else GREEN for i in range(rows)], validations={"F": {"type": "decimal", "criteria": "between", "min": 0, "max": 2}})


def row_numbers(path: Path, part: str = "xl/worksheets/sheet1.xml") -> list[int]:
    with zipfile.ZipFile(path) as archive:
        xml = archive.read(part).decode("utf-8")
    return [int(n) for n in re.findall(r'<row r="(\d+)"', xml)]


def fill_of(cell) -> str:
    return cell.fill.fgColor.rgb[-6:]


def test_every_row_is_written_once(tmp_path):
    """The last data row has a fill like every other: it is written once (the writer's constant-memory
    mode wrote it again as an empty `<row r="N"/>`, which Excel offers to repair)."""
    path = write_workbook(tmp_path / "out.xlsx", [result_sheet(3), SheetSpec("汇总", pd.DataFrame({"项目": ["学员数"], "数值": [3]}), row_colours=[RED])])
    assert row_numbers(path) == [1, 2, 3, 4]
    assert row_numbers(path, "xl/worksheets/sheet2.xml") == [1, 2]
    assert problems(path) == []
    sheet = openpyxl.load_workbook(path)["分层结果"]
    assert [fill_of(sheet.cell(row, 1)) for row in (2, 3, 4)] == [GREEN[1:], RED[1:], GREEN[1:]]
    assert sheet.cell(3, 2).value == "=1+1" and sheet.cell(3, 2).data_type == "s" and sheet.cell(3, 2).quotePrefix
    assert sheet.cell(4, 2).value == "-5" and sheet.cell(4, 2).quotePrefix  # the last row keeps its protection


def test_a_large_sheet_is_streamed_without_fills_and_keeps_its_protection(tmp_path, monkeypatch):
    """A sheet beyond LARGE_SHEET_CELLS (a million students' result) is written row by row: each row
    once, its text cells still quote-prefixed, its dates still dates; it has no row fills (constant-
    memory mode cannot fill rows). Smaller sheets of the same workbook keep theirs. The bound is set
    low here: a real one takes a million rows."""
    import pfkcli.excel as excel

    monkeypatch.setattr(excel, "LARGE_SHEET_CELLS", 10)
    summary = SheetSpec("汇总", pd.DataFrame({"项目": ["学员数"]}), row_colours=[RED])
    path = write_workbook(tmp_path / "out.xlsx", [result_sheet(5), summary])
    assert row_numbers(path) == [1, 2, 3, 4, 5, 6]
    assert problems(path) == []
    book = openpyxl.load_workbook(path)
    sheet = book["分层结果"]
    assert [c.value for c in sheet[1]] == ["学号", "备注", "F", "最近学习时间"] and sheet.cell(1, 1).font.b
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:D6"
    assert sheet.cell(2, 2).value == "-5" and sheet.cell(3, 2).value == "=1+1" and sheet.cell(3, 2).data_type == "s"
    assert all(sheet.cell(row, column).quotePrefix for row in range(2, 7) for column in (1, 2))
    assert sheet.cell(6, 4).is_date and sheet.cell(6, 3).value == 0.4
    assert {sheet.cell(row, 1).fill.fill_type for row in range(2, 7)} == {None}
    assert fill_of(book["汇总"].cell(1, 1)) != RED[1:] and fill_of(book["汇总"].cell(2, 1)) == RED[1:]


def test_a_result_longer_than_a_sheet_continues_on_the_next(tmp_path):
    sheets = [result_sheet(7), SheetSpec("汇总", pd.DataFrame({"项目": ["学员数"], "数值": [7]}))]
    path = write_workbook(tmp_path / "out.xlsx", sheets, max_rows=4)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["分层结果", "分层结果 2", "分层结果 3", "汇总"]
    ids, fills = [], []
    for name, rows in (("分层结果", 3), ("分层结果 2", 3), ("分层结果 3", 1)):
        sheet = book[name]
        assert [c.value for c in sheet[1]] == ["学号", "备注", "F", "最近学习时间"]
        assert sheet.max_row == rows + 1
        assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == f"A1:D{rows + 1}"
        assert sheet.column_dimensions["A"].width == book["分层结果"].column_dimensions["A"].width
        assert [str(d.sqref) for d in sheet.data_validations.dataValidation] == ["C2" if rows == 1 else f"C2:C{rows + 1}"]
        assert sheet.cell(2, 4).is_date and sheet.cell(2, 2).quotePrefix
        ids += [sheet.cell(row, 1).value for row in range(2, rows + 2)]
        fills += [fill_of(sheet.cell(row, 1)) for row in range(2, rows + 2)]
    assert ids == [f"S{i:03d}" for i in range(1, 8)]
    assert fills == [(RED if i % 2 else GREEN)[1:] for i in range(7)]
    assert problems(path) == []


def test_sheet_parts_names_and_bounds():
    assert sheet_parts("分层结果", 4, max_rows=5) == [("分层结果", 0, 4)]
    assert sheet_parts("分层结果", 5, max_rows=3) == [("分层结果", 0, 2), ("分层结果 2", 2, 4), ("分层结果 3", 4, 5)]
    # Excel's limit: 1,048,575 data rows under the header fit one sheet; one more starts a second.
    assert sheet_parts("分层结果", 1_048_575) == [("分层结果", 0, 1_048_575)]
    assert sheet_parts("分层结果", 1_048_576) == [("分层结果", 0, 1_048_575), ("分层结果 2", 1_048_575, 1_048_576)]
    # A name already in the workbook is skipped; a long name is cut to Excel's 31 characters.
    assert [n for n, _, _ in sheet_parts("汇总", 3, max_rows=2, taken=["汇总 2"])] == ["汇总", "汇总 3", "汇总 4"]
    assert [len(n) for n, _, _ in sheet_parts("长" * 31, 2, max_rows=2)] == [31, 31]


def test_a_sheet_wider_than_excel_is_refused_before_writing(tmp_path):
    check_width(EXCEL_MAX_COLUMNS)
    with pytest.raises(OutputError) as caught:
        check_width(EXCEL_MAX_COLUMNS + 1)
    assert caught.value.message.startswith("结果有 16,385 列，超过 Excel 一张工作表最多 16,384 列的上限")
    wide = pd.DataFrame([[1] * (EXCEL_MAX_COLUMNS + 1)], columns=[f"c{i}" for i in range(EXCEL_MAX_COLUMNS + 1)])
    with pytest.raises(OutputError, match="工作表「宽表」有 16,385 列"):
        write_workbook(tmp_path / "wide.xlsx", [SheetSpec("宽表", wide)])
    assert list(tmp_path.iterdir()) == []


def test_replacing_a_locked_workbook_says_to_close_it(tmp_path):
    """Windows refuses to replace a workbook Excel has open (PermissionError); an immutable file is
    the same refusal on Linux, made by the real file system."""
    target = write_workbook(tmp_path / "result.xlsx", [result_sheet(2)])
    before = target.read_bytes()
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(target)], capture_output=True).returncode != 0:
        pytest.skip("this file system cannot lock a file")
    try:
        with pytest.raises(OutputError) as caught:
            write_workbook(target, [result_sheet(3)])
    finally:
        subprocess.run([chattr, "-i", str(target)], check=True)
    assert caught.value.message == f"{target}: 请先在 Excel/WPS 里关闭 result.xlsx 再运行（若没有打开，请检查文件是否设为只读）"
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.xlsx"]


def test_the_workspace_own_files_are_never_written(tmp_path):
    (tmp_path / "pfk.toml").write_text("# 工作区\n", encoding="utf-8")
    (tmp_path / ".pfk").mkdir()
    for target in (tmp_path / ".pfk" / "out.xlsx", tmp_path / "pfk.toml"):
        with pytest.raises(OutputError):
            write_workbook(target, [result_sheet(1)])
    assert (tmp_path / "pfk.toml").read_text(encoding="utf-8") == "# 工作区\n"
    assert list((tmp_path / ".pfk").iterdir()) == []


def test_rules_that_differ_by_row_read_their_lists_from_a_hidden_sheet(tmp_path):
    """One rule per list over the rows that share it (runs joined: `B2 B4:B5`), beside the per-column
    rules; a sheet without any gets its own <dataValidations>. A split sheet takes its rows along."""
    lists = SheetSpec("列表", pd.DataFrame({"甲": ["a1 第一", "其他"], "乙": ["b1, 带逗号", "其他"]}), hidden=True)
    rule = {"type": "list", "input_title": "使用方案", "input_message": "第一行\n第二行 & <符号>", "error_title": "使用方案", "error_message": "请选"}
    frame = pd.DataFrame({"学号": [f"S{i}" for i in range(1, 7)], "方案": [None] * 6})
    row_rules = [
        RowValidation("方案", [0, 2, 3], {**rule, "source": "'列表'!$A$2:$A$3"}),
        RowValidation("方案", [1, 4, 5], {**rule, "source": "'列表'!$B$2:$B$3"}),
    ]
    plain = SheetSpec("无其他规则", frame, row_validations=row_rules)
    checked = SheetSpec("有其他规则", frame, row_validations=row_rules, validations={"学号": {"type": "list", "values": ["S1", "S2"]}})
    path = write_workbook(tmp_path / "rules.xlsx", [plain, checked, lists], max_rows=4)
    assert problems(path) == []
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["无其他规则", "无其他规则 2", "有其他规则", "有其他规则 2", "列表"]
    assert book["列表"].sheet_state == "hidden"
    found = {(str(r.sqref), r.formula1) for r in book["无其他规则"].data_validations.dataValidation}
    assert found == {("B2 B4", "'列表'!$A$2:$A$3"), ("B3", "'列表'!$B$2:$B$3")}
    found = {(str(r.sqref), r.formula1) for r in book["无其他规则 2"].data_validations.dataValidation}
    assert found == {("B2", "'列表'!$A$2:$A$3"), ("B3:B4", "'列表'!$B$2:$B$3")}
    second = book["有其他规则"].data_validations.dataValidation
    assert len(second) == 3 and second[0].formula1 == '"S1,S2"'
    assert second[1].prompt == "第一行\n第二行 & <符号>" and second[1].promptTitle == "使用方案"


def test_a_long_header_over_short_numbers_wraps_rather_than_widen_the_column(tmp_path):
    frame = pd.DataFrame({"学号": ["S001"], "对照：占比（%）": [17], "数": [3]})
    path = write_workbook(tmp_path / "out.xlsx", [SheetSpec("方案效果", frame)])
    sheet = openpyxl.load_workbook(path)["方案效果"]
    # 15 display columns of header: two lines of 8 and the padding (12), not one line (19); Excel adds its 0.71.
    assert sheet.column_dimensions["B"].width == pytest.approx(12.71, abs=0.01)
    assert sheet.row_dimensions[1].height == 36.75  # two lines (2 × 16.5 + 4, to Excel's quarter points)
    assert sheet.cell(1, 2).alignment.wrap_text
    short = write_workbook(tmp_path / "short.xlsx", [SheetSpec("汇总", pd.DataFrame({"项目": ["学员数"], "数值": [3]}))])
    assert openpyxl.load_workbook(short)["汇总"].row_dimensions[1].height is None  # one line: Excel's own height
    assert problems(path) == []


def test_many_workbooks_are_written_each_whole_and_named_in_the_order_given(tmp_path):
    """Written two at a time, yielded in the order asked; one shared sheet goes into every workbook."""
    shared = result_sheet(3)
    books = [(tmp_path / f"{n}.xlsx", lambda n=n: [shared, SheetSpec("编号", pd.DataFrame({"n": [n]}))]) for n in range(6)]
    written = list(write_workbooks("写出", books))
    assert written == [tmp_path / f"{n}.xlsx" for n in range(6)]
    for n, path in enumerate(written):
        book = openpyxl.load_workbook(path)
        assert book.sheetnames == ["分层结果", "编号"]
        assert [row[0] for row in book["分层结果"].iter_rows(min_row=2, values_only=True)] == ["S001", "S002", "S003"]
        assert book["编号"]["A2"].value == n
        assert problems(path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{n}.xlsx" for n in range(6)]  # no temporary file left


def test_a_workbook_that_cannot_be_written_stops_the_run_with_its_name(tmp_path):
    (tmp_path / "是文件").write_text("x", encoding="utf-8")
    books = [
        (tmp_path / "0.xlsx", lambda: [result_sheet(1)]),
        (tmp_path / "是文件" / "1.xlsx", lambda: [result_sheet(1)]),  # its folder is a file
        (tmp_path / "2.xlsx", lambda: [result_sheet(1)]),
    ]
    written = write_workbooks("写出", books)
    assert next(written) == tmp_path / "0.xlsx"
    with pytest.raises(OutputError) as raised:
        next(written)
    assert "是文件" in raised.value.message and "1.xlsx" in raised.value.message
    assert openpyxl.load_workbook(tmp_path / "0.xlsx")["分层结果"]["A2"].value == "S001"


def test_workbooks_written_at_once_whose_names_begin_alike_keep_their_own_cells(tmp_path):
    """The temporary files are named from the first 40 characters of a name: each still has its own."""
    stem = "运营老师" * 12  # 48 characters, the same in every name
    books = [(tmp_path / f"{stem}{n}.xlsx", lambda n=n: [SheetSpec("编号", pd.DataFrame({"n": [n] * 200}))]) for n in range(8)]
    for n, path in enumerate(write_workbooks("写出", books)):
        assert {row[0] for row in openpyxl.load_workbook(path)["编号"].iter_rows(min_row=2, values_only=True)} == {n}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{stem}{n}.xlsx" for n in range(8))
