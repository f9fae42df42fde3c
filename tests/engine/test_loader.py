"""Loading YAML safely: positions kept, anything unsafe refused with its line."""
import datetime as dt

import pytest

from policyengine.errors import YamlError
from policyengine.engine.load import MAX_DEPTH, loc_of, parse_yaml


def test_every_key_keeps_its_line_and_column():
    data = parse_yaml("a: 1\nb:\n  c: [x, y]\n", "f.yaml")
    assert (loc_of(data, "b", value=False).line, loc_of(data["b"], "c").column) == (2, 6)
    assert loc_of(data["b"]["c"], 1).column == 10


@pytest.mark.parametrize("text, message", [
    ("a: 1\na: 2\n", "f.yaml:2:1: duplicate key `a` (first given at line 1); a repeated key would silently replace the first"),
    ("a: &x [1]\nb: *x\n", "f.yaml:2:4: YAML aliases (*name) are not allowed; write the value out in full"),
    ("a: !!python/object/apply:os.system ['true']\n",
     "f.yaml:1:4: invalid YAML: could not determine a constructor for the tag 'tag:yaml.org,2002:python/object/apply:os.system'; only plain YAML data is allowed"),
    ("a:\n\t- b\n", "f.yaml:2:1: invalid YAML: found character '\\t' that cannot start any token"),
    ("   \n", "f.yaml:1:1: the file is empty"),
    ("[1]: x\n", "f.yaml:1:1: a mapping key must be a plain name or number"),
])
def test_unsafe_or_broken_yaml_is_refused_at_its_position(text, message):
    with pytest.raises(YamlError) as info:
        parse_yaml(text, "f.yaml")
    assert str(info.value) == message


def test_an_impossible_date_is_a_rulebooks_error_but_in_a_case_the_text_left_for_its_field():
    with pytest.raises(YamlError) as info:
        parse_yaml("effective_from: 2026-02-30\n", "r.yaml")
    assert str(info.value) == "r.yaml:1:17: `2026-02-30` is not a real date"
    case = parse_yaml("date_added: 2026-02-30\nreviewed: 2026-02-28\n", "c.yaml", case=True)
    assert case == {"date_added": "2026-02-30", "reviewed": dt.date(2026, 2, 28)}
    assert loc_of(case, "date_added").column == 13


def test_deep_nesting_is_refused():
    with pytest.raises(YamlError) as info:
        parse_yaml("[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5), "f.yaml")
    assert info.value.message == f"nesting deeper than {MAX_DEPTH} levels is not allowed"


def test_only_true_and_false_are_booleans_as_in_yaml_1_2_and_the_editors():
    data = parse_yaml("values: [yes, no, on, off, y, n, not_known]\nflags: [true, false, True, FALSE]\n")
    assert data == {"values": ["yes", "no", "on", "off", "y", "n", "not_known"],
                    "flags": [True, False, True, False]}


def test_an_enum_of_yes_and_no_validates_as_the_editor_says_it_does(tmp_path):
    from policyengine import load_rulebook

    from ..conftest import MINIMAL

    path = tmp_path / "mini.yaml"
    path.write_text(MINIMAL.replace("values: [low, high]", "values: [yes, no, not_known]"))
    book = load_rulebook(path)
    assert book.inputs["level"].values == ("yes", "no", "not_known")
    assert book.evaluate({"case_id": "X", "level": "no"}).values["level"] == "no"


def test_a_yes_in_a_yaml_case_file_is_text_so_a_boolean_field_refuses_it(cli, tmp_path):
    case = tmp_path / "case.yaml"
    case.write_text("case_id: K-1\nfamily_dynamics: yes\n")
    result = cli("evaluate", "--rulebook", "rulebooks/knowsley.yaml", str(case), "--as-of", "2026-11-22")
    assert (result.exit_code, result.stderr) == (1, f"{case}:2:18: field `family_dynamics` must be true or false\n")
