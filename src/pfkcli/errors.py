"""Errors and validation findings.

Problems in user data are data: each `Problem` carries the file, sheet, Excel row number and column
header it is about, a stable code and a Chinese message. Commands collect them all and raise one
`InvalidInput`; the CLI prints them and exits 2.
"""

from __future__ import annotations

from dataclasses import dataclass


# A plain dataclass, not a pydantic model: every command imports this module, `pfk --help` included,
# and pydantic alone costs a tenth of a second to import.
@dataclass(kw_only=True)
class Problem:
    """One finding about an input file, located the way a spreadsheet user finds it."""

    file: str
    sheet: str | None = None
    row: int | None = None  # Excel's own row number (1-based)
    column: str | None = None  # the header text as the user wrote it
    code: str
    message: str

    def location(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(self.sheet)
        if self.row is not None:
            parts.append(f"第{self.row}行")
        where = " › ".join(parts)
        if self.column:
            where = f"{where} › {self.column}"
        return where

    def line(self) -> str:
        """`roster.xlsx › 学员名单 › 第17行 › 作业完成次数: "十" 不是数字`"""
        return f"{self.location()}: {self.message}"


class PfkError(Exception):
    """Base of every error pfk reports to the user as one clear line. `exit_code` is what the CLI returns."""

    exit_code = 2

    def __init__(self, message: str, detail: str | None = None):
        super().__init__(message)
        self.message = message
        # What a library said, in its own words: shown with --debug only (a note on the traceback),
        # never in the one line.
        self.detail = detail
        if detail:
            self.add_note(detail)


class InputError(PfkError):
    """An input file cannot be used at all (missing, not a spreadsheet, empty, encrypted)."""


class InvalidInput(PfkError):
    """An input file was read, but some of its cells are wrong. Carries every problem found."""

    def __init__(self, problems: list[Problem], warnings: list[Problem] | None = None):
        self.problems = problems
        self.warnings = warnings or []
        super().__init__(f"输入有 {len(problems)} 处问题，未写出任何文件")


class OutputError(PfkError):
    """An output cannot be written (folder missing, file locked, disk full, would overwrite an input)."""


class ConfigError(PfkError):
    """pfk.toml or a playbook is not usable."""


class LostHistory(PfkError):
    """The workspace's history store is missing, empty or broken where the workspace shows it had one."""


class ForeignHistory(PfkError):
    """The history store (or a backup to restore) belongs to another workspace: its id is not this one's."""


class UsageError(PfkError):
    """The command was asked for something that does not exist (unknown teacher, segment, student)."""
