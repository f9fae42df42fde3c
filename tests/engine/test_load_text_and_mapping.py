"""A rulebook loads from a file, from YAML text, or from a mapping already parsed,
with the same checks and the same messages; only the name it is called by differs."""
import copy
import datetime as dt

import pytest
import yaml

from policyengine import RulebookError, RulebookInvalid, YamlError, load_rulebook
from policyengine.engine.pipeline import load_rulebook_mapping, load_rulebook_text
from tests.conftest import MINIMAL, RULEBOOKS

AS_OF = dt.date(2026, 11, 23)


def test_text_loads_and_evaluates_as_the_file_does(write):
    from_file = load_rulebook(write("mini.yaml", MINIMAL))
    from_text = load_rulebook_text(MINIMAL)
    case = {"case_id": "T1", "a": True, "level": "low"}
    assert from_text.evaluate(case, AS_OF).outcomes == from_file.evaluate(case, AS_OF).outcomes == {"out": "yes_a"}
    assert from_text.path == "<text>"


def test_a_shipped_rulebook_read_as_text_beside_its_folder_is_the_same_rulebook():
    path = RULEBOOKS / "knowsley.yaml"
    book = load_rulebook_text(path.read_text(encoding="utf-8"), name="knowsley.yaml", base_dir=RULEBOOKS)
    assert book.sha256 == load_rulebook(path).sha256  # the same text and the same templates
    assert book.template_dirs == load_rulebook(path).template_dirs


@pytest.mark.parametrize("bad, message", [
    ("  extra: {type: boolean, question: 'E?'}\n  extra: {type: boolean, question: 'E?'}\n", "duplicate"),
    ("  Family_Dynamics: {type: boolean, question: 'F?'}\n", "not a valid name"),
    ("  n: {type: integer, question: 'N?', default: 012}\n", "a number is written in a form YAML would change"),
])
def test_an_error_in_text_is_at_its_line_exactly_as_in_a_file(write, bad, message):
    text = MINIMAL.replace("decisions:\n", bad + "decisions:\n")
    path = write("mini.yaml", text)
    with pytest.raises((YamlError, RulebookError)) as in_file:
        load_rulebook(path)
    with pytest.raises((YamlError, RulebookError)) as in_text:
        load_rulebook_text(text, name="mini.yaml")
    assert message in str(in_file.value)
    assert type(in_text.value) is type(in_file.value)
    assert str(in_text.value) == str(in_file.value).replace(str(path), "mini.yaml")
    assert in_text.value.line == in_file.value.line and in_text.value.line is not None


def test_a_compile_error_in_text_is_located_too():
    text = MINIMAL.replace("outcomes: [out]", "outcomes: [uot]")
    with pytest.raises(RulebookInvalid) as caught:
        load_rulebook_text(text, name="mine.yaml")
    line = MINIMAL.splitlines().index("outcomes: [out]") + 1
    assert str(caught.value) == f"mine.yaml:{line}:12: outcome `uot` is not defined (did you mean `out`?)"


def test_text_extends_a_base_found_in_base_dir(write):
    write("base.yaml", MINIMAL)
    fork = "extends: base.yaml\ndecisions:\n  out:\n    otherwise: {value: changed, because: b}\n"
    book = load_rulebook_text(fork, name="fork.yaml", base_dir=write("x", "").parent)
    assert book.evaluate({"case_id": "F1", "level": "low"}, AS_OF).outcomes == {"out": "changed"}
    assert [f.rsplit("/", 1)[-1] for f in book.files] == ["base.yaml", "fork.yaml"]


def test_text_that_extends_without_base_dir_is_refused_at_the_extends_line():
    with pytest.raises(RulebookError) as caught:
        load_rulebook_text("rulebook: {id: x}\nextends: base.yaml\n", name="fork.yaml")
    assert str(caught.value) == ("fork.yaml:2:10: `extends` needs the folder the base rulebook is in: give "
                                 "`base_dir` when loading a rulebook from text or a mapping")


def test_text_over_the_size_limit_is_refused():
    with pytest.raises(YamlError, match="the text is 1,048,578 bytes; the limit is 1,048,576 bytes"):
        load_rulebook_text("#" * (1024 * 1024 + 1) + "\n")


def test_a_mapping_loads_without_changing_the_callers_data():
    data = yaml.safe_load(MINIMAL)
    kept = copy.deepcopy(data)
    book = load_rulebook_mapping(data)
    assert book.evaluate({"case_id": "M1", "level": "high"}, AS_OF).outcomes == {"out": "no_a"}
    assert data == kept and book.path == "<mapping>"


def test_an_error_in_a_mapping_names_it_and_the_path_within_it():
    data = yaml.safe_load(MINIMAL)
    data["outcomes"] = ["uot"]
    with pytest.raises(RulebookInvalid) as caught:
        load_rulebook_mapping(data, name="from-api")
    assert str(caught.value) == "from-api: outcome `uot` is not defined (did you mean `out`?)"
    assert caught.value.errors[0].location.path == "outcomes[0]"


def test_a_mapping_extends_a_base_found_in_base_dir_and_is_refused_without_one(write):
    folder = write("base.yaml", MINIMAL).parent
    fork = {"extends": "base.yaml", "decisions": {"out": {"otherwise": {"value": "changed", "because": "b"}}}}
    book = load_rulebook_mapping(fork, base_dir=folder)
    assert book.evaluate({"case_id": "F1", "level": "low"}, AS_OF).outcomes == {"out": "changed"}
    with pytest.raises(RulebookError, match="`extends` needs the folder the base rulebook is in"):
        load_rulebook_mapping(fork)
