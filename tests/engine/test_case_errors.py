"""Bad case input: exit 1 and one line naming the file, line and field."""
import json

import pytest

from ..conftest import ROOT

KNOWSLEY = "rulebooks/knowsley.yaml"


@pytest.mark.parametrize("text, message", [
    ("case_id: K1\nfamily_dynamic: true\n",
     "case.yaml:2:1: unknown field `family_dynamic` (did you mean `family_dynamics`?)"),
    ("case_id: K1\nnature_of_condition: maybe\n",
     "case.yaml:2:22: field `nature_of_condition` must be true or false"),
    ("case_id: K1\nstage: later\n",
     "case.yaml:2:8: field `stage` must be one of allocation, post_allocation"),
    ("case_id: K1\ntasks: [court_work, court_work]\n",
     "case.yaml:2:8: field `tasks` lists the same value twice"),
    ("case_id: K1\ntasks: court_work\n",
     "case.yaml:2:8: field `tasks` must be a list of safeguarding_investigation, safeguarding_plan, "
     "dst_sign_off, best_interest_meeting_chair, marac_chair, maram_chair, care_act_assessment, "
     "review, court_work, carers_assessment"),
    ("person_name: Someone\n", "case.yaml: missing required field `case_id`"),
    ("case_id: K1\ncase_id: K2\n",
     "case.yaml:2:1: duplicate key `case_id` (first given at line 1); a repeated key would silently replace the first"),
    ("case_id: [K1\n", "case.yaml:2:1: invalid YAML: expected ',' or ']', but got '<stream end>'"),
    ("- case_id: K1\n", "case.yaml: a case must be a mapping of field names to values"),
    ("", "case.yaml:1:1: the file is empty"),
])
def test_a_bad_case_file_exits_1_with_one_located_line(cli, tmp_path, text, message):
    case = tmp_path / "case.yaml"
    case.write_text(text)
    result = cli("evaluate", "-r", KNOWSLEY, case)
    assert result.exit_code == 1
    assert result.stderr == f"{tmp_path}/{message}\n"
    assert "Traceback" not in result.output


def test_a_wrong_value_is_never_echoed_back(cli, tmp_path):
    case = tmp_path / "case.yaml"
    case.write_text("case_id: K1\nstage: Mrs Jones has dementia\n")
    result = cli("evaluate", "-r", KNOWSLEY, case)
    assert result.exit_code == 1
    assert "Jones" not in result.stderr and "dementia" not in result.stderr


def test_a_missing_case_file_exits_1(cli):
    result = cli("evaluate", "-r", KNOWSLEY, "no-such-case.yaml")
    assert result.exit_code == 1
    assert result.stderr == "no-such-case.yaml: cannot read the file: No such file or directory\n"


def test_a_missing_rulebook_exits_1(cli):
    result = cli("evaluate", "-r", "rulebooks/nowhere.yaml", "examples/knowsley/complex-case.yaml")
    assert result.exit_code == 1
    assert result.stderr == "rulebooks/nowhere.yaml: cannot read the file: No such file or directory\n"


def test_a_json_case_from_stdin(cli):
    result = cli("evaluate", "-r", KNOWSLEY, "-", "--format", "json", "--as-of", "2026-11-22",
                 input='{"case_id": "S1", "type_of_task": true}')
    assert result.exit_code == 0
    assert '"factor_count": 1' in result.output


def test_a_bad_case_on_stdin_is_named_stdin(cli):
    result = cli("evaluate", "-r", KNOWSLEY, "-", input='{"case_id": "S1", "stage": 3}')
    assert result.exit_code == 1
    assert result.stderr == "<stdin>:1:28: field `stage` must be one of allocation, post_allocation\n"


@pytest.mark.parametrize("args", [
    ["evaluate", "examples/knowsley/complex-case.yaml"],
    ["evaluate", "-r", KNOWSLEY, "examples/knowsley/complex-case.yaml", "--as-of", "11/22/2026"],  # month first
    ["evaluate", "-r", KNOWSLEY, "examples/knowsley/complex-case.yaml", "--format", "xml"],
    ["render", "-r", KNOWSLEY, "examples/knowsley/complex-case.yaml"],
    ["no-such-command"],
])
def test_usage_errors_exit_2(cli, args):
    assert cli(*args).exit_code == 2


def test_the_case_schema_matches_what_evaluate_accepts(cli):
    import json

    import jsonschema
    import yaml

    from policyengine.engine.validate import plain

    schema = json.loads(cli("schema", "-r", KNOWSLEY).output)
    assert schema["required"] == ["case_id"]
    assert schema["additionalProperties"] is False
    for name in ("complex-case.yaml", "reallocation.yaml", "straightforward.json"):
        with open(f"examples/knowsley/{name}") as fh:
            jsonschema.validate(plain(yaml.safe_load(fh)), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"case_id": "x", "family_dynamic": True}, schema)


def test_a_document_condition_that_cannot_be_evaluated_is_the_cases_error_not_an_internal_one(cli, tmp_path):
    # Regression (issue #12, bug 1): a document's `when:` ran outside the guard
    # that turns a rule's fault into the case's error, and escaped as "internal error".
    from ..conftest import MINIMAL

    (tmp_path / "templates" / "mini").mkdir(parents=True)
    (tmp_path / "templates" / "mini" / "d.md.j2").write_text("Dear {{ case_id }}\n")
    rulebook = tmp_path / "r.yaml"
    rulebook.write_text(MINIMAL.replace("  a: {type: boolean", "  score: {type: integer, question: 'Score?'}\n"
                                        "  a: {type: boolean")
                        + "documents:\n  d: {title: D, audience: the person, template: d.md.j2, "
                          "when: 'score > 3', source: guide}\n")
    case = tmp_path / "case.yaml"
    case.write_text("case_id: C1\nlevel: low\n")
    result = cli("evaluate", "-r", rulebook, case, "--as-of", "2026-11-24")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (f"{rulebook}:24:49: case C1: documents `d` could not be evaluated: "
                             "cannot compare a missing (null) value with `>`\n")


def test_broken_json_is_an_error_at_its_place_never_a_case_with_an_empty_answer(cli, tmp_path):
    # A YAML parser reads `{"case_id": "A1", "worker_role": }` as a case whose
    # worker_role is empty: a silently different case. JSON is read as JSON (issue #20).
    case = tmp_path / "case.json"
    case.write_text('{"case_id": "A1",\n "worker_role": }\n')
    result = cli("evaluate", "-r", "rulebooks/knowsley.yaml", case)
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"{case}:2:17: not valid JSON: Expecting value\n")
    result = cli("evaluate", "-r", "rulebooks/knowsley.yaml", "-", input=case.read_text())
    assert (result.exit_code, result.stderr) == (1, "<stdin>:2:17: not valid JSON: Expecting value\n")


def test_a_json_case_file_still_names_a_bad_field_at_its_line(cli, tmp_path):
    case = tmp_path / "case.json"
    case.write_text('{"case_id": "A1",\n "worker_role": "manager"}\n')
    result = cli("evaluate", "-r", "rulebooks/knowsley.yaml", case)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{case}:2:17: field `worker_role` must be one of ")


def test_a_caseload_given_to_evaluate_is_told_to_use_batch(cli):
    result = cli("evaluate", "-r", "rulebooks/leicestershire.yaml", "examples/leicestershire/caseload.csv")
    assert (result.exit_code, result.stderr) == (
        1, "examples/leicestershire/caseload.csv: a case file is one case in YAML or JSON; a caseload is read "
           "by `policyengine batch`\n")


def test_broken_json_in_a_case_folder_is_that_files_error_record(cli, tmp_path):
    (tmp_path / "a.json").write_text('{"case_id": "A1", "worker_role": }')
    (tmp_path / "b.json").write_text((ROOT / "examples" / "knowsley" / "straightforward.json").read_text())
    result = cli("batch", "-r", "rulebooks/knowsley.yaml", tmp_path, "--as-of", "2026-11-22")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.exit_code == 1
    assert [r.get("error") for r in records] == ["not valid JSON: Expecting value (line 1)", None]
