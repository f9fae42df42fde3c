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

    def __init__(self, book: Any, sheet: Any, header: list[str], formats: dict) -> None:
        self.book, self.sheet, self.header, self.formats = book, sheet, header, formats
        self.row = 0
        self.widths = [len(h) for h in header]
        self._write([*header], self.formats["header"])

    def rows(self, rows: Iterable[list[Any]]) -> None:
        for values in rows:
            self._write(values)

    def _write(self, values: list[Any], style: Any = None) -> None:
        sample = self.row <= WIDTH_SAMPLE
        for col, value in enumerate(values):
            value = cell(value)
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
        sheet = Sheet(self.book, self.book.add_worksheet(name), header, self.formats)
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
