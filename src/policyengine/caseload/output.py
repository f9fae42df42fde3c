"""A caseload's output: one JSONL line, CSV row or XLSX row per case, in input order.

Each result has one shape, as a spreadsheet row (``row``: CSV's text cells,
or XLSX's typed ones) and as a JSON record (``record``); the format's writer
from ``formats`` turns a chunk of them into text (or, for XLSX, rows for the
workbook). A checklist outcome is one column per item in a spreadsheet,
headed ``outcome.item_id`` and holding "yes" or nothing, so a manager can
filter on it; JSONL keeps the items' full text. A ``Formatter`` is
picklable, so the ``--jobs`` workers format too.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..engine.evaluate import provenance, warnings
from ..engine.values import for_json
from ..engine.unknown import UNKNOWN
from ..formats.spreadsheet import csv_cell, csv_text
from ..formats.writers import json_line
from .records import Result

if TYPE_CHECKING:
    from ..engine.compile import Rulebook

#: The formats a caseload's results are written in.
FORMATS = ("jsonl", "csv", "xlsx")
#: A CSV file of results ends its lines as Excel does.
CSV_LINE_END = "\r\n"
#: A CSV file of results starts with a UTF-8 byte-order mark, so Excel on
#: Windows reads it as UTF-8 ("–" and "£" stay themselves) rather than Windows-1252.
BOM = "\ufeff"
#: The columns after the outcomes, and the provenance columns a CSV repeats on every row.
TRAILING = ["pending", "error", "where"]
PROVENANCE = ["rulebook_id", "rulebook_version", "rulebook_sha256", "engine_version"]


@dataclass
class Chunk:
    """Formatted output for some records, and what the summary needs of them."""

    text: str
    decided: int
    errors: list  # Result for each record that could not be decided
    ids: list     # (case_id, where) of every record, for finding repeats
    rows: list | None = None  # XLSX: the rows, typed, for the workbook


class Formatter:
    """Turns results into JSONL lines, CSV rows or XLSX rows."""

    def __init__(self, book: Rulebook, as_of: _dt.date, fmt: str) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"a caseload's results are written as {', '.join(FORMATS)}, not {fmt!r}")
        self.fmt, self.as_of = fmt, as_of
        self.outcomes = list(book.outcomes)
        #: Each outcome's checklist items as (id, text), or () for an outcome that is one column.
        self.items = {o: getattr(book.producers.get(o), "items", ()) for o in self.outcomes}
        self.warnings = warnings(book, as_of)
        self.provenance = provenance(book)
        prov = self.provenance
        self.tail = [prov[name] for name in PROVENANCE] if fmt == "csv" else []

    def header(self) -> str:
        """The text before the first chunk: a CSV's byte-order mark and header row."""
        if self.fmt != "csv":
            return ""
        return BOM + csv_text([self.columns()], line_end=CSV_LINE_END)

    def columns(self) -> list[str]:
        """A spreadsheet's header: an XLSX one has the provenance on a sheet of its own."""
        outcomes = [f"{o}.{item_id}" if item_id else o
                    for o in self.outcomes for item_id, _ in (self.items[o] or ((None, None),))]
        return ["case_id", *outcomes, *TRAILING, *(PROVENANCE if self.fmt == "csv" else ())]

    def chunk(self, results: list[Result]) -> Chunk:
        errors = [r for r in results if r.values is None]
        text, rows = "", None
        if self.fmt == "csv":
            text = csv_text((self.row(r) for r in results), line_end=CSV_LINE_END)
        elif self.fmt == "xlsx":
            rows = [self.row(r) for r in results]
        else:
            text = "".join(json_line(self.record(r)) for r in results)
        return Chunk(text, len(results) - len(errors), errors, [(r.case_id, r.where) for r in results], rows)

    def row(self, result: Result) -> list[Any]:
        """The result as a row under ``columns()``: CSV's text cells, or XLSX's typed ones."""
        if result.values is None:
            return [result.case_id or "", *([""] * (len(self.columns()) - len(TRAILING) - len(self.tail) - 1)),
                    "", error_text(result), result.where, *self.tail]
        v = result.values
        cells = [cell for o in self.outcomes for cell in self._cells(v[o], self.items[o])]
        return [result.case_id, *cells, pending_cell(result.pending), "", result.where, *self.tail]

    def _cells(self, value: Any, items: tuple) -> list[Any]:
        """An outcome's cells: "yes" or nothing per checklist item, else its one value."""
        if items:
            held = set(value) if isinstance(value, list) else ()
            return ["yes" if text in held else "" for _, text in items]
        if self.fmt == "csv":
            return [csv_cell(value)]
        return ["" if value is UNKNOWN else value]

    def about(self) -> list[list[Any]]:
        """An XLSX's second sheet: what made the results, once rather than on every row."""
        rows = [["about", "value"], ["as_of", self.as_of],
                *([name, self.provenance[name]] for name in PROVENANCE)]
        rows.extend(["warning", w] for w in self.warnings)
        return rows

    def record(self, result: Result) -> dict:
        """The result as one JSONL record."""
        if result.values is None:
            return {"case_id": result.case_id, "where": result.where, "field": result.field,
                    "error": result.error}
        v = result.values
        return {"case_id": result.case_id, "outcomes": {o: for_json(v[o]) for o in self.outcomes},
                "pending": dict(result.pending or {}), "warnings": self.warnings, "provenance": self.provenance}


def pending_cell(pending: dict | None) -> str:
    """The `pending` cell: each pending outcome as ``outcome: input1 input2``, joined with ``; ``."""
    return "; ".join(f"{outcome}: {' '.join(names)}" for outcome, names in (pending or {}).items())


def error_text(result: Result) -> str:
    """Why a record could not be decided, naming its field when the message does not."""
    return f"field `{result.field}`: {result.error}" if result.field and "`" not in result.error else result.error
