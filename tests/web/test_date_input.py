"""The GOV.UK date input (web/date_input.py) and the sealed decision link (security.seal)."""
import datetime as dt

import pytest
from hypothesis import given, settings, strategies as st

from policyengine.web.date_input import Boxes, DateProblem, read
from policyengine.web.security import MAX_SEALED, seal, unseal


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=dt.date(1000, 1, 1)))
def test_every_real_date_typed_into_the_boxes_reads_back_as_itself(day):
    assert read(Boxes.of(day)) == day
    assert read(Boxes(f"{day.day:02d}", f"{day.month:02d}", str(day.year))) == day  # leading zeros too


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 31), st.integers(1, 12), st.integers(1000, 9999))
def test_boxes_are_a_date_exactly_when_the_calendar_has_that_day(day, month, year):
    try:
        expected = dt.date(year, month, day)
    except ValueError:
        with pytest.raises(DateProblem, match="must be a real date") as refused:
            read(Boxes(str(day), str(month), str(year)))
        assert refused.value.parts == ("day",)
    else:
        assert read(Boxes(str(day), str(month), str(year))) == expected


@pytest.mark.parametrize("boxes, message, parts", [
    (Boxes("31", "2", "2026"), "The date must be a real date", ("day",)),
    (Boxes("10", "20", "2026"), "The date must be a real date", ("month",)),  # never read month-first
    (Boxes("20", "", "2026"), "The date must include a month", ("month",)),
    (Boxes("20", "", ""), "The date must include a month and year", ("month", "year")),
    (Boxes("", "", "2026"), "The date must include a day and month", ("day", "month")),
    (Boxes("20", "10", "26"), "The year must include 4 numbers", ("year",)),
    (Boxes("twenty", "10", "2026"), "The date must be a real date, in numbers", ("day",)),
    (Boxes("-1", "10", "2026"), "The date must be a real date, in numbers", ("day",)),
    (Boxes("²", "10", "2026"), "The date must be a real date, in numbers", ("day",)),  # a digit int() cannot read
    (Boxes("1", "1", "0000"), "The date must be a real date", ("year",)),  # there is no year 0: the year is wrong
])
def test_boxes_that_are_not_a_date_say_why_and_which(boxes, message, parts):
    with pytest.raises(DateProblem) as refused:
        read(boxes)
    assert (str(refused.value), refused.value.parts) == (message, parts)


def test_empty_boxes_are_no_date_and_the_message_names_the_date():
    assert read(Boxes()) is None
    with pytest.raises(DateProblem, match="^The date of the decision must include a year$"):
        read(Boxes("1", "2", ""), "The date of the decision")


def test_a_date_sent_whole_is_read_as_iso_only_never_in_slashes():
    assert read(Boxes.sent({"when": "2026-11-22"}, "when")) == dt.date(2026, 11, 22)
    with pytest.raises(DateProblem, match="in numbers"):
        read(Boxes.sent({"when": "11/02/2026"}, "when"))
    assert Boxes.sent({"when": "2026-11-22", "when-day": "3"}, "when") == Boxes("3", "", "")  # the boxes win


SECRET = b"k" * 32


def test_a_sealed_case_opens_only_for_its_own_purpose_and_secret_and_unchanged():
    case = {"case": {"case_id": "L-1", "person_name": "Pat Example"}, "as_of": "2026-11-22"}
    sealed = seal(SECRET, "decision:a:1", case)
    assert "Pat" not in sealed and unseal(SECRET, "decision:a:1", sealed) == case
    assert unseal(SECRET, "decision:b:1", sealed) is None  # another rulebook, or another version of it
    assert unseal(b"j" * 32, "decision:a:1", sealed) is None  # another run of the app
    changed = sealed[:20] + ("A" if sealed[20] != "A" else "B") + sealed[21:]
    assert unseal(SECRET, "decision:a:1", changed) is None
    assert unseal(SECRET, "decision:a:1", "") is None and unseal(SECRET, "decision:a:1", "%%%") is None


def test_a_case_too_long_for_a_link_is_not_sealed():
    import os
    noise = os.urandom(MAX_SEALED).hex()  # does not compress
    assert seal(SECRET, "p", {"notes": noise}) is None
