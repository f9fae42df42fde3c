"""How a decision reads for people (the text format of ``evaluate``)."""
from __future__ import annotations

import datetime as _dt
from typing import Any

from .dates import Interval


def words(value: Any, *, brackets: bool = True) -> str:
    """A value in a few words, for diffs, impact reports, labels and the policy
    document: none, yes/no, ISO dates, intervals, and lists as ``[a, b]`` (or
    ``a, b`` in prose, with ``brackets=False``)."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        inner = ", ".join(words(v) for v in value)
        return f"[{inner}]" if brackets else (inner or "none")
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {words(v)}" for k, v in value.items()) + "}"
    return str(value)


def show(value: Any) -> str:
    if value is None:
        return "— (not applicable)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, Interval):
        return str(value)
    if isinstance(value, (list, tuple)):
        if not value:
            return "none"
        if all(isinstance(v, str) and " " not in v for v in value):
            return ", ".join(value)
        return "\n" + "\n".join(f"      - {v}" for v in value)
    if value == "":
        return '"" (empty)'
    return str(value)


def text(decision, *, explain: bool = False) -> str:
    book = decision.rulebook
    meta = book.meta
    lines = [
        f"{meta.council}: {meta.title}",
        f"Rulebook {meta.id} {meta.version} · case {decision.case_id} · as of {decision.as_of.isoformat()}",
        "",
    ]
    for step in decision.explanation:
        shown = show(step.value)
        lines.append(f"  {step.outcome}:{'' if shown.startswith(chr(10)) else ' '}{shown}")
        cite = f" [{step.source}]" if step.source else ""
        lines.append(f"    because {step.because}{cite}" if step.because else f"   {cite}")
        if explain:
            lines.append(f"    ({step.rule}, {step.location})")
    lines.append("")
    if decision.documents:
        lines.append("Documents that apply:")
        for doc_id in decision.documents:
            doc = book.documents[doc_id]
            lines.append(f"  {doc_id}: {doc.title} (for {doc.audience})")
    else:
        lines.append("Documents that apply: none")
    if decision.warnings:
        lines.append("")
        lines.append("Warnings:")
        lines.extend(f"  ! {w}" for w in decision.warnings)
    return "\n".join(lines) + "\n"
