"""Playbooks: what to do with each segment, and the problems and solutions the team has met.

One YAML file per segment in the workspace (`playbooks/P_S-F_S-K_L.yaml`, pending callback in
`playbooks/待回访.yaml`); a segment without a workspace file uses the default one shipped with pfk (the
repository's top-level `playbooks/`, packaged as `pfkcli.default_playbooks`). Teachers grow the
`problems` list with `pfk playbook add`, which edits the file round-trip so the git diff is the new
entry alone. Every function takes the workspace's playbook folder (None: no workspace).

ruamel.yaml is imported inside the functions that read or write YAML: `pfk --help` never loads it.
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import io
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from .errors import ConfigError, UsageError
from .segments import ALL_SEGMENTS, BY_CODE, parse_segment

# The default playbooks: a folder of the package (importlib finds it in a wheel and an editable install).
BUILTIN_DIR = Path(str(importlib.resources.files("pfkcli.default_playbooks")))
SUFFIX = ".yaml"
# The standard scenarios of seed 002's script table; a team may add its own keys under `scripts`.
SCRIPT_SCENARIOS = ("首次联系", "进度跟进", "投诉处理", "续费沟通")

NonEmptyText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class ProblemEntry(BaseModel):
    """A problem met with students of one segment, and the solution that worked."""

    model_config = ConfigDict(extra="forbid")

    problem: NonEmptyText
    solution: NonEmptyText
    author: NonEmptyText
    date: dt.date


class Playbook(BaseModel):
    """The advice for one segment: who these students are, what to do, what to ask, what was learnt."""

    model_config = ConfigDict(extra="forbid")

    code: str
    name: NonEmptyText
    portrait: NonEmptyText
    strategy: NonEmptyText
    questions: list[NonEmptyText] = Field(min_length=1)
    problems: list[ProblemEntry] = []
    scripts: dict[str, NonEmptyText] = {}

    @field_validator("code")
    @classmethod
    def _known_code(cls, code: str) -> str:
        if code not in BY_CODE:
            raise ValueError(f"{code} 不是分层代码，可用：{'、'.join(BY_CODE)}")
        return code

    @field_validator("problems", "scripts", mode="before")
    @classmethod
    def _blank_is_empty(cls, value: Any, info: ValidationInfo) -> Any:
        # `problems:` left with nothing under it (every entry deleted) means none yet.
        if value is None:
            return [] if info.field_name == "problems" else {}
        return value

    @property
    def headline(self) -> str:
        """The strategy's first sentence, short enough for a spreadsheet cell.

        A strategy starting "重点挽留：让他重视课程。先弄清楚……" has the headline "重点挽留：让他重视课程。".
        """
        first_line = self.strategy.splitlines()[0].strip()
        match = re.match(r".+?[。！？!?；;]", first_line)
        return match.group(0) if match else first_line


class PlaybookSummary(BaseModel):
    """One row of `pfk playbook list`."""

    code: str
    name: str
    problem_count: int
    last_change: dt.date  # newest problem's date, else the file's modification date
    path: Path
    builtin: bool  # True: the workspace has no file for this segment, the shipped one is used


def builtin_playbook_files() -> list[Path]:
    """The nine shipped playbook files, in segment order, pending callback last."""
    return [BUILTIN_DIR / f"{segment.code}{SUFFIX}" for segment in ALL_SEGMENTS]


def playbook_path(folder: Path | None, code: str) -> Path:
    """Where the workspace keeps the playbook of `code` (it may not exist yet): `playbooks/<code>.yaml`.

    Pending callback is `playbooks/待回访.yaml`. Raises UsageError with no workspace (`folder` None).
    """
    if code not in BY_CODE:
        raise UsageError(f"{code} 不是分层代码，可用：{'、'.join(BY_CODE)}")
    if folder is None:
        raise UsageError("当前目录不在 pfk 工作区内（找不到 pfk.toml）：先运行 pfk init 创建工作区，再修改话术。")
    return folder / f"{code}{SUFFIX}"


def playbook_source(folder: Path | None, code: str) -> Path:
    """The file the playbook of `code` is read from: the workspace's when it exists, else the default."""
    if folder is not None:
        path = playbook_path(folder, code)
        if path.is_file():
            return path
    return BUILTIN_DIR / f"{code}{SUFFIX}"


def load_playbook(folder: Path | None, code: str) -> Playbook:
    """Read and validate one playbook; a broken file raises ConfigError naming the file and its problems."""
    path = playbook_source(folder, code)
    playbook, problems = _read(path, _display(folder, path), code)
    if problems:
        raise ConfigError("\n".join([*problems, "运行 pfk playbook check 查看所有话术文件的问题。"]))
    return playbook


def load_playbooks(folder: Path | None) -> dict[str, Playbook]:
    """Every segment's playbook keyed by code (pending callback under "待回访"), workspace first."""
    return {segment.code: load_playbook(folder, segment.code) for segment in ALL_SEGMENTS}


def list_playbooks(folder: Path | None) -> list[PlaybookSummary]:
    """Code, name, number of problems and last change of every playbook, in segment order."""
    summaries = []
    for code, playbook in load_playbooks(folder).items():
        path = playbook_source(folder, code)
        if playbook.problems:
            last_change = max(entry.date for entry in playbook.problems)
        else:
            last_change = dt.date.fromtimestamp(path.stat().st_mtime)
        summaries.append(
            PlaybookSummary(
                code=code,
                name=playbook.name,
                problem_count=len(playbook.problems),
                last_change=last_change,
                path=path,
                builtin=path.parent == BUILTIN_DIR,
            )
        )
    return summaries


def check_playbooks(folder: Path | None) -> list[str]:
    """Every problem in the workspace's playbook files, one line each, e.g.

    `playbooks/P_S-F_S-K_L.yaml: problems[2].solution: 不能为空（第 41 行）`.
    With no workspace, the default files are checked. An empty list means all is well.
    """
    if folder is None:
        files = builtin_playbook_files()
    elif folder.is_dir():
        files = [playbook_path(folder, segment.code) for segment in ALL_SEGMENTS]
    else:
        return []
    problems = []
    for path in files:
        if path.is_file():
            problems += _read(path, _display(folder, path), path.stem)[1]
    if folder is not None:
        problems += _stray_files(folder)
    return problems


def add_problem(folder: Path | None, code: str, problem: str, solution: str, author: str, today: dt.date) -> Path:
    """Append one problem entry to the workspace playbook of `code`; returns the file changed.

    The file is edited round-trip: comments, key order, quoting, indentation and line breaks stay as
    they were, so `git diff` shows the new entry alone. A segment with no workspace file yet gets a
    copy of the default first.
    """
    try:
        entry = ProblemEntry(problem=problem, solution=solution, author=author, date=today)
    except ValidationError as exc:
        fields = {"problem": "问题", "solution": "解决办法", "author": "作者"}
        missing = "、".join(fields.get(str(error["loc"][0]), str(error["loc"][0])) for error in exc.errors())
        raise UsageError(f"{missing}不能为空") from None

    path = playbook_path(folder, code)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(BUILTIN_DIR / f"{code}{SUFFIX}", path)

    display = _display(folder, path)
    raw = path.read_bytes()
    bom = raw.startswith(b"\xef\xbb\xbf")
    newline = "\r\n" if b"\r\n" in raw else "\n"
    try:
        text = raw.decode("utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError:
        raise ConfigError(f"{display}: 不是 UTF-8 编码的文本文件") from None
    _, problems = _validate_text(text, display, code)
    if problems:
        raise ConfigError("\n".join([*problems, "先修好这个文件（pfk playbook check），再添加新条目。"]))

    new_text = _append_entry(text, entry)
    _write_atomically(path, new_text.replace("\n", newline).encode("utf-8"), bom)
    return path


# --- reading and validating -------------------------------------------------------------------------


def _display(folder: Path | None, path: Path) -> str:
    """The path as problems name it: relative to the workspace (`playbooks/X.yaml`) or the package."""
    for base in (folder.parent if folder is not None else None, BUILTIN_DIR.parent):
        if base is not None and path.is_relative_to(base):
            return path.relative_to(base).as_posix()
    return str(path)


def _rt_yaml():
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 1_000_000  # never re-wrap a teacher's long line
    yaml.allow_unicode = True
    return yaml


def _read(path: Path, display: str, expected_code: str) -> tuple[Playbook | None, list[str]]:
    return _parse(path.read_bytes(), display, expected_code)


def _parse(raw: bytes, display: str, expected_code: str) -> tuple[Playbook | None, list[str]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, [f"{display}: 不是 UTF-8 编码的文本文件"]
    # Line ends as a text file is read: \r\n and \r become \n.
    return _validate_text(text.replace("\r\n", "\n").replace("\r", "\n"), display, expected_code)


def _validate_text(text: str, display: str, expected_code: str) -> tuple[Playbook | None, list[str]]:
    """Parse and validate one playbook's text; the problems found, each pointing inside the file."""
    from ruamel.yaml.error import YAMLError

    try:
        data = _rt_yaml().load(text)
    except YAMLError as exc:
        return None, [f"{display}: {_yaml_error_text(exc)}"]
    if data is None:
        return None, [f"{display}: 文件是空的"]
    if not isinstance(data, dict):
        return None, [f"{display}: 应是「字段: 内容」的形式（code、name、portrait……）"]

    problems = []
    playbook = None
    try:
        playbook = Playbook.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = error["loc"]
            problems.append(f"{display}: {_loc_text(loc)}: {_message(error)}{_line_note(data, loc)}")
    code = data.get("code")
    if isinstance(code, str) and code != expected_code and code in BY_CODE:
        problems.append(
            f"{display}: code: 写的是 {code}，与文件名不符（应为 {expected_code}）{_line_note(data, ('code',))}"
        )
    segment = BY_CODE.get(expected_code)
    if segment is not None and code == expected_code and data.get("name") not in (None, segment.name):
        problems.append(f"{display}: name: 应为「{segment.name}」{_line_note(data, ('name',))}")
    return (None if problems else playbook), problems


_YAML_HINTS = {
    "could not find expected ':'": "缺少冒号",
    "mapping values are not allowed here": "冒号用得不对，或缩进不齐",
    "found duplicate key": "同一个字段写了两次",
    "cannot start any token": "不能用 Tab 缩进，请用空格",
    "end of stream": "引号或括号没有配对",
    "<stream end>": "引号或括号没有配对",
    "expected ',' or ']'": "方括号没有配对",
}


def _yaml_error_text(exc: Exception) -> str:
    """`第 5–7 行: YAML 格式错误：缺少冒号（could not find expected ':'）`

    The context mark is where the broken construct began (often the line to fix), the problem mark
    where the parser gave up; both are shown when they differ.
    """
    problem = getattr(exc, "problem_mark", None)
    context = getattr(exc, "context_mark", None)
    lines = sorted({mark.line + 1 for mark in (context, problem) if mark is not None})
    where = f"第 {'–'.join(str(line) for line in lines)} 行: " if lines else ""
    detail = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    hint = next((text for key, text in _YAML_HINTS.items() if key in detail), "")
    return f"{where}YAML 格式错误：{hint}（{detail}）" if hint else f"{where}YAML 格式错误（{detail}）"


def _loc_text(loc: tuple) -> str:
    """('problems', 2, 'solution') -> problems[2].solution"""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "文件"


def _message(error: dict) -> str:
    kind = error["type"]
    if error.get("input", "") is None or kind in ("missing", "string_too_short"):
        return "缺少此项" if kind == "missing" else "不能为空"
    if kind == "too_short":
        return "至少要有 1 条"
    if kind == "extra_forbidden":
        return "不认识的字段（拼写错了？）"
    if kind.startswith("date"):
        return f"「{error['input']}」不是日期，请写成 2026-11-23"
    if kind == "string_type":
        return "应为文字"
    if kind == "list_type":
        return "应为列表（每条一行，以 - 开头）"
    if kind in ("dict_type", "model_type"):
        return "应为「字段: 内容」的形式"
    if kind == "value_error":
        return str(error["ctx"]["error"])
    return error["msg"]


def _line_note(data: Any, loc: tuple) -> str:
    """（第 N 行）: where in the file `loc` is, as far as the loaded YAML knows."""
    line = None
    node = data
    for part in loc:
        lc = getattr(node, "lc", None)
        try:
            if isinstance(part, int) and isinstance(node, list):
                line = lc.item(part)[0] if lc else line
                node = node[part]
            elif isinstance(node, dict) and part in node:
                line = lc.key(part)[0] if lc else line
                node = node[part]
            else:
                break
        except (KeyError, IndexError, TypeError):
            break
    return f"（第 {line + 1} 行）" if line is not None else ""


def _stray_files(folder: Path) -> list[str]:
    """YAML files in playbooks/ that pfk never reads, because their name is not a segment code."""
    expected = {f"{segment.code}{SUFFIX}" for segment in ALL_SEGMENTS}
    problems = []
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.suffix.lower() not in (".yaml", ".yml") or path.name in expected:
            continue
        segment = parse_segment(path.stem)
        if segment:
            hint = f"应命名为 {segment.code}{SUFFIX}"
        else:
            hint = f"文件名应为分层代码，如 {ALL_SEGMENTS[0].code}{SUFFIX}"
        problems.append(f"{_display(folder, path)}: pfk 不会读取这个文件：{hint}")
    return problems


# --- round-trip editing -----------------------------------------------------------------------------


def _append_entry(text: str, entry: ProblemEntry) -> str:
    """`text` with `entry` appended to its `problems` list, everything else as it was."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import LiteralScalarString

    yaml = _rt_yaml()
    data = yaml.load(text)
    yaml.indent(**_indentation(data))
    yaml.explicit_start = _first_content_line(text) == "---"

    def scalar(value: str) -> str:
        return LiteralScalarString(value + "\n") if "\n" in value else value

    new = CommentedMap()
    new["problem"] = scalar(entry.problem)
    new["solution"] = scalar(entry.solution)
    new["author"] = entry.author
    new["date"] = entry.date

    problems = data.get("problems")
    if not isinstance(problems, CommentedSeq):
        problems = CommentedSeq()
        data["problems"] = problems
    elif problems.fa.flow_style():
        problems.fa.set_block_style()
    if problems and isinstance(problems[-1], CommentedMap):
        _move_trailing_comment(problems[-1], new)
    problems.append(new)

    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def _first_content_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            return line.strip()
    return ""


def _indentation(data: Any) -> dict[str, int]:
    """The file's own indentation, read from where ruamel found its nested mappings and lists."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    found = {"mapping": None, "sequence": None, "offset": None}
    # The problems list first: its style is the one the new entry must match.
    for key in sorted(data, key=lambda key: key != "problems"):
        value = data[key]
        key_col = data.lc.key(key)[1]
        if not value or getattr(value, "fa", None) is None or value.fa.flow_style():
            continue
        if isinstance(value, CommentedMap) and found["mapping"] is None:
            found["mapping"] = value.lc.key(next(iter(value)))[1] - key_col
        if isinstance(value, CommentedSeq) and found["sequence"] is None:
            found["offset"] = value.lc.col - key_col
            found["sequence"] = value.lc.item(0)[1] - key_col
    mapping = found["mapping"] or 2
    offset = found["offset"] if found["offset"] is not None else 2
    sequence = found["sequence"] or offset + 2
    return {"mapping": mapping, "sequence": sequence, "offset": offset}


def _move_trailing_comment(previous: Any, new: Any) -> None:
    """Keep blank lines and comments that followed the old last entry after the new one.

    ruamel attaches them to the last value of the last entry; left there, the new entry would land
    below them, away from the list it belongs to.
    """
    last_key = next(reversed(previous), None)
    slots = previous.ca.items.get(last_key)
    if not slots or len(slots) < 3 or slots[2] is None:
        return
    token = slots[2]
    value = token.value
    # The first line is the old entry's own line end (and its end-of-line comment): that stays.
    cut = value.find("\n") + 1 if value.startswith("#") or value.startswith("\n") else 0
    if cut <= 0 or cut >= len(value):
        return
    from ruamel.yaml.tokens import CommentToken

    token.value = value[:cut]
    # The new entry's last line needs its own line end in front of what moves.
    moved = CommentToken("\n" + value[cut:], token.start_mark, None)
    new.ca.items[next(reversed(new))] = [None, None, moved, None]


def _write_atomically(path: Path, content: bytes, bom: bool) -> None:
    """Write beside the file, then rename over it: never a half-written file. The file keeps its permissions."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write((b"\xef\xbb\xbf" if bom else b"") + content)
        shutil.copymode(path, temp)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise

