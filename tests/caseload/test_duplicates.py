"""Repeated case ids: every repeat named against its first, in reading order, wherever it was read."""
from hypothesis import given, settings
from hypothesis import strategies as st

from policyengine.caseload.duplicates import Duplicates

IDS = st.sampled_from(["A1", "a1 ", "B2", "b2", " C3", "D4", None])
# Where a case was read: rows in order with gaps (blank rows skipped), a row over several lines,
# JSONL lines, or a file of a folder.
PLACES = st.sampled_from(["next", "skip", "multi", "line", "file"])


def reference(cases):
    """What the report says, worked out the plain way: a dict of first places, each named by its
    row (a row over several lines by its row alone)."""
    first, lines = {}, []
    for case_id, where, source in cases:
        if case_id is None:
            continue
        where = where.split(" (line ")[0]
        named = f"{source} {where}" if source else where
        key = case_id.strip().casefold()
        if key in first:
            lines.append(f"{named}: the same case_id as {first[key]}, ignoring case and spaces at either end "
                         "(each kept as its own case, not merged)")
        first.setdefault(key, named)
    return lines


def places(kinds, source):
    """The ``where`` of each case of one source, numbered as the readers number them."""
    row, out = 1, []
    for n, kind in enumerate(kinds):
        row += 3 if kind == "skip" else 1
        out.append({"next": f"row {row}", "skip": f"row {row}", "multi": f"row {row} (line {row + 7} of the file)",
                    "line": f"line {row}", "file": f"{source or 'case'}-{n}.yaml"}[kind])
    return out


@settings(max_examples=200)
@given(st.lists(st.tuples(st.sampled_from(["", "a.csv", "b.csv"]),
                          st.lists(st.tuples(IDS, PLACES), max_size=30)), max_size=3,
                unique_by=lambda source: source[0]))
def test_every_repeat_is_named_against_its_first_place_in_reading_order(sources):
    cases = []
    for source, rows in sources:
        kinds = [kind for _, kind in rows]
        if "line" in kinds:  # a source is read as rows (CSV, XLSX) or as lines (JSONL), never both
            kinds = ["line" if k != "file" else k for k in kinds]
        cases.extend((case_id, where, source) for (case_id, _), where in zip(rows, places(kinds, source)))
    repeats = Duplicates()
    for case_id, where, source in cases:
        repeats.add(case_id, where, source)
    assert repeats.report() == reference(cases)


def test_a_repeat_far_apart_is_found_whichever_bucket_its_hash_falls_in():
    repeats = Duplicates()
    for row in range(2, 5002):
        repeats.add(f"CASE-{row:05d}", f"row {row}")
    repeats.add(" case-00007", "row 5002")
    repeats.add("CASE-04999", "row 5003")
    assert repeats.report() == [
        "row 5002: the same case_id as row 7, ignoring case and spaces at either end (each kept as its own case, "
        "not merged)",
        "row 5003: the same case_id as row 4999, ignoring case and spaces at either end (each kept as its own "
        "case, not merged)"]


def test_places_read_in_order_are_kept_as_one_run_not_one_per_case():
    repeats = Duplicates()
    for row in range(2, 10_002):
        repeats.add(f"C{row}", f"row {row}")
    assert len(repeats.run_starts) == 1
