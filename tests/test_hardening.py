"""A corpus of bad files, made by fixtures, through `pfk classify` and `pfk check`.

Each file gets one of two outcomes, never a third: exit 2 with a clear Chinese error naming the file
and nothing written, or exit 0 with a clear warning. Never a traceback.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest

from pfkcli.cli import app

from .conftest import AS_OF, HEADER, student, write_xlsx

GOOD_ROWS = [
    HEADER,
    student("S001", "张伟", "张老师", 11, 76, 5, 5, "很积极"),
    student("S002", "王芳", "李老师", 3, 20, 2, 4),
]


# --- the corpus: each builder writes one bad file into `folder` and returns its path ---------------


def truncated_xlsx(folder: Path) -> Path:
    whole = write_xlsx(folder / "whole.xlsx", GOOD_ROWS).read_bytes()
    (folder / "whole.xlsx").unlink()
    path = folder / "truncated.xlsx"
    path.write_bytes(whole[: len(whole) // 2])
    return path


def _encrypted_bytes(folder: Path) -> bytes:
    import msoffcrypto

    plain = write_xlsx(folder / "plain.xlsx", GOOD_ROWS)
    encrypted = io.BytesIO()
    with plain.open("rb") as source:
        msoffcrypto.OfficeFile(source).encrypt("123456", encrypted)
    plain.unlink()
    return encrypted.getvalue()


def password_xlsx(folder: Path) -> Path:
    path = folder / "password.xlsx"
    path.write_bytes(_encrypted_bytes(folder))
    return path


def password_renamed_xls(folder: Path) -> Path:
    """The same encrypted workbook saved (or renamed) as .xls: still a password, not a broken file."""
    path = folder / "password.xls"
    path.write_bytes(_encrypted_bytes(folder))
    return path


def zip_not_workbook(folder: Path) -> Path:
    path = folder / "photos.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "这不是表格")
    return path


def empty_file(folder: Path) -> Path:
    path = folder / "empty.xlsx"
    path.write_bytes(b"")
    return path


def text_named_xlsx(folder: Path) -> Path:
    path = folder / "notes.xlsx"
    path.write_text("学号,姓名\n", encoding="utf-8")
    return path


def header_only(folder: Path) -> Path:
    return write_xlsx(folder / "header_only.xlsx", [["2026秋 学员名单"], HEADER])


def blank_and_total_rows_only(folder: Path) -> Path:
    return write_xlsx(folder / "no_students.xlsx", [HEADER, [None] * len(HEADER), ["合计", None, None, None, 0, 0]])


def no_header(folder: Path) -> Path:
    return write_xlsx(folder / "no_header.xlsx", [["a", "b", "c"], [1, 2, 3]])


def duplicate_headers(folder: Path) -> Path:
    header = ["学号", "姓名", "学员姓名", "运营老师", "作业完成次数", "观看课时", "P", "K", "备注", "备注"]
    rows = [header, ["S001", "张伟", "张伟伟", "张老师", 11, 76, 5, 5, "甲", "乙"], ["S002", "王芳", "王芳芳", "李老师", 3, 20, 2, 4, None, None]]
    return write_xlsx(folder / "duplicate_headers.xlsx", rows)


def merged_header_cells(folder: Path) -> Path:
    """A merged title line, a header cell merged over two columns, and a merged group label above."""
    path = folder / "merged.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "学员名单"
    ws.append(["2026秋 学员名单"])
    ws.merge_cells("A1:J1")
    ws.append(["学号", "姓名", "运营老师", "手机号", "作业完成次数", None, "观看课时", "P", "K", "备注"])
    ws.merge_cells("E2:F2")
    ws.append(["S001", "张伟", "张老师", 13800000001, 11, None, 76, 5, 5, "很积极"])
    ws.append(["S002", "王芳", "李老师", 13800000002, 3, None, 20, 2, 4, None])
    wb.save(path)
    return path


def ten_thousand_columns(folder: Path) -> Path:
    """A normal header, then one row typed out to column NTP (stray pasting)."""
    rows = [HEADER, student("S001", "张伟", "张老师", 11, 76, 5, 5) + ["x"] * (10_000 - len(HEADER))]
    return write_xlsx(folder / "wide.xlsx", rows)


def ten_thousand_headers(folder: Path) -> Path:
    header = HEADER + [f"列{i}" for i in range(10_000 - len(HEADER))]
    return write_xlsx(folder / "wide_header.xlsx", [header, student("S001", "张伟", "张老师", 11, 76, 5, 5)])


CSV_TEXT = "学号,姓名,运营老师,作业完成次数,观看课时,P,K\nS001,张伟,张老师,11,76,5,5\nS002,王芳,李老师,3,20,2,4\n"
TRADITIONAL_TEXT = "學號,姓名,運營老師,作業完成次數,觀看課時\nS001,張偉,張老師,11,76\n"


def utf16_without_bom(folder: Path) -> Path:
    path = folder / "utf16.csv"
    path.write_bytes(CSV_TEXT.encode("utf-16-le"))
    return path


def utf16_big_endian_without_bom(folder: Path) -> Path:
    path = folder / "utf16be.csv"
    path.write_bytes(CSV_TEXT.encode("utf-16-be"))
    return path


def big5_csv(folder: Path) -> Path:
    path = folder / "big5.csv"
    path.write_bytes(TRADITIONAL_TEXT.encode("big5"))
    return path


def shift_jis_csv(folder: Path) -> Path:
    path = folder / "sjis.csv"
    path.write_bytes("学籍番号,氏名,担当\nS001,山田太郎,佐藤先生\n".encode("shift_jis"))
    return path


def binary_csv(folder: Path) -> Path:
    path = folder / "binary.csv"
    path.write_bytes(bytes(range(256)) * 8)
    return path


def control_character_teacher(folder: Path) -> Path:
    """Control characters cannot be stored in an .xlsx cell, but a CSV from a broken export has them."""
    path = folder / "control.csv"
    text = "学号,姓名,运营老师,作业完成次数,观看课时,P,K\nS001,张伟,\x01\x02\x1b,11,76,5,5\nS002,王芳,李老师,3,20,2,4\n"
    path.write_text(text, encoding="utf-8")
    return path


def control_characters_inside_names(folder: Path) -> Path:
    path = folder / "control_inside.csv"
    text = "学号,姓名,运营老师,作业完成次数,观看课时,P,K\nS001,张\x07伟,张\x1f老师,11,76,5,5\nS002,王芳,李老师,3,20,2,4\n"
    path.write_text(text, encoding="utf-8")
    return path


def path_trick_teachers(folder: Path) -> Path:
    rows = [HEADER] + [
        student(f"S00{i}", f"学员{i}", teacher, 3, 20, 4, 4) for i, teacher in enumerate(["../../x", "C:\\x", "CON", "/etc/passwd", "a:b"], 1)
    ]
    return write_xlsx(folder / "path_tricks.xlsx", rows)


def invalid_cells(folder: Path) -> Path:
    path = folder / "invalid_cells.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "学员名单"
    ws.append(HEADER + ["最近学习时间"])
    ws.append(student("S001", "张伟", "张老师", "十", 76, 5, 5) + ["2026-13-45"])
    ws.append(student("S002", "王芳", "李老师", 3, 20, 9, "很好") + [dt.datetime(2026, 11, 3)])
    error = ws.cell(3, HEADER.index("观看课时") + 1)
    error.value = "#DIV/0!"
    error.data_type = "e"
    wb.save(path)
    return path


def formula_cells_without_values(folder: Path) -> Path:
    """openpyxl stores formulas without a cached value, as a file never opened in Excel has them."""
    rows = [HEADER, student("S001", "张伟", "张老师", "=5+6", 76, 5, 5), student("S002", "王芳", "李老师", 3, "=SUM(1,2)", 2, 4)]
    return write_xlsx(folder / "formulas.xlsx", rows)


def dates_beyond_the_calendar(folder: Path) -> Path:
    """Year 1 and year 9999: typos that pandas' nanosecond clock cannot even hold."""
    rows = [
        HEADER + ["最近学习时间", "入学日期"],
        student("S001", "张伟", "张老师", 11, 76, 5, 5) + [dt.datetime(9999, 12, 31), "0001-01-01"],
        student("S002", "王芳", "李老师", 3, 20, 2, 4) + ["0001/1/1", dt.datetime(9999, 12, 31)],
    ]
    return write_xlsx(folder / "far_dates.xlsx", rows)


# name → (builder, outcome, text the message must carry)
CORPUS = {
    "truncated": (truncated_xlsx, "error", "不是有效的 Excel/WPS 表格文件"),
    "password": (password_xlsx, "error", "已加密"),
    "password_as_xls": (password_renamed_xls, "error", "已加密"),
    "zip_not_workbook": (zip_not_workbook, "error", "不是有效的 Excel/WPS 表格文件"),
    "empty": (empty_file, "error", "文件是空的"),
    "text_named_xlsx": (text_named_xlsx, "error", "不是有效的 Excel/WPS 表格文件"),
    "header_only": (header_only, "error", "没有任何学员"),
    "blank_and_total_only": (blank_and_total_rows_only, "error", "没有任何学员"),
    "no_header": (no_header, "error", "找不到表头"),
    "duplicate_headers": (duplicate_headers, "warning", "都表示姓名，只用前一列"),
    "merged_header_cells": (merged_header_cells, "ok", ""),
    "ten_thousand_columns": (ten_thousand_columns, "error", "列"),
    "ten_thousand_headers": (ten_thousand_headers, "error", "列"),
    "utf16_without_bom": (utf16_without_bom, "ok", ""),
    "utf16_be_without_bom": (utf16_big_endian_without_bom, "ok", ""),
    "big5": (big5_csv, "error", "编码"),
    "shift_jis": (shift_jis_csv, "error", "编码"),
    "binary_csv": (binary_csv, "error", "不是文本表格"),
    "control_teacher": (control_character_teacher, "error", "运营老师是空的：新学员请先运行 pfk assign"),
    "control_inside_names": (control_characters_inside_names, "warning", "控制字符"),
    "path_trick_teachers": (path_trick_teachers, "ok", ""),
    "invalid_cells": (invalid_cells, "error", '作业完成次数: "十" 不是数字'),
    "formula_cells": (formula_cells_without_values, "ok", ""),
    "dates_beyond_the_calendar": (dates_beyond_the_calendar, "error", "第3行 › 最近学习时间: \"0001/1/1\" 不是日期"),
}


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def cli(runner, monkeypatch, tmp_path):
    """Run pfk in tmp_path catching everything, and fail on anything but a clean exit."""
    monkeypatch.chdir(tmp_path)

    def _run(*args):
        result = runner.invoke(app, [str(a) for a in args], catch_exceptions=True)
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        assert "Traceback" not in result.output
        return result

    return _run


@pytest.mark.parametrize("case", sorted(CORPUS))
@pytest.mark.parametrize("command", ["classify", "check"])
def test_bad_file(cli, tmp_path, case, command):
    build, outcome, text = CORPUS[case]
    path = build(tmp_path)
    before = files_under(tmp_path)
    source = path.read_bytes()
    args = [command, path] + (["--as-of", AS_OF] if command == "classify" else [])
    result = cli(*args)

    assert path.read_bytes() == source
    if outcome == "error":
        assert result.exit_code == 2, result.output
        assert text in result.output
        assert path.name in result.output
        assert files_under(tmp_path) == before  # nothing written
        if "错误：" in result.output:  # a file-level error is one line
            assert len([line for line in result.output.splitlines() if line.strip()]) == 1, result.output
        elif "[unreadable]" in result.output:  # check lists an unreadable file among the others' problems
            assert f"  {path.name}: " in result.output
        else:
            assert "第" in result.output and "行" in result.output
    else:
        assert result.exit_code == 0, result.output
        assert text in result.output
        if command == "classify":
            assert files_under(tmp_path) - before == {path.with_name(f"{path.stem}.pfk.xlsx")}
        else:
            assert files_under(tmp_path) == before


def test_duplicate_headers_keep_the_first_and_carry_the_second(cli, tmp_path):
    path = duplicate_headers(tmp_path)
    assert cli("classify", path, "--as-of", AS_OF).exit_code == 0
    ws = openpyxl.load_workbook(tmp_path / "duplicate_headers.pfk.xlsx")["分层结果"]
    header = [c.value for c in ws[1]]
    assert header[:10] == ["学号", "姓名", "学员姓名", "运营老师", "作业完成次数", "观看课时", "P（原表）", "K（原表）", "备注", "备注_2"]
    assert [c.value for c in ws[2]][:10] == ["S001", "张伟", "张伟伟", "张老师", 11, 76, 5, 5, "甲", "乙"]


def test_merged_header_cells_read_the_right_columns(cli, tmp_path):
    path = merged_header_cells(tmp_path)
    assert cli("classify", path, "--as-of", AS_OF).exit_code == 0
    ws = openpyxl.load_workbook(tmp_path / "merged.pfk.xlsx")["分层结果"]
    rows = {r[0]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    header = [c.value for c in ws[1]]
    assert rows["S001"][header.index("分层代码")] == "P_L-F_L-K_L"
    assert rows["S002"][header.index("F")] == round(3 / 11 + 20 / 76, 2)


def test_utf16_without_bom_is_read_as_text(cli, tmp_path):
    result = cli("check", utf16_without_bom(tmp_path))
    assert result.exit_code == 0 and "utf16.csv：2 名学员" in result.output


def test_control_characters_are_dropped_from_names(cli, tmp_path):
    path = control_characters_inside_names(tmp_path)
    assert cli("classify", path, "--as-of", AS_OF).exit_code == 0
    ws = openpyxl.load_workbook(tmp_path / "control_inside.pfk.xlsx")["分层结果"]
    assert [c.value for c in ws[2]][:3] == ["S001", "张伟", "张老师"]


def test_path_trick_teachers_stay_inside_the_callsheet_folder(cli, tmp_path):
    (tmp_path / "ws").mkdir()
    path = path_trick_teachers(tmp_path / "ws")
    before = files_under(tmp_path.parent)
    result = cli("callsheet", "--all", "--roster", path, "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    created = files_under(tmp_path.parent) - before
    folder = (tmp_path / "callsheets").resolve()
    assert len(created) == 5
    assert all(p.resolve().parent == folder for p in created), created
    teachers = set()
    for sheet in created:
        info = openpyxl.load_workbook(sheet)["说明"]
        teachers.add(info["B2"].value)
    assert teachers == {"../../x", "C:\\x", "CON", "/etc/passwd", "a:b"}
    assert {p.name for p in created} == {f"{n}-{AS_OF}.xlsx" for n in ("x", "C__x", "_CON", "etc_passwd", "a_b")}


def test_a_folder_or_a_missing_file_as_input(cli, tmp_path):
    (tmp_path / "folder.xlsx").mkdir()
    for args in (["classify", tmp_path / "folder.xlsx"], ["classify", tmp_path / "missing.xlsx"]):
        result = cli(*args)
        assert result.exit_code == 2 and "错误：" in result.output
    result = cli("check", tmp_path / "missing.csv")
    assert result.exit_code == 2 and "  missing.csv: 文件不存在  [unreadable]" in result.output


def test_teachers_whose_names_clean_alike_get_a_file_each(cli, tmp_path):
    teachers = ["x", "../../x", "张/老师", "张_老师", "Amy", "AMY"]
    rows = [HEADER] + [student(f"S00{i}", f"学员{i}", t, 3, 20, None, None) for i, t in enumerate(teachers, 1)]
    path = write_xlsx(tmp_path / "alike.xlsx", rows)
    result = cli("callsheet", "--all", "--roster", path, "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    sheets = sorted((tmp_path / "callsheets").glob("*.xlsx"))
    assert len(sheets) == len(teachers)
    found = {}
    for sheet in sheets:
        wb = openpyxl.load_workbook(sheet)
        rows = list(wb["回访表"].iter_rows(values_only=True))
        found[wb["说明"]["B2"].value] = [r[rows[0].index("学号")] for r in rows[1:]]
    assert found == {t: [f"S00{i}"] for i, t in enumerate(teachers, 1)}


def test_text_longer_than_an_excel_cell_is_cut_and_says_so(cli, tmp_path):
    path = tmp_path / "long.csv"
    path.write_text(f"学号,姓名,运营老师,作业完成次数,观看课时,备注\nS001,张伟,张老师,1,2,{'长' * 40_000}\nS002,王芳,李老师,1,2,短\n", encoding="utf-8")
    result = cli("classify", path, "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(tmp_path / "long.pfk.xlsx")["分层结果"]
    note = ws.cell(2, 6).value
    assert len(note) == 32_767 and note.startswith("长长") and note.endswith("（超出 Excel 单元格上限，已截断）")
    assert ws.cell(3, 6).value == "短"


def test_dates_excel_cannot_hold_are_carried_as_text(cli, tmp_path):
    path = tmp_path / "old.csv"
    path.write_text(
        "学号,姓名,运营老师,作业完成次数,观看课时,入学日期,结业日期\n"
        "S001,张伟,张老师,1,2,0001-01-01,2026-13-45\n"
        "S002,王芳,李老师,1,2,2026-09-01,2026-12-01\n",
        encoding="utf-8",
    )
    assert cli("classify", path, "--as-of", AS_OF).exit_code == 0
    ws = openpyxl.load_workbook(tmp_path / "old.pfk.xlsx")["分层结果"]
    assert [ws.cell(2, 6).value, ws.cell(3, 6).value] == ["0001-01-01", "2026-09-01"]
    assert [ws.cell(2, 7).value, ws.cell(3, 7).value] == ["2026-13-45", "2026-12-01"]  # an impossible date stays as typed
