"""Reading case files: YAML, or JSON by JSON's own rules, from a path or standard input."""
from __future__ import annotations

import os
import sys
from typing import Any

from ..errors import Location, YamlError
from .load import MAX_FILE_BYTES, decode, load_case, parse_case


def read_case_file(path: str | os.PathLike) -> tuple[Any, Location]:
    """A case file read as ``evaluate`` reads it: YAML 1.2, or a ``.json`` file by
    JSON's own rules (no repeated keys), every value knowing its line; ``-``
    reads standard input. Returns the case and where it came from, to pass on
    as ``evaluate(book, case, as_of, origin=where)`` so errors name the line."""
    path = os.fspath(path)
    if path == "-":
        raw = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise YamlError(f"standard input is over the limit of {MAX_FILE_BYTES:,} bytes",
                            Location("<stdin>"), code="file.too_large")
        return parse_case(decode(raw, "<stdin>"), "<stdin>"), Location("<stdin>")
    return load_case(path), Location(path)
