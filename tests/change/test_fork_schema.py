"""Forks get their own schema, so an editor checks a fork as the engine reads it (#20).

The rulebook schema gave the Northfield example six errors (`'outcomes' is a
required property`, …) although `validate` said ok: a fork writes only what it
changes.
"""
import json

import pytest
from jsonschema import Draft202012Validator

from policyengine.change import fork_schema
from policyengine.engine.load import parse_yaml
from policyengine.engine.validate import fork_schema_file, plain, rulebook_schema

from ..conftest import EXAMPLES


def as_an_editor_reads(text: str):
    """YAML 1.2 as the editor parses it, with keys as JSON has them (text)."""
    def keys_as_text(node):
        if isinstance(node, dict):
            return {str(k): keys_as_text(v) for k, v in node.items()}
        if isinstance(node, list):
            return [keys_as_text(v) for v in node]
        return node
    return keys_as_text(plain(parse_yaml(text)))


@pytest.fixture(scope="module")
def fork_validator():
    schema = json.loads(fork_schema_file().read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def test_the_committed_fork_schema_is_the_one_derived_from_the_rulebook_schema():
    committed = fork_schema_file().read_text(encoding="utf-8")
    assert committed == fork_schema.text(rulebook_schema()), \
        "run: python -m policyengine.change.fork_schema"


def test_the_northfield_example_has_no_errors_under_the_fork_schema(fork_validator):
    text = (EXAMPLES / "forks" / "northfield.yaml").read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../../src/policyengine/schemas/fork.schema.json\n")
    assert [e.message for e in fork_validator.iter_errors(as_an_editor_reads(text))] == []


def test_a_new_fork_points_at_the_fork_schema_and_has_no_errors_under_it(cli, tmp_path, fork_validator):
    fork = tmp_path / "northwick.yaml"
    assert cli("fork", "rulebooks/leicestershire.yaml", "--id", "northwick", "-o", fork).exit_code == 0
    text = fork.read_text(encoding="utf-8")
    modeline = text.splitlines()[0].split("$schema=")[1]
    assert (tmp_path / modeline).resolve() == fork_schema_file()
    assert [e.message for e in fork_validator.iter_errors(as_an_editor_reads(text))] == []


def test_a_fork_may_change_one_key_and_a_rule_by_number(fork_validator):
    fork = as_an_editor_reads("extends: base.yaml\nthresholds: {complex: {at_least: 2}}\n"
                              "decisions: {route: {rules: {2: {when: urgent_need}}}}\n")
    assert list(fork_validator.iter_errors(fork)) == []


@pytest.mark.parametrize("text", [
    "thresholds: {complex: {at_least: 2}}\n",                                 # no extends
    "extends: base.yaml\nthresholds: {complex: {at_leest: 2}}\n",             # a misspelt key
    "extends: base.yaml\ndecisions: {route: {rules: {first: {when: x}}}}\n",  # a rule named, not numbered
    "extends: base.yaml\ndecisions: {route: {rules: {0: {when: x}}}}\n",      # items count from 1
    "extends: base.yaml\nthreshold: {complex: {at_least: 2}}\n",              # no such section
])
def test_the_fork_schema_still_underlines_what_the_engine_would_refuse(fork_validator, text):
    assert list(fork_validator.iter_errors(as_an_editor_reads(text)))


def _filled(body):
    """A snippet's body with each `${n:placeholder}` filled in as a policy owner would."""
    if isinstance(body, dict):
        return {_filled(k): _filled(v) for k, v in body.items()}
    if isinstance(body, list):
        return [_filled(v) for v in body]
    return {"${3:first_axis}": "rag", "${4:second_axis}": "risk", "${4:14 days}": "14 days"}.get(
        body, body.split(":", 1)[1].rstrip("}").split(",")[0] if body.startswith("${") else body)


@pytest.mark.parametrize("construct", ["decision", "matrix", "cadence"])
def test_the_editor_offers_a_valid_skeleton_of_the_constructs_written_most(construct):
    schema = rulebook_schema()
    (snippet,) = schema["$defs"][construct]["defaultSnippets"]
    assert snippet["label"].startswith(f"{construct}:") and snippet["description"]
    validator = Draft202012Validator({"$defs": schema["$defs"], "$ref": f"#/$defs/{construct}"})
    assert [e.message for e in validator.iter_errors(_filled(snippet["body"]))] == []
