"""A caseload's output: one JSONL line or CSV row per case, in input order.

Each result has one shape, as a CSV row (``row``) and as a JSON record
(``record``); the format's writer from ``formats`` turns a chunk of them into
text. A ``Formatter`` is picklable, so the ``--jobs`` workers format too.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..engine.evaluate import provenance, warnings
from ..engine.values import for_json
from ..formats.spreadsheet import csv_cell, csv_text
from ..formats.writers import json_line
from .records import Result

if TYPE_CHECKING:
    from ..engine.compile import Rulebook

#: The formats a caseload's results are written in.
FORMATS = ("jsonl", "csv")
#: A CSV file of results ends its lines as Excel does.
CSV_LINE_END = "\r\n"


@dataclass
class Chunk:
    """Formatted output for some records, and what the summary needs of them."""

    text: str
    decided: int
    errors: list  # Result for each record that could not be decided
    ids: list     # (case_id, where) of every record, for finding repeats


class Formatter:
    """Turns results into JSONL lines or CSV rows."""

    def __init__(self, book: Rulebook, as_of: _dt.date, fmt: str) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"a caseload's results are written as {' or '.join(FORMATS)}, not {fmt!r}")
        self.fmt = fmt
        self.outcomes = list(book.outcomes)
        self.warnings = warnings(book, as_of)
        self.provenance = provenance(book)
        prov = self.provenance
        self.tail = [prov["rulebook_id"], prov["rulebook_version"], prov["rulebook_sha256"],
                     prov["engine_version"]]

    def header(self) -> str:
        if self.fmt != "csv":
            return ""
        return csv_text([self.columns()], line_end=CSV_LINE_END)

    def columns(self) -> list[str]:
        return ["case_id", *self.outcomes, "pending", "error", "where", "rulebook_id", "rulebook_version",
                "rulebook_sha256", "engine_version"]

    def chunk(self, results: list[Result]) -> Chunk:
        errors = [r for r in results if r.values is None]
        if self.fmt == "csv":
            text = csv_text((self.row(r) for r in results), line_end=CSV_LINE_END)
        else:
            text = "".join(json_line(self.record(r)) for r in results)
        return Chunk(text, len(results) - len(errors), errors, [(r.case_id, r.where) for r in results])

    def row(self, result: Result) -> list[Any]:
        """The result as a CSV row, under ``columns()``."""
        if result.values is None:
            return [result.case_id or "", *([""] * len(self.outcomes)), "", error_text(result),
                    result.where, *self.tail]
        v = result.values
        return [result.case_id, *(csv_cell(v[o]) for o in self.outcomes), pending_cell(result.pending), "",
                result.where, *self.tail]

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
