"""An empty caseload a council can fill in: the rulebook's columns, in question order.

The XLSX template holds each column's question in its header's comment, a
drop-down for every enum and yes-or-no column, whole-number and date
validation where the field is one, and text formatting on text columns (so
a case id typed as 0012345 keeps its zeros). The CSV template is the header
row alone. Either, filled in, is read back as any caseload is.
"""
from __future__ import annotations

import os
from typing import IO, TYPE_CHECKING

from ..formats.atomic import AtomicOutput
from ..formats.spreadsheet import csv_text
from ..formats.workbook import TemplateColumn, write_template
from .output import BOM

if TYPE_CHECKING:
    from ..engine.compile import Rulebook

#: The formats a template is written in, by the output's extension.
TEMPLATE_FORMATS = ("xlsx", "csv")


def template_columns(book: Rulebook) -> list[TemplateColumn]:
    """Every input of the rulebook as a template column, in the rulebook's order."""
    columns = []
    for name, spec in book.inputs.items():
        kind, choices = spec.type, ()
        if spec.type == "boolean":
            choices = ("yes", "no")
        elif spec.type == "enum":
            choices = tuple(spec.values)
        note = spec.question + (" (required)" if spec.required else "")
        if spec.type == "list":
            note += f" One or more of: {', '.join(spec.values)}, separated by ;"
        columns.append(TemplateColumn(name, note, kind, choices, spec.minimum, spec.maximum))
    return columns


def write_caseload_template(book: Rulebook, fmt: str, path: str | os.PathLike | None = None, *,
                            stream: IO[bytes] | None = None) -> None:
    """Write the template as ``fmt`` (xlsx or csv) to ``path``, whole or not at
    all, or to a binary ``stream``."""
    if fmt not in TEMPLATE_FORMATS:
        raise ValueError(f"a template is written as {' or '.join(TEMPLATE_FORMATS)}, not {fmt!r}")
    path = os.fspath(path) if path is not None else None
    columns = template_columns(book)
    if fmt == "xlsx":
        write_template(path, f"{book.meta.id} caseload", columns, stream=stream)
        return
    text = BOM + csv_text([[c.name for c in columns]], line_end="\r\n")
    if path:
        AtomicOutput.write_all(path, text)
    else:
        stream.write(text.encode("utf-8"))
