"""Databases for the SQL tests: DuckDB in process, and PostgreSQL started for the session.

PostgreSQL is Debian's (``/usr/lib/postgresql/*/bin``), started in a temporary
directory listening only on a unix socket there (no TCP). It will not run as
root, so as root it runs as the ``postgres`` user through ``su``. When it cannot
start, the tests that need it skip, saying why.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile

import pytest

from policyengine.sql.inputs import table_columns

duckdb = pytest.importorskip("duckdb")


def _pg_bin() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return os.path.dirname(found[-1]) if found else None


def _as_owner(command: list[str], user: str | None) -> subprocess.CompletedProcess:
    if user is None:
        return subprocess.run(command, capture_output=True, text=True, timeout=60)
    line = " ".join(_quote(c) for c in command)
    return subprocess.run(["su", user, "-s", "/bin/sh", "-c", line], capture_output=True, text=True, timeout=60)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


@pytest.fixture(scope="session")
def postgres():
    """A connection to a PostgreSQL server of our own, or a skip saying why there is none."""
    psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed (pip install 'psycopg[binary]')")
    bin_dir = _pg_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed (Debian: apt-get install postgresql)")
    user = None
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no `postgres` user to run PostgreSQL as")
        user = "postgres"
    home = tempfile.mkdtemp(prefix="pe-pg-")
    if user is not None:
        shutil.chown(home, user)
    data, log = os.path.join(home, "data"), os.path.join(home, "log")
    made = _as_owner([f"{bin_dir}/initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync"], user)
    started = made.returncode == 0 and _as_owner(
        [f"{bin_dir}/pg_ctl", "-D", data, "-o", f"-k {home} -c listen_addresses= -c fsync=off", "-w", "-l", log,
         "start"], user).returncode == 0
    if not started:
        shutil.rmtree(home, ignore_errors=True)
        pytest.skip(f"PostgreSQL could not be started: {(made.stderr or '').strip()[:200]}")
    try:
        with psycopg.connect(host=home, user="postgres", dbname="postgres", autocommit=True) as conn:
            yield conn
    finally:
        _as_owner([f"{bin_dir}/pg_ctl", "-D", data, "-m", "immediate", "stop"], user)
        shutil.rmtree(home, ignore_errors=True)


def load_table(run, book, rows: list[tuple], *, table: str = "caseload", marker: str = "?") -> None:
    """Make ``table`` with the rulebook's columns and put ``rows`` in it (``run(sql, params)``)."""
    columns = table_columns(book.inputs)
    run(f"DROP TABLE IF EXISTS {table}", None)
    run(f"CREATE TABLE {table} (" + ", ".join(f'"{n}" {t}' for n, t in columns) + ")", None)
    for row in rows:
        run(f"INSERT INTO {table} VALUES (" + ", ".join([marker] * len(columns)) + ")", row)
