"""A structural check of .xlsx files: what Excel insists on before it opens a file without offering to
"repair" it, which openpyxl, calamine and LibreOffice quietly forgive.

`problems(path)` returns one English line per defect (an empty list for a sound file). It reads the zip
with the standard library only, streaming each worksheet, so it runs on every workbook the tests write.
Checked:

- every XML part parses, every part has a content type, every relationship target exists;
- per worksheet: rows unique and ascending; cells unique and ascending within a row, inside the row's
  `spans` when given, on the row their reference names, inside Excel's grid; shared-string indices
  (`t="s"`) within the table; style indices (`s=`) of cells and rows within `cellXfs`;
- the dimension, merged cells (no overlaps), autofilter, panes and selections name valid ranges;
- data validations: `sqref` parses, a list's inline formula is quoted and at most 255 characters, a
  date or number rule has its formula; counts match;
- sheet names unique (ignoring case), at most 31 characters, without `[]:*?/\\`;
- defined names: known sheet index for local names, every sheet they name exists, every range valid;
  charts' series formulas name existing sheets.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
CONTENT_TYPES = "{http://schemas.openxmlformats.org/package/2006/content-types}"
CHART = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"

MAX_ROW = 1_048_576
MAX_COL = 16_384
MAX_LIST = 255
CELL = re.compile(r"\$?([A-Z]{1,3})\$?([0-9]{1,7})")
# One area of a reference: A1, A1:B2, $A:$C (whole columns) or $1:$1 (whole rows).
AREA = re.compile(r"^(?:\$?[A-Z]{1,3}\$?[0-9]{1,7}(?::\$?[A-Z]{1,3}\$?[0-9]{1,7})?|\$?[A-Z]{1,3}:\$?[A-Z]{1,3}|\$?[0-9]{1,7}:\$?[0-9]{1,7})$")
SHEET_REF = re.compile(r"^(?:'((?:[^']|'')+)'|([^'!\s,]+))!(.+)$")
BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def column_number(letters: str) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    return number


def parse_cell(ref: str) -> tuple[int, int] | None:
    """(row, column), 1-based, of `B7` / `$B$7`; None if it is not a cell inside Excel's grid."""
    match = CELL.fullmatch(ref)
    if not match:
        return None
    row, col = int(match.group(2)), column_number(match.group(1))
    if not (1 <= row <= MAX_ROW and 1 <= col <= MAX_COL):
        return None
    return row, col


def area_problem(area: str) -> str | None:
    """Why `area` (one cell, a range, whole columns or whole rows) is not a valid reference, or None."""
    if not AREA.match(area):
        return f"{area!r} is not a reference"
    ends = area.split(":")
    cells = [parse_cell(end) for end in ends]
    if all(c is not None for c in cells):
        if len(cells) == 2 and (cells[0][0] > cells[1][0] or cells[0][1] > cells[1][1]):
            return f"{area!r} runs backwards"
        return None
    bare = [end.replace("$", "") for end in ends]
    if all(end.isdigit() for end in bare):
        first, last = (int(end) for end in bare)
        return None if 1 <= first <= last <= MAX_ROW else f"{area!r} is outside the rows"
    if all(end.isalpha() for end in bare):
        first, last = (column_number(end) for end in bare)
        return None if 1 <= first <= last <= MAX_COL else f"{area!r} is outside the columns"
    return f"{area!r} is not a reference"


def area_bounds(area: str) -> tuple[int, int, int, int] | None:
    """(first row, first column, last row, last column) of a cell range, or None."""
    ends = [parse_cell(end) for end in area.split(":")]
    if any(end is None for end in ends):
        return None
    (r1, c1), (r2, c2) = ends[0], ends[-1]
    return r1, c1, r2, c2


def written_by_pfk(path: Path | str) -> bool:
    """Whether pfk's writer made this file. rust_xlsxwriter (pfk's writer, through rustpy-xlsxwriter)
    cannot set document properties, so its files are known by the stamp that writer family leaves in
    docProps/app.xml: application "Microsoft Excel", version 12.0000. openpyxl, LibreOffice and Excel
    stamp their own, and no test makes its inputs with that family; a file that is not a readable
    zip (a test's deliberately broken input, a killed run's leftover) is not pfk's."""
    try:
        with zipfile.ZipFile(path) as archive:
            app = ET.fromstring(archive.read("docProps/app.xml"))
    except (OSError, KeyError, zipfile.BadZipFile, ET.ParseError, RuntimeError, ValueError):
        return False
    ns = "{http://schemas.openxmlformats.org/officeDocument/2006/extended-properties}"
    return app.findtext(f"{ns}Application") == "Microsoft Excel" and app.findtext(f"{ns}AppVersion") == "12.0000"


def problems(path: Path | str) -> list[str]:
    """Every structural defect of the workbook at `path`, one line each; [] when it is sound."""
    try:
        with zipfile.ZipFile(path) as archive:
            return _Check(archive).run()
    except zipfile.BadZipFile as exc:
        return [f"not a zip file ({exc})"]


class _Check:
    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        self.names = set(archive.namelist())
        self.found: list[str] = []

    def say(self, where: str, text: str) -> None:
        self.found.append(f"{where}: {text}")

    def xml(self, name: str):
        try:
            with self.archive.open(name) as handle:
                return ET.parse(handle).getroot()
        except ET.ParseError as exc:
            self.say(name, f"XML does not parse ({exc})")
            return None

    def run(self) -> list[str]:
        if "[Content_Types].xml" not in self.names:
            return ["[Content_Types].xml is missing"]
        for name in sorted(self.names):
            if name.endswith((".xml", ".rels")) and not name.startswith("xl/worksheets/sheet"):
                self.xml(name)  # parse errors are reported; worksheets are parsed while streamed below
        self.content_types()
        self.relationships()
        workbook = self.xml("xl/workbook.xml") if "xl/workbook.xml" in self.names else None
        if workbook is None:
            self.say("xl/workbook.xml", "missing or unreadable")
            return self.found
        sheets = self.sheets(workbook)
        strings = self.shared_string_count()
        styles = self.cell_style_count()
        for name, part in sheets:
            if part is None:
                continue
            self.worksheet(name, part, strings, styles)
        self.defined_names(workbook, [name for name, _ in sheets])
        self.charts({name for name, _ in sheets})
        return self.found

    def content_types(self) -> None:
        root = self.xml("[Content_Types].xml")
        if root is None:
            return
        defaults = {e.get("Extension", "").lower() for e in root.iter(f"{CONTENT_TYPES}Default")}
        overrides = {e.get("PartName", "").lstrip("/") for e in root.iter(f"{CONTENT_TYPES}Override")}
        for name in self.names:
            if name.endswith("/") or name == "[Content_Types].xml":
                continue
            if name not in overrides and name.rsplit(".", 1)[-1].lower() not in defaults:
                self.say(name, "has no content type")
        for part in overrides - self.names:
            self.say("[Content_Types].xml", f"names a missing part {part}")

    def relationships(self) -> None:
        for name in sorted(n for n in self.names if n.endswith(".rels")):
            root = self.xml(name)
            if root is None:
                continue
            base = posixpath.dirname(posixpath.dirname(name))  # xl/_rels/workbook.xml.rels → xl
            ids = set()
            for rel in root.iter(f"{PKG_REL}Relationship"):
                if rel.get("Id") in ids:
                    self.say(name, f"relationship id {rel.get('Id')} twice")
                ids.add(rel.get("Id"))
                if rel.get("TargetMode") == "External":
                    continue
                target = rel.get("Target", "")
                resolved = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(base, target))
                if resolved not in self.names:
                    self.say(name, f"target {target} is missing")

    def sheets(self, workbook) -> list[tuple[str, str | None]]:
        """(sheet name, worksheet part) in workbook order."""
        rels = {}
        if "xl/_rels/workbook.xml.rels" in self.names:
            root = self.xml("xl/_rels/workbook.xml.rels")
            if root is not None:
                for rel in root.iter(f"{PKG_REL}Relationship"):
                    target = rel.get("Target", "")
                    rels[rel.get("Id")] = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        found, seen = [], set()
        for sheet in workbook.iter(f"{MAIN}sheet"):
            name = sheet.get("name", "")
            if not name or len(name) > 31 or BAD_SHEET_CHARS.search(name) or name.startswith("'") or name.endswith("'"):
                self.say("xl/workbook.xml", f"sheet name {name!r} is not allowed")
            if name.casefold() in seen:
                self.say("xl/workbook.xml", f"sheet name {name!r} twice")
            seen.add(name.casefold())
            part = rels.get(sheet.get(f"{REL}id"))
            if part is None or part not in self.names:
                self.say("xl/workbook.xml", f"sheet {name!r} has no worksheet part")
                part = None
            found.append((name, part))
        if not found:
            self.say("xl/workbook.xml", "no sheets")
        return found

    def shared_string_count(self) -> int:
        if "xl/sharedStrings.xml" not in self.names:
            return 0
        root = self.xml("xl/sharedStrings.xml")
        return 0 if root is None else sum(1 for _ in root.iter(f"{MAIN}si"))

    def cell_style_count(self) -> int:
        if "xl/styles.xml" not in self.names:
            return 1  # style 0, the default, always exists
        root = self.xml("xl/styles.xml")
        xfs = None if root is None else root.find(f"{MAIN}cellXfs")
        if xfs is None:
            return 1
        count = sum(1 for _ in xfs.iter(f"{MAIN}xf"))
        if xfs.get("count") is not None and int(xfs.get("count")) != count:
            self.say("xl/styles.xml", f"cellXfs count {xfs.get('count')} but {count} styles")
        return count

    def style(self, where: str, value: str | None, styles: int) -> None:
        if value is not None and not (value.isdigit() and int(value) < styles):
            self.say(where, f"style {value} is not one of the {styles} cell styles")

    def worksheet(self, sheet: str, part: str, strings: int, styles: int) -> None:
        where = f"{part} ({sheet})"
        previous_row = 0
        merged: list[tuple[int, int, int, int]] = []
        try:
            with self.archive.open(part) as handle:
                for _, element in ET.iterparse(handle, events=("end",)):
                    tag = element.tag
                    if tag == f"{MAIN}row":
                        previous_row = self.row(where, element, previous_row, strings, styles)
                        element.clear()
                    elif tag == f"{MAIN}dimension":
                        self.reference(where, "dimension", element.get("ref", ""))
                    elif tag == f"{MAIN}autoFilter":
                        self.reference(where, "autoFilter", element.get("ref", ""))
                    elif tag == f"{MAIN}pane":
                        if element.get("topLeftCell") is not None:
                            self.reference(where, "pane", element.get("topLeftCell"))
                    elif tag == f"{MAIN}selection":
                        if element.get("activeCell") is not None:
                            self.reference(where, "selection", element.get("activeCell"))
                        for area in (element.get("sqref") or "").split():
                            self.reference(where, "selection", area)
                    elif tag == f"{MAIN}mergeCells":
                        self.merges(where, element, merged)
                    elif tag == f"{MAIN}dataValidations":
                        self.validations(where, element)
        except ET.ParseError as exc:
            self.say(where, f"XML does not parse ({exc})")

    def reference(self, where: str, what: str, ref: str) -> None:
        for area in ref.split() or [""]:
            why = area_problem(area)
            if why:
                self.say(where, f"{what} {why}")

    def row(self, where: str, row, previous: int, strings: int, styles: int) -> int:
        r = row.get("r")
        number = int(r) if r is not None and r.isdigit() else (previous + 1 if r is None else -1)
        if not 1 <= number <= MAX_ROW:
            self.say(where, f"row r={r!r} is not a row number")
            return previous
        if number <= previous:
            self.say(where, f"row {number} comes after row {previous} (rows must be unique and ascending)")
        self.style(f"{where} row {number}", row.get("s"), styles)
        spans = []
        for span in (row.get("spans") or "").split():
            first, _, last = span.partition(":")
            if not (first.isdigit() and last.isdigit() and 1 <= int(first) <= int(last) <= MAX_COL):
                self.say(where, f"row {number} spans {span!r} is not a column range")
            else:
                spans.append((int(first), int(last)))
        previous_col = 0
        for cell in row.iter(f"{MAIN}c"):
            ref = cell.get("r")
            if ref is None:
                column = previous_col + 1
                label = f"row {number} column {column}"
            else:
                parsed = parse_cell(ref)
                label = ref
                if parsed is None:
                    self.say(where, f"cell {ref!r} is not a cell reference")
                    continue
                cell_row, column = parsed
                if cell_row != number:
                    self.say(where, f"cell {ref} sits in row {number}")
            if column <= previous_col:
                self.say(where, f"cell {label} is not after the cell before it in row {number}")
            previous_col = column
            if spans and not any(first <= column <= last for first, last in spans):
                self.say(where, f"cell {label} is outside the row's spans {row.get('spans')}")
            self.style(f"{where} cell {label}", cell.get("s"), styles)
            if cell.get("t") == "s":
                value = cell.find(f"{MAIN}v")
                text = value.text if value is not None else None
                if not (text and text.isdigit() and int(text) < strings):
                    self.say(where, f"cell {label} names shared string {text!r} of {strings}")
        return number

    def merges(self, where: str, element, merged: list) -> None:
        cells = element.findall(f"{MAIN}mergeCell")
        if element.get("count") is not None and int(element.get("count")) != len(cells):
            self.say(where, f"mergeCells count {element.get('count')} but {len(cells)} ranges")
        for cell in cells:
            ref = cell.get("ref", "")
            bounds = area_bounds(ref) if area_problem(ref) is None and ":" in ref else None
            if bounds is None:
                self.say(where, f"merged range {ref!r} is not a range of cells")
                continue
            for other in merged:
                if not (bounds[2] < other[0] or other[2] < bounds[0] or bounds[3] < other[1] or other[3] < bounds[1]):
                    self.say(where, f"merged range {ref} overlaps another")
            merged.append(bounds)

    def validations(self, where: str, element) -> None:
        rules = element.findall(f"{MAIN}dataValidation")
        if element.get("count") is not None and int(element.get("count")) != len(rules):
            self.say(where, f"dataValidations count {element.get('count')} but {len(rules)} rules")
        for rule in rules:
            sqref = rule.get("sqref", "")
            self.reference(where, "data validation sqref", sqref)
            kind = rule.get("type", "none")
            formula = rule.find(f"{MAIN}formula1")
            text = formula.text if formula is not None else None
            if kind == "list":
                if not text:
                    self.say(where, f"list validation on {sqref} has no formula")
                elif text.startswith('"'):
                    if not (text.endswith('"') and len(text) >= 2):
                        self.say(where, f"list validation on {sqref} is not quoted: {text[:40]!r}")
                    elif len(text) - 2 > MAX_LIST:
                        self.say(where, f"list validation on {sqref} is {len(text) - 2} characters (Excel takes {MAX_LIST})")
                elif not _is_reference(text):
                    self.say(where, f"list validation on {sqref} is neither a quoted list nor a reference: {text[:40]!r}")
            elif kind in ("whole", "decimal", "date", "time", "textLength", "custom") and not text:
                self.say(where, f"{kind} validation on {sqref} has no formula")

    def defined_names(self, workbook, sheets: list[str]) -> None:
        known = {name.casefold() for name in sheets}
        for defined in workbook.iter(f"{MAIN}definedName"):
            name = defined.get("name", "")
            where = f"xl/workbook.xml defined name {name}"
            local = defined.get("localSheetId")
            if local is not None and not (local.isdigit() and int(local) < len(sheets)):
                self.say(where, f"localSheetId {local} is not a sheet")
            if name.startswith("_xlnm.") and name not in ("_xlnm.Print_Titles", "_xlnm.Print_Area", "_xlnm._FilterDatabase", "_xlnm.Criteria", "_xlnm.Extract"):
                self.say(where, "is not a name Excel defines")
            if name.startswith("_xlnm.") and local is None:
                self.say(where, "has no localSheetId")
            for part in _split_formula(defined.text or ""):
                match = SHEET_REF.match(part)
                if not match:
                    self.say(where, f"{part!r} is not a sheet reference")
                    continue
                sheet = (match.group(1) or "").replace("''", "'") or match.group(2)
                if sheet.casefold() not in known:
                    self.say(where, f"names a missing sheet {sheet!r}")
                why = area_problem(match.group(3))
                if why:
                    self.say(where, why)

    def charts(self, sheets: set[str]) -> None:
        known = {name.casefold() for name in sheets}
        for name in sorted(n for n in self.names if n.startswith("xl/charts/chart") and n.endswith(".xml")):
            root = self.xml(name)
            if root is None:
                continue
            for formula in root.iter(f"{CHART}f"):
                text = (formula.text or "").strip()
                if len(text) >= 2 and text.startswith('"') and text.endswith('"'):
                    continue  # a literal series name (LibreOffice writes them so)
                if text.startswith("(") and text.endswith(")"):
                    text = text[1:-1]  # a union of areas
                for part in _split_formula(text) or [text]:
                    match = SHEET_REF.match(part)
                    if not match:
                        self.say(name, f"series formula {formula.text!r} is not a sheet reference")
                        continue
                    sheet = (match.group(1) or "").replace("''", "'") or match.group(2)
                    if sheet.casefold() not in known:
                        self.say(name, f"series names a missing sheet {sheet!r}")
                    why = area_problem(match.group(3))
                    if why:
                        self.say(name, why)


def _is_reference(text: str) -> bool:
    match = SHEET_REF.match(text)
    target = match.group(3) if match else text
    return area_problem(target) is None or re.fullmatch(r"[A-Za-z_\\][\w.]*", text) is not None


def _split_formula(text: str) -> list[str]:
    """`'a,b'!$1:$1,'c'!$A:$A` → its comma-separated areas, commas inside quoted sheet names kept."""
    parts, current, quoted = [], [], False
    for ch in text:
        if ch == "'":
            quoted = not quoted
        if ch == "," and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [part.strip() for part in parts if part.strip()]
