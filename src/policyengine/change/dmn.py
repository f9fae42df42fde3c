"""DMN in: the decision tables of a DMN 1.2–1.5 model as a rulebook.

``import_dmn(path)`` reads a model's input data, item definitions (allowed
values), and decisions whose logic is a decision table, and writes them as a
rulebook: input data become inputs, each decision table a ``tables:`` entry
with its hit policy, columns, rows and output values, every name turned into
the rulebook's ``snake_case`` (the original kept as the input's question or
the table's ``because``). A table's cells keep their FEEL simple unary tests,
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

    def _fail(self, message: str, element: Any) -> DmnError:
        where = element.get("name") or element.get("id") or element.tag.split("}")[-1]
        return DmnError(f"{message} (at `{where}`)", Location(self.path, None, None, where))

    def rulebook(self) -> dict:
        name = self.root.get("name") or "model"
        inputs: dict[str, Any] = {"case_id": {"type": "string", "required": True,
                                              "question": "What is the case reference?"}}
        for data in self._all("inputData"):
            inputs[snake(data.get("name"))] = self._input(data)
        tables: dict[str, Any] = {}
        for decision in self._all("decision"):
            table = self._one("decisionTable", decision)
            if table is None:
                raise self._fail("only decisions whose logic is a decision table can be imported", decision)
            tables[snake(decision.get("name"))] = self._table(decision, table, inputs)
        today = _dt.date.today()
        return {
            "rulebook": {"id": snake(name), "title": name, "council": "(imported from a DMN model)",
                         "version": "1", "effective_from": today.isoformat(),
                         "review_by": today.replace(year=today.year + 1).isoformat(),
                         "sources": {"dmn": {"title": f"DMN model {name}"}}},
            "inputs": inputs,
            "tables": tables,
            "outcomes": list(tables),
        }

    def _input(self, data: Any) -> dict:
        variable = self._one("variable", data)
        type_ref = variable.get("typeRef") if variable is not None else None
        spec: dict[str, Any] = {"question": f"{data.get('name')}?"}
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
        return None if text is None else [_unquote(v) for v in _values(text)]

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
            spec.update(type="enum", values=[_unquote(v) for v in _values(allowed)])  # the column's values
        return name

    def _output_values(self, output: Any) -> list | None:
        text = self._text(self._one("outputValues", output))
        if text is None and output.get("typeRef"):
            return self._allowed(output.get("typeRef"))
        return None if text is None else [_unquote(v) for v in _values(text)]

    def _row(self, rule: Any) -> Any:
        cells = [self._text(e) or "-" for e in self._all("inputEntry", rule)]
        outs = [_cell(self._text(e) or "null") for e in self._all("outputEntry", rule)]
        row = [*[_input_cell(c) for c in cells], *outs]
        description = self._text(rule, "description")
        return {"row": row, "because": description} if description else row


def _values(text: str) -> list[str]:
    """A comma-separated list of FEEL values, commas inside quotes kept."""
    return [v.strip() for v in re.findall(r'"[^"]*"|[^,]+', text) if v.strip()]


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


__all__ = ["DmnError", "import_dmn", "snake", "write_rulebook"]
