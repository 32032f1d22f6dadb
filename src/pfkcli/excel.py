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

import os
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .errors import OutputError

HEADER_FILL = "#D9D9D9"
DATE_FORMAT = "yyyy-mm-dd"
MAX_WIDTH = 60
WIDTH_SAMPLE = 2000


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


def display_width(text: str) -> int:
    """Columns a string takes on screen: CJK and full-width characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def fitted_widths(frame) -> dict[str, float]:
    """Width per column from its header and a sample of its values, in Excel character units."""
    import pandas as pd

    sample = frame.head(WIDTH_SAMPLE)
    widths: dict[str, float] = {}
    for column in frame.columns:
        values = sample[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            longest = 10
        else:
            texts = values.dropna().astype(str)
            longest = int(texts.map(display_width).quantile(0.95)) if len(texts) else 0
        widths[str(column)] = float(min(MAX_WIDTH, max(display_width(str(column)) + 4, longest + 2, 6)))
    return widths


def check_output_path(path: Path, inputs: Sequence[Path] = ()) -> Path:
    """Refuse to write over an input, into a missing folder, or onto a folder."""
    path = Path(path)
    for source in inputs:
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
    if (folder / f"~${path.name}").exists():
        raise OutputError(f"{path}: 文件正在 Excel/WPS 中打开，请先关闭再运行")
    return path


def write_workbook(path: Path, sheets: Sequence[SheetSpec], inputs: Sequence[Path] = ()) -> Path:
    """Write `sheets` to `path` atomically. Raises OutputError with one clear line when it cannot."""
    path = check_output_path(Path(path), inputs)
    temp = path.parent / f".{path.stem}.{os.getpid()}.part.xlsx"
    try:
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

    header = Format().set_bold().set_background_color(HEADER_FILL).set_border("thin")
    plain = Format().set_quote_prefix()
    fills: dict[str, object] = {}

    def row_format(colour: str | None):
        if not colour:
            return plain
        if colour not in fills:
            fills[colour] = Format().set_background_color(colour).set_quote_prefix()
        return fills[colour]

    entries, freeze, autofilter, widths, rows, validations, charts, headers = [], {}, {}, {}, {}, {}, {}, {}
    for sheet in sheets:
        frame = _writable(sheet.frame)
        entries.append((sheet.name, frame))
        headers[sheet.name] = header
        if sheet.freeze:
            freeze[sheet.name] = {"row": 1, "col": 0}
        autofilter[sheet.name] = sheet.autofilter and len(frame.columns) > 0
        widths[sheet.name] = {**fitted_widths(frame), **sheet.widths}
        colours = sheet.row_colours if sheet.row_colours is not None else [None] * len(frame)
        rows[sheet.name] = {i + 1: row_format(c) for i, c in enumerate(colours) if i < len(frame)}
        if sheet.validations:
            validations[sheet.name] = sheet.validations
        if sheet.charts:
            charts[sheet.name] = sheet.charts
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
    )


def _writable(frame):
    """Columns in types the writer maps to cells: text, float, nullable int, datetime."""
    import pandas as pd

    out = pd.DataFrame(index=range(len(frame)))
    for column in frame.columns:
        values = frame[column].reset_index(drop=True)
        if pd.api.types.is_datetime64_any_dtype(values):
            out[str(column)] = values.astype("datetime64[ms]")
        elif pd.api.types.is_bool_dtype(values):
            out[str(column)] = values.map({True: "是", False: "否"})
        elif pd.api.types.is_numeric_dtype(values):
            out[str(column)] = values
        else:
            out[str(column)] = values.astype("str").where(values.notna(), None)
    return out
