"""The command line's own words in Chinese: help pages, usage lines, and errors in the command line.

Typer (0.29) ships its own copy of click, in which click's messages are plain English f-strings
("Missing argument …", "No such option: …") with no gettext call left to translate, and type errors
come from pydantic ("Input should be a valid integer …"). A translation table over those sentences
would break silently whenever either library rewords one. So pfk takes over the two places where
they reach the user, through click's documented extension points:

- **Help**: `Command`/`Group` subclasses (typer's `cls=`) lay out the usage line and the options
  themselves from each parameter's attributes (names, metavar, help, required, range), with a
  `HelpFormatter` (`Context.formatter_class`) that wraps by display width — a Chinese character
  takes two columns, and a line may break between any two of them — instead of click's
  character count and spaces.
- **Errors**: the top group runs click in non-standalone mode and renders every click exception
  from its type and attributes (the parameter, the option name, pydantic's stable error codes),
  not from its English text. A message pfk does not recognise still gets a Chinese line (the
  original only with --debug), so no English word from click reaches the user.

Nothing here imports rich or pandas: `pfk --help` passes through it.
"""

from __future__ import annotations

import difflib
import inspect
import re
import sys
import unicodedata
from collections.abc import Sequence
from typing import Any

import typer
from typer._click import exceptions as click_errors  # the click that typer vendors
from typer._click.formatting import HelpFormatter
from typer.core import TyperCommand, TyperGroup

from . import common

HELP_OPTION_TEXT = "显示这份说明，然后退出。"
OPTIONS_METAVAR = "[选项]"
SUBCOMMAND_METAVAR = "命令 [参数]..."

# --- wrapping by display width ------------------------------------------------------------------

# Never at the start of a line (closing marks) or at its end (opening marks), as Chinese typesetting does.
_NO_LINE_START = set("，。、；：！？）》」』】〕〉’”…,.;:!?)]}％%")
_NO_LINE_END = set("（《「『【〔〈‘“([{")


def display_width(text: str) -> int:
    """Columns `text` takes on a terminal: two for a wide (CJK, full-width) character."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in "WF"


def _tokens(text: str) -> list[str]:
    """Pieces a line may break between: each wide character alone, each run of narrow non-space
    characters (a word, an option, a path) whole, each run of spaces."""
    tokens: list[str] = []
    for match in re.finditer(r"\s+|[^\s]", text):
        piece = match.group()
        joins_word = (
            tokens
            and not piece.isspace()
            and not _is_wide(piece)
            and not tokens[-1].isspace()
            and not _is_wide(tokens[-1][-1])
        )
        if joins_word:
            tokens[-1] += piece
        else:
            tokens.append(piece)
    # Closing marks stay with what they close, opening marks with what they open.
    merged: list[str] = []
    for piece in tokens:
        if merged and not piece.isspace() and not merged[-1].isspace():
            if piece[0] in _NO_LINE_START or merged[-1][-1] in _NO_LINE_END:
                merged[-1] += piece
                continue
        merged.append(piece)
    return merged


def wrap(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` columns, Chinese broken between characters, other words
    kept whole (a word longer than a line is cut). Line breaks in `text` are kept."""
    width = max(width, 10)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, used, space = "", 0, False
        for piece in _tokens(paragraph):
            if piece.isspace():
                space = bool(line)
                continue
            size = display_width(piece)
            gap = 1 if space else 0
            if line and used + gap + size > width:
                lines.append(line)
                line, used, gap = "", 0, 0
            while size > width:  # a path or URL longer than a whole line
                cut = _fit(piece, width - used)
                lines.append(line + (" " if gap else "") + piece[:cut])
                piece, line, used, gap = piece[cut:], "", 0, 0
                size = display_width(piece)
            line += (" " if gap else "") + piece
            used += gap + size
            space = False
        lines.append(line)
    return lines


def _fit(piece: str, columns: int) -> int:
    """How many leading characters of `piece` fit in `columns` (at least one)."""
    used = 0
    for index, char in enumerate(piece):
        used += 2 if _is_wide(char) else 1
        if used > columns:
            return max(index, 1)
    return len(piece)


def _join_lines(text: str) -> str:
    """A paragraph's source lines as one: a space between words, none between Chinese characters."""
    joined = ""
    for line in text.splitlines():
        line = line.strip()
        if joined and line and not (_is_wide(joined[-1]) and _is_wide(line[0])):
            joined += " "
        joined += line
    return joined


class ChineseHelpFormatter(HelpFormatter):
    """click's formatter with Chinese headings and usage prefix, wrapping by display width."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        prefix = f"{'':>{self.current_indent}}{'用法：' if prefix is None else prefix}{prog} "
        indent = " " * display_width(prefix)
        lines = wrap(args, self.width - display_width(prefix))
        self.write(prefix + f"\n{indent}".join(lines) + "\n")

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{heading}：\n")

    def write_text(self, text: str) -> None:
        indent = " " * self.current_indent
        paragraphs = [_join_lines(p) for p in re.split(r"\n\s*\n", text) if p.strip()]
        blocks = ["\n".join(indent + line for line in wrap(p, self.width - self.current_indent)) for p in paragraphs]
        self.write("\n\n".join(blocks) + "\n")

    def write_dl(self, rows: Sequence[tuple[str, str]], col_max: int = 30, col_spacing: int = 2) -> None:
        rows = list(rows)
        if not rows:
            return
        first_width = min(max(display_width(first) for first, _ in rows), col_max) + col_spacing
        text_width = max(self.width - self.current_indent - first_width, 20)
        for first, second in rows:
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if display_width(first) <= first_width - col_spacing:
                self.write(" " * (first_width - display_width(first)))
            else:  # a long option: its text starts on the next line
                self.write("\n" + " " * (first_width + self.current_indent))
            lines = wrap(second, text_width)
            self.write(lines[0] + "\n")
            for line in lines[1:]:
                self.write(" " * (first_width + self.current_indent) + line + "\n")


class ChineseContext(typer.Context):
    formatter_class = ChineseHelpFormatter


# --- help pages ---------------------------------------------------------------------------------


def _argument_name(param) -> str:
    return param.metavar or param.name


def _option_names(param) -> str:
    names = ", ".join(sorted(param.opts, key=len))
    if param.secondary_opts:
        names += " / " + ", ".join(param.secondary_opts)
    return names


def _help_record(param) -> tuple[str, str]:
    """(names, text) of one parameter, in Chinese. Defaults are not added: each help text says its
    default in words ("默认：名单旁边的 …"), which a bare `[default: None]` never could."""
    if param.param_type_name == "argument":
        names = _argument_name(param) + ("..." if param.nargs != 1 else "")
    else:
        names = _option_names(param)
        if not getattr(param, "is_flag", False):
            names += f" {param.metavar or '值'}"
    notes = []
    low, high = getattr(param, "min", None), getattr(param, "max", None)
    if low is not None:
        notes.append(f"≥ {low}")
    if high is not None:
        notes.append(f"≤ {high}")
    if param.required and param.param_type_name == "option":
        notes.append("必填")
    text = param.help or ""
    if notes:
        body, stop = (text[:-1], "。") if text.endswith("。") else (text, "")
        text = f"{body}（{'，'.join(notes)}）{stop}"
    return names, text


def _usage_pieces(command, ctx) -> list[str]:
    pieces = [OPTIONS_METAVAR]
    for param in command.get_params(ctx):
        if param.param_type_name != "argument":
            continue
        name = _argument_name(param)
        name = name if param.required else f"[{name}]"
        pieces.append(name + ("..." if param.nargs != 1 else ""))
    return pieces


def _format_params(command, ctx, formatter) -> None:
    arguments, options = [], []
    for param in command.get_params(ctx):
        if getattr(param, "hidden", False):
            continue
        (arguments if param.param_type_name == "argument" else options).append(_help_record(param))
    if arguments:
        with formatter.section("参数"):
            formatter.write_dl(arguments)
    if options:
        with formatter.section("选项"):
            formatter.write_dl(options)


def _chinese_help_option(option):
    if option is not None:
        option.help = HELP_OPTION_TEXT
    return option


class Command(TyperCommand):
    """A pfk command: Chinese help (see the module's docstring)."""

    context_class = ChineseContext

    def collect_usage_pieces(self, ctx) -> list[str]:
        return _usage_pieces(self, ctx)

    def format_options(self, ctx, formatter) -> None:
        _format_params(self, ctx, formatter)

    def get_help_option(self, ctx):
        return _chinese_help_option(super().get_help_option(ctx))


class Group(TyperGroup):
    """A group of pfk commands: Chinese help; as the top group, Chinese errors (see `main`)."""

    context_class = ChineseContext

    def collect_usage_pieces(self, ctx) -> list[str]:
        return [*_usage_pieces(self, ctx), SUBCOMMAND_METAVAR]

    def format_options(self, ctx, formatter) -> None:
        _format_params(self, ctx, formatter)
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, _summary(command)))
        if rows:
            with formatter.section("命令"):
                formatter.write_dl(rows)

    def get_help_option(self, ctx):
        return _chinese_help_option(super().get_help_option(ctx))

    def resolve_command(self, ctx, args):
        # An unknown command is named here, in Chinese, with the closest ones; an option in its
        # place (`pfk --bad`) is left to click, which reports it as an unknown option.
        name = args[0]
        if self.get_command(ctx, name) is None and not name.startswith("-") and not ctx.resilient_parsing:
            ctx.fail(unknown_command(name, list(self.commands)))
        return super().resolve_command(ctx, args)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra) -> Any:
        """Run the command line; click's own errors are shown here, in Chinese, then the process
        exits as click would (2 for a usage error, 1 for an abort)."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        prepare_streams()
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click_errors.NoArgsIsHelpError as exc:  # `pfk`, `pfk playbook`: the help page
            typer.echo(exc.ctx.get_help(), err=True)
            sys.exit(exc.exit_code)
        except click_errors.ClickException as exc:
            typer.echo("\n".join(error_lines(exc)), err=True)
            sys.exit(exc.exit_code)
        except typer.Abort:  # Ctrl-C or end of input at a prompt
            typer.echo("\n已取消。", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


# The signs pfk prints that GBK lacks, each as the nearest sign it has.
_NEAREST_SIGNS = {"✓": "√", "›": ">", "⠋": "", "⠙": "", "⠹": "", "⠸": "", "⠼": "", "⠴": "", "⠦": "", "⠧": "", "⠇": "", "⠏": ""}


def _nearest_sign(error: UnicodeError) -> tuple[str, int]:
    text = error.object[error.start : error.end]
    return "".join(_NEAREST_SIGNS.get(char, "?") for char in text), error.end


def prepare_streams() -> None:
    """Make stdout and stderr able to print what pfk prints.

    A stream whose encoding cannot write Chinese (ASCII under a bare C locale or
    PYTHONIOENCODING=ascii, cp1252 on an English Windows when output is redirected) is switched to
    UTF-8. One that can (GBK/cp936: a Chinese Windows writing to a pipe or a file) keeps its encoding,
    which the program reading it expects, and writes the few signs it lacks (✓, ›) as the nearest it
    has (√, >) instead of ending the run with a UnicodeEncodeError. Windows' own console takes
    Unicode from Python whatever its code page.
    """
    import codecs

    codecs.register_error("pfk-nearest", _nearest_sign)
    for stream in (sys.stdout, sys.stderr):
        encoding = getattr(stream, "encoding", None) or "ascii"
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is None:  # replaced by something that is not a text stream (a test's capture)
            continue
        try:
            "中文".encode(encoding)
        except (LookupError, UnicodeEncodeError):
            reconfigure(encoding="utf-8", errors="replace")
        else:
            reconfigure(errors="pfk-nearest")


def unknown_command(name: str, commands: list[str]) -> str:
    text = f"没有「{clip(name)}」这个命令"
    close = difflib.get_close_matches(name, commands, n=3)
    if close:
        return f"{text}，是不是 {' 或 '.join(close)}？"
    return f"{text}。可用的命令：{'、'.join(commands)}"


def _summary(command) -> str:
    """A command's first paragraph of help, as the list of commands shows it."""
    if command.short_help:
        return command.short_help
    return _join_lines(inspect.cleandoc(command.help or "").split("\n\n")[0])


# --- errors -------------------------------------------------------------------------------------


def error_lines(exc) -> list[str]:
    """What pfk prints for a click exception: `错误：…`, then the usage line and where to read more."""
    lines = [f"错误：{error_message(exc)}"]
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        lines.append(ctx.get_usage())
        lines.append(f"详细说明：{ctx.command_path} --help")
    if common.debug_mode["on"]:  # `pfk --debug …` or PFK_DEBUG: click's own words, for a bug report
        lines.append(f"（click 原文：{exc.format_message()}）")
    return lines


def error_message(exc) -> str:
    """The Chinese sentence for one click exception, built from its type and attributes."""
    if isinstance(exc, click_errors.MissingParameter):
        return _missing(exc)
    if isinstance(exc, click_errors.BadParameter):
        if exc.param is None and _has_chinese(exc.message):  # pfk's own, naming the option itself
            return exc.message
        return f"{_param_hint(exc)}：{_bad_value(exc)}"
    if isinstance(exc, click_errors.NoSuchOption):
        return _no_such_option(exc)
    if isinstance(exc, click_errors.BadOptionUsage):
        return _bad_option_usage(exc)
    if isinstance(exc, click_errors.FileError):
        return f"打不开文件「{clip(exc.ui_filename)}」"
    if _has_chinese(exc.message):  # raised by pfk itself, already in Chinese
        return exc.message
    return _usage_sentence(exc)


def clip(text: object, limit: int = 40) -> str:
    """A value quoted in a message, cut to `limit` characters: a message never repeats a whole input."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


def _param_name(param) -> str:
    if param is None:
        return "参数"
    if param.param_type_name == "argument":
        return _argument_name(param)
    return "/".join(param.opts) if param.opts else param.name


def _param_hint(exc) -> str:
    param = exc.param
    if param is None:
        return "值不对"
    if param.param_type_name == "argument":
        return f"参数 {_argument_name(param)} 的值不对"
    return f"选项 {_param_name(param)} 的值不对"


def _missing(exc) -> str:
    param = exc.param
    if param is None:
        return "缺少参数"
    if param.param_type_name == "argument":
        help_text = (param.help or "").rstrip("。")
        about = f"：{help_text}" if help_text and help_text != _argument_name(param) else ""
        return f"缺少参数「{_argument_name(param)}」{about}"
    return f"缺少选项 {_param_name(param)}"


# pydantic's error codes (stable across its releases) → the reason, from the error's own input and limits.
_PYDANTIC_REASONS = {
    "int_parsing": "「{input}」不是整数",
    "int_from_float": "「{input}」不是整数",
    "int_type": "「{input}」不是整数",
    "float_parsing": "「{input}」不是数字",
    "float_type": "「{input}」不是数字",
    "decimal_parsing": "「{input}」不是数字",
    "bool_parsing": "「{input}」不是是或否（可写 yes/no、true/false、1/0）",
    "bool_type": "「{input}」不是是或否（可写 yes/no、true/false、1/0）",
    "greater_than_equal": "不能小于 {ge}（写的是 {input}）",
    "greater_than": "须大于 {gt}（写的是 {input}）",
    "less_than_equal": "不能大于 {le}（写的是 {input}）",
    "less_than": "须小于 {lt}（写的是 {input}）",
    "date_parsing": "「{input}」不是日期，请写成 2026-11-23",
    "date_from_datetime_parsing": "「{input}」不是日期，请写成 2026-11-23",
    "datetime_parsing": "「{input}」不是日期时间",
    "datetime_from_date_parsing": "「{input}」不是日期时间",
    "string_too_short": "不能为空",
    "missing": "缺少这个值",
}

# The few sentences typer writes itself about paths; matched loosely, each with a Chinese reason.
_PATH_REASONS = (
    (re.compile(r"'(?P<path>.*)' does not exist"), "「{path}」不存在"),
    (re.compile(r"'(?P<path>.*)' is a directory"), "「{path}」是文件夹，这里要的是文件"),
    (re.compile(r"'(?P<path>.*)' is a file"), "「{path}」是文件，这里要的是文件夹"),
    (re.compile(r"'(?P<path>.*)' is not readable"), "没有权限读取「{path}」"),
    (re.compile(r"'(?P<path>.*)' is not writable"), "没有权限写入「{path}」"),
)


def _bad_value(exc) -> str:
    """Why a value was refused: pfk's own reason, pydantic's error code, or typer's path checks."""
    if _has_chinese(exc.message):
        return exc.message
    errors = getattr(exc.__cause__, "errors", None)
    if callable(errors):
        try:
            first = errors()[0]
        except (IndexError, TypeError, ValueError):
            first = None
        if first:
            reason = _PYDANTIC_REASONS.get(first.get("type", ""))
            if reason:
                values = {key: clip(value) for key, value in (first.get("ctx") or {}).items()}
                return reason.format_map({**values, "input": clip(first.get("input", ""))})
            return f"「{clip(first.get('input', ''))}」不是可用的值"
    for pattern, reason in _PATH_REASONS:
        match = pattern.search(exc.message)
        if match:
            return reason.format(path=clip(match.group("path")))
    return "写法不对"


def _no_such_option(exc) -> str:
    text = f"没有 {clip(exc.option_name)} 这个选项"
    possibilities = sorted(exc.possibilities or [])
    if possibilities:
        text += f"，是不是想用 {' 或 '.join(possibilities[:3])}？"
    return text


def _bad_option_usage(exc) -> str:
    option = clip(exc.option_name)
    if "does not take a value" in exc.message:
        return f"{option} 是开关，后面不能跟值"
    if "requires" in exc.message:
        return f"{option} 后面要跟一个值"
    return f"{option} 的用法不对"


_UNKNOWN_COMMAND = re.compile(r"No such command '(?P<name>.*?)'\.")
_EXTRA_ARGUMENTS = re.compile(r"unexpected extra argument(?:\(s\)|s)? \((?P<extra>.*)\)")


def _usage_sentence(exc) -> str:
    """A plain usage error (no parameter attached): an unknown command, a missing command, extra
    arguments; anything else gets a general sentence rather than click's English."""
    ctx = exc.ctx
    unknown = _UNKNOWN_COMMAND.search(exc.message)
    if unknown:
        commands = list(getattr(ctx.command, "commands", {})) if ctx is not None else []
        return unknown_command(unknown.group("name"), commands)
    if "Missing command" in exc.message:
        return "缺少命令"
    extra = _EXTRA_ARGUMENTS.search(exc.message)
    if extra:
        return f"多出了参数：{clip(extra.group('extra'))}"
    return "命令行的写法不对"

