"""`policyengine validate`: every class of rulebook error, at its YAML line."""
import os

import pytest


def errors_of(cli, path):
    result = cli("validate", path)
    assert result.exit_code == 1
    return [line.split(":", 1)[1] for line in result.stderr.splitlines()]


def test_a_valid_rulebook_passes(cli, minimal):
    path = minimal()
    result = cli("validate", path)
    assert (result.exit_code, result.output) == (0, f"{path}: ok\n")


def test_every_shipped_rulebook_validates(cli):
    import glob

    paths = sorted(glob.glob("rulebooks/*.yaml"))
    assert len(paths) >= 1
    result = cli("validate", *paths)
    assert result.exit_code == 0, result.stderr


CASES = {
    "malformed YAML": (
        {"      - {when: a, value: yes_a, because: a holds}": "      - {when: a, value: [yes_a, because: a holds}"},
        "", ["19:50: invalid YAML: expected ',' or ']', but got '}'"]),
    "duplicate key": (
        {"  b: {type: boolean": "  a: {type: boolean"},
        "", ["12:3: duplicate key `a` (first given at line 11); a repeated key would silently replace the first"]),
    "unknown key with a suggestion": (
        {"    source: guide §1": "    source: guide §1\n    otherwize: {value: x, because: y}"},
        "", ["18:5: unknown key `otherwize` in decisions.out (did you mean `otherwise`?)"]),
    "missing required key": (
        {"    otherwise: {value: no_a, because: a does not hold}\n": ""},
        "", ["16:3: decisions.out is missing `otherwise`"]),
    "wrong type": (
        {"level: {type: enum, values: [low, high]": "level: {type: enum, values: low"},
        "", ["13:31: inputs.level.values must be a list"]),
    "unknown name with a suggestion": (
        {"{when: a,": "{when: level == 'high' and bb,"}, "",
        ["19:16: in expression `level == 'high' and bb`: unknown name `bb` (did you mean `b`?)"]),
    "expression syntax": (
        {"{when: a,": "{when: 'a and (b',"}, "",
        ["19:16: in expression `a and (b`: unexpected end of template, expected ')'."]),
    "attribute access in an expression": (
        {"{when: a,": "{when: a.__class__,"}, "",
        ["19:16: in expression `a.__class__`: attribute access (`.`) is not allowed in a rulebook expression"]),
    "a rule that can never fire": (
        {"      - {when: a, value: yes_a, because: a holds}":
         "      - {when: a or not a, value: yes_a, because: a holds}\n"
         "      - {when: b, value: yes_b, because: b holds}"}, "",
        ["20:9: rule 2 of `out` can never fire: earlier rules always match first"]),
    "a rule whose condition is never true": (
        {"{when: a,": "{when: a and not a,"}, "",
        ["19:9: rule 1 of `out` can never fire: its condition is never true"]),
    "an outcome that is not defined": (
        {"outcomes: [out]": "outcomes: [out, ot]"}, "",
        ["21:17: outcome `ot` is not defined (did you mean `out`?)"]),
    # Regression: `source: pwy Principles` validated although the source is `pwt`,
    # so an answer looked cited while citing nothing.
    "a citation that names no declared source": (
        {"    source: guide §1": "    source: gide §1"}, "",
        ["17:13: `source:` cites `gide`, which is not one of the rulebook's sources (guide)"]),
    # Regression: `route == 'reveiw_tray'` and `escalate_to_ssm == 'yes'` validated,
    # and a rule that can never be true silently never applied.
    "a comparison with a value an enum never takes": (
        {"{when: a,": "{when: level == 'hihg',"}, "",
        ["19:16: in expression `level == 'hihg'`: `level` is never `hihg`; its values are low, high "
         "(did you mean `high`?)"]),
    "a comparison of a yes/no answer with text": (
        {"{when: a,": "{when: a == 'yes',"}, "",
        ["19:16: in expression `a == 'yes'`: `a` is never `yes`; its values are true, false"]),
    "a value list holding a value an enum never takes": (
        {"{when: a,": "{when: \"level in ['low', 'hi']\","}, "",
        ["19:16: in expression `level in ['low', 'hi']`: `level` is never `hi`; its values are low, high "
         "(did you mean `high`?)"]),
    # Regression: a badly named input was reported at the first line of `inputs:`
    # (the editor, reading the schema, pointed at the key itself).
    "an input name that is not lower case, at its key": (
        {"  b: {type: boolean": "  Family_Dynamics: {type: boolean"}, "",
        ["12:3: `Family_Dynamics` is not a valid name: use lower-case letters, digits and _"]),
    "a name defined twice": (
        {}, """
        thresholds:
          out: {of: 1, at_least: 1, source: guide §3}
        """,
        ["24:3: `out` is already defined in decisions"]),
}


@pytest.mark.parametrize("replace, extra, expected", CASES.values(), ids=list(CASES))
def test_validate_reports_the_error_at_its_line(cli, minimal, replace, extra, expected):
    assert errors_of(cli, minimal(replace=replace, extra=extra)) == expected


def test_a_cycle_between_decisions_is_an_error(cli, minimal):
    path = minimal()
    text = path.read_text().split("decisions:")[0] + """\
decisions:
  x: {source: guide §2, otherwise: {expr: y, because: b}}
  y: {source: guide §2, otherwise: {expr: x, because: b}}
outcomes: [x]
"""
    path.write_text(text)
    assert errors_of(cli, path) == ["16:3: `x` depends on itself: x → y → x"]


MATRIX = """
matrices:
  grid:
    by: [level, a2]
    source: guide §2
    cells:
      low:  {one: red, two: amber}
      high: {one: red}
"""


def test_a_matrix_with_a_missing_cell_is_an_error(cli, minimal):
    path = minimal(
        replace={"  when: {type: date": "  a2: {type: enum, values: [one, two], required: true, question: 'A2?'}\n  when: {type: date",
                 "outcomes: [out]": "outcomes: [out, grid]"},
        extra=MATRIX)
    assert errors_of(cli, path) == ["30:7: matrix `grid` has no cell for level high × a2 two"]


def test_a_matrix_cell_that_is_not_a_value_of_its_axis_is_an_error(cli, minimal):
    path = minimal(
        replace={"  when: {type: date": "  a2: {type: enum, values: [one, two], required: true, question: 'A2?'}\n  when: {type: date",
                 "outcomes: [out]": "outcomes: [out, grid]"},
        extra=MATRIX.replace("high: {one: red}", "high: {one: red, two: red, tree: red}"))
    assert errors_of(cli, path) == ["30:34: `tree` is not a value of `a2`"]


BANDS = """
inputs_extra: {}
thresholds:
  tier:
    of: 5
    source: guide §3
    bands:
      - {value: 1, from: 1, to: 9}
      - {value: 2, from: %s, to: 13}
      - {value: 3, from: 14, to: 18}
"""


@pytest.mark.parametrize("start, message", [
    (9, "29:26: band 2 (from 9) overlaps band 1 (to 9)"),
    (11, "29:26: gap between band 1 (to 9) and band 2 (from 11): 10–10 falls in no band"),
])
def test_threshold_bands_that_overlap_or_leave_a_gap_are_errors(cli, minimal, start, message):
    path = minimal(extra=(BANDS % start).replace("inputs_extra: {}\n", ""),
                   replace={"outcomes: [out]": "outcomes: [out, tier]"})
    assert errors_of(cli, path) == [message]


def test_a_template_that_reads_an_undeclared_name_is_reported_at_its_line(cli, minimal, tmp_path):
    folder = tmp_path / "templates" / "mini"
    folder.mkdir(parents=True)
    (folder / "note.md.j2").write_text("Case {{ case_id }}\n\nOutcome {{ outt }}\n")
    path = minimal(extra="""
    documents:
      note: {title: Note, audience: record, template: note.md.j2}
    """)
    result = cli("validate", path)
    assert result.exit_code == 1
    assert result.stderr == (f"{folder / 'note.md.j2'}:3: template uses `outt`, which the rulebook "
                             "does not declare (did you mean `out`?)\n")


def test_a_missing_template_is_reported_at_the_document(cli, minimal):
    path = minimal(extra="""
    documents:
      note: {title: Note, audience: record, template: nowhere.md.j2}
    """)
    folder = os.path.relpath(path.parent / "templates" / "mini")
    assert errors_of(cli, path) == [f"24:51: template `nowhere.md.j2` not found in {folder}"]


def test_a_bad_interval_is_an_error(cli, minimal):
    path = minimal(extra="""
    cadences:
      due:
        from: when
        every: 2 fortnights
        source: guide §4
    """, replace={"outcomes: [out]": "outcomes: [out, due]"})
    assert errors_of(cli, path) == [
        "26:12: `2 fortnights` is not an interval; write a whole number and a unit, "
        "e.g. '14 days', '2 weeks', '1 month', '25 years', '1 working day'"]


def test_every_problem_is_listed_not_just_the_first(cli, minimal):
    path = minimal(replace={"{when: a,": "{when: aa,", "outcomes: [out]": "outcomes: [out, nope]"})
    assert errors_of(cli, path) == [
        "19:16: in expression `aa`: unknown name `aa` (did you mean `a`?)",
        "21:17: outcome `nope` is not defined",
    ]


def test_validate_says_when_a_valid_rulebook_is_past_its_review_date(cli, minimal):
    fresh = minimal()
    result = cli("validate", "rulebooks/leicestershire.yaml", fresh)
    assert result.exit_code == 0
    assert result.stdout == ("rulebooks/leicestershire.yaml: ok (past its review date, 31 March 2025)\n"
                             f"{fresh}: ok\n")
    # Its placeholder settings are warnings on stderr, not failures.
    assert result.stderr.count("warning: setting") == 2


def test_the_rulebook_schema_is_valid_draft_2020_12_and_every_rulebook_points_editors_at_it():
    from jsonschema import Draft202012Validator

    from policyengine.engine.validate import rulebook_schema

    from ..conftest import ROOT

    Draft202012Validator.check_schema(rulebook_schema())
    for path in sorted((ROOT / "rulebooks").glob("*.yaml")):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../src/policyengine/schemas/rulebook.schema.json", path.name


def test_a_test_expecting_an_outcome_the_rulebook_never_works_out_is_refused_at_its_key(cli, minimal):
    path = minimal(extra="""\
        tests:
          - name: a typo
            case: {case_id: X, level: low}
            expect: {oot: no_a}
          - name: an input
            case: {case_id: X, level: low}
            expect: {level: low, out: no_a}
        """)
    result = cli("validate", path)
    assert (result.exit_code, result.stderr) == (1, (
        f"{path}:25:14: test `a typo` expects `oot`, which this rulebook does not work out (did you mean `out`?)\n"
        f"{path}:28:14: test `an input` expects `level`, which is an input, not an outcome\n"))


def test_a_table_row_written_as_an_unknown_mapping_says_it_lacks_row_and_names_the_strange_keys(cli, tmp_path):
    text = open("bench/leics_minimal.yaml").read().split("matrices:")[0] + """tables:
  w:
    source: jdm rag_table
    inputs: [days_on_tray]
    rows:
      - {when: {days_on_tray: "<= 3"}, then: {weight: 0.5}}
      - ["> 3", 1]
outcomes: [w]
"""
    path = tmp_path / "r.yaml"
    path.write_text(text)
    assert errors_of(cli, str(path)) == ["29:9: tables.w.rows[0] is missing `row` (unknown keys `when`, `then`)"]


@pytest.mark.parametrize("written, expected", [
    ("{label: Skilled, values: {}}", "31:44: labels.worker_skilled.values must not be empty"),
    ("{label: Skilled, wording: x}", "31:36: unknown key `wording` in labels.worker_skilled"),
    ('""', "31:19: labels.worker_skilled must not be empty"),
])
def test_a_label_written_wrongly_is_explained_in_the_form_it_was_written_in(cli, tmp_path, written, expected):
    text = open("rulebooks/knowsley.yaml").read().replace("  worker_skilled: Appropriately skilled",
                                                           f"  worker_skilled: {written}")
    path = tmp_path / "knowsley.yaml"
    path.write_text(text)
    assert errors_of(cli, str(path)) == [expected]
