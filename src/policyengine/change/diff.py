"""A semantic diff between two rulebooks, named as a policy owner names things.

"threshold complex: 3 or more → 2 or more", "matrix rag: support none × risk
low: amber → red", "decision contact_interval otherwise: 1 month → 14 days":
each change is an element that was added, removed or changed, with what
changed in it and the paragraph it cites. Not a text diff: moving an element
or reformatting the YAML changes nothing.
"""
from __future__ import annotations

import datetime as _dt
import itertools
import re
from dataclasses import dataclass
from typing import Any

from ..engine.compile import Rulebook
from ..engine.constructs import CONSTRUCTS
from ..engine.values import words
from ..engine.validate import plain

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

#: Each section with named elements, and what one of them is called: "threshold complex".
SECTIONS = {"inputs": "input", **{c.section: c.noun for c in CONSTRUCTS}, "documents": "document"}


@dataclass(frozen=True)
class Change:
    kind: str      # added, removed or changed
    element: str   # "threshold complex"
    detail: str    # "3 or more → 2 or more"
    source: str | None

    def __str__(self) -> str:
        text = f"{self.element}: {self.detail}" if self.detail else self.element
        return f"{self.kind:<8} {text}" + (f"  [{self.source}]" if self.source else "")

    def as_dict(self) -> dict:
        return {"kind": self.kind, "element": self.element, "detail": self.detail, "source": self.source}


def diff(a: dict, b: dict) -> list[Change]:
    """Changes from rulebook data ``a`` to ``b`` (effective, merged data)."""
    a, b = plain(a), plain(b)
    changes: list[Change] = []
    meta_a, meta_b = a.get("rulebook", {}), b.get("rulebook", {})
    for key in _keys(meta_a, meta_b):
        if key != "sources" and meta_a.get(key) != meta_b.get(key):
            changes.append(_changed("metadata", key, meta_a.get(key), meta_b.get(key), None))
    for name in _keys(meta_a.get("sources", {}), meta_b.get("sources", {})):
        _whole("source", name, meta_a.get("sources", {}).get(name), meta_b.get("sources", {}).get(name), changes)
    for section, label in SECTIONS.items():
        old, new = a.get(section) or {}, b.get(section) or {}
        for name in _keys(old, new):
            element = f"{label} {name}"
            if name not in new:
                changes.append(Change("removed", element, "", old[name].get("source")))
            elif name not in old:
                changes.append(Change("added", element, _summary(section, new[name]), new[name].get("source")))
            elif old[name] != new[name]:
                source = new[name].get("source") or old[name].get("source")
                handler = _HANDLERS.get(section, _generic)
                changes.extend(handler(element, old[name], new[name], source, b))
    for key in ("settings", "calendar"):
        old, new = a.get(key) or {}, b.get(key) or {}
        for name in _keys(old, new):
            if old.get(name) != new.get(name):
                changes.append(_changed(key.rstrip("s") if key == "settings" else key, name,
                                        old.get(name), new.get(name), None))
    changes.extend(_label_changes(a.get("labels") or {}, b.get("labels") or {}))
    if a.get("outcomes") != b.get("outcomes"):
        changes.extend(_list_change("outcomes", "", a.get("outcomes") or [], b.get("outcomes") or [], None))
    if a.get("worklist") != b.get("worklist"):
        changes.append(Change("changed", "worklist", f"{show(a.get('worklist'))} → {show(b.get('worklist'))}", None))
    return changes


def show(value: Any) -> str:
    """A rulebook's value in the diff's words. The diff compares the rulebooks'
    JSON view, where a date is an ISO string: it is said the British way."""
    return words(with_dates(value))


def with_dates(value: Any) -> Any:
    """``value`` with each ISO date string (``plain``'s view of a date) a date again."""
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return _dt.date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, list):
        return [with_dates(v) for v in value]
    if isinstance(value, dict):
        return {k: with_dates(v) for k, v in value.items()}
    return value


def _keys(a: dict, b: dict) -> list:
    return list(dict.fromkeys([*a, *b]))


def _changed(element: str, key: str, old, new, source) -> Change:
    if old is None:
        return Change("changed", element, f"{key}: added {show(new)}", source)
    if new is None:
        return Change("changed", element, f"{key}: removed (was {show(old)})", source)
    return Change("changed", element, f"{key}: {show(old)} → {show(new)}", source)


def _whole(label, name, old, new, changes) -> None:
    if old == new:
        return
    if old is None:
        changes.append(Change("added", f"{label} {name}", show(new), None))
    elif new is None:
        changes.append(Change("removed", f"{label} {name}", "", None))
    else:
        changes.append(Change("changed", f"{label} {name}", f"{show(old)} → {show(new)}", None))


def _label_changes(old: dict, new: dict) -> list[Change]:
    """What people will read differently: a name's label, or one of its values' labels."""
    changes: list[Change] = []
    for name in _keys(old, new):
        was, now = _label_entry(old.get(name)), _label_entry(new.get(name))
        _whole("label of", name, was.get("label"), now.get("label"), changes)
        values_was, values_now = was.get("values") or {}, now.get("values") or {}
        for value in _keys(values_was, values_now):
            _whole("label of", f"{name} value {value}", values_was.get(value), values_now.get(value), changes)
    return changes


def _label_entry(entry: Any) -> dict:
    """A labels entry in its long form: ``Route`` is ``{label: Route}``."""
    return {"label": entry} if isinstance(entry, str) else entry or {}


def _summary(section: str, spec: dict) -> str:
    if section == "thresholds" and "at_least" in spec:
        return f"{spec['of']}: {spec['at_least']} or more"
    if section == "cadences":
        return f"due {spec['every']} after {spec['from']}"
    return ""


def _list_change(element, key, old: list, new: list, source) -> list[Change]:
    added = [x for x in new if x not in old]
    removed = [x for x in old if x not in new]
    prefix = f"{key}: " if key else ""
    parts = []
    if added:
        parts.append("added " + ", ".join(show(x) for x in added))
    if removed:
        parts.append("removed " + ", ".join(show(x) for x in removed))
    if not parts:
        parts.append("reordered")
    return [Change("changed", element, prefix + "; ".join(parts), source)]


def _generic(element, old: dict, new: dict, source, _b) -> list[Change]:
    out = []
    for key in _keys(old, new):
        if key == "source" or old.get(key) == new.get(key):
            continue
        if isinstance(old.get(key), list) and isinstance(new.get(key), list) and \
                all(not isinstance(x, dict) for x in old[key] + new[key]):
            out.extend(_list_change(element, key, old[key], new[key], source))
        else:
            out.append(_changed(element, key, old.get(key), new.get(key), source))
    if old.get("source") != new.get("source"):
        out.append(_changed(element, "source", old.get("source"), new.get("source"), source))
    return out


def _threshold(element, old, new, source, b) -> list[Change]:
    out = []
    if "at_least" in old and "at_least" in new and old["at_least"] != new["at_least"]:
        out.append(Change("changed", element, f"{old['at_least']} or more → {new['at_least']} or more", source))
    if old.get("bands") != new.get("bands") and old.get("bands") and new.get("bands"):
        def bands(spec):
            return {band["value"]: f"{band.get('from', '')}–{band.get('to', '')}" for band in spec["bands"]}
        ob, nb = bands(old), bands(new)
        for value in _keys(ob, nb):
            if ob.get(value) != nb.get(value):
                out.append(Change("changed", f"{element} band {value}",
                                  f"{ob.get(value, 'none')} → {nb.get(value, 'none')}", source))
    rest = {k: v for k, v in old.items() if k not in ("at_least", "bands")}
    rest_new = {k: v for k, v in new.items() if k not in ("at_least", "bands")}
    out.extend(_generic(element, rest, rest_new, source, b))
    return out


def _matrix(element, old, new, source, b) -> list[Change]:
    out = []
    by = new.get("by") or []
    if old.get("by") != by:
        return _generic(element, old, new, source, b)

    def cells(node, depth=0, key=()):
        if depth == len(by) or not isinstance(node, dict):
            yield key, node
            return
        for k, v in node.items():
            yield from cells(v, depth + 1, key + (k,))

    oc, nc = dict(cells(old["cells"])), dict(cells(new["cells"]))
    for key in _keys(oc, nc):
        if oc.get(key) != nc.get(key):
            label = " × ".join(f"{axis} {show(k)}" for axis, k in zip(by, key))
            out.append(Change("changed", element, f"{label}: {show(oc.get(key))} → {show(nc.get(key))}", source))
    rest = {k: v for k, v in old.items() if k != "cells"}
    out.extend(_generic(element, rest, {k: v for k, v in new.items() if k != "cells"}, source, b))
    return out


def _decision(element, old, new, source, b) -> list[Change]:
    out = []
    old_rules, new_rules = old.get("rules") or [], new.get("rules") or []
    for i, (r_old, r_new) in enumerate(itertools.zip_longest(old_rules, new_rules), start=1):
        if r_old == r_new:
            continue
        label = f"{element} rule {i}"
        if r_old is None:
            out.append(Change("added", label, _rule(r_new), r_new.get("source") or source))
        elif r_new is None:
            out.append(Change("removed", label, _rule(r_old), r_old.get("source") or source))
        else:
            out.extend(_rule_changes(label, r_old, r_new, r_new.get("source") or source))
    if old.get("otherwise") != new.get("otherwise"):
        out.extend(_rule_changes(f"{element} otherwise", old["otherwise"], new["otherwise"],
                                 new["otherwise"].get("source") or source))
    rest = {k: v for k, v in old.items() if k not in ("rules", "otherwise")}
    out.extend(_generic(element, rest, {k: v for k, v in new.items() if k not in ("rules", "otherwise")}, source, b))
    return out


def _rule(rule: dict) -> str:
    result = f"`{rule['expr']}`" if "expr" in rule else show(rule.get("value"))
    return f"when `{rule['when']}` → {result}" if "when" in rule else result


def _rule_changes(label, old, new, source) -> list[Change]:
    out = []
    for key in ("when", "value", "expr"):
        if old.get(key) != new.get(key):
            fmt = (lambda x: f"`{x}`") if key != "value" else show
            out.append(Change("changed", label, (f"{key}: " if key != "value" else "")
                              + f"{'none' if key not in old else fmt(old.get(key))} → "
                              f"{'none' if key not in new else fmt(new.get(key))}", source))
    if old.get("because") != new.get("because"):
        out.append(Change("changed", label, f"because: \"{old.get('because')}\" → \"{new.get('because')}\"", source))
    return out


def _table(element, old, new, source, b) -> list[Change]:
    """A table's rows by number, in its columns' names: "table tier, row 3: when score >= 14: 3 → 2"."""
    out = []
    rows_a, rows_b = old.get("rows") or [], new.get("rows") or []
    inputs = [str(i) for i in new.get("inputs") or []]
    outputs = list(new.get("outputs") or [])
    for i in range(max(len(rows_a), len(rows_b))):
        a = rows_a[i] if i < len(rows_a) else None
        b_ = rows_b[i] if i < len(rows_b) else None
        if a == b_:
            continue
        label = f"{element}, row {i + 1}"
        if a is None:
            out.append(Change("changed", label, f"added: {_row(b_, inputs, outputs)}", source))
        elif b_ is None:
            out.append(Change("changed", label, f"removed (was: {_row(a, inputs, outputs)})", source))
        elif _cells(a) == _cells(b_):  # its because or source
            out.extend(_generic(label, a if isinstance(a, dict) else {}, b_ if isinstance(b_, dict) else {},
                                source, b))
        elif _cells(a)[:len(inputs)] == _cells(b_)[:len(inputs)]:
            out.append(Change("changed", label, f"{_when(_cells(a), inputs)}: {_gives(_cells(a), inputs, outputs)}"
                                                f" → {_gives(_cells(b_), inputs, outputs)}", source))
        elif _cells(a)[len(inputs):] == _cells(b_)[len(inputs):]:
            out.append(Change("changed", label, f"{_when(_cells(a), inputs)} → {_when(_cells(b_), inputs)} "
                                                f"(answer still {_gives(_cells(b_), inputs, outputs)})", source))
        else:
            out.append(Change("changed", label, f"{_row(a, inputs, outputs)} → {_row(b_, inputs, outputs)}",
                              source))
    why_a, why_b = old.get("because"), new.get("because")
    if isinstance(why_a, list) and isinstance(why_b, list) and len(why_a) == len(why_b):  # one line per row
        out += [Change("changed", f"{element}, row {i}", f"because: \"{x}\" → \"{y}\"", source)
                for i, (x, y) in enumerate(zip(why_a, why_b), start=1) if x != y]
        old, new = ({k: v for k, v in spec.items() if k != "because"} for spec in (old, new))
    rest = {k: v for k, v in old.items() if k != "rows"}, {k: v for k, v in new.items() if k != "rows"}
    return out + _generic(element, *rest, source, b)


def _when(cells: list, inputs: list[str]) -> str:
    """A row's tests as its columns read: "when rag red and over yes" ("always" when every cell is -)."""
    tests = [f"{column} {show(cell)}" for column, cell in zip(inputs, cells) if cell != "-"]
    return "when " + " and ".join(tests) if tests else "always"


def _gives(cells: list, inputs: list[str], outputs: list) -> str:
    """A row's answers: the value (one output), or each output named."""
    values = cells[len(inputs):]
    if len(outputs) <= 1:
        return show(values[0]) if len(values) == 1 else show(values)
    return ", ".join(f"{name} {show(value)}" for name, value in zip(outputs, values))


def _row(row, inputs: list[str], outputs: list) -> str:
    return f"{_when(_cells(row), inputs)}: {_gives(_cells(row), inputs, outputs)}"


def _cells(row) -> list:
    return row["row"] if isinstance(row, dict) else row


_HANDLERS = {"thresholds": _threshold, "matrices": _matrix, "decisions": _decision, "tables": _table}


@dataclass
class RulebookDiff:
    """The changes from one rulebook to another, as a report (``as_dict``, ``text``, ``rows``)."""

    old: Rulebook   # the rulebook changed from
    new: Rulebook   # the rulebook changed to
    changes: list[Change]

    def as_dict(self) -> dict:
        return {"from": self.old.meta.as_dict(), "to": self.new.meta.as_dict(),
                "changes": [c.as_dict() for c in self.changes]}

    def text(self) -> str:
        a, b, n = self.old.meta, self.new.meta, len(self.changes)
        lines = [f"{a.id} {a.version} → {b.id} {b.version}: {n} change{'s' if n != 1 else ''}"]
        lines.extend(f"  {change}" for change in self.changes)
        return "\n".join(lines) + "\n"

    def rows(self) -> list[list[Any]]:
        return [["kind", "element", "detail", "source"],
                *([c.kind, c.element, c.detail, c.source or ""] for c in self.changes)]


def diff_rulebooks(old: Rulebook, new: Rulebook) -> RulebookDiff:
    """What changed from rulebook ``old`` to ``new``, element by element."""
    return RulebookDiff(old, new, diff(old.data, new.data))
