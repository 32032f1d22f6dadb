"""pfk callsheet through the CLI: what it says about the snapshot it works from, and its table."""

from __future__ import annotations

import pytest

import datetime as dt

from ..conftest import AS_OF, read_sheet


@pytest.fixture
def workspace(invoke, roster, tmp_path):
    assert invoke("init", ".").exit_code == 0
    assert invoke("classify", roster, "--as-of", AS_OF).exit_code == 0
    return tmp_path


def test_a_snapshot_older_than_a_week_is_said_out_loud(invoke, workspace):
    result = invoke("callsheet", "--all", "--as-of", "2026-12-01")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == (
        "注意：用的是 2026-11-23 的分层快照，比 2026-12-01 早 8 天，这期间的学习进度和回访都没算进去。"
        "先用最新名单运行 pfk classify，或用 --roster 直接指定名单。"
    )


@pytest.mark.parametrize("day", [AS_OF, "2026-11-30"])
def test_a_snapshot_of_this_week_needs_no_warning(invoke, workspace, day):
    result = invoke("callsheet", "--all", "--as-of", day)
    assert result.exit_code == 0, result.output
    assert "注意" not in result.output


def test_the_table_names_each_file_and_the_folder_once(invoke, workspace):
    result = invoke("callsheet", "--all", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert f"李老师-{AS_OF}.xlsx" in result.stdout and f"张老师-{AS_OF}.xlsx" in result.stdout
    assert result.stdout.splitlines()[-1] == f"✓ 已写出 2 份回访表，在 {workspace / 'callsheets'}"


def callsheet_of(workspace, teacher="张老师", day=AS_OF):
    import openpyxl

    return openpyxl.load_workbook(workspace / "callsheets" / f"{teacher}-{day}.xlsx")


def test_one_screen_names_phones_and_every_fill_in_column(invoke, workspace):
    from pfkcli.outputs import CALLSHEET_COLUMNS, FILL_IN_COLUMNS

    assert invoke("callsheet", "--all", "--as-of", AS_OF).exit_code == 0
    ws = callsheet_of(workspace)["回访表"]
    header = [c.value for c in ws[1]]
    working = list(CALLSHEET_COLUMNS) + list(FILL_IN_COLUMNS)
    assert header[: len(working)] == working
    assert header.index("P（1-5）") < 8  # within the first eight columns
    # Header row and 顺序, 姓名, 手机号 stay in view while typing.
    assert ws.freeze_panes == "D2"
    # Everything from 顺序 to 下次跟进日期 fits a 1366 px screen at 100 % (about 170 width units), as
    # stored (Excel's padding included). Columns of one width are stored as one range (min–max).
    stored = {}
    for dimension in ws.column_dimensions.values():
        for number in range(dimension.min or 1, (dimension.max or dimension.min or 1) + 1):
            stored[number] = dimension.width
    widths = [stored[i] for i in range(1, len(working) + 1)]
    assert len(working) == 14 and sum(widths) <= 170
    assert header.index("使用方案") == header.index("是否解决") + 1
    assert header.index("建议方案") == header.index("为什么现在打") + 1
    assert header[-2:] == ["流失风险", "风险依据"]
    # Reasons wrap within two lines, top-aligned.
    why = ws.cell(2, header.index("为什么现在打") + 1)
    assert why.alignment.wrap_text and why.alignment.vertical == "top"


def test_twelve_students_in_view_and_on_every_printed_page_with_boxes_to_write_in(invoke, tmp_path):
    """A teacher with 30 calls: every row is as tall as two lines of 10-point text, whatever its
    text (上次回访备注 and long reasons do not stretch it), so the header and 12 rows fit the ~375
    points of rows a 1366×768 screen shows under Excel's ribbon at 100 %; printed landscape, one page
    wide, a page holds more than 12; each fill-in cell is a ruled box, empty or not."""
    import openpyxl

    from pfkcli.outputs import CALLSHEET_COLUMNS, FILL_IN_COLUMNS

    from ..conftest import HEADER, student, write_xlsx

    assert invoke("init", ".").exit_code == 0
    note = "学员说最近加班很多，周末才有时间，约好下周六上午再打一次，到时候一起把落下的第三章补上。" * 3
    rows = [[*HEADER, "最近回访日期", "回访备注"]]
    rows += [[*student(f"S{i:03d}", f"学员{i}", "张老师", i % 11, i, None, None), dt.datetime(2026, 10, 1), note] for i in range(30)]
    write_xlsx(tmp_path / "big.xlsx", rows)
    assert invoke("classify", "big.xlsx", "--as-of", AS_OF).exit_code == 0
    assert invoke("callsheet", "--all", "--as-of", AS_OF, "--limit", "40").exit_code == 0
    ws = openpyxl.load_workbook(tmp_path / "callsheets" / f"张老师-{AS_OF}.xlsx")["回访表"]
    assert ws.max_row == 31
    heights = [ws.row_dimensions[row].height for row in range(2, 32)]
    assert set(heights) == {heights[0]} and heights[0] <= 30
    header = ws.row_dimensions[1].height or 15
    assert header + 12 * heights[0] <= 375
    assert ws.cell(2, 1).font.sz == 10
    # Printed: A4 landscape, one page wide; a page of about 500 points of rows at the scale that
    # fits the working columns (as stored) into the 784 points between the margins.
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    working = len(CALLSHEET_COLUMNS) + len(FILL_IN_COLUMNS)
    stored = {}
    for dimension in ws.column_dimensions.values():
        for number in range(dimension.min or 1, (dimension.max or dimension.min or 1) + 1):
            stored[number] = dimension.width
    scale = min(1.0, (842 - 0.8 * 72) / (sum(stored[i] for i in range(1, working + 1)) * 7 * 0.75))
    assert (595 - 1.2 * 72 - 20) / (heights[0] * scale) >= 12
    first_fill = working - len(FILL_IN_COLUMNS) + 1
    for row in (2, 31):
        for column in range(first_fill, working + 1):
            box = ws.cell(row, column).border
            assert (box.left.style, box.right.style, box.top.style, box.bottom.style) == ("thin",) * 4, (row, column)
        assert ws.cell(row, 2).border.left.style is None  # the names are not boxes
        assert ws.cell(row, 2).fill.fgColor.rgb == ws.cell(row, first_fill).fill.fgColor.rgb  # the row's colour kept


def test_paper_landscape_one_page_wide_with_the_header_on_every_page(invoke, workspace):
    assert invoke("callsheet", "--all", "--as-of", AS_OF).exit_code == 0
    wb = callsheet_of(workspace)
    ws = wb["回访表"]
    assert ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (1, None) and ws.page_setup.fitToHeight == 0
    assert ws.print_title_rows == "$1:$1"
    assert ws.print_area == f"'回访表'!$A$1:$N${ws.max_row}"
    assert "张老师" in ws.oddHeader.left.text and AS_OF in ws.oddHeader.right.text
    for name in ("话术与方案", "说明"):
        assert wb[name].sheet_properties.pageSetUpPr.fitToPage and wb[name].page_setup.fitToHeight == 0


def test_the_scale_outcomes_and_problems_are_drop_downs_that_say_what_they_mean(invoke, workspace):
    assert invoke("callsheet", "--all", "--as-of", AS_OF).exit_code == 0
    wb = callsheet_of(workspace)
    ws = wb["回访表"]
    header = [c.value for c in ws[1]]
    rules = {}
    for rule in ws.data_validations.dataValidation:
        column = str(rule.sqref).split(":")[0].rstrip("0123456789")
        rules[header[ord(column) - ord("A")]] = rule
    assert rules["回访结果"].type == "list" and rules["回访结果"].formula1 == '"已接通,微信沟通,未接通,拒接,号码错误,关机停机"'
    assert rules["P（1-5）"].formula1 == '"1 抵触,2 消极,3 一般,4 积极,5 很积极"'
    assert rules["P（1-5）"].prompt.splitlines()[2] == "3 一般：想学但不主动，时学时停"
    assert rules["K（1-5）"].promptTitle == "K 基础能力" and rules["K（1-5）"].prompt.startswith("1 零基础：")
    assert rules["问题类型"].formula1 == '"课程内容,学习时间,技术问题,投诉,退费,其他"'
    assert rules["是否解决"].formula1 == '"是,否"'
    info = {row[0]: row[1] for row in wb["说明"].iter_rows(min_row=2, values_only=True)}
    assert info["P 3 分"] == "一般：想学但不主动，时学时停"
    assert info["K 5 分"] == "很强：有相关经验，能举一反三、追问深处"
    assert len(info["回访表编号"]) == 10


def test_the_team_edits_the_scale_in_pfk_toml(invoke, workspace):
    toml = workspace / "pfk.toml"
    levels = '["差：几乎不学", "较差：偶尔学", "中：时学时停", "好：按时学", "很好：主动学"]'
    lines = [f"p = {levels}" if line.startswith("p = [") else line for line in toml.read_text(encoding="utf-8").splitlines()]
    toml.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert invoke("callsheet", "--all", "--as-of", AS_OF).exit_code == 0
    ws = callsheet_of(workspace)["回访表"]
    lists = [rule.formula1 for rule in ws.data_validations.dataValidation]
    assert '"1 差,2 较差,3 中,4 好,5 很好"' in lists


def test_the_call_sheet_and_the_alerts_agree_on_the_follow_up(invoke, tmp_path):
    """A callback recorded on 10-20 agreed a follow-up on 10-25; the roster's own callback on 11-01
    agreed 11-30. Neither the call sheet nor `pfk alerts` may call 10-25 due."""
    import datetime as dt

    import openpyxl

    from ..conftest import HEADER, fill_callsheet, student, write_xlsx

    assert invoke("init", ".").exit_code == 0
    header = [*HEADER, "最近回访日期", "下次跟进日期"]
    write_xlsx(tmp_path / "october.xlsx", [HEADER, student("S001", "张伟", "张老师", 3, 20, None, None)])
    assert invoke("classify", "october.xlsx", "--as-of", "2026-10-20").exit_code == 0
    assert invoke("callsheet", "--all", "--as-of", "2026-10-20").exit_code == 0
    sheet = fill_callsheet(tmp_path / "callsheets" / "张老师-2026-10-20.xlsx", {"S001": {"P（1-5）": 4, "K（1-5）": 4, "下次跟进日期": "2026-10-25"}})
    assert invoke("record", sheet).exit_code == 0
    rows = [header, [*student("S001", "张伟", "张老师", 3, 20, 4, 4), dt.datetime(2026, 11, 1), dt.datetime(2026, 11, 30)]]
    write_xlsx(tmp_path / "november.xlsx", rows)
    assert invoke("classify", "november.xlsx", "--as-of", AS_OF).exit_code == 0
    assert invoke("callsheet", "--all", "--as-of", AS_OF).exit_code == 0
    ws = openpyxl.load_workbook(tmp_path / "callsheets" / f"张老师-{AS_OF}.xlsx")["回访表"]
    whys = [row[4] or "" for row in ws.iter_rows(min_row=2, values_only=True)]
    # Due for the cadence from the roster's 11-01 call, not for the settled 10-25 follow-up.
    assert whys == ["22 天没回访了"]
    alerts = invoke("alerts", "november.xlsx", "--as-of", AS_OF)
    assert alerts.exit_code == 0
    rows = list(openpyxl.load_workbook(tmp_path / "november.alerts.xlsx")["预警"].iter_rows(values_only=True))
    assert [row for row in rows[1:] if row[4] == "followup_overdue"] == []


def test_a_sheet_a_teacher_has_started_is_never_made_again_over_it(invoke, workspace):
    from ..conftest import fill_callsheet

    assert invoke("callsheet", "--all", "--as-of", AS_OF).exit_code == 0
    path = workspace / "callsheets" / f"张老师-{AS_OF}.xlsx"
    fill_callsheet(path, {"S001": {"P（1-5）": 4, "K（1-5）": 4, "回访备注": "聊得很好"}})
    before = path.read_bytes()
    again = invoke("callsheet", "--all", "--as-of", AS_OF)
    assert again.exit_code == 2
    assert again.stderr.strip() == (
        f"错误：张老师-{AS_OF}.xlsx（1 行） 已经填了内容，重新生成会把它覆盖：请先用 pfk record 导入后把它改名或移走，再重新生成这份回访表"
    )
    assert path.read_bytes() == before
    # A sheet nobody has touched is simply made again.
    untouched = workspace / "callsheets" / f"李老师-{AS_OF}.xlsx"
    first_id = dict(read_sheet(untouched, "说明"))["回访表编号"]
    assert invoke("callsheet", "--teacher", "李老师", "--as-of", AS_OF).exit_code == 0
    assert dict(read_sheet(untouched, "说明"))["回访表编号"] != first_id  # a new sheet, with an id of its own


def test_the_solution_used_is_a_drop_down_of_the_students_own_segment(invoke, workspace):
    """One rule per segment over that segment's rows, reading its list from the hidden 方案选项 sheet:
    the ids and short titles of that segment's solutions, then 其他."""
    from pfkcli.playbooks import load_playbooks

    assert invoke("callsheet", "--all", "--as-of", AS_OF).exit_code == 0
    wb = callsheet_of(workspace)
    ws = wb["回访表"]
    header = [c.value for c in ws[1]]
    column = "ABCDEFGHIJKLMNOP"[header.index("使用方案")]
    segments = {ws.cell(row, header.index("学号") + 1).value: ws.cell(row, header.index("分层代码") + 1).value for row in range(2, ws.max_row + 1)}
    rows = {ws.cell(row, header.index("学号") + 1).value: row for row in range(2, ws.max_row + 1)}
    rules = [rule for rule in ws.data_validations.dataValidation if str(rule.sqref).startswith(column)]
    lists = wb["方案选项"]
    assert lists.sheet_state == "hidden"
    codes = [c.value for c in lists[1]]
    books = load_playbooks(None)
    for sid, code in segments.items():
        rule = next(rule for rule in rules if f"{column}{rows[sid]}" in rule.sqref)
        assert rule.type == "list" and rule.promptTitle == "使用方案"
        letter = "ABCDEFGHI"[codes.index(code)]
        entry = books[code].problems[0]
        assert rule.formula1 == f"'方案选项'!${letter}$2:${letter}$3"
        assert [lists[f"{letter}2"].value, lists[f"{letter}3"].value] == [f"{entry.id} {entry.short_title}", "其他"]
        assert f"{entry.id} {entry.short_title}" in rule.prompt
    assert sorted(segments.values()) == ["P_L-F_L-K_L", "P_S-F_S-K_S"]  # S001, S002: one rule each
    assert len(rules) == 2
    info = {row[0]: row[1] for row in wb["说明"].iter_rows(min_row=2, values_only=True)}
    assert info["使用方案"].startswith("这次通话用了学员所在分层方案库里的哪条办法")


def test_a_fifth_of_the_routine_calls_are_held_out_and_said_so(held_out_weeks):
    """holdout_share = 0.2 with a fixed seed: 5 of the 30 students the plan would call are off the first
    sheet; the one who rates the course 1 star the next week stays off (only a promise brings a
    held-out student back); the third week the kept students are due again and the held-out ones still off."""
    import openpyxl

    from ..weeks import HELD, WEEKS, sheet

    folder, found = held_out_weeks
    held = ["H02", "H15", "H25", "H29", "H30"]
    assert found["held"] == held
    assert found["on_sheet"][1] == [sid for sid in HELD if sid not in held]
    assert found["on_sheet"][2] == []  # a low rating is a risk, not a promise: the round holds
    assert sorted(found["on_sheet"][3]) == found["on_sheet"][1]
    info = {row[0]: row[1] for row in openpyxl.load_workbook(sheet(folder, "王老师", 1))["说明"].iter_rows(values_only=True)}
    assert info["本周该打"] == (
        "25 人；本表 25 人（其中答应过的 0 人一个不落；其余按每周上限 40），顺延到下周 0 人；另有 5 人抽签留作对照，本周不打（pfk.toml [plan] holdout_share）"
    )
    assert WEEKS[0] == info["回访表日期"]


def _made_again(folder):
    """Regenerating a sheet already filled in is refused (it would be lost): move it aside first, as the team does."""
    from ..weeks import sheet

    filled = sheet(folder, "王老师", 3)
    filled.rename(filled.with_name("已导入-" + filled.name))


def test_the_console_says_how_many_were_held_out(invoke, held_out_weeks):
    _made_again(held_out_weeks[0])
    result = invoke("callsheet", "--all", "--as-of", "2026-11-23")
    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if line.startswith("│ 王老师"))
    # Made again after three of the 25 were reached today: the 5 held out still are.
    assert [cell.strip() for cell in row.strip("│").split("│")][:6] == ["王老师", "30", "22", "22", "0", "5"]
    assert "留出对照：5 人抽签留出，本轮不打" in result.stdout


def test_holdout_share_0_turns_it_off(invoke, held_out_weeks):
    folder, _ = held_out_weeks
    toml = folder / "pfk.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("holdout_share = 0.2", "holdout_share = 0"), encoding="utf-8")
    _made_again(folder)
    result = invoke("callsheet", "--all", "--as-of", "2026-11-23")
    assert result.exit_code == 0, result.output
    assert "留出" not in result.stdout
    row = next(line for line in result.stdout.splitlines() if line.startswith("│ 王老师"))
    assert [cell.strip() for cell in row.strip("│").split("│")][:5] == ["王老师", "30", "27", "27", "0"]  # the 5 are back


def test_solutions_without_an_id_are_named_with_the_fix(invoke, workspace):
    path = workspace / "playbooks" / "P_L-F_L-K_L.yaml"
    path.write_text("\n".join(line for line in path.read_text(encoding="utf-8").splitlines() if not line.strip().startswith("id:")) + "\n", encoding="utf-8")
    result = invoke("callsheet", "--all", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert "playbooks/P_L-F_L-K_L.yaml: 1 条方案还没有编号，回访表的「使用方案」里列不出来：运行 pfk playbook ids 补上  [solution_without_id]" in result.stderr
    lists = callsheet_of(workspace)["方案选项"]
    assert [lists["A1"].value, lists["A2"].value] == ["P_L-F_L-K_L", "其他"]


def test_a_solution_added_this_week_is_offered_on_the_sheet(three_weeks):
    """The three recorded weeks (tests/weeks.py): 张老师 added a solution before the first sheet; her
    重点挽留 rows offer it (id and short title), beside the playbook's own and 其他."""
    import openpyxl

    from ..weeks import sheet

    folder, ids = three_weeks
    wb = openpyxl.load_workbook(sheet(folder, "张老师", 1))
    ws = wb["回访表"]
    header = [c.value for c in ws[1]]
    column = "ABCDEFGHIJKLMNOP"[header.index("使用方案")]
    (rule,) = [rule for rule in ws.data_validations.dataValidation if str(rule.sqref).startswith(column)]
    assert (rule.type, str(rule.sqref), rule.formula1) == ("list", f"{column}2:{column}11", "'方案选项'!$G$2:$G$4")
    lists = wb["方案选项"]
    assert [lists[f"G{row}"].value for row in range(1, 5)] == ["P_S-F_S-K_L", f"{ids['default']} 学员觉得课程太基础", f"{ids['new']} 约定补课计划", "其他"]
    assert rule.prompt.splitlines()[1:] == [f"{ids['default']} 学员觉得课程太基础", f"{ids['new']} 约定补课计划"]
    # What the teacher picked is what was recorded.
    assert ws.cell(2, header.index("使用方案") + 1).value == f"{ids['new']} 约定补课计划"


@pytest.fixture
def finished(invoke, tmp_path):
    """Six students of 张老师 on a course that ended 2026-10-31, none renewed; S006 never started."""
    from ..conftest import HEADER, student, write_xlsx

    assert invoke("init", ".").exit_code == 0
    header = [*HEADER, "最近学习时间", "开课日期", "课程结束日期"]
    course = [dt.datetime(2026, 7, 1), dt.datetime(2026, 10, 31)]
    rows = [header] + [[*student(f"S00{i}", f"学员{i}", "张老师", 3 + i, 20, 4, 4), dt.datetime(2026, 10, 20), *course] for i in range(1, 6)]
    rows.append([*student("S006", "学员6", "张老师", 0, 0, None, None), None, *course])
    write_xlsx(tmp_path / "roster.xlsx", rows)
    return tmp_path


def test_a_finished_course_says_why_there_is_nothing_to_call_and_what_instead(invoke, finished):
    """23 days after the end: everyone has passed the renewal window into the pool. Both commands say
    so, and where to go (the pool, the next cohort for the one who never started), for --all and for
    the teacher named (who now holds nobody)."""
    assert invoke("classify", "roster.xlsx", "--as-of", AS_OF).exit_code == 0
    said = "课程已于 2026-10-31 结束，{}；已进入公海的 6 人用 pfk pool list 查看原因；从没开始学的 1 人建议转下期：和学员确认后放进下一期的名单"
    for command, nothing in (("callsheet", "没有要打的回访"), ("messages", "没有要发的消息")):
        result = invoke(command, "--all", "--as-of", AS_OF)
        assert result.exit_code == 0, result.output
        assert said.format(nothing) in result.stdout
        result = invoke(command, "--teacher", "张老师", "--as-of", AS_OF)
        assert result.exit_code == 2
        assert result.stderr.strip() == f"错误：张老师：{said.format(nothing)}"


def test_within_the_renewal_window_the_one_who_never_started_is_called_about_the_next_cohort(invoke, finished):
    """Five days after the end, five reached on the day after it: the one who never started (S006) is
    the only call left — about the next cohort (转下期), not a renewal."""
    from ..conftest import callsheet_rows, fill_callsheet

    assert invoke("classify", "roster.xlsx", "--as-of", "2026-11-01").exit_code == 0
    assert invoke("callsheet", "--all", "--as-of", "2026-11-01").exit_code == 0
    reached = {f"S00{i}": {"回访结果": "已接通", "P（1-5）": 4, "K（1-5）": 4, "下次跟进日期": "2026-12-01"} for i in range(1, 6)}
    sheet = fill_callsheet(finished / "callsheets" / "张老师-2026-11-01.xlsx", reached)
    assert invoke("record", sheet).exit_code == 0
    sheet.rename(sheet.with_name("已导入-" + sheet.name))
    assert invoke("classify", "roster.xlsx", "--as-of", "2026-11-05", "-o", "later.xlsx").exit_code == 0
    result = invoke("callsheet", "--all", "--as-of", "2026-11-05")
    assert result.exit_code == 0, result.output
    _, rows = callsheet_rows(finished / "callsheets" / "张老师-2026-11-05.xlsx")
    assert [(row["学号"], row["为什么现在打"]) for row in rows] == [("S006", "一直没开始学：谈转下期")]