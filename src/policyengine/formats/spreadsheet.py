"""CSV cells that are safe to open in a spreadsheet.

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
can run as a formula in Excel (OWASP, "CSV Injection"). Such a cell is
prefixed with a single quote, which spreadsheets show as text.
"""
from __future__ import annotations

from typing import Iterable

_TRIGGERS = frozenset("=+-@\t\r")


def safe_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in _TRIGGERS else text


def safe_row(values: Iterable) -> list[str]:
    return [safe_cell(v) for v in values]
