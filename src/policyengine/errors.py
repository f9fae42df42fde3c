"""The engine's one family of exceptions.

Errors are data: each carries a message and where it happened (file, line,
column and the path of the field or element). How an error is printed is the
caller's business; ``str(error)`` gives the one-line ``file:line:col: message``
form the CLI uses.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Iterable


#: C0 and C1 control characters, the Unicode line and paragraph separators, and
#: the invisible formatting characters (zero-width spaces, bidirectional marks,
#: overrides and isolates, the byte-order mark): in a message, one could end the
#: line and forge another, or turn the rest of the line round as it is shown.
CONTROL_CHARACTER = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]")


def printable(text: str) -> str:
    """``text`` (a file name) as a one-line message may show it: control
    characters, and bytes of the name that are not UTF-8, written as escapes."""
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return CONTROL_CHARACTER.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


@dataclass(frozen=True)
class Location:
    """Where something is: a file, a 1-based line and column, and a path."""

    file: str | None = None
    line: int | None = None
    column: int | None = None
    path: str | None = None

    def at(self, path: str) -> "Location":
        return Location(self.file, self.line, self.column, path)

    def __str__(self) -> str:
        parts = [self.file or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


class PolicyEngineError(Exception):
    """Base class of every error the engine raises on purpose."""

    kind = "error"

    def __init__(self, message: str, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location or Location()

    @property
    def file(self) -> str | None:
        return self.location.file

    @property
    def line(self) -> int | None:
        return self.location.line

    @property
    def column(self) -> int | None:
        return self.location.column

    @property
    def path(self) -> str | None:
        return self.location.path

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class YamlError(PolicyEngineError):
    """A file is not readable, safe YAML (or JSON)."""


class RulebookError(PolicyEngineError):
    """A rulebook breaks the format or its own logic."""


#: Most problems of one rulebook listed; a last line counts the rest.
MAX_ERRORS = 1_000


class RulebookInvalid(RulebookError):
    """Every problem found in one rulebook (up to MAX_ERRORS); the first is the message."""

    def __init__(self, errors: list[PolicyEngineError]) -> None:
        errors = sorted(errors, key=_sort_key)
        first = errors[0]
        super().__init__(first.message, first.location)
        if len(errors) > MAX_ERRORS:
            more = RulebookError(f"… and {len(errors) - MAX_ERRORS:,} more errors", Location(first.file))
            errors = errors[:MAX_ERRORS] + [more]
        self.errors = errors

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


class CaseError(PolicyEngineError):
    """A case file does not fit the rulebook's inputs."""


class EvaluationError(PolicyEngineError):
    """A rule could not be evaluated for a particular case.

    ``message`` names the case; ``detail`` is the same without it, for a
    report that already names the case beside it.
    """

    def __init__(self, message: str, location: Location | None = None, *, detail: str | None = None) -> None:
        super().__init__(message, location)
        self.detail = detail if detail is not None else message


class RenderError(PolicyEngineError):
    """A document could not be rendered."""


def _sort_key(e: PolicyEngineError):
    loc = e.location
    return (loc.file or "", loc.line or 0, loc.column or 0)


#: Most candidates a "did you mean" hint compares against (it is only a hint).
MAX_SUGGEST_CANDIDATES = 1_000
#: After this many problems in one rulebook, no more hints are computed.
MAX_HINTED_ERRORS = 100


def suggest(name: str, candidates: Iterable[str]) -> str:
    """A ' (did you mean `x`?)' hint when ``name`` is close to a candidate."""
    candidates = candidates if isinstance(candidates, (list, tuple, dict, set, frozenset)) \
        else list(candidates)
    if len(candidates) > MAX_SUGGEST_CANDIDATES:  # thousands of names: a hint is not worth the time
        return ""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else ""


_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_ ]{0,63}", re.ASCII)


def looks_like_a_name(name) -> bool:
    """Whether a field name a case gives may be repeated in a message: anything
    else (a long text, a line break) may be a person's details, or forge a line."""
    return isinstance(name, str) and _NAME.fullmatch(name) is not None
