"""Rows whose cells are all empty: not cases, but counted and said.

A spreadsheet saved as CSV often ends in rows of bare commas (``,,,,``), and a
workbook in rows someone cleared; neither is a case with a missing
``case_id``. They are skipped, and the run says how many and where, so a row
cleared by mistake does not pass unseen.
"""
from __future__ import annotations

from typing import Iterable, Iterator

from .columns import and_list

#: Blank rows whose numbers a note lists (the rest are counted).
ROWS_KEPT = 5


def is_blank(cells: list | None) -> bool:
    """Whether a row read as ``cells`` holds nothing but spaces (an unreadable row is not blank)."""
    return cells is not None and all(not str(cell).strip() for cell in cells)


class BlankRows:
    """Passes rows on, skipping (and counting) those whose cells are all empty.

    Rows are ``(row, line, cells, problem)``, as ``CsvRecords`` gives them.
    """

    def __init__(self) -> None:
        self.count = 0
        self.rows: list[int] = []

    def skip(self, records: Iterable[tuple]) -> Iterator[tuple]:
        for record in records:
            if record[3] is None and is_blank(record[2]):
                self.count += 1
                if len(self.rows) < ROWS_KEPT:
                    self.rows.append(record[0])
                continue
            yield record

    def note(self) -> str | None:
        """``2 blank rows skipped (rows 5 and 9)``, or None when there were none."""
        if not self.count:
            return None
        n = self.count
        where = and_list(self.rows, n - len(self.rows))
        return f"{n:,} blank row{'s' if n != 1 else ''} skipped (row{'s' if n != 1 else ''} {where})"
