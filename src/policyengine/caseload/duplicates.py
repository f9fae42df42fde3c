"""Repeated case ids in a caseload, found in one pass in 20 bytes per case."""
from __future__ import annotations

import itertools
import re
from array import array


class Duplicates:
    """Finds repeated case ids in one pass, in 20 bytes per case.

    Each case's id is kept only as a 64-bit hash beside its row (or line)
    number and its source; repeats are found at the end by sorting. Ids are
    compared ignoring case and spaces at either end (``"CASE-1 "`` and
    ``case-1`` are one case to a person reading the export). Repeated cases
    are each decided, never merged, and reported by row number (not by id,
    which the report never needs to repeat). With several caseloads (``impact``)
    each place is named with its source, and repeats across them are found too.
    """

    _NUMBERED = re.compile(r"^(row|line) (\d+)(?: \(line \d+ of the file\))?$")

    def __init__(self) -> None:
        self.hashes, self.places, self.origins = array("q"), array("q"), array("i")
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
            place = int(m.group(2))
        else:
            self.names.append(where)
            place = -len(self.names)
        self.hashes.append(hash(case_id.strip().casefold()))
        self.places.append(place)
        self.origins.append(len(self.sources) - 1)

    def _where(self, i: int) -> str:
        source, kind = self.sources[self.origins[i]]
        place = self.places[i]
        where = f"{kind} {place}" if place >= 0 else self.names[-place - 1]
        return f"{source} {where}" if source else where

    #: Buckets the cases are split into by their hash before sorting: sorting a
    #: million cases at once held a Python list of a million indexes and keys
    #: (over 100 MB at the end of a run); a bucket holds a 256th of them.
    BUCKETS = 256

    def report(self) -> list[str]:
        hashes = self.hashes
        buckets = [array("i") for _ in range(self.BUCKETS)]
        for i, h in enumerate(hashes):
            buckets[h & (self.BUCKETS - 1)].append(i)
        repeats = []  # (a repeat, the first with its id), as indexes in reading order
        for bucket in buckets:
            order = sorted(bucket, key=hashes.__getitem__)
            for _, group in itertools.groupby(order, key=hashes.__getitem__):
                found = sorted(group)
                repeats.extend((i, found[0]) for i in found[1:])
        repeats.sort()  # in the order the repeats were read, not the hashes' order
        return [f"{self._where(i)}: the same case_id as {self._where(first)}, ignoring case and spaces at "
                "either end (each kept as its own case, not merged)" for i, first in repeats]
