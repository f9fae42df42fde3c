"""Reading a Parquet caseload (a table from a council's data warehouse) through DuckDB.

Each cell becomes the text a CSV export of it would hold, as a workbook's does
(``workbook.py``), so its rows are read, checked and decided exactly as a CSV
file's are: the same column checks, the same coercion, the same messages. The
conversion is done by DuckDB, in SQL, so no value passes through a binary float
on the way: a DATE is its ISO date; a TIMESTAMP is its date when its time is
midnight, and otherwise keeps its time (which a date field then refuses); a
BOOLEAN is true or false; a whole number is written without ``.0``; a DECIMAL
as it is stored; a FLOAT or DOUBLE as the shortest text that reads back as it;
a NULL is an empty cell (not recorded). A column of any other type (a list, a
structure, bytes, a time of day, a date and time with a time zone) is refused
before any row is decided, unless it is skipped with ``--ignore-column``.

A Parquet file has no header row: its rows are numbered from 1, the first
record being row 1. Rows are fetched ``FETCH`` at a time, so memory stays flat.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from ..errors import Location
from .blanks import BlankRows
from .columns import MAX_COLUMNS, check_columns, check_dates
from .records import Caseload, InputError, Record, duckdb_path

if TYPE_CHECKING:
    from ..engine.compile import Rulebook

EXTENSIONS = (".parquet", ".pq")
#: Rows fetched from DuckDB at a time.
FETCH = 10_000

_TEXT = re.compile(r"VARCHAR|UUID|ENUM\(.*\)")
_WHOLE = re.compile(r"U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)")
_REFUSED = [  # (type, what a person is told it holds)
    (re.compile(r".*\[\d*\]$|LIST|ARRAY"), "lists (store a list as text, its values separated by `;`)"),
    (re.compile(r"STRUCT.*|MAP.*|UNION.*"), "structures"),
    (re.compile(r"BLOB|BIT"), "bytes"),
    (re.compile(r"TIMESTAMP WITH TIME ZONE|TIMESTAMPTZ"), "dates and times with a time zone (store the date "
                                                          "alone, as a DATE column)"),
    (re.compile(r"TIME.*"), "times of day"),
    (re.compile(r"INTERVAL"), "intervals"),
]


def is_parquet(name: str) -> bool:
    return name.lower().endswith(EXTENSIONS)


def read_parquet(path: str, book: Rulebook, ignore: Iterable[str] = ()) -> Caseload:
    """The records of a Parquet file; its columns, their types and its date
    columns are checked before any row."""
    ignore = frozenset(ignore)
    con, read, failed = checked(path, book, ignore)
    select = "SELECT " + ", ".join(as_text(name, kind) for name, kind in read) + f" FROM {source(path)}"
    names = [name for name, _ in read]

    def body() -> Iterator[tuple]:
        row = 0
        try:
            cursor = con.cursor().execute(select)
            while batch := cursor.fetchmany(FETCH):
                for cells in batch:
                    row += 1
                    yield row, row, ["" if c is None else c for c in cells], None
        except failed:  # read in full before any row is decided (check_dates), so found there
            raise InputError(f"the file cannot be read as Parquet after row {row:,}: it is damaged",
                             Location(path)) from None

    blanks = BlankRows()
    try:
        check_dates(blanks.skip(body()), names, book, ignore, path)
    except InputError as exc:  # it names the row; a Parquet file has no lines to point at
        raise InputError(exc.message, Location(path)) from None

    def records() -> Iterator[Record]:
        try:
            for row, _, cells, _ in BlankRows().skip(body()):
                yield Record(f"row {row}", dict(zip(names, cells)), True)
        finally:
            con.close()

    return Caseload(records(), [note for note in (blanks.note(),) if note], path)


def checked(path: str, book: Rulebook, ignore: frozenset) -> tuple[Any, list[tuple[str, str]], type[Exception]]:
    """A DuckDB connection to the file, its columns read as (name, DuckDB type), and DuckDB's error,
    once every check made before any row has passed (its path, its columns, their types)."""
    if duckdb_path(path) is None:  # `a[1].parquet` would read a1.parquet
        raise InputError("a Parquet caseload's path must not hold *, ?, [, ] or { }: DuckDB, which reads it, "
                         "would take them as a pattern matching other files; rename the file or its folder",
                         Location(path))
    con, columns, failed = _open(path)
    try:
        header = [name for name, _ in columns]
        if len(header) > MAX_COLUMNS:
            raise InputError(f"the file has {len(header):,} columns; the limit is {MAX_COLUMNS:,}", Location(path))
        if not any(h in book.inputs for h in header):
            raise InputError("none of the file's columns is one of the rulebook's fields: is it the caseload for "
                             "this rulebook?", Location(path))
        check_columns(header, book, ignore, path, None, header_row=False)
        read = [(name, kind) for name, kind in columns if name not in ignore]
        _check_types(read, path)
    except BaseException:
        con.close()
        raise
    return con, read, failed


def _open(path: str) -> tuple[Any, list[tuple[str, str]], type[Exception]]:
    """A DuckDB connection, the file's columns as (name, DuckDB type), and DuckDB's error."""
    try:
        import duckdb
    except ImportError:  # a dependency, but say so rather than fail if it is missing
        raise InputError("reading a Parquet caseload needs DuckDB (pip install duckdb)", Location(path)) from None
    con = duckdb.connect(":memory:")
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {source(path)}").fetchall()
    except duckdb.Error:
        con.close()
        raise InputError("the file cannot be read as Parquet: it is damaged, or not a Parquet file",
                         Location(path)) from None
    return con, [(name, str(kind)) for name, kind, *_ in described], duckdb.Error


def _check_types(columns: list[tuple[str, str]], path: str) -> None:
    """Refuse a column read whose type no caseload cell can hold."""
    problems = []
    for name, kind in columns:
        if _TEXT.fullmatch(kind) or _WHOLE.fullmatch(kind) or kind in _OTHER_TYPES or kind.startswith("DECIMAL"):
            continue
        what = next((what for pattern, what in _REFUSED if pattern.fullmatch(kind)), "values of another kind")
        problems.append(f"column `{name}` holds {what} (its type is {kind}), not answers")
    if problems:
        raise InputError("; ".join(problems) + ": a caseload's cells are text, numbers, yes/no or dates; skip "
                         f"{'them' if len(problems) > 1 else 'it'} on purpose with --ignore-column if the rules "
                         "do not read it, or store it as one of those", Location(path))


_OTHER_TYPES = {"BOOLEAN", "FLOAT", "DOUBLE", "DATE", "TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS"}


def as_text(name: str, kind: str, alias: str | None = None) -> str:
    """The SQL of a column's cell as the text a CSV export of it holds (NULL stays NULL)."""
    x = _ident(name)
    if kind == "BOOLEAN":
        text = f"CASE WHEN {x} THEN 'true' WHEN NOT {x} THEN 'false' END"  # (NULL, no answer, stays NULL)
    elif kind in ("FLOAT", "DOUBLE"):  # shortest text that reads back as it; a whole number without `.0`
        text = (f"CASE WHEN isfinite({x}) AND {x} = trunc({x}) AND abs({x}) < 1e15 "
                f"THEN CAST(CAST({x} AS BIGINT) AS VARCHAR) ELSE CAST({x} AS VARCHAR) END")
    elif kind.startswith("TIMESTAMP"):  # its date at midnight, else its date and time (a date field refuses)
        text = (f"CASE WHEN {x} = date_trunc('day', {x}) THEN CAST(CAST({x} AS DATE) AS VARCHAR) "
                f"ELSE CAST({x} AS VARCHAR) END")
    else:  # text, whole numbers, decimals as stored, a DATE as YYYY-MM-DD
        text = f"CAST({x} AS VARCHAR)"
    return f"{text} AS {_ident(alias or name)}"


def source(path: str) -> str:
    """The file as DuckDB reads it: that file alone, no columns made from its folders' names."""
    return f"read_parquet({_quote(duckdb_path(path))}, hive_partitioning = false)"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


__all__ = ["EXTENSIONS", "as_text", "checked", "is_parquet", "read_parquet", "source"]
