"""CSV cells: values as cells, and cells that are safe to open in a spreadsheet.

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
can run as a formula in Excel (OWASP, "CSV Injection"). Such a cell is
prefixed with a single quote, which spreadsheets show as text.
"""
from __future__ import annotations

import csv
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
