"""The engine's one family of exceptions.

Errors are data: each carries a stable ``code`` (``case.missing_field``), a
message, where it happened (file, line, column and the path of the field or
element) and, where a name was mistyped, the likely ``suggestion``. How an
error is printed is the caller's business: ``str(error)`` gives the one-line
``file:line:col: message`` form the CLI uses, ``as_dict()`` the fields, and
``exit_code`` the status a command line exits with (as click's exceptions do).
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
    """Base class of every error the engine raises on purpose.

    ``code`` defaults to the class's; a call site may name a more specific
    one. ``suggestion`` is the name a "did you mean" hint proposes: the hint
    stays in the message where it is written, and is found there when the
    call site does not pass it.
    """

    #: A stable, short name for this kind of error (``area.problem``).
    code = "error"
    #: The status a command line exits with for this error.
    exit_code = 1

    def __init__(self, message: str, location: Location | None = None, *,
                 code: str | None = None, suggestion: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location or Location()
        if code is not None:
            self.code = code
        self.suggestion = suggestion if suggestion is not None else suggested(message)

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

    def as_dict(self) -> dict:
        """The error as data, for a JSON report or an API response."""
        loc = self.location
        return {"code": self.code, "message": self.message, "file": loc.file, "line": loc.line,
                "column": loc.column, "path": loc.path, "suggestion": self.suggestion}


class YamlError(PolicyEngineError):
    """A file is not readable, safe YAML (or JSON)."""

    code = "file.invalid"


class RulebookError(PolicyEngineError):
    """A rulebook breaks the format or its own logic."""

    code = "rulebook.invalid"


#: Most problems of one rulebook listed; a last line counts the rest.
MAX_ERRORS = 1_000


class RulebookInvalid(RulebookError):
    """Every problem found in one rulebook (up to MAX_ERRORS); the first is the message."""

    def __init__(self, errors: list[PolicyEngineError]) -> None:
        errors = sorted(errors, key=_sort_key)
        first = errors[0]
        super().__init__(first.message, first.location, suggestion=first.suggestion)
        if len(errors) > MAX_ERRORS:
            more = RulebookError(f"… and {len(errors) - MAX_ERRORS:,} more errors", Location(first.file))
            errors = errors[:MAX_ERRORS] + [more]
        self.errors = errors

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)

    def __reduce__(self):  # pickled (to or from a worker process) by its errors, not its message
        return type(self), (self.errors,), self.__dict__

    def as_dict(self) -> dict:
        """The first problem's fields, and every problem under ``errors``."""
        return {**super().as_dict(), "errors": [e.as_dict() for e in self.errors]}


class CaseError(PolicyEngineError):
    """A case file does not fit the rulebook's inputs."""

    code = "case.invalid"


#: Most problems of one case listed; a last line counts the rest. A case has
#: tens of fields: past this, the rest are most likely the same mistake.
MAX_CASE_PROBLEMS = 100


class CaseInvalid(CaseError):
    """Every problem found in one case (up to MAX_CASE_PROBLEMS), in the order of
    the case's fields, then the required fields it leaves out: ``problems``.

    Its message, location, code and suggestion are the first problem's, so a
    caller that catches CaseError and reads one problem reads it as before.
    """

    def __init__(self, problems: list[CaseError]) -> None:
        first = problems[0]
        super().__init__(first.message, first.location, code=first.code, suggestion=first.suggestion)
        if len(problems) > MAX_CASE_PROBLEMS:
            more = CaseError(f"… and {len(problems) - MAX_CASE_PROBLEMS:,} more problems",
                             Location(first.file), code="case.more_problems")
            problems = problems[:MAX_CASE_PROBLEMS] + [more]
        self.problems = problems

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)

    def __reduce__(self):  # pickled (to or from a worker process) by its problems, not its message
        return type(self), (self.problems,), self.__dict__

    def as_dict(self) -> dict:
        """The first problem's fields, and every problem under ``problems``."""
        return {**super().as_dict(), "problems": [p.as_dict() for p in self.problems]}


def problems_of(error: PolicyEngineError) -> list[PolicyEngineError]:
    """The problems an error reports: each of a case's or a rulebook's, or the error itself."""
    if isinstance(error, CaseInvalid):
        return list(error.problems)
    if isinstance(error, RulebookInvalid):
        return list(error.errors)
    return [error]


class EvaluationError(PolicyEngineError):
    """A rule could not be evaluated for a particular case.

    ``message`` names the case; ``detail`` is the same without it, for a
    report that already names the case beside it.
    """

    code = "evaluation.failed"

    def __init__(self, message: str, location: Location | None = None, *, detail: str | None = None,
                 code: str | None = None) -> None:
        super().__init__(message, location, code=code)
        self.detail = detail if detail is not None else message


class RenderError(PolicyEngineError):
    """A document could not be rendered."""

    code = "render.failed"


def _sort_key(e: PolicyEngineError):
    loc = e.location
    return (loc.file or "", loc.line or 0, loc.column or 0)


#: Most candidates a "did you mean" hint compares against (it is only a hint).
MAX_SUGGEST_CANDIDATES = 1_000
#: After this many problems in one rulebook, no more hints are computed.
MAX_HINTED_ERRORS = 100


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate ``name`` is likely a mistyping of, if any."""
    candidates = candidates if isinstance(candidates, (list, tuple, dict, set, frozenset)) \
        else list(candidates)
    if len(candidates) > MAX_SUGGEST_CANDIDATES:  # thousands of names: a hint is not worth the time
        return None
    for near in difflib.get_close_matches(name, list(candidates), n=3, cutoff=0.6):
        if _edits(name.lower(), near.lower()) <= max(2, len(name) // 3):
            return near
    return None


def _edits(a: str, b: str) -> int:
    """Typing mistakes between ``a`` and ``b``: letters added, dropped, changed or
    swapped with the next (optimal string alignment distance). difflib's ratio
    alone proposed `referrer_name` for `worker_name`: similar, but not a typo."""
    if abs(len(a) - len(b)) > 3 or max(len(a), len(b)) > 128:
        return 99
    before, row = None, list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            cost = min(row[j] + 1, current[j - 1] + 1, row[j - 1] + (x != y))
            if before is not None and j > 1 and x == b[j - 2] and a[i - 2] == y:
                cost = min(cost, before[j - 2] + 1)
            current.append(cost)
        before, row = row, current
    return row[-1]


def hint(suggestion: str | None) -> str:
    """The ' (did you mean `x`?)' a message shows for a suggestion ('' for none)."""
    return f" (did you mean `{suggestion}`?)" if suggestion is not None else ""


def suggest(name: str, candidates: Iterable[str]) -> str:
    """A ' (did you mean `x`?)' hint when ``name`` is close to a candidate."""
    return hint(closest(name, candidates))


_HINT = re.compile(r" \(did you mean `([^`]*)`\?\)")


def suggested(message: str) -> str | None:
    """The name the message's "did you mean" hint proposes, if it has one."""
    found = _HINT.search(message)
    return found.group(1) if found else None


_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_ ]{0,63}", re.ASCII)


def looks_like_a_name(name) -> bool:
    """Whether a field name a case gives may be repeated in a message: anything
    else (a long text, a line break) may be a person's details, or forge a line."""
    return isinstance(name, str) and _NAME.fullmatch(name) is not None
