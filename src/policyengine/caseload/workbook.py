"""Reading an XLSX caseload (a workbook's first sheet, or one named) through python-calamine.

Each cell is turned into the text a CSV export of it would hold, so a
workbook's rows are read, checked and decided exactly as a CSV file's are:
the same header checks, the same row numbers (the sheet's own), the same
messages. A date cell is its ISO date; a date-time cell is its date when
its time is midnight, and otherwise keeps its time (which a date field then
refuses); a text cell stays text, so a case id ``0012345`` keeps its zeros;
a whole number is written without ``.0``; TRUE and FALSE are true and false.
"""
from __future__ import annotations

import io
import itertools
import re
import zipfile
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from ..errors import Location
from ..formats.spreadsheet import cell_text
from .blanks import BlankRows, is_blank
from .columns import and_list, check_columns, check_dates
from .records import Caseload, InputError, Record

if TYPE_CHECKING:
    from ..engine.compile import Rulebook

#: Names a caseload workbook may have (``.xlsm`` is the same format with macros, which are never run).
EXTENSIONS = (".xlsx", ".xlsm")
#: Most rows a workbook caseload may have: calamine holds a sheet in memory while it is read.
MAX_ROWS = 1_048_576  # Excel's own limit
#: Most bytes a workbook's parts may unpack to: an XLSX is a zip, and a small
#: upload could otherwise unpack to gigabytes (a zip bomb). About a million rows of twenty columns.
MAX_UNPACKED = 1 << 30
#: The same for a workbook held in memory (a web upload of at most a few MB).
MAX_UNPACKED_IN_MEMORY = 256 << 20


def is_workbook(name: str) -> bool:
    return name.lower().endswith(EXTENSIONS)


def read_xlsx(source: str | bytes, name: str, book: Rulebook, ignore: Iterable[str] = (),
              sheet: str | None = None) -> Caseload:
    """The records of a workbook's first sheet (or the one named ``sheet``);
    ``source`` is its path or its bytes (a web upload named ``name``). The
    header and date columns are checked before any row, as for CSV."""
    ignore = frozenset(ignore)
    opened, index, chosen = _open(source, name, sheet)
    rows = _sheet_rows(opened, name)
    errors = unreadable_cells(source, index, Location(name))
    _merged_cells(opened, errors)
    first = next(rows(), None)
    header = [cell_text(cell).strip() for cell in first] if first is not None else []
    if first is None:
        raise InputError("the sheet is empty: a caseload needs a header row", Location(name, 1))
    if is_blank(header):
        raise InputError("the first row is blank: the header row, naming the columns, must be the first row; "
                         "delete the blank rows above it", Location(name, 1))
    if errors.get(1):
        raise InputError("the header row holds a spreadsheet error (such as #REF!) where a column's name "
                         "should be", Location(name, 1))
    keep = _used_columns(header, rows)
    header = [header[i] for i in keep]
    check_columns(header, book, ignore, name, 1)
    blanks = BlankRows()
    read = {keep[i]: h for i, h in enumerate(header) if h not in ignore}  # sheet column: name
    check_dates(blanks.skip(_body(rows, keep, errors, read)), header, book, ignore, name)
    names = [(i, h) for i, h in enumerate(header) if h not in ignore]

    def records() -> Iterator[Record]:
        for row, _, cells, problem in BlankRows().skip(_body(rows, keep, errors, read)):
            if problem:
                named = {"case_id": cells[header.index("case_id")]} if "case_id" in header else None
                yield Record(f"row {row}", named, True, problem)
            else:
                yield Record(f"row {row}", {h: cells[i] for i, h in names}, True)

    return Caseload(records(), [note for note in (chosen, blanks.note()) if note], name)


def _merged_cells(sheet: Any, errors: dict[int, dict[int, str]]) -> None:
    """Mark in ``errors`` each cell below the header that merged cells cover but their first: the sheet
    shows the first's value across them, and calamine (as Excel's own CSV export) reads them empty, so a
    yes merged down two rows would be the first case's answer and no answer for the second."""
    for (top, left), (bottom, right) in getattr(sheet, "merged_cell_ranges", None) or ():
        for r in range(max(top, 1), bottom + 1):  # (the header row: a merged name leaves a column unnamed)
            for c in range(left, right + 1):
                if (r, c) != (top, left):
                    errors.setdefault(r + 1, {}).setdefault(c, MERGED)


def _open(source: str | bytes, name: str, sheet: str | None) -> tuple[Any, int, str | None]:
    """The sheet to read (the first visible one, or the one named), its index, and a note where the
    first visible sheet is not the first (a hidden first sheet is often an old copy)."""
    from python_calamine import CalamineWorkbook

    where = Location(name)
    _check_unpacked(source, where)
    try:
        book = (CalamineWorkbook.from_filelike(io.BytesIO(source)) if isinstance(source, bytes)
                else CalamineWorkbook.from_path(source))
    except FileNotFoundError:
        raise InputError("cannot read the file: No such file or directory", where) from None
    except Exception:  # calamine raises its own errors (and ValueError, zipfile's) for a broken file
        raise InputError("the file cannot be read as an XLSX workbook: open it in a spreadsheet and save "
                         "it again as Excel Workbook (.xlsx), or as CSV UTF-8", where) from None
    names = book.sheet_names
    if sheet is None:
        if not names:
            raise InputError("the workbook has no sheets", where)
        index = _first_shown(book)
        note = None if index == 0 else (f"the first sheet, `{names[0]}`, is hidden: read the first visible one, "
                                        f"`{names[index]}` (name another with --sheet)")
        return book.get_sheet_by_index(index), index, note
    if sheet not in names:
        shown = ", ".join(f"`{n}`" for n in names)
        raise InputError(f"the workbook has no sheet named `{sheet}`: its sheets are {shown}", where)
    return book.get_sheet_by_name(sheet), names.index(sheet), None


def _first_shown(book: Any) -> int:
    """The index of the workbook's first visible worksheet (the first sheet if none is)."""
    from python_calamine import SheetTypeEnum, SheetVisibleEnum

    for i, sheet in enumerate(book.sheets_metadata):
        if sheet.visible == SheetVisibleEnum.Visible and sheet.typ == SheetTypeEnum.WorkSheet:
            return i
    return 0


def _check_unpacked(source: str | bytes, where: Location) -> None:
    """Refuse a workbook whose parts unpack to more than MAX_UNPACKED bytes, before reading it."""
    try:
        with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as z:
            size = sum(info.file_size for info in z.infolist())
    except (OSError, zipfile.BadZipFile, ValueError):
        return  # not a zip (or not readable): calamine says so in its own terms
    limit = MAX_UNPACKED_IN_MEMORY if isinstance(source, bytes) else MAX_UNPACKED
    if size > limit:
        raise InputError(f"the workbook unpacks to more than {limit >> 20:,} MB; the limit is there to "
                         "keep a damaged or hostile file from filling the memory: save the caseload as CSV",
                         where)


#: A cell of a sheet's XML (its attributes and content), and a cell's reference.
_CELL = re.compile(rb'<(?:\w+:)?c\s([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)', re.S)
_REFERENCE = re.compile(rb'\br="([A-Z]{1,3})([0-9]{1,7})"')
_CHUNK = 1 << 24
#: A formula (``<f>``, also written ``<x:f>`` by the .NET Open XML SDK), a cell's value and its text, and
#: a cell's type: an error (``t="e"``, also ``t='e'``) or text a formula gave (``t="str"``).
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_VALUE = re.compile(rb"<(?:\w+:)?v(?:\s[^>]*)?(?:/>|>(.*?)</(?:\w+:)?v>)", re.S)
_ERROR_TYPE = re.compile(rb"""(?:^|\s)t\s*=\s*["']e["']""")
_TEXT_TYPE = re.compile(rb"""(?:^|\s)t\s*=\s*["']str["']""")
#: A workbook asking to be recalculated when opened (XlsxWriter, and pandas through it, write one and
#: store 0 as every formula's result): its formulas' results are placeholders, not answers.
_RECALCULATE = re.compile(rb"""fullCalcOnLoad\s*=\s*["'](?:1|true)["']""")
#: What an unreadable cell holds, as a row's problem says it.
ERROR, UNCALCULATED, MERGED = "error", "uncalculated", "merged"


def unreadable_cells(source: str | bytes, index: int, where: Location) -> dict[int, dict[int, str]]:
    """The cells of the ``index``-th sheet that calamine would read as empty
    though they are not: a spreadsheet error (#N/A, #DIV/0!), or a formula
    whose result the file does not hold (written by a program that does not
    calculate). Unchecked, either would silently be "not recorded". Found in
    the sheet's XML as {row number: {column index: ERROR or UNCALCULATED}};
    a sheet with neither is only searched for two patterns. A formula's result
    is not held where its value is missing or empty (openpyxl writes ``<v/>``;
    a formula that gives "" is ``t="str"``), or where the workbook asks to be
    recalculated when opened (its results are placeholders)."""
    found: dict[int, dict[int, str]] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as z:
            workbook = z.read("xl/workbook.xml")
            part = _sheet_part(z, workbook, index)
            if part is None:
                return found
            recalculate = bool(_RECALCULATE.search(workbook))
            with z.open(part) as fh:
                carry = b""
                while True:
                    block = fh.read(_CHUNK)
                    text = carry + block
                    cut = text.rfind(b"</row>") + 6 if block else len(text)  # whole rows only
                    scan, carry = (text[:cut], text[cut:]) if cut >= 6 else (b"", text)
                    if _ERROR_TYPE.search(scan) or _FORMULA.search(scan):
                        _scan(scan, found, where, recalculate)
                    if not block:
                        return found
    except (OSError, zipfile.BadZipFile, KeyError, ET.ParseError, ValueError):
        return found  # not a workbook this can open: calamine has read it, or said why not


def _scan(xml: bytes, found: dict[int, dict[int, str]], where: Location, recalculate: bool) -> None:
    for m in _CELL.finditer(xml):
        attributes, content = m.group(1), m.group(2) or b""
        if _ERROR_TYPE.search(attributes):
            kind = ERROR
        elif _FORMULA.search(content) and (recalculate or not _calculated(attributes, content)):
            kind = UNCALCULATED
        else:
            continue
        ref = _REFERENCE.search(attributes)
        if not ref:
            raise InputError("the sheet holds cells calamine cannot read (spreadsheet errors or formulas never "
                             "calculated) whose position the file does not record: save the sheet as CSV", where)
        column = 0
        for letter in ref.group(1).decode():
            column = column * 26 + ord(letter) - 64
        found.setdefault(int(ref.group(2)), {})[column - 1] = kind


def _calculated(attributes: bytes, content: bytes) -> bool:
    """Whether a formula cell holds its result: a value with text, or an empty one that is text (``t="str"``)."""
    value = _VALUE.search(content)
    if value is None:
        return False
    return bool(value.group(1)) or bool(_TEXT_TYPE.search(attributes))


def _sheet_part(z: zipfile.ZipFile, workbook: bytes, index: int) -> str | None:
    """The zip member holding the ``index``-th sheet, from workbook.xml (``workbook``) and its relationships."""
    sheets = [el for el in ET.fromstring(workbook).iter() if el.tag.endswith("}sheet")]
    if index >= len(sheets):
        return None
    rid = next((v for k, v in sheets[index].attrib.items() if k.endswith("}id")), None)
    rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    target = next((el.get("Target") for el in rels if el.get("Id") == rid), None)
    if not target:
        return None
    return target.lstrip("/") if target.startswith("/") else "xl/" + target


def _sheet_rows(sheet: Any, name: str) -> Callable[[], Iterator[list[Any]]]:
    """Every row of the sheet from its first (row 1), padded so that a cell's
    index is its column's (calamine starts at the first column in use);
    trailing blank rows are left out. Each call reads them again, one at a
    time, so only calamine's own copy of the sheet is held whole."""
    if sheet.height > MAX_ROWS:
        raise InputError(f"the sheet has {sheet.height:,} rows; the limit is {MAX_ROWS:,}", Location(name))
    pad = [""] * (sheet.start[1] if sheet.start else 0)
    return lambda: (pad + row for row in sheet.iter_rows())


def _used_columns(header: list[str], rows: Callable[[], Iterator[list[Any]]]) -> list[int]:
    """The columns read: every named one, and any unnamed one that holds
    something (which the header check then refuses). A workbook often has
    empty unnamed columns where a cell was once formatted; they are not data."""
    used = {i for i, h in enumerate(header) if h}
    unnamed = [i for i, h in enumerate(header) if not h]
    for cells in itertools.islice(rows(), 1, None):
        if not unnamed:
            break
        for i in list(unnamed):
            if i < len(cells) and cell_text(cells[i]).strip():
                used.add(i)
                unnamed.remove(i)
    return sorted(used)


def _body(rows: Callable[[], Iterator[list[Any]]], keep: list[int], errors: dict[int, dict[int, str]],
          read: dict[int, str]) -> Iterator[tuple]:
    """The rows below the header as ``(row, row, cells, problem)``, as CSV's are
    given; the problem is an unreadable cell in a column that is read."""
    for number, cells in enumerate(itertools.islice(rows(), 1, None), start=2):
        bad = errors.get(number)
        columns = sorted(bad.keys() & read.keys()) if bad else ()
        yield number, number, [cell_text(cells[i]) if i < len(cells) else "" for i in keep], \
            _unreadable([read[i] for i in columns], {bad[i] for i in columns}) if columns else None


def _unreadable(columns: list[str], kinds: set[str]) -> str:
    named = and_list([f"`{c}`" for c in columns])
    verb = "hold" if len(columns) > 1 else "holds"
    what = {ERROR: "a spreadsheet error (such as #N/A or #DIV/0!)",
            UNCALCULATED: "a formula whose result the file does not hold",
            MERGED: "part of merged cells, whose value the sheet shows but holds in their first cell only"}
    fix = {ERROR: "correct the formula, or clear the cell if the answer is not recorded",
           UNCALCULATED: "open the workbook in a spreadsheet and save it, so its formulas are calculated",
           MERGED: "unmerge the cells and write each row's answer in its own cell"}
    return (f"column{'s' if len(columns) > 1 else ''} {named} {verb} " + " or ".join(what[k] for k in sorted(kinds))
            + ", not an answer: " + "; ".join(fix[k] for k in sorted(kinds)))
