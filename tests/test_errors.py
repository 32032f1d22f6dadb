"""A problem in user data is located the way a spreadsheet user finds it."""

from __future__ import annotations

from pfkcli.errors import InvalidInput, OutputError, Problem


def test_a_problem_names_file_sheet_row_and_column():
    problem = Problem(file="roster.xlsx", sheet="学员名单", row=17, column="作业完成次数", code="bad_number", message='"十" 不是数字')
    assert problem.line() == 'roster.xlsx › 学员名单 › 第17行 › 作业完成次数: "十" 不是数字'
    assert Problem(file="events.csv", code="blank_rows", message="跳过 2 个空行").location() == "events.csv"


def test_errors_carry_an_exit_code_and_keep_the_libraries_words_apart():
    error = OutputError("报表.xlsx: 无法写入（磁盘已满）", detail="OSError: [Errno 28] No space left on device")
    assert (error.exit_code, error.message, error.detail) == (2, "报表.xlsx: 无法写入（磁盘已满）", "OSError: [Errno 28] No space left on device")
    assert InvalidInput([Problem(file="a", code="x", message="y")]).message == "输入有 1 处问题，未写出任何文件"
