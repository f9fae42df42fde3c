"""Intervals, calendar months and England and Wales working days."""
import datetime as dt

import pytest
from hypothesis import given, strategies as st

from policyengine.engine.dates import (Interval, ShortYear, calendar, long_date, parse_date, parse_day_first,
                                      parse_interval)

D = dt.date
ENG = calendar("GB", "ENG")


@pytest.mark.parametrize("text, interval", [
    ("14 days", Interval(14, "days")), ("1 day", Interval(1, "days")),
    ("2 weeks", Interval(2, "weeks")), ("1 month", Interval(1, "months")),
    ("12 months", Interval(12, "months")), ("25 years", Interval(25, "years")),
    ("1 working day", Interval(1, "working days")), ("3 working days", Interval(3, "working days")),
])
def test_intervals_parse_as_a_policy_owner_writes_them(text, interval):
    assert parse_interval(text) == interval
    assert str(interval) == text


@pytest.mark.parametrize("text", ["fortnightly", "1.5 months", "-3 days", "month", "14 dayz", ""])
def test_anything_else_is_not_an_interval(text):
    with pytest.raises(ValueError):
        parse_interval(text)


@pytest.mark.parametrize("start, interval, due", [
    (D(2026, 1, 31), "1 month", D(2026, 2, 28)),
    (D(2028, 1, 31), "1 month", D(2028, 2, 29)),
    (D(2026, 3, 31), "1 month", D(2026, 4, 30)),
    (D(2026, 10, 22), "1 month", D(2026, 11, 22)),
    (D(2024, 2, 29), "1 year", D(2025, 2, 28)),
    (D(2026, 11, 8), "14 days", D(2026, 11, 22)),
    (D(2026, 11, 8), "2 weeks", D(2026, 11, 22)),
    (D(2010, 5, 1), "75 years", D(2085, 5, 1)),
])
def test_calendar_intervals_clamp_to_month_end(start, interval, due):
    assert ENG.add(start, parse_interval(interval)) == due


@pytest.mark.parametrize("start, due", [
    (D(2026, 11, 20), D(2026, 11, 23)),   # Friday -> Monday
    (D(2026, 11, 18), D(2026, 11, 19)),   # Wednesday -> Thursday
    (D(2026, 12, 24), D(2026, 12, 29)),   # Christmas, Boxing Day and its substitute on the 28th
    (D(2026, 12, 23), D(2026, 12, 24)),
    (D(2026, 4, 2), D(2026, 4, 7)),       # Good Friday 3 April and Easter Monday 6 April 2026
    (D(2026, 8, 28), D(2026, 9, 1)),      # late summer bank holiday 31 August 2026
    (D(2026, 11, 21), D(2026, 11, 23)),   # from a Saturday
])
def test_one_working_day_skips_weekends_and_bank_holidays(start, due):
    assert ENG.add(start, parse_interval("1 working day")) == due


def test_scotland_has_its_own_bank_holidays():
    # 2 January is a bank holiday in Scotland, not in England; in 2027 it falls
    # on a Saturday, so Scotland's substitute day is Monday 4 January.
    assert calendar("GB", "SCT").add(D(2026, 12, 31), parse_interval("1 working day")) == D(2027, 1, 5)
    assert ENG.add(D(2026, 12, 31), parse_interval("1 working day")) == D(2027, 1, 4)
    assert ENG.add(D(2027, 1, 1), parse_interval("1 working day")) == D(2027, 1, 4)
    assert ENG.is_working_day(D(2027, 1, 4)) and not calendar("GB", "SCT").is_working_day(D(2027, 1, 4))


@given(st.dates(min_value=D(2000, 1, 1), max_value=D(2090, 12, 31)), st.integers(1, 30))
def test_working_days_always_land_on_a_working_day_after_the_start(start, n):
    due = ENG.add_working_days(start, n)
    assert due > start and ENG.is_working_day(due)
    between = [start + dt.timedelta(days=i) for i in range(1, (due - start).days + 1)]
    assert sum(ENG.is_working_day(d) for d in between) == n


def test_letters_use_the_british_long_form():
    assert long_date(D(2026, 11, 22)) == "22 November 2026"
    assert long_date(D(2026, 3, 1)) == "1 March 2026"


@pytest.mark.parametrize("text, day_first, expected", [
    ("2026-11-22", False, D(2026, 11, 22)),
    ("22/11/2026", True, D(2026, 11, 22)),
    ("1/2/2026", True, D(2026, 2, 1)),
])
def test_dates_parse_iso_and_uk_day_first_only_where_asked(text, day_first, expected):
    assert parse_date(text, day_first=day_first) == expected


@pytest.mark.parametrize("text, day_first", [
    ("2026-02-30", False), ("22/11/2026", False), ("11/22/2026", True), ("2026/11/22", True), ("31/02/2026", True),
])
def test_impossible_and_month_first_dates_are_refused(text, day_first):
    with pytest.raises(ValueError):
        parse_date(text, day_first=day_first)


@pytest.mark.parametrize("text, expected", [
    ("22/11/2026", D(2026, 11, 22)), ("2026-11-22", D(2026, 11, 22)), ("1/2/2026", D(2026, 2, 1)),
    (" 01/02/2026 ", D(2026, 2, 1)),
])
def test_a_typed_date_is_day_first_or_iso(text, expected):
    assert parse_day_first(text) == expected


@pytest.mark.parametrize("text, message", [
    ("11/22/2026", "not a real date; write it DD/MM/YYYY (day first) or YYYY-MM-DD"),   # month first
    ("31/02/2026", "not a real date; write it DD/MM/YYYY (day first) or YYYY-MM-DD"),
    ("2026-02-30", "not a real date; write it DD/MM/YYYY (day first) or YYYY-MM-DD"),
    ("22.11.2026", "write the date DD/MM/YYYY (day first) or YYYY-MM-DD"),
    ("2026-11-22 00:00:00", "write the date DD/MM/YYYY (day first) or YYYY-MM-DD"),
    ("tomorrow", "write the date DD/MM/YYYY (day first) or YYYY-MM-DD"),
    ("22/11/26", "has a two-digit year: write the year in four digits, DD/MM/YYYY or YYYY-MM-DD"),
])
def test_any_other_typed_date_is_refused_without_repeating_it(text, message):
    with pytest.raises(ValueError) as info:
        parse_day_first(text)
    assert str(info.value) == message
    assert isinstance(info.value, ShortYear) == text.endswith("/26")


@given(st.dates(min_value=D(1000, 1, 1)))
def test_every_date_reads_back_from_its_day_first_and_iso_forms(day):
    assert parse_day_first(f"{day.day}/{day.month}/{day.year}") == parse_day_first(day.isoformat()) == day


@pytest.mark.parametrize("text, how_often", [
    ("1 day", "daily"), ("1 week", "weekly"), ("1 month", "monthly"), ("1 year", "yearly"),
    ("1 working day", "every working day"), ("2 weeks", "every 2 weeks"), ("3 months", "every 3 months"),
    ("14 days", "every 14 days"), ("10 working days", "every 10 working days"),
])
def test_an_interval_as_a_frequency_reads_naturally_never_every_1(text, how_often):
    assert parse_interval(text).how_often() == how_often
