"""CSV cells: values as cells, and cells that are safe to open in a spreadsheet.

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
can run as a formula in Excel (OWASP, "CSV Injection"). Such a cell is
prefixed with a single quote, which spreadsheets show as text.
"""
from __future__ import annotations

import csv
import datetime as _dt
import io
from typing import Any, Iterable

from ..engine.values import for_csv

#: A value as one CSV cell: the one rule, in values.py, under the name writers use.
csv_cell = for_csv

_TRIGGERS = frozenset("=+-@\t\r")


def safe_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in _TRIGGERS else text


def safe_row(values: Iterable[Any]) -> list[str]:
    return [safe_cell(v) for v in values]


def csv_text(rows: Iterable[Iterable[Any]], *, line_end: str = "\n") -> str:
    """Rows as CSV text, every cell spreadsheet-safe."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=line_end).writerows(safe_row(row) for row in rows)
    return buffer.getvalue()


def cell_text(cell: Any) -> str:
    """A cell read from a workbook (by python-calamine) as the text a CSV export
    of it would hold: text as written, a whole number without ``.0``, TRUE as
    true, a date ISO (with its time only when it has one), nothing as empty."""
    if isinstance(cell, str):
        return cell
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, float):
        return str(int(cell)) if cell.is_integer() else repr(cell)
    if isinstance(cell, _dt.datetime):
        return cell.date().isoformat() if cell.time() == _dt.time(0) else cell.isoformat(sep=" ")
    if isinstance(cell, _dt.date):
        return cell.isoformat()
    return "" if cell is None else str(cell)
