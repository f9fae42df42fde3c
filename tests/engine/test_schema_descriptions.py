"""Every property of the rulebook schema says what it is (#15 §1): editors show it on hover."""
import json

import pytest

from policyengine.engine.validate import fork_schema_file, rulebook_schema


def schemas():
    return {"rulebook": rulebook_schema(), "fork": json.loads(fork_schema_file().read_text(encoding="utf-8"))}


def undescribed(schema: dict) -> list[str]:
    """The JSON pointer of each property with no description, its own or its `$ref`'s."""

    def described(node) -> bool:
        if not isinstance(node, dict):
            return False
        if "description" in node or "markdownDescription" in node:
            return True
        ref = node.get("$ref", "")
        return ref.startswith("#/$defs/") and described(schema["$defs"].get(ref.removeprefix("#/$defs/")))

    missing = []

    def walk(node, pointer: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "properties" and isinstance(value, dict):
                    missing.extend(f"{pointer}/properties/{name}" for name, spec in value.items()
                                   if not described(spec))
                walk(value, f"{pointer}/{key}")
        elif isinstance(node, list):
            for i, item in enumerate(node):
                walk(item, f"{pointer}/{i}")

    walk(schema, "#")
    return missing


@pytest.mark.parametrize("name", ["rulebook", "fork"])
def test_every_schema_property_has_a_description(name):
    assert undescribed(schemas()[name]) == []


def test_a_property_without_a_description_is_found_and_a_ref_lends_its_own():
    schema = {"$defs": {"source": {"type": "string", "description": "The paragraph."}},
              "properties": {"source": {"$ref": "#/$defs/source"}, "title": {"type": "string"},
                             "sources": {"description": "Documents.",
                                         "properties": {"url": {"type": "string"}}}}}
    assert undescribed(schema) == ["#/properties/title", "#/properties/sources/properties/url"]
