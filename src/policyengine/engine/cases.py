"""Reading case files: YAML, or JSON by JSON's own rules, from a path or standard input."""
from __future__ import annotations

import sys
from typing import Any

from ..errors import Location, YamlError
from .load import MAX_FILE_BYTES, decode, load_case, parse_case


def read_case_file(path: str) -> tuple[Any, Location]:
    """The raw case mapping and where it came from (``-`` reads stdin)."""
    if path == "-":
        raw = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise YamlError(f"standard input is over the limit of {MAX_FILE_BYTES:,} bytes",
                            Location("<stdin>"), code="file.too_large")
        return parse_case(decode(raw, "<stdin>"), "<stdin>"), Location("<stdin>")
    return load_case(path), Location(path)
