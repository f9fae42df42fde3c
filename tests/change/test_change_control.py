"""Forks, show, diff, impact and docs: change control for policy owners."""
import json
import shutil

import pytest

from policyengine import RulebookError
from policyengine import RulebookInvalid
from policyengine import load_rulebook
from policyengine.engine.english import value

from ..conftest import ROOT

KNOWSLEY = "rulebooks/knowsley.yaml"
FORK = "examples/forks/northfield.yaml"
LEICS = ROOT / "rulebooks" / "leicestershire.yaml"


@pytest.fixture
def leics_copy(tmp_path):
    """Leicestershire's rulebook and templates in a scratch folder, for forking."""
    shutil.copy(LEICS, tmp_path / "leicestershire.yaml")
    shutil.copytree(ROOT / "rulebooks" / "templates" / "leicestershire",
                    tmp_path / "templates" / "leicestershire")
    return tmp_path


def child(folder, body, name="child.yaml", base="leicestershire.yaml"):
    path = folder / name
    path.write_text(f"extends: {base}\nrulebook:\n  id: {path.stem}\n  version: '2'\n{body}")
    return path


CASE = {"case_id": "C1", "urgent_need": False, "ordinarily_resident": True, "support": "none", "risk": "low",
        "priority": "low", "complexity": "low", "date_added": "2026-11-01"}


def test_the_fork_example_treats_two_factors_as_complex_and_reserves_court_of_protection(cli):
    result = cli("test", "--coverage", FORK)
    assert result.exit_code == 0
    assert result.output.splitlines()[-1] == "9 passed, 0 failed"
    base = load_rulebook(KNOWSLEY).evaluate({"case_id": "X", "nature_of_condition": True, "family_dynamics": True})
    fork = load_rulebook(FORK).evaluate({"case_id": "X", "nature_of_condition": True, "family_dynamics": True})
    assert (base.outcomes["complex"], fork.outcomes["complex"]) == (False, True)


def test_a_fork_inherits_templates_and_letters_render(cli):
    result = cli("render", "-r", FORK, "examples/forks/cases/two-factors.yaml", "-d", "allocation_note",
                 "--as-of", "2026-12-01")
    assert result.exit_code == 0
    assert "Complex: yes. The number of Initial Test factors met is 2, and 2 or more is enough: in Northfield two " \
        "or more" in result.output


@pytest.mark.parametrize("body, check", [
    ("matrices:\n  rag: {cells: {none: {low: red}}}\n",
     lambda d: d.outcomes["rag"] == "red"),
    ("cadences:\n  allocation_target: {every: 14 days}\n",
     lambda d: d.outcomes["allocation_target"].isoformat() == "2026-11-15"),
    ("decisions:\n  contact_interval:\n    rules: {2: {value: 7 days}}\n",
     lambda d: str(d.outcomes["contact_interval"]) == "7 days"),
    ("settings: {team_phone: 0151 000 1111}\n",
     lambda d: d.rulebook.settings["team_phone"] == "0151 000 1111"),
    ("remove: [documents.ssm_escalation_note]\n",
     lambda d: "ssm_escalation_note" not in d.rulebook.documents),
])
def test_a_fork_overrides_one_element_by_name_and_keeps_the_rest(leics_copy, body, check):
    book = load_rulebook(child(leics_copy, body))
    decision = book.evaluate(CASE)
    assert check(decision)
    assert decision.outcomes["route"] == "pwt"  # everything else inherited


def test_a_fork_can_replace_a_template_by_name(leics_copy):
    (leics_copy / "templates" / "child").mkdir()
    (leics_copy / "templates" / "child" / "person_letter.md.j2").write_text("Local letter for {{ case_id }}\n")
    from policyengine import render

    # The fork sets the phone number its letterhead prints, so its letter is no longer held back as a draft.
    book = load_rulebook(child(leics_copy, "settings: {team_phone: 0151 000 1111}\n"))
    decision = book.evaluate(CASE)
    assert render(decision, "person_letter") == "Local letter for C1\n"
    assert render(decision, "pwt_case_note").startswith("Case note title: PWT")


def test_an_error_in_an_override_is_reported_at_the_child_line(leics_copy):
    path = child(leics_copy, "matrices:\n  rag: {cells: {none: {lo: red}}}\n")
    with pytest.raises(RulebookInvalid) as info:
        load_rulebook(path)
    assert [str(e) for e in info.value.errors] == [
        f"{path}:6:24: `lo` is not a value of `risk` (did you mean `low`?)"]


def test_a_schema_error_in_an_override_is_reported_at_the_child_line(leics_copy):
    path = child(leics_copy, "cadences:\n  allocation_target: {evry: 14 days}\n")
    with pytest.raises(RulebookInvalid) as info:
        load_rulebook(path)
    assert str(info.value.errors[0]) == (f"{path}:6:23: unknown key `evry` in cadences.allocation_target "
                                         "(did you mean `every`?)")


def test_a_fork_of_a_fork(leics_copy):
    child(leics_copy, "matrices:\n  rag: {cells: {none: {low: red}}}\n", name="middle.yaml")
    last = child(leics_copy, "cadences:\n  allocation_target: {every: 14 days}\n", name="last.yaml",
                 base="middle.yaml")
    book = load_rulebook(last)
    d = book.evaluate(CASE)
    assert (d.outcomes["rag"], d.outcomes["allocation_target"].isoformat()) == ("red", "2026-11-15")
    assert [p.rsplit("/", 1)[1] for p in book.files] == ["leicestershire.yaml", "middle.yaml", "last.yaml"]


def test_an_extends_cycle_is_an_error(tmp_path):
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n")
    with pytest.raises(RulebookError) as info:
        load_rulebook(tmp_path / "a.yaml")
    assert str(info.value) == f"{tmp_path}/b.yaml:1:10: `extends` makes a cycle: a.yaml → b.yaml → a.yaml"


def test_removing_an_element_that_does_not_exist_is_an_error(leics_copy):
    path = child(leics_copy, "remove: [documents.ssm_note]\n")
    with pytest.raises(RulebookError) as info:
        load_rulebook(path)
    assert str(info.value) == f"{path}:5:10: cannot remove `documents.ssm_note`: no such element"


def test_a_fork_does_not_inherit_tests(leics_copy):
    assert load_rulebook(child(leics_copy, "")).tests == []


def test_fork_writes_a_fork_with_no_copied_content_and_refuses_to_overwrite(cli, tmp_path):
    out = tmp_path / "ours.yaml"
    result = cli("fork", KNOWSLEY, "--id", "ours", "--council", "Our Council", "-o", out)
    assert result.exit_code == 0
    text = out.read_text()
    assert "extends: " in text and "id: ours" in text and "council: Our Council" in text
    assert "inputs:" not in text.replace("# ", "")
    assert "#   complex: {at_least: 2}" in text
    assert load_rulebook(out).evaluate({"case_id": "1"}).outcomes["complex"] is False
    again = cli("fork", KNOWSLEY, "--id", "ours", "-o", out)
    assert again.exit_code == 1
    assert again.stderr == f"{out}: the file already exists; fork will not overwrite it\n"
    assert cli("fork", KNOWSLEY, "--id", "Bad Name", "-o", tmp_path / "x.yaml").exit_code == 2


def test_show_labels_each_element_with_its_file(cli):
    result = cli("show", "--rulebook", FORK)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[1] == "# merged from: rulebooks/knowsley.yaml ← examples/forks/northfield.yaml"
    at = lines.index("  complex:")
    assert lines[at - 1] == "  # from rulebooks/knowsley.yaml ← overridden in examples/forks/northfield.yaml"
    assert "    at_least: 2" in lines[at:at + 4]
    at = lines.index("  may_be_complex:")
    assert lines[at - 1] == "  # from rulebooks/knowsley.yaml"


def test_diff_names_changes_as_a_policy_owner_would(cli):
    result = cli("diff", KNOWSLEY, FORK)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "knowsley 1.0.0 → northfield 1.0.0: 13 changes"
    assert "  added    label of tasks value court_of_protection: Court of Protection work" in lines
    assert "  changed  threshold complex: 3 or more → 2 or more  [local §1 (varies guide §3)]" in lines
    assert "  changed  reserved tasks reserved_tasks: tasks: added court_of_protection  [guide §5; local §2]" in lines


def test_diff_says_what_people_will_read_differently_a_label_changed_added_or_taken_away(leics_copy, cli):
    path = child(leics_copy, "labels:\n  urgent_need: Urgent need today\n  risk: {values: {high: Very high}}\n")
    result = cli("diff", str(leics_copy / "leicestershire.yaml"), str(path))
    assert result.exit_code == 0
    assert result.output.splitlines()[1:] == [
        "  changed  metadata: id: leicestershire → child",
        "  changed  metadata: version: 1.0.0 → 2",
        "  changed  label of urgent_need: Immediate and urgent social care need → Urgent need today",
        "  changed  label of risk value high: High risk of harm → Very high"]


def test_diff_of_matrix_cells_cadences_and_rules(leics_copy, cli):
    path = child(leics_copy, "matrices:\n  rag: {cells: {none: {low: red}}}\n"
                             "decisions:\n  contact_interval:\n    otherwise: {value: 14 days}\n"
                             "cadences:\n  allocation_target: {every: 21 days}\n")
    data = json.loads(cli("diff", leics_copy / "leicestershire.yaml", path, "--format", "json").output)
    details = [(c["element"], c["detail"]) for c in data["changes"] if c["element"] != "metadata"]
    assert details == [
        ("matrix rag", "support none × risk low: amber → red"),
        ("decision contact_interval otherwise", "1 month → 14 days"),
        ("cadence allocation_target", "every: 28 days → 21 days"),
    ]


def test_impact_shows_the_cases_the_threshold_change_moves(cli):
    result = cli("impact", "--base", KNOWSLEY, "--variant", FORK, "examples/forks/caseload.csv",
                 "--as-of", "2026-12-01")
    assert result.exit_code == 0
    assert result.output.startswith("Impact of northfield 1.0.0 against knowsley 1.0.0\n"
                                    "12 cases, as of 1 December 2026\n")
    assert ("Complex: 5 cases change\n  no → yes: 5\n  cases: NF-101, NF-104, NF-106, NF-109, NF-112\n"
            in result.output)
    labels = load_rulebook(FORK).labels
    moved = " → ".join(value(labels, "recommended_role", v) for v in ("assistant_care_manager", "social_worker"))
    assert f"{labels.of('recommended_role')}: 5 cases change\n  {moved}: 5\n" in result.output
    unchanged = ", ".join(map(labels.of, ("factor_count", "reserved_tasks", "reallocation_review")))
    assert result.output.endswith(f"unchanged: {unchanged}\n")


def test_impact_json_and_csv(cli):
    data = json.loads(cli("impact", "--base", KNOWSLEY, "--variant", FORK, "examples/forks/caseload.csv",
                          "--format", "json").output)
    assert data["outcomes"]["complex"]["transitions"] == [{"from": False, "to": True, "cases": 5}]
    assert data["outcomes"]["factor_count"]["changed"] == 0
    rows = cli("impact", "--base", KNOWSLEY, "--variant", FORK, "examples/forks/caseload.csv",
               "--format", "csv").output.splitlines()
    assert rows[0] == "case_id,outcome,base,variant"
    assert "NF-101,complex,false,true" in rows


def test_impact_measures_how_far_dates_move(leics_copy, cli):
    path = child(leics_copy, "cadences:\n  allocation_target: {every: 21 days}\n")
    data = json.loads(cli("impact", "--base", leics_copy / "leicestershire.yaml", "--variant", path,
                          "examples/leicestershire/caseload.csv", "--ignore-column", "worker_name",
                          "--ignore-column", "team", "--ignore-column", "notes",
                          "--as-of", "2026-11-23", "--format", "json").output)
    target = data["outcomes"]["allocation_target"]
    assert target["changed"] == 4  # the four cases on the tray: the others have no 28-day target (#14)
    assert target["change"] == {"unit": "days", "min": -7, "median": -7, "max": -7, "mean": -7}
    assert data["errors"][0]["where"] == "row 6"


def rag_row(labels) -> str:
    """The RAG matrix's first row (no support) as the policy document lays it out, by the labels."""
    said = [value(labels, "rag", v) for v in ("red", "red", "amber")]
    return f"<tr><th>{value(labels, 'support', 'none')}</th>" + "".join(f"<td>{v}</td>" for v in said) + "</tr>"


def test_docs_html_is_one_self_contained_printable_page(cli, tmp_path):
    out = tmp_path / "policy.html"
    assert cli("docs", "-r", "rulebooks/leicestershire.yaml", "-o", out).exit_code == 0
    html = out.read_text()
    assert html.startswith("<!doctype html>")
    assert "<link" not in html and "<script" not in html and "src=" not in html
    assert "@media print" in html
    assert rag_row(load_rulebook(LEICS).labels) in html
    assert "This rulebook is past its review date (31 March 2025)" in html
    assert "What is the risk of harm?" in html


def test_docs_marks_what_a_fork_changes(cli):
    text = cli("docs", "-r", FORK).output
    assert "This rulebook is a fork of knowsley" in text
    assert "**(changed in this fork: 3 or more → 2 or more;" in text
    assert "(changed in this fork" not in text.split("### May be complex")[1].split("###")[0]


def test_docs_output_must_be_html_or_markdown(cli):
    assert cli("docs", "-r", KNOWSLEY, "-o", "policy.pdf").exit_code == 2
