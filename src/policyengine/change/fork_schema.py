"""The schema editors check a fork against, derived from the rulebook schema.

A fork writes only what it changes, so it is not a whole rulebook: nothing is
required but ``extends``, an element may set a single key
(``thresholds: {complex: {at_least: 2}}``), and a list may be changed by item
number (``rules: {2: {when: ...}}``), as ``engine/merge.py`` merges them.
Everything else stays as strict as the rulebook schema, so a misspelt key is
still underlined. The file is committed beside the rulebook schema (editors
need a file); a test keeps it equal to what this module derives. To refresh it
after changing the rulebook schema::

    python -m policyengine.change.fork_schema
"""
from __future__ import annotations

import copy
import json
from typing import Any

from ..engine.validate import fork_schema_file, rulebook_schema

#: A list item changed by its number, as the merge reads it (1 is the first item).
ITEM_NUMBER = {"pattern": "^[1-9][0-9]*$"}


def derive(rulebook: dict) -> dict:
    """The fork schema for ``rulebook`` (the rulebook JSON Schema)."""
    schema = _partial(copy.deepcopy(rulebook))
    schema["$id"] = rulebook["$id"].replace("rulebook.schema.json", "fork.schema.json")
    schema["title"] = "policyengine fork"
    schema["description"] = ("A rulebook that extends another and writes only what it changes: each element "
                             "key by key, a list whole or item by item by number (1 is the first).")
    schema["required"] = ["extends"]
    return schema


def _partial(node: Any) -> Any:
    """``node`` with nothing required, and every list also writable as changes by number."""
    if isinstance(node, list):
        return [_partial(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _partial(value) for key, value in node.items() if key != "required"}
    for key in ("oneOf", "anyOf"):  # a choice only of what is required ("at_least" or "bands") goes
        if key in node and all(set(branch) <= {"required"} or not branch for branch in node[key]):
            del node[key]
    if node.get("type") == "array" and "items" in node:
        by_number = {"type": "object", "propertyNames": ITEM_NUMBER, "additionalProperties": node["items"]}
        array = {k: node.pop(k) for k in list(node) if k not in ("description", "markdownDescription")}
        node["anyOf"] = [array, by_number]
    return node


def text(rulebook: dict) -> str:
    return json.dumps(derive(rulebook), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":  # refresh the committed file (see the module's docstring)
    with fork_schema_file().open("w", encoding="utf-8") as out:  # type: ignore[union-attr]
        out.write(text(rulebook_schema()))
