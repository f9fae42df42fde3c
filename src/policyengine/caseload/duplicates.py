"""Repeated case ids in a caseload, found in one pass in 12 bytes per case."""
from __future__ import annotations

import itertools
import re
from array import array
from bisect import bisect_right


class Duplicates:
    """Finds repeated case ids in one pass, in 12 bytes per case.

    Each case's id is kept only as a 64-bit hash and the case's place in
    reading order, filed at once in one of ``BUCKETS`` buckets by the hash, so
    finding the repeats at the end sorts one bucket at a time and allocates
    only for that bucket and for the repeats found (nothing in proportion to
    the whole caseload). Where each case was read (row, line or file name, and
    its source) is kept as runs of consecutive places, one per stretch of a
    file, not one per case. Ids are compared ignoring case and spaces at
    either end (``"CASE-1 "`` and ``case-1`` are one case to a person reading
    the export). Repeated cases are each decided, never merged, and reported
    by row number (not by id, which the report never needs to repeat). With
    several caseloads (``impact``) each place is named with its source, and
    repeats across them are found too.
    """

    _NUMBERED = re.compile(r"^(row|line) (\d+)(?: \(line \d+ of the file\))?$")

    #: Buckets the cases are filed in by their hash: finding the repeats sorts
    #: one bucket (a 256th of the cases) at a time.
    BUCKETS = 256

    def __init__(self) -> None:
        self.count = 0
        self.hashes = [array("q") for _ in range(self.BUCKETS)]
        self.indexes = [array("i") for _ in range(self.BUCKETS)]
        # Runs of places: the index of a run's first case, its place, its source, and the step to the
        # next case's place (1 for rows or lines read in order, -1 for file names, kept in `names`).
        self.run_starts, self.run_places = array("q"), array("q")
        self.run_origins, self.run_steps = array("i"), array("b")
        self.names: list[str] = []  # places that are file names, not row numbers
        self.sources: list[list[str]] = []  # [name, "row" or "line"] of each source, in order

    def add(self, case_id: str | None, where: str, source: str = "") -> None:
        if case_id is None:
            return
        if not self.sources or self.sources[-1][0] != source:  # sources come one after another
            self.sources.append([source, "row"])
        m = self._NUMBERED.match(where)
        if m:
            self.sources[-1][1] = m.group(1)
            place, step = int(m.group(2)), 1
        else:
            self.names.append(where)
            place, step = -len(self.names), -1
        self._place(place, step, len(self.sources) - 1)
        h = hash(case_id.strip().casefold())
        bucket = h & (self.BUCKETS - 1)
        self.hashes[bucket].append(h)
        self.indexes[bucket].append(self.count)
        self.count += 1

    def _place(self, place: int, step: int, origin: int) -> None:
        """Note the place of case ``self.count``, extending the last run when it follows on."""
        starts, places = self.run_starts, self.run_places
        if starts and self.run_origins[-1] == origin and self.run_steps[-1] == step \
                and places[-1] + (self.count - starts[-1]) * step == place:
            return
        starts.append(self.count)
        places.append(place)
        self.run_origins.append(origin)
        self.run_steps.append(step)

    def _where(self, i: int) -> str:
        run = bisect_right(self.run_starts, i) - 1
        source, kind = self.sources[self.run_origins[run]]
        place = self.run_places[run] + (i - self.run_starts[run]) * self.run_steps[run]
        where = f"{kind} {place}" if place >= 0 else self.names[-place - 1]
        return f"{source} {where}" if source else where

    def report(self) -> list[str]:
        repeats = []  # (a repeat, the first with its id), as indexes in reading order
        for hashes, indexes in zip(self.hashes, self.indexes):
            order = sorted(range(len(hashes)), key=hashes.__getitem__)  # stable: reading order within a hash
            for _, group in itertools.groupby(order, key=hashes.__getitem__):
                found = [indexes[k] for k in group]
                repeats.extend((i, found[0]) for i in found[1:])
        repeats.sort()  # in the order the repeats were read, not the hashes' order
        return [f"{self._where(i)}: the same case_id as {self._where(first)}, ignoring case and spaces at "
                "either end (each kept as its own case, not merged)" for i, first in repeats]
