"""The ``policyengine`` command: a thin layer over the Python API.

Exit codes: 0 success; 1 a bad rulebook, case or input (one line per problem,
``file:line:col: message``); 2 a usage error (click's own).
"""
from __future__ import annotations

import datetime as _dt
import io
import json
import os
import sys
from functools import wraps

import click
import yaml

from ._version import __version__
from .engine.cases import read_case_file
from .engine.pipeline import load_rulebook
from .errors import Location, PolicyEngineError, RulebookInvalid
from .engine.evaluate import evaluate
from .engine.render import render as render_document
from .engine.values import text as text_report


class IsoDate(click.ParamType):
    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx):
        if isinstance(value, _dt.date):
            return value
        try:
            return _dt.date.fromisoformat(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a date written YYYY-MM-DD", param, ctx)


ISO_DATE = IsoDate()
RULEBOOK = click.option("--rulebook", "-r", "rulebook_path", required=True,
                        type=click.Path(dir_okay=False), help="The rulebook YAML file.")
AS_OF = click.option("--as-of", type=ISO_DATE, default=None,
                     help="The evaluation date (default: today).")


def reports_errors(fn):
    """Turn the engine's errors into one line each on stderr and exit 1."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except RulebookInvalid as exc:
            for error in exc.errors:
                click.echo(str(error), err=True)
            sys.exit(1)
        except PolicyEngineError as exc:
            click.echo(str(exc), err=True)
            sys.exit(1)
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except OSError as exc:  # the system refused (a full disk, a closed pipe): not a bug, not the files
            _quiet_stdout()
            click.echo(f"policyengine: cannot finish: {exc.strerror or type(exc).__name__}", err=True)
            sys.exit(1)
        except Exception as exc:  # a bug in the engine: one line, never a case's data
            if os.environ.get("POLICYENGINE_DEBUG"):
                raise
            click.echo(f"policyengine: internal error ({type(exc).__name__}); this is a bug in the "
                       "engine, not in your files. Run again with POLICYENGINE_DEBUG=1 to see where, "
                       "and report it.", err=True)
            sys.exit(1)

    return wrapper


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so output it could not take is not retried (and
    reported with a traceback) when Python flushes it on the way out."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        pass  # not a real file (a test runner's buffer): nothing will be flushed at exit


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="policyengine")
def main() -> None:
    """Evaluate social care cases against a council's guidance, written as a rulebook."""
    import signal

    # A terminated run unwinds like Ctrl-C, so no half-written output file is left.
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False))
@reports_errors
def validate(paths):
    """Check rulebooks: schema, names, cycles, matrices, bands, templates."""
    failed = False
    for path in paths:
        try:
            book = load_rulebook(path)
        except RulebookInvalid as exc:
            failed = True
            for error in exc.errors:
                click.echo(str(error), err=True)
        except PolicyEngineError as exc:
            failed = True
            click.echo(str(exc), err=True)
        else:
            for note in book.notes:  # checks skipped as too costly: said, not failed
                click.echo(str(note), err=True)
            review_by = book.meta.review_by
            stale = f" (past its review date, {review_by.isoformat()})" if _dt.date.today() > review_by else ""
            click.echo(f"{path}: ok{stale}")
    sys.exit(1 if failed else 0)


@main.command(name="evaluate")
@RULEBOOK
@click.argument("case", type=click.Path(dir_okay=False, allow_dash=True))
@AS_OF
@click.option("--format", "fmt", type=click.Choice(["text", "json", "yaml"]), default="text",
              show_default=True)
@click.option("--explain", is_flag=True, help="Show every step, with the rule and its line.")
@reports_errors
def evaluate_cmd(rulebook_path, case, as_of, fmt, explain):
    """Evaluate one case file (YAML or JSON; - for stdin)."""
    book = load_rulebook(rulebook_path)
    raw, origin = read_case_file(case)
    decision = evaluate(book, raw, as_of, explain=explain, origin=origin)
    if fmt == "text":
        click.echo(text_report(decision, explain=explain), nl=False)
    elif fmt == "json":
        click.echo(json.dumps(decision.as_dict(), indent=2, ensure_ascii=False, allow_nan=False))
    else:
        click.echo(yaml.safe_dump(decision.as_dict(), sort_keys=False, allow_unicode=True), nl=False)


@main.command()
@RULEBOOK
@click.argument("case", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--document", "-d", "document_id", required=True, help="The document id.")
@AS_OF
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file.")
@reports_errors
def render(rulebook_path, case, document_id, as_of, output):
    """Render a letter or case note for one case."""
    book = load_rulebook(rulebook_path)
    raw, origin = read_case_file(case)
    decision = evaluate(book, raw, as_of, origin=origin)
    _emit(render_document(decision, document_id), output)


@main.command()
@RULEBOOK
@reports_errors
def schema(rulebook_path):
    """Print the JSON Schema of the rulebook's case files."""
    book = load_rulebook(rulebook_path)
    click.echo(json.dumps(book.case_schema(), indent=2, ensure_ascii=False))


def _format_of(output: str | None, formats: tuple, default: str) -> str:
    """The output format named by ``-o``'s extension; a usage error for any other."""
    if not output:
        return default
    ext = os.path.splitext(output)[1].lower().lstrip(".")
    if ext not in formats:
        raise click.BadParameter(f"the output must end in {' or '.join('.' + f for f in formats)}",
                                 param_hint="--output")
    return ext


def _emit(text: str, output: str | None) -> None:
    """Write ``text`` atomically to ``output``, or to stdout when there is none."""
    from .caseload.batch import AtomicOutput

    if output:
        AtomicOutput.write_all(output, text)
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


def _report(fmt: str, text: str, data, rows) -> None:
    """Print a report as text, JSON, or spreadsheet-safe CSV rows."""
    import csv as _csv

    from .formats.spreadsheet import safe_row

    if fmt == "text":
        click.echo(text, nl=False)
    elif fmt == "json":
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        out = _csv.writer(sys.stdout, lineterminator="\n")
        for row in rows:
            out.writerow(safe_row(row))


@main.command(name="test")
@click.argument("paths", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--coverage", is_flag=True,
              help="Also list every rule, cell, band, item and due date no test reaches (exit 1 if any).")
@reports_errors
def test_cmd(paths, coverage):
    """Run the tests written in rulebooks (default: every rulebook in rulebooks/)."""
    from .change.testing import run_tests, unreached

    paths = paths or tuple(sorted(_default_rulebooks()))
    if not paths:
        raise click.UsageError("no rulebooks given and none found in rulebooks/")
    passed = failed = uncovered = 0
    for path in paths:
        try:
            book = load_rulebook(path)
        except PolicyEngineError as exc:
            click.echo(str(exc), err=True)
            failed += 1
            continue
        results = run_tests(book)
        if coverage:
            missing, total = unreached(book, results)
            uncovered += len(missing)
            click.echo(f"coverage {path}: {total - len(missing)} of {total} rules, cells, bands, "
                       f"items and due dates reached")
            for point in missing:
                click.echo(f"  not reached: {point.location}: {point.label}")
        for result in results:
            if result.passed:
                passed += 1
                continue
            failed += 1
            click.echo(f"FAIL {result.location}: {result.name}")
            if result.error:
                click.echo(f"  {result.error}")
            for m in result.mismatches:
                click.echo(f"  {m.outcome}: expected {json.dumps(m.expected)}, got "
                           f"{json.dumps(m.actual)} ({m.rule})")
    click.echo(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed or uncovered else 0)


def _default_rulebooks():
    folder = "rulebooks"
    if not os.path.isdir(folder):
        return []
    return [os.path.join(folder, n) for n in os.listdir(folder) if n.endswith((".yaml", ".yml"))]


IGNORE = click.option("--ignore-column", "ignore", multiple=True, metavar="NAME",
                      help="A CSV column to skip on purpose (repeatable).")
JOBS = click.option("--jobs", "-j", type=click.IntRange(1, 64), default=1, show_default=True,
                    help="Processes to use; the output keeps the input order.")


#: Errors listed one by one on stderr before the rest are only counted.
MAX_ERROR_LINES = 20


def _progress(items, source: str | None = None, *, tty: bool | None = None):
    """Show progress on stderr when it is a terminal; pass items through unchanged.

    Items are results (one case each) or chunks (``decided`` + ``errors``). For
    a CSV or JSONL file the cases are counted first (a quick scan of its lines)
    so a bar can show how far through the file the run is; a folder or standard
    input gets a running count instead.
    """
    if not (sys.stderr.isatty() if tty is None else tty):
        yield from items
        return
    total = _count_records(source) if source else None
    size = (lambda item: item.decided + len(item.errors) if hasattr(item, "decided") else 1)
    if total:
        with click.progressbar(length=total, label="cases", file=sys.stderr, show_pos=True,
                               show_percent=True) as bar:
            for item in items:
                bar.update(size(item))
                yield item
        return
    n = shown = 0
    for item in items:
        n += size(item)
        if n - shown >= 1000:
            click.echo(f"\r{n:,} cases", err=True, nl=False)
            shown = n
        yield item
    click.echo(f"\r{n:,} cases", err=True)


def _count_records(source: str) -> int | None:
    """Lines in a CSV (less its header) or JSONL file; None for anything else."""
    if source == "-" or not os.path.isfile(source) or not source.lower().endswith((".csv", ".jsonl", ".ndjson")):
        return None
    lines = 0
    with open(source, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            lines += block.count(b"\n")
    return max(lines - (1 if source.lower().endswith(".csv") else 0), 0) or None


@main.command()
@RULEBOOK
@click.argument("input_path", metavar="INPUT", type=click.Path(allow_dash=True))
@AS_OF
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write results here (.jsonl or .csv); default JSONL on stdout.")
@IGNORE
@JOBS
@reports_errors
def batch(rulebook_path, input_path, as_of, output, ignore, jobs):
    """Evaluate a caseload: CSV, JSONL, a folder of case files, or - (JSONL on stdin)."""
    from .caseload.batch import AtomicOutput, Duplicates, Formatter, error_line, format_all, read_records, writes_over_input

    as_of = as_of or _dt.date.today()
    fmt = _format_of(output, ("jsonl", "csv"), default="jsonl")
    if writes_over_input(input_path, output):
        raise click.UsageError("-o names the caseload itself: the results would replace it; write them "
                               "to another file")
    book = load_rulebook(rulebook_path)
    records = read_records(input_path, book, ignore)
    for note in records.notes:
        click.echo(f"{input_path}: {note}", err=True)
    formatter = Formatter(book, as_of, fmt)
    out = AtomicOutput(output)
    repeats = Duplicates()
    decided = failed = 0
    try:
        out.write(formatter.header())
        for chunk in _progress(format_all(book, records, as_of, formatter, jobs=jobs), input_path):
            out.write(chunk.text)
            decided += chunk.decided
            for case_id, where in chunk.ids:
                repeats.add(case_id, where)
            for result in chunk.errors:
                failed += 1
                if failed <= MAX_ERROR_LINES:
                    click.echo(error_line(input_path, result), err=True)
        out.commit()
    except BaseException:
        out.abort()
        raise
    if failed > MAX_ERROR_LINES:
        click.echo(f"… and {failed - MAX_ERROR_LINES:,} more errors: each is in the output", err=True)
    duplicates = repeats.report()
    for line in duplicates[:MAX_ERROR_LINES]:
        click.echo(f"{input_path}: {line}", err=True)
    where = f" → {output}" if output else ""
    extra = f", {len(duplicates)} repeated case_id{'s' if len(duplicates) != 1 else ''}" if duplicates else ""
    click.echo(f"batch: {decided + failed} cases: {decided} decided, {failed} could not be decided"
               f"{extra}{where}", err=True)
    sys.exit(1 if failed else 0)


@main.command()
@RULEBOOK
@click.argument("input_path", metavar="INPUT", type=click.Path(allow_dash=True))
@click.option("--as-of", type=ISO_DATE, required=True, help="The date the worklist is for.")
@click.option("--within", type=click.IntRange(0, 366), default=7, show_default=True,
              help="List contacts and reviews due within this many days.")
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "json"]), default="text",
              show_default=True)
@IGNORE
@JOBS
@reports_errors
def worklist(rulebook_path, input_path, as_of, within, fmt, ignore, jobs):
    """The manager's weekly view: escalations, overdue and due items, breaches, actions."""
    from .caseload.batch import decide_all, read_records
    from .caseload.worklist import build, csv_rows, names_used, text

    book = load_rulebook(rulebook_path)
    if not book.worklist:
        raise PolicyEngineError(f"rulebook `{book.meta.id}` declares no worklist", Location(rulebook_path))
    records = read_records(input_path, book, ignore)
    for note in records.notes:
        click.echo(f"{input_path}: {note}", err=True)
    results = decide_all(book, records, as_of, jobs=jobs, keep=names_used(book))
    wl = build(book, _progress(results, input_path), as_of, within)
    _report(fmt, text(wl, book) if fmt == "text" else "", wl.as_dict() if fmt == "json" else None,
            csv_rows(wl) if fmt == "csv" else ())
    if wl.errors:
        click.echo(f"worklist: {len(wl.errors)} of {wl.cases} cases could not be decided", err=True)
    sys.exit(1 if wl.errors else 0)


@main.command()
@click.argument("base", type=click.Path(dir_okay=False))
@click.option("--id", "new_id", required=True, help="The new rulebook's id (lower case, digits and _).")
@click.option("--council", help="The council the fork is for.")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Where to write it (default: <id>.yaml beside BASE).")
@reports_errors
def fork(base, new_id, council, output):
    """Start a new rulebook that extends BASE, with no copied content."""
    import re

    from .caseload.batch import AtomicOutput
    from .change.fork import fork_text

    if not re.fullmatch(r"[a-z][a-z0-9_]*", new_id):
        raise click.BadParameter("use lower-case letters, digits and _, starting with a letter",
                                 param_hint="--id")
    book = load_rulebook(base)
    output = output or os.path.join(os.path.dirname(base), f"{new_id}.yaml")
    if os.path.exists(output):
        raise PolicyEngineError("the file already exists; fork will not overwrite it", Location(output))
    text = fork_text(book, base, output, new_id, council, _dt.date.today())
    AtomicOutput.write_all(output, text, exclusive=True)  # whole or not at all, even on a full disk
    try:
        load_rulebook(output)
    except PolicyEngineError:
        os.unlink(output)
        raise
    click.echo(f"wrote {output}: a fork of {book.meta.id}; edit it, then run "
               f"policyengine validate {output}", err=True)


@main.command()
@RULEBOOK
@reports_errors
def show(rulebook_path):
    """Print the effective rulebook after merging its bases, each element labelled with its file."""
    from .change.fork import effective_text

    book = load_rulebook(rulebook_path)
    click.echo(effective_text(book), nl=False)


@main.command(name="diff")
@click.argument("a", type=click.Path(dir_okay=False))
@click.argument("b", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@reports_errors
def diff_cmd(a, b, fmt):
    """What changed from rulebook A to rulebook B, element by element."""
    from .change.diff import diff

    book_a, book_b = load_rulebook(a), load_rulebook(b)
    changes = diff(book_a.data, book_b.data)
    if fmt == "json":
        click.echo(json.dumps({"from": book_a.meta.as_dict(), "to": book_b.meta.as_dict(),
                               "changes": [c.as_dict() for c in changes]}, indent=2, ensure_ascii=False))
        return
    click.echo(f"{book_a.meta.id} {book_a.meta.version} → {book_b.meta.id} {book_b.meta.version}: "
               f"{len(changes)} change{'s' if len(changes) != 1 else ''}")
    for change in changes:
        click.echo(f"  {change}")


@main.command()
@click.option("--base", "base_path", required=True, type=click.Path(dir_okay=False), help="The rulebook now.")
@click.option("--variant", "variant_path", required=True, type=click.Path(dir_okay=False),
              help="The rulebook proposed.")
@click.argument("cases", nargs=-1, required=True, type=click.Path(allow_dash=True))
@AS_OF
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True)
@IGNORE
@reports_errors
def impact(base_path, variant_path, cases, as_of, fmt, ignore):
    """What a rulebook change does to a caseload: cases moved, per outcome."""
    from .caseload.impact import csv_rows, measure, text

    base, variant = load_rulebook(base_path), load_rulebook(variant_path)
    result = measure(base, variant, list(cases), as_of or _dt.date.today(), ignore)
    for source, note in result.notes:
        click.echo(f"{source}: {note}", err=True)
    _report(fmt, text(result) if fmt == "text" else "", result.as_dict() if fmt == "json" else None,
            csv_rows(result) if fmt == "csv" else ())
    sys.exit(1 if result.errors else 0)


@main.command()
@RULEBOOK
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="FILE.html (one self-contained page) or FILE.md; default Markdown on stdout.")
@reports_errors
def docs(rulebook_path, output):
    """A readable policy document generated from the rulebook, for sign-off."""
    from .change.document import render_docs

    fmt = _format_of(output, ("html", "md"), default="md")
    _emit(render_docs(load_rulebook(rulebook_path), fmt), output)


@main.command()
@click.option("--rulebooks", "folder", default="rulebooks", show_default=True,
              type=click.Path(file_okay=False), help="The folder of rulebooks to offer.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (localhost only by default).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@reports_errors
def serve(folder, host, port):
    """Run the web app for practitioners and policy owners."""
    import uvicorn

    from .web import create_app

    if not os.path.isdir(folder):
        raise PolicyEngineError("cannot read the folder of rulebooks: No such directory", Location(folder))
    app = create_app(folder)
    for name, errors in app.state.problems.items():  # the others are served: one bad file takes no council offline
        more = f" (and {len(errors) - 1} more; run policyengine validate)" if len(errors) > 1 else ""
        click.echo(f"policyengine: not serving {name}: {errors[0]}{more}", err=True)
    listening = _listen(host, port)  # before saying "serving": a busy port is one line and exit 1
    click.echo(f"policyengine: serving {folder}/ on http://{host}:{port}/ (Ctrl-C to stop)", err=True)
    # No access log: nothing about a request, not even its path, is written anywhere.
    with listening:
        # On SIGTERM, requests still in flight get a few seconds, then the server stops:
        # queued renders are not worked through first.
        uvicorn.run(app, fd=listening.fileno(), log_level="warning", access_log=False,
                    timeout_graceful_shutdown=SHUTDOWN_SECONDS)


#: Longest `serve` waits for requests in flight once it is told to stop.
SHUTDOWN_SECONDS = 5


def _listen(host: str, port: int):
    """A socket bound to ``host:port`` and listening, or a clean error saying why not."""
    import socket

    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0][0]
        return socket.create_server((host, port), family=family)
    except OSError as exc:  # gaierror too: an unknown host (its errno is negative)
        reason = os.strerror(exc.errno) if exc.errno and exc.errno > 0 else exc.strerror or type(exc).__name__
        raise PolicyEngineError(f"cannot listen here: {reason}", Location(f"{host}:{port}")) from None
