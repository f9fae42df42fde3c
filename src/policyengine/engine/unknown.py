"""The value of a question nobody has answered: not known, never No.

``UNKNOWN`` stands for an input the case does not answer and the rulebook
gives no ``default:``, and for an element's output that cannot be decided
until it is answered. Nothing may treat it as true or false by accident:
``bool(UNKNOWN)`` raises, so a rule that reads it without the engine
settling it first fails loudly instead of silently deciding "No".
"""
from __future__ import annotations

from typing import NoReturn


class _Unknown:
    """The one "not known" value (:data:`UNKNOWN`)."""

    __slots__ = ()
    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "not known"

    __str__ = __repr__

    def __bool__(self) -> NoReturn:
        raise TypeError("a value that is not known is neither true nor false")

    def __reduce__(self) -> str:  # one value across processes (caseload --jobs)
        return "UNKNOWN"

    def __copy__(self) -> _Unknown:
        return self

    def __deepcopy__(self, memo: dict) -> _Unknown:
        return self


#: The value of an unanswered question (see the module's doc).
UNKNOWN = _Unknown()

__all__ = ["UNKNOWN"]
