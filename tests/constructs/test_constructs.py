"""Each construct on its own, in small rulebooks that belong to no council."""
import datetime as dt

import pytest

from policyengine import EvaluationError
from policyengine import load_rulebook

HEAD = """\
rulebook:
  id: c
  title: Constructs
  council: Test
  version: "1"
  effective_from: 2026-01-01
  review_by: 2999-01-01
  sources: {g: {title: Guide}}
inputs:
  case_id: {type: string, required: true, question: 'Ref?'}
"""


@pytest.fixture
def book(write):
    def make(body):
        return load_rulebook(write("c.yaml", HEAD + body))

    return make


def test_a_matrix_over_three_axes(book):
    b = book("""
  x: {type: enum, values: [p, q], required: true, question: 'X?'}
  y: {type: enum, values: [r, s], required: true, question: 'Y?'}
  z: {type: boolean, default: false, question: 'Z?'}
matrices:
  m:
    by: [x, y, z]
    source: g 1
    cells:
      p: {r: {true: 1, false: 2}, s: {true: 3, false: 4}}
      q: {r: {true: 5, false: 6}, s: {true: 7, false: 8}}
outcomes: [m]
""")
    got = {(x, y, z): b.evaluate({"case_id": "1", "x": x, "y": y, "z": z}).outcomes["m"]
           for x in "pq" for y in "rs" for z in (True, False)}
    assert list(got.values()) == [1, 2, 3, 4, 5, 6, 7, 8]


def test_a_matrix_axis_that_is_missing_gives_null(book):
    b = book("""
  x: {type: enum, values: [p, q], question: 'X?'}
matrices:
  m: {by: [x], source: g 1, cells: {p: 1, q: 2}}
outcomes: [m]
""")
    assert b.evaluate({"case_id": "1"}).outcomes["m"] is None


BANDS = """
  n: {type: integer, question: 'N?'}
thresholds:
  load:
    of: n
    source: g 2
    bands:
      - {value: ok, to: 24}
      - {value: near, from: 25, to: 29}
      - {value: full, from: 30}
outcomes: [load]
"""


@pytest.mark.parametrize("n, value", [(-3, "ok"), (24, "ok"), (25, "near"), (29, "near"), (30, "full"),
                                      (10**6, "full"), (None, None)])
def test_open_ended_bands_and_a_missing_value(book, n, value):
    assert book(BANDS).evaluate({"case_id": "1", "n": n}).outcomes["load"] == value


def test_a_value_outside_closed_bands_is_an_evaluation_error(book):
    b = book(BANDS.replace("{value: ok, to: 24}", "{value: ok, from: 0, to: 24}"))
    with pytest.raises(EvaluationError) as info:
        b.evaluate({"case_id": "C9", "n": -1})
    assert info.value.message == ("case C9: thresholds `load` could not be evaluated: "
                                  "the value falls outside every band of threshold `load`")
    assert info.value.line == 14


CADENCE = """
  start: {type: date, question: 'Start?'}
  every: {type: enum, values: [short, long], default: short, question: 'Every?'}
decisions:
  gap:
    type: interval
    source: g 3
    rules:
      - {when: "every == 'short'", value: 1 working day, because: short}
    otherwise: {value: 1 month, because: long}
cadences:
  due:
    from: start
    every: gap
    overdue_as: late
    source: g 3
outcomes: [due, late]
"""


@pytest.mark.parametrize("start, every, as_of, due, late", [
    ("2026-11-20", "short", "2026-11-23", "2026-11-23", False),   # Friday -> Monday, due today
    ("2026-11-20", "short", "2026-11-24", "2026-11-23", True),    # overdue from D+1
    ("2026-12-24", "short", "2026-12-29", "2026-12-29", False),   # Christmas and the substitute Boxing Day
    ("2026-01-31", "long", "2026-02-28", "2026-02-28", False),    # month-end clamp
    ("2026-01-31", "long", "2026-03-01", "2026-02-28", True),
    (None, "long", "2026-03-01", None, None),                      # nothing to start from
])
def test_cadences_give_due_dates_and_overdue_flags(book, start, every, as_of, due, late):
    b = book(CADENCE)
    d = b.evaluate({"case_id": "1", "start": start, "every": every}, dt.date.fromisoformat(as_of))
    got = d.as_dict()["outcomes"]
    assert (got["due"], got["late"]) == (due, late)


def test_a_calendar_can_name_another_subdivision(book):
    b = book(CADENCE.replace("outcomes:", "calendar: {country: GB, subdiv: SCT}\noutcomes:"))
    d = b.evaluate({"case_id": "1", "start": "2026-12-31"}, dt.date(2027, 1, 1))
    assert d.outcomes["due"] == dt.date(2027, 1, 5)   # 1 Jan, and 2 Jan's substitute on 4 Jan


def test_a_checklist_lists_items_whose_condition_holds_only_when_it_applies(book):
    b = book("""
  closing: {type: boolean, default: false, question: 'Closing?'}
  told: {type: boolean, default: false, question: 'Told?'}
checklists:
  missing:
    when: closing
    source: g 4
    items:
      - {item: Tell the family., when: not told}
      - {item: Write the closure record.}
outcomes: [missing]
""")
    assert b.evaluate({"case_id": "1"}).outcomes["missing"] == []
    assert b.evaluate({"case_id": "1", "closing": True}).outcomes["missing"] == [
        "Tell the family.", "Write the closure record."]
    assert b.evaluate({"case_id": "1", "closing": True, "told": True}).outcomes["missing"] == [
        "Write the closure record."]


RESERVED = """
  tasks: {type: list, values: [a, b, c], default: [], question: 'Tasks?'}
  role: {type: enum, values: [qualified, assistant], question: 'Role?'}
reserved_tasks:
  held_back:
    tasks_input: tasks
    tasks: [b, c]
    roles: [qualified]
    role_input: role
    permitted_as: role_ok
    source: g 5
outcomes: [held_back, role_ok]
"""


@pytest.mark.parametrize("tasks, role, reserved, ok", [
    ([], None, [], None),
    (["a"], "assistant", [], True),
    (["c", "a", "b"], "assistant", ["c", "b"], False),
    (["c"], "qualified", ["c"], True),
])
def test_reserved_tasks_and_the_role_check(book, tasks, role, reserved, ok):
    out = book(RESERVED).evaluate({"case_id": "1", "tasks": tasks, "role": role}).outcomes
    assert (out["held_back"], out["role_ok"]) == (reserved, ok)


def test_a_reserved_task_that_is_not_a_value_of_its_list_is_an_error(book):
    from policyengine import RulebookInvalid

    with pytest.raises(RulebookInvalid) as info:
        book(RESERVED.replace("tasks: [b, c]", "tasks: [b, d]"))
    assert str(info.value.errors[0]).endswith(":17:16: task `d` is not a value of `tasks`")


def test_a_scored_factor_group_sums_and_bands(book):
    b = book("""
  r: {type: integer, minimum: 1, maximum: 3, required: true, question: 'R?'}
  s: {type: integer, minimum: 1, maximum: 3, required: true, question: 'S?'}
factors:
  score: {measure: sum, items: [r, s], source: g 6}
thresholds:
  tier:
    of: score
    source: g 6
    bands: [{value: 1, from: 2, to: 3}, {value: 2, from: 4, to: 6}]
outcomes: [score, tier]
""")
    assert b.evaluate({"case_id": "1", "r": 1, "s": 2}).outcomes == {"score": 3, "tier": 1}
    assert b.evaluate({"case_id": "1", "r": 3, "s": 1}).outcomes == {"score": 4, "tier": 2}


def test_a_compiled_rulebook_is_reused_without_state_leaking_between_cases(book):
    b = book(RESERVED)
    first = b.evaluate({"case_id": "1", "tasks": ["b"], "role": "assistant"})
    second = b.evaluate({"case_id": "2"})
    assert first.outcomes["held_back"] == ["b"] and second.outcomes["held_back"] == []


CHECKLIST_IDS = """
  closing: {type: boolean, default: false, question: 'Closing?'}
checklists:
  missing:
    source: g 4
    items:
      - {id: tell_family, item: Tell the family.}
      - {item: "Write the child's closure record."}
      - {item: "Write the child's closure record, again."}
      - {id: write_child_closure_record, item: Ask the school.}
outcomes: [missing]
"""


def test_checklist_items_have_their_own_ids_or_ones_made_from_their_first_words(book):
    el = book(CHECKLIST_IDS).producers["missing"]
    assert [item_id for item_id, _ in el.items] == [
        "tell_family", "write_child_closure_record_2", "write_child_closure_record_3", "write_child_closure_record"]


def test_a_checklist_item_id_used_twice_is_an_error(book):
    from policyengine import RulebookInvalid

    with pytest.raises(RulebookInvalid) as info:
        book(CHECKLIST_IDS.replace("id: write_child_closure_record", "id: tell_family"))
    assert str(info.value.errors[0]).endswith(
        ":20:14: item id `tell_family` is already the id of item 1: each item's id must be unique in its checklist")


def test_a_checklist_item_id_must_be_a_name(book):
    from policyengine import RulebookInvalid

    with pytest.raises(RulebookInvalid) as info:
        book(CHECKLIST_IDS.replace("id: tell_family", "id: Tell family"))
    assert str(info.value.errors[0]).endswith(":17:14: `Tell family` is not a valid name: use lower-case letters, "
                                              "digits and _")
