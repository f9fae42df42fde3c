"""Labels: the words people use for a rulebook's names and values.

A rulebook's names are snake_case identifiers (`rag`, `escalate_to_ssm`,
`pwt`); people read "RAG rating", "Escalate to the Strategic Service
Manager", "Planned Work Tray". The optional ``labels:`` section gives each
input, outcome and value the label its guidance uses::

    labels:
      rag: RAG rating                      # a name's label
      route:
        label: Route
        values: {pwt: Planned Work Tray, duty_point: Duty Point}

Anything not labelled is humanised, keeping acronyms: a word the rulebook's
own prose writes in capitals (`RAG`, `PWT`, `MHA`), or a word with no vowel
(`ssm`, `tm`), is written in capitals; so `rag` reads "RAG", never "Rag".
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

#: A word written in capitals in the rulebook's prose: an acronym it uses.
_CAPITALS = re.compile(r"\b[A-Z][A-Z0-9]{1,7}s?\b")
_VOWELS = set("aeiouy")
#: Acronyms whatever the prose says: `case_id` reads "Case ID".
_ALWAYS = frozenset({"id"})
#: Prose fields whose capitals are taken as the rulebook's acronyms.
_PROSE_KEYS = frozenset({"title", "summary", "question", "because", "label", "labels", "values", "description",
                         "audience", "council", "text", "source"})


@dataclass(frozen=True)
class Labels:
    """The rulebook's labels, with humanised fallbacks."""

    names: dict = field(default_factory=dict)      # name -> label
    values: dict = field(default_factory=dict)     # name -> {value -> label}
    acronyms: frozenset = frozenset()              # lowercase words written in capitals
    #: An outcome whose values are another name's (reserved tasks hold their tasks input's): name -> that name.
    values_of: dict = field(default_factory=dict)
    #: name -> the kind of value it holds (boolean, date, count, number, enum, list, string), where known:
    #: how a condition about it reads ("before" a date, "fewer than" a count).
    kinds: dict = field(default_factory=dict)

    def of(self, name: str) -> str:
        """What people call ``name``: its label, or its humanised name."""
        return self.names.get(name) or humanise(name, self.acronyms)

    def value(self, name: str, value: Any) -> str:
        """What people call one of ``name``'s values (a string value: others are as written)."""
        if isinstance(value, str):
            name = self.values_of.get(name, name)
            return self.values.get(name, {}).get(value) or humanise(value, self.acronyms)
        return str(value)


def humanise(name: str, acronyms: Iterable[str] = ()) -> str:
    """``escalate_to_ssm`` as "Escalate to SSM": words apart, the first capitalised,
    acronyms (those given, and words with no vowel) in capitals."""
    acronyms = set(acronyms) | _ALWAYS
    words = [w for w in name.split("_") if w]
    shown = [_word(w, acronyms) for w in words]
    if shown and shown[0] == words[0].lower():
        shown[0] = shown[0][:1].upper() + shown[0][1:]
    return " ".join(shown) if shown else name


def _word(word: str, acronyms: set) -> str:
    lower = word.lower()
    if lower in acronyms or (len(lower) > 1 and lower.isalpha() and not _VOWELS & set(lower)):
        return lower.upper()
    return lower


def acronyms_in(data: Any) -> frozenset:
    """The words the rulebook's prose writes in capitals, lowercased (``RAG`` -> ``rag``)."""
    found: set[str] = set()

    def walk(node: Any, prose: bool) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, prose or key in _PROSE_KEYS)
        elif isinstance(node, list):
            for item in node:
                walk(item, prose)
        elif prose and isinstance(node, str):
            found.update(w.lower().removesuffix("s") if w.endswith("s") and w[:-1].isupper() else w.lower()
                         for w in _CAPITALS.findall(node))

    walk(data, False)
    return frozenset(found)


def compile_labels(spec: dict, named: dict[str, Any], ctx: Any, acronyms: frozenset,
                   values_of: dict | None = None, kinds: dict | None = None) -> Labels:
    """The ``labels:`` section checked against the rulebook: ``named`` maps each
    input and outcome to its finite values (None where it has none to label);
    ``values_of`` each outcome whose values are another name's, labelled there;
    ``kinds`` what each name holds."""
    names: dict[str, str] = {}
    values: dict[str, dict] = {}
    for name, given in spec.items():
        if name not in named:
            ctx.fail(f"`{name}` is not an input or outcome of this rulebook{ctx.suggest(name, named)}", name,
                     key=True)
            continue
        if isinstance(given, str):
            names[name] = given
            continue
        if given.get("label"):
            names[name] = given["label"]
        values[name] = _value_labels(name, given.get("values") or {}, named[name], ctx.at(name, "values"))
    return Labels(names, values, acronyms, dict(values_of or {}), dict(kinds or {}))


def _value_labels(name: str, given: dict, domain: Any, ctx: Any) -> dict:
    choices = [v for v in domain or () if isinstance(v, str)]
    if not choices:
        ctx.fail(f"`{name}` has no named values to label (only an input or outcome with a list of `values` has)")
        return {}
    labelled = {}
    for value, label in given.items():
        if value not in choices:
            ctx.fail(f"`{value}` is not one of `{name}`'s values: {', '.join(choices)}{ctx.suggest(value, choices)}",
                     value, key=True)
        else:
            labelled[value] = label
    return labelled
