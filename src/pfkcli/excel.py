"""The one place pfk writes workbooks, so every output keeps the same conventions (SPEC §8):

- frozen header row, autofilter, a bold grey header, column widths that fit Chinese text;
- one fill colour per segment row; dates as real dates; phone numbers and IDs as text;
- user text is always written as a text cell with Excel's quote prefix, so `=…`, `+…`, `-…`, `@…`
  can never run as a formula, even after a user edits the cell; numbers stay numbers;
- written to a temporary file in the target folder and renamed, so a crash leaves the old file or
  the new one, never half of one; an input file is never written over.

The backend is rustpy-xlsxwriter (Rust, several times faster than XlsxWriter on large sheets).
"""

from __future__ import annotations

import errno
import os
import unicodedata
from collections.abc import Container, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .errors import OutputError
from .progress import step

HEADER_FILL = "#D9D9D9"
DATE_FORMAT = "yyyy-mm-dd"
MAX_WIDTH = 60
WIDTH_SAMPLE = 2000
# Excel's limit on the characters of one cell; longer text (possible in a CSV) is cut, and says so.
MAX_CELL_TEXT = 32_767
CUT_MARK = "…（超出 Excel 单元格上限，已截断）"


@dataclass
class SheetSpec:
    """One worksheet: `frame` columns are written in order, under their names as headers."""

    name: str
    frame: object  # pandas.DataFrame
    row_colours: Sequence[str | None] | None = None  # fill per data row ("#RRGGBB" or None)
    validations: dict[str, dict] = field(default_factory=dict)
    charts: list[dict] = field(default_factory=list)
    widths: dict[str, float] = field(default_factory=dict)  # overrides the fitted widths
    freeze: bool = True
    autofilter: bool = True
    print_landscape: bool = False  # printed landscape, the header row on every page (call sheets)
    prepared: bool = False  # `frame` already went through `writable`, and `widths` names every column


def display_width(text: str) -> int:
    """Columns a string takes on screen: CJK and full-width characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def display_widths(texts: list[str]):
    """`display_width` of every string (a numpy int array), looking each distinct character up once."""
    import numpy as np

    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    joined = "".join(texts)
    if joined.isascii():
        return lengths
    points = np.frombuffer(joined.encode("utf-32-le", errors="surrogatepass"), dtype=np.uint32)
    distinct, where = np.unique(points, return_inverse=True)
    wide = np.fromiter((unicodedata.east_asian_width(chr(c)) in "WF" for c in distinct.tolist()), dtype=bool, count=len(distinct))
    extra = np.concatenate(([0], np.cumsum(wide[where], dtype=np.int64)))
    ends = np.cumsum(lengths)
    return lengths + extra[ends] - extra[ends - lengths]


def fitted_widths(frame, skip: Container[str] = ()) -> dict[str, float]:
    """Width per column from its header and a sample of its values, in Excel character units
    (columns named in `skip` are left out: their width is given)."""
    import numpy as np
    import pandas as pd

    sample = frame.head(WIDTH_SAMPLE)
    widths: dict[str, float] = {}
    for column in frame.columns:
        if str(column) in skip:
            continue
        values = sample[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            longest = 10
        else:
            texts = values.dropna().astype(str).tolist()
            # np.quantile is what Series.quantile runs, without its overhead on every column of every sheet.
            longest = int(np.quantile(display_widths(texts), 0.95)) if len(texts) else 0
        widths[str(column)] = float(min(MAX_WIDTH, max(display_width(str(column)) + 4, longest + 2, 6)))
    return widths


def check_output_path(path: Path, inputs: Sequence[Path | None] = ()) -> Path:
    """Refuse to write over an input, into a missing folder, onto a folder or anything but a plain file."""
    path = Path(path)
    try:
        return _refuse_unsafe_output(path, inputs)
    except OSError as exc:  # a name too long for the file system, a path it cannot look at
        reason = "文件名太长" if exc.errno == errno.ENAMETOOLONG else (exc.strerror or str(exc))
        raise OutputError(f"{path}: 无法写入（{reason}）") from exc


def _refuse_unsafe_output(path: Path, inputs: Sequence[Path | None]) -> Path:
    for source in filter(None, inputs):  # an optional input that was not given is None
        source = Path(source)
        if source.exists() and path.exists() and os.path.samefile(source, path):
            raise OutputError(f"{path}: 这是输入文件，pfk 不会覆盖输入；请用 -o 指定另一个文件名")
        if path.resolve() == source.resolve():
            raise OutputError(f"{path}: 这是输入文件，pfk 不会覆盖输入；请用 -o 指定另一个文件名")
    folder = path.parent
    if not folder.exists():
        raise OutputError(f"{path}: 文件夹 {folder} 不存在")
    if not folder.is_dir():
        raise OutputError(f"{path}: {folder} 不是文件夹")
    if path.is_dir():
        raise OutputError(f"{path}: 这是一个文件夹，不能作为输出文件")
    if path.exists() and not path.is_file():  # a device or a pipe: renaming onto it would replace it
        raise OutputError(f"{path}: 这不是普通文件，不能作为输出文件")
    if (folder / f"~${path.name}").exists():
        raise OutputError(f"{path}: 文件正在 Excel/WPS 中打开，请先关闭再运行")
    return path


def write_workbook(path: Path, sheets: Sequence[SheetSpec], inputs: Sequence[Path | None] = ()) -> Path:
    """Write `sheets` to `path` atomically. Raises OutputError with one clear line when it cannot."""
    path = check_output_path(Path(path), inputs)
    # Short, so that a name near the file system's limit still leaves room for the temporary one.
    temp = path.parent / f".{path.stem[:40]}.{os.getpid()}.part.xlsx"
    try:
        with step(f"写出 {path.name}"):
            _write(temp, sheets)
        os.replace(temp, path)
    except OutputError:
        raise
    except PermissionError as exc:
        raise OutputError(f"{path}: 没有写入权限，或文件正在 Excel/WPS 中打开（{exc.strerror}）") from exc
    except OSError as exc:
        reason = "磁盘已满" if exc.errno == 28 else (exc.strerror or str(exc))
        raise OutputError(f"{path}: 无法写入（{reason}）") from exc
    except Exception as exc:  # the Rust writer reports I/O trouble as plain exceptions
        raise OutputError(f"{path}: 无法写入（{str(exc).splitlines()[0][:160]}）") from exc
    finally:
        temp.unlink(missing_ok=True)
    return path


def _write(target: Path, sheets: Sequence[SheetSpec]) -> None:
    from rustpy_xlsxwriter import Format, write_worksheets

    # Headers are user text too (unknown columns, teacher names in a summary): quote-prefixed like the rest.
    header = Format().set_bold().set_background_color(HEADER_FILL).set_border("thin").set_quote_prefix()
    plain = Format().set_quote_prefix()
    fills: dict[str, object] = {}

    def row_format(colour: str | None):
        if not colour:
            return plain
        if colour not in fills:
            fills[colour] = Format().set_background_color(colour).set_quote_prefix()
        return fills[colour]

    entries, freeze, autofilter, widths, rows, validations, charts, headers, pages = [], {}, {}, {}, {}, {}, {}, {}, {}
    for sheet in sheets:
        frame = sheet.frame if sheet.prepared else writable(sheet.frame)
        entries.append((sheet.name, frame))
        headers[sheet.name] = header
        if sheet.freeze:
            freeze[sheet.name] = {"row": 1, "col": 0}
        autofilter[sheet.name] = sheet.autofilter and len(frame.columns) > 0
        widths[sheet.name] = sheet.widths if sheet.prepared else {**fitted_widths(frame, skip=sheet.widths), **sheet.widths}
        colours = sheet.row_colours if sheet.row_colours is not None else [None] * len(frame)
        # zip stops at the frame's last row, should the colours run longer.
        rows[sheet.name] = dict(zip(range(1, len(frame) + 1), map(row_format, colours)))
        if sheet.validations:
            validations[sheet.name] = sheet.validations
        if sheet.charts:
            charts[sheet.name] = sheet.charts
        if sheet.print_landscape:
            pages[sheet.name] = {"landscape": True, "repeat_rows": 0}
    write_worksheets(
        entries,
        str(target),
        freeze_panes=freeze,
        autofilter=autofilter,
        column_widths=widths,
        row_formats=rows,
        header_format=headers,
        datetime_format=DATE_FORMAT,
        data_validations=validations or None,
        charts=charts or None,
        page_setup=pages or None,
    )


def writable(frame):
    """Columns in types the writer maps to cells: text, float, nullable int, datetime; index 0…n-1."""
    import pandas as pd

    # Collected first and framed once: inserting columns one by one is quadratic on wide sheets.
    out = {}
    for column in frame.columns:
        values = frame[column].reset_index(drop=True)
        if pd.api.types.is_datetime64_any_dtype(values):
            if (values.notna() & ~values.dt.year.between(1900, 9999)).any():
                # Excel has no dates before 1900: such a column is carried as text rather than left blank.
                out[str(column)] = values.astype("str").str.slice(0, 10).where(values.notna(), None)
            else:
                out[str(column)] = values.astype("datetime64[ms]")
        elif pd.api.types.is_bool_dtype(values):
            out[str(column)] = values.map({True: "是", False: "否"})
        elif pd.api.types.is_numeric_dtype(values):
            out[str(column)] = values
        else:
            text = values.astype("str")
            if _longest_in_bytes(text) > MAX_CELL_TEXT:  # a character takes a byte or more: else none is too long
                long = text.str.len() > MAX_CELL_TEXT
                text = text.where(~long, text.str.slice(0, MAX_CELL_TEXT - len(CUT_MARK)) + CUT_MARK)
            # Already text (the usual case): its blanks are already missing values.
            out[str(column)] = text if text.dtype == values.dtype else text.where(values.notna(), None)
    return pd.DataFrame(out, index=range(len(frame)))


def _longest_in_bytes(text) -> int:
    """The longest cell of a text column in UTF-8 bytes, read off Arrow's offsets (0 when all blank)."""
    import pyarrow.compute as pc

    from .texts import arrow

    return pc.max(pc.binary_length(arrow(text))).as_py() or 0
