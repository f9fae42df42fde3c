"""The rulebook's constructs, one module each, and the registry of them.

Every construct (factor group, threshold, matrix, decision table, decision, reserved tasks,
cadence, checklist) compiles to an :class:`Element` with the same shape: the
names it defines, the names it reads, and ``run(values)`` which stores its
outputs in ``values`` and returns the :class:`Reason` that decided them. Each
module's ``CONSTRUCT`` says everything else about it (its section, its name
for people, its coverage, its part of the policy document and of a fork's
guide). Every list of sections in the package is derived from
:data:`CONSTRUCTS`, so a new construct is a new module, its fragment of
``schemas/rulebook.schema.json``, and one line here.
"""
from __future__ import annotations

from . import cadences, checklists, decisions, factors, matrices, reserved_tasks, tables, thresholds
from .base import Construct as Construct
from .base import Context as Context
from .base import Element as Element
from .base import Reason as Reason

#: Every construct, in the order a rulebook, its diff and its policy document list them.
CONSTRUCTS: tuple[Construct, ...] = (
    factors.CONSTRUCT,
    thresholds.CONSTRUCT,
    matrices.CONSTRUCT,
    tables.CONSTRUCT,
    decisions.CONSTRUCT,
    reserved_tasks.CONSTRUCT,
    cadences.CONSTRUCT,
    checklists.CONSTRUCT,
)

#: Each construct by its section name.
BY_SECTION: dict[str, Construct] = {c.section: c for c in CONSTRUCTS}

#: The sections, in registry order.
SECTIONS: tuple[str, ...] = tuple(BY_SECTION)

#: The order constructs compile in: the registry's, with those that need the
#: others' sets of values (matrix axes) last.
COMPILE_ORDER: tuple[Construct, ...] = tuple(sorted(CONSTRUCTS, key=lambda c: c.compiles_late))

#: Every section whose entries are named elements: the inputs, each construct's, the documents.
ELEMENT_SECTIONS: tuple[str, ...] = ("inputs", *SECTIONS, "documents")
