"""Where outputs may land. File names made from data (teacher and course names) go through `safe_name`
only, and always land inside their target folder; every output path, given with -o or derived, goes
through `check_output` before the command reads anything, so no output replaces an input or the
workspace's own files (the history store, pfk.toml, .gitignore, the playbooks)."""

from __future__ import annotations

import errno
import os
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from .errors import OutputError

_FORBIDDEN = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
MAX_NAME = 60


def safe_name(text: object, fallback: str = "未命名", taken: set[str] | None = None) -> str:
    """A name that is one plain file name on Windows, macOS and Linux: `../../x` → `x`, `张/老师` → `张_老师`.

    With `taken` (names already given in this folder, updated here), two texts never share a name:
    after `x`, `../../x` becomes `x_2` — compared without case, as Windows and macOS compare file names.
    """
    name = "".join(ch for ch in str(text) if unicodedata.category(ch)[0] != "C")
    name = _FORBIDDEN.sub("_", name)
    # No leading `-` (read as an option by shell commands) nor formula signs.
    name = re.sub(r"\.{2,}", "_", name).strip(" ._").lstrip("-=+@ ._")
    name = name[:MAX_NAME].strip(" .")
    if not name or name.upper().split(".")[0] in _RESERVED:
        name = f"_{name}" if name else fallback
    if taken is not None:
        base, number = name, 1
        while name.casefold() in taken:
            number += 1
            name = f"{base}_{number}"
        taken.add(name.casefold())
    return name


def inside(folder: Path, file_name: str) -> Path:
    """`folder / file_name`, refusing anything that would resolve outside `folder`."""
    root = folder.resolve()
    target = (root / file_name).resolve()
    if target.parent != root:
        raise OutputError(f"{file_name}: 文件名不安全，已拒绝写出")
    return target


# What each kind of output must be called: pfk writes workbooks, and `pfk backup` SQLite copies.
WORKBOOK = ".xlsx"
BACKUP = ".sqlite"
_SUFFIX_RULE = {
    WORKBOOK: "输出是 Excel 工作簿，文件名要以 .xlsx 结尾",
    BACKUP: "备份是 SQLite 数据库，文件名要以 .sqlite 结尾",
}
# pfk's mark on every workbook it writes (excel.write_workbook): a custom document property of this
# name whose value is the kind of output. A workbook is replaced only by an output of its own kind.
PFK_MARK = "pfk 输出"
WORKBOOK_KIND = "工作簿"  # a workbook of no kind named below (tests, tools)
RESULT = "分层结果表"  # pfk classify
CALLSHEET = "回访表"
MESSAGES = "消息表"
ALERTS = "预警表"
REPORT = "周报"
ASSIGNED = "分配结果表"  # pfk assign
POOL = "公海名单"  # pfk pool list -o
PROBLEMS = "问题清单"  # pfk check --problems
# The first sheet of each kind as pfk wrote it before the mark: such a file, not saved since by another
# program (the writer's own stamp in docProps/app.xml), is still pfk's. A kind whose sheet a roster
# may also be named (分配结果表's 学员名单) has none: only the mark says it is pfk's.
_EARLIER_FIRST_SHEETS = {
    RESULT: ("分层结果",), CALLSHEET: ("回访表",), MESSAGES: ("消息",), ALERTS: ("预警",), REPORT: ("概览",),
    POOL: ("公海", "续费公海"), PROBLEMS: ("问题",),
}
_MARK_LIMIT = 64 * 1024  # a document-properties part larger than this is not pfk's


def workbook_mark(path: Path) -> str | None:
    """The kind of output pfk's mark names on the workbook at `path`, or None: no mark, or no workbook.
    A workbook pfk wrote before it marked its outputs is known by its writer's stamp and its first sheet."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            found = _marked_kind(archive)
            return found if found is not None else _earlier_kind(archive)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, EOFError, RuntimeError, NotImplementedError):
        return None


def _small_part(archive, name: str) -> str | None:
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    if info.file_size > _MARK_LIMIT:
        return None
    return archive.read(info)[:_MARK_LIMIT].decode("utf-8", errors="replace")


def _marked_kind(archive) -> str | None:
    from xml.sax.saxutils import unescape

    text = _small_part(archive, "docProps/custom.xml")
    if text is None:
        return None
    found = re.search(r'<property\b[^>]*\bname="' + re.escape(PFK_MARK) + r'"[^>]*>\s*<vt:lpwstr>([^<]*)</vt:lpwstr>', text)
    return unescape(found.group(1)) if found else None


def _earlier_kind(archive) -> str | None:
    app, book = _small_part(archive, "docProps/app.xml"), _small_part(archive, "xl/workbook.xml")
    if app is None or book is None:
        return None
    if "<Application>Microsoft Excel</Application>" not in app or "<AppVersion>12.0000</AppVersion>" not in app:
        return None
    first = re.search(r'<sheet\b[^>]*\bname="([^"]*)"', book)
    sheet = first.group(1) if first else None
    return next((kind for kind, names in _EARLIER_FIRST_SHEETS.items() if sheet in names), None)


# The workspace's own files (SPEC §6), as parts of a path below its root, compared without case.
_STATE, _PLAYBOOKS, _CONFIG, _GITIGNORE = ".pfk", "playbooks", "pfk.toml", ".gitignore"


def check_output(
    path: Path,
    *,
    suffix: str = WORKBOOK,
    inputs: Iterable[Path | None] = (),
    workspace_root: Path | None = None,
    folder_made_later: bool = False,
    kind: str | None = None,
) -> Path:
    """Refuse an output path before anything is read or written; returns it unchanged when it is safe.

    Refused, each with one Chinese line (`OutputError`, exit 2): anything inside a workspace's `.pfk/`
    or `playbooks/`, its `pfk.toml` or `.gitignore` (the workspace is `workspace_root` and any folder
    above the output holding a pfk.toml); an input of the run; a name not ending in `suffix`; a
    missing folder (unless the caller makes it, `folder_made_later`); a folder, pipe or device; a
    workbook Excel/WPS has open (its `~$` lock file is there); with `kind` (the output is a workbook of
    that kind), an existing file without pfk's mark of the same kind (`workbook_mark`): a roster, a
    filled sheet of another kind, anything pfk did not write for this purpose. Paths are compared
    resolved (symlinks, `..`), the workspace's own names without case, as Windows and macOS compare them.

    Example: `check_output(Path("roster.pfk.xlsx"), inputs=[roster], workspace_root=workspace.root)`
    first thing in a command, then `write_workbook` checks the same again as it writes.
    """
    path = Path(path)
    try:
        _refuse(path, suffix, list(filter(None, inputs)), workspace_root, folder_made_later)
        if kind is not None and path.is_file():
            _refuse_unmarked(path, kind)
        return path
    except OSError as exc:  # a name too long for the file system, a path it cannot look at
        reason = "文件名太长" if exc.errno == errno.ENAMETOOLONG else (exc.strerror or str(exc))
        raise OutputError(f"{path}: 无法写入（{reason}）") from exc


def check_outputs(paths: Iterable[Path], **rules) -> list[Path]:
    """`check_output` on every planned output, all before the first one is written."""
    return [check_output(path, **rules) for path in paths]


def check_output_folder(folder: Path, workspace_root: Path | None = None) -> Path:
    """Refuse a folder for derived outputs (call sheets) that is the workspace's `.pfk/` or `playbooks/`."""
    folder = Path(folder)
    try:
        # A file in the folder stands for the folder: the folder itself is `playbooks/`, say.
        _refuse_workspace_files(folder, folder.resolve() / "_", workspace_root)
    except OSError as exc:
        raise OutputError(f"{folder}: 无法写入（{exc.strerror or exc}）") from exc
    return folder


def make_folder(folder: Path, what: str) -> None:
    """Make the folder the outputs go to (`what`: 回访表, 消息表 …), or say in one line why it cannot be."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file of that name, no permission
        reason = "已有同名的文件" if isinstance(exc, FileExistsError) else exc.strerror
        raise OutputError(f"{folder}: 无法建立{what}文件夹（{reason}）") from exc


def _refuse(path: Path, suffix: str, inputs: list[Path], root: Path | None, folder_made_later: bool) -> Path:
    resolved = path.resolve()
    _refuse_workspace_files(path, resolved, root)
    for source in map(Path, inputs):
        same = source.exists() and path.exists() and os.path.samefile(source, path)
        if same or resolved == source.resolve():
            raise OutputError(f"{path}: 这是输入文件，pfk 不会覆盖输入；请用 -o 指定另一个文件名")
    if path.suffix.lower() != suffix:
        raise OutputError(f"{path}: {_SUFFIX_RULE.get(suffix, f'文件名要以 {suffix} 结尾')}")
    folder = path.parent
    if not folder.exists():
        if folder_made_later:
            return path
        raise OutputError(f"{path}: 文件夹 {folder} 不存在")
    if not folder.is_dir():
        raise OutputError(f"{path}: {folder} 不是文件夹")
    if path.is_dir():
        raise OutputError(f"{path}: 这是一个文件夹，不能作为输出文件")
    if path.exists() and not path.is_file():  # a device or a pipe: renaming onto it would replace it
        raise OutputError(f"{path}: 这不是普通文件，不能作为输出文件")
    if (folder / f"~${path.name}").exists():
        raise OutputError(f"{path}: 文件正在 Excel/WPS 中打开，{close_first(path)}")
    return path


def _refuse_unmarked(path: Path, kind: str) -> None:
    found = workbook_mark(path)
    if found == kind:
        return
    if found is None:
        said = "已存在，但不是 pfk 写出的" + kind
    else:
        said = f"是 pfk 写出的{found}，不是{kind}"
    raise OutputError(f"{path}: 这个文件{said}，pfk 不会覆盖它；请用 -o 换一个文件名，或确认不再需要后把它移走")


def close_first(path: Path) -> str:
    """The one thing to do when Excel/WPS holds the file pfk must replace."""
    return f"请先在 Excel/WPS 里关闭 {Path(path).name} 再运行"


def _refuse_workspace_files(path: Path, resolved: Path, root: Path | None) -> None:
    for workspace in _workspaces_holding(resolved, root):
        below = _parts_below(resolved, workspace)
        if below is None or not below:
            continue
        first = below[0]
        if first == _STATE:
            raise OutputError(f"{path}: 这里是工作区的 .pfk/ 文件夹（历史库所在），不能把输出写到这里；请换一个位置")
        if first == _PLAYBOOKS and len(below) > 1:
            raise OutputError(f"{path}: 这里是工作区的 playbooks/ 文件夹（话术与方案），不能把输出写到这里；请换一个位置")
        if below == [_CONFIG]:
            raise OutputError(f"{path}: 这是工作区的配置文件 pfk.toml，不能被输出覆盖；请换一个文件名")
        if below == [_GITIGNORE]:
            raise OutputError(f"{path}: 这是工作区的 .gitignore，不能被输出覆盖；请换一个文件名")


def _workspaces_holding(resolved: Path, root: Path | None) -> list[Path]:
    """The command's workspace and any workspace above the output: an output aimed into another
    team's folder is guarded as well."""
    found = [root.resolve()] if root is not None else []
    for folder in resolved.parents:
        if (folder / _CONFIG).is_file():
            found.append(folder)
            break
    return found


def _parts_below(resolved: Path, root: Path) -> list[str] | None:
    """The parts of `resolved` under `root`, case-folded, or None when it is not under it. Compared
    without case so that `.PFK/` on a case-insensitive disk is caught like `.pfk/`."""
    path_parts = [part.casefold() for part in resolved.parts]
    root_parts = [part.casefold() for part in root.parts]
    if path_parts[: len(root_parts)] != root_parts:
        return None
    return path_parts[len(root_parts):]
