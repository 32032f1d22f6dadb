"""Reading spreadsheets as people export them: .xlsx/.xlsm/.xls/.ods through calamine (fastexcel),
.csv in UTF-8 (with or without BOM), UTF-16 or GBK/GB18030.

Every cell comes back as text, so that IDs and phone numbers keep their digits and every value is
parsed one way (see values.py). The header row is found under title lines by matching column aliases;
a workbook split over several sheets with the same header (one per teacher or class) is read whole.

Before calamine sees a workbook, its size is bounded (`check_inflated_size`, `MAX_COLUMNS`): calamine
holds a sheet as a dense grid in memory and aborts the process when it cannot, so a few-MB file could
otherwise take gigabytes or the whole run. Whatever calamine says goes to `--debug`; the user reads Chinese.
"""

from __future__ import annotations

import codecs
import io
import os
import re
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from . import memory
from .columns import field_for_header
from .errors import InputError
from .values import cell_text, column_letter, excel_number_text

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
HEADER_SEARCH_ROWS = 30
# Far beyond any real roster; wider sheets are stray typing or a broken export, and would only be slow.
MAX_COLUMNS = 1000
# What a zip-based workbook (.xlsx/.xlsm/.ods) may inflate to, in all and in one member. A 100,000 ×
# 25 roster is about 100 MB of sheet XML, a 1,000,000 × 20 one about 820 MB (calamine then holds
# 1.7 GB: README › Performance), a full 1,048,576-row sheet of 30 columns with inline strings about
# 1.6 GB. Whether this machine has the memory for a sheet is `memory.check_workbook`'s to say.
MAX_INFLATED_BYTES = 2 * 1024**3
# Sheet XML compresses 5–15 times, repetitive formatting perhaps 50; a member that inflates 200 times
# its size (zeros, one endless cell) is made to exhaust memory. Small members may compress as they like.
MAX_RATIO = 200
RATIO_CHECKED_ABOVE = 16 * 1024**2
_CHUNK = 1 << 20  # what is inflated at a time when counting a member's real size
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# An encrypted .xlsx is an OLE file holding this stream (its directory names are UTF-16).
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_ENCRYPTED = "文件设置了打开密码（已加密），请在 Excel/WPS 中取消密码后另存再试"
_RESAVE = "请用 Excel/WPS 打开它，另存为「Excel 工作簿（.xlsx）」后再试"
_NOT_WORKBOOK = "不是有效的 Excel/WPS 表格文件"


@dataclass
class RawSheet:
    """A sheet read as text. `data` has one column per sheet column; its index holds Excel row numbers."""

    file: str
    sheet: str | None
    header_row: int
    headers: list[str]
    letters: list[str]
    data: object  # pandas.DataFrame of text
    skipped_sheets: list[str] = field(default_factory=list)  # sheets with cells but no header
    other_headers: list[str] = field(default_factory=list)  # sheets with a header unlike this one's


@dataclass
class Tables:
    """Every sheet of a file that holds the same header, in workbook order (a CSV has one)."""

    sheets: list[RawSheet]
    skipped_sheets: list[str] = field(default_factory=list)
    other_headers: list[str] = field(default_factory=list)


def read_table(path: Path, sheet: str | None = None, matcher=field_for_header, min_fields: int = 2, threads: bool = True) -> RawSheet:
    """Read the first sheet holding a recognisable header (or `sheet`), find its header row, return the cells as text.

    >>> raw = read_table(Path("samples/roster.xlsx"))  # doctest: +SKIP
    >>> raw.header_row, raw.headers[:2]                  # doctest: +SKIP
    (2, ['学号', '学员姓名'])

    `matcher(header)` names the field a header stands for (roster columns by default). `threads=False`
    reads a CSV on the calling thread alone, for a caller that reads another file meanwhile.
    """
    return read_tables(path, sheet, matcher, min_fields, threads, every_sheet=False).sheets[0]


def read_tables(
    path: Path, sheet: str | None = None, matcher=field_for_header, min_fields: int = 2, threads: bool = True, every_sheet: bool = True
) -> Tables:
    """`read_table`, and with `every_sheet` also every later sheet whose header is the same as the
    first one's (a roster exported one sheet per teacher). Sheets with cells but no header, and sheets
    with another header, are named in the result, not read."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: 文件不存在")
    if path.is_dir():
        raise InputError(f"{path}: 这是一个文件夹，不是表格文件")
    head = _read_head(path)
    if not head:
        raise InputError(f"{path.name}: 文件是空的（0 字节）")
    if head.startswith(_OLE_MAGIC) and (path.suffix.lower() in (".xlsx", ".xlsm") or _holds_encrypted_package(path)):
        raise InputError(f"{path.name}: {_ENCRYPTED}")
    if head.startswith(_ZIP_MAGIC):
        check_inflated_size(path)
    if head.startswith(_ZIP_MAGIC) or head.startswith(_OLE_MAGIC):
        return _read_workbook(path, sheet, matcher, min_fields, every_sheet)
    if path.suffix.lower() in SPREADSHEET_SUFFIXES:
        raise InputError(f"{path.name}: {_NOT_WORKBOOK}（{_what_it_is(path)}）")
    memory.check_csv(path)
    raw = _read_csv(path, matcher, min_fields, threads)
    return Tables([raw])


def check_inflated_size(path: Path) -> None:
    """Refuse a zip-based workbook whose members inflate beyond MAX_INFLATED_BYTES (in all or one
    alone), or a large member that inflates more than MAX_RATIO times its compressed size. First from
    the sizes its directory declares (nothing inflated: a crafted 3 GB is refused at once), then from
    the bytes that really come out: every member is inflated once as a stream, its output counted and
    thrown away, stopping at the limit — a directory may declare 1 KB for a sheet that inflates to
    gigabytes, and calamine believes the stream, not the directory. A file that is no zip at all, or
    whose members cannot be inflated here, is left to the reader to report."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            for member in members:
                _refuse_inflated(path, member, member.file_size)
            total = sum(member.file_size for member in members)
            if total > MAX_INFLATED_BYTES:
                raise InputError(_too_big_in_all(path, total))
            _count_inflated(path, archive, members)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return


def _count_inflated(path: Path, archive: zipfile.ZipFile, members: list[zipfile.ZipInfo]) -> None:
    """Inflate each member as a stream, counting what comes out (memory: one chunk at a time)."""
    total = 0
    with path.open("rb") as handle:
        length = handle.seek(0, os.SEEK_END)
        for member in members:
            handle.seek(member.header_offset + 26)
            names = int.from_bytes(handle.read(2), "little") + int.from_bytes(handle.read(2), "little")
            data_at = member.header_offset + 30 + names
            total += _count_member(path, archive, member, max(length - data_at, 0), MAX_INFLATED_BYTES - total)
            if total > MAX_INFLATED_BYTES:
                raise InputError(_too_big_in_all(path, total, inflated=True))


def _count_member(path: Path, archive: zipfile.ZipFile, member: zipfile.ZipInfo, rest: int, budget: int) -> int:
    """The bytes `member` inflates to, counted up to `budget` (or its ratio cap) and refused beyond.
    `rest`: the file's bytes from the member's data on."""
    import copy
    import zlib

    probe = copy.copy(member)
    # zipfile stops at the declared sizes: read past them, to where the member's own stream ends (a
    # chunk beyond the budget, so that the count passes it before zipfile's end-of-member checks run).
    probe.file_size = budget + _CHUNK + 1
    if member.compress_type != zipfile.ZIP_STORED:
        probe.compress_size = rest
    ratio_cap = max(RATIO_CHECKED_ABOVE, MAX_RATIO * max(member.compress_size, 1))
    count = 0
    try:
        with archive.open(probe) as stream:
            while chunk := stream.read(_CHUNK):
                count += len(chunk)
                if count > ratio_cap or count > budget:
                    break
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError, ValueError):
        pass  # a checksum that differs, a password, an unknown method: the reader says what is wrong
    _refuse_inflated(path, member, count, inflated=True)
    return count


def _refuse_inflated(path: Path, member: zipfile.ZipInfo, size: int, inflated: bool = False) -> None:
    """Refuse one member of `size` bytes inflated (declared, or counted with `inflated`)."""
    limit = _size_text(MAX_INFLATED_BYTES)
    if size > MAX_INFLATED_BYTES:
        # Counted, the size is only known to pass the limit (the count stops there).
        said = f"超过 pfk 读取的上限 {limit}" if inflated else f"有 {_size_text(size)}，超过 pfk 读取的上限 {limit}"
        raise InputError(
            f"{path.name}: 文件里的「{member.filename}」解压后{said}；"
            "名单这么大多半是误填了大量内容，请检查后另存；确实需要时请拆成几个文件，或另存为 CSV 再试"
        )
    if size > RATIO_CHECKED_ABOVE and size > MAX_RATIO * max(member.compress_size, 1):
        ratio = size // max(member.compress_size, 1)
        raise InputError(
            f"{path.name}: 文件里的「{member.filename}」解压后是压缩时的 {ratio} 倍{'以上' if inflated else ''}（上限 {MAX_RATIO} 倍），"
            "不像正常导出的表格，为安全起见不读取；请用 Excel/WPS 打开检查后另存为 .xlsx 再试"
        )


def _too_big_in_all(path: Path, total: int, inflated: bool = False) -> str:
    said = "超过" if inflated else f"共有 {_size_text(total)}，超过"
    return f"{path.name}: 文件解压后{said} pfk 读取的上限 {_size_text(MAX_INFLATED_BYTES)}；请删掉不需要的工作表或拆成几个文件，或另存为 CSV 再试"


def _size_text(size: int) -> str:
    return f"{size / 1024**3:.1f} GB" if size >= 1024**3 else f"{size / 1024**2:.0f} MB"


def _what_it_is(path: Path) -> str:
    """What a file named .xlsx/.xls holds when it is not a workbook, and how to re-save it."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return "内容已损坏或不是表格"
    lower = head.lower()
    if b"<html" in lower or b"<table" in lower or b"<!doctype html" in lower:
        return f"其实是网页（HTML）格式，只是扩展名为 {path.suffix}；{_RESAVE}"
    if b"urn:schemas-microsoft-com:office:spreadsheet" in lower:
        return f"其实是 Excel 2003 XML 表格，只是扩展名为 {path.suffix}；{_RESAVE}"
    text = _plain_text(head)
    if text is not None:
        kind = "制表符分隔的文本" if text.count("\t") > text.count(",") else "逗号分隔的文本（CSV）"
        return f"其实是{kind}，只是扩展名为 {path.suffix}；把扩展名改成 .csv 即可直接读取，或{_RESAVE[1:]}"
    return "内容已损坏或不是表格"


def _plain_text(head: bytes) -> str | None:
    for encoding in ("utf-8-sig", "gb18030", "utf-16"):
        try:
            # A multi-byte character cut at the end of the sample is not a reason to doubt the rest.
            text = head.decode(encoding) if encoding != "utf-8-sig" else head.decode(encoding, errors="ignore" if len(head) == 4096 else "strict")
        except UnicodeDecodeError:
            continue
        if text and not any(ch < " " and ch not in "\t\r\n" for ch in text):
            return text
    return None


def _read_head(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(8)
    except OSError as exc:
        raise InputError(f"{path}: 无法打开（{exc.strerror}）") from exc


def _holds_encrypted_package(path: Path) -> bool:
    """An OLE file (.xls, or an encrypted .xlsx renamed) whose directory names an EncryptedPackage stream."""
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                if _ENCRYPTED_STREAM in chunk:
                    return True
                if len(chunk) == 1 << 20:
                    handle.seek(-len(_ENCRYPTED_STREAM), 1)
    except OSError:
        return False
    return False


def _read_workbook(path: Path, sheet: str | None, matcher, min_fields: int, every_sheet: bool) -> Tables:
    import fastexcel

    failure: BaseException | None = None
    with _native_errors_kept() as native:
        try:
            reader = fastexcel.read_excel(str(path))
        except BaseException as exc:  # calamine's errors, and its panics (not Exceptions), are all one thing here
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            native.failed, failure = True, exc
    if failure is not None:
        raise InputError(f"{path.name}: {_unreadable(failure)}", detail=_detail(failure, native)) from failure
    names = list(reader.sheet_names)
    if sheet is not None and sheet not in names:
        raise InputError(f"{path.name}: 没有名为「{sheet}」的工作表；现有：{'、'.join(names)}")
    candidates = [sheet] if sheet is not None else names
    skipped: list[str] = []
    any_cells = False
    found: list[RawSheet] = []
    other_headers: list[str] = []
    for name in candidates:
        index = names.index(name)
        probe = _xlsx_probe(path, index) if path.suffix.lower() in (".xlsx", ".xlsm") else None
        if probe is not None and probe[2] > MAX_COLUMNS:
            where = f"{path.name} › {name}"
            raise InputError(_too_wide(where, probe[2], probe[2] - 1))
        if probe is not None:
            with zipfile.ZipFile(path) as archive:
                memory.check_workbook(path, _sheet_member(archive, index))
        frame = _load_sheet(reader, path, name)
        if frame is None or frame.empty:
            continue
        any_cells = True
        header_at = find_header_row(frame, matcher, min_fields)
        if header_at is None:
            skipped.append(name)
            continue
        row0, col0 = probe[:2] if probe is not None else _sheet_origin(path, index)
        frame.index = frame.index + row0 + 1  # Excel row numbers
        frame.columns = range(frame.shape[1])
        raw = _split_header(frame, path.name, name, header_at, col0, [])
        if found and _header_key(raw) != _header_key(found[0]):
            other_headers.append(name)
            continue
        _mark_mangled_ids(raw, path, index, row0, col0, matcher)
        found.append(raw)
        if not every_sheet:
            break
    if not found:
        if not any_cells:
            raise InputError(f"{path.name}: 工作簿是空的，没有任何数据")
        where = f"工作表「{sheet}」" if sheet else "任何工作表"
        raise InputError(f"{path.name}: 在{where}的前 {HEADER_SEARCH_ROWS} 行里找不到表头（至少要有学号、姓名、运营老师这样的列名）")
    first = found[0]
    first.skipped_sheets = skipped
    first.other_headers = other_headers
    return Tables(found, skipped, other_headers)


def _header_key(raw: RawSheet) -> list[str]:
    from .columns import normalise_header

    return [normalise_header(h) for h in raw.headers]


def _mark_mangled_ids(raw: RawSheet, path: Path, index: int, row0: int, col0: int, matcher) -> None:
    """An ID of 16 digits or more in a number cell has lost its digits (Excel keeps 15): such cells are
    given as Excel shows them, `1.23457E+17`, which values.parse_id reports. Number cells are told from
    text cells only by reading the sheet again, so this runs only when such a long number is there."""
    import python_calamine

    columns = [i for i, header in enumerate(raw.headers) if matcher(header) == "student_id"]
    suspects = {}
    for position in columns:
        cells = raw.data[raw.data.columns[position]]
        long = cells.str.fullmatch(r"[0-9]{16,}", na=False)
        if long.any():
            suspects[position] = cells.index[long.to_numpy(dtype=bool)]
    if not suspects:
        return
    try:
        rows = list(python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(index).iter_rows())
    except BaseException as exc:  # noqa: BLE001 — already read once; a second reader's trouble changes nothing
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        return
    for position, excel_rows in suspects.items():
        column = raw.data.columns[position]
        for excel_row in excel_rows:
            cells = rows[excel_row - row0 - 1] if 0 <= excel_row - row0 - 1 < len(rows) else []
            value = cells[position] if position < len(cells) else None
            if isinstance(value, float):
                raw.data.at[excel_row, column] = excel_number_text(value)


def _load_sheet(reader, path: Path, name: str):
    import threading

    loaded: dict[str, object] = {}

    def load() -> None:
        try:
            loaded["cells"] = reader.load_sheet(name, header_row=None, dtypes="string").to_arrow()
        except BaseException as exc:  # noqa: BLE001 — re-raised below, in the caller's thread; panics too
            loaded["error"] = exc

    # calamine parses in Rust without holding the GIL: on a first read, pandas (half a second to
    # import) loads on the other core meanwhile.
    with _native_errors_kept() as native:
        worker = threading.Thread(target=load, name="pfk-read", daemon=True)
        worker.start()
        import pandas  # noqa: F401

        worker.join()
        native.failed = "error" in loaded
    try:
        if "error" in loaded:
            raise loaded["error"]
        frame = loaded["cells"].to_pandas()
    except BaseException as exc:
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        raise InputError(f"{path.name} › {name}: 无法读取这个工作表（{_reason(exc)}）", detail=_detail(exc, native)) from exc
    return frame


class _Native:
    failed = False
    text = ""


@contextmanager
def _native_errors_kept() -> Iterator[_Native]:
    """Keep what calamine writes straight to the process's stderr. A panic in Rust prints `thread …
    panicked at …` and a stack trace there before Python sees an exception; that English belongs in
    --debug (the error's detail), not on the user's screen. Anything else written meanwhile is
    passed on when the block ends."""
    native = _Native()

    def done(written: bytes) -> None:
        native.text = written.decode("utf-8", errors="replace")
        if written and not native.failed:
            os.write(2, written)

    with stderr_fd_aside(done):
        yield native


@contextmanager
def stderr_fd_aside(done: Callable[[bytes], None]) -> Iterator[int | None]:
    """Send what is written straight to the process's stderr (fd 2: native code, a Rust panic's trace)
    to a temporary file while the block runs; when it ends, however it ends, fd 2 is the screen again
    and `done` gets the bytes kept. Yields a duplicate of the real stderr, open while the block runs —
    or None, keeping nothing and never calling `done`, when there is no real stderr (a GUI launcher).
    Python's sys.stderr is flushed before and after."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):
        yield None
        return
    sink = tempfile.TemporaryFile()
    os.dup2(sink.fileno(), 2)
    try:
        yield saved
    finally:
        try:
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
        os.dup2(saved, 2)
        os.close(saved)
        sink.seek(0)
        written = sink.read()
        sink.close()
        done(written)


def _detail(exc: BaseException, native: _Native) -> str:
    said = f"{type(exc).__name__}: {exc}"
    return f"{said}\n{native.text}".strip() if native.text else said


def _unreadable(exc: BaseException) -> str:
    """The one line for a workbook calamine cannot open."""
    if _is_panic(exc):
        return f"这个文件无法读取（读取时出错，文件可能已损坏或用了少见的格式）；{_RESAVE}"
    reason = _reason(exc)
    if reason == _ENCRYPTED:
        return _ENCRYPTED
    return f"{_NOT_WORKBOOK}（{reason}）"


def _is_panic(exc: BaseException) -> bool:
    return type(exc).__name__ == "PanicException"


def _reason(exc: BaseException) -> str:
    """calamine's message in plain Chinese: the original is the error's detail, for --debug."""
    said = str(exc).lower()
    if _is_panic(exc):
        return "读取时出错，文件可能已损坏或用了少见的格式"
    if "password" in said or "encrypt" in said:
        return _ENCRYPTED
    codepage = re.search(r"codepage\D*(\d+)", said)
    if codepage:
        return f"文件使用了读不了的文字编码（代码页 {codepage.group(1)}），{_RESAVE}"
    if "zip" in said or "eof" in said or "end of" in said or "unexpected end" in said:
        return "文件不完整或已损坏，可能没有下载或复制完整；请重新导出，或用 Excel/WPS 打开后另存再试"
    if "float" in said or "int" in said.split() or "number" in said:
        return f"文件里有读不懂的数字内容，文件可能已损坏；{_RESAVE}"
    return f"内容已损坏或格式不受支持；{_RESAVE}"


def _too_wide(where: str, width: int, last: int) -> str:
    return (
        f"{where}: 表格有 {width} 列（到第{column_letter(last)}列），超过 pfk 能处理的 {MAX_COLUMNS} 列；"
        "多半是右边有误填或粘贴的内容，请删掉多余的列后另存再试"
    )


def find_header_row(frame, matcher=field_for_header, min_fields: int = 2) -> int | None:
    """Position (0-based) of the row among the first rows that names the most known columns."""
    best, best_score = None, 0
    # The first rows as Python lists at once: a row taken out of a frame one at a time costs a Series each.
    head = frame.iloc[:HEADER_SEARCH_ROWS].to_numpy(dtype=object).tolist()
    for position, row in enumerate(head):
        fields = {matcher(v) for v in row if isinstance(v, str)}
        fields.discard(None)
        score = len(fields)
        if score > best_score and (fields & {"student_id", "name"}):
            best, best_score = position, score
    return best if best_score >= min_fields else None


def _split_header(frame, file: str, sheet: str | None, header_at: int, col0: int, skipped: list[str]) -> RawSheet:
    import pandas as pd

    header_row = int(frame.index[header_at])
    headers = ["" if pd.isna(v) else str(v).strip() for v in frame.iloc[header_at].tolist()]
    data = frame.iloc[header_at + 1 :]
    # Drop trailing columns with neither a header nor any value (often from stray formatting).
    while headers and not headers[-1] and data[data.columns[len(headers) - 1]].isna().all():
        headers.pop()
    data = data.iloc[:, : len(headers)]
    if len(headers) > MAX_COLUMNS:
        where = f"{file} › {sheet}" if sheet else file
        raise InputError(_too_wide(where, len(headers), col0 + len(headers) - 1))
    letters = [column_letter(col0 + i) for i in range(len(headers))]
    return RawSheet(file, sheet, header_row, headers, letters, data, skipped)


def _sheet_origin(path: Path, index: int) -> tuple[int, int]:
    """Where calamine's used range starts (row, column), 0-based: it drops leading empty rows/columns."""
    import python_calamine

    try:
        sheet = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(index)
        return tuple(sheet.start)  # type: ignore[return-value]
    except Exception:
        return (0, 0)


_ROW = re.compile(rb"<(?:\w+:)?row\b([^>]*)>(.*?)</(?:\w+:)?row>", re.S)
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')
_HAS_VALUE = re.compile(rb"<(?:\w+:)?(?:v|is)\b[^>]*>\s*\S|<(?:\w+:)?is\b")


def _sheet_member(archive: zipfile.ZipFile, sheet: int | str) -> str:
    """The zip member holding a worksheet, by its position or its name."""
    from xml.etree import ElementTree

    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    rel_ns = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    sheets = ElementTree.fromstring(archive.read("xl/workbook.xml")).findall("m:sheets/m:sheet", ns)
    found = sheets[sheet] if isinstance(sheet, int) else next(s for s in sheets if s.get("name") == sheet)
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    target = next(r.get("Target") for r in rels if r.get("Id") == found.get(rel_ns))
    return target.lstrip("/") if target.startswith("/") else "xl/" + target


_ERROR_CELL = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]+)(\d+)"[^>]*?\bt="e"|<(?:\w+:)?c\b[^>]*?\bt="e"[^>]*?\br="([A-Z]+)(\d+)"')


def filled_rows(path: Path, sheet: str, headers: Sequence[str]) -> int:
    """How many rows of a sheet pfk handed out have something in any of `headers` (what a teacher
    fills in); 0 for a file that is not there or not such a workbook."""
    if not Path(path).is_file():
        return 0
    wanted = set(headers)
    try:
        check_inflated_size(Path(path))
        import fastexcel
        import pyarrow.compute as pc

        # Only the fill-in columns, counted in Arrow: a week's call sheets are checked in milliseconds.
        book = fastexcel.read_excel(str(path))
        table = book.load_sheet(sheet, use_columns=lambda column: column.name in wanted, dtypes="string").to_arrow()
    except Exception:  # noqa: BLE001 — not a workbook, no such sheet, too big to read: nothing a teacher filled in there
        return 0
    filled = None
    for column in table.columns:
        has_text = pc.fill_null(pc.not_equal(pc.utf8_trim_whitespace(column), ""), False)
        filled = has_text if filled is None else pc.or_(filled, has_text)
    return 0 if filled is None else int(pc.sum(filled).as_py() or 0)


def label_pairs(path: Path, sheet: str) -> dict[str, str]:
    """Label → text of a two-column sheet (a workbook's 说明); blank cells are absent (never "nan").
    Any file without such a sheet: {}."""
    try:
        check_inflated_size(Path(path))
        import fastexcel

        cells = fastexcel.read_excel(str(path)).load_sheet(sheet, header_row=None, dtypes="string").to_pandas()
    except Exception:  # noqa: BLE001 — no such sheet, or not a workbook: nothing to read
        return {}
    pairs: dict[str, str] = {}
    if cells.shape[1] < 2:  # a one-column sheet (a roster's own 说明): no labels beside values
        return pairs
    for label, value in cells.iloc[:, :2].itertuples(index=False):
        label, value = cell_text(label), cell_text(value)
        if label and value:
            pairs.setdefault(label, value)
    return pairs


def error_cells(path: Path, sheet: str) -> set[tuple[int, str]]:
    """(Excel row, column letters) of the cells of an .xlsx sheet that hold an error such as #NAME? —
    which the readers give back as blank. Empty for other files or when the sheet cannot be found."""
    from xml.etree import ElementTree

    try:
        with zipfile.ZipFile(path) as archive:
            data = archive.read(_sheet_member(archive, sheet))
    except (KeyError, IndexError, StopIteration, zipfile.BadZipFile, ElementTree.ParseError, OSError):
        return set()
    found = set()
    for match in _ERROR_CELL.finditer(data):
        letters, row = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
        found.add((int(row), letters.decode()))
    return found


def _xlsx_probe(path: Path, index: int) -> tuple[int, int, int] | None:
    """Read only the start of the sheet's XML: its first filled row and leftmost filled column (0-based),
    and how many columns the filled cells of its first rows span — known before calamine lays the sheet
    out as a grid of rows × columns (a value typed in column XFD makes that grid 16,384 wide)."""
    from xml.etree import ElementTree

    try:
        with zipfile.ZipFile(path) as archive, archive.open(_sheet_member(archive, index)) as stream:
            buffer = stream.read(1 << 20)
    except (KeyError, IndexError, StopIteration, zipfile.BadZipFile, ElementTree.ParseError, OSError):
        return None
    first_row, first_col, last_col = None, None, 0
    for rows_seen, match in enumerate(_ROW.finditer(buffer)):
        for cell in _CELL.finditer(match.group(2)):
            if not cell.group(2) or not _HAS_VALUE.search(cell.group(2)):
                continue
            ref = _REF.search(cell.group(1))
            if not ref:
                return None
            col = _letters_to_index(ref.group(1).decode())
            row = int(ref.group(2)) - 1
            first_row = row if first_row is None else first_row
            first_col = col if first_col is None else min(first_col, col)
            last_col = max(last_col, col)
        if rows_seen > 200:
            break
    if first_row is None:
        return None
    return first_row, first_col or 0, last_col - (first_col or 0) + 1


def _letters_to_index(letters: str) -> int:
    index = 0
    for char in letters:
        index = index * 26 + ord(char) - 64
    return index - 1


def _decode_text(path: Path) -> tuple[str, str, bytes]:
    """The text, the encoding it was read in — UTF-8 (with or without BOM), UTF-16 (with or without
    BOM), or GBK/GB18030 as Excel in China saves CSV — and the text as UTF-8 bytes: the file's own
    bytes when it is valid UTF-8 without a BOM, so a million-row log is not encoded a second time."""
    raw = path.read_bytes()
    text, encoding = _decoded(raw, path)
    plain_utf8 = encoding == "utf-8" and not raw.startswith(codecs.BOM_UTF8)
    return text, encoding, raw if plain_utf8 else text.encode("utf-8")


def _decoded(raw: bytes, path: Path) -> tuple[str, str]:
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if raw.startswith(bom):
            return raw[len(bom) :].decode(encoding, errors="replace"), encoding
    if b"\x00" in raw[:4096]:
        encoding = _utf16_without_bom(raw)
        if encoding is None:
            raise InputError(f"{path.name}: 不是文本表格（含二进制内容），请另存为 CSV UTF-8 或 .xlsx")
        return raw.decode(encoding, errors="replace"), encoding
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise InputError(f"{path.name}: 无法识别文件编码（支持 UTF-8、GBK/GB18030），请在 Excel 中另存为「CSV UTF-8」")


def _utf16_without_bom(raw: bytes) -> str | None:
    """UTF-16 saved without a BOM: digits, commas and line breaks put a zero byte in every other place."""
    sample = raw[:4096]
    if len(raw) % 2 or len(sample) < 4:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    encoding = "utf-16-le" if odd > even else "utf-16-be"
    if max(even, odd) < len(sample) // 8 or min(even, odd) > max(even, odd) // 10:
        return None
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        return None
    # Real text has no control characters but tab and line breaks.
    if any(ch < " " and ch not in "\t\r\n" for ch in text[:2048]):
        return None
    return encoding


def _first_lines(text: str, count: int) -> list[str]:
    """`text.splitlines()[:count]` without splitting a million-line log to look at its head."""
    lines = text[: 1 << 16].splitlines()
    # More lines than asked for: the first `count` ended inside the prefix, so they are whole.
    return lines[:count] if len(lines) > count else text.splitlines()[:count]


def _csv_cells_arrow(data: bytes, delimiter: str, width: int, threads: bool = True):
    """The cells of a rectangular CSV as text (blank → missing), read by Arrow's threaded parser, which
    is over ten times faster than pandas' on a million-row log. None when a row has another number of
    cells than `width`: pandas' reader, which pads short rows, takes those files."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [str(i) for i in range(width)]
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=threads),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, ignore_empty_lines=False, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=True, null_values=[""]
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    frame = table.to_pandas()
    frame.columns = range(width)
    return frame


def _read_csv(path: Path, matcher, min_fields: int, threads: bool = True) -> RawSheet:
    import pandas as pd

    text, encoding, data = _decode_text(path)
    if not text or text.isspace():
        raise InputError(f"{path.name}: 文件是空的，没有任何数据")
    lines = _first_lines(text, 200)
    delimiter = max(",\t;|", key=lambda d: sum(line.count(d) for line in lines))
    width = max((line.count(delimiter) for line in lines), default=0) + 1
    frame = _csv_cells_arrow(data, delimiter, width, threads)
    if frame is None:
        try:
            frame = pd.read_csv(
                # As UTF-8 bytes: pandas' C parser reads those a third faster than a str it must re-encode.
                io.BytesIO(data),
                encoding="utf-8",
                header=None,
                names=range(width),
                sep=delimiter,
                dtype=str,
                keep_default_na=False,
                skip_blank_lines=False,
                engine="c",
            )
        except (pd.errors.ParserError, ValueError) as exc:
            raise InputError(f"{path.name}: 不是有效的 CSV 表格（有的行格式不对，比如引号没有成对）；请用 Excel/WPS 打开后另存再试",
                             detail=f"{type(exc).__name__}: {exc}") from exc
        frame = frame.replace("", None)
    header_at = find_header_row(frame, matcher, min_fields)
    if header_at is None:
        hint = "" if text.isascii() or encoding != "gb18030" else "；文件可能不是 UTF-8 或 GBK 编码（如繁体 Big5、日文 Shift-JIS），请在 Excel/WPS 中另存为「CSV UTF-8」再试"
        raise InputError(f"{path.name}: 在前 {HEADER_SEARCH_ROWS} 行里找不到表头（至少要有学号、姓名、运营老师这样的列名）{hint}")
    frame.index = frame.index + 1
    return _split_header(frame, path.name, None, header_at, 0, [])
