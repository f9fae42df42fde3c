"""Case-file fields: their types, coercion and the derived JSON Schema.

Messages about a case never repeat the value that was given: a case file holds
personal data, and an error message may end up in a log.
"""
from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field
from typing import Any, Callable

from .dates import ShortYear, parse_date
from ..errors import CONTROL_CHARACTER, CaseError, Location, looks_like_a_name, suggest
from .load import SURROGATE_PROBLEM, YMap, has_lone_surrogate, loc_of

TYPES = ("boolean", "integer", "string", "date", "enum", "list")
MAX_STRING = 10_000
MAX_INTEGER = 10**12
TRUE_WORDS = {"true", "yes", "y", "1"}
FALSE_WORDS = {"false", "no", "n", "0"}


@dataclass
class Input:
    name: str
    type: str
    question: str
    required: bool = False
    default: Any = None
    values: tuple = ()
    minimum: int | None = None
    maximum: int | None = None
    source: str | None = None
    loc: Location = field(default_factory=Location)

    @property
    def domain(self) -> tuple | None:
        """The finite set of values this field can take, where there is one."""
        if self.type == "boolean":
            return (True, False) if self.required or self.default is not None else (True, False, None)
        if self.type == "enum":
            return self.values if self.required or self.default is not None else self.values + (None,)
        return None

    # -- coercion ------------------------------------------------------------
    def coerce(self, value: Any, *, text: bool = False) -> Any:
        """The value as the engine holds it; ValueError says why not.

        ``text`` is for values that arrive as text (CSV cells): booleans accept
        yes/no words, integers digits, lists ``;``-separated, and dates the UK
        day-first form as well as ISO.
        """
        kind = self.type
        if text and isinstance(value, str):
            value = self._from_text(value)
        if kind == "boolean":
            if isinstance(value, bool):
                return value
            raise ValueError("must be true or false")
        if kind == "integer":
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError("must be a whole number")
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError("must be a whole number")
            low = self.minimum if self.minimum is not None else -MAX_INTEGER
            high = self.maximum if self.maximum is not None else MAX_INTEGER
            if not low <= value <= high:
                raise ValueError(f"must be from {low} to {high}")
            return value
        if kind == "string":
            if isinstance(value, bool) or not isinstance(value, (str, int)):
                raise ValueError("must be text")
            value = str(value)
            if len(value) > MAX_STRING:
                raise ValueError(f"is longer than {MAX_STRING:,} characters")
            if has_lone_surrogate(value):
                raise ValueError("holds a \\u escape that is half of a character (a lone surrogate)")
            return value
        if kind == "date":
            try:
                return parse_date(value, day_first=text)
            except ShortYear as exc:
                raise ValueError(str(exc)) from None
            except ValueError:
                form = "YYYY-MM-DD or DD/MM/YYYY" if text else "YYYY-MM-DD"
                raise ValueError(f"must be a real date written {form}") from None
        if kind == "enum":
            if isinstance(value, str) and value in self.values:
                return value
            raise ValueError(f"must be one of {', '.join(self.values)}")
        if kind == "list":
            if not isinstance(value, list):
                raise ValueError(f"must be a list of {', '.join(self.values)}")
            bad = [v for v in value if not (isinstance(v, str) and v in self.values)]
            if bad:
                raise ValueError(f"may only hold {', '.join(self.values)}")
            if len(set(value)) != len(value):
                raise ValueError("lists the same value twice")
            return list(value)
        raise AssertionError(kind)  # pragma: no cover - validated at load

    def _from_text(self, raw: str) -> Any:
        value = raw.strip()
        if self.type == "boolean":
            word = value.lower()
            if word in TRUE_WORDS:
                return True
            if word in FALSE_WORDS:
                return False
            raise ValueError("must be yes or no (true/false, y/n, 1/0)")
        if self.type == "integer":
            try:
                return int(value)
            except ValueError:
                raise ValueError("must be a whole number") from None
        if self.type == "list":
            return [v.strip() for v in value.split(";") if v.strip()]
        return value

    def empty_value(self) -> Any:
        return list(self.default) if self.type == "list" else self.default

    # -- schema --------------------------------------------------------------
    def json_schema(self) -> dict:
        schema: dict[str, Any] = {"description": self.question}
        if self.type == "boolean":
            schema["type"] = "boolean"
        elif self.type == "integer":
            schema["type"] = "integer"
            if self.minimum is not None:
                schema["minimum"] = self.minimum
            if self.maximum is not None:
                schema["maximum"] = self.maximum
        elif self.type == "string":
            schema.update(type="string", maxLength=MAX_STRING)
        elif self.type == "date":
            schema.update(type="string", format="date")
        elif self.type == "enum":
            schema["enum"] = list(self.values)
        else:
            schema.update(type="array", items={"enum": list(self.values)}, uniqueItems=True)
        default = self.empty_value()
        if default is not None:
            schema["default"] = default.isoformat() if isinstance(default, _dt.date) else default
        if not self.required:
            schema = {"anyOf": [schema, {"type": "null"}], "description": self.question}
        return schema


class CaseReader:
    """Turns a raw case mapping into the values the rules read.

    Each field gets a coercer made once, so reading a case is one dict
    look-up and one call per field; the slow, careful path runs only to
    explain a value that was refused.
    """

    def __init__(self, inputs: dict[str, Input]) -> None:
        self.inputs = inputs
        self.defaults = {n: i.empty_value() for n, i in inputs.items()}
        self.lists = [n for n, i in inputs.items() if i.type == "list"]
        self.required = [n for n, i in inputs.items() if i.required]
        self.fast = {n: _fast_coercer(i) for n, i in inputs.items()}
        self.text_fast = {n: _text_coercer(i) for n, i in inputs.items()}

    def read(self, case: Any, origin: Location, *, text: bool = False,
             ignore: frozenset = frozenset()) -> dict:
        if not isinstance(case, dict):
            raise CaseError("a case must be a mapping of field names to values", origin)
        values = dict(self.defaults)
        for name in self.lists:  # never share a default list between cases
            values[name] = list(values[name])
        fast = self.text_fast if text else self.fast
        if not ignore:
            try:
                for name, raw in case.items():
                    if raw is not None and raw != "":
                        values[name] = fast[name](raw)
            except (KeyError, ValueError, TypeError):
                pass  # fall through to the careful path, which names the problem
            else:
                return self._check_required(values, origin)
            values = dict(self.defaults)
        self._check_text(case, origin)  # the fast path refuses such text too, and falls through to here
        for name, raw in case.items():
            if name in ignore:
                continue
            spec = self.inputs.get(name)
            if spec is None:
                if not looks_like_a_name(name):
                    raise CaseError("a field's name is not one of the rulebook's inputs (the name is not "
                                    "shown: it does not look like a field name)", origin)
                hint = suggest(str(name), self.inputs)
                raise CaseError(f"unknown field `{name}`{hint}", _where(case, name, origin, key=True))
            if raw is None or (text and isinstance(raw, str) and not raw.strip()):
                continue
            try:
                values[name] = spec.coerce(raw, text=text)
            except ValueError as exc:
                raise CaseError(f"field `{name}` {exc}", _where(case, name, origin)) from None
        return self._check_required(values, origin)

    def _check_required(self, values: dict, origin: Location) -> dict:
        for name in self.required:
            value = values[name]
            if value is None:
                raise CaseError(f"missing required field `{name}`", origin.at(name))
            if type(value) is str and not value.strip():
                raise CaseError(f"missing required field `{name}` (it holds only spaces)", origin.at(name))
        case_id = values.get("case_id")
        if type(case_id) is str and CONTROL_CHARACTER.search(case_id):
            raise CaseError("field `case_id` holds a control character (such as a line break or a tab) or "
                            "an invisible formatting character (such as a right-to-left mark): a case "
                            "reference must be one line of visible text", origin.at("case_id"))
        return values

    def _check_text(self, case: dict, origin: Location) -> None:
        """Refuse a name or text value holding half a UTF-16 pair (from a JSON
        ``\\udc00`` escape): no message, page or file could show it."""
        for name, value in case.items():
            if isinstance(name, str) and has_lone_surrogate(name):
                raise CaseError(SURROGATE_PROBLEM, origin)
            if isinstance(value, str) and has_lone_surrogate(value):
                raise CaseError(SURROGATE_PROBLEM, origin.at(name) if name in self.inputs else origin)

    def case_id_of(self, case: Any) -> str | None:
        """The case's ``case_id`` if it is one the reader accepts, else None.

        A case is named in a message, error record or page only by an accepted
        ``case_id``: one that is refused (too long, a control character, not
        text) may be anything, so it is never repeated.
        """
        spec = self.inputs.get("case_id")
        if spec is None or not isinstance(case, dict):
            return None
        try:
            value = spec.coerce(case.get("case_id"))
        except (ValueError, TypeError):
            return None
        if not value.strip() or CONTROL_CHARACTER.search(value):
            return None
        return value

    def json_schema(self, title: str) -> dict:
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": title,
            "type": "object",
            "properties": {n: i.json_schema() for n, i in self.inputs.items()},
            "required": list(self.required),
            "additionalProperties": False,
        }


def _fast_coercer(spec: Input) -> Callable[[Any], Any]:
    """A coercer for already-typed values (YAML, JSON) that accepts exactly what
    :meth:`Input.coerce` accepts, and raises ValueError for anything else."""
    kind = spec.type
    if kind == "boolean":
        def coerce(x):
            if x is True or x is False:
                return x
            raise ValueError
    elif kind == "enum":
        allowed = frozenset(spec.values)

        def coerce(x):
            if type(x) is str and x in allowed:
                return x
            raise ValueError
    elif kind == "date":
        def coerce(x):
            if type(x) is _dt.date:
                return x
            return spec.coerce(x)
    elif kind == "integer":
        low = spec.minimum if spec.minimum is not None else -MAX_INTEGER
        high = spec.maximum if spec.maximum is not None else MAX_INTEGER

        def coerce(x):
            if type(x) is int and low <= x <= high:
                return x
            return spec.coerce(x)
    else:
        coerce = spec.coerce
    return coerce


def _text_coercer(spec: Input) -> Callable[[str], Any]:
    """A coercer for CSV cells; ValueError sends the cell to the careful path.

    A blank cell never reaches it (blank means the rulebook's default).
    """
    kind = spec.type
    if kind == "boolean":
        words = {**{w: True for w in TRUE_WORDS}, **{w: False for w in FALSE_WORDS}}

        def coerce(x):
            return words[x.strip().lower()]  # KeyError falls back
    elif kind == "enum":
        allowed = frozenset(spec.values)

        def coerce(x):
            x = x.strip()
            if x in allowed:
                return x
            raise ValueError
    elif kind == "string":
        def coerce(x):
            if len(x) <= MAX_STRING and (x.isascii() or not has_lone_surrogate(x)):
                return x
            raise ValueError
    else:
        def coerce(x):
            return spec.coerce(x, text=True)
    return coerce


def _where(case: Any, name: str, origin: Location, key: bool = False) -> Location:
    if isinstance(case, YMap):
        found = loc_of(case, name, value=not key)
        if found is not None:
            return found.at(str(name))
    return origin.at(str(name))


def input_from_spec(name: str, spec: dict, loc: Location) -> Input:
    values = tuple(str(v) for v in spec.get("values", ()))
    kind = spec["type"]
    default = spec.get("default")
    if "default" not in spec and kind == "boolean" and not spec.get("required"):
        default = False  # booleans default to "no" unless the rulebook says otherwise
    if default is None and kind == "list":
        default = []
    return Input(
        name=name,
        type=kind,
        question=spec.get("question", ""),
        required=bool(spec.get("required", False)),
        default=default,
        values=values,
        minimum=spec.get("minimum"),
        maximum=spec.get("maximum"),
        source=spec.get("source"),
        loc=loc,
    )
