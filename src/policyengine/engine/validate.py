"""Stage 2, validate: the rulebook against ``schemas/rulebook.schema.json``.

Every schema problem is reported at the YAML line of the offending key or
value, in words a policy owner can act on. The semantic checks that need the
whole rulebook (names, cycles, matrix cells, bands) run while compiling.
"""
from __future__ import annotations

import datetime as _dt
import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any, Iterator

from jsonschema import Draft202012Validator, FormatChecker, ValidationError
from jsonschema.exceptions import best_match

from ..errors import Location, RulebookError, suggest
from .inputs import MAX_INTEGER
from .load import locate, path_text

@lru_cache(maxsize=1)
def rulebook_schema() -> dict:
    """The rulebook JSON Schema, shipped in the package (``policyengine/schemas/``)."""
    return json.loads(schema_file().read_text(encoding="utf-8"))


def schema_file():
    """The one rulebook schema file, wherever the package is installed."""
    return resources.files("policyengine").joinpath("schemas", "rulebook.schema.json")


def fork_schema_file():
    """The schema editors check a fork against (``change/fork_schema.py`` derives it)."""
    return resources.files("policyengine").joinpath("schemas", "fork.schema.json")


@lru_cache(maxsize=1)
def element_sections() -> tuple[str, ...]:
    """The sections whose entries are named elements (inputs, each construct's,
    documents), in the schema's order: a fork merges and removes them one
    element at a time. Read from the schema, which the load stage sits below
    the constructs to use; a test holds it to the construct registry."""
    schema = rulebook_schema()
    return tuple(name for name, spec in schema["properties"].items()
                 if "propertyNames" in spec and "$ref" in (spec.get("additionalProperties") or {}))


def plain(data: Any) -> Any:
    """The JSON view of loaded YAML: dates become ISO strings."""
    if isinstance(data, dict):
        return {k: plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [plain(v) for v in data]
    if isinstance(data, _dt.date):
        return data.isoformat()
    return data


def schema_errors(data: Any, file: str) -> list[RulebookError]:
    """Every way ``data`` breaks the rulebook schema, located."""
    if not isinstance(data, dict):
        return [RulebookError("a rulebook must be a mapping of sections", Location(file, 1, 1))]
    validator = Draft202012Validator(rulebook_schema(), format_checker=FormatChecker())
    found: list[RulebookError] = []
    for error in validator.iter_errors(plain(data)):
        found.extend(_explain(error, data, file))
    found.extend(_number_errors(data, file))
    return found


def _number_errors(data: dict, file: str) -> Iterator[RulebookError]:
    """Every number the rulebook writes is finite and within ±MAX_INTEGER.

    Case values and arithmetic keep to the same limit, so no outcome can be
    infinite, NaN (which is not JSON) or too long to print. A rulebook's
    ``tests`` hold case data, which the case reader checks.
    """
    stack = [([key], value) for key, value in data.items() if key != "tests"]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            stack.extend((path + [k], v) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((path + [i], v) for i, v in enumerate(node))
        elif isinstance(node, (int, float)) and not isinstance(node, bool) \
                and not -MAX_INTEGER <= node <= MAX_INTEGER:  # also false for NaN
            yield RulebookError(f"{path_text(path)} must be a finite number between "
                                f"-{MAX_INTEGER:,} and {MAX_INTEGER:,}", locate(data, path, file))


def _explain(error: ValidationError, root: Any, file: str) -> Iterator[RulebookError]:
    """A schema error in words a policy owner can act on, at the key or value it is about."""
    path = list(error.absolute_path)
    where = path_text(path) or "the rulebook"
    explain = _BY_KEYWORD.get(error.validator)
    if explain is not None:
        yield from explain(error, path, where, root, file)
        return
    if error.validator == "pattern" and path and path[-1] == "template":
        message = "a template must be a file name inside the rulebook's templates folder"
    elif error.validator == "pattern":
        message = f"`{error.instance}` is not a valid name: use lower-case letters, digits and _"
        if "propertyNames" in error.schema_path:  # a key of the mapping at ``path``: point at the key
            yield RulebookError(message, locate(root, path + [error.instance], file, key=True))
            return
    else:
        message = _message(error, where)
    yield RulebookError(message, locate(root, path, file))


def _message(error: ValidationError, where: str) -> str:
    kind = error.validator
    if kind == "format":
        return f"{where} must be a real date written YYYY-MM-DD"
    if kind in ("minProperties", "minItems", "minLength") and error.validator_value == 1:
        return f"{where} must not be empty"
    if kind == "enum":
        return f"{where} must be one of {', '.join(map(str, error.validator_value))}"
    if kind == "type":
        want = error.validator_value
        want = " or ".join(want) if isinstance(want, list) else want
        return f"{where} must be {_article(want)}"
    return f"{where}: {error.message}"


def _unknown_keys(error: ValidationError, path: list, where: str, root: Any, file: str) -> Iterator[RulebookError]:
    allowed = list(error.schema.get("properties", {}))
    for key in [k for k in error.instance if k not in allowed]:
        yield RulebookError(f"unknown key `{key}` in {where}{suggest(str(key), allowed)}",
                            locate(root, path + [key], file, key=True))


def _missing(error: ValidationError, path: list, where: str, root: Any, file: str) -> Iterator[RulebookError]:
    missing = error.message.split("'")[1] if "'" in error.message else error.message
    yield RulebookError(f"{where} is missing `{missing}`", locate(root, path, file, key=True))


def _one_of(error: ValidationError, path: list, where: str, root: Any, file: str) -> Iterator[RulebookError]:
    if not isinstance(error.instance, dict):
        yield RulebookError(f"{where}: {error.message}", locate(root, path, file))
        return
    forms = [s for s in error.validator_value if s.get("required")]
    if len(forms) == 1:  # the one form that is a mapping (the other a list): say what this one lacks
        known = forms[0].get("properties", {})
        extra = [k for k in error.instance if k not in known]
        yield RulebookError(f"{where} is missing `{forms[0]['required'][0]}`"
                            + (f" (unknown key{'s' if len(extra) > 1 else ''} "
                               f"{', '.join(f'`{k}`' for k in extra)})" if extra else ""),
                            locate(root, path, file, key=True))
        return
    options = [s["required"][0] for s in forms]
    given = [o for o in options if o in error.instance]
    yield RulebookError(
        f"{where} needs exactly one of {', '.join(f'`{o}`' for o in options)}"
        + (f" (it has {', '.join(f'`{g}`' for g in given)})" if given else ""),
        locate(root, path, file, key=True),
    )


def _bad_name(error: ValidationError, path: list, where: str, root: Any, file: str) -> Iterator[RulebookError]:
    bad = next((k for k in error.instance if not _is_name(k)), None)
    yield RulebookError(f"`{bad}` is not a valid name: use lower-case letters, digits and _",
                        locate(root, path + [bad], file, key=True))


#: Schema keywords whose errors are worded (and located) their own way.
def _any_of(error: ValidationError, path: list, where: str, root: Any, file: str) -> Iterator[RulebookError]:
    """Of the forms a value may take, what is wrong with it as the likeliest one (jsonschema's
    ``best_match``), rather than "is not valid under any of the given schemas" and the value."""
    formed = [e for e in error.context if not (e.validator == "type" and e.absolute_path == error.absolute_path)]
    best = best_match(formed or error.context) if error.context else None  # the form of the value's own type
    if best is None:
        yield RulebookError(f"{where} is not written in any of the forms it may take", locate(root, path, file))
        return
    yield from _explain(best, root, file)


_BY_KEYWORD = {"additionalProperties": _unknown_keys, "required": _missing, "oneOf": _one_of,
               "propertyNames": _bad_name, "anyOf": _any_of}


def _is_name(key: Any) -> bool:
    return isinstance(key, str) and re.fullmatch(r"[a-z][a-z0-9_]*", key) is not None


def _article(word: str) -> str:
    names = {"object": "a mapping", "array": "a list", "string": "text", "integer": "a whole number",
             "boolean": "true or false", "number": "a number"}
    return " or ".join(names.get(w.strip(), w) for w in word.split(" or "))
