"""The input-type registry: one entry per type a rulebook may declare."""
import json
from importlib import resources

import pytest

from policyengine.engine.inputs import INPUT_TYPES, Input


def test_the_registry_holds_exactly_the_types_the_schema_allows():
    schema = json.loads(resources.files("policyengine").joinpath("schemas/rulebook.schema.json").read_text())
    assert list(INPUT_TYPES) == schema["$defs"]["input"]["properties"]["type"]["enum"]


@pytest.mark.parametrize("kind, value", [
    ("boolean", True), ("integer", 3), ("string", "x"), ("enum", "a"), ("list", ["a"]), ("date", "2026-11-22"),
])
def test_the_fast_coercer_agrees_with_the_careful_one(kind, value):
    spec = Input("f", kind, "Q?", values=("a", "b"))
    assert spec.kind.fast(spec)(value) == spec.coerce(value)


@pytest.mark.parametrize("kind, cell", [
    ("boolean", " Yes "), ("integer", "3"), ("string", "x"), ("enum", " a "), ("list", "a; b"), ("date", "22/11/2026"),
])
def test_the_text_coercer_agrees_with_the_careful_one(kind, cell):
    spec = Input("f", kind, "Q?", values=("a", "b"))
    assert spec.kind.text_fast(spec)(cell) == spec.coerce(cell, text=True)
