"""XLSX output through XlsxWriter: sheets a manager can sort and filter.

Every sheet has its header row frozen and a filter on it, and column widths
set from the header and the first rows. Dates are real date cells shown
British (``dd/mm/yyyy``); text is always a text cell, so a case id
``0012345`` keeps its zeros and ``1E5`` stays text; yes and no are words;
a text cell that a spreadsheet could run as a formula (``=``, ``+``, ``-``,
``@``) is prefixed with a quote, as in CSV, so it stays harmless when the
workbook is saved again as CSV. Rows are written as they come (XlsxWriter's
constant-memory mode), so memory stays flat whatever the number of rows.
"""
from __future__ import annotations

import datetime as _dt
import os
import shutil
import tempfile
from dataclasses import dataclass
from typing import IO, Any, Iterable

from ..errors import Location
from .atomic import OutputError, _temporary_name
from .spreadsheet import safe_cell

#: How dates are shown: British, day first.
DATE_FORMAT = "dd/mm/yyyy"
#: Widest a column is set (in characters); longer text wraps inside it when the cell is opened.
MAX_WIDTH = 60
#: Rows looked at to set the column widths.
WIDTH_SAMPLE = 200
#: The last row of a sheet (0-based): Excel's limit, 1,048,576 rows.
LAST_ROW = 1_048_575
#: The first date a date cell holds truly (Excel's calendar starts in 1900, with a false
#: 29 February 1900); an earlier date is written as ISO text.
FIRST_DATE = _dt.date(1900, 3, 1)


def cell(value: Any) -> Any:
    """A value as an XLSX cell holds it: a date, a number, or text (yes/no for a boolean)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (_dt.date, int, float)):
        return value
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value)
    return str(value)


class Sheet:
    """One sheet being written, row after row, under its header."""

    def __init__(self, book: Any, sheet: Any, header: list[str], formats: dict, where: Location) -> None:
        self.book, self.sheet, self.header, self.formats, self.where = book, sheet, header, formats, where
        self.row = 0
        self.widths = [len(h) for h in header]
        self._write([*header], self.formats["header"])

    def rows(self, rows: Iterable[list[Any]]) -> None:
        for values in rows:
            self._write(values)

    def _write(self, values: list[Any], style: Any = None) -> None:
        if self.row > LAST_ROW:  # XlsxWriter would drop the row without a word
            raise OutputError(f"an XLSX sheet holds at most {LAST_ROW + 1:,} rows: write these results as CSV "
                              "or JSONL", self.where)
        sample = self.row <= WIDTH_SAMPLE
        for col, value in enumerate(values):
            value = cell(value)
            if isinstance(value, _dt.date) and value < FIRST_DATE:
                value = value.isoformat()
            if isinstance(value, _dt.date):
                self.sheet.write_datetime(self.row, col, value, self.formats["date"])
                shown = 10
            elif isinstance(value, (int, float)):
                self.sheet.write_number(self.row, col, value)
                shown = len(str(value))
            elif value:
                text = safe_cell(value)
                self.sheet.write_string(self.row, col, text, style)
                shown = len(text)
            else:
                continue
            if sample and col < len(self.widths):
                self.widths[col] = max(self.widths[col], shown)
        self.row += 1

    def finish(self) -> None:
        """Freeze and filter the header row; set the widths."""
        last = max(len(self.header) - 1, 0)
        self.sheet.freeze_panes(1, 0)
        self.sheet.autofilter(0, 0, max(self.row - 1, 0), last)
        for col, width in enumerate(self.widths):
            self.sheet.set_column(col, col, min(width + 2, MAX_WIDTH))


class WorkbookOutput:
    """An XLSX file that appears whole or not at all (written under a hidden
    temporary name, renamed into place), or the finished file's bytes written
    to a binary stream."""

    def __init__(self, path: str | None, *, stream: IO[bytes] | None = None) -> None:
        import xlsxwriter

        self.path, self.stream = path, stream
        if path:  # beside the file, so the rename is atomic; created with the usual permissions
            self.tmp = _temporary_name(path)
            try:
                open(self.tmp, "wb").close()  # a missing folder is said before any case is decided
            except OSError as exc:
                raise self._cannot(exc) from None
        else:
            fd, self.tmp = tempfile.mkstemp(suffix=".xlsx")
            os.close(fd)
        self.book = xlsxwriter.Workbook(self.tmp, {"constant_memory": True, "strings_to_numbers": False,
                                                   "strings_to_formulas": False, "strings_to_urls": False})
        self.formats = {"date": self.book.add_format({"num_format": DATE_FORMAT}),
                        "header": self.book.add_format({"bold": True})}
        self.sheets: list[Sheet] = []

    def sheet(self, name: str, header: list[str]) -> Sheet:
        sheet = Sheet(self.book, self.book.add_worksheet(name), header, self.formats, Location(self.path))
        self.sheets.append(sheet)
        return sheet

    def commit(self) -> None:
        for sheet in self.sheets:
            sheet.finish()
        from xlsxwriter.exceptions import XlsxFileError

        try:
            self.book.close()  # the file is written only now: a missing folder or full disk shows here
            if self.path:
                os.replace(self.tmp, self.path)
            else:
                with open(self.tmp, "rb") as fh:
                    shutil.copyfileobj(fh, self.stream)
        except (OSError, XlsxFileError) as exc:
            self._discard()
            cause = exc.args[0] if isinstance(exc, XlsxFileError) and exc.args else exc
            raise self._cannot(cause if isinstance(cause, OSError) else OSError()) from None
        self._discard()

    def abort(self) -> None:
        try:
            self.book.close()
        except Exception:  # noqa: BLE001 - the file is discarded whatever went wrong
            pass
        self._discard()

    def _discard(self) -> None:
        try:
            os.unlink(self.tmp)
        except FileNotFoundError:
            pass

    def _cannot(self, exc: OSError) -> OutputError:
        return OutputError(f"cannot write the file: {exc.strerror or 'the system refused it'}", Location(self.path))


def write_workbook(path: str | None, sheets: list[tuple[str, list[list[Any]]]], *,
                   stream: IO[bytes] | None = None) -> None:
    """A whole workbook at once: ``(name, rows)`` per sheet, each first row its header."""
    out = WorkbookOutput(path, stream=stream)
    try:
        for name, rows in sheets:
            header, *body = rows or [[]]
            out.sheet(name, header).rows(body)
        out.commit()
    except BaseException:
        out.abort()
        raise


# -- a template to fill in --------------------------------------------------------
#: Longest list of choices Excel takes inline (the rest go on a hidden sheet).
_INLINE_CHOICES = 255


@dataclass(frozen=True)
class TemplateColumn:
    """One column of a template: its name, the question (its header's comment),
    its type (``date``, ``integer``, ``string``, ``list``, ``enum``, ``boolean``) and choices."""

    name: str
    question: str
    kind: str
    choices: tuple = ()
    minimum: int | None = None
    maximum: int | None = None


def write_template(path: str | None, sheet_name: str, columns: list[TemplateColumn], *,
                   stream: IO[bytes] | None = None) -> None:
    """An empty sheet under ``columns``' header, each with its comment and validation."""
    out = WorkbookOutput(path, stream=stream)
    try:
        sheet = out.sheet(_sheet_name(sheet_name), [c.name for c in columns])
        lists = None
        for col, column in enumerate(columns):
            ws = sheet.sheet
            ws.write_comment(0, col, column.question, {"x_scale": 2, "y_scale": 1.5})
            style = out.book.add_format({"num_format": DATE_FORMAT if column.kind == "date" else "@"})
            ws.set_column(col, col, max(len(column.name) + 4, 14), style)
            rule = _validation(column)
            if column.choices:
                source = list(column.choices)
                if len(",".join(source)) > _INLINE_CHOICES:
                    lists = lists or out.book.add_worksheet("Choices")
                    lists.hide()
                    for r, choice in enumerate(source):
                        lists.write_string(r, col, choice)
                    letter = _column_letter(col)
                    source = f"=Choices!${letter}$1:${letter}${len(source)}"
                rule = {"validate": "list", "source": source,
                        "error_message": "Choose one of the values in the list"}
            if rule:
                ws.data_validation(1, col, LAST_ROW, col, rule)
        sheet.widths = []  # set above, per column
        out.commit()
    except BaseException:
        out.abort()
        raise


def _validation(column: TemplateColumn) -> dict | None:
    if column.kind == "date":
        return {"validate": "date", "criteria": "between", "minimum": _dt.date(1900, 1, 1),
                "maximum": _dt.date(9999, 12, 31), "error_message": "Enter a date, such as 22/11/2026"}
    if column.kind == "integer":
        low = column.minimum if column.minimum is not None else -10**12
        high = column.maximum if column.maximum is not None else 10**12
        return {"validate": "integer", "criteria": "between", "minimum": low, "maximum": high,
                "error_message": f"Enter a whole number from {low} to {high}"}
    return None


def _sheet_name(name: str) -> str:
    """A sheet name Excel accepts: at most 31 characters, none of []:*?/\\."""
    return "".join(c for c in name if c not in "[]:*?/\\")[:31] or "Caseload"


def _column_letter(col: int) -> str:
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
