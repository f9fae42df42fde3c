"""One writer per format, each over the one shape every report has.

A report has ``as_dict()`` (JSON and YAML), ``text()`` (for people) and
``rows()`` (a header row, then one row per line of a spreadsheet). A writer
turns a report into the text of one format; a new format is one function
here and one entry in ``WRITERS``.
"""
from __future__ import annotations

import json
from typing import Any, Callable, Iterable, Iterator, Protocol

from .spreadsheet import csv_text


class Report(Protocol):
    def as_dict(self) -> dict: ...

    def text(self) -> str: ...

    def rows(self) -> list[list[Any]]: ...


def json_text(data: Any) -> str:
    """Strict JSON (never NaN), indented, ending in a line break."""
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def json_chunks(data: dict[str, Any]) -> Iterator[str]:
    """``json_text(data)`` a piece at a time, where a top-level value may be an
    iterator: a list produced as it is written, never held whole (a worklist of
    a million cases). The text is exactly ``json_text`` of the same data with
    each iterator as a list."""
    if not data:
        yield "{}\n"
        return
    yield "{"
    for n, (key, value) in enumerate(data.items()):
        yield f'{"," if n else ""}\n  {json.dumps(key, ensure_ascii=False)}: '
        if isinstance(value, (list, dict)) or not isinstance(value, Iterable) or isinstance(value, str):
            yield _nested(value)
        else:
            yield from _list_chunks(value)
    yield "\n}\n"


def _list_chunks(items: Iterable[Any]) -> Iterator[str]:
    """A list at the second level of indentation, an item at a time."""
    empty = True
    for item in items:
        yield f'{"[" if empty else ","}\n    {_nested(item, 4)}'
        empty = False
    yield "[]" if empty else "\n  ]"


def _nested(value: Any, depth: int = 2) -> str:
    """``value`` as indented JSON ``depth`` spaces in (JSON text never holds a raw line break)."""
    return json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False).replace("\n", "\n" + " " * depth)


def json_line(data: Any) -> str:
    """One line of JSONL."""
    return json.dumps(data, ensure_ascii=False, allow_nan=False) + "\n"


def yaml_text(data: Any) -> str:
    import yaml

    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def write_text(report: Report) -> str:
    return report.text()


def write_json(report: Report) -> str:
    return json_text(report.as_dict())


def write_yaml(report: Report) -> str:
    return yaml_text(report.as_dict())


def write_csv(report: Report) -> str:
    return csv_text(report.rows())


def write_jsonl(report: Report) -> str:
    """One JSON object per row, keyed by the header row."""
    header, *body = report.rows() or [[]]
    return "".join(json_line(dict(zip(header, row))) for row in body)


WRITERS: dict[str, Callable[[Report], str]] = {
    "text": write_text, "json": write_json, "yaml": write_yaml, "csv": write_csv, "jsonl": write_jsonl,
}


def write(report: Report, fmt: str) -> str:
    """``report`` in format ``fmt`` (one of ``WRITERS``)."""
    try:
        writer = WRITERS[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}: one of {', '.join(WRITERS)}") from None
    return writer(report)

