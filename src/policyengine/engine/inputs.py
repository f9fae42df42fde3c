"""Case-file fields: their types, coercion and the derived JSON Schema.

Messages about a case never repeat the value that was given: a case file holds
personal data, and an error message may end up in a log.
"""
from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field
from typing import Any, Callable

from .dates import ShortYear, TimeOfDay, parse_date
from ..errors import (CONTROL_CHARACTER, MAX_CASE_PROBLEMS, CaseError, CaseInvalid, Location, closest, hint,
                      looks_like_a_name)
from .labels import Labels, humanise
from .load import SURROGATE_PROBLEM, YMap, has_lone_surrogate, loc_of
from .unknown import UNKNOWN

MAX_STRING = 10_000
MAX_INTEGER = 10**12
TRUE_WORDS = {"true", "yes", "y", "1"}
FALSE_WORDS = {"false", "no", "n", "0"}


class InputType:
    """One type of case field, found by name in :data:`INPUT_TYPES`.

    An entry owns everything that differs by type: checking a value (careful
    and fast), reading a CSV cell, the JSON Schema fragment and what the web
    form asks. The defaults here suit free text; each type overrides what
    differs. ``ValueError`` from a coercer says why a value is refused.
    """

    name = ""
    #: Whether a value is a mutable list, copied afresh for each case.
    is_list = False

    def coerce(self, spec: Input, value: Any, *, text: bool) -> Any:
        raise NotImplementedError

    def from_text(self, spec: Input, raw: str) -> Any:
        """A CSV cell or form answer as the value :meth:`coerce` checks."""
        return raw.strip()

    def fast(self, spec: Input) -> Callable[[Any], Any]:
        """A coercer for typed values (YAML, JSON) accepting exactly what
        :meth:`Input.coerce` accepts; any refusal goes to the careful path."""
        return spec.coerce

    def text_fast(self, spec: Input) -> Callable[[str], Any]:
        """A coercer for CSV cells; KeyError or ValueError sends the cell to
        the careful path. A blank cell never reaches it."""
        return lambda x: spec.coerce(x, text=True)

    def schema(self, spec: Input) -> dict:
        raise NotImplementedError

    def domain(self, spec: Input) -> tuple | None:
        """The finite set of values the field can take, where there is one."""
        return None

    def implicit_default(self, spec: Input) -> Any:
        """The value of an optional field the case leaves out when the rulebook
        gives no ``default:``: "not recorded" (None), or for a question the
        engine must not answer itself, UNKNOWN."""
        return None

    # -- the web form (GOV.UK Design System) ----------------------------------
    def widget(self, spec: Input) -> str:
        """The form's control: radios, select, checkboxes, date, number or text."""
        return "text"

    def options(self, spec: Input, labels: Labels | None = None) -> list[tuple[str, str]]:
        """The form's choices, as (value, label): each value by the rulebook's label for it
        (``labels``; else humanised), while the value sent stays the id."""
        return []

    def form_default(self, default: Any) -> Any:
        """A default (never None) as the form shows it."""
        return default.isoformat() if hasattr(default, "isoformat") else str(default)

    def form_hint(self, spec: Input) -> str:
        """What the form says before the answer, ending in a space if anything."""
        return ""

    def form_error(self, spec: Input, problem: str) -> str:
        """What the form says of a refused answer (``problem`` is coerce's reason)."""
        return f"Check this answer: it {problem}"


def _choices(spec: Input, labels: Labels | None) -> list[tuple[str, str]]:
    """An enum's or a list's values as (value, what people call it)."""
    return [(v, labels.value(spec.name, v) if labels else humanise(v)) for v in spec.values]


class Boolean(InputType):
    name = "boolean"

    def coerce(self, spec, value, *, text):
        if isinstance(value, bool):
            return value
        raise ValueError("must be true or false")

    def from_text(self, spec, raw):
        word = raw.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ValueError("must be yes or no (true/false, y/n, 1/0)")

    def fast(self, spec):
        def coerce(x):
            if x is True or x is False:
                return x
            raise ValueError
        return coerce

    def text_fast(self, spec):
        words = {**{w: True for w in TRUE_WORDS}, **{w: False for w in FALSE_WORDS}}
        return lambda x: words[x.strip().lower()]  # KeyError falls back

    def schema(self, spec):
        return {"type": "boolean"}

    def domain(self, spec):
        return (True, False) if spec.required or spec.default is not None else (True, False, None)

    def implicit_default(self, spec):
        return None if spec.required else UNKNOWN  # unanswered is not "no": `default: false` says it is

    def widget(self, spec):
        return "radios"

    def options(self, spec, labels=None):
        return [("yes", "Yes"), ("no", "No")]

    def form_default(self, default):
        return "yes" if default else "no"

    def form_error(self, spec, problem):
        return "Select yes or no"


class Integer(InputType):
    name = "integer"

    @staticmethod
    def bounds(spec: Input) -> tuple[int, int]:
        low = spec.minimum if spec.minimum is not None else -MAX_INTEGER
        high = spec.maximum if spec.maximum is not None else MAX_INTEGER
        return low, high

    def coerce(self, spec, value, *, text):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("must be a whole number")
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("must be a whole number")
        low, high = self.bounds(spec)
        if not low <= value <= high:
            raise ValueError(f"must be from {low} to {high}")
        return value

    def from_text(self, spec, raw):
        try:
            return int(raw.strip())
        except ValueError:
            raise ValueError("must be a whole number") from None

    def fast(self, spec):
        low, high = self.bounds(spec)

        def coerce(x):
            if type(x) is int and low <= x <= high:
                return x
            return spec.coerce(x)
        return coerce

    def schema(self, spec):
        low, high = self.bounds(spec)  # the engine's own limits when the rulebook sets none
        return {"type": "integer", "minimum": low, "maximum": high}

    def widget(self, spec):
        return "number"

    def form_hint(self, spec):
        if spec.minimum is None and spec.maximum is None:
            return ""
        return f"A whole number from {spec.minimum} to {spec.maximum}. "

    def form_error(self, spec, problem):
        if spec.minimum is not None and spec.maximum is not None:
            return f"Enter a whole number from {spec.minimum} to {spec.maximum}"
        return "Enter a whole number"


class String(InputType):
    name = "string"

    def coerce(self, spec, value, *, text):
        if isinstance(value, float) and value.is_integer():  # JSON's 12345.0 is the number 12345
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise ValueError("must be text")
        value = str(value)
        if len(value) > MAX_STRING:
            raise ValueError(f"is longer than {MAX_STRING:,} characters")
        if has_lone_surrogate(value):
            raise ValueError("holds a \\u escape that is half of a character (a lone surrogate)")
        return value

    def text_fast(self, spec):
        def coerce(x):
            x = x.strip()  # as the careful path reads a cell (from_text): the same answer either way
            if len(x) <= MAX_STRING and (x.isascii() or not has_lone_surrogate(x)):
                return x
            raise ValueError
        return coerce

    def schema(self, spec):
        # A reference exported as a number (12345) is read as the text "12345".
        return {"type": ["string", "integer"], "maxLength": MAX_STRING}


class Date(InputType):
    name = "date"

    def coerce(self, spec, value, *, text):
        try:
            return parse_date(value, day_first=text)
        except (ShortYear, TimeOfDay) as exc:
            raise ValueError(str(exc)) from None
        except ValueError:
            form = "YYYY-MM-DD or DD/MM/YYYY" if text else "YYYY-MM-DD"
            raise ValueError(f"must be a real date written {form}") from None

    def fast(self, spec):
        def coerce(x):
            if type(x) is _dt.date:
                return x
            return spec.coerce(x)
        return coerce

    def schema(self, spec):
        return {"type": "string", "format": "date"}

    def widget(self, spec):
        return "date"

    def form_error(self, spec, problem):
        return "Enter a real date"


#: An enum with more options than this is a select, not radios.
MAX_RADIOS = 6


def _spelled(values: tuple) -> dict[str, str]:
    """Each value by its spelling in any case (``moderate`` for ``Moderate``),
    for values given as text; values that differ only in case match exactly only."""
    folded: dict[str, list[str]] = {}
    for v in values:
        folded.setdefault(v.casefold(), []).append(v)
    return {k: vs[0] for k, vs in folded.items() if len(vs) == 1}


def _as_spelled(spec: Input, word: str) -> str:
    """``word`` as the value it names in any case, else unchanged (and refused later)."""
    return word if word in spec.values else _spelled(spec.values).get(word.casefold(), word)


class Enum(InputType):
    name = "enum"

    def coerce(self, spec, value, *, text):
        if isinstance(value, str) and value in spec.values:
            return value
        raise ValueError(f"must be one of {', '.join(spec.values)}")

    def from_text(self, spec, raw):
        return _as_spelled(spec, raw.strip())

    def fast(self, spec):
        allowed = frozenset(spec.values)

        def coerce(x):
            if type(x) is str and x in allowed:
                return x
            raise ValueError
        return coerce

    def text_fast(self, spec):
        allowed = frozenset(spec.values)
        spelled = _spelled(spec.values)

        def coerce(x):
            x = x.strip()
            if x in allowed:
                return x
            return spelled[x.casefold()]  # KeyError falls back
        return coerce

    def schema(self, spec):
        return {"enum": list(spec.values)}

    def domain(self, spec):
        return spec.values if spec.required or spec.default is not None else spec.values + (None,)

    def widget(self, spec):
        return "radios" if len(spec.values) <= MAX_RADIOS else "select"

    def options(self, spec, labels=None):
        return _choices(spec, labels)

    def form_error(self, spec, problem):
        return "Select one of the options"


class List(InputType):
    """A list of distinct values from the input's ``values``."""

    name, is_list = "list", True

    def coerce(self, spec, value, *, text):
        if not isinstance(value, list):
            raise ValueError(f"must be a list of {', '.join(spec.values)}")
        bad = [v for v in value if not (isinstance(v, str) and v in spec.values)]
        if bad:
            raise ValueError(f"may only hold {', '.join(spec.values)}")
        if len(set(value)) != len(value):
            raise ValueError("lists the same value twice")
        return list(value)

    def from_text(self, spec, raw):
        return [_as_spelled(spec, v.strip()) for v in raw.strip().split(";") if v.strip()]

    def schema(self, spec):
        return {"type": "array", "items": {"enum": list(spec.values)}, "uniqueItems": True}

    def implicit_default(self, spec):
        return UNKNOWN  # unticked is not "none of these": `default: []` says it is

    def widget(self, spec):
        return "checkboxes"

    def options(self, spec, labels=None):
        return _choices(spec, labels)

    def form_default(self, default):
        return list(default)

    def form_error(self, spec, problem):
        return "Select only the options shown"


#: Every input type, by the name a rulebook gives it (the schema's list of types).
INPUT_TYPES: dict[str, InputType] = {t.name: t for t in (Boolean(), Integer(), String(), Date(), Enum(), List())}


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
    def kind(self) -> InputType:
        """This field's entry in :data:`INPUT_TYPES`."""
        return INPUT_TYPES[self.type]

    @property
    def domain(self) -> tuple | None:
        """The finite set of values this field can take, where there is one."""
        return self.kind.domain(self)

    def coerce(self, value: Any, *, text: bool = False) -> Any:
        """The value as the engine holds it; ValueError says why not.

        ``text`` is for values that arrive as text (CSV cells, form answers):
        booleans accept yes/no words, integers digits, lists ``;``-separated,
        and dates the UK day-first form as well as ISO.
        """
        kind = self.kind
        if text and isinstance(value, str):
            value = kind.from_text(self, value)
        return kind.coerce(self, value, text=text)

    def empty_value(self) -> Any:
        """The value of a field the case leaves out (a fresh list for a list)."""
        return list(self.default) if isinstance(self.default, list) else self.default

    def json_schema(self) -> dict:
        schema: dict[str, Any] = {"description": self.question, **self.kind.schema(self)}
        default = self.empty_value()
        if default is not None and default is not UNKNOWN:
            schema["default"] = default.isoformat() if isinstance(default, _dt.date) else default
        types = schema.get("type")
        types = [] if types is None else types if isinstance(types, list) else [types]
        if self.required:
            if self.type == "string":
                schema["pattern"] = r"\S"  # blank text is no answer to a required question
        elif "enum" in schema:
            schema["enum"] = [*schema["enum"], None, ""]  # left out, null or "": not answered
        elif "string" not in types:  # as a type list, so a validator's message reads directly
            schema.update(type=[*types, "null", "string"], maxLength=0)
        else:
            schema["type"] = [*types, "null"]
            if "format" in schema:  # "" is not answered, not a malformed date
                schema["anyOf"] = [{"format": schema.pop("format")}, {"maxLength": 0}]
        return schema


class CaseReader:
    """Turns a raw case mapping into the values the rules read.

    Each field gets a coercer made once, so reading a case is one dict
    look-up and one call per field; the slow, careful path runs only for a
    case that is refused, to name every problem in it.
    """

    def __init__(self, inputs: dict[str, Input]) -> None:
        self.inputs = inputs
        self.defaults = {n: i.empty_value() for n, i in inputs.items()}
        self.lists = [n for n, i in inputs.items() if isinstance(i.default, list)]
        #: Whether a case may leave a question unknown without ``partial`` (a boolean or list with no default).
        self.unknowable = any(v is UNKNOWN for v in self.defaults.values())
        self.required = [n for n, i in inputs.items() if i.required]
        self.fast = {n: i.kind.fast(i) for n, i in inputs.items()}
        self.text_fast = {n: i.kind.text_fast(i) for n, i in inputs.items()}

    def read(self, case: Any, origin: Location, *, text: bool = False,
             ignore: frozenset = frozenset(), partial: bool = False) -> dict:
        """The values of ``case``. With ``partial`` a missing required field
        other than ``case_id`` is UNKNOWN instead of an error.

        A case that does not fit raises :class:`CaseInvalid` naming every
        problem: the fields' in the order the case gives them (a file's
        order), then each required field it leaves out.
        """
        if not isinstance(case, dict):
            raise CaseError("a case must be a mapping of field names to values", origin, code="case.not_a_mapping")
        if not ignore:
            values = self._fresh()
            fast = self.text_fast if text else self.fast
            try:
                for name, raw in case.items():
                    if raw is not None and raw != "":
                        values[name] = fast[name](raw)
            except (KeyError, ValueError, TypeError):
                pass  # refused: the careful path names every problem
            else:
                if self._settled(values, partial):
                    return values
        values, problems = self._careful(case, origin, text, ignore, partial)
        if problems:
            raise CaseInvalid(problems)
        return values

    def _fresh(self) -> dict:
        """The values of a case that answers nothing: never share a default list between cases."""
        values = dict(self.defaults)
        for name in self.lists:
            values[name] = list(values[name])
        return values

    def _settled(self, values: dict, partial: bool) -> bool:
        """Whether values the fast path read answer every required field (with
        ``partial``, marking those it may leave UNKNOWN) and give a case_id of one visible line."""
        for name in self.required:
            value = values[name]
            if value is None and partial and name != "case_id":
                values[name] = UNKNOWN
            elif value is None or (type(value) is str and not value.strip()):
                return False
        case_id = values.get("case_id")
        return not (type(case_id) is str and CONTROL_CHARACTER.search(case_id))

    def _careful(self, case: dict, origin: Location, text: bool, ignore: frozenset,
                 partial: bool) -> tuple[dict, list[CaseError]]:
        """The values of ``case`` and every problem in it: each field's in turn,
        then each required field left out."""
        values = self._fresh()
        problems: list[CaseError] = []
        refused = set()
        for name, raw in case.items():
            problem = self._field(case, name, raw, values, origin, text, ignore,
                                  hinted=len(problems) < MAX_CASE_PROBLEMS)
            if problem is not None:
                problems.append(problem)
                refused.add(name)
        for name in self.required:
            if values[name] is None and name not in refused:
                if partial and name != "case_id":
                    values[name] = UNKNOWN
                else:
                    problems.append(CaseError(f"missing required field `{name}`", origin.at(name),
                                              code="case.missing_field"))
        return values, problems

    def _field(self, case: dict, name: Any, raw: Any, values: dict, origin: Location, text: bool,
               ignore: frozenset, hinted: bool) -> CaseError | None:
        """Read one field into ``values``, or say why it is refused."""
        spec = self.inputs.get(name)
        # Half a UTF-16 pair (from a JSON `\udc00` escape) in a name or text: no message, page
        # or file could show it, so it is refused even in a column ignored on purpose.
        if isinstance(name, str) and has_lone_surrogate(name):
            return CaseError(SURROGATE_PROBLEM, origin, code="case.lone_surrogate")
        if isinstance(raw, str) and has_lone_surrogate(raw):
            return CaseError(SURROGATE_PROBLEM, origin.at(name) if spec is not None else origin,
                             code="case.lone_surrogate")
        if name in ignore:
            return None
        if spec is None:
            return self._unknown(case, name, origin, hinted)
        if raw is None or raw == "":  # not answered, as on the fast path
            return None
        if text and isinstance(raw, str) and not raw.strip():
            return _blank(case, name, origin) if spec.required else None
        try:
            value = spec.coerce(raw, text=text)
        except ValueError as exc:
            return CaseError(f"field `{name}` {exc}", _where(case, name, origin), code="case.invalid_value")
        if spec.required and type(value) is str and not value.strip():
            return _blank(case, name, origin)
        if name == "case_id" and type(value) is str and CONTROL_CHARACTER.search(value):
            return CaseError("field `case_id` holds a control character (such as a line break or a tab) or "
                             "an invisible formatting character (such as a right-to-left mark): a case "
                             "reference must be one line of visible text", _where(case, name, origin),
                             code="case.control_character")
        values[name] = value
        return None

    def _unknown(self, case: dict, name: Any, origin: Location, hinted: bool) -> CaseError:
        """An unknown field, named only if it looks like a name; a hint only while
        problems are still listed (past the cap they are only counted)."""
        if not looks_like_a_name(name):
            where = loc_of(case, name, value=False) if isinstance(case, YMap) else None
            return CaseError("a field's name is not one of the rulebook's inputs (the name is not "
                             "shown: it does not look like a field name)", where or origin,
                             code="case.unknown_field")
        near = closest(str(name), self.inputs) if hinted else None
        return CaseError(f"unknown field `{name}`{hint(near)}", _where(case, name, origin, key=True),
                         code="case.unknown_field", suggestion=near)

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


def _blank(case: Any, name: str, origin: Location) -> CaseError:
    return CaseError(f"missing required field `{name}` (it holds only spaces)", _where(case, name, origin),
                     code="case.missing_field")


def _where(case: Any, name: str, origin: Location, key: bool = False) -> Location:
    if isinstance(case, YMap):
        found = loc_of(case, name, value=not key)
        if found is not None:
            return found.at(str(name))
    return origin.at(str(name))


def input_from_spec(name: str, spec: dict, loc: Location) -> Input:
    field_ = Input(
        name=name,
        type=spec["type"],
        question=spec.get("question", ""),
        required=bool(spec.get("required", False)),
        default=spec.get("default"),
        values=tuple(str(v) for v in spec.get("values", ())),
        minimum=spec.get("minimum"),
        maximum=spec.get("maximum"),
        source=spec.get("source"),
        loc=loc,
    )
    # An explicit `default: null` stands, except that a list is never null.
    if field_.default is None and ("default" not in spec or field_.kind.is_list):
        field_.default = field_.kind.implicit_default(field_)
    return field_
