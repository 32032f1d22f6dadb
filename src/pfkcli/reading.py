"""Reading spreadsheets as people export them: .xlsx/.xlsm/.xls/.ods through calamine (fastexcel),
.csv in UTF-8 (with or without BOM), UTF-16 or GBK/GB18030.

Every cell comes back as text, so that IDs and phone numbers keep their digits and every value is
parsed one way (see values.py). The header row is found under title lines by matching column aliases.
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .columns import field_for_header
from .errors import InputError

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
HEADER_SEARCH_ROWS = 30
# Far beyond any real roster; wider sheets are stray typing or a broken export, and would only be slow.
MAX_COLUMNS = 1000
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# An encrypted .xlsx is an OLE file holding this stream (its directory names are UTF-16).
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_ENCRYPTED = "文件设置了打开密码（已加密），请在 Excel/WPS 中取消密码后另存再试"


@dataclass
class RawSheet:
    """A sheet read as text. `data` has one column per sheet column; its index holds Excel row numbers."""

    file: str
    sheet: str | None
    header_row: int
    headers: list[str]
    letters: list[str]
    data: object  # pandas.DataFrame of text
    skipped_sheets: list[str] = field(default_factory=list)


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def read_table(path: Path, sheet: str | None = None, matcher=field_for_header, min_fields: int = 2, threads: bool = True) -> RawSheet:
    """Read the sheet holding a recognisable header (or `sheet`), find its header row, return the cells as text.

    >>> raw = read_table(Path("samples/roster.xlsx"))  # doctest: +SKIP
    >>> raw.header_row, raw.headers[:2]                  # doctest: +SKIP
    (2, ['学号', '学员姓名'])

    `matcher(header)` names the field a header stands for (roster columns by default). `threads=False`
    reads a CSV on the calling thread alone, for a caller that reads another file meanwhile.
    """
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
    if head.startswith(_ZIP_MAGIC) or head.startswith(_OLE_MAGIC):
        return _read_workbook(path, sheet, matcher, min_fields)
    if path.suffix.lower() in SPREADSHEET_SUFFIXES:
        raise InputError(f"{path.name}: 不是有效的 Excel/WPS 表格文件（内容已损坏或不是表格）")
    return _read_csv(path, matcher, min_fields, threads)


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


def _read_workbook(path: Path, sheet: str | None, matcher, min_fields: int) -> RawSheet:
    import fastexcel

    try:
        reader = fastexcel.read_excel(str(path))
    except Exception as exc:  # calamine's errors are many kinds of one thing: not a workbook it can read
        raise InputError(f"{path.name}: 不是有效的 Excel/WPS 表格文件（{_short(exc)}）") from exc
    names = list(reader.sheet_names)
    if sheet is not None and sheet not in names:
        raise InputError(f"{path.name}: 没有名为「{sheet}」的工作表；现有：{'、'.join(names)}")
    candidates = [sheet] if sheet is not None else names
    skipped: list[str] = []
    any_cells = False
    for name in candidates:
        frame = _load_sheet(reader, path, name)
        if frame is None or frame.empty:
            skipped.append(name)
            continue
        any_cells = True
        header_at = find_header_row(frame, matcher, min_fields)
        if header_at is None:
            skipped.append(name)
            continue
        row0, col0 = _sheet_origin(path, names.index(name))
        frame.index = frame.index + row0 + 1  # Excel row numbers
        frame.columns = range(frame.shape[1])
        return _split_header(frame, path.name, name, header_at, col0, skipped)
    if not any_cells:
        raise InputError(f"{path.name}: 工作簿是空的，没有任何数据")
    where = f"工作表「{sheet}」" if sheet else "任何工作表"
    raise InputError(f"{path.name}: 在{where}的前 {HEADER_SEARCH_ROWS} 行里找不到表头（至少要有学号、姓名、运营老师这样的列名）")


def _load_sheet(reader, path: Path, name: str):
    import threading

    loaded: dict[str, object] = {}

    def load() -> None:
        try:
            loaded["cells"] = reader.load_sheet(name, header_row=None, dtypes="string").to_arrow()
        except Exception as exc:  # noqa: BLE001 — re-raised below, in the caller's thread
            loaded["error"] = exc

    # calamine parses in Rust without holding the GIL: on a first read, pandas (half a second to
    # import) loads on the other core meanwhile.
    worker = threading.Thread(target=load, name="pfk-read", daemon=True)
    worker.start()
    import pandas  # noqa: F401

    worker.join()
    try:
        if "error" in loaded:
            raise loaded["error"]
        frame = loaded["cells"].to_pandas()
    except Exception as exc:
        raise InputError(f"{path.name} › {name}: 无法读取这个工作表（{_short(exc)}）") from exc
    return frame


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]


def find_header_row(frame, matcher=field_for_header, min_fields: int = 2) -> int | None:
    """Position (0-based) of the row among the first rows that names the most known columns."""
    best, best_score = None, 0
    for position in range(min(HEADER_SEARCH_ROWS, len(frame))):
        row = frame.iloc[position]
        fields = {matcher(v) for v in row.tolist() if isinstance(v, str)}
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
        raise InputError(
            f"{where}: 表格有 {len(headers)} 列（到第{column_letter(col0 + len(headers) - 1)}列），超过 pfk 能处理的 {MAX_COLUMNS} 列；"
            "多半是右边有误填或粘贴的内容，请删掉多余的列后另存再试"
        )
    letters = [column_letter(col0 + i) for i in range(len(headers))]
    return RawSheet(file, sheet, header_row, headers, letters, data, skipped)


def _sheet_origin(path: Path, index: int) -> tuple[int, int]:
    """Where calamine's used range starts (row, column), 0-based: it drops leading empty rows/columns."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        origin = _xlsx_origin(path, index)
        if origin is not None:
            return origin
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


def _xlsx_origin(path: Path, index: int) -> tuple[int, int] | None:
    """Read only the start of the sheet's XML to find its first filled row and leftmost filled column."""
    from xml.etree import ElementTree

    try:
        with zipfile.ZipFile(path) as archive:
            ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
            rel_ns = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
            workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
            sheets = workbook.findall("m:sheets/m:sheet", ns)
            rel_id = sheets[index].get(rel_ns)
            rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
            target = next(r.get("Target") for r in rels if r.get("Id") == rel_id)
            member = target.lstrip("/") if target.startswith("/") else "xl/" + target
            with archive.open(member) as stream:
                buffer = stream.read(1 << 20)
    except (KeyError, IndexError, StopIteration, zipfile.BadZipFile, ElementTree.ParseError, OSError):
        return None
    first_row, first_col = None, None
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
        if rows_seen > 200:
            break
    if first_row is None:
        return None
    return first_row, first_col or 0


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
            raise InputError(f"{path.name}: 不是有效的 CSV 表格（{_short(exc)}）") from exc
        frame = frame.replace("", None)
    header_at = find_header_row(frame, matcher, min_fields)
    if header_at is None:
        hint = "" if text.isascii() or encoding != "gb18030" else "；文件可能不是 UTF-8 或 GBK 编码（如繁体 Big5、日文 Shift-JIS），请在 Excel/WPS 中另存为「CSV UTF-8」再试"
        raise InputError(f"{path.name}: 在前 {HEADER_SEARCH_ROWS} 行里找不到表头（至少要有学号、姓名、运营老师这样的列名）{hint}")
    frame.index = frame.index + 1
    return _split_header(frame, path.name, None, header_at, 0, [])
