"""Playbooks: what to do with each segment, and the problems and solutions the team has met.

One YAML file per segment in the workspace (`playbooks/P_S-F_S-K_L.yaml`, pending callback in
`playbooks/待回访.yaml`); a segment without a workspace file uses the default one shipped with pfk (the
repository's top-level `playbooks/`, packaged as `pfkcli.default_playbooks`). Teachers grow the
`problems` list with `pfk playbook add`, which edits the file round-trip so the git diff is the new
entry alone. Every function takes the workspace's playbook folder (None: no workspace).

Each entry (a solution) has a short id (`id: s7k2mq`), the last key of the entry: the call sheet's
使用方案 drop-down offers it and `pfk record` stores it with the call, so the history can say what
followed each solution (learning.py). An id is made once from the entry's own content
(`solution_id`) and then kept as written, whatever later edits do to the text: two teachers
back-filling the same file on two branches write the same ids, two teachers adding entries on two
branches get different ones (a sequence number would collide at every merge).

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
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from .errors import ConfigError, UsageError
from .scenes import MESSAGE_KEYS, PERSONA_SEPARATOR, PERSONAS, SCENES
from .segments import ALL_SEGMENTS, BY_CODE, parse_segment
from .templates import template_problem

# The default playbooks: a folder of the package (importlib finds it in a wheel and an editable install).
BUILTIN_DIR = Path(str(importlib.resources.files("pfkcli.default_playbooks")))
SUFFIX = ".yaml"
# The standard scenarios of seed 002's script table; a team may add its own keys under `scripts`.
SCRIPT_SCENARIOS = ("首次联系", "进度跟进", "投诉处理", "续费沟通")

NonEmptyText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]

# A solution id: `s` and five letters from an alphabet without 0/o, 1/l/i (read out and typed without
# doubt); the leading letter keeps Excel from ever reading one as a number (`12e456`).
ID_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
ID_LENGTH = 5
ID_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{1,15}$")
# What the drop-down shows after the id: the entry's `title`, else the problem's first words.
TITLE_LENGTH = 12
# The 使用方案 choice for a solution not in the playbook.
OTHER_SOLUTION = "其他"


def _known_message_key(key: str) -> str:
    if key not in MESSAGE_KEYS:
        personas = " / ".join(f"{PERSONA_SEPARATOR}{p.name}" for p in PERSONAS)
        raise ValueError(
            f"不认识的场景「{key}」；可用：{'、'.join(s.name for s in SCENES)}，"
            f"续费阶段还可分人群加 {personas}（如 续费7天{PERSONA_SEPARATOR}优惠、续费{PERSONA_SEPARATOR}进阶）"
        )
    return key


def _fillable(text: str) -> str:
    problem = template_problem(text)
    if problem:
        raise ValueError(problem)
    return text


# `messages:` — scene (or renewal persona group) → message variants with named placeholders (templates.py).
MessageKey = Annotated[str, AfterValidator(_known_message_key)]
MessageTemplate = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(_fillable)]


class ProblemEntry(BaseModel):
    """A problem met with students of one segment, and the solution that worked."""

    model_config = ConfigDict(extra="forbid")

    problem: NonEmptyText
    solution: NonEmptyText
    author: NonEmptyText
    date: dt.date
    title: NonEmptyText | None = None  # the short title the call sheet's drop-down shows
    id: str | None = None  # `pfk playbook add` writes it; `pfk playbook ids` back-fills older entries

    @field_validator("id", mode="before")
    @classmethod
    def _id_shape(cls, value: Any) -> Any:
        if isinstance(value, str) and not ID_PATTERN.match(value.strip()):
            raise ValueError("编号只能用字母、数字、- 和 _，以字母开头，2–16 位（如 s7k2mq）")
        return value.strip() if isinstance(value, str) else value

    @field_validator("title")
    @classmethod
    def _short_title(cls, value: str | None) -> str | None:
        if value is not None and len(value) > 16:
            raise ValueError("短标题最多 16 个字")
        return value

    @property
    def short_title(self) -> str:
        """The title the drop-down shows: `title`, else the problem's first clause when it is short,
        else its first 12 characters and `…`.

        >>> ProblemEntry(problem="学员觉得课程太基础、对自己没用", solution="s", author="a", date="2026-11-01").short_title
        '学员觉得课程太基础'
        """
        if self.title:
            return self.title
        text = " ".join(self.problem.split())
        clause = re.match(r"(.+?)[，。、；！？,;.!?：:]", text)
        if clause and 4 <= len(clause.group(1)) <= TITLE_LENGTH:
            return clause.group(1)
        return text if len(text) <= TITLE_LENGTH else text[:TITLE_LENGTH] + "…"

    @property
    def choice(self) -> str:
        """The entry as the 使用方案 drop-down lists it: `s7k2mq 学员觉得课程太基础`."""
        return f"{self.id} {self.short_title}"


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
    messages: dict[MessageKey, list[MessageTemplate]] = {}

    @field_validator("code")
    @classmethod
    def _known_code(cls, code: str) -> str:
        if code not in BY_CODE:
            raise ValueError(f"{code} 不是分层代码，可用：{'、'.join(BY_CODE)}")
        return code

    @field_validator("problems", "scripts", "messages", mode="before")
    @classmethod
    def _blank_is_empty(cls, value: Any, info: ValidationInfo) -> Any:
        # `problems:` left with nothing under it (every entry deleted) means none yet.
        if value is None:
            return [] if info.field_name == "problems" else {}
        if info.field_name == "messages" and isinstance(value, dict):
            # One text written without a list is one variant.
            return {key: [texts] if isinstance(texts, str) else texts for key, texts in value.items()}
        return value

    def solution(self, solution_id: str) -> ProblemEntry | None:
        """The entry of that id (letter case aside), or None."""
        wanted = solution_id.casefold()
        return next((entry for entry in self.problems if entry.id and entry.id.casefold() == wanted), None)

    @property
    def choices(self) -> list[str]:
        """The 使用方案 drop-down of this segment: each entry with an id (`s7k2mq 学员觉得课程太基础`), then 其他."""
        return [entry.choice for entry in self.problems if entry.id] + [OTHER_SOLUTION]

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
    """Every segment's playbook keyed by code (pending callback under "待回访"), workspace first.
    An id used by two solutions (in one file or two) stops the command with `playbook check`'s lines:
    the calls recorded under it could not be told apart."""
    loaded = {segment.code: load_playbook(folder, segment.code) for segment in ALL_SEGMENTS}
    _refuse_repeated_ids(folder, loaded)
    return loaded


class RepeatedIds(ConfigError):
    """A solution id used twice in the playbooks: every command that reads or records solutions by id
    stops (a broken file's other problems may leave the report a note instead)."""


def _refuse_repeated_ids(folder: Path | None, loaded: dict[str, Playbook]) -> None:
    ids = [entry.id.casefold() for playbook in loaded.values() for entry in playbook.problems if entry.id]
    if len(ids) == len(set(ids)):
        return
    paths = [playbook_source(folder, code) for code in loaded]
    lines = _id_problems(folder, paths, missing=False)
    raise RepeatedIds("\n".join([*lines, "运行 pfk playbook check 查看所有话术文件的问题。"]))


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
    restore = "运行 pfk init 可补回缺少的话术文件（已有的文件不会被覆盖）"
    if folder is None:
        files = builtin_playbook_files()
    elif folder.is_dir():
        files = [playbook_path(folder, segment.code) for segment in ALL_SEGMENTS]
    else:
        return [f"{_display(folder, folder)}/: 话术文件夹不见了，各分层都在用内置话术。{restore}"]
    problems = []
    readable = []
    for path in files:
        display = _display(folder, path)
        if path.is_file():
            found = _read(path, display, path.stem)[1]
            problems += found
            if not found:
                readable.append(path)
        else:
            # Other commands fall back to the built-in file, silently: the team's own entries for
            # this segment would be gone from every call sheet without anyone noticing.
            problems.append(f"{display}: 文件不见了，这个分层在用内置话术。{restore}")
    if folder is not None:
        problems += _stray_files(folder)
    return problems + _id_problems(folder, readable)


@dataclass(frozen=True)
class _IdPlace:
    display: str
    index: int  # the entry's place in `problems`
    id: str | None
    line: int  # 1-based: the id's line, else the entry's


def _id_places(folder: Path | None, path: Path) -> list[_IdPlace]:
    """Where each entry of a valid playbook file has its id (or would have it)."""
    data = _rt_yaml().load(path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n"))
    entries = data.get("problems") or []
    places = []
    for index, entry in enumerate(entries):
        value = entry.get("id")
        solution_id = str(value).strip() if value not in (None, "") else None
        line = entry.lc.key("id")[0] if solution_id else entries.lc.item(index)[0]
        places.append(_IdPlace(_display(folder, path), index, solution_id, line + 1))
    return places


def _id_problems(folder: Path | None, paths: list[Path], missing: bool = True) -> list[str]:
    """Entries without an id (unless not `missing`), and ids used twice (in one file or two): the
    history could not tell their calls apart."""
    places = [place for path in paths for place in _id_places(folder, path)]
    problems, first = [], {}
    for place in places:
        where = f"{place.display}: problems[{place.index}].id"
        if place.id is None:
            if missing:
                problems.append(f"{where}: 缺少编号，运行 pfk playbook ids 补上（第 {place.line} 行）")
            continue
        key = place.id.casefold()
        if key in first:
            other = first[key]
            problems.append(
                f"{where}: 编号 {place.id} 重复了，{other.display} 第 {other.line} 行已经用过；"
                f"请删掉这一行的编号再运行 pfk playbook ids（第 {place.line} 行）"
            )
        else:
            first[key] = place
    return problems


def add_problem(
    folder: Path | None, code: str, problem: str, solution: str, author: str, today: dt.date, title: str | None = None
) -> Path:
    """Append one problem entry, with a new id, to the workspace playbook of `code`; returns the file changed.

    The file is edited round-trip: comments, key order, quoting, indentation and line breaks stay as
    they were, so `git diff` shows the new entry alone. A segment with no workspace file yet gets a
    copy of the default first.
    """
    try:
        entry = ProblemEntry(problem=problem, solution=solution, author=author, date=today, title=title or None)
    except ValidationError as exc:
        fields = {"problem": "问题", "solution": "解决办法", "author": "作者"}
        if any(str(error["loc"][0]) == "title" for error in exc.errors()):
            raise UsageError("短标题最多 16 个字") from None
        missing = "、".join(fields.get(str(error["loc"][0]), str(error["loc"][0])) for error in exc.errors())
        raise UsageError(f"{missing}不能为空") from None

    path = playbook_path(folder, code)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(BUILTIN_DIR / f"{code}{SUFFIX}", path)

    text, bom, newline, problems = _read_for_edit(path, _display(folder, path), code)
    if text is None:
        raise ConfigError(problems[0])
    if problems:
        raise ConfigError("\n".join([*problems, "先修好这个文件（pfk playbook check），再添加新条目。"]))

    entry.id = solution_id(code, entry, _ids_in_use(folder))
    new_text = _append_entry(text, entry)
    _write_atomically(path, new_text.replace("\n", newline).encode("utf-8"), bom)
    return path


def solution_id(code: str, entry: ProblemEntry, taken: set[str] = frozenset()) -> str:
    """A new id for `entry` of the playbook `code`: `s` and five letters made from the entry's content,
    so the same entry gets the same id wherever it is made; another when that one is `taken`
    (compared without letter case).

    >>> solution_id("P_S-F_S-K_L", ProblemEntry(problem="p", solution="s", author="a", date="2026-11-01"))[0]
    's'
    """
    import hashlib

    used = {value.casefold() for value in taken}
    salt = 0
    while True:
        text = "\n".join([code, entry.problem, entry.solution, entry.author, entry.date.isoformat(), str(salt) if salt else ""])
        number = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")
        letters = []
        for _ in range(ID_LENGTH):
            number, digit = divmod(number, len(ID_ALPHABET))
            letters.append(ID_ALPHABET[digit])
        candidate = "s" + "".join(letters)
        if candidate not in used:
            return candidate
        salt += 1


def _ids_in_use(folder: Path | None) -> set[str]:
    """Every id of every playbook pfk reads (the workspace's files, else the defaults); a broken
    file is read as far as it goes (its own ids are still taken)."""
    taken = set()
    for segment in ALL_SEGMENTS:
        path = playbook_source(folder, segment.code)
        try:
            if path.stat().st_size > MAX_PLAYBOOK_BYTES:
                continue
            data = _rt_yaml().load(path.read_bytes().decode("utf-8-sig"))
        except (Exception, RecursionError):  # noqa: BLE001 — a broken file: `check` names it; its ids cannot be read
            continue
        entries = data.get("problems") if isinstance(data, dict) else None
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and entry.get("id"):
                taken.add(str(entry["id"]).strip())
    return taken


def fill_ids(folder: Path | None) -> list[tuple[Path, int]]:
    """Give every entry of the workspace's playbook files that has no id one (`pfk playbook ids`).

    Each file is edited round-trip like `add_problem`: the git diff is the new `id:` lines alone.
    Every file is checked first; with a broken one nothing is written (ConfigError). Returns the
    files changed and how many ids each got. Segments without a workspace file use the defaults,
    whose entries have ids already.
    """
    if folder is None:
        raise UsageError("当前目录不在 pfk 工作区内（找不到 pfk.toml）：先运行 pfk init 创建工作区，再补编号。")
    paths = [playbook_path(folder, segment.code) for segment in ALL_SEGMENTS]
    paths = [path for path in paths if path.is_file()]
    texts = {}
    problems = []
    for path in paths:
        text, bom, newline, found = _read_for_edit(path, _display(folder, path), path.stem)
        problems += found
        if text is not None:
            texts[path] = (text, bom, newline)
    if problems:
        raise ConfigError("\n".join([*problems, "先修好这些文件（pfk playbook check），再补编号。"]))
    taken = _ids_in_use(folder)
    changed = []
    for path, (text, bom, newline) in texts.items():
        new_text, added = _add_ids(text, path.stem, taken)
        if added:
            _write_atomically(path, new_text.replace("\n", newline).encode("utf-8"), bom)
            changed.append((path, added))
    return changed


# --- reading and validating -------------------------------------------------------------------------


def _read_for_edit(path: Path, display: str, code: str) -> tuple[str | None, bool, str, list[str]]:
    """A playbook file read for a round-trip edit: its text with `\\n` line ends (None when it is not
    UTF-8), whether it starts with a BOM, its line end, and the problems found in it (`_validate_text`)."""
    too_big = _too_big(path, display)
    if too_big is not None:
        return None, False, "\n", [too_big]
    raw = path.read_bytes()
    bom = raw.startswith(b"\xef\xbb\xbf")
    newline = "\r\n" if b"\r\n" in raw else "\n"
    try:
        text = raw.decode("utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError:
        return None, bom, newline, [f"{display}: 不是 UTF-8 编码的文本文件"]
    return text, bom, newline, _validate_text(text, display, code)[1]


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


# A playbook is a few KB of text; far beyond that it is a mistake (a log pasted in), and the YAML
# reader would take minutes and gigabytes over it (93 MB: past 60 s, then a MemoryError).
MAX_PLAYBOOK_BYTES = 1024**2
# Playbooks nest three levels (problems › entry › field); a file nested deeper than Python's stack
# allows (thousands of levels) is refused by what the reader raises, in one line.
_TOO_DEEP = "内容嵌套的层数太多（几千层的 [ 或缩进），不像话术文件；请检查后改回「字段: 内容」的形式"


def _too_big(path: Path, display: str) -> str | None:
    size = path.stat().st_size
    if size <= MAX_PLAYBOOK_BYTES:
        return None
    shown = f"{size / 1024**2:.0f} MB" if size >= 1024**2 else f"{size // 1024} KB"
    return f"{display}: 文件有 {shown}，超过话术文件的上限 {MAX_PLAYBOOK_BYTES // 1024**2} MB；多半是误粘贴了大量内容，请检查后删掉"


def _read(path: Path, display: str, expected_code: str) -> tuple[Playbook | None, list[str]]:
    too_big = _too_big(path, display)
    if too_big is not None:
        return None, [too_big]
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
        alias = _first_alias(text)
        if alias is not None:
            # An alias repeats another part of the file; nested ones multiply (a few KB can stand for
            # gigabytes) and playbooks never need them: refused before anything is expanded.
            return None, [f"{display}: 第 {alias} 行: 不能用 YAML 的引用（*名字）重复别处的内容，请把内容直接写出来"]
        data = _rt_yaml().load(text)
    except YAMLError as exc:
        return None, [f"{display}: {_yaml_error_text(exc)}"]
    except RecursionError:
        return None, [f"{display}: {_TOO_DEEP}"]
    if data is None:
        return None, [f"{display}: 文件是空的"]
    if not isinstance(data, dict):
        return None, [f"{display}: 应是「字段: 内容」的形式（code、name、portrait……）"]

    problems = []
    playbook = None
    try:
        playbook = Playbook.model_validate(data)
    except RecursionError:
        return None, [f"{display}: {_TOO_DEEP}"]
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


def _first_alias(text: str) -> int | None:
    """The line (1-based) of the first alias (`*name`) in a YAML text, read as events: nothing is expanded."""
    if "*" not in text:  # an alias is written with a star: without one, nothing to look for
        return None
    from ruamel.yaml import YAML
    from ruamel.yaml.events import AliasEvent

    for event in YAML(typ="rt").parse(text):
        if isinstance(event, AliasEvent):
            return event.start_mark.line + 1
    return None


# ruamel's problems, matched on its message (English, in the parser's own terms), each mapped to the
# cause a teacher can fix. Rules are tried in order; each returns the Chinese reason or None.
_BLOCK_INDICATORS = ("|", ">")


def _yaml_error_text(exc: Exception) -> str:
    """`第 2 行: YAML 格式错误：缺少冒号：「questions」应写成「字段: 内容」（冒号后有空格）`

    The line named is the one to fix: where the broken construct began (an opening quote, a key
    without its colon) or where the parser gave up (a tab, a stray `|`), as each cause has it; both
    when the cause is unknown. The reason is in Chinese; a piece of the file it quotes is cut to 40
    characters.
    """
    reason, marks = _yaml_reason(exc)
    lines = sorted({mark.line + 1 for mark in marks if mark is not None})
    where = f"第 {'–'.join(str(line) for line in lines)} 行: " if lines else ""
    return f"{where}YAML 格式错误：{reason}"


def _yaml_reason(exc: Exception) -> tuple[str, tuple]:
    """The cause in Chinese, and the marks (ruamel's positions) that locate it."""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None) or ""
    at_problem = (getattr(exc, "problem_mark", None),)
    at_context = (getattr(exc, "context_mark", None),)
    if at_context[0] is None:
        at_context = at_problem
    problem_line = _mark_line(at_problem[0])
    context_line = _mark_line(at_context[0])

    duplicate = re.search(r'found duplicate key "(.*?)" with value', problem)
    if duplicate:
        return f"字段「{_clip(duplicate.group(1))}」写了两次，请删掉或合并其中一处", at_problem
    bad_start = re.search(r"found character '(.*?)' that cannot start any token", problem)
    if bad_start:
        char = bad_start.group(1)
        if char in ("\\t", "\t"):
            return "用了 Tab 缩进，请改用空格", at_problem
        if char in _BLOCK_INDICATORS:
            return f"括号里不能用「{char}」开头：把这段文字加上引号", at_problem
        return f"「{_clip(char)}」不能作为内容的开头：把这段文字加上引号", at_problem
    if "while scanning a block scalar" in context:
        mark = at_context[0]
        indicator = (context_line or "")[mark.column : mark.column + 1] if mark is not None else ""
        indicator = indicator if indicator in _BLOCK_INDICATORS else "|"
        return (
            f"「{indicator}」后面不能接着写文字：多行文字要在「{indicator}」后换行、每行缩进；"
            f"如果「{indicator}」是内容的一部分，请给这段文字加上引号"
        ), at_context
    if "could not find expected ':'" in problem:
        above = _line_before(at_context[0])
        if above is not None and above.rstrip().endswith(_BLOCK_INDICATORS + ("|-", ">-", "|+", ">+")):
            return "多行文字没有缩进：「|」或「>」下面的每一行都要比字段名多缩进两个空格", at_context
        key = (context_line or "").strip()
        return (f"缺少冒号：「{_clip(key)}」应写成「字段: 内容」（冒号后有空格）" if key else "缺少冒号"), at_context
    if "while scanning a quoted scalar" in context:
        return _UNCLOSED_QUOTE, at_context
    if "mapping values are not allowed here" in problem:
        # A quote left open runs on over the next lines, up to the next quote of its kind: the
        # parser stops far below, at the first `key:` after it. The open quote is what to fix.
        opened = _open_quote_above(at_problem[0])
        if opened is not None:
            return _UNCLOSED_QUOTE, (opened,)
        return "这一行的冒号放不下：缩进与上面的字段对不齐，或者内容里的「: 」要给整段文字加上引号", at_problem
    flow = re.search(r"expected ',' or '([\]}])'", problem)
    if flow:
        return ("方括号 [ ] 没有配对" if flow.group(1) == "]" else "花括号 { } 没有配对"), at_context
    if "found '<stream end>'" in problem or "end of stream" in problem:
        return "引号或括号没有配对：到文件末尾都没有结束", at_context
    if "expected <block end>" in problem:
        stripped = (problem_line or "").strip()
        if stripped[:1] in _BLOCK_INDICATORS:
            return f"多出的「{stripped[0]}」：多行文字的「{stripped[0]}」要写在字段名同一行的冒号后面（字段: {stripped[0]}）", at_problem
        if stripped.startswith("-"):
            return "列表项（- 开头）的缩进与同一列表的其他项不一致", at_problem
        return "缩进不齐：这一行与上面的字段没有对齐", at_problem
    undefined = re.search(r"found undefined alias '(.*?)'", problem)
    if undefined:
        return f"「*{_clip(undefined.group(1))}」不是内容：以 * 开头的文字请加上引号", at_problem
    return "这里的写法 YAML 读不懂，请检查缩进、冒号和引号", (*at_context, *at_problem)


_UNCLOSED_QUOTE = "引号没有配对：这一行开头的引号没有结束"


@dataclass
class _Line:
    line: int  # 0-based, as ruamel's marks count


def _open_quote_above(mark) -> _Line | None:
    """The nearest line above `mark` whose value opens a quote it does not close, if any."""
    buffer = getattr(mark, "buffer", None)
    if mark is None or not isinstance(buffer, str):
        return None
    lines = buffer.rstrip("\0").split("\n")[: mark.line]
    for number in range(len(lines) - 1, -1, -1):
        opened = re.match(r"\s*(?:-\s+)?[^\s\"'#][^:#]*:\s+([\"'])(.*)$", lines[number])
        if opened and opened.group(2).count(opened.group(1)) % 2 == 0:
            return _Line(number)
    return None


def _mark_line(mark) -> str | None:
    """The text of the line `mark` points at, when ruamel kept the text it parsed."""
    buffer = getattr(mark, "buffer", None)
    if mark is None or not isinstance(buffer, str):
        return None
    lines = buffer.rstrip("\0").split("\n")
    return lines[mark.line] if mark.line < len(lines) else None


def _line_before(mark) -> str | None:
    """The nearest non-blank line above `mark`."""
    buffer = getattr(mark, "buffer", None)
    if mark is None or not isinstance(buffer, str):
        return None
    lines = buffer.rstrip("\0").split("\n")[: mark.line]
    return next((line for line in reversed(lines) if line.strip()), None)


def _clip(text: str, limit: int = 40) -> str:
    """A piece of the file quoted in a message, cut to `limit` characters."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _loc_text(loc: tuple) -> str:
    """('problems', 2, 'solution') -> problems[2].solution"""
    text = ""
    for part in loc:
        if part == "[key]":  # pydantic's mark of a mapping's key: the key itself is named already
            continue
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
        return f"「{_clip(str(error['input']))}」不是日期，请写成 2026-11-23"
    if kind == "string_type":
        return "应为文字"
    if kind == "list_type":
        return "应为列表（每条一行，以 - 开头）"
    if kind in ("dict_type", "model_type"):
        return "应为「字段: 内容」的形式"
    if kind == "value_error":
        return str(error["ctx"]["error"])
    return "写法不对"  # pydantic's own message is English and may quote the whole value


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
    if entry.title:
        new["title"] = entry.title
    new["solution"] = scalar(entry.solution)
    new["author"] = entry.author
    new["date"] = entry.date
    if entry.id:
        new["id"] = entry.id

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


def _add_ids(text: str, code: str, taken: set[str]) -> tuple[str, int]:
    """`text` with an id added as the last key of every entry that has none, and how many were added;
    `taken` grows by the ids given. Blank lines and comments after an entry stay after it."""
    from ruamel.yaml.comments import CommentedMap

    yaml = _rt_yaml()
    data = yaml.load(text)
    entries = data.get("problems") or []
    added = 0
    for raw in entries:
        if not isinstance(raw, CommentedMap) or raw.get("id") not in (None, ""):
            continue
        entry = ProblemEntry.model_validate({key: value for key, value in raw.items() if key != "id"})
        new_id = solution_id(code, entry, taken)
        taken.add(new_id)
        if "id" in raw:  # `id:` written with nothing after it: filled where it stands
            raw["id"] = new_id
        else:
            last = next(reversed(raw))
            raw["id"] = new_id
            _move_comment_after(raw, last, raw, "id")
        added += 1
    if not added:
        return text, 0
    yaml.indent(**_indentation(data))
    yaml.explicit_start = _first_content_line(text) == "---"
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue(), added


def _move_comment_after(source: Any, from_key: Any, target: Any, to_key: Any) -> None:
    """Blank lines and comments that followed `source[from_key]` now follow `target[to_key]` (a key
    written after it); an end-of-line comment stays on its own line."""
    slots = source.ca.items.get(from_key)
    if not slots or len(slots) < 3 or slots[2] is None:
        return
    token = slots[2]
    value = token.value
    # The first line is the old value's own line end (and its end-of-line comment): that stays.
    cut = value.find("\n") + 1 if value.startswith("#") or value.startswith("\n") else 0
    if cut <= 0 or cut >= len(value):
        return
    from ruamel.yaml.tokens import CommentToken

    token.value = value[:cut]
    # The new value's line needs its own line end in front of what moves.
    target.ca.items[to_key] = [None, None, CommentToken("\n" + value[cut:], token.start_mark, None), None]


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
    _move_comment_after(previous, last_key, new, next(reversed(new)))


def _write_atomically(path: Path, content: bytes, bom: bool) -> None:
    """Write beside the file, then rename over it: never a half-written file. The file keeps its permissions.
    A folder or file that cannot be written is one line (OutputError), the file unchanged."""
    from .errors import OutputError

    try:
        _replace_with(path, content, bom)
    except PermissionError as exc:
        raise OutputError(
            f"{path}: 没有写入权限（playbooks/ 文件夹或这个文件是只读的），话术没有改动；请恢复写入权限（如 chmod u+w playbooks）后再试",
            detail=str(exc),
        ) from exc
    except OSError as exc:
        raise OutputError(f"{path}: 无法写入（{exc.strerror or exc}），话术没有改动", detail=str(exc)) from exc


def _replace_with(path: Path, content: bytes, bom: bool) -> None:
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write((b"\xef\xbb\xbf" if bom else b"") + content)
        shutil.copymode(path, temp)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise

