"""What happens next if nothing changes: the first date each outcome changes, exactly."""
import datetime as dt
import json

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from policyengine.engine.unknown import UNKNOWN
from policyengine import PolicyEngineError, load_rulebook
from policyengine.engine.pipeline import load_rulebook_text
from policyengine.engine.ahead import Change, changes_ahead, plan
from policyengine.engine.dates import Interval

from ..conftest import EXAMPLES, MINIMAL, RULEBOOKS

LEICS = "rulebooks/leicestershire.yaml"
AS_OF = dt.date(2026, 11, 22)
#: The day-by-day scan is the slow oracle: a short horizon keeps CI fast.
SCAN_DAYS = 120
BOOKS = sorted(RULEBOOKS.glob("*.yaml"))


@pytest.fixture(scope="module")
def leics():
    return load_rulebook(RULEBOOKS / "leicestershire.yaml")


def example(name):
    return yaml.safe_load((EXAMPLES / "leicestershire" / name).read_text())


def scanned(book, case, as_of, days):
    """The oracle: decide the case afresh on every day after ``as_of``; each outcome's first change."""
    before = book.evaluate(case, as_of, partial=True).outcomes
    first = {}
    for n in range(1, days + 1):
        day = as_of + dt.timedelta(days=n)
        now = book.evaluate(case, day, partial=True).outcomes
        for name in book.outcomes:
            if name not in first and not same(now[name], before[name]):
                first[name] = (day, now[name])
    return [(name, *first[name]) for name in book.outcomes if name in first]


def same(a, b):
    return type(a) is type(b) and a == b


def check_exact(book, case, as_of, days=SCAN_DAYS):
    """A case with unanswered questions too (partial): an outcome decided today that
    cannot be decided on a later day "becomes" not known then (null in outcomes)."""
    decision = book.evaluate(case, as_of, horizon=days, partial=True)
    listed = [(c.outcome, c.on, None if c.becomes is UNKNOWN else c.becomes) for c in decision.changes_ahead]
    assert listed == scanned(book, case, as_of, days)
    for change, (_, _, becomes) in zip(decision.changes_ahead, listed):  # the day before: the old value
        day_before = book.evaluate(case, change.on - dt.timedelta(days=1), partial=True).outcomes[change.outcome]
        assert same(day_before, decision.outcomes[change.outcome])
        assert same(book.evaluate(case, change.on, partial=True).outcomes[change.outcome], becomes)


# -- Leicestershire, exactly -------------------------------------------------------
def test_an_amber_contact_due_tomorrow_is_overdue_the_day_after(leics):
    decision = leics.evaluate(example("amber-on-tray.yaml"), AS_OF)
    assert decision.values["next_contact_due"] == dt.date(2026, 11, 23)
    overdue = [c for c in decision.changes_ahead if c.outcome in ("contact_overdue", "allocation_overdue")]
    assert overdue == [Change("contact_overdue", dt.date(2026, 11, 24), True),
                       Change("allocation_overdue", dt.date(2026, 12, 1), True)]


#: A red case put on the tray on 21 November (the urgent-duty example's answers, but no urgent need:
#: a Duty Point case is not on the tray, so nothing about the tray falls due for it).
RED_ON_TRAY = {**json.loads((EXAMPLES / "leicestershire" / "urgent-duty.json").read_text()), "urgent_need": False}


def test_a_red_case_is_escalated_the_day_after_a_calendar_month_on_the_tray(leics):
    decision = leics.evaluate(RED_ON_TRAY, AS_OF)
    assert decision.outcomes["escalate_to_ssm"] is False
    assert [c.as_dict() for c in decision.changes_ahead][:3] == [
        {"outcome": "contact_overdue", "on": "2026-11-29", "becomes": True},
        {"outcome": "escalate_to_ssm", "on": "2026-12-22", "becomes": True},
        {"outcome": "allocation_overdue", "on": "2026-12-20", "becomes": True},
    ]


def test_a_month_on_the_tray_from_31_january_ends_with_february(leics):
    case = {"case_id": "M1", "urgent_need": False, "ordinarily_resident": True, "support": "none", "risk": "high",
            "priority": "low", "complexity": "low", "date_added": "2027-01-31", "last_contact": "2027-02-25"}
    changes = {c.outcome: c.on for c in leics.evaluate(case, dt.date(2027, 2, 1)).changes_ahead}
    assert changes["escalate_to_ssm"] == dt.date(2027, 3, 1)  # on the tray over a month from 1 March
    check_exact(leics, case, dt.date(2027, 2, 1))


def test_nothing_that_has_already_changed_is_listed_again(leics):
    decision = leics.evaluate(example("red-escalation.yaml"), AS_OF)
    assert decision.changes_ahead == []


def test_the_horizon_bounds_what_is_listed(leics):
    decision = leics.evaluate(example("amber-on-tray.yaml"), AS_OF, horizon=8)
    assert [c.outcome for c in decision.changes_ahead] == ["contact_overdue", "actions"]
    assert leics.evaluate(example("amber-on-tray.yaml"), AS_OF, horizon=1).changes_ahead == []


@pytest.mark.parametrize("horizon", [0, -1, 3651, True, 7.5])
def test_a_horizon_that_is_not_1_to_3650_days_is_refused(leics, horizon):
    with pytest.raises(ValueError, match="horizon must be a whole number of days from 1 to 3,650"):
        leics.evaluate(example("amber-on-tray.yaml"), AS_OF, horizon=horizon)


def test_changes_ahead_is_worked_out_only_when_read(leics, monkeypatch):
    decision = leics.evaluate(example("amber-on-tray.yaml"), AS_OF)
    assert decision._ahead is None
    first = decision.changes_ahead
    assert decision.changes_ahead is first


def test_the_plan_collects_the_rulebooks_intervals_and_dates(leics):
    rules = plan(leics)
    assert {Interval(7, "days"), Interval(14, "days"), Interval(1, "months"), Interval(28, "days"),
            Interval(12, "months")} <= set(rules.intervals)
    assert {dt.date(2023, 3, 1), dt.date(2025, 3, 31)} <= set(rules.dates)
    assert dt.date(2026, 11, 20) not in rules.dates  # the rulebook's tests are not its rules
    assert rules.every_day is False


def test_pending_outcomes_are_skipped(leics):
    decision = leics.evaluate(example("amber-on-tray.yaml"), AS_OF)
    changes = changes_ahead(leics, decision.values, AS_OF, 30, skip=("contact_overdue", "actions"))
    assert [c.outcome for c in changes] == ["allocation_overdue"]


# -- JSON, text and the command line ---------------------------------------------------
def test_json_lists_changes_ahead_before_provenance(cli):
    result = cli("evaluate", "-r", LEICS, "examples/leicestershire/amber-on-tray.yaml", "--as-of", "2026-11-22",
                 "--format", "json", "--horizon", "30")
    data = json.loads(result.stdout)
    assert list(data)[-2:] == ["changes_ahead", "provenance"]
    assert [{k: c[k] for k in ("outcome", "on")} for c in data["changes_ahead"]] == [
        {"outcome": "contact_overdue", "on": "2026-11-24"},
        {"outcome": "allocation_overdue", "on": "2026-12-01"},
        {"outcome": "actions", "on": "2026-11-24"},
    ]
    assert data["changes_ahead"][0]["becomes"] is True
    assert data["changes_ahead"][2]["becomes"][-1] == (
        'The review contact is overdue. Contact the person now and record it on a "PWT" case note using the '
        "RAAN, with a TM/TL notified.")


def test_text_says_what_happens_next_after_the_outcomes(cli, tmp_path, books):
    of = books["leicestershire"].labels.of
    (tmp_path / "red.json").write_text(json.dumps(RED_ON_TRAY))
    result = cli("evaluate", "-r", LEICS, tmp_path / "red.json", "--as-of", "2026-11-22", "--horizon", "29")
    assert result.exit_code == 0
    text = result.stdout
    assert (f"\n\nNext: {of('contact_overdue')} becomes yes on 29 November 2026\n"
            f"Next: {of('allocation_overdue')} becomes yes on 20 December 2026\n"
            f"Next: on 29 November 2026, {of('actions')} gains: The review contact is overdue. Contact the person now and "
            'record it on a "PWT" case note using the RAAN, with a TM/TL notified.\n\nDocuments that apply:') in text


def test_text_says_nothing_next_when_nothing_changes(cli):
    text = cli("evaluate", "-r", LEICS, "examples/leicestershire/red-escalation.yaml",
               "--as-of", "2026-11-22").stdout
    assert "Next:" not in text


@pytest.mark.parametrize("value", ["0", "-3", "3651", "many"])
def test_a_horizon_that_is_not_1_to_3650_days_is_a_usage_error(cli, value):
    result = cli("evaluate", "-r", LEICS, "examples/leicestershire/amber-on-tray.yaml", "--horizon", value)
    assert result.exit_code == 2
    assert "Invalid value for '--horizon'" in result.stderr
    assert "Traceback" not in result.output


# -- exact, not sampled: against a day-by-day scan --------------------------------------
def _example_cases():
    for path in BOOKS:
        book = load_rulebook(path)
        for test in book.tests:
            yield pytest.param(path.stem, test["case"], test.get("as_of"), id=f"{path.stem}:{test['name'][:40]}")
        for case in sorted(p for p in (EXAMPLES / path.stem).glob("*.*") if p.suffix in (".yaml", ".json")):
            yield pytest.param(path.stem, yaml.safe_load(case.read_text()), None, id=f"{path.stem}:{case.name}")


@pytest.mark.parametrize("stem, case, as_of", list(_example_cases()))
def test_every_shipped_example_changes_exactly_when_a_daily_scan_says(books, stem, case, as_of):
    as_of = as_of if isinstance(as_of, dt.date) else dt.date.fromisoformat(as_of) if as_of else AS_OF
    check_exact(books[stem], case, as_of)


def generated_case(book, as_of):
    """Cases whose dates fall around ``as_of``, so their rules turn within the scan."""
    near = st.dates(min_value=as_of - dt.timedelta(days=800), max_value=as_of + dt.timedelta(days=60))
    fields = {}
    for name, spec in book.inputs.items():
        if name == "case_id":
            fields[name] = st.just("G1")
            continue
        strategy = {
            "boolean": st.booleans(),
            "integer": st.integers(spec.minimum if spec.minimum is not None else 0,
                                   spec.maximum if spec.maximum is not None else 40),
            "string": st.sampled_from(["", "x", "yes"]),
            "date": near,
            "enum": st.sampled_from(spec.values or ("x",)),
            "list": st.lists(st.sampled_from(spec.values or ("x",)), unique=True, max_size=3),
        }[spec.type]
        fields[name] = strategy if spec.type in ("boolean", "enum", "list") or name in book.reader.required \
            else st.one_of(st.none(), strategy)
    return st.fixed_dictionaries(fields)


@pytest.mark.parametrize("path", BOOKS, ids=lambda p: p.stem)
def test_generated_cases_change_exactly_when_a_daily_scan_says(books, path):
    book = books[path.stem]

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.data(), st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2028, 12, 31)))
    def check(data, as_of):
        case = data.draw(generated_case(book, as_of))
        try:
            book.evaluate(case, as_of)
        except PolicyEngineError:
            return  # a case the inputs refuse has nothing ahead
        check_exact(book, case, as_of, days=60)

    check()



def _with(decisions, outcomes):
    return MINIMAL.replace("outcomes: [out]\n", decisions + f"outcomes: [out, {outcomes}]\n")


#: A date passing, and rules that move ``as_of`` itself: month ends clamp (30 January + 1 month is 28 February,
#: yet a month from 30 January has passed only on 1 March), and dates moved back.
MOVING = _with("""\
  passed:
    source: guide §1
    rules:
      - {when: "when is not none and as_of > when", value: 'yes', because: the date has passed}
    otherwise: {value: 'no', because: not yet}
  past_month:
    source: guide §2
    rules:
      - {when: "when is not none and subtract(as_of, '1 month') >= when", value: 'yes', because: a month has passed}
    otherwise: {value: 'no', because: not yet}
  fortnight_ahead:
    source: guide §3
    rules:
      - {when: "when is not none and add(as_of, '2 weeks') > when", value: 'yes', because: within a fortnight}
    otherwise: {value: 'no', because: not yet}
""", "passed, past_month, fortnight_ahead")
#: A count of days, and one compared with a number.
COUNTING = _with("""\
  waited:
    source: guide §4
    rules:
      - {when: "when is not none and days_between(when, as_of) > 45", value: 'yes', because: waited too long}
    otherwise: {value: 'no', because: not yet}
  days_waited:
    source: guide §5
    rules:
      - {when: "when is not none", expr: "days_between(when, as_of)", because: counted}
    otherwise: {value: 0, because: no date}
""", "waited, days_waited")
_BOOKS = {}


def book_of(text):
    if text not in _BOOKS:
        _BOOKS[text] = load_rulebook_text(text)
    return _BOOKS[text]


@pytest.mark.parametrize("text", [MOVING, COUNTING], ids=["moving", "counting"])
def test_rules_that_move_the_evaluation_date_change_exactly_when_a_daily_scan_says(text):
    book = book_of(text)

    @settings(max_examples=80, deadline=None)
    @given(st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2026, 12, 31)), st.integers(-80, 40))
    def check(when, offset):
        check_exact(book, {"case_id": "T1", "level": "low", "when": when.isoformat()},
                    when + dt.timedelta(days=offset), days=90)

    check()


def test_a_month_from_30_january_has_passed_on_1_march():
    decision = book_of(MOVING).evaluate({"case_id": "T1", "level": "low", "when": "2026-01-30"},
                                        dt.date(2026, 2, 20))
    assert [c for c in decision.changes_ahead if c.outcome == "past_month"] == [
        Change("past_month", dt.date(2026, 3, 1), "yes")]


def test_a_count_of_days_turns_the_day_after_it_passes_the_number():
    decision = book_of(COUNTING).evaluate({"case_id": "T1", "level": "low", "when": "2026-03-01"},
                                          dt.date(2026, 3, 2))
    assert decision.changes_ahead == [Change("waited", dt.date(2026, 4, 16), "yes"),
                                      Change("days_waited", dt.date(2026, 3, 3), 2)]


def test_a_rule_that_asks_whether_today_is_a_working_day_is_tried_on_every_day():
    text = _with("""\
  working_today:
    source: guide §6
    rules:
      - {when: "is_working_day(as_of)", value: 'yes', because: a working day}
    otherwise: {value: 'no', because: a weekend or bank holiday}
""", "working_today")
    book = book_of(text)
    assert plan(book).every_day is True
    case = {"case_id": "W1", "level": "low"}
    decision = book.evaluate(case, dt.date(2026, 12, 24), horizon=10)  # Christmas Eve, then Christmas Day
    assert decision.changes_ahead == [Change("working_today", dt.date(2026, 12, 25), "no")]
    check_exact(book, case, dt.date(2026, 12, 26), days=20)


def test_a_checklist_that_changes_by_itself_is_told_by_what_it_gains(cli, books):
    result = cli("evaluate", "-r", "rulebooks/leicestershire.yaml", "examples/leicestershire/green-month-end.yaml",
                 "--as-of", "2026-11-22")
    assert (f"\nNext: on 29 November 2026, {books['leicestershire'].labels.of('actions')} gains: The person has waited more than 28 days for allocation. "
            "Prioritise allocating a named worker.\n") in result.stdout
