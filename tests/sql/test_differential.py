"""The SQL decides every case as the row engine does: every shipped rulebook, the
fork example and the benchmark's minimal rulebook, on DuckDB and on PostgreSQL."""
from __future__ import annotations

from functools import lru_cache

import pytest
from hypothesis import HealthCheck, given, settings

from policyengine import load_rulebook
from policyengine.sql import script

from ..conftest import ROOT
from .conftest import duckdb, load_table
from .differential import AS_OF, caseloads, engine_rows, sql_columns, table_rows

RULEBOOKS = sorted(p.name for p in (ROOT / "rulebooks").glob("*.yaml"))
PATHS = [ROOT / "rulebooks" / name for name in RULEBOOKS] + [ROOT / "examples/forks/northfield.yaml",
                                                               ROOT / "bench/leics_minimal.yaml"]
IDS = [p.stem for p in PATHS]
#: A bounded profile, a few seconds a rulebook; raise it on demand (PE_SQL_EXAMPLES=500).
import os  # noqa: E402

EXAMPLES = int(os.environ.get("PE_SQL_EXAMPLES", "25"))
CHECKS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@lru_cache(maxsize=None)
def compiled(path, dialect: str, wide: bool = True):
    book = load_rulebook(path)
    return book, script(book, dialect, as_of=AS_OF, wide=wide)[1]


def test_every_shipped_rulebook_is_tested():
    assert RULEBOOKS == ["adass_tiers.yaml", "cambridgeshire.yaml", "knowsley.yaml", "leicestershire.yaml",
                         "waltham_forest.yaml"]


@pytest.mark.parametrize("wide", [True, False], ids=["tries-as-columns", "tries-as-rows"])
@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_duckdb_decides_every_case_as_the_row_engine_does(path, wide):
    book, statements = compiled(path, "duckdb", wide)
    conn = duckdb.connect()
    for statement in statements[:-1]:  # the calendar table
        conn.execute(statement)
    run = lambda sql, params: conn.execute(sql, params) if params is not None else conn.execute(sql)  # noqa: E731

    @CHECKS
    @given(caseloads(book))
    def decides_alike(cases):
        load_table(run, book, table_rows(book, cases))
        got = [list(row) for row in conn.execute(statements[-1]).fetchall()]
        assert [d[0] for d in conn.description] == sql_columns(book)
        assert got == engine_rows(book, cases)

    decides_alike()


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_postgresql_decides_every_case_as_the_row_engine_does(path, postgres):
    book, statements = compiled(path, "postgres")
    with postgres.transaction(force_rollback=True):
        for statement in statements[:-1]:
            postgres.execute(statement)
        run = lambda sql, params: postgres.execute(sql, params)  # noqa: E731

        @settings(CHECKS, max_examples=max(5, EXAMPLES // 3))
        @given(caseloads(book))
        def decides_alike(cases):
            load_table(run, book, table_rows(book, cases), marker="%s")
            cursor = postgres.execute(statements[-1])
            assert [d.name for d in cursor.description] == sql_columns(book)
            assert [list(row) for row in cursor.fetchall()] == engine_rows(book, cases)

        decides_alike()
