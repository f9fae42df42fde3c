"""What a caseload run reports: counts, the first errors, repeated ids, notes."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from .duplicates import Duplicates
from .output import Chunk
from .records import Result

#: Errors a run keeps (and the CLI lists one by one) before the rest are only counted.
MAX_ERRORS = 20


def error_line(source: str, result: Result) -> str:
    """The one-line report of a record that could not be decided."""
    who = f" (case {result.case_id})" if result.case_id else ""
    return f"{source}: {result.where}{who}: {result.error}"


@dataclass
class CaseloadSummary:
    """A caseload run: how many cases were decided, the first ``max_errors``
    records that could not be, every repeated case id, and notes on how the
    caseload was read. Every result itself is in the output."""

    source: str                    # the caseload's name in messages (its path, or an upload's file name)
    output: str | None = None      # the file the results were written to, if any
    format: str = "jsonl"
    decided: int = 0
    failed: int = 0
    errors: list[Result] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    max_errors: int = MAX_ERRORS
    _repeats: Duplicates = field(default_factory=Duplicates, init=False, repr=False, compare=False)

    @property
    def cases(self) -> int:
        return self.decided + self.failed

    def add(self, chunk: Chunk, on_error: Callable[[Result], None] | None = None) -> None:
        """Count a chunk of results; keep (and pass on) the first errors only."""
        self.decided += chunk.decided
        for case_id, where in chunk.ids:
            self._repeats.add(case_id, where)
        for result in chunk.errors:
            self.failed += 1
            if self.failed <= self.max_errors:
                self.errors.append(result)
                if on_error is not None:
                    on_error(result)

    def finish(self) -> None:
        """Find the repeated ids, once every result is in."""
        self.duplicates = self._repeats.report()
        self._repeats = Duplicates()

    def note_lines(self) -> list[str]:
        return [f"{self.source}: {note}" for note in self.notes]

    def error_lines(self) -> list[str]:
        return [error_line(self.source, result) for result in self.errors]

    def closing_lines(self) -> list[str]:
        """The lines after the errors: how many more, the repeated ids, the counts."""
        lines = []
        if self.failed > self.max_errors:
            lines.append(f"… and {self.failed - self.max_errors:,} more errors: each is in the output")
        lines.extend(f"{self.source}: {line}" for line in self.duplicates[:self.max_errors])
        where = f" → {self.output}" if self.output else ""
        n = len(self.duplicates)
        extra = f", {n} repeated case_id{'s' if n != 1 else ''}" if n else ""
        lines.append(f"batch: {self.cases} cases: {self.decided} decided, {self.failed} could not be decided"
                     f"{extra}{where}")
        return lines

    def text(self) -> str:
        return "".join(line + "\n" for line in self.note_lines() + self.error_lines() + self.closing_lines())

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "output": self.output, "format": self.format, "cases": self.cases,
                "decided": self.decided, "failed": self.failed,
                "errors": [{"where": r.where, "case_id": r.case_id, "field": r.field, "error": r.error}
                           for r in self.errors],
                "duplicates": list(self.duplicates), "notes": list(self.notes)}

    def rows(self) -> list[list[Any]]:
        """The records that could not be decided (the first ``max_errors``)."""
        return [["where", "case_id", "field", "error"],
                *([r.where, r.case_id or "", r.field or "", r.error] for r in self.errors)]
