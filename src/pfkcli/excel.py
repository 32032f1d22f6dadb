"""The one place pfk writes workbooks, so every output keeps the same conventions (SPEC §8):

- frozen header row, autofilter, a bold grey header, column widths that fit Chinese text;
- one fill colour per segment row; dates as real dates; phone numbers and IDs as text;
- user text is always written as a text cell with Excel's quote prefix, so `=…`, `+…`, `-…`, `@…`
  can never run as a formula, even after a user edits the cell; numbers stay numbers;
- written to a temporary file in the target folder and renamed, so a crash leaves the old file or
  the new one, never half of one; an input file, or the workspace's own files, never written over
  (`paths.check_output`);
- a sheet longer than Excel's 1,048,576 rows continues on `<name> 2`, `<name> 3` … with the same
  header and look, so finished work is never lost to the row limit;
- drop-downs per column (`validations`), and drop-downs that differ from row to row
  (`row_validations`: a call sheet's 使用方案 lists the solutions of each student's own segment).

The backend is rustpy-xlsxwriter (Rust, several times faster than XlsxWriter on large sheets), in its
standard mode (see `_workbook` for why not its constant-memory mode), writing a temporary file. A sheet of more than `LARGE_SHEET_CELLS` cells (a million students' result) is
written in the writer's constant-memory mode, one row after another, without the row fills: standard
mode holds every cell until the end (7 GB for 1,000,000 rows × 27 columns), and constant mode cannot
fill rows (see `_workbook`). Its text cells keep the quote prefix.
"""

from __future__ import annotations

import errno
import itertools
import math
import os
import re
import unicodedata
from collections.abc import Callable, Container, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import OutputError
from .paths import PFK_MARK, WORKBOOK, WORKBOOK_KIND, check_output, close_first
from .progress import step
from .segments import ALL_SEGMENTS
from .values import column_letter

HEADER_FILL = "#D9D9D9"
DATE_FORMAT = "yyyy-mm-dd"
MAX_WIDTH = 60
WIDTH_SAMPLE = 2000
# Excel's limit on the characters of one cell; longer text (possible in a CSV) is cut, and says so.
MAX_CELL_TEXT = 32_767
CUT_MARK = "…（超出 Excel 单元格上限，已截断）"
# Excel's grid: rows in one worksheet (the header row included) and columns; a sheet name's length.
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
MAX_SHEET_NAME = 31
# Beyond this many cells a sheet is streamed to its file without row fills (README › Performance: at
# 100,000 students × 27 columns standard mode holds about 0.6 GB; at a million, 7 GB).
LARGE_SHEET_CELLS = 6_000_000


def is_large(rows: int, columns: int) -> bool:
    """Whether a sheet of this size is written row by row, without row fills (`LARGE_SHEET_CELLS`)."""
    return rows * columns > LARGE_SHEET_CELLS


@dataclass
class RowValidation:
    """A rule on some rows of one column. Excel takes one rule per cell, and an inline list of at most
    255 characters: a list that differs from row to row is a rule of its own over the rows that share
    it, and a long list is read from cells (`source`, e.g. `'方案选项'!$B$2:$B$9`) rather than written inline.

    `rule` is as `SheetSpec.validations` takes it (type "list" with `values`, or with `source`;
    input_title, input_message, error_title, error_message, error_style).
    """

    column: str
    rows: Sequence[int]  # data rows, 0-based (the first row under the header is 0)
    rule: dict


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
    freeze_columns: int = 0  # columns kept in view beside the frozen header (a call sheet's names and phones)
    autofilter: bool = True
    wrap: bool = False  # long texts wrap within their column width, top-aligned
    row_heights: Sequence[float] | None = None  # per data row, in points (fitted to wrapped text)
    page: dict | None = None  # print setup, as the writer takes it (landscape, fit_to_pages, header …); default: one page wide
    # `frame` as the writer takes it (an Arrow table of the `writable` frame). Set by `prepared`, which
    # also gives every column a width, so that a sheet going into many workbooks is converted once.
    cells: object = None
    row_validations: list[RowValidation] = field(default_factory=list)  # rules on some rows of a column
    hidden: bool = False  # a helper sheet (the lists drop-downs read), out of sight
    # Columns whose data cells are ruled boxes (thin borders, written even when empty): what a teacher
    # fills in by hand on a printed sheet.
    boxed: Sequence[str] = ()
    font_size: float | None = None  # points, header and data (default: the writer's 11)


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
        widths[str(column)] = float(min(MAX_WIDTH, max(_header_width(str(column)), longest + 2, 6)))
    return widths


# A header longer than this wraps onto a second line rather than widen a column of short numbers
# (the report's 对照：占比（%）): a wide sheet then still prints at a readable size.
HEADER_ONE_LINE = 12


def _header_width(header: str) -> float:
    width = display_width(header) + 4
    return width if width <= HEADER_ONE_LINE else max(HEADER_ONE_LINE, math.ceil(display_width(header) / 2) + 4)


def header_height(headers: Sequence[str], widths: dict[str, float], font_size: float | None = None) -> float | None:
    """The header row's height when a header wraps within its width (None: one line, Excel's own)."""
    lines = max((int(_line_counts(display_width(h), widths.get(h, 0))) for h in headers), default=1)
    return min(lines, 3) * LINE_POINTS * (font_size or 11) / 11 + 4 if lines > 1 else None


# Width units that fit an A4 page printed portrait; a wider sheet prints landscape.
PORTRAIT_WIDTH = 100
# Width units an A4 page takes landscape at a readable size (about 75 %, 11-point text printed at 8):
# a wider sheet is split over pages side by side, its first column on each, rather than shrunk.
READABLE_LANDSCAPE_WIDTH = 200


def default_page(width: float) -> dict:
    """Print setup of a sheet `width` units wide: A4, its header row on every page; one page wide
    (landscape when wider than portrait takes), or split over as many pages side by side as keep the
    text readable, the first column (what each row is) repeated on each."""
    pages = max(1, math.ceil(width / READABLE_LANDSCAPE_WIDTH))
    page = {"paper_size": 9, "fit_to_pages": (pages, 0), "repeat_rows": 0, "landscape": width > PORTRAIT_WIDTH}
    if pages > 1:
        page["repeat_columns"] = 0
    return page
LINE_POINTS = 16.5  # one line of 11-point text with Chinese glyphs (their fallback fonts are taller)


def fitted_heights(frame, widths: dict[str, float], wrapped: Sequence[str]) -> list[float]:
    """Each row's height in points, tall enough for the longest of its `wrapped` texts at their
    column widths (at least one line)."""
    import numpy as np

    lines = np.ones(len(frame))
    for column in wrapped:
        values = ["" if t is None or t != t else str(t) for t in frame[column]]
        lines = np.maximum(lines, _line_counts(display_widths(values), widths[column]))
    return (lines * LINE_POINTS + 4).tolist()


def _line_counts(text_widths, width: float):
    """Lines that texts of these display widths take wrapped within a column `width` units wide (about
    2 go to the cell's padding): one number, or an array of them."""
    import numpy as np

    return np.ceil(np.divide(text_widths, max(1.0, width - 2)))


def check_width(columns: int, what: str = "结果") -> None:
    """Refuse, before any work, an output wider than one Excel sheet (16,384 columns). Rows need no such
    check: a result longer than one sheet continues on the next (see `sheet_parts`)."""
    if columns > EXCEL_MAX_COLUMNS:
        raise OutputError(
            f"{what}有 {columns:,} 列，超过 Excel 一张工作表最多 {EXCEL_MAX_COLUMNS:,} 列的上限；"
            "请先删去名单里用不到的列再运行"
        )


def sheet_parts(name: str, rows: int, max_rows: int = EXCEL_MAX_ROWS, taken: Container[str] = ()) -> list[tuple[str, int, int]]:
    """How a sheet of `rows` data rows is laid over sheets of at most `max_rows` rows (its header
    included): (sheet name, first row, end row) each, the first under `name`, the next ones as
    `name 2`, `name 3` … (cut to Excel's 31 characters, never a name in `taken`).

    >>> sheet_parts("分层结果", 5, max_rows=3)
    [('分层结果', 0, 2), ('分层结果 2', 2, 4), ('分层结果 3', 4, 5)]
    """
    per_sheet = max_rows - 1  # the header row is repeated on every sheet
    if per_sheet < 1:
        raise ValueError("max_rows must leave room for a data row under the header")
    if rows <= per_sheet:
        return [(name, 0, rows)]
    used = {str(t).casefold() for t in taken} | {name.casefold()}
    parts = [(name, 0, per_sheet)]
    number = 1
    for start in range(per_sheet, rows, per_sheet):
        while True:  # the next number whose name is not already a sheet of the workbook
            number += 1
            label = f" {number}"
            candidate = f"{name[: MAX_SHEET_NAME - len(label)]}{label}"
            if candidate.casefold() not in used:
                break
        used.add(candidate.casefold())
        parts.append((candidate, start, min(start + per_sheet, rows)))
    return parts


def split_sheets(sheets: Sequence[SheetSpec], max_rows: int = EXCEL_MAX_ROWS) -> list[SheetSpec]:
    """Every sheet longer than `max_rows` (header included) as several, each with the same header,
    fills, validations, widths and layout; charts stay on the first. Others are returned as they are."""

    names = [sheet.name for sheet in sheets]
    out: list[SheetSpec] = []
    for sheet in sheets:
        parts = sheet_parts(sheet.name, len(sheet.frame), max_rows, taken=[n for n in names if n != sheet.name])
        if len(parts) == 1:
            out.append(sheet)
            continue
        # Widths from the whole sheet, so that every part looks alike.
        whole = prepared(sheet)
        frame, widths = whole.frame, whole.widths
        for index, (name, start, stop) in enumerate(parts):
            colours = sheet.row_colours[start:stop] if sheet.row_colours is not None else None
            row_rules = [
                RowValidation(rule.column, [row - start for row in rule.rows if start <= row < stop], rule.rule)
                for rule in sheet.row_validations
            ]
            out.append(
                replace(
                    sheet,
                    name=name,
                    frame=frame.iloc[start:stop].reset_index(drop=True),
                    row_colours=colours,
                    widths=widths,
                    charts=sheet.charts if index == 0 else [],
                    cells=whole.cells.slice(start, stop - start),
                    row_validations=[rule for rule in row_rules if rule.rows],
                )
            )
        names += [name for name, _, _ in parts[1:]]
    return out


def prepared(sheet: SheetSpec) -> SheetSpec:
    """`sheet` with its frame in the writer's types, as the writer takes it (`cells`), and every
    column's width set: a sheet that goes into many workbooks (a call sheet's playbooks) is converted
    once, not once per workbook."""
    if sheet.cells is not None:
        return sheet
    frame = writable(sheet.frame)
    return replace(sheet, frame=frame, cells=arrow_cells(frame), widths={**fitted_widths(frame, skip=sheet.widths), **sheet.widths})


def arrow_cells(frame):
    """A `writable` frame as the writer reads it: an Arrow table (pandas' own hand-over would convert
    it again for every workbook it goes into)."""
    import pyarrow as pa

    return pa.Table.from_pandas(frame, preserve_index=False)


_TEMP_NUMBERS = itertools.count(1)


def write_workbook(
    path: Path, sheets: Sequence[SheetSpec], inputs: Sequence[Path | None] = (), max_rows: int = EXCEL_MAX_ROWS, *, kind: str = WORKBOOK_KIND
) -> Path:
    """Write `sheets` to `path` atomically. Raises OutputError with one clear line when it cannot.

    The workbook carries pfk's mark naming its `kind` (`paths.OUTPUT_KINDS`: a custom document
    property, `paths.PFK_MARK`); an existing file at `path` is replaced only when it carries the same
    mark (`paths.check_output`) — never a roster, a filled sheet of another kind, anything pfk did not
    write for this purpose.

    A sheet longer than Excel allows (`max_rows`, header included) continues on `<name> 2`, `<name> 3` …;
    one wider than Excel allows is refused before anything is written.
    """
    path = check_output(Path(path), suffix=WORKBOOK, inputs=inputs, kind=kind)
    for sheet in sheets:
        check_width(len(sheet.frame.columns), f"工作表「{sheet.name}」")
    sheets = split_sheets(sheets, max_rows)
    # Short, so that a name near the file system's limit still leaves room for the temporary one; its
    # own number, so that two workbooks written at once whose names begin alike never share it.
    temp = path.parent / f".{path.stem[:40]}.{os.getpid()}-{next(_TEMP_NUMBERS)}.part.xlsx"
    try:
        with step(f"写出 {path.name}"):
            temp.write_bytes(_workbook(sheets, kind))
        try:
            os.replace(temp, path)
        except PermissionError as exc:
            # Windows: Excel/WPS holds the old file open, and its lock forbids replacing it.
            if path.exists():
                raise OutputError(f"{path}: {close_first(path)}（若没有打开，请检查文件是否设为只读）") from exc
            raise
    except OutputError:
        raise
    except PermissionError as exc:
        raise OutputError(f"{path}: 没有写入权限（{exc.strerror}）") from exc
    except OSError as exc:
        # The writer's own errors carry no errno, only its text: "… (os error 28)".
        number = exc.errno if exc.errno is not None else next((int(n) for n in re.findall(r"os error (\d+)", str(exc))), None)
        raise OutputError(f"{path}: 无法写入（{_SYSTEM_REASONS.get(number, exc.strerror or '文件系统拒绝写入')}）", detail=str(exc)) from exc
    finally:
        temp.unlink(missing_ok=True)
    return path


def write_workbooks(
    what: str, books: Sequence[tuple[Path, Callable[[], Sequence[SheetSpec]]]], inputs: Sequence[Path | None] = (), *, kind: str = WORKBOOK_KIND
) -> Iterator[Path]:
    """Write many workbooks (`books`: each path with what makes its sheets), each as `write_workbook`
    does, under one progress bar titled `what`; yields each path once written, in the order given.

    Two at a time: the writer lets go of the interpreter while it packs a workbook, so the second
    core lays out the next one meanwhile (README › Performance has the measurement)."""
    from concurrent.futures import ThreadPoolExecutor

    def write(book):
        path, sheets = book
        return write_workbook(path, sheets(), inputs=inputs, kind=kind)

    pool = ThreadPoolExecutor(2, thread_name_prefix="pfk-write")
    try:
        with step(what, total=len(books)) as bar:
            for path in pool.map(write, books):
                bar.advance()
                yield path
    finally:
        # Stopped early (a file that cannot be written, Ctrl-C): what has not begun is not begun.
        pool.shutdown(cancel_futures=True)


# What the operating system says when a file cannot be written, by errno, as a teacher can act on it.
_SYSTEM_REASONS = {
    errno.ENOSPC: "磁盘已满，请腾出空间后再试",
    errno.EFBIG: "文件超过了系统允许的大小",
    errno.EACCES: "没有写入权限",
    errno.EPERM: "没有写入权限",
    errno.EROFS: "磁盘是只读的",
    errno.EIO: "磁盘读写出错",
    getattr(errno, "EDQUOT", 122): "超出了磁盘配额",  # not on Windows
}


def _workbook(sheets: Sequence[SheetSpec], kind: str = WORKBOOK_KIND) -> bytes:
    """The workbook's file, made in memory (the caller writes it where it belongs, at once)."""
    import io

    from rustpy_xlsxwriter import Format, write_worksheets

    # Headers are user text too (unknown columns, teacher names in a summary): quote-prefixed like the rest.
    formats: dict[tuple, object] = {}

    def cell_format(colour: str | None = None, wrap: bool = False, header: bool = False, size: float | None = None):
        key = (colour, wrap, header, size)
        if key not in formats:
            look = Format().set_quote_prefix()
            if size:
                look = look.set_font_size(size)
            if header:
                look = look.set_bold().set_background_color(HEADER_FILL).set_border("thin").set_text_wrap().set_align("top")
            elif colour:
                look = look.set_background_color(colour)
            if wrap:
                look = look.set_text_wrap().set_align("top")
            formats[key] = look
        return formats[key]

    entries, freeze, autofilter, widths, rows, heights, validations, charts, headers, pages = [], {}, {}, {}, {}, {}, {}, {}, {}, {}
    views, row_rules, restyled, looks = {}, {}, {}, []
    dedupe, column_formats = {"general": True}, {}
    for number, sheet in enumerate(sheets, 1):
        sheet = prepared(sheet)
        frame = sheet.frame
        entries.append((sheet.name, sheet.cells))
        if is_large(len(frame), len(frame.columns)):
            # Streamed row by row (constant-memory mode), so no row formats nor heights (see below):
            # every text cell keeps the quote prefix through its column's format.
            import pyarrow as pa

            dedupe[sheet.name] = False
            text = cell_format()
            column_formats[sheet.name] = {
                name: text for name, kind in zip(sheet.cells.column_names, sheet.cells.schema.types) if pa.types.is_string(kind) or pa.types.is_large_string(kind)
            }
            sheet = replace(sheet, row_colours=None, row_heights=None)
        # Headers are user text too (unknown columns, teacher names in a summary): quote-prefixed like the rest.
        headers[sheet.name] = cell_format(header=True, size=sheet.font_size)  # wrapped and top-aligned whatever the sheet's `wrap`
        if sheet.freeze:
            freeze[sheet.name] = {"row": 1, "col": sheet.freeze_columns}
        autofilter[sheet.name] = sheet.autofilter and len(frame.columns) > 0
        widths[sheet.name] = sheet.widths
        colours = sheet.row_colours if sheet.row_colours is not None else [None] * len(frame)
        # zip stops at the frame's last row, should the colours run longer.
        if sheet.name not in column_formats:
            rows[sheet.name] = {row: cell_format(colour, sheet.wrap, size=sheet.font_size) for row, colour in zip(range(1, len(frame) + 1), colours)}
        sheet_heights = dict(zip(range(1, len(frame) + 1), sheet.row_heights or ()))
        header = header_height([str(c) for c in frame.columns], widths[sheet.name], sheet.font_size)
        if header is not None:
            sheet_heights[0] = header
        if sheet_heights:
            heights[sheet.name] = sheet_heights
        if sheet.validations:
            validations[sheet.name] = sheet.validations
        if sheet.charts:
            # `colours` and `rows` are pfk's own (the writer takes neither): put in after it wrote the chart.
            charts[sheet.name] = [{k: v for k, v in chart.items() if k not in ("colours", "rows")} for chart in sheet.charts]
            looks += [(chart.get("colours") or CHART_COLOURS, chart.get("rows")) for chart in sheet.charts]
        pages[sheet.name] = sheet.page or default_page(sum(widths[sheet.name].values()))
        if sheet.hidden:
            views[sheet.name] = {"hidden": True}
        if sheet.row_validations:
            row_rules[number] = _validation_xml(sheet.row_validations, [str(c) for c in frame.columns])
        columns = [str(c) for c in frame.columns]
        # The writer gives a row with a height its row format alone, dropping the date format of its
        # date cells (they show 46332): such cells are given the row's look with the date format after.
        dates = [column_letter(i) for i, c in enumerate(frame.columns) if sheet.row_heights and _is_datetime(frame[c])]
        boxes = [column_letter(columns.index(c)) for c in sheet.boxed if c in columns]
        if (dates or boxes) and len(frame):
            restyled[number] = (dates, boxes, len(frame))
    made = io.BytesIO()
    write_worksheets(
        entries,
        made,
        # The writer's standard mode, not its default constant-memory mode: rust_xlsxwriter's
        # constant-memory flush writes the last row a second time, as an empty `<row r="N"/>`, when
        # that row has a row format or height (every pfk data row has one: fill and quote prefix),
        # and Excel wants each row once. Standard mode writes each row once; it keeps the sheet in
        # memory until saved and stores repeated texts once (shared strings). A large sheet is
        # streamed in constant-memory mode instead, without row formats (`is_large`).
        dedupe_strings=dedupe,
        freeze_panes=freeze,
        autofilter=autofilter,
        column_widths=widths,
        column_formats=column_formats or None,
        row_formats=rows,
        row_heights=heights or None,
        header_format=headers,
        datetime_format=DATE_FORMAT,
        data_validations=validations or None,
        charts=charts or None,
        page_setup=pages or None,
        sheet_view=views or None,
    )
    return _with_mark(_with_chart_looks(_with_styles(_with_validations(made.getvalue(), row_rules), restyled), looks), kind)


# Chart series in the call sheets' segment colours (segments.py), in order, where a chart names none.
CHART_COLOURS = tuple(segment.colour for segment in ALL_SEGMENTS)


def _with_chart_looks(data: bytes, looks: list[tuple[Sequence[str], int | None]]) -> bytes:
    """Each chart (xl/charts/chart1.xml … in the order the sheets hold them) with its series filled in
    `colours` (cycled, outlined in grey so pale fills stay apart), and, with `rows`, its ranges cut to
    the first `rows` data rows (a chart whose table shares its columns with another one below)."""
    if not looks:
        return data
    names = {f"xl/charts/chart{number}.xml": look for number, look in enumerate(looks, 1)}

    def look(name: str, xml: bytes) -> bytes:
        colours, rows = names[name]
        text = xml.decode("utf-8")
        series = iter(range(10_000))

        def fill(match):
            colour = colours[next(series) % len(colours)].lstrip("#").upper()
            shape = (
                f'<c:spPr><a:solidFill><a:srgbClr val="{colour}"/></a:solidFill>'
                '<a:ln w="6350"><a:solidFill><a:srgbClr val="7F7F7F"/></a:solidFill></a:ln></c:spPr>'
            )
            return match.group(0) + shape

        text = re.sub(r"<c:ser>.*?(?:</c:tx>|<c:order val=\"\d+\"/>)(?!<c:tx>)", fill, text, flags=re.S)
        if rows is not None:
            text = re.sub(r"(\$[A-Z]+\$2:\$[A-Z]+\$)\d+", lambda m: f"{m.group(1)}{rows + 1}", text)
            text = re.sub(r'<c:ptCount val="\d+"/>', f'<c:ptCount val="{rows}"/>', text)
            text = re.sub(r'<c:pt idx="(\d+)">.*?</c:pt>', lambda m: m.group(0) if int(m.group(1)) < rows else "", text, flags=re.S)
        return text.encode("utf-8")

    return _rezip(data, names.keys(), look)


def _is_datetime(values) -> bool:
    import pandas as pd

    return pd.api.types.is_datetime64_any_dtype(values)


_CELL = re.compile(r'<c r="([A-Z]+)(\d+)"([^>]*?)(/>|>.*?</c>)', re.S)
_ROW = re.compile(r'<row r="(\d+)"([^>]*?)(/>|>(.*?)</row>)', re.S)
_STYLE = re.compile(r'\bs="(\d+)"')
_STYLE_ATTRIBUTE = re.compile(r'\s*\bs="\d+"')
_THIN_BORDER = (
    '<border><left style="thin"><color auto="1"/></left><right style="thin"><color auto="1"/></right>'
    '<top style="thin"><color auto="1"/></top><bottom style="thin"><color auto="1"/></bottom><diagonal/></border>'
)


def _with_styles(data: bytes, sheets: dict[int, tuple[list[str], list[str], int]]) -> bytes:
    """The workbook `data` with, on each sheet named (worksheet number → date column letters, boxed
    column letters, data rows), the date cells in `yyyy-mm-dd` and the boxed cells ruled, each keeping
    its row's fill: every style a cell needs is its row's style with the date format or the border
    added (styles.xml's cellXfs)."""
    if not sheets:
        return data
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as book:
        variant = _style_variants(book.read("xl/styles.xml").decode("utf-8"))
        # The sheets first: the styles they need are made as they go, then written into styles.xml.
        changed = {
            f"xl/worksheets/sheet{number}.xml": _restyled_sheet(
                book.read(f"xl/worksheets/sheet{number}.xml").decode("utf-8"), set(dates), boxes, rows, variant
            ).encode("utf-8")
            for number, (dates, boxes, rows) in sheets.items()
        }
    changed["xl/styles.xml"] = variant.styles().encode("utf-8")
    return _rezip(data, changed.keys(), lambda name, _xml: changed[name])


class _Variants:
    """The cellXfs of styles.xml, and a style with a date format or a border added, made once each."""

    def __init__(self, head: str, xfs: list[str], tail: str, date_format: int, border: int):
        self.head, self.xfs, self.tail, self.date_format, self.border = head, xfs, tail, date_format, border
        self.made: dict[tuple[int, bool, bool], int] = {}

    def __call__(self, style: int, date: bool, box: bool) -> int:
        key = (style, date, box)
        if key not in self.made:
            xf = self.xfs[style] if style < len(self.xfs) else self.xfs[0]
            if date:
                xf = re.sub(r'numFmtId="\d+"', f'numFmtId="{self.date_format}"', xf, count=1)
                xf = xf if "applyNumberFormat" in xf else xf.replace("<xf ", '<xf applyNumberFormat="1" ', 1)
            if box:
                xf = re.sub(r'borderId="\d+"', f'borderId="{self.border}"', xf, count=1)
                xf = xf if "applyBorder" in xf else xf.replace("<xf ", '<xf applyBorder="1" ', 1)
            self.xfs.append(xf)
            self.made[key] = len(self.xfs) - 1
        return self.made[key]

    def styles(self) -> str:
        return f'{self.head}<cellXfs count="{len(self.xfs)}">{"".join(self.xfs)}</cellXfs>{self.tail}'


def _style_variants(styles: str) -> _Variants:
    """The maker of the variants of styles.xml's styles, the date format and a thin border declared."""
    found = re.search(r'<numFmt numFmtId="(\d+)" formatCode="yyyy-mm-dd"/>', styles)
    if found:
        date_format = int(found.group(1))
    else:
        ids = [int(i) for i in re.findall(r'<numFmt numFmtId="(\d+)"', styles)]
        date_format = max([163, *ids]) + 1
        element = f'<numFmt numFmtId="{date_format}" formatCode="{DATE_FORMAT}"/>'
        if "<numFmts" in styles:
            styles = re.sub(r'<numFmts count="(\d+)">', lambda m: f'<numFmts count="{int(m.group(1)) + 1}">', styles, count=1)
            styles = styles.replace("</numFmts>", element + "</numFmts>", 1)
        else:
            styles = styles.replace("<fonts", f'<numFmts count="1">{element}</numFmts><fonts', 1)
    borders = int(re.search(r'<borders count="(\d+)"', styles).group(1))
    styles = re.sub(r'<borders count="\d+"', f'<borders count="{borders + 1}"', styles, count=1)
    styles = styles.replace("</borders>", _THIN_BORDER + "</borders>", 1)
    start = styles.index("<cellXfs")
    body_start = styles.index(">", start) + 1
    end = styles.index("</cellXfs>")
    xfs = re.findall(r"<xf\b[^>]*?/>|<xf\b[^>]*?>.*?</xf>", styles[body_start:end], re.S)
    return _Variants(styles[:start], xfs, styles[end + len("</cellXfs>"):], date_format, borders)


def _restyled_sheet(xml: str, dates: set[str], boxes: list[str], rows: int, variant) -> str:
    """One worksheet's data rows (2 … rows + 1) with their date cells and boxed cells restyled; a boxed
    cell the writer left out (empty) is put in, in its column's place. Other cells are kept as written."""
    wanted = dates | set(boxes)

    def place(letter: str) -> tuple[int, str]:
        return (len(letter), letter)

    def row(match):
        number, attributes = int(match.group(1)), match.group(2)
        if not 2 <= number <= rows + 1:
            return match.group(0)
        own = _STYLE.search(attributes)
        row_style = int(own.group(1)) if own else 0
        cells, seen = [], set()
        for cell in _CELL.finditer(match.group(4) or ""):
            letter = cell.group(1)
            if letter not in wanted:
                cells.append((place(letter), cell.group(0)))
                continue
            rest, body = cell.group(3), cell.group(4)
            style = _STYLE.search(rest)
            base = int(style.group(1)) if style else row_style
            date, box = letter in dates and 't="' not in rest, letter in boxes
            if date or box:
                rest = _STYLE_ATTRIBUTE.sub("", rest) + f' s="{variant(base, date, box)}"'
            seen.add(letter)
            cells.append((place(letter), f'<c r="{letter}{number}"{rest}{body}'))
        missing = [letter for letter in boxes if letter not in seen]
        if missing:
            empty = variant(row_style, False, True)
            cells += [(place(letter), f'<c r="{letter}{number}" s="{empty}"/>') for letter in missing]
            cells.sort(key=lambda item: item[0])
        return f'<row r="{number}"{attributes}>{"".join(text for _, text in cells)}</row>'

    return _ROW.sub(row, xml)


# Excel's limits on a rule's texts: longer ones make it offer to repair the file.
_TITLE_LIMIT, _MESSAGE_LIMIT = 32, 255
# What may follow <dataValidations> in a worksheet (the schema's order): the rules go before the first found.
_AFTER_VALIDATIONS = (
    "<hyperlinks", "<printOptions", "<pageMargins", "<pageSetup", "<headerFooter", "<rowBreaks", "<colBreaks",
    "<customProperties", "<cellWatches", "<ignoredErrors", "<smartTags", "<drawing", "<legacyDrawing", "<picture",
    "<oleObjects", "<controls", "<webPublishItems", "<tableParts", "<extLst", "</worksheet>",
)


def _validation_xml(rules: Sequence[RowValidation], columns: list[str]) -> list[str]:
    """Each rule as a <dataValidation> element over its rows (runs of rows joined: `H2:H4 H7`)."""
    from xml.sax.saxutils import escape, quoteattr

    elements = []
    for rule in rules:
        if rule.column not in columns or not rule.rows:
            continue
        letter = column_letter(columns.index(rule.column))
        runs, rows = [], sorted(set(rule.rows))
        first = previous = rows[0]
        for row in [*rows[1:], None]:
            if row is not None and row == previous + 1:
                previous = row
                continue
            runs.append(f"{letter}{first + 2}" + (f":{letter}{previous + 2}" if previous != first else ""))
            if row is not None:
                first = previous = row
        spec = rule.rule
        if "source" in spec:
            formula = spec["source"].lstrip("=")
        else:
            formula = '"' + ",".join(spec["values"]).replace('"', '""') + '"'
        attributes = {"type": spec.get("type", "list")}
        if spec.get("error_style", "stop") != "stop":
            attributes["errorStyle"] = spec["error_style"]
        attributes.update(allowBlank="1", showInputMessage="1", showErrorMessage="1")
        for key, name, limit in (
            ("error_title", "errorTitle", _TITLE_LIMIT), ("error_message", "error", _MESSAGE_LIMIT),
            ("input_title", "promptTitle", _TITLE_LIMIT), ("input_message", "prompt", _MESSAGE_LIMIT),
        ):
            if spec.get(key):
                attributes[name] = spec[key][:limit]
        attributes["sqref"] = " ".join(runs)
        shown = " ".join(f"{name}={quoteattr(value, {chr(10): '&#xA;'})}" for name, value in attributes.items())
        elements.append(f"<dataValidation {shown}><formula1>{escape(formula)}</formula1></dataValidation>")
    return elements


def _with_validations(data: bytes, rules: dict[int, list[str]]) -> bytes:
    """The workbook `data` with `rules` (worksheet number → <dataValidation> elements) put in, beside
    the rules the writer wrote (it takes one rule per column, over all its rows). The writer names the
    worksheets sheet1.xml, sheet2.xml … in order."""
    parts = {f"xl/worksheets/sheet{number}.xml": elements for number, elements in rules.items() if elements}
    if not parts:
        return data

    def with_rules(name: str, xml: bytes) -> bytes:
        text, elements = xml.decode("utf-8"), parts[name]
        end = text.find("</dataValidations>")
        if end >= 0:
            start = text.rfind("<dataValidations", 0, end)
            head = text[start:end]
            count = int(re.search(r'count="(\d+)"', head).group(1)) + len(elements)
            head = re.sub(r'count="\d+"', f'count="{count}"', head, count=1)
            text = text[:start] + head + "".join(elements) + text[end:]
        else:
            at = min(i for i in (text.find(tag) for tag in _AFTER_VALIDATIONS) if i >= 0)
            text = text[:at] + f'<dataValidations count="{len(elements)}">' + "".join(elements) + "</dataValidations>" + text[at:]
        return text.encode("utf-8")

    return _rezip(data, parts.keys(), with_rules)


# pfk's mark: a custom document property (File › Properties › Custom in Excel) naming the kind of
# output. Excel, WPS and openpyxl keep it when they save the file.
_CUSTOM_PART = "docProps/custom.xml"
_CUSTOM_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
    'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
    '<property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="2" name="{name}"><vt:lpwstr>{kind}</vt:lpwstr></property>'
    "</Properties>"
)
_CUSTOM_TYPE = '<Override PartName="/docProps/custom.xml" ContentType="application/vnd.openxmlformats-officedocument.custom-properties+xml"/>'
_CUSTOM_RELATION = (
    '<Relationship Id="rIdPfkMark" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties" '
    'Target="docProps/custom.xml"/>'
)


def _with_mark(data: bytes, kind: str) -> bytes:
    """The workbook `data` with pfk's mark naming `kind` (docProps/custom.xml, its content type and
    its relationship from the package)."""
    from xml.sax.saxutils import escape

    def marked(name: str, xml: bytes) -> bytes:
        text = xml.decode("utf-8")
        if name == "[Content_Types].xml":
            return text.replace("</Types>", _CUSTOM_TYPE + "</Types>").encode("utf-8")
        return text.replace("</Relationships>", _CUSTOM_RELATION + "</Relationships>").encode("utf-8")

    custom = _CUSTOM_XML.format(name=PFK_MARK, kind=escape(kind)).encode("utf-8")
    return _rezip(data, {"[Content_Types].xml", "_rels/.rels"}, marked, added={_CUSTOM_PART: custom})


def _rezip(data: bytes, names, change, added: dict[str, bytes] | None = None) -> bytes:
    """The zip `data` with the members `names` replaced by `change(name, content)`, and the members
    `added` (name → content) put at the end; every other member is copied as it is stored, without
    inflating and deflating it again (a call sheet is written forty times in a run). The zip format's
    own records, as in APPNOTE.TXT; no zip64 (a workbook this small never needs it)."""
    import struct
    import zlib

    end = data.rfind(b"PK\x05\x06")
    count, directory_size, directory_at = struct.unpack_from("<HII", data, end + 10)
    out, directory = bytearray(), bytearray()
    at = directory_at
    for _ in range(count):
        record = bytearray(data[at : at + 46])
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", record, 28)
        tail = data[at + 46 : at + 46 + name_length + extra_length + comment_length]
        at += 46 + name_length + extra_length + comment_length
        flags, method = struct.unpack_from("<HH", record, 8)
        crc, packed, size = struct.unpack_from("<III", record, 16)
        local = struct.unpack_from("<I", record, 42)[0]
        local_name, local_extra = struct.unpack_from("<HH", data, local + 26)
        body = local + 30 + local_name + local_extra
        payload = data[body : body + packed]
        name = bytes(tail[:name_length]).decode("utf-8" if flags & 0x800 else "cp437")
        if name in names:
            content = zlib.decompress(payload, -15) if method == 8 else payload
            content = change(name, content)
            squeeze = zlib.compressobj(6, zlib.DEFLATED, -15)
            payload = squeeze.compress(content) + squeeze.flush()
            crc, packed, size, method = zlib.crc32(content), len(payload), len(content), 8
        flags &= ~0x08  # sizes in the local header: no data descriptor after the data
        header = bytearray(data[local:body])
        for record_bytes, offset in ((header, 6), (record, 8)):
            struct.pack_into("<HH", record_bytes, offset, flags, method)
            struct.pack_into("<III", record_bytes, offset + 8, crc, packed, size)
        struct.pack_into("<I", record, 42, len(out))
        out += header + payload
        directory += record + tail
    for name, content in (added or {}).items():
        squeeze = zlib.compressobj(6, zlib.DEFLATED, -15)
        payload = squeeze.compress(content) + squeeze.flush()
        encoded = name.encode("utf-8")
        crc = zlib.crc32(content)
        # version 2.0, no flags, deflated, no time stamp (1980-01-01), sizes, no extra field.
        local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(payload), len(content), len(encoded), 0)
        entry = struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(payload), len(content), len(encoded), 0, 0, 0, 0, 0, len(out)
        )
        out += local + encoded + payload
        directory += entry + encoded
        count += 1
    closing = bytearray(data[end:])
    struct.pack_into("<HH", closing, 8, count, count)
    struct.pack_into("<II", closing, 12, len(directory), len(out))
    return bytes(out + directory + closing)


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
