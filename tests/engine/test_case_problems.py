"""Every problem of a case file in one run (#20), as `validate` lists a rulebook's: one
line each with its file, line, column and field, in the order of the file; one
exception carrying them all for the Python API; a list in the API's 422."""
import datetime as dt
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

import policyengine
from policyengine import CaseError, CaseInvalid, Location
from policyengine.errors import MAX_CASE_PROBLEMS
from policyengine.web.forms import errors_by_field

LEICS = "rulebooks/leicestershire.yaml"
AS_OF = dt.date(2026, 11, 22)
OK = {"case_id": "L-1", "support": "full", "risk": "low", "priority": "low", "complexity": "low",
      "date_added": "2026-11-01"}

#: An unknown field with a did-you-mean, a date that does not exist, a required field left out.
THREE_PROBLEMS = """\
case_id: L-1
supprot: full
risk: low
priority: low
complexity: low
date_added: 2026-02-30
"""


def three_lines(where):
    return (f"{where}:2:1: unknown field `supprot` (did you mean `support`?)\n"
            f"{where}:6:13: field `date_added` must be a real date written YYYY-MM-DD\n"
            f"{where}: missing required field `support`\n")


@pytest.fixture(scope="module")
def leics():
    return policyengine.load_rulebook(LEICS)


@pytest.mark.parametrize("command", [["evaluate"], ["evaluate", "--format", "json"],
                                     ["render", "-d", "person_letter"]])
def test_three_problems_in_a_yaml_case_are_reported_together_each_at_its_line(cli, write, command):
    case = write("case.yaml", THREE_PROBLEMS)
    result = cli(command[0], "-r", LEICS, case, *command[1:])
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", three_lines(case))


def test_three_problems_in_a_case_on_standard_input_are_reported_together(cli):
    result = cli("evaluate", "-r", LEICS, "-", input=THREE_PROBLEMS)
    assert (result.exit_code, result.stderr) == (1, three_lines("<stdin>"))


def test_the_problems_of_a_json_case_file_are_named_at_their_lines(cli, write):
    case = write("case.json", '{"case_id": "L-1",\n "supprot": "full",\n "risk": "low", "priority": "low",\n'
                              ' "complexity": "low",\n "date_added": "30/02/2026"}\n')
    result = cli("evaluate", "-r", LEICS, case)
    assert (result.exit_code, result.stderr) == (1, (
        f"{case}:2:2: unknown field `supprot` (did you mean `support`?)\n"
        f"{case}:5:16: field `date_added` must be a real date written YYYY-MM-DD\n"
        f"{case}: missing required field `support`\n"))


def test_problems_are_listed_in_the_order_of_the_file_not_of_the_rulebook(cli, write):
    case = write("case.yaml", "date_added: someday\nrisk: hgh\ncase_id: L-1\nsupport: full\npriority: low\n"
                              "complexity: low\nrsk: low\n")
    result = cli("evaluate", "-r", LEICS, case)
    assert result.stderr == (f"{case}:1:13: field `date_added` must be a real date written YYYY-MM-DD\n"
                             f"{case}:2:7: field `risk` must be one of high, moderate, low\n"
                             f"{case}:7:1: unknown field `rsk` (did you mean `risk`?)\n")


def test_a_refused_value_is_never_repeated_and_a_refused_required_field_is_not_also_missing(cli, write):
    case = write("case.yaml", "case_id: [L-1]\nsupport: Mrs Jones\nrisk: low\npriority: low\ncomplexity: low\n"
                              "date_added: 1961-02-29\n")
    result = cli("evaluate", "-r", LEICS, case)
    assert result.stderr == (f"{case}:1:10: field `case_id` must be text\n"
                             f"{case}:2:10: field `support` must be one of none, moderate, full\n"
                             f"{case}:6:13: field `date_added` must be a real date written YYYY-MM-DD\n")
    assert "Jones" not in result.stderr and "1961" not in result.stderr


def test_an_impossible_date_in_a_text_field_of_a_case_file_is_the_text_as_written(cli, write):
    case = write("case.yaml", "case_id: 2026-02-30\nworker_role: social_worker\n")
    result = cli("evaluate", "-r", "rulebooks/knowsley.yaml", case, "--format", "json", "--as-of", "2026-11-22")
    assert result.exit_code == 0 and json.loads(result.stdout)["case_id"] == "2026-02-30"


def test_the_python_api_raises_one_case_error_carrying_every_problem(leics, tmp_path):
    path = tmp_path / "case.yaml"
    path.write_text(THREE_PROBLEMS)
    case, origin = policyengine.read_case_file(path)
    with pytest.raises(CaseError) as caught:
        leics.evaluate(case, AS_OF, origin=origin)
    error = caught.value
    assert isinstance(error, CaseInvalid) and policyengine.CaseInvalid is CaseInvalid
    assert [(p.code, p.path, p.line) for p in error.problems] == [
        ("case.unknown_field", "supprot", 2), ("case.invalid_value", "date_added", 6),
        ("case.missing_field", "support", None)]
    # a caller that reads one problem reads the first, as before
    assert (error.message, error.path, error.line, error.column, error.code, error.suggestion) == (
        "unknown field `supprot` (did you mean `support`?)", "supprot", 2, 1, "case.unknown_field", "support")
    assert str(error) == three_lines(path).rstrip("\n")
    assert error.as_dict()["problems"] == [p.as_dict() for p in error.problems]


def test_a_case_with_one_problem_reads_as_that_problem(leics):
    with pytest.raises(CaseInvalid) as caught:
        leics.evaluate({**OK, "risk": "hgh"}, AS_OF)
    assert str(caught.value) == "<input>: field `risk` must be one of high, moderate, low"
    assert len(caught.value.problems) == 1


def test_more_problems_than_the_cap_end_in_a_line_counting_the_rest():
    problems = [CaseError(f"unknown field `x{i}`", Location("c.yaml", i + 1, 1, f"x{i}"))
                for i in range(MAX_CASE_PROBLEMS + 50)]
    error = CaseInvalid(problems)
    assert len(error.problems) == MAX_CASE_PROBLEMS + 1
    assert error.problems[-1].message == "… and 50 more problems"
    assert str(error).splitlines()[-1] == "c.yaml: … and 50 more problems"
    assert error.message == "unknown field `x0`"


def test_a_good_case_never_takes_the_careful_path(leics, monkeypatch):
    def careful(*args, **kwargs):
        raise AssertionError("the careful path ran for a good case")

    monkeypatch.setattr(type(leics.reader), "_careful", careful)
    assert leics.reader.read(OK, Location())["risk"] == "low"
    assert leics.reader.read({k: str(v) for k, v in OK.items()}, Location(), text=True)["risk"] == "low"


# -- the JSON API and the web form ---------------------------------------------------------
@pytest.fixture(scope="module")
def client():
    from fastapi.testclient import TestClient

    from policyengine.web import create_app

    from ..conftest import ROOT
    return TestClient(create_app(str(ROOT / "rulebooks")))


@pytest.mark.parametrize("route", ["evaluate", "render/person_letter"])
def test_the_api_answers_422_with_the_first_problem_and_every_problem(client, route):
    case = {"case_id": "L-1", "supprot": "full", "risk": "low", "priority": "low", "complexity": "low",
            "date_added": "2026-02-30"}
    response = client.post(f"/api/rulebooks/leicestershire/{route}?as_of=2026-11-22", json=case)
    first = {"error": "unknown field `supprot` (did you mean `support`?)", "field": "supprot"}
    assert (response.status_code, response.json()) == (422, {**first, "problems": [
        first, {"error": "field `date_added` must be a real date written YYYY-MM-DD", "field": "date_added"},
        {"error": "missing required field `support`", "field": "support"}]})


def test_the_web_form_shows_each_problem_at_its_field():
    error = CaseInvalid([CaseError("field `risk` must be one of high, moderate, low", Location("form").at("risk")),
                         CaseError("missing required field `support`", Location("form").at("support")),
                         CaseError("a field's name is not one of the rulebook's inputs", Location("form"))])
    assert errors_by_field(error) == {"risk": "field `risk` must be one of high, moderate, low",
                                      "support": "missing required field `support`",
                                      "case_id": "a field's name is not one of the rulebook's inputs"}
    assert errors_by_field(CaseError("no", Location("form").at("risk"))) == {"risk": "no"}


def test_a_control_character_in_the_forms_case_reference_is_shown_at_that_field(client):
    import re

    page = client.get("/rulebooks/knowsley/evaluate")
    form = {"csrf": re.search(r'name="csrf" value="([^"]+)"', page.text).group(1), "as_of": "2026-11-22",
            "case_id": "K\u200e1", "worker_role": "social_worker"}
    answer = client.post("/rulebooks/knowsley/evaluate", data=form)
    assert answer.status_code == 422 and 'href="#case_id"' in answer.text
    assert "holds a control character" in answer.text


# -- a caseload keeps one record per row -------------------------------------------------
def test_a_caseload_row_with_several_problems_is_one_record_naming_the_first(cli, write):
    path = write("c.csv", "case_id,support,risk,priority,complexity,date_added\n"
                          "A1,full,hgh,lw,low,2026-02-30\nA2,full,low,low,low,2026-11-01\n")
    result = cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert records[0] == {"case_id": "A1", "where": "row 2", "field": "risk",
                          "error": "field `risk` must be one of high, moderate, low"}
    assert records[1]["case_id"] == "A2" and "outcomes" in records[1]
    assert result.stderr == (f"{path}: row 2 (case A1): field `risk` must be one of high, moderate, low\n"
                             "batch: 2 cases: 1 decided, 1 could not be decided\n")


# -- a property: every problem, once, in the order of the case's fields --------------------
BAD = {"support": "lots", "risk": 7, "date_added": "31/02/2026", "case_id": ["L-1"]}


@given(st.permutations(list(OK)), st.sets(st.sampled_from(list(OK))), st.sets(st.sampled_from(list(OK))),
       st.lists(st.sampled_from(["extra", "rsk", "notes"]), unique=True))
def test_every_problem_is_named_once_in_the_order_of_the_case(leics, order, spoiled, dropped, unknown):
    case = {n: BAD.get(n, 3) if n in spoiled else OK[n] for n in order if n not in dropped - spoiled}
    case.update({n: "x" for n in unknown})
    expected = [n for n in case if n in spoiled or n in unknown] + \
               [n for n in leics.reader.required if n not in case]
    if not expected:
        assert leics.reader.read(case, Location())["case_id"] == "L-1"
        return
    with pytest.raises(CaseInvalid) as caught:
        leics.reader.read(case, Location())
    assert [p.path for p in caught.value.problems] == expected


def test_an_empty_required_answer_is_missing_and_one_of_spaces_says_so_whatever_else_is_wrong(leics):
    for case_id, message in [("", "missing required field `case_id`"),
                             ("   ", "missing required field `case_id` (it holds only spaces)")]:
        with pytest.raises(CaseInvalid) as caught:
            leics.reader.read({**OK, "case_id": case_id}, Location())
        assert [p.message for p in caught.value.problems] == [message]
        with pytest.raises(CaseInvalid) as caught:
            leics.reader.read({**OK, "risk": "hgh", "case_id": case_id}, Location())
        assert [p.message for p in caught.value.problems] == (
            ["field `risk` must be one of high, moderate, low", message] if not case_id else
            [message, "field `risk` must be one of high, moderate, low"])


def test_every_problem_survives_pickling_as_to_or_from_a_worker_process():
    import pickle

    from policyengine import RulebookError, RulebookInvalid

    problems = [CaseError(f"unknown field `x{i}`", Location("c.yaml", i + 1, 1, f"x{i}"))
                for i in range(MAX_CASE_PROBLEMS + 1)]
    for error in (CaseInvalid(problems), CaseInvalid(problems[:2]),
                  RulebookInvalid([RulebookError("no", Location("r.yaml", 3, 1, "inputs"))])):
        copy = pickle.loads(pickle.dumps(error))
        assert (type(copy), str(copy), copy.as_dict()) == (type(error), str(error), error.as_dict())
