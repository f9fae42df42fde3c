"""DMN in: the decision tables of a DMN 1.2–1.5 model as a rulebook.

``import_dmn(path)`` reads a model's input data, item definitions (allowed
values), and decisions whose logic is a decision table, and writes them as a
rulebook: input data become inputs, each decision table a ``tables:`` entry
with its hit policy, columns, rows and output values, every name turned into
the rulebook's ``snake_case``, the original kept as its label (``labels:``). A table's cells keep their FEEL simple unary tests,
which the table construct reads with DMN's meaning. Anything outside that
subset (a literal expression, a boxed context, an input expression that is not
a name) is refused with where it is in the model, never silently dropped.

The XML is read with defusedxml: a model is untrusted input, and no entity,
DTD or external reference in it is ever expanded or fetched.
"""
from __future__ import annotations

import datetime as _dt
import re
from typing import Any

from ..engine.constructs.unary import CellError, split_tests
from ..errors import Location, PolicyEngineError

#: DMN's hit policies, as the table construct names them.
HIT_POLICIES = {"UNIQUE": "unique", "ANY": "any", "PRIORITY": "priority", "FIRST": "first",
                "RULE ORDER": "rule_order", "OUTPUT ORDER": "output_order", "COLLECT": "collect"}
AGGREGATIONS = {"SUM": "sum", "MIN": "min", "MAX": "max", "COUNT": "count"}
TYPES = {"number": "integer", "string": "string", "boolean": "boolean", "date": "date"}


class DmnError(PolicyEngineError):
    """A model that cannot be read, or that uses DMN outside the supported subset."""

    code = "dmn.unsupported"


def snake(name: str) -> str:
    """A DMN name as a rulebook name: "Approval Status" → approval_status."""
    out = re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")
    return out if out and out[0].isalpha() else f"n_{out}"


def import_dmn(path: str) -> dict:
    """The rulebook (a mapping, ready to write as YAML) of the DMN model at ``path``."""
    root = _parse(path)
    ns = {"m": root.tag[1:].split("}")[0]} if root.tag.startswith("{") else {"m": ""}
    model = _Model(path, root, ns)
    return model.rulebook()


def write_rulebook(path: str, output: str) -> dict:
    """Import the DMN model at ``path`` and write it to ``output`` (never over an
    existing file), checking that it loads; the rulebook's data."""
    import os

    import yaml

    from ..engine.pipeline import load_rulebook_text
    from ..formats import AtomicOutput

    data = import_dmn(path)
    class Dumper(yaml.SafeDumper):
        pass

    def flow_rows(dumper, items):  # a row, a list of values: one line, as a table row reads
        flat = all(not isinstance(x, (list, dict)) for x in items)
        return dumper.represent_sequence("tag:yaml.org,2002:seq", items, flow_style=flat)

    Dumper.add_representer(list, flow_rows)
    text = (f"# Imported from the DMN model {os.path.basename(path)} by `policyengine import dmn`.\n"
            + yaml.dump(data, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=120))
    load_rulebook_text(text, name=output, base_dir=os.path.dirname(os.path.abspath(output)))
    if os.path.exists(output):
        raise DmnError("the file already exists; import will not overwrite it", Location(output))
    AtomicOutput.write_all(output, text, exclusive=True)
    return data


def _parse(path: str) -> Any:
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    try:
        return ElementTree.parse(path).getroot()
    except OSError as exc:
        raise DmnError(f"cannot read the model: {exc.strerror or type(exc).__name__}", Location(path)) from None
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        line = getattr(exc, "position", (None,))[0]
        raise DmnError("the model is not well-formed XML, or holds an entity or DTD (refused)",
                       Location(path, line)) from None


class _Model:
    def __init__(self, path: str, root: Any, ns: dict) -> None:
        self.path, self.root, self.ns = path, root, ns
        self.items = {el.get("name"): el for el in self._all("itemDefinition")}

    def _all(self, tag: str, under: Any = None) -> list:
        return (under if under is not None else self.root).findall(f"m:{tag}", self.ns)

    def _one(self, tag: str, under: Any) -> Any:
        return under.find(f"m:{tag}", self.ns)

    def _text(self, under: Any, tag: str = "text") -> str | None:
        found = self._one(tag, under) if under is not None else None
        return None if found is None or found.text is None else found.text.strip()

    def _named(self, element: Any, taken: dict[str, str]) -> str:
        """The rulebook's name for ``element``, refused if another of the model's names reads as it
        too (``Age`` and ``AGE``): merged, one table column would silently read the other's answer."""
        model_name = element.get("name") or ""
        name = snake(model_name)
        if name in taken:
            raise self._fail(f"the model's names `{model_name}` and `{taken[name]}` both read as the rulebook's "
                             f"name `{name}`: rename one in the model", element)
        taken[name] = model_name
        return name

    def _fail(self, message: str, element: Any) -> DmnError:
        where = element.get("name") or element.get("id") or element.tag.split("}")[-1]
        return DmnError(f"{message} (at `{where}`)", Location(self.path, None, None, where))

    def rulebook(self) -> dict:
        name = self.root.get("name") or "model"
        inputs: dict[str, Any] = {"case_id": {"type": "string", "required": True,
                                              "question": "What is the case reference?"}}
        labels: dict[str, str] = {}
        taken: dict[str, str] = {}
        for data in self._all("inputData"):
            inputs[self._named(data, taken)] = self._input(data)
            labels[snake(data.get("name"))] = data.get("label") or data.get("name")
        tables: dict[str, Any] = {}
        for decision in self._all("decision"):
            table = self._one("decisionTable", decision)
            if table is None:
                raise self._fail("only decisions whose logic is a decision table can be imported", decision)
            tables[self._named(decision, taken)] = self._table(decision, table, inputs)
            labels[snake(decision.get("name"))] = decision.get("label") or decision.get("name")
        today = _dt.date.today()
        return {
            "rulebook": {"id": snake(name), "title": name, "council": "(imported from a DMN model)",
                         "version": "1", "effective_from": today.isoformat(),
                         "review_by": today.replace(year=today.year + 1).isoformat(),
                         "sources": {"dmn": {"title": f"DMN model {name}"}}},
            # The model's own names, where the rulebook's snake_case differs from them.
            **({"labels": kept} if (kept := {n: label for n, label in labels.items() if label != n}) else {}),
            "inputs": inputs,
            "tables": tables,
            "outcomes": list(tables),
        }

    def _input(self, data: Any) -> dict:
        variable = self._one("variable", data)
        type_ref = variable.get("typeRef") if variable is not None else None
        spec: dict[str, Any] = {"question": f"{data.get('label') or data.get('name')}?"}
        allowed = self._allowed(type_ref)
        if allowed is not None:
            spec.update(type="enum", values=allowed)
        elif self._base(type_ref) in TYPES:
            spec["type"] = TYPES[self._base(type_ref)]
        else:
            raise self._fail(f"input data of type `{type_ref}` cannot be imported (only number, string, "
                             "boolean, date and their allowed values)", data)
        return spec

    def _base(self, type_ref: str | None) -> str | None:
        """A type's base type: a built-in, or an item definition's own typeRef."""
        seen = set()
        while type_ref in self.items and type_ref not in seen:
            seen.add(type_ref)
            type_ref = self._text(self.items[type_ref], "typeRef")
        return type_ref

    def _allowed(self, type_ref: str | None) -> list | None:
        item = self.items.get(type_ref)
        text = self._text(self._one("allowedValues", item)) if item is not None else None
        return None if text is None else self._values(text, item)

    def _values(self, text: str, element: Any) -> list:
        """A comma-separated list of FEEL values (as a table cell splits its tests), unquoted."""
        try:
            return [_unquote(v) for v in split_tests(text)]
        except CellError as exc:
            raise self._fail(f"a list of allowed values {exc}", element) from None

    def _table(self, decision: Any, table: Any, inputs: dict) -> dict:
        hit = table.get("hitPolicy", "UNIQUE")
        if hit not in HIT_POLICIES:
            raise self._fail(f"hit policy `{hit}` is not one DMN defines", decision)
        spec: dict[str, Any] = {"hit": HIT_POLICIES[hit], "source": f"dmn {decision.get('name')}",
                                "because": f"DMN decision “{decision.get('name')}”"}
        if table.get("aggregation"):
            spec["aggregate"] = AGGREGATIONS[table.get("aggregation")]
        spec["inputs"] = [self._column(column, decision, inputs) for column in self._all("input", table)]
        outputs = self._all("output", table)
        names = [snake(o.get("name") or decision.get("name")) for o in outputs]
        values = [self._output_values(o) for o in outputs]
        if len(outputs) > 1:
            spec["outputs"] = dict(zip(names, values))
        elif values[0] is not None:
            spec["values"] = values[0]
        spec["rows"] = [self._row(rule) for rule in self._all("rule", table)]
        defaults = [self._text(self._one("defaultOutputEntry", o)) for o in outputs]
        if spec["hit"] in ("unique", "any", "priority", "first"):
            # DMN: no rule applies → the default output entry, or null
            given = [None if d is None else _cell(d) for d in defaults]
            value = given if len(outputs) > 1 else given[0]
            spec["otherwise"] = {"value": value, "because": "no rule of the DMN table applies"}
        return spec

    def _column(self, column: Any, decision: Any, inputs: dict) -> str:
        expression = self._text(self._one("inputExpression", column))
        if not expression or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_ ]*", expression):
            raise self._fail("an input expression that is not a name cannot be imported", column)
        name = snake(expression)
        allowed = self._text(self._one("inputValues", column))
        spec = inputs.get(name)
        if allowed is not None and spec is not None and spec["type"] == "string":
            spec.update(type="enum", values=self._values(allowed, column))  # the column's values
        return name

    def _output_values(self, output: Any) -> list | None:
        text = self._text(self._one("outputValues", output))
        if text is None and output.get("typeRef"):
            return self._allowed(output.get("typeRef"))
        return None if text is None else self._values(text, output)

    def _row(self, rule: Any) -> Any:
        cells = [self._text(e) or "-" for e in self._all("inputEntry", rule)]
        outs = [_cell(self._text(e) or "null") for e in self._all("outputEntry", rule)]
        row = [*[_input_cell(c) for c in cells], *outs]
        description = self._text(rule, "description")
        return {"row": row, "because": description} if description else row


def _unquote(text: str) -> Any:
    text = text.strip()
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else _cell(text)


def _cell(text: str) -> Any:
    """An output entry as the table construct reads it: quoted text stays quoted
    (so "true" the text is not true the value), numbers and true/false/null as themselves."""
    text = text.strip()
    if text in ("true", "false"):
        return text == "true"
    if text == "null":
        return None
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+\.\d+", text):
        return float(text)
    return text


def _input_cell(text: str) -> Any:
    """An input entry as written (the table construct parses DMN's simple tests)."""
    text = text.strip()
    return text if text else "-"


__all__ = ["DmnError", "export_dmn", "import_dmn", "snake", "write_rulebook"]


# -- DMN out ---------------------------------------------------------------------------
DMN13 = "https://www.omg.org/spec/DMN/20191111/MODEL/"
FEEL_TYPES = {"integer": "number", "string": "string", "boolean": "boolean", "date": "date", "enum": "string"}


def export_dmn(book: Any) -> str:
    """The rulebook's tables, matrices and thresholds as the decision tables of a
    DMN 1.3 model (XML). What they read becomes input data (an element that is
    not exported is an input to the model); other constructs are left out and
    named in a comment. Refuses a table column that is an expression, not a name."""
    from xml.etree import ElementTree as ET

    ET.register_namespace("", DMN13)
    root = ET.Element(f"{{{DMN13}}}definitions", {"name": book.meta.title, "id": f"_{book.meta.id}",
                                                   "namespace": f"urn:policyengine:{book.meta.id}"})
    tables, skipped = {}, []
    for kind in ("thresholds", "matrices", "tables"):
        for name, spec in (book.data.get(kind) or {}).items():
            table = _as_table(book, kind, name, spec)
            if "when" in spec and not _guarded(table, spec["when"]):
                skipped.append(f"{kind} {name} (its `when:` is not a name compared with one value)")
                continue
            tables[name] = table
    read = {col for spec in tables.values() for col in spec["inputs"]}
    for name in sorted(read - set(tables), key=lambda n: list(book.inputs).index(n) if n in book.inputs else 999):
        _input_data(ET, root, book, name)
    for name, spec in tables.items():
        _decision(ET, root, name, spec, tables, book.labels)
    left = [f"{kind} {name}" for kind in book.data if kind in ("factors", "decisions", "reserved_tasks",
                                                                  "cadences", "checklists")
            for name in book.data[kind] or {}] + skipped
    ET.indent(root)
    text = ET.tostring(root, encoding="unicode", xml_declaration=False)
    note = (f"<!-- Exported from rulebook {book.meta.id} {book.meta.version} (sha256 {book.sha256}) by policyengine. "
            f"Not exported (DMN decision tables cannot hold them): {', '.join(left) or 'nothing'}. -->\n")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + note + text + "\n"


def _as_table(book: Any, kind: str, name: str, spec: dict) -> dict:
    """A threshold, matrix or table as one shape: hit, inputs, rows of FEEL cells, outputs."""
    if kind == "tables":
        for column in spec["inputs"]:
            if not re.fullmatch(r"[a-z][a-z0-9_]*", str(column)):
                raise DmnError(f"table `{name}` has a column that is an expression, which DMN's input data "
                               "cannot hold: name it as an element first", Location(book.path, None, None, name))
        rows = [[_feel_test(c) for c in _cells(r)[:len(spec["inputs"])]] + [_feel_value(v) for v in
                _cells(r)[len(spec["inputs"]):]] for r in spec["rows"]]
        return {"hit": spec.get("hit", "unique"), "aggregate": spec.get("aggregate"), "inputs": list(spec["inputs"]),
                "outputs": list(spec.get("outputs") or [name]), "rows": rows, "values": spec.get("values")}
    if kind == "matrices":
        rows = [[_feel_value(k) for k in keys] + [_feel_value(v)] for keys, v in _matrix_cells(spec["cells"])]
        return {"hit": "unique", "aggregate": None, "inputs": list(spec["by"]), "outputs": [name], "rows": rows,
                "values": None}
    if "at_least" in spec:
        n = spec["at_least"]
        rows = [[f">= {n}", "true"], [f"< {n}", "false"]]
    else:
        rows = [[_band(b), _feel_value(b["value"])] for b in spec["bands"]]
    return {"hit": "unique", "aggregate": None, "inputs": [str(spec["of"])], "outputs": [name], "rows": rows,
            "values": None}


def _guarded(table: dict, when: Any) -> bool:
    """A `when: name == 'value'` as a first column: every row tests it, and a last row
    gives null (not applicable) for any other value. False for any other condition."""
    found = re.fullmatch(r"\s*([a-z][a-z0-9_]*)\s*==\s*'([^']*)'\s*", str(when))
    if not found or table["hit"] not in ("unique", "any", "priority", "first"):
        return False
    name, value = found.group(1), _feel_value(found.group(2))
    width = len(table["outputs"])
    table["rows"] = [[value, *row] for row in table["rows"]] + [[f"not({value})", *["-"] * len(table["inputs"]),
                                                                  *["null"] * width]]
    table["inputs"] = [name, *table["inputs"]]
    return True


def _cells(row: Any) -> list:
    return row["row"] if isinstance(row, dict) else row


def _matrix_cells(node: Any, keys: tuple = ()):
    if isinstance(node, dict):
        for key, below in node.items():
            yield from _matrix_cells(below, (*keys, key))
    else:
        yield keys, node


def _band(band: dict) -> str:
    low, high = band.get("from"), band.get("to")
    if low is None:
        return f"<= {high}"
    return f">= {low}" if high is None else f"[{low}..{high}]"


def _feel_value(value: Any) -> str:
    """A value as FEEL writes it: text quoted, yes/no as true/false, dates as date("...")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, _dt.date):
        return f'date("{value.isoformat()}")'
    text = str(value)
    return text if len(text) >= 2 and text[0] == text[-1] == '"' else '"' + text.replace('"', '\\"') + '"'


def _feel_test(cell: Any) -> str:
    """A table cell as a FEEL simple test: a bare enum value quoted, a list as a list of tests."""
    if isinstance(cell, list):
        return ",".join(_feel_test(c) for c in cell)
    if not isinstance(cell, str):
        return _feel_value(cell)
    text = cell.strip()
    if text in ("-", ""):
        return "-"
    if text.startswith("not(") and text.endswith(")"):
        return f"not({_feel_test(text[4:-1])})"
    return ",".join(p if re.match(r'^(<=|>=|<|>|=|!=|\[|\(|\]|"|-?\d|true$|false$|null$|date\()', p)
                    else _feel_value(p) for p in split_tests(text))


def _input_data(ET: Any, root: Any, book: Any, name: str) -> None:
    data = ET.SubElement(root, f"{{{DMN13}}}inputData", {"name": name, "id": f"input_{name}",
                                                         "label": book.labels.of(name)})
    type_ref, allowed_values = _feel_type(book, name)
    if allowed_values is not None:
        type_ref = f"t_{name}"
        item = ET.Element(f"{{{DMN13}}}itemDefinition", {"name": type_ref})
        ET.SubElement(item, f"{{{DMN13}}}typeRef").text = "string"
        allowed = ET.SubElement(item, f"{{{DMN13}}}allowedValues")
        ET.SubElement(allowed, f"{{{DMN13}}}text").text = ", ".join(_feel_value(v) for v in allowed_values)
        root.insert(0, item)
    ET.SubElement(data, f"{{{DMN13}}}variable", {"name": name, "typeRef": type_ref})


def _feel_type(book: Any, name: str) -> tuple[str, list | None]:
    """The FEEL type of a name the exported tables read, and its allowed values (an enum's)."""
    spec = book.inputs.get(name)
    if spec is not None:
        return FEEL_TYPES.get(spec.type, "Any"), list(spec.values) if spec.type == "enum" else None
    element = book.producers.get(name)
    domain = [d for d in (element.domain or ()) if d is not None] if element is not None else []
    if element is not None and element.value_kind == "count":
        return "number", None
    if domain and all(isinstance(d, bool) for d in domain):
        return "boolean", None
    if domain and all(isinstance(d, str) for d in domain):
        return "string", domain
    return "Any", None


def _decision(ET: Any, root: Any, name: str, spec: dict, tables: dict, labels: Any) -> None:
    decision = ET.SubElement(root, f"{{{DMN13}}}decision", {"name": name, "id": f"decision_{name}",
                                                            "label": labels.of(name)})
    ET.SubElement(decision, f"{{{DMN13}}}variable", {"name": name})
    for column in dict.fromkeys(spec["inputs"]):
        need = ET.SubElement(decision, f"{{{DMN13}}}informationRequirement")
        kind, prefix = ("requiredDecision", "decision") if column in tables else ("requiredInput", "input")
        ET.SubElement(need, f"{{{DMN13}}}{kind}", {"href": f"#{prefix}_{column}"})
    hit = {v: k for k, v in HIT_POLICIES.items()}[spec["hit"]]
    table = ET.SubElement(decision, f"{{{DMN13}}}decisionTable", {"hitPolicy": hit, "id": f"table_{name}"})
    if spec["aggregate"]:
        table.set("aggregation", spec["aggregate"].upper())
    for i, column in enumerate(spec["inputs"]):
        clause = ET.SubElement(table, f"{{{DMN13}}}input", {"id": f"{name}_in_{i}", "label": labels.of(column)})
        ET.SubElement(ET.SubElement(clause, f"{{{DMN13}}}inputExpression"), f"{{{DMN13}}}text").text = column
    outputs = spec["outputs"] if isinstance(spec["outputs"], list) else list(spec["outputs"])
    for i, out in enumerate(outputs):
        clause = ET.SubElement(table, f"{{{DMN13}}}output", {"id": f"{name}_out_{i}", "name": out})
        values = spec["values"] if len(outputs) == 1 else None
        if values:
            ET.SubElement(ET.SubElement(clause, f"{{{DMN13}}}outputValues"), f"{{{DMN13}}}text").text = \
                ", ".join(_feel_value(v) for v in values)
    width = len(spec["inputs"])
    for r, row in enumerate(spec["rows"]):
        rule = ET.SubElement(table, f"{{{DMN13}}}rule", {"id": f"{name}_rule_{r + 1}"})
        for cell in row[:width]:
            ET.SubElement(ET.SubElement(rule, f"{{{DMN13}}}inputEntry"), f"{{{DMN13}}}text").text = cell
        for cell in row[width:]:
            ET.SubElement(ET.SubElement(rule, f"{{{DMN13}}}outputEntry"), f"{{{DMN13}}}text").text = cell
