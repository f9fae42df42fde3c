"""A plain CSV file (``plain_scan``), or a Parquet file (``plain_scan.scan_parquet``: its cells made
text by ``parquet.as_text``, its rows numbered from 1), loaded and typed by DuckDB: the table the plain-CSV lanes
(``batch``'s, ``plain_csv``, and ``impact``'s, ``plain_pairs``) decide their rows from.

1. The file is loaded as text cells (``pe_raw``, in the file's order: its rowid is the line); the
   header was checked by the pre-scan as the row path checks it, and each date column's DISTINCT
   cells are checked by ``columns.check_dates``' rule: a refusal sends the whole file to the row
   path, so its message (naming the first row) is the row path's.
2. Each column's DISTINCT cells are coerced once by the engine's own fast coercers (each column by
   the coercer of the rulebook that declares it, ``CaseReader.text_fast``): written into the SQL
   for a column of at most ``INLINE`` distinct cells, else a table to join. A text cell of
   printable ASCII at both ends (nothing to strip; a case_id printable throughout) is its own value
   and never reaches Python (an id column).
3. ``pe_read`` holds every row typed (the columns ``sql.query`` reads), its line (``pe_line``), its
   id's cell (``pe_id``) and a key at least as coarse as ``Duplicates``' ``strip().casefold()``
   (``pe_key``), and for each group of inputs whether SQL may decide the row on them (``pe_ok``
   for batch's one rulebook; one per rulebook for impact's two): no cell refused or read
   differently on the reader's careful path (a cell of spaces, a blank required text, a case_id
   with a control character), no required answer missing. A row SQL may not decide goes to the
   row engine with its own cells (``record``).

The tables are in a DuckDB file in a temporary folder of the lane's own (removed by ``close``),
held to ``MEMORY_LIMIT`` (it spills there too).
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
import tempfile
from typing import TYPE_CHECKING, Any, Callable, Mapping

from ..engine.inputs import MAX_STRING
from ..engine.unknown import UNKNOWN
from ..errors import CONTROL_CHARACTER
from ..sql.calendar import Span, calendar_statements
from ..sql.inputs import COLUMN_TYPES, member_column
from .plain_scan import PlainFile, distinct_dates_refused
from .records import Record, duckdb_path

if TYPE_CHECKING:
    from ..engine.compile import Rulebook

#: DuckDB's memory limit for a lane; past it, it spills to the lane's own temporary folder.
#: (At 1,000,000 Leicestershire rows: 100MB gave a 260 MB peak but a much slower run, 128MB 294 MB.)
MEMORY_LIMIT = "192MB"
#: A column with at most this many distinct cells has its mapping written into the SQL, not joined.
INLINE = 32


class PlainTable:
    """One plain CSV file in DuckDB: ``load`` reads and coerces it, ``read`` types it (``pe_read``).

    ``inputs``: every input read (for impact, both rulebooks'), each with the coercer of the cell's
    text (``coercers``, by name)."""

    def __init__(self, duckdb: Any, path: str, plain: PlainFile, ignore: frozenset, inputs: Mapping[str, Any],
                 coercers: Mapping[str, Callable], prefix: str = "policyengine-lane-") -> None:
        self.duckdb, self.path, self.plain = duckdb, path, plain
        self.inputs, self.coercers = inputs, coercers
        self.folder = tempfile.mkdtemp(prefix=prefix)
        #: The columns read: (position in the file, header name), ignored columns left out.
        self.kept = [(i, h) for i, h in enumerate(plain.header) if h not in ignore]
        self.inline: dict[int, list[dict]] = {}  # the mappings written into the SQL (see _mapping)
        self.typed: list[str] = []  # pe_read's typed columns, quoted
        # a database of the lane's own, in its folder (so its tables leave memory when they must)
        con = self.con = duckdb.connect(os.path.join(self.folder, "lane.duckdb"))
        con.execute(f"SET memory_limit = {quote_literal(MEMORY_LIMIT)}")
        con.execute(f"SET temp_directory = {quote_literal(os.path.join(self.folder, 'spill'))}")
        con.execute("SET preserve_insertion_order = true")

    def close(self) -> None:
        try:
            self.con.close()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def calendar(self, book: Rulebook, as_of: _dt.date) -> None:
        """The calendar ``book``'s query reads (replacing any other rulebook's)."""
        self.con.execute("DROP TABLE IF EXISTS pe_calendar")
        for statement in calendar_statements(book.calendar, Span(as_of.year - 25, as_of.year + 25)):
            self.con.execute(statement.sql(dialect="duckdb"))

    def load(self) -> bool:
        """``pe_raw`` and each column's mapping; False where the lane must not run (the usual path then
        reads the file): DuckDB read another number of rows, a case_id or required column is missing
        (every row would go to the row engine), a date the row path refuses the file for."""
        con = self.con
        if self.plain.select is not None:  # a Parquet file: its cells as text (kept columns only)
            con.execute(f"CREATE TABLE pe_raw AS {self.plain.select}")
        else:
            self._load_csv()
        if con.execute("SELECT count(*) FROM pe_raw").fetchone()[0] != self.plain.rows:
            return False
        if self.plain.select is not None and self._blank_rows():
            return False  # the row path skips a blank row, and says so
        present = {h for _, h in self.kept}
        if "case_id" not in present or any(s.required and n not in present for n, s in self.inputs.items()):
            return False
        for i, name in self.kept:
            if self.inputs[name].type == "date":
                cells = [c for (c,) in con.execute(f"SELECT DISTINCT c{i} FROM pe_raw WHERE c{i} LIKE '%/%'")
                         .fetchall()]
                if distinct_dates_refused(cells):
                    return False  # the row path refuses the file, naming the first row
        for i, name in self.kept:
            self._mapping(i, name)
        return True

    def _load_csv(self) -> None:
        columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(self.plain.header)))
        kept = ", ".join(f"c{i}" for i, _ in self.kept)
        # quoted cells as the csv module reads them (the pre-scan let through well-formed ones only); an
        # empty cell is NULL, quoted or not (the row path reads both as "")
        quote = ("quote = '\"', escape = '\"', allow_quoted_nulls = true" if self.plain.quoted else
                 "quote = '', escape = ''")
        self.con.execute(f"CREATE TABLE pe_raw AS SELECT {kept} FROM read_csv({quote_literal(duckdb_path(self.path))}, "
                         f"delim = {quote_literal(self.plain.sep)}, header = false, skip = 1, columns = {{{columns}}}, "
                         f"{quote}, auto_detect = false, strict_mode = true, null_padding = false, encoding = 'utf-8')")

    def _blank_rows(self) -> bool:
        """Whether a row may be blank (``blanks.is_blank``: every cell empty or spaces). A cell holding
        a printable ASCII character is not blank; one with none (empty, spaces, or only other characters)
        is taken as blank, so a row of such cells sends the file the usual way."""
        blank = " AND ".join(f"NOT coalesce(regexp_matches(c{i}, '[!-~]'), false)" for i, _ in self.kept)
        return bool(self.con.execute(f"SELECT count(*) FROM pe_raw WHERE {blank or 'true'}").fetchone()[0])

    def _mapping(self, i: int, name: str) -> None:
        """Each distinct cell of column ``i`` (but plain text) coerced once (raw, ok, value...): inline in
        the SQL when there are at most ``INLINE`` (yes/no, a choice), else a table ``pe_m{i}`` to join."""
        spec = self.inputs[name]
        where = f"c{i} IS NOT NULL"
        if spec.type == "string":
            where += f" AND NOT {plain_sql(f'c{i}', name == 'case_id')}"
        coerce = self.coercers[name]
        cursor = self.con.execute(f"SELECT DISTINCT c{i} FROM pe_raw WHERE {where}")
        first = [_mapped(spec, name, coerce, raw) for (raw,) in cursor.fetchmany(INLINE + 1)]
        if len(first) <= INLINE:
            self.inline[i] = first
            return
        path = os.path.join(self.folder, f"m{i}.jsonl")
        with open(path, "w", encoding="utf-8") as fh:
            batch = first
            while batch:
                fh.writelines(json.dumps(row, ensure_ascii=False, default=_iso) + "\n" for row in batch)
                batch = [_mapped(spec, name, coerce, raw) for (raw,) in cursor.fetchmany(10_000)]
        types = {"raw": "VARCHAR", "ok": "BOOLEAN", "k": "VARCHAR"}
        if spec.type == "list":
            types.update((f"m{j}", "BOOLEAN") for j in range(len(spec.values)))
        else:
            types["v"] = COLUMN_TYPES[spec.type]
        listed = ", ".join(f"'{k}': '{t}'" for k, t in types.items())
        self.con.execute(f"CREATE TABLE pe_m{i} AS SELECT * FROM read_json({quote_literal(path)}, "
                         f"format = 'newline_delimited', columns = {{{listed}}})")

    def _mapped_sql(self, i: int, field: str) -> str:
        """A field of column ``i``'s mapping for each row (``ok``, ``v``, ``k`` or ``m{j}``), NULL where none."""
        rows = self.inline.get(i)
        if rows is None:
            return f"m{i}.{field}"
        if field == "ok":
            held = [quote_literal(row["raw"]) for row in rows if row["ok"]]
            return f"(r.c{i} IN ({', '.join(held)}))" if held else "false"
        spec = self.inputs[dict(self.kept)[i]]
        kind = {"k": "VARCHAR", "v": COLUMN_TYPES.get(spec.type)}.get(field, "BOOLEAN")
        cases = [f"WHEN {quote_literal(row['raw'])} THEN {_literal(row[field])}" for row in rows
                 if row.get(field) is not None]
        return f"CAST((CASE r.c{i} {' '.join(cases)} END) AS {kind})" if cases else f"CAST(NULL AS {kind})"

    def read(self, groups: Mapping[str, Any]) -> None:
        """``pe_read``: every row typed, its id's key for repeats and, for each group of inputs (by the
        column's name), whether SQL may decide the row on them."""
        at = {h: i for i, h in self.kept}
        selected, oks, joins, flags = [], {}, [], []  # flags: each text cell is its own value, worked out once
        for name, spec in self.inputs.items():
            i = at.get(name)
            if i is None:
                if spec.type == "list":
                    selected += [f"CAST(NULL AS BOOLEAN) AS {ident(member_column(name, v))}" for v in spec.values]
                else:
                    selected.append(f"CAST(NULL AS {COLUMN_TYPES[spec.type]}) AS {ident(name)}")
                continue
            if i not in self.inline:
                joins.append(f"LEFT JOIN pe_m{i} m{i} ON r.c{i} = m{i}.raw")
            plain = f"r.p{i}" if spec.type == "string" else "false"
            if spec.type == "string":
                flags.append(f"coalesce({plain_sql(f'c{i}', name == 'case_id')}, false) AS p{i}")
            if spec.type == "list":
                selected += [f"{self._mapped_sql(i, f'm{j}')} AS {ident(member_column(name, v))}"
                             for j, v in enumerate(spec.values)]
            elif spec.type == "string":
                selected.append(f"CASE WHEN {plain} THEN r.c{i} ELSE {self._mapped_sql(i, 'v')} END AS {ident(name)}")
            else:
                selected.append(f"{self._mapped_sql(i, 'v')} AS {ident(name)}")
            ok_ = self._mapped_sql(i, "ok")
            oks[name] = (f"(r.c{i} IS NOT NULL AND ({plain} OR coalesce({ok_}, false)))" if spec.required else
                         f"(r.c{i} IS NULL OR {plain} OR coalesce({ok_}, false))")
        i = at["case_id"]
        key = f"CASE WHEN r.p{i} THEN lower(r.c{i}) ELSE {self._mapped_sql(i, 'k')} END"
        grouped = [f"{' AND '.join(oks[n] for n in names if n in oks) or 'true'} AS {column}"
                   for column, names in groups.items()]
        self.typed = [s.rsplit(" AS ", 1)[1] for s in selected]
        self.con.execute(f"CREATE TABLE pe_read AS SELECT r.pe_rid + {self.plain.first} AS pe_line, r.c{i} AS pe_id, "
                         f"{key} AS pe_key, "
                         f"{', '.join(grouped)}, {', '.join(selected)} "
                         f"FROM (SELECT *, rowid AS pe_rid, {', '.join(flags)} FROM pe_raw) r {' '.join(joins)}")

    def repeats(self) -> list[tuple[int, Any]]:
        """(line, case_id cell) of every row whose id may repeat another's, by line."""
        return self.con.execute(
            "SELECT pe_line, pe_id FROM pe_read WHERE pe_key IN (SELECT pe_key FROM pe_read WHERE pe_key IS NOT NULL "
            "GROUP BY pe_key HAVING count(*) > 1) ORDER BY pe_line").fetchall()

    def raw_lines(self) -> str:
        """``pe_raw`` with each row's line (``pe_line``), for a join."""
        return f"(SELECT rowid + {self.plain.first} AS pe_line, * FROM pe_raw)"

    def cells_sql(self, alias: str = "r") -> str:
        """The SQL of a row's cells, in ``record``'s order, from ``pe_raw`` as ``alias``."""
        return ", ".join(f"{alias}.c{i}" for i, _ in self.kept)

    def record(self, line: int, cells: tuple) -> Record:
        """The row at ``line`` as the row path reads it, from its cells (``cells_sql``)."""
        return Record(f"row {line}", {h: c if c is not None else "" for (_, h), c in zip(self.kept, cells)}, True)


def _mapped(spec: Any, name: str, coerce: Callable, raw: str) -> dict:
    row: dict[str, Any] = {"raw": raw, "ok": False, "k": raw.strip().casefold() if name == "case_id" else None}
    try:
        value = coerce(raw)
    except (KeyError, ValueError, TypeError):
        return row  # refused: the row engine names it
    if value is UNKNOWN or value is None:
        return row
    if isinstance(value, str) and not value.strip():
        return row  # spaces: the careful path reads them as no answer, the fast one as ""
    if name == "case_id" and CONTROL_CHARACTER.search(value):
        return row
    if spec.type == "list":
        held = set(value)
        row.update((f"m{j}", v in held) for j, v in enumerate(spec.values))
    else:
        row["v"] = value
    row["ok"] = True
    return row


def plain_sql(column: str, case_id: bool) -> str:
    """Whether a text cell is its own value (``text_fast`` keeps it as it is): printable ASCII at both
    ends (nothing to strip), not too long; a case_id printable ASCII throughout (no control character)."""
    ends = " AND ".join(f"ascii({end}({column}, 1)) BETWEEN 33 AND 126" for end in ("left", "right"))
    whole = f" AND NOT regexp_matches({column}, '[^ -~]')" if case_id else ""
    return f"({ends} AND length({column}) <= {MAX_STRING}{whole})"


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: Any) -> str:
    """A coerced value as a SQL literal."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, _dt.date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, str):
        return quote_literal(value)
    raise TypeError(f"no SQL literal for a {type(value).__name__}")


def _iso(value: Any) -> str:
    if isinstance(value, _dt.date):
        return value.isoformat()
    raise TypeError(f"no JSON form for a {type(value).__name__}")


__all__ = ["INLINE", "MEMORY_LIMIT", "PlainTable", "ident", "plain_sql", "quote_literal"]
