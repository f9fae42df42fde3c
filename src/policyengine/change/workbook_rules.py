"""The spreadsheet round trip: a rulebook's tables, matrices and thresholds as an
XLSX workbook a policy owner edits, and the edited values written back.

``export_rules_workbook`` writes a "Read me" sheet, then one sheet per element
(laid out by :mod:`.rules_sheets`), with drop-downs for the allowed values, a
frozen header, and every cell that is not a value locked (the sheets are
protected without a password: a guard against slips, not a lock).

``import_rules_workbook`` reads the workbook (python-calamine), lays out the
rulebook file again and compares the two cell by cell. Each changed value is
written into the file in place (:mod:`.yaml_edit`), changing nothing else;
the result is loaded and checked before it is written (atomically). Anything
else is refused with its sheet and cell, and nothing is written: a header, a
label or an axis value changed, a cell outside the layout filled in, a sheet
added or removed, or a rulebook changed since the export (the Read me sheet
holds its fingerprint; an old workbook would otherwise silently undo the
newer edits).
"""
from __future__ import annotations

import hashlib
import os
import zipfile
from dataclasses import dataclass
from typing import Any

from ..engine.load import MAX_RULEBOOK_BYTES, compose_yaml, decode, open_regular
from ..engine.pipeline import load_rulebook_text
from ..errors import Location, PolicyEngineError, RulebookInvalid, problems_of
from ..formats import AtomicOutput
from ..formats.spreadsheet import cell_text
from ..formats.workbook import WorkbookOutput
from .rules_sheets import READ_ME, SheetPlan, plan, reference
from .yaml_edit import Edit, splice

#: The Read me label whose value is the exported file's fingerprint (sha256 of its bytes).
FINGERPRINT = "fingerprint"
#: The Read me label whose value is the exported file's name.
FILE = "rulebook file"
#: Most bytes a rules workbook may unpack to (a zip bomb is refused before it is read).
MAX_UNPACKED = 64 << 20
HITS = ("unique", "any", "priority", "first", "rule_order", "output_order", "collect")
AGGREGATES = ("sum", "min", "max", "count")
#: Most characters a spreadsheet cell holds (Excel's limit).
MAX_CELL = 32_767
#: Longest list of choices a drop-down holds inline (Excel's limit).
MAX_CHOICES = 255
BOM = "\ufeff"


class RulesWorkbookError(PolicyEngineError):
    """A rules workbook that cannot be read, or an edit in it that cannot be made."""

    code = "xlsx.refused"


@dataclass(frozen=True)
class Change:
    """One value edited in the workbook: where, and from what to what."""

    sheet: str
    cell: str
    old: str
    new: str

    def __str__(self) -> str:
        return f"sheet {self.sheet}, cell {self.cell}: {self.old or '(empty)'} → {self.new}"


# -- out ---------------------------------------------------------------------------------
def export_rules_workbook(rulebook: str, output: str) -> list[SheetPlan]:
    """Write the rulebook file's tables, matrices and thresholds to ``output``; the sheets written."""
    from ..engine.pipeline import load_rulebook

    book = load_rulebook(rulebook)  # valid, and what the drop-downs offer
    raw, text = _read_rulebook(rulebook)
    sheets, left = plan(compose_yaml(text, rulebook))
    out = WorkbookOutput(output)
    try:
        styles = _styles(out.book)
        _read_me(out.book, book, rulebook, raw, sheets, left, styles)
        for sheet in sheets:
            _sheet(out.book.add_worksheet(sheet.name), sheet, book, styles, rulebook)
        out.commit()
    except BaseException:
        out.abort()
        raise
    return sheets


def _styles(workbook: Any) -> dict:
    grey = {"bg_color": "#E7E6E6", "text_wrap": True, "valign": "top"}
    return {"header": workbook.add_format({**grey, "bold": True, "bottom": 1}),
            "label": workbook.add_format({**grey, "bold": True}),
            "axis": workbook.add_format({**grey, "bold": True}),
            "value": workbook.add_format({"locked": False, "num_format": "@", "text_wrap": True, "valign": "top"}),
            "fixed": workbook.add_format(grey),
            "title": workbook.add_format({"bold": True, "font_size": 14}),
            "wrap": workbook.add_format({"text_wrap": True, "valign": "top"})}


def _read_me(workbook: Any, book: Any, rulebook: str, raw: bytes, sheets: list[SheetPlan], left: list[str],
             styles: dict) -> None:
    ws = workbook.add_worksheet(READ_ME)
    name = os.path.basename(rulebook)
    lines = [
        f"{book.meta.title}: its tables, matrices and thresholds ({book.meta.id} {book.meta.version})",
        "",
        "Each sheet is one table, matrix or threshold of the rulebook, laid out as the guidance lays it out.",
        "You may change the values in the white cells: a table's tests and answers, a matrix's cells, a "
        "threshold's bands, and each value beside its label at the top of a sheet (source, because, hit, …).",
        "Write a table's tests as the rulebook does: a value (red), a list of values (amber, green), a comparison "
        "(>= 18), a range ([15..30)), not(…), or - for any value. The drop-downs offer the allowed values.",
        "Leave the grey cells as they are, and add or remove no sheets, rows or columns: names, headers, a "
        "matrix's row and column values, and new rows are changed in the rulebook's YAML.",
        f"Then run: policyengine import xlsx THIS-FILE.xlsx --into {name}",
        "Only the values you changed are written into the rulebook; everything else in it stays as it is. The "
        "rulebook is checked first, and nothing is written if it would not be valid.",
        "",
        "Sheets: " + (", ".join(f"{s.name} ({s.title})" for s in sheets) or "none"),
        *(["Not laid out here (change them in the YAML): " + "; ".join(left)] if left else []),
        "",
    ]
    for row, line in enumerate(lines):
        ws.write_string(row, 0, line, styles["title"] if row == 0 else styles["wrap"])
    ws.write_string(len(lines), 0, FILE, styles["label"])
    ws.write_string(len(lines), 1, name)
    ws.write_string(len(lines) + 1, 0, FINGERPRINT, styles["label"])
    ws.write_string(len(lines) + 1, 1, hashlib.sha256(raw).hexdigest())
    ws.set_column(0, 0, 110)
    ws.set_column(1, 1, 70)


def _sheet(ws: Any, sheet: SheetPlan, book: Any, styles: dict, rulebook: str) -> None:
    widths: dict[int, int] = {}
    for (row, col), cell in sorted(sheet.cells.items()):
        style = styles["value"] if cell.node is not None else styles.get(cell.kind, styles["fixed"])
        if len(cell.text) > MAX_CELL:  # XlsxWriter would cut it short, and the import would write it back so
            raise RulesWorkbookError(f"the {sheet.title} holds a value of more than {MAX_CELL:,} characters, more "
                                     "than a spreadsheet cell holds: change it in the YAML",
                                     Location(rulebook, cell.node.start_mark.line + 1 if cell.node else None))
        if cell.text:
            ws.write_string(row, col, cell.text, style)
        else:
            ws.write_blank(row, col, None, style)
        widths[col] = max(widths.get(col, 8), min(len(cell.text) + 2, 60))
        if cell.node is not None and cell.column:
            _drop_down(ws, row, col, cell.column, sheet, book)
    for col, width in widths.items():
        ws.set_column(col, col, width)
    if sheet.header is not None:
        ws.freeze_panes(sheet.header + 1, sheet.fixed_columns if sheet.section == "matrices" else 0)
    ws.protect("", {"format_columns": True, "format_rows": True})


def _drop_down(ws: Any, row: int, col: int, column: str, sheet: SheetPlan, book: Any) -> None:
    if column in ("hit", "aggregate"):
        choices, style = list(HITS if column == "hit" else AGGREGATES), "stop"
    elif column.startswith("in:"):
        found = _domain(book, column[3:])
        choices, style = (["-", *found] if found else []), "information"
    else:
        choices, style = _domain(book, column), "warning"
    if choices and "," not in "".join(choices) and len(",".join(choices)) <= MAX_CHOICES:
        ws.data_validation(row, col, row, col, {
            "validate": "list", "source": choices, "error_type": style,
            "error_title": "Not one of the allowed values",
            "error_message": "The rulebook is checked when the workbook is imported."})


def _domain(book: Any, name: str) -> list[str]:
    """The values a name may take, as cells write them: an enum's, yes/no's, an element's outcomes."""
    spec = book.inputs.get(name)
    if spec is not None:
        return (list(spec.values) if spec.type == "enum" else ["true", "false"] if spec.type == "boolean" else [])
    element = book.producers.get(name)
    values = [v for v in (element.domain or ()) if v is not None] if element is not None else []
    return ["true" if v is True else "false" if v is False else str(v) for v in values]


# -- in ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Imported:
    """What an import changed (nothing written when there is no change)."""

    rulebook: str
    changes: list[Change]


def import_rules_workbook(workbook: str, rulebook: str) -> Imported:
    """Write the values edited in ``workbook`` into the rulebook file ``rulebook``, changing
    nothing else, once the result is valid. Refused (RulebookInvalid, one problem per cell,
    nothing written) if anything but values was changed or the result is not valid."""
    raw, text = _read_rulebook(rulebook)
    root = compose_yaml(text, rulebook)
    sheets, _ = plan(root)
    found = _read_workbook(workbook)
    where = Location(workbook)
    problems = _check_read_me(found, raw, rulebook, where)
    if problems:  # the cells cannot be compared with a rulebook they did not come from
        raise RulebookInvalid(problems)
    problems += _check_sheets(found, sheets, where)
    edits: list[tuple[Edit, Change]] = []
    for sheet in sheets:
        if sheet.name in found:
            problems += _compare(sheet, found[sheet.name], edits, where)
    if problems:
        raise RulebookInvalid(problems)
    if not edits:
        return Imported(rulebook, [])
    new_text, written = splice(text, root, [e for e, _ in edits], rulebook)
    _validate(new_text, rulebook, written, edits, sheets, where)
    AtomicOutput.write_all(rulebook, ((BOM if raw.startswith(BOM.encode()) else "") + new_text).encode("utf-8"))
    return Imported(rulebook, [c for _, c in edits])


def _check_read_me(found: dict, raw: bytes, rulebook: str, where: Location) -> list[PolicyEngineError]:
    cells = found.get(READ_ME)
    if cells is None:
        return [RulesWorkbookError(f"the workbook has no `{READ_ME}` sheet: it was not written by "
                                   "`policyengine export xlsx`, or the sheet was removed", where)]
    rows = {cells.get((r, 0)): cells.get((r, 1), "") for r, _ in cells}
    if rows.get(FINGERPRINT) == hashlib.sha256(raw).hexdigest():
        return []
    source, name = rows.get(FILE), os.path.basename(rulebook)
    if source and source != name:
        return [RulesWorkbookError(f"this workbook was exported from the rulebook {source}, not {name}: import it "
                                   f"into the rulebook it came from", where)]
    return [RulesWorkbookError(
            f"the rulebook {os.path.basename(rulebook)} has changed since this workbook was exported from it (or "
            f"the workbook's fingerprint on its `{READ_ME}` sheet was changed): importing it would undo the "
            "newer changes, so export the workbook again and make the edits there", where)]


def _check_sheets(found: dict, sheets: list[SheetPlan], where: Location) -> list[PolicyEngineError]:
    names = {s.name for s in sheets}
    out: list[PolicyEngineError] = [
        RulesWorkbookError(f"sheet {s.name}, the {s.title}, was removed from the workbook: an element is "
                           "removed in the rulebook's YAML", where) for s in sheets if s.name not in found]
    out += [RulesWorkbookError(f"sheet {name} was added to the workbook: new tables, matrices and thresholds "
                               "are added in the rulebook's YAML", where)
            for name in found if name not in names and name != READ_ME]
    return out


def _compare(sheet: SheetPlan, cells: dict, edits: list, where: Location) -> list[PolicyEngineError]:
    problems: list[PolicyEngineError] = []
    for row, col in sorted(set(sheet.cells) | set(cells)):
        want, got = sheet.cells.get((row, col)), cells.get((row, col), "")
        if got == (want.text if want else ""):
            continue
        at = f"sheet {sheet.name}, cell {reference(row, col)}"
        if want is None:
            why = (f"this cell is outside the {sheet.title}: rows and columns are added in the rulebook's YAML, "
                   "not in the workbook")
        elif want.node is None:
            why = f"the cell was changed, but {want.fixed}"
        elif not got:
            why = ("the cell was emptied, but a value is removed in the rulebook's YAML (in a table's test, "
                   "write - for any value)")
        else:
            edits.append((Edit(want.node, got, want.flow), Change(sheet.name, reference(row, col), want.text, got)))
            continue
        problems.append(RulesWorkbookError(f"{at}: {why}", where))
    return problems


def _validate(text: str, rulebook: str, written: list, edits: list, sheets: list[SheetPlan],
              where: Location) -> None:
    """Load the edited rulebook; each problem refused at the cells whose edits it stands on."""
    try:
        load_rulebook_text(text, name=rulebook, base_dir=os.path.dirname(os.path.abspath(rulebook)))
    except PolicyEngineError as exc:
        raise RulebookInvalid([_at_cells(p, rulebook, written, edits, sheets, where)
                               for p in problems_of(exc)]) from None


def _at_cells(problem: PolicyEngineError, rulebook: str, written: list, edits: list, sheets: list[SheetPlan],
              where: Location) -> PolicyEngineError:
    """A problem of the edited rulebook said at the edited cell on its line, or else at
    the edited cells of the element it is in (a table's gap is said at the table)."""
    changes = dict(edits)
    line = problem.line if problem.file == rulebook else None
    cells = [changes[w.edit] for w in written if w.line == line]
    if not cells and line is not None:
        inside = {s.name for s in sheets if s.lines[0] <= line <= s.lines[1]}
        cells = [c for c in changes.values() if c.sheet in inside]
    if cells:
        named = ", ".join(c.cell for c in cells)
        message = f"sheet {cells[0].sheet}, cell{'s' if len(cells) > 1 else ''} {named}: {problem.message}"
    else:
        edited = "; ".join(f"sheet {c.sheet}, cell {c.cell}" for c in changes.values())
        message = (f"with the edits ({edited}) the rulebook would not be valid: {problem.message}"
                   + (f" (line {line} of {os.path.basename(rulebook)} as edited)" if line else ""))
    return RulesWorkbookError(message, where, code=problem.code)


def _read_rulebook(path: str) -> tuple[bytes, str]:
    """The rulebook file's bytes (its fingerprint) and its text (a byte-order mark kept out)."""
    from ..errors import YamlError

    try:
        with open_regular(path) as fh:
            raw = fh.read(MAX_RULEBOOK_BYTES + 1)
    except OSError as exc:
        raise YamlError(f"cannot read the file: {exc.strerror}", Location(path)) from None
    if len(raw) > MAX_RULEBOOK_BYTES:
        raise YamlError(f"the file is over the limit of {MAX_RULEBOOK_BYTES:,} bytes", Location(path))
    return raw, decode(raw, path)


def _read_workbook(path: str) -> dict[str, dict[tuple[int, int], str]]:
    """Every sheet's non-empty cells as text, by (row, column), 0-based, in the workbook's order."""
    from python_calamine import CalamineWorkbook

    where = Location(path)
    try:
        with zipfile.ZipFile(path) as z:
            if sum(info.file_size for info in z.infolist()) > MAX_UNPACKED:
                raise RulesWorkbookError(f"the workbook unpacks to more than {MAX_UNPACKED >> 20} MB, far more "
                                         "than a rulebook's tables need", where)
        book = CalamineWorkbook.from_path(path)
    except FileNotFoundError:
        raise RulesWorkbookError("cannot read the file: No such file or directory", where) from None
    except RulesWorkbookError:
        raise
    except Exception:  # calamine and zipfile raise their own errors (and OSError) for a broken file
        raise RulesWorkbookError("the file cannot be read as an XLSX workbook: open it in a spreadsheet and save "
                                 "it again as Excel Workbook (.xlsx)", where) from None
    out: dict[str, dict[tuple[int, int], str]] = {}
    for name in book.sheet_names:
        rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        out[name] = {(r, c): text for r, cells in enumerate(rows) for c, value in enumerate(cells)
                     if (text := cell_text(value))}
    return out


__all__ = ["Change", "Imported", "RulesWorkbookError", "export_rules_workbook", "import_rules_workbook"]
