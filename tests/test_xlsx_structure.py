"""The structural check finds each defect it is meant to find: a sound pfk workbook, edited one part
at a time into what Excel would offer to repair."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest

from pfkcli.excel import SheetSpec, write_workbook

from .xlsx_structure import problems, written_by_pfk

SHEET = "xl/worksheets/sheet1.xml"


@pytest.fixture
def sound(tmp_path) -> Path:
    frame = pd.DataFrame({"学号": ["S001", "S002"], "P（1-5）": [None, None], "姓名": ["张伟", "王芳"]})
    validations = {"P（1-5）": {"type": "list", "values": ["1", "2", "3", "4", "5"]}}
    sheets = [SheetSpec("回访表", frame, row_colours=["#C6EFCE"] * 2, validations=validations, page={"landscape": True, "repeat_rows": 0})]
    return write_workbook(tmp_path / "sound.xlsx", sheets)


def edited(source: Path, part: str, old: str, new: str) -> Path:
    """A copy of `source` with `old` replaced by `new` (once, and it must be there) in `part`, stamped
    as another program's file, so that the suite's own check of pfk's workbooks passes it by."""
    target = source.with_name(f"edited-{source.name}")
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename == "docProps/app.xml":
                data = data.replace(b"<Application>Microsoft Excel</Application>", b"<Application>a test, broken on purpose</Application>")
            if item.filename == part:
                text = data.decode("utf-8")
                assert old in text, (part, old)
                data = text.replace(old, new, 1).encode("utf-8")
            zout.writestr(item, data)
    return target


def test_a_sound_workbook_has_no_problems(sound):
    assert written_by_pfk(sound)
    assert problems(sound) == []


@pytest.mark.parametrize(
    ("part", "old", "new", "found"),
    [
        (SHEET, "</sheetData>", '<row r="3" s="1" customFormat="1"/></sheetData>', "row 3 comes after row 3 (rows must be unique and ascending)"),
        (SHEET, '<row r="2"', '<row r="9"', "row 3 comes after row 9"),
        (SHEET, 'r="C2"', 'r="A2"', "cell A2 is not after the cell before it in row 2"),
        (SHEET, 'r="C2"', 'r="C7"', "cell C7 sits in row 2"),
        (SHEET, 'spans="1:3"', 'spans="1:2"', "outside the row's spans 1:2"),
        (SHEET, "<v>0</v>", "<v>99</v>", "names shared string '99'"),
        (SHEET, 's="1"', 's="40"', "style 40 is not one of the"),
        (SHEET, '"1,2,3,4,5"', '1,2,3,4,5', "neither a quoted list nor a reference"),
        (SHEET, '"1,2,3,4,5"', '"' + ",".join(["很长的选项"] * 60) + '"', "characters (Excel takes 255)"),
        (SHEET, 'sqref="B2:B3"', 'sqref="B3:B2"', "data validation sqref 'B3:B2' runs backwards"),
        (SHEET, '<autoFilter ref="A1:C3"/>', '<autoFilter ref="A1:C"/>', "autoFilter 'A1:C' is not a reference"),
        (SHEET, "</sheetData>", "</sheetData><mergeCells count=\"2\"><mergeCell ref=\"A5:B6\"/><mergeCell ref=\"B6:C7\"/></mergeCells>", "merged range B6:C7 overlaps another"),
        (SHEET, "</worksheet>", "", "XML does not parse"),
        ("xl/workbook.xml", "回访表!$1:$1", "回访单!$1:$1", "names a missing sheet '回访单'"),
        ("xl/workbook.xml", "回访表!$1:$1", "回访表!$1:$0", "'$1:$0' is outside the rows"),
        ("xl/workbook.xml", 'localSheetId="0"', 'localSheetId="3"', "localSheetId 3 is not a sheet"),
        ("xl/workbook.xml", 'name="回访表"', 'name="回访:表"', "sheet name '回访:表' is not allowed"),
    ],
)
def test_each_defect_is_found(sound, part, old, new, found):
    lines = problems(edited(sound, part, old, new))
    assert any(found in line for line in lines), lines


def test_a_file_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "half.xlsx"
    path.write_bytes(b"PK\x03\x04 half a workbook")
    assert problems(path)[0].startswith("not a zip file")
    assert not written_by_pfk(path)
