"""A whole rulebook as one SQL query over a caseload table.

The pipeline, one common table expression a step:

1. ``pe_answers``: each row's answers typed (``sql.inputs``), defaults applied,
   and the row engine's refusal of a bad answer.
2. ``pe_tries``: each row once for every combination of answers its unanswered
   questions could have ("not known": a yes/no or list question left blank with
   no ``default:``). This is the row engine's own rule for not known
   (``engine.pending``): an output is decided when it is the same in every
   combination, and pending otherwise. SQL's NULL logic (Kleene's) would be
   weaker: ``a or not a`` is NULL in SQL but true in the engine, and a decision
   whose rules all give red is red whatever its unanswered conditions. NULL
   keeps Python's meaning, None ("not recorded").
3. One step per element, in the rulebook's order, each from its construct's
   SQL facet (``engine.constructs``): its outputs and its fault, the row
   engine's message where Python would raise.
4. ``pe_decided``: the tries of a row gathered again: each output's value where
   every try agrees and none faults, pending where they differ or one faults
   (as the row engine leaves it), and the row's error where an element that
   does not wait on an unanswered question faults.
   Beside it, ``pe_keys``, ``pe_flips`` and ``pe_needs`` find the inputs each
   pending outcome waits for, as ``engine.pending._mattering`` does: those whose
   answer alone changes the outcome's value between two tries (a fault counting
   as a value of its own), found by a window over the tries that differ only in
   that input's answer. (Measured against a GROUP BY per input and a COUNT
   DISTINCT in ``pe_decided``: the same time, the least memory.)
5. The result: the columns ``batch`` writes to CSV, each cell's text as it
   writes it (checklists one ``yes`` column per item), and ``pending``: each
   pending outcome and the inputs it waits for, as ``caseload.output.pending_cell``
   writes them. Where an outcome faults in every try the row engine lists the
   inputs of the group of questions it happened to try it in; the SQL lists
   those the outcome depends on and ``Query.inexact`` marks the row.

A row whose unanswered questions have more than ``MAX_COMPLETIONS`` combinations
is refused with a message, where the row engine tries cone by cone.

Where the combinations are few (at most ``WIDE_MAX``: every shipped rulebook), the
tries are columns rather than rows (``wide``): ``pe_wide`` holds each combination's
answers beside the row's own (``name__c{i}``), each element that reads an unanswered
question is decided once per combination (``out__c{i}``), and ``pe_decided`` compares
those columns (LEAST and GREATEST for MIN and MAX; ``pe_needs``' pairs of tries
compared in the row). The query is then a projection of each row, with no GROUP BY
or window, which DuckDB streams in bounded memory. The same definitions make both
forms, and the differential tests run both.
"""
from __future__ import annotations

import datetime as _dt
import itertools
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from .._version import __version__
from ..engine.constructs import BY_SECTION, Context
from ..engine.candidates import MAX_LIST_VALUES
from ..engine.pending import MAX_COMPLETIONS
from ..engine.sqlvalues import SqlContext, SqlValue, any_of, case, lit, product, total, unsupported
from ..engine.sqlvalues import column as col
from .calendar import DateSql, Span
from .expressions import ExpressionSql
from .inputs import answer, candidate_count, candidates, known_column, member_column, table_columns, unknowable
from .text import key

if TYPE_CHECKING:
    from ..engine.compile import Rulebook

#: The alias of the row each step reads: a rulebook's names are always qualified with it, so a
#: subquery's own columns (the calendar's ``day``) never hide an input of the same name.
ROW = "pe_v"
#: What a rulebook's names may not look like: the query's own columns.
RESERVED = ("pe_", "__")
#: The most columns a step of the query may have in the wide form (PostgreSQL's limit is 1,664):
#: a rulebook whose wide query would have more tries its answers as rows.
MAX_COLUMNS = 1_600
#: The most combinations of answers the query tries side by side, as columns of one row (``wide``),
#: rather than as rows gathered again by a GROUP BY and windows: a rulebook with more has the rows.
WIDE_MAX = 32
TOO_MANY = (f"the unanswered questions have more than {MAX_COMPLETIONS:,} combinations of answers to try in SQL: "
            "decide this case with the row engine (`policyengine batch`)")


@dataclass
class Step:
    """One element in the query: its outputs' values, and what its value depends on."""

    kind: str
    name: str
    outputs: dict
    loc: Any
    cone: frozenset = frozenset()
    ancestors: frozenset = frozenset()


@dataclass
class Query:
    """A rulebook compiled to a query: the tree, and whether it needs the calendar table."""

    select: exp.Select
    uses_calendar: bool
    columns: list = field(default_factory=list)
    #: Each outcome's SqlValue (its kind and choices), for reading the value back from its key.
    outcomes: dict = field(default_factory=dict)
    #: Each other name asked for with ``reported=``: its SqlValue (``pe_decided`` holds its keys).
    reported: dict = field(default_factory=dict)
    #: True where the ``pending`` cell may not be the row engine's (an expression over the result's
    #: sources, for ``batch --engine duckdb`` to give such a row to the row engine).
    inexact: exp.Expression = field(default_factory=exp.false)
    #: True where the tries are columns (``wide``): the query is a projection of each row, whatever it left unanswered.
    wide: bool = False
    #: The most columns a step of the query has (a database may limit it: ``MAX_COLUMNS``).
    width: int = 0


def tried(k: int) -> str:
    """The column numbering a try's answer to the k-th unanswerable question (0 where answered)."""
    return f"pe_t{k}"


def needs_column(out: str, k: int) -> str:
    """Whether the k-th unanswerable question's answer alone changes ``out``: 1 or 0."""
    return f"{out}__needs{k}"


def _flag(column: str) -> exp.Expression:
    return exp.Coalesce(this=col(column), expressions=[lit(0)]).eq(lit(1))


def named(fresh: exp.Expression, name: str) -> exp.Alias:
    """``fresh AS "name"``, the expression not copied: only for one built for this place alone (copying
    the query's larger expressions was a third of the time it took to build)."""
    return exp.alias_(fresh, name, quoted=True, copy=False)


class Builder:
    def __init__(self, book: Rulebook, table: str, as_of: _dt.date | None, span: Span,
                 order: str = "case_id", reported: tuple = (), wide: bool = True, first: bool = False) -> None:
        self.book, self.table, self.order = book, table, order
        self.reported = tuple(n for n in reported if n not in book.outcomes and n not in book.inputs)
        self.as_of = lit(as_of) if as_of is not None else exp.CurrentDate()
        self.dates = DateSql(book.calendar, span)
        self.values: dict[str, SqlValue] = {"as_of": SqlValue("date", self.as_of, nullable=False)}
        read = set().union(*(el.deps for el in book.elements))  # one no rule reads needs no trying
        self.unknowable = [n for n, spec in book.inputs.items() if unknowable(spec) and n in read]
        self.steps: list[Step] = []
        self.wanted_wide, self.first_only = wide, first
        #: Whether the tries are columns (``pe_wide``) rather than rows (``pe_tries``): set by ``build``.
        self.wide = False
        #: Each combination of answers tried (wide): the candidate's index for each unknowable input.
        self.combos: list[tuple[int, ...]] = [()]
        self.options: list[int] = []  # each unknowable input's number of candidates (wide)
        #: Each combination's values (wide): its tried inputs', and the outputs of the elements that read them.
        self.scopes: list[dict[str, SqlValue]] = []
        self.scope: dict[str, SqlValue] | None = None  # the combination an element is being built for
        self._check_names()

    def _check_names(self) -> None:
        """Refuse a name the query's own columns could take (``pe_row``, ``route__fault``)."""
        named = [(n, spec.loc) for n, spec in self.book.inputs.items()]
        named += [(out, el.loc) for el in self.book.elements for out in (el.name, *el.outputs)]
        for name, loc in named:
            if name.startswith(RESERVED[0]) or RESERVED[1] in name:
                raise unsupported(f"the name `{name}` starts with `pe_` or holds `__`, as the query's own "
                                  "columns do: rename it", loc)
        for name, spec in self.book.inputs.items():  # a value's column is `name__value`: it must not be another's
            for value in spec.values if spec.type == "list" else ():
                if RESERVED[1] in str(value) or str(value) == "known":
                    raise unsupported(f"the list `{name}` has the value `{value}`, whose column would be named as "
                                      "one of the query's own (it holds `__` or is `known`): rename it", spec.loc)
        # DuckDB (and PostgreSQL, unquoted) match column names in any case: two that differ only in case are one
        seen: dict[str, str] = {}
        columns = [(c, self.book.inputs[c.split("__")[0]].loc) for c, _ in table_columns(self.book.inputs)]
        for column, loc in [*columns, *named]:
            other = seen.setdefault(column.casefold(), column)
            if other != column:
                raise unsupported(f"the columns `{other}` and `{column}` differ only in case, and a database may read "
                                  "them as one: rename one of them", loc)

    # -- 1 and 2: answers, and every combination of the unanswered ---------------------------------
    def answers(self) -> exp.Select:
        items: list[exp.Expression] = [
            exp.alias_(exp.Window(this=exp.RowNumber(), order=exp.Order(expressions=[exp.Ordered(
                this=col(self.order))])), "pe_row", quoted=True),
            exp.alias_(exp.Coalesce(this=col("case_id"), expressions=[lit("")]), "pe_case_id", quoted=True)]
        problems = []
        for name, spec in self.book.inputs.items():
            got = answer(spec)
            if got.problem is not None:
                problems.append(got.problem)
            if got.value.kind == "list":
                items += [exp.alias_(m, member_column(name, v), quoted=True) for v, m in got.value.members.items()]
            else:
                items.append(exp.alias_(got.value.sql, name, quoted=True))
            if got.known is not None:
                items.append(exp.alias_(got.known, known_column(name), quoted=True))
        problem = problems[0] if len(problems) == 1 else exp.Coalesce(this=problems[0], expressions=problems[1:]) \
            if problems else exp.null()
        items.append(exp.alias_(problem, "pe_problem", quoted=True))
        return exp.select(*items).from_(exp.to_table(self.table), copy=False)

    def tries(self, source: str) -> exp.Select:
        """``pe_tries``: a row per combination of the answers its unanswered questions could have."""
        items: list[exp.Expression] = [exp.Star()]
        joins, conditions = [], []
        combos = self._combos("a")
        selected = []
        for k, name in enumerate(self.unknowable):
            spec, alias = self.book.inputs[name], f"pe_try_{k}"
            rows = self._candidates(name)
            width = len(rows[0])
            names = ["pe_i", *(f"v{j}" for j in range(width))]
            values = exp.Values(expressions=[exp.Tuple(expressions=[lit(i), *(lit(x) for x in row)])
                                             for i, row in enumerate(rows)],
                                alias=exp.TableAlias(this=exp.to_identifier(alias),
                                                     columns=[exp.to_identifier(n) for n in names]))
            joins.append(values)
            known = col(known_column(name), "a")
            conditions.append(exp.or_(exp.column("pe_i", alias).eq(lit(0)),
                                      exp.and_(exp.not_(known.copy()), combos.copy() <= lit(MAX_COMPLETIONS))))
            columns = [member_column(name, v) for v in spec.values] if spec.type == "list" else [name]
            for j, column in enumerate(columns):
                selected.append(exp.alias_(case([(known.copy(), col(column, "a"))], exp.column(f"v{j}", alias)),
                                           column, quoted=True))
            selected.append(exp.alias_(exp.column("pe_i", alias), tried(k), quoted=True))
        keep = [c for c in self._answer_columns() if c not in {s.alias for s in selected}]
        items = [col(c, "a") for c in keep] + selected
        items.append(exp.alias_(combos, "pe_combos", quoted=True))
        query = exp.select(*items).from_(exp.alias_(exp.to_table(source), "a"), copy=False)
        for values in joins:
            query = query.join(values, join_type="CROSS", copy=False)
        return query.where(exp.and_(*conditions) if len(conditions) > 1 else conditions[0], copy=False)

    def _candidates(self, name: str) -> list[tuple]:
        spec = self.book.inputs[name]
        if spec.type == "list" and len(spec.values) > MAX_LIST_VALUES:  # the row engine does not try it either
            raise unsupported(f"the list `{name}` has more than {MAX_LIST_VALUES} values, too many to try every "
                              "answer when it is not known: give it a `default:`", spec.loc)
        return candidates(spec)

    def _combinations(self) -> int:
        """How many combinations of answers a row leaving every unknowable question unanswered has."""
        return math.prod(candidate_count(self.book.inputs[n]) for n in self.unknowable)

    def _combos(self, table: str | None = None) -> exp.Expression:
        """``pe_combos``: how many combinations of answers the row's unanswered questions have."""
        return product([case([(col(known_column(n), table), lit(1))], lit(candidate_count(self.book.inputs[n])))
                        for n in self.unknowable])

    def wide_tries(self, source: str) -> exp.Select:
        """``pe_wide``: each row once, with each combination of answers its unanswered questions
        could have as columns of its own (``name__c{i}``: the answer where given, else the
        combination's), so the elements that read them are decided side by side, a projection
        DuckDB streams, not a row per try gathered again."""
        items: list[exp.Expression] = [exp.Star()]
        rows = {name: self._candidates(name) for name in self.unknowable}
        for c, combo in enumerate(self.combos):
            for k, name in enumerate(self.unknowable):
                spec, known = self.book.inputs[name], col(known_column(name))
                columns = [member_column(name, v) for v in spec.values] if spec.type == "list" else [name]
                for j, column in enumerate(columns):
                    items.append(exp.alias_(case([(known.copy(), col(column))], lit(rows[name][combo[k]][j])),
                                            f"{column}__c{c}", quoted=True))
        items.append(exp.alias_(self._combos(), "pe_combos", quoted=True))
        return exp.select(*items).from_(source, copy=False)

    def _answer_columns(self) -> list[str]:
        names = ["pe_row", "pe_case_id", "pe_problem"]
        for name, spec in self.book.inputs.items():
            names += [member_column(name, v) for v in spec.values] if spec.type == "list" else [name]
            if unknowable(spec):
                names.append(known_column(name))
        return names

    def bind_inputs(self) -> None:
        """Each input's value, as the columns of every later step hold it."""
        for name, spec in self.book.inputs.items():
            got = answer(spec)
            if got.value.kind == "list":
                members = {v: col(member_column(name, v), ROW) for v in spec.values}
                self.values[name] = SqlValue("list", members=members, nullable=False)
            else:
                self.values[name] = SqlValue(got.value.kind, col(name, ROW), nullable=got.value.nullable,
                                             choices=spec.domain)
            if name in self.unknowable and self.wide:
                for c, scope in enumerate(self.scopes):
                    scope[name] = _suffixed(self.values[name], f"__c{c}")

    def value(self, name: str) -> SqlValue:
        if self.scope is not None and name in self.scope:
            return self.scope[name]
        return self.values[name]

    def each(self, name: str) -> list[SqlValue]:
        """``name``'s value in each combination tried (wide), or its one value (the same in all, or
        with tries as rows)."""
        if self.wide and name in self.scopes[0]:
            return [scope[name] for scope in self.scopes]
        return [self.values[name]]

    def _gathered(self, agg: type, exprs: list[exp.Expression]) -> exp.Expression:
        """MIN or MAX over a row's tries: an aggregate over its rows, or LEAST or GREATEST of its
        columns (wide)."""
        if not self.wide:
            return agg(this=exprs[0])
        if len(exprs) == 1:
            return exprs[0]
        return (exp.Least if agg is exp.Min else exp.Greatest)(this=exprs[0], expressions=exprs[1:])

    def _fault(self, step: str, c: int | None) -> str:
        """The column of ``step``'s fault in combination ``c`` (None: as a row holds it)."""
        wide = c is not None and next(s for s in self.steps if s.name == step).cone
        return f"{step}__fault__c{c}" if wide else f"{step}__fault"

    def faulted(self, step: Step, c: int | None = None) -> exp.Expression:
        """Whether ``step`` or an element it reads faults (in combination ``c``, wide)."""
        return any_of([exp.not_(exp.Is(this=col(self._fault(s, c)), expression=exp.null()))
                       for s in sorted(step.ancestors | {step.name})])

    # -- 3: the elements ------------------------------------------------------------------------
    def element(self, el: Any) -> exp.Select:
        """One element's step: its outputs' columns and its fault's (wide, those of each combination
        of answers tried where it reads an unanswered question)."""
        cone, ancestors = self._reach(el)
        items: list[exp.Expression] = [exp.Star()]
        here = Context(self.book.path, self.book.data).at(el.kind, el.name)
        if self.wide and cone:
            for c, scope in enumerate(self.scopes):
                self.scope = scope
                try:
                    items += self._outputs(el, here, f"__c{c}", scope)
                finally:
                    self.scope = None
            held = self.scopes[0]
        else:
            items += self._outputs(el, here, "", self.values)
            held = self.values
        self.steps.append(Step(el.kind, el.name, {o: held[o] for o in el.outputs}, here.loc(key=True),
                               cone, ancestors))
        return exp.select(*items)

    def _outputs(self, el: Any, here: Context, suffix: str, into: dict) -> list[exp.Expression]:
        """The columns of ``el``'s outputs and fault (``here``: its place), named with ``suffix``;
        their values go ``into``."""
        spec = self.book.data[el.kind][el.name]
        construct = BY_SECTION[el.kind]
        if construct.sql is None:
            raise unsupported(f"the {construct.noun} `{el.name}` has no SQL facet", here.loc(key=True))

        def expr(source: Any, *path: Any) -> SqlValue:
            return ExpressionSql(source, here.loc(*path), self.value, self.dates.add,
                                 self.dates.is_working_day).run()

        ctx = SqlContext(expr=expr, value=self.value, add=self.dates.add, loc=here.loc, as_of=self.as_of)
        outputs = construct.sql(el.name, spec, ctx)
        items: list[exp.Expression] = []
        for out in el.outputs:
            v = outputs[out]
            if v.truth_only:
                raise unsupported("a value that is a list or another kind, depending on the case, has no SQL "
                                  f"form (output `{out}`)", here.loc(key=True))
            if v.kind == "list":
                cols = {}
                for i, (member, holds) in enumerate((v.members or {}).items()):
                    items.append(exp.alias_(holds, f"{out}__m{i}{suffix}", quoted=True))
                    cols[member] = col(f"{out}__m{i}{suffix}", ROW)
                into[out] = SqlValue("list", members=cols, nullable=False)
            else:
                items.append(exp.alias_(v.sql, f"{out}{suffix}", quoted=True))
                into[out] = SqlValue(v.kind, col(f"{out}{suffix}", ROW), nullable=v.nullable, choices=v.choices)
        faults = [outputs[o].fault for o in el.outputs if outputs[o].fault is not None]
        fault = faults[0] if faults else exp.cast(exp.null(), "TEXT")
        items.append(exp.alias_(fault, f"{el.name}__fault{suffix}", quoted=True))
        return items

    def _reach(self, el: Any) -> tuple[frozenset, frozenset]:
        """The unanswerable inputs ``el`` depends on, and the elements it reads, directly or not."""
        cone, ancestors = set(), set()
        by_output = {o: s for s in self.steps for o in s.outputs}
        for dep in el.deps:
            if dep in self.unknowable:
                cone.add(dep)
            step = by_output.get(dep)
            if step is not None:
                cone |= step.cone
                ancestors |= step.ancestors | {step.name}
        return frozenset(cone), frozenset(ancestors)

    # -- 4 and 5: gathering the tries, and the result -------------------------------------------
    def decided(self, source: str) -> exp.Select:
        """``pe_decided``: a row's tries gathered (a GROUP BY over its rows, or its columns compared, wide)."""
        wide = self.wide
        count = lit(len(self.combos)) if wide else exp.Count(this=exp.Star())
        items: list[exp.Expression] = [col("pe_row"), named(count, "pe_count")]
        for name in ("pe_case_id", "pe_problem", "pe_combos"):
            items.append(named(self._gathered(exp.Min, [col(name)]), name))
        for step in self.steps:
            opened = any_of([exp.not_(col(known_column(u))) for u in sorted(step.cone)])
            items.append(named(self._gathered(exp.Max, [case([(opened, lit(1))], lit(0))]), f"{step.name}__open"))
            if not wide:
                faults: exp.Expression = exp.Sum(this=case([(self.faulted(step), lit(1))], lit(0)))
            elif step.cone:
                faults = total([case([(self.faulted(step, c), lit(1))], lit(0)) for c in range(len(self.combos))])
            else:  # the same in every combination
                faults = case([(self.faulted(step), lit(len(self.combos)))], lit(0))
            items.append(named(faults, f"{step.name}__faults"))
            # (wide: where its questions are answered, every combination's fault is the first's)
            fault = col(self._fault(step.name, 0 if wide else None))
            items.append(named(self._gathered(exp.Min, [fault]), f"{step.name}__fault"))
        for out in self.book.outcomes:
            values = self.each(out)
            keys = self._keys(out)
            items.append(named(self._gathered(exp.Min, keys), f"{out}__key"))
            items.append(named(self._gathered(exp.Max, [k.copy() for k in keys]), f"{out}__key2"))
            if out in self.book.inputs:
                continue
            for i, item in enumerate(self._items(out)):
                held = [case([(v.members[item].copy(), lit("yes"))], lit("")) for v in values]
                items.append(named(self._gathered(exp.Max, held), f"{out}__item{i}"))
        select = exp.select(*items).from_(exp.alias_(exp.to_table(source), ROW), copy=False)
        if wide:
            return select.select(*self._needs_wide(), copy=False)
        return select.group_by(col("pe_row"), copy=False)

    def report(self, decided: exp.Select) -> exp.Select:
        """``pe_decided`` with the keys of each ``reported`` name too (a flag or date the worklist
        reads that is not an outcome): ``name__key`` and ``name__key2``, which differ where it is pending."""
        for name in self.reported:
            if self.each(name)[0].kind == "list":
                raise unsupported(f"`{name}` is a list, and only outcomes' lists are read back from SQL",
                                  self._loc(name))
            held = self._keys(name)
            decided.select(named(self._gathered(exp.Min, held), f"{name}__key"),
                           named(self._gathered(exp.Max, [k.copy() for k in held]), f"{name}__key2"), copy=False)
        return decided
    # -- 4b: the inputs each pending outcome waits for (``engine.pending._mattering``) -------------
    def _waiting(self) -> list[tuple[str, Step, list[str]]]:
        """Each outcome that can be pending: its name, its step, and the unanswerable inputs it
        depends on, in the rulebook's input order."""
        found = []
        for out in self.book.outcomes:
            owner = next((s for s in self.steps if out in s.outputs), None)
            if owner is not None and owner.cone:
                found.append((out, owner, [n for n in self.unknowable if n in owner.cone]))
        return found

    def keyed(self, source: str) -> exp.Select:
        """``pe_keyed``: the key of each outcome and reported name (wide, in each combination), a
        column each (``name__k{c}``), so later steps compare columns rather than copies of each
        key's expression (DuckDB keeps a state for every copy: they took half its time and memory)."""
        items: list[exp.Expression] = [exp.Star()]
        for name in [*self.book.outcomes, *self.reported]:
            items += [exp.alias_(key(v, self._loc(name)), f"{name}__k{c}", quoted=True)
                      for c, v in enumerate(self.each(name))]
        return exp.select(*items).from_(exp.alias_(exp.to_table(source), ROW), copy=False)

    def _keys(self, name: str) -> list[exp.Expression]:
        """``name``'s key (wide, in each combination): ``keyed``'s columns."""
        return [col(f"{name}__k{c}") for c in range(len(self.each(name)))]

    def _needs_wide(self) -> list[exp.Expression]:
        """``pe_needs``' columns, wide: which questions a row left unanswered, and whether an
        outcome differs between two combinations that differ in one input's answer alone (a
        fault counting as a value of its own), as ``flips`` finds over rows."""
        items: list[exp.Expression] = []
        for k, name in enumerate(self.unknowable):
            items.append(exp.alias_(case([(exp.not_(col(known_column(name))), lit(1))], lit(0)), f"pe_unknown{k}",
                                    quoted=True))
        for out, owner, cone in self._waiting():
            tried = [case([(self.faulted(owner, c), lit("F"))], held) for c, held in enumerate(self._keys(out))]
            at = {combo: c for c, combo in enumerate(self.combos)}
            inside = {self.unknowable.index(n) for n in cone}
            for name in cone:
                k = self.unknowable.index(name)
                differ = []
                for combo, c in at.items():
                    if any(combo[j] for j in range(len(combo)) if j not in inside):
                        continue  # an answer the outcome does not read: the same pairs at its first candidate
                    for other in range(combo[k] + 1, self.options[k]):
                        paired = at.get(combo[:k] + (other,) + combo[k + 1:])
                        if paired is None:  # (``first``: one combination, none to compare)
                            continue
                        differ.append(exp.NEQ(this=tried[c].copy(), expression=tried[paired].copy()))
                items.append(exp.alias_(case([(any_of(differ), lit(1))], lit(0)),
                                        needs_column(out, k), quoted=True))
        return items

    def keys(self, source: str) -> exp.Select:
        """``pe_keys``: each try of a row with an unanswered question, and each outcome's key in
        it, ``F`` where it faults (the row engine's ``_FAULT``: a value of its own)."""
        items: list[exp.Expression] = [col("pe_row"), *(col(tried(k)) for k in range(len(self.unknowable)))]
        for out, owner, _ in self._waiting():
            items.append(exp.alias_(case([(self.faulted(owner), lit("F"))], self._keys(out)[0]),
                                    f"{out}__try", quoted=True))
        return (exp.select(*items).from_(exp.alias_(exp.to_table(source), ROW), copy=False)
                .where(col("pe_combos") > lit(1), copy=False))

    def flips(self, source: str) -> exp.Select:
        """``pe_flips``: for each try, whether an outcome's key differs among the tries that differ
        from it in one input's answer alone: that input matters to the outcome."""
        tries = range(len(self.unknowable))
        items: list[exp.Expression] = [col("pe_row"), *(col(tried(k)) for k in tries)]
        for out, _, cone in self._waiting():
            for name in cone:
                k = self.unknowable.index(name)

                def over(agg: type, k: int = k, out: str = out) -> exp.Window:
                    rest = [col(tried(j)) for j in tries if j != k]
                    return exp.Window(this=agg(this=col(f"{out}__try")), partition_by=[col("pe_row"), *rest])
                items.append(exp.alias_(case([(exp.NEQ(this=over(exp.Min), expression=over(exp.Max)), lit(1))],
                                             lit(0)), needs_column(out, k), quoted=True))
        return exp.select(*items).from_(source, copy=False)

    def needs(self, source: str) -> exp.Select:
        """``pe_needs``: each row with an unanswered question, which questions it left
        unanswered, and which inputs matter to each outcome."""
        items: list[exp.Expression] = [exp.alias_(col("pe_row"), "pe_needs_row", quoted=True)]
        for k in range(len(self.unknowable)):
            items.append(exp.alias_(exp.Max(this=case([(col(tried(k)) > lit(0), lit(1))], lit(0))),
                                    f"pe_unknown{k}", quoted=True))
        for out, _, cone in self._waiting():
            for name in cone:
                column = needs_column(out, self.unknowable.index(name))
                items.append(exp.alias_(exp.Max(this=col(column)), column, quoted=True))
        return exp.select(*items).from_(source, copy=False).group_by(col("pe_row"), copy=False)

    def pending(self, unsettled: dict[str, exp.Expression]) -> tuple[exp.Expression, exp.Expression]:
        """The ``pending`` cell of a row that is not refused (``caseload.output.pending_cell``'s
        text) from whether each outcome is settled, and where it may not be the row engine's: an
        outcome that faults in every try, whose inputs the row engine gives as those of the group
        of questions it happened to try it in."""
        segments, inexact = [], []
        for out, owner, cone in self._waiting():
            faults_always = col(f"{owner.name}__faults").eq(col("pe_count"))
            parts = [lit(f"; {out}:")]
            for name in cone:
                k = self.unknowable.index(name)
                needed = exp.or_(_flag(needs_column(out, k)), exp.and_(faults_always.copy(), _flag(f"pe_unknown{k}")))
                parts.append(case([(needed, lit(f" {name}"))], lit("")))
            segments.append(case([(unsettled[out].copy(), exp.Concat(expressions=parts))], lit("")))
            inexact.append(exp.and_(unsettled[out].copy(), faults_always))
        if not segments:
            return lit(""), exp.false()
        text = exp.Substring(this=exp.Concat(expressions=[lit(""), *segments]), start=lit(3))
        return text, any_of(inexact)

    def _loc(self, out: str) -> Any:
        return self.book.producers[out].loc if out in self.book.producers else self.book.inputs[out].loc

    def _items(self, out: str) -> list[str]:
        return [text for _, text in getattr(self.book.producers.get(out), "items", ())]

    def result(self, source: str) -> tuple[exp.Select, list[str], exp.Expression]:
        """The result's columns, their headings, and where its ``pending`` cell may not be the row engine's."""
        error = self._error()
        refused = exp.not_(exp.Is(this=error.copy(), expression=exp.null()))
        items = [named(exp.Coalesce(this=col("pe_case_id"), expressions=[lit("")]), "case_id")]
        headings = ["case_id"]
        unsettled = {}
        for out in self.book.outcomes:
            same = self.settled(out)
            unsettled[out] = exp.not_(same.copy())
            shown = exp.and_(exp.not_(refused.copy()), same)
            ids = [i for i, _ in getattr(self.book.producers.get(out), "items", ())]
            if ids:
                for i, item_id in enumerate(ids):
                    items.append(named(case([(shown.copy(), col(f"{out}__item{i}"))], lit("")), f"{out}.{item_id}"))
                    headings.append(f"{out}.{item_id}")
                continue
            text = exp.Substring(this=col(f"{out}__key"), start=lit(2))
            items.append(named(case([(shown, text)], lit("")), out))
            headings.append(out)
        waits, inexact = self.pending(unsettled)
        items.append(named(case([(refused.copy(), lit(""))], waits), "pending"))
        items.append(named(exp.Coalesce(this=error, expressions=[lit("")]), "error"))
        headings += ["pending", "error"]
        for name, value in self._provenance().items():
            items.append(named(lit(value), name))
            headings.append(name)
        query = exp.select(*items).from_(source, copy=False)
        if self.unknowable and not self.wide:
            query = query.join(exp.to_table("pe_needs"), on=col("pe_row").eq(col("pe_needs_row")), join_type="LEFT",
                               copy=False)
        return query.order_by(col("pe_row"), copy=False), headings, inexact

    def settled(self, name: str) -> exp.Expression:
        """Whether ``name`` (an outcome, or a ``reported`` name) is decided in ``pe_decided``: its
        tries agree and none faults (else the row engine leaves it pending)."""
        owner = next((s for s in self.steps if name in s.outputs), None)
        same = col(f"{name}__key").eq(col(f"{name}__key2"))
        if owner is not None:
            same = exp.and_(same, exp.or_(col(f"{owner.name}__open").eq(lit(0)),
                                          col(f"{owner.name}__faults").eq(lit(0))))
        return same

    def _error(self) -> exp.Expression:
        """The row's error: its refused answer, too many tries, or an element that faults though it
        waits on no unanswered question."""
        errors = [col("pe_problem"), case([(col("pe_combos") > lit(MAX_COMPLETIONS), lit(TOO_MANY))])]
        for step in self.steps:
            failed = exp.and_(col(f"{step.name}__open").eq(lit(0)),
                              exp.not_(exp.Is(this=col(f"{step.name}__fault"), expression=exp.null())))
            words = lit(f"{step.kind} `{step.name}` could not be evaluated: ")
            errors.append(case([(failed, exp.Concat(expressions=[words, col(f"{step.name}__fault")]))]))
        return exp.Coalesce(this=errors[0], expressions=errors[1:])

    def _provenance(self) -> dict:
        meta = self.book.meta
        return {"rulebook_id": meta.id, "rulebook_version": meta.version, "rulebook_sha256": self.book.sha256,
                "engine_version": __version__}

    # -- the whole ------------------------------------------------------------------------------
    def build(self) -> Query:
        self.wide = self.first_only or self.wanted_wide and self._combinations() <= WIDE_MAX
        if self.wide:
            self.options = [candidate_count(self.book.inputs[n]) for n in self.unknowable]
            self.combos = ([tuple(0 for _ in self.options)] if self.first_only else  # (never the whole product)
                           list(itertools.product(*(range(n) for n in self.options))))
            self.scopes = [{} for _ in self.combos]
        ctes = [("pe_answers", self.answers())]
        last = "pe_answers"
        if self.wide:
            ctes.append(("pe_wide", self.wide_tries(last)))
            last = "pe_wide"
        elif self.unknowable:
            ctes.append(("pe_tries", self.tries(last)))
            last = "pe_tries"
        else:
            ctes[0] = ("pe_answers", ctes[0][1].select(exp.alias_(lit(1), "pe_combos", quoted=True)))
        self.bind_inputs()
        for i, el in enumerate(self.book.elements):
            step = f"pe_{i + 1}_{el.kind}"
            ctes.append((step, self.element(el).from_(exp.alias_(exp.to_table(last), ROW), copy=False)))
            last = step
        ctes.append(("pe_keyed", self.keyed(last)))
        last = "pe_keyed"
        ctes.append(("pe_decided", self.report(self.decided(last))))
        if self.unknowable and not self.wide:
            ctes += [("pe_keys", self.keys(last)), ("pe_flips", self.flips("pe_keys")),
                     ("pe_needs", self.needs("pe_flips"))]
        final, headings, inexact = self.result("pe_decided")
        width = _width([select for _, select in ctes])
        for name, select in ctes:
            final = final.with_(name, as_=select, copy=False)  # copying the growing tree each time took seconds
        return Query(final, self.dates.uses_calendar, headings, {o: self.each(o)[0] for o in self.book.outcomes},
                     {n: self.each(n)[0] for n in self.reported}, inexact, self.wide, width)


def build_query(book: Rulebook, *, table: str = "caseload", as_of: _dt.date | None = None,
                span: Span | None = None, order: str = "case_id", reported: tuple = (), wide: bool = True,
                first: bool = False) -> Query:
    """The query deciding every case of ``table`` as ``book`` would (see the module's doc), its
    rows in the order of column ``order`` (``batch --engine duckdb`` numbers the rows as read).
    ``reported`` names other elements' outputs whose keys ``pe_decided`` holds too (the worklist's flags
    and dates): the final select may add ``name__key`` (and ``name__key2``) for each. ``wide``: the
    tries as columns where there are at most ``WIDE_MAX`` combinations of answers (False: as rows).
    ``first``: each row's first combination alone, a projection exact only for the rows that answer
    every question that may be left not known (the lanes decide those apart: most rows, at a
    fraction of the cost)."""
    year = (as_of or _dt.date.today()).year
    span = span or Span(year - 25, year + 25)
    query = Builder(book, table, as_of, span, order, reported, wide, first).build()
    if query.wide and not first and query.width > MAX_COLUMNS:
        return Builder(book, table, as_of, span, order, reported, False).build()
    return query


def _width(steps: list[exp.Select]) -> int:
    """The most columns of any step: a step selecting ``*`` adds its other columns to the last's."""
    width = widest = 0
    for select in steps:
        items = select.expressions
        starred = any(isinstance(item, exp.Star) for item in items)
        width = width + len(items) - 1 if starred else len(items)
        widest = max(widest, width)
    return widest


def _suffixed(v: SqlValue, suffix: str) -> SqlValue:
    """An input's value read from its columns named with ``suffix`` (a combination's, wide)."""
    if v.kind == "list":
        members = {m: col(f"{c.name}{suffix}", ROW) for m, c in (v.members or {}).items()}
        return SqlValue("list", members=members, nullable=False)
    return SqlValue(v.kind, col(f"{v.sql.name}{suffix}", ROW), nullable=v.nullable, choices=v.choices)


__all__ = ["Query", "TOO_MANY", "WIDE_MAX", "build_query"]

