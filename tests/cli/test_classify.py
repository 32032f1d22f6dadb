"""pfk classify through the CLI: the result workbook, its conventions, and what is never touched."""

from __future__ import annotations

import datetime as dt

import openpyxl
from rich.cells import cell_len

from pfkcli.outputs import RESULT_COLUMNS, RESULT_SHEET, SUMMARY_SHEET
from pfkcli.segments import BY_CODE

from ..conftest import AS_OF, HEADER, SAMPLES, digest, student, write_xlsx



def test_result_workbook(invoke, roster, tmp_path):
    before = digest(roster)
    result = invoke("classify", roster, "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert f"✓ 已写出 {tmp_path / 'roster.pfk.xlsx'}" in result.output
    assert "P: 固定分数线：P ≥ 4 为高" in result.output
    assert digest(roster) == before

    wb = openpyxl.load_workbook(tmp_path / "roster.pfk.xlsx")
    assert wb.sheetnames == [RESULT_SHEET, SUMMARY_SHEET]
    ws = wb[RESULT_SHEET]
    header = [c.value for c in ws[1]]
    assert header == [f"{h}（原表）" if h in RESULT_COLUMNS else h for h in HEADER] + list(RESULT_COLUMNS)
    rows = {r[0]: dict(zip(header, r)) for r in ws.iter_rows(min_row=2, values_only=True)}
    assert rows["S001"]["分层代码"] == "P_L-F_L-K_L" and rows["S001"]["分层名称"] == "重要价值学员"
    assert rows["S002"]["分层代码"] == "P_S-F_S-K_S"
    assert rows["S003"]["分层代码"] == "P_L-F_L-K_S"
    assert rows["S004"]["分层代码"] == "待回访" and rows["S004"]["P"] is None
    assert rows["S004"]["F"] == round(2 / 11 + 10 / 76, 2)
    assert rows["S001"]["备注"] == "很积极"  # an unknown column arrives with its values
    assert rows["S001"]["原因"].startswith("P=5（≥4，日期不明）；F=2，达到同课程平均")
    assert rows["S001"]["策略"]  # the playbook's one-line strategy

    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:{ws.cell(1, len(header)).column_letter}5"
    phone = ws.cell(2, header.index("手机号") + 1)
    assert (phone.value, phone.data_type) == ("13800000001", "s")
    assert ws.cell(2, 1).fill.fgColor.rgb == "FF" + BY_CODE["P_L-F_L-K_L"].colour[1:]
    assert ws.column_dimensions["G"].width >= 6
    assert ws.cell(1, 1).font.bold


def test_a_result_too_large_to_colour_says_so(invoke, roster, tmp_path, monkeypatch):
    """Beyond excel.LARGE_SHEET_CELLS (a million students) the 分层结果 rows are not coloured, and the
    lead is told why; the bound is set low here, as a real one takes a million rows."""
    import pfkcli.excel as excel

    monkeypatch.setattr(excel, "LARGE_SHEET_CELLS", 10)
    result = invoke("classify", roster, "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert "4 名学员的分层结果不按分层上色" in result.output and "[no_fills]" in result.output
    ws = openpyxl.load_workbook(tmp_path / "roster.pfk.xlsx")[RESULT_SHEET]
    assert ws.cell(2, 1).fill.fill_type is None and ws.cell(2, 1).quotePrefix
    assert [c.value for c in ws["A"]][1:] == ["S001", "S002", "S003", "S004"]


def test_dates_stay_dates_and_formula_text_stays_text(invoke, tmp_path):
    path = tmp_path / "r.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["学号", "姓名", "运营老师", "作业完成次数", "观看课时", "最近学习时间", "备注"])
    ws.append(["S1", "张伟", "张老师", 1, 2, dt.datetime(2026, 11, 3), None])
    note = ws.cell(2, 7)
    note.value = '=HYPERLINK("http://x","点我")'
    note.data_type = "s"
    wb.save(path)
    assert invoke("classify", path, "--as-of", AS_OF).exit_code == 0
    out = openpyxl.load_workbook(tmp_path / "r.pfk.xlsx")[RESULT_SHEET]
    assert out["F2"].value == dt.datetime(2026, 11, 3) and out["F2"].is_date
    assert out["G2"].data_type == "s" and out["G2"].quotePrefix
    assert out["G2"].value == '=HYPERLINK("http://x","点我")'


def test_output_option_and_refusing_the_input(invoke, roster, tmp_path):
    before = digest(roster)
    refused = invoke("classify", roster, "-o", roster, "--as-of", AS_OF)
    assert refused.exit_code == 2
    assert "这是输入文件，pfk 不会覆盖输入" in refused.output
    assert digest(roster) == before
    elsewhere = invoke("classify", roster, "-o", tmp_path / "out.xlsx", "--as-of", AS_OF)
    assert elsewhere.exit_code == 0 and (tmp_path / "out.xlsx").exists()
    missing = invoke("classify", roster, "-o", tmp_path / "nope" / "out.xlsx", "--as-of", AS_OF)
    assert missing.exit_code == 2 and "不存在" in missing.output


def test_invalid_roster_writes_nothing(invoke, tmp_path):
    rows = [HEADER, student("S001", "张伟", "张老师", "十", 10, 5, 5), student("S001", "王芳", "张老师", 1, 1, 9, 1)]
    path = write_xlsx(tmp_path / "bad.xlsx", rows)
    result = invoke("classify", path, "--as-of", AS_OF)
    assert result.exit_code == 2
    assert 'bad.xlsx › 学员名单 › 第2行 › 作业完成次数: "十" 不是数字' in result.output
    assert "bad.xlsx › 学员名单 › 第3行 › 学号: 学号 S001 重复（与第2行相同）" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "bad.pfk.xlsx").exists()


def test_samples_segments(invoke, tmp_path):
    result = invoke("classify", SAMPLES / "roster.xlsx", "-o", tmp_path / "out.xlsx", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(tmp_path / "out.xlsx")[RESULT_SHEET]
    header = [c.value for c in ws[1]]
    segment = {r[0]: r[header.index("分层代码")] for r in ws.iter_rows(min_row=2, values_only=True)}
    assert len(segment) == 48
    assert sorted(k for k, v in segment.items() if v == "待回访") == [f"DS2026{n:03d}" for n in (2, 3, 17, 21, 39)]
    expected = {
        "P_L-F_L-K_L": (4, 18, 19, 22, 32, 37),
        "P_S-F_S-K_L": (14, 15, 20, 26, 43),
        "P_L-F_S-K_S": (8, 24, 29, 33, 40),
        "P_S-F_L-K_S": (5, 9, 12, 23, 44),
    }
    for code, numbers in expected.items():
        assert {f"DS2026{n:03d}" for n in numbers} == {k for k, v in segment.items() if v == code}


def test_gbk_csv(invoke, tmp_path):
    result = invoke("classify", SAMPLES / "roster_gbk.csv", "-o", tmp_path / "gbk.xlsx", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(tmp_path / "gbk.xlsx")[RESULT_SHEET]
    assert ws.max_row == 49
    assert [c.value for c in ws[1]][:3] == ["学员ID", "姓名", "负责老师"]


def test_forty_teachers_summary_fits_80_columns_with_every_name_whole(invoke, tmp_path):
    teachers = [f"老师{n:02d}" if n % 5 else f"欧阳老师（{n:02d}组）" for n in range(40)]
    rows = [HEADER] + [student(f"S{n:03d}", f"学员{n}", teachers[n % 40], n % 12, n % 77, 1 + n % 5, 1 + n // 7 % 5) for n in range(400)]
    roster = write_xlsx(tmp_path / "big.xlsx", rows)
    result = invoke("classify", roster, "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    start = lines.index("分层 × 老师（2026-11-23，共 400 人）")
    assert lines[start + 1].split() == ["价值", "价值", "督促", "督促", "维持", "维持", "挽留", "挽留", "待"]
    assert lines[start + 2].split() == ["运营老师", "重要", "一般", "重点", "一般", "重要", "一般", "重点", "一般", "回访", "合计"]
    table = lines[start + 1 : lines.index("列：价值=P高F高 督促=P高F低 维持=P低F高 挽留=P低F低；重要/重点=K高 一般=K低")]
    assert max(cell_len(line) for line in table) <= 80
    body = {line.split()[0]: [int(n) for n in line.split()[1:]] for line in table[3:] if line.split()[0] in teachers}
    assert list(body) == sorted(teachers)  # one row per teacher, each name whole
    assert all(sum(counts[:-1]) == counts[-1] == 10 for counts in body.values())
    assert table[-1].split() == ["合计", *table[-1].split()[1:-1], "400"]
