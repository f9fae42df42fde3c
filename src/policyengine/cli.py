"""The ``policyengine`` command: a thin layer over the Python API.

Exit codes: 0 success; 1 a bad rulebook, case or input (one line per problem,
``file:line:col: message``); 2 a usage error (click's own).
"""
from __future__ import annotations

import datetime as _dt
import io
import os
import re
import sys
from typing import TYPE_CHECKING, Any, Iterable

import click

from ._version import __version__
from .engine.cases import read_case_file
from .engine.dates import long_date, parse_day_first
from .engine.pipeline import load_rulebook
from .engine.evaluate import HORIZON, MAX_HORIZON, evaluate
from .engine.interview import answered, next_questions
from .engine.render import placeholder_warnings
from .errors import Location, PolicyEngineError, problems_of
from .formats import AtomicOutput, DecisionReport, json_text, write, yaml_text

if TYPE_CHECKING:
    from .formats import Report


class DayFirstDate(click.ParamType):
    """A date on the command line: 22/11/2026 (day first, always) or 2026-11-22.
    A refusal names the option (click's usage error, exit 2), never the value."""

    name = "DATE"

    def convert(self, value, param, ctx):
        if isinstance(value, _dt.date):
            return value
        try:
            return parse_day_first(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


DATE = DayFirstDate()
RULEBOOK = click.option("--rulebook", "-r", "rulebook_path", required=True,
                        type=click.Path(dir_okay=False), help="The rulebook YAML file.")
AS_OF = click.option("--as-of", type=DATE, default=None,
                     help="The evaluation date, DD/MM/YYYY or YYYY-MM-DD (default: today).")


def error_lines(exc: PolicyEngineError) -> list[str]:
    """An error as the command line shows it: one line per problem (of a
    rulebook's or a case's, each with its own place)."""
    return [str(problem) for problem in problems_of(exc)]


class Failure(click.ClickException):
    """What the command line says when a command fails: one line per problem
    on stderr (never click's "Error: "), and the exit code; click shows it and exits."""

    def __init__(self, lines: list[str], exit_code: int = 1) -> None:
        super().__init__("\n".join(lines))
        self.lines, self.exit_code = lines, exit_code

    def show(self, file: Any = None) -> None:
        for line in self.lines:
            click.echo(line, err=True)


def failure(exc: Exception) -> Failure:
    """The one place an error becomes what the command line says, and its exit code."""
    if isinstance(exc, PolicyEngineError):
        return Failure(error_lines(exc), getattr(exc, "exit_code", 1))
    if isinstance(exc, OSError):  # the system refused (a full disk, a closed pipe): not a bug, not the files
        _quiet_stdout()
        return Failure([f"policyengine: cannot finish: {exc.strerror or type(exc).__name__}"])
    # a bug in the engine: one line, never a case's data
    return Failure([f"policyengine: internal error ({type(exc).__name__}); this is a bug in the engine, not "
                    "in your files. Run again with POLICYENGINE_DEBUG=1 to see where, and report it."])


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so output it could not take is not retried (and
    reported with a traceback) when Python flushes it on the way out."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        pass  # not a real file (a test runner's buffer): nothing will be flushed at exit


class Commands(click.Group):
    """The command group: any command's error is raised as a ``Failure``."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit,
                KeyboardInterrupt):
            raise
        except Exception as exc:
            if os.environ.get("POLICYENGINE_DEBUG") and not isinstance(exc, (PolicyEngineError, OSError)):
                raise
            raise failure(exc) from None


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="policyengine")
def main() -> None:
    """Evaluate social care cases against a council's guidance, written as a rulebook."""
    import signal

    # A terminated run unwinds like Ctrl-C, so no half-written output file is left.
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False))
def validate(paths):
    """Check rulebooks: schema, names, cycles, matrices, bands, templates."""
    failed = False
    for path in paths:
        try:
            book = load_rulebook(path)
        except PolicyEngineError as exc:
            failed = True
            for line in error_lines(exc):
                click.echo(line, err=True)
        else:
            for note in book.notes:  # checks skipped as too costly: said, not failed
                click.echo(str(note), err=True)
            for warning in placeholder_warnings(book):  # a council's value still to fill in: said, not failed
                click.echo(str(warning), err=True)
            review_by = book.meta.review_by
            stale = f" (past its review date, {long_date(review_by)})" if _dt.date.today() > review_by else ""
            click.echo(f"{path}: ok{stale}")
    sys.exit(1 if failed else 0)


@main.command(name="evaluate")
@RULEBOOK
@click.argument("case", type=click.Path(dir_okay=False, allow_dash=True))
@AS_OF
@click.option("--format", "fmt", type=click.Choice(["text", "json", "yaml"]), default="text",
              show_default=True)
@click.option("--explain", is_flag=True, help="Show every step, with the rule and its line.")
@click.option("--partial", is_flag=True,
              help="A missing required answer is not known, not an error: decide what can be decided and "
                   "list what is still needed.")
@click.option("--horizon", type=click.IntRange(1, MAX_HORIZON), default=HORIZON, show_default=True,
              metavar="DAYS", help="Say what changes by itself within this many days after the as-of date.")
@click.option("--alternatives", is_flag=True,
              help="Say which changes of answer would change each outcome (single changes, then pairs).")
def evaluate_cmd(rulebook_path, case, as_of, fmt, explain, partial, horizon, alternatives):
    """Evaluate one case file (YAML or JSON; - for stdin)."""
    book = load_rulebook(rulebook_path)
    raw, origin = read_case_file(case)
    decision = evaluate(book, raw, as_of, explain=explain, origin=origin, partial=partial, horizon=horizon,
                        alternatives=alternatives)
    _print(DecisionReport(decision, explain), fmt)


@main.command()
@RULEBOOK
@click.argument("case", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--document", "-d", "document_id", required=True, help="The document id.")
@AS_OF
@click.option("--format", "fmt", type=click.Choice(["md", "text", "html", "pdf", "docx"]), default=None,
              help="md (the template's Markdown), text (plain, to paste into a case system), html, pdf or "
                   "docx. Default: chosen by -o's extension, else md.")
@click.option("--letter-date", type=DATE, default=None,
              help="The date the letter bears, DD/MM/YYYY or YYYY-MM-DD (default: today).")
@click.option("--draft", is_flag=True,
              help="Render a letter although a setting it uses is still a placeholder, marked DRAFT on every page.")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write to this file (.pdf, .docx, .html, .txt or .md choose the format).")
def render(rulebook_path, case, document_id, as_of, fmt, letter_date, draft, output):
    """Render a letter or case note for one case."""
    from .formats.letters import BINARY, format_for, prepare, write_letter

    fmt = fmt or format_for(output) or "md"
    if fmt in BINARY and not output and _terminal():
        raise click.UsageError(f"a {fmt.upper()} file is not text: write it to a file with -o letter.{fmt}")
    book = load_rulebook(rulebook_path)
    raw, origin = read_case_file(case)
    decision = evaluate(book, raw, as_of, origin=origin)
    letter = prepare(decision, document_id, draft=draft, letter_date=letter_date)
    _emit(write_letter(letter, fmt), output)


@main.command()
@RULEBOOK
@AS_OF
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Save the answers as a case file (YAML).")
def interview(rulebook_path, as_of, output):
    """Ask only the questions that can still change the decision, then decide."""
    book = load_rulebook(rulebook_path)
    as_of = as_of or _dt.date.today()
    click.echo(f"{book.meta.council}: {book.meta.title}\n"
               "Press Enter to leave a question not known; only questions that can still change "
               "the decision are asked.\n")
    answers: dict[str, Any] = {"case_id": _ask(book.inputs["case_id"], book.labels, required=True)}
    not_known: list[str] = []
    while questions := next_questions(book, answers, as_of, not_known=not_known):
        answer = _ask(book.inputs[questions[0]], book.labels)
        if answer is None:
            not_known.append(questions[0])
        else:
            answers[questions[0]] = answer
    case = answered(book, answers)
    click.echo()
    _print(DecisionReport(evaluate(book, case, as_of, partial=True), False), "text")
    if output:
        text = "# Answers given in `policyengine interview`; questions left not known are left out.\n"
        AtomicOutput.write_all(output, text + yaml_text(case))
        click.echo(f"wrote {output}", err=True)


def _ask(spec, labels, required: bool = False) -> Any:
    """One question on the terminal, asked again until the answer fits; None for not known.
    Its choices are read by their labels, as on the web form, and picked by number or id."""
    options = spec.kind.options(spec, labels)
    if options and spec.type != "boolean":
        click.echo(spec.question)
        for i, (_, label) in enumerate(options, 1):
            click.echo(f"  {i}  {label}")
    how = {"boolean": "yes or no", "list": "numbers, separated by commas; 0 for none of these",
           "enum": "a number", "date": "DD/MM/YYYY"}.get(spec.type, "")
    prompt = "Your answer" if options and spec.type != "boolean" else spec.question
    while True:
        text = click.prompt(f"{prompt} ({how})" if how else prompt, default="", show_default=False).strip()
        if not text:
            if not required:
                return None
            click.echo("  This question must be answered.")
            continue
        try:
            return _answer(spec, text, [value for value, _ in options])
        except ValueError as exc:
            click.echo(f"  {spec.kind.form_error(spec, str(exc))}.")


def _answer(spec, text: str, values: list[str]) -> Any:
    """A terminal answer as the case reader takes it: a choice by its number or name."""
    if spec.type == "enum" or spec.type == "list":
        picked = [t.strip() for t in text.replace(";", ",").split(",") if t.strip()]
        if spec.type == "list" and picked == ["0"]:
            return []
        chosen = [values[int(t) - 1] if t.isdigit() and 0 < int(t) <= len(values) else t for t in picked]
        answer: Any = chosen if spec.type == "list" else ",".join(chosen)
    else:
        answer = text
    spec.coerce(answer, text=True)  # refused with the reason the form would give
    return answer


@main.command()
@RULEBOOK
def schema(rulebook_path):
    """Print the JSON Schema of the rulebook's case files."""
    book = load_rulebook(rulebook_path)
    click.echo(json_text(book.case_schema()), nl=False)


def _format_of(output: str | None, formats: tuple, default: str) -> str:
    """The output format named by ``-o``'s extension; a usage error for any other."""
    if not output:
        return default
    ext = os.path.splitext(output)[1].lower().lstrip(".")
    if ext not in formats:
        raise click.BadParameter(f"the output must end in {' or '.join('.' + f for f in formats)}",
                                 param_hint="--output")
    return ext


def _terminal() -> bool:
    """Whether standard output is a terminal (where a PDF's bytes would be garbage)."""
    return sys.stdout.isatty()


def _emit(text: str | bytes, output: str | None) -> None:
    """Write ``text`` (or bytes) atomically to ``output``, or to stdout when there is none."""
    if output:
        AtomicOutput.write_all(output, text)
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


def _emit_chunks(chunks: Iterable[str], output: str | None) -> None:
    """Write text a piece at a time, atomically to ``output``, or to stdout when there is none."""
    if not output:
        for chunk in chunks:
            click.echo(chunk, nl=False)
        return
    out = AtomicOutput(output)
    try:
        for chunk in chunks:
            out.write(chunk)
        out.commit()
    except BaseException:
        out.abort()
        raise
    click.echo(f"wrote {output}", err=True)


def _print(report: Report, fmt: str) -> None:
    """Print a report in a format of ``formats``. A CSV is data, written as it
    is (``click.echo`` would take escape sequences out of a cell)."""
    text = write(report, fmt)
    if fmt == "csv":
        sys.stdout.write(text)
    else:
        click.echo(text, nl=False)


@main.command(name="test")
@click.argument("paths", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--coverage", is_flag=True,
              help="Also list every rule, cell, band, item and due date no test reaches (exit 1 if any).")
def test_cmd(paths, coverage):
    """Run the tests written in rulebooks (default: every rulebook in rulebooks/)."""
    from .change.testing import run_rulebook_tests

    paths = paths or tuple(sorted(_default_rulebooks()))
    if not paths:
        raise click.UsageError("no rulebooks given and none found in rulebooks/")
    passed = failed = uncovered = 0
    for path in paths:
        try:
            book = load_rulebook(path)
        except PolicyEngineError as exc:  # the other rulebooks are still tested
            click.echo(str(exc), err=True)
            failed += 1
            continue
        run = run_rulebook_tests(book, coverage=coverage)
        click.echo(run.text(), nl=False)
        passed, failed, uncovered = passed + run.passed, failed + run.failed, uncovered + len(run.missing or ())
    click.echo(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed or uncovered else 0)


def _default_rulebooks():
    folder = "rulebooks"
    if not os.path.isdir(folder):
        return []
    return [os.path.join(folder, n) for n in os.listdir(folder) if n.endswith((".yaml", ".yml"))]


IGNORE = click.option("--ignore-column", "ignore", multiple=True, metavar="NAME",
                      help="A CSV or XLSX column to skip on purpose (repeatable).")
SHEET = click.option("--sheet", metavar="NAME", help="The sheet of an XLSX caseload to read (default: the first visible one).")
JOBS = click.option("--jobs", "-j", type=click.IntRange(1, 64), default=1, show_default=True,
                    help="Processes to use; the output keeps the input order.")


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
              help="Write results here (.jsonl, .csv or .xlsx); default JSONL on stdout.")
@IGNORE
@SHEET
@JOBS
@click.option("--engine", type=click.Choice(["auto", "python", "duckdb"]), default="auto", show_default=True,
              help="python: the row engine. duckdb: the rulebook compiled to SQL, run on DuckDB (a plain CSV file "
                   "is read by DuckDB itself), with the row engine for the cases the SQL does not decide exactly "
                   "(said on stderr); --jobs is not used. auto: DuckDB for a plain CSV file of 2 MB or more written "
                   "as CSV with one job, the row engine otherwise. The output is the same whichever decides it.")
def batch(rulebook_path, input_path, as_of, output, ignore, sheet, jobs, engine):
    """Evaluate a caseload: CSV, XLSX, Parquet, JSONL, a folder of case files, or - (JSONL on stdin)."""
    from .caseload.output import FORMATS
    from .caseload.run import run_caseload, writes_over_input
    from .caseload.summary import error_line

    as_of = as_of or _dt.date.today()
    fmt = _format_of(output, FORMATS, default="jsonl")
    if writes_over_input(input_path, output):
        raise click.UsageError("-o names the caseload itself: the results would replace it; write them "
                               "to another file")
    book = load_rulebook(rulebook_path)
    summary = run_caseload(book, input_path, as_of=as_of, output=output or sys.stdout, format=fmt,
                           ignore=ignore, sheet=sheet, jobs=jobs, on_note=_noter(input_path),
                           on_error=lambda result: click.echo(error_line(input_path, result), err=True),
                           progress=lambda chunks: _progress(chunks, input_path), engine=engine)
    for line in summary.closing_lines():
        click.echo(line, err=True)
    sys.exit(1 if summary.failed else 0)


def _noter(source: str):
    """Notes on how a caseload was read, on stderr as they come."""
    return lambda note: click.echo(f"{source}: {note}", err=True)


@main.command()
@RULEBOOK
@click.argument("input_path", metavar="INPUT", type=click.Path(allow_dash=True))
@AS_OF
@click.option("--within", type=click.IntRange(0, 366), default=7, show_default=True,
              help="List contacts and reviews due within this many days.")
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "json", "xlsx"]), default="text",
              show_default=True, help="xlsx writes a workbook, to the file named by -o.")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write the worklist to this file (default: standard output).")
@IGNORE
@SHEET
@JOBS
@click.option("--engine", type=click.Choice(["auto", "python", "duckdb"]), default="auto", show_default=True,
              help="python: the row engine. duckdb: the rulebook compiled to SQL, run on DuckDB (a plain CSV file "
                   "is read by DuckDB itself), each case decided as of every day up to --within (at most 31) to "
                   "find its changes ahead, with the row engine for the cases the SQL does not decide exactly "
                   "(said on stderr); --jobs is not used. auto: DuckDB for a plain CSV file of 2 MB or more with "
                   "one job, the row engine otherwise. The worklist is the same whichever decides it.")
def worklist(rulebook_path, input_path, as_of, within, fmt, output, ignore, sheet, jobs, engine):
    """The manager's weekly view: escalations, overdue and due items, breaches, actions."""
    from .caseload.run import writes_over_input
    from .caseload.worklist import about_rows, build_worklist, sheet_rows

    if fmt == "xlsx" and not output:
        raise click.UsageError("--format xlsx writes a workbook: name its file with -o, such as -o worklist.xlsx")
    if writes_over_input(input_path, output):
        raise click.UsageError("-o names the caseload itself: the worklist would replace it; write it "
                               "to another file")
    book = load_rulebook(rulebook_path)
    wl = build_worklist(book, input_path, as_of=as_of, within=within, ignore=ignore, sheet=sheet, jobs=jobs,
                        on_note=_noter(input_path), progress=lambda results: _progress(results, input_path),
                        engine=engine)
    if fmt == "xlsx":
        from .formats.workbook import write_workbook

        write_workbook(output, [("Worklist", sheet_rows(wl)), ("About", about_rows(wl))])
        click.echo(f"wrote {output}", err=True)
    elif fmt == "json":
        _emit_chunks(wl.json_chunks(), output)  # a piece at a time: never the whole report as one string
    elif output:
        _emit(("\ufeff" if fmt == "csv" else "") + write(wl, fmt), output)  # a CSV file opens in Excel as UTF-8
    else:
        _print(wl, fmt)
    if wl.errors:
        click.echo(f"worklist: {len(wl.errors)} of {wl.cases} cases could not be decided", err=True)
    sys.exit(1 if wl.errors else 0)


@main.group(name="import", cls=Commands)
def import_group() -> None:
    """Make a rulebook from another format (a DMN model), or bring back values edited in a workbook."""


@import_group.command(name="dmn")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The rulebook to write (never over an existing file).")
def import_dmn_cmd(model, output):
    """The decision tables of a DMN 1.2–1.5 model as a rulebook."""
    from .change.dmn import write_rulebook

    data = write_rulebook(model, output)
    click.echo(f"wrote {output}: {len(data['inputs']) - 1} inputs and {len(data['tables'])} decision tables from "
               f"{model}; check the council, dates and sources, then run policyengine validate {output}", err=True)


@import_group.command(name="xlsx")
@click.argument("workbook", type=click.Path(dir_okay=False))
@click.option("--into", "rulebook_path", required=True, type=click.Path(dir_okay=False),
              help="The rulebook the workbook was exported from, to write the edited values into.")
def import_xlsx_cmd(workbook, rulebook_path):
    """Write the values edited in a workbook from `export xlsx` back into its rulebook, changing nothing else."""
    from .change.workbook_rules import import_rules_workbook

    done = import_rules_workbook(workbook, rulebook_path)
    for change in done.changes:
        click.echo(str(change))
    n = len(done.changes)
    click.echo(f"wrote {rulebook_path}: {n} value{'s' if n != 1 else ''} changed; it is valid" if n else
               f"no value was changed; {rulebook_path} was left as it was", err=True)


@main.command()
@RULEBOOK
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True,
              help="The template to write: .xlsx (with drop-downs) or .csv (the header row).")
def template(rulebook_path, output):
    """Write an empty caseload to fill in: the rulebook's columns, in question order."""
    from .caseload.template import TEMPLATE_FORMATS, write_caseload_template

    fmt = _format_of(output, TEMPLATE_FORMATS, default="xlsx")
    book = load_rulebook(rulebook_path)
    write_caseload_template(book, fmt, output)
    click.echo(f"wrote {output}", err=True)


@main.group(name="export", cls=Commands)
def export_group() -> None:
    """Write a rulebook in another format: a DMN model, or a workbook of its tables to edit."""


@export_group.command(name="dmn")
@RULEBOOK
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file (atomically).")
def export_dmn_cmd(rulebook_path, output):
    """The rulebook's tables, matrices and thresholds as a DMN 1.3 model."""
    from .change.dmn import export_dmn

    _emit(export_dmn(load_rulebook(rulebook_path)), output)


@export_group.command(name="xlsx")
@RULEBOOK
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The workbook to write (atomically).")
def export_xlsx_cmd(rulebook_path, output):
    """The rulebook's tables, matrices and thresholds as a workbook to edit, one sheet each."""
    from .change.workbook_rules import export_rules_workbook

    sheets = export_rules_workbook(rulebook_path, output)
    click.echo(f"wrote {output}: {len(sheets)} sheet{'s' if len(sheets) != 1 else ''} to edit; bring the edits "
               f"back with policyengine import xlsx {output} --into {rulebook_path}", err=True)


class TableName(click.ParamType):
    """A table's name, optionally with its schema (``warehouse.caseload``): plain words only."""

    name = "TABLE"
    pattern = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,2}")

    def convert(self, value, param, ctx):
        if not self.pattern.fullmatch(value):
            self.fail("a table's name is letters, digits and _ (with its schema before a dot: "
                      "warehouse.caseload)", param, ctx)
        return value


@main.command(name="sql")
@RULEBOOK
@click.option("--dialect", type=click.Choice(["duckdb", "postgres", "tsql", "spark", "bigquery"]), default="duckdb",
              show_default=True, help="The database the SQL is written for.")
@click.option("--table", type=TableName(), default="caseload", show_default=True,
              help="The caseload table the query reads (its columns: see the header the command prints).")
@click.option("--as-of", type=DATE, default=None,
              help="The date the cases are decided as of, DD/MM/YYYY or YYYY-MM-DD (default: the day the query runs).")
@click.option("--calendar-from", type=click.IntRange(1900, 2200), default=None,
              help="The first year of the working-day calendar table (default: 25 years before --as-of or today).")
@click.option("--calendar-to", type=click.IntRange(1900, 2200), default=None,
              help="Its last year (default: 25 years after).")
@click.option("--create-table", is_flag=True, help="Start with CREATE TABLE for the caseload table, its columns typed.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file (atomically).")
def sql_cmd(rulebook_path, dialect, table, as_of, calendar_from, calendar_to, create_table, output):
    """Print the rulebook as one SQL query over a caseload table, with the calendar table it needs."""
    from .sql import Span, to_sql

    year = (as_of or _dt.date.today()).year
    # The default span kept within the years the options take (a date of year 1 or 9999 had none:
    # an internal error); a case outside it is refused by the query, never guessed.
    span = Span(calendar_from or min(max(year - 25, 1900), 2200), calendar_to or max(min(year + 25, 2200), 1900))
    if span.first > span.last:
        raise click.BadParameter("the calendar's first year is after its last", param_hint="'--calendar-from'")
    _emit(to_sql(load_rulebook(rulebook_path), dialect, table=table, as_of=as_of, span=span,
                 with_table=create_table), output)


@main.command()
@click.argument("base", type=click.Path(dir_okay=False))
@click.option("--id", "new_id", required=True, help="The new rulebook's id (lower case, digits and _).")
@click.option("--council", help="The council the fork is for.")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Where to write it (default: <id>.yaml beside BASE).")
def fork(base, new_id, council, output):
    """Start a new rulebook that extends BASE, with no copied content."""
    from .change.fork import RULEBOOK_ID, fork_rulebook

    if not RULEBOOK_ID.fullmatch(new_id):
        raise click.BadParameter("use lower-case letters, digits and _, starting with a letter",
                                 param_hint="--id")
    book = load_rulebook(base)
    output = fork_rulebook(base, new_id, council=council, output=output)
    click.echo(f"wrote {output}: a fork of {book.meta.id}; edit it, then run "
               f"policyengine validate {output}", err=True)


@main.command()
@RULEBOOK
def show(rulebook_path):
    """Print the effective rulebook after merging its bases, each element labelled with its file."""
    from .change.fork import effective_text

    book = load_rulebook(rulebook_path)
    click.echo(effective_text(book), nl=False)


@main.command(name="diff")
@click.argument("a", type=click.Path(dir_okay=False))
@click.argument("b", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def diff_cmd(a, b, fmt):
    """What changed from rulebook A to rulebook B, element by element."""
    from .change.diff import diff_rulebooks

    _print(diff_rulebooks(load_rulebook(a), load_rulebook(b)), fmt)


@main.command()
@click.option("--base", "base_path", required=True, type=click.Path(dir_okay=False), help="The rulebook now.")
@click.option("--variant", "variant_path", required=True, type=click.Path(dir_okay=False),
              help="The rulebook proposed.")
@click.argument("cases", nargs=-1, required=True, type=click.Path(allow_dash=True))
@AS_OF
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True)
@IGNORE
@click.option("--engine", type=click.Choice(["auto", "python", "duckdb"]), default="auto", show_default=True,
              help="python: the row engine. duckdb: each rulebook compiled to SQL, run on DuckDB (a plain CSV file "
                   "is read by DuckDB itself), with the row engine for the cases the SQL does not decide exactly "
                   "(said on stderr). auto: DuckDB for a plain CSV file of 2 MB or more, the row engine otherwise. "
                   "The report is the same whichever decides it.")
def impact(base_path, variant_path, cases, as_of, fmt, ignore, engine):
    """What a rulebook change does to a caseload: cases moved, per outcome."""
    from .caseload.impact import measure_impact

    base, variant = load_rulebook(base_path), load_rulebook(variant_path)
    result = measure_impact(base, variant, cases, as_of=as_of or _dt.date.today(), ignore=ignore, engine=engine)
    for source, note in result.notes:
        click.echo(f"{source}: {note}", err=True)
    _print(result, fmt)
    sys.exit(1 if result.errors else 0)


@main.command()
@RULEBOOK
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="FILE.html (one self-contained page) or FILE.md; default Markdown on stdout.")
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


if __name__ == "__main__":  # python -m policyengine.cli, as the installed command
    main()
