"""Loading YAML safely: positions kept, anything unsafe refused with its line."""
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


def test_deep_nesting_is_refused():
    with pytest.raises(YamlError) as info:
        parse_yaml("[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5), "f.yaml")
    assert info.value.message == f"nesting deeper than {MAX_DEPTH} levels is not allowed"
