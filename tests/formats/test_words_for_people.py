"""Every word a person reads is theirs (#15): the text meant for people, from
every shipped example, holds nothing people should not have to read.

``SURFACES`` is every such text: each example case through ``evaluate`` (text,
and ``--explain``) and each document that applies to it through ``render
--format text``; ``worklist`` text on every caseload in ``examples/``;
``docs`` as Markdown and HTML for every rulebook; and ``diff`` and ``impact``
of the worked fork. Each is rendered once. A check is a test taking
``people_text`` (the text, less what ``for_people`` leaves out as technical),
so it runs over every surface: add more beside ``test_no_iso_date``.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from policyengine import load_rulebook
from policyengine.cli import main
from policyengine.engine.cases import read_case_file
from policyengine.engine.dates import long_date
from policyengine.engine.evaluate import evaluate

from ..conftest import EXAMPLES, ROOT, RULEBOOKS

AS_OF = "2026-11-24"
#: Columns of the Leicestershire export that the rulebook does not read.
SKIP = ("--ignore-column", "worker_name", "--ignore-column", "team", "--ignore-column", "notes")
FORK = EXAMPLES / "forks" / "northfield.yaml"
KNOWSLEY = RULEBOOKS / "knowsley.yaml"

#: ``--explain``'s technical line under an outcome: the rule and its place in the
#: YAML, for policy owners, "(rule 2, rulebooks/leicestershire.yaml:197)".
TECHNICAL = re.compile(r"^ {4}\(.*[\w.]+\.ya?ml:\d+\)$")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _rulebooks_and_cases():
    """Each example case file with the rulebooks it is for: examples/<id>/ is
    rulebooks/<id>.yaml's; examples/forks/ holds the Northfield fork's."""
    for folder in sorted(p for p in EXAMPLES.iterdir() if p.is_dir()):
        books = [FORK] if folder.name == "forks" else [RULEBOOKS / f"{folder.name}.yaml"]
        for case in sorted([*folder.glob("*.yaml"), *folder.glob("*.json"), *folder.glob("cases/*.yaml")]):
            if case != FORK:
                yield from ((book, case) for book in books)


def _caseloads():
    """Every caseload in examples/ with its rulebook: the exports, and each folder of case files."""
    yield RULEBOOKS / "leicestershire.yaml", EXAMPLES / "leicestershire" / "caseload.csv", SKIP
    yield RULEBOOKS / "leicestershire.yaml", EXAMPLES / "leicestershire" / "caseload.xlsx", SKIP
    for book in (KNOWSLEY, FORK):
        yield book, EXAMPLES / "forks" / "caseload.csv", ()
        yield book, EXAMPLES / "forks" / "cases", ()
    for book in sorted(RULEBOOKS.glob("*.yaml")):
        yield book, EXAMPLES / book.stem, ()


@functools.cache
def _book(path: Path):
    return load_rulebook(path)


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _surfaces():
    for book, case in _rulebooks_and_cases():
        name = f"{book.stem}:{_name(case)}"
        # The day-first form of --as-of too: it must give the same decision.
        yield pytest.param(("evaluate", "-r", book, case, "--as-of", "24/11/2026", "--partial"), id=f"evaluate {name}")
        yield pytest.param(("evaluate", "-r", book, case, "--as-of", AS_OF, "--partial", "--explain", "--alternatives"),
                           id=f"evaluate --explain {name}")
        decision = evaluate(_book(book), read_case_file(str(case))[0], dt.date.fromisoformat(AS_OF), partial=True)
        for doc in decision.documents:
            yield pytest.param(("render", "-r", book, case, "--document", doc, "--as-of", AS_OF, "--format", "text",
                                "--draft"), id=f"render {doc} {name}")
    for book, caseload, skip in _caseloads():
        yield pytest.param(("worklist", "-r", book, caseload, "--as-of", AS_OF, "--within", "30", *skip),
                           id=f"worklist {book.stem}:{_name(caseload)}")
    for book in [*sorted(RULEBOOKS.glob("*.yaml")), FORK]:
        yield pytest.param(("docs", "-r", book), id=f"docs md {book.stem}")
        yield pytest.param(("docs", "-r", book, "-o", "policy.html"), id=f"docs html {book.stem}")
    yield pytest.param(("diff", KNOWSLEY, FORK), id="diff knowsley northfield")
    yield pytest.param(("impact", "--base", KNOWSLEY, "--variant", FORK, EXAMPLES / "forks" / "caseload.csv",
                        "--as-of", AS_OF), id="impact knowsley northfield")


SURFACES = list(_surfaces())


@functools.cache
def rendered(args: tuple) -> str:
    """What a command shows a person: its standard output, or the file it wrote (HTML, as its text)."""
    with tempfile.TemporaryDirectory() as folder:
        args = tuple(str(Path(folder) / a) if a == "policy.html" else str(a) for a in args)
        result = CliRunner().invoke(main, args, catch_exceptions=False)
        # A worklist exits 1 when a case in it could not be decided; it is still shown.
        assert result.exit_code in ((0, 1) if args[0] == "worklist" else (0,)), result.output
        if args[-1].endswith("policy.html"):
            return _html_text(Path(args[-1]).read_text(encoding="utf-8"))
        return result.stdout


def for_people(text: str) -> str:
    """The lines of ``text`` meant for people: all but ``--explain``'s technical lines."""
    return "\n".join(line for line in text.splitlines() if not TECHNICAL.match(line))


class _Text(HTMLParser):
    """An HTML page's text, as a reader sees it (no style sheet, no markup)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._style = False

    def handle_starttag(self, tag, attrs):
        self._style = self._style or tag == "style"

    def handle_endtag(self, tag):
        self._style = self._style and tag != "style"

    def handle_data(self, data):
        if not self._style:
            self.parts.append(data)


def _html_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "".join(parser.parts)


@pytest.fixture(params=SURFACES)
def people_text(request) -> str:
    return for_people(rendered(request.param))


def test_no_iso_date(people_text):
    assert ISO_DATE.findall(people_text) == []


def test_the_sweep_reaches_every_kind_of_text_and_every_example():
    ids = [p.id for p in SURFACES]
    kinds = ("evaluate ", "evaluate --explain ", "render ", "worklist ", "docs md ", "docs html ", "diff ", "impact ")
    for kind in kinds:
        assert any(i.startswith(kind) for i in ids), kind
    cases = {c for _, c in _rulebooks_and_cases()}
    assert {p for p in EXAMPLES.rglob("*") if p.suffix in (".yaml", ".json") and p != FORK} == cases


# -- dates in the words the engine writes -------------------------------------------------------

def test_a_due_dates_reason_reads_as_a_sentence_with_british_dates():
    text = rendered(("evaluate", "-r", RULEBOOKS / "leicestershire.yaml",
                     EXAMPLES / "leicestershire" / "red-escalation.yaml", "--as-of", "2026-11-22"))
    assert ("7 days after 10 November 2026 is 17 November 2026; overdue since 18 November 2026 "
            "[pwt Reviewing the PWT]") in text
    assert "1 month after 20 October 2026 is 20 November 2026; overdue since 21 November 2026" in \
        rendered(("evaluate", "-r", RULEBOOKS / "leicestershire.yaml",
                  EXAMPLES / "leicestershire" / "red-escalation.yaml", "--as-of", "2026-11-22", "--explain"))


def test_json_keeps_iso_dates_while_the_reason_says_them_the_british_way(cli):
    import json

    data = json.loads(cli("evaluate", "-r", "rulebooks/leicestershire.yaml",
                          "examples/leicestershire/red-escalation.yaml", "--as-of", "2026-11-22",
                          "--format", "json").stdout)
    assert (data["as_of"], data["outcomes"]["next_contact_due"]) == ("2026-11-22", "2026-11-17")
    step = next(s for s in data["explanation"] if s["outcome"] == "next_contact_due")
    assert step["because"].endswith("7 days after 10 November 2026 is 17 November 2026; overdue since 18 November 2026")


def test_evaluate_says_when_it_took_today_as_the_date(cli):
    text = cli("evaluate", "-r", "rulebooks/knowsley.yaml", "examples/knowsley/complex-case.yaml").stdout
    assert f"· as of today, {long_date(dt.date.today())}\n" in text
    given = cli("evaluate", "-r", "rulebooks/knowsley.yaml", "examples/knowsley/complex-case.yaml",
                "--as-of", "22/11/2026").stdout
    assert "· as of 22 November 2026\n" in given


def test_a_failed_rulebook_test_shows_dates_the_british_way(cli, minimal):
    path = minimal(replace={"outcomes: [out]": "cadences:\n  due: {from: when, every: 1 month, source: guide §2}\n"
                                               "outcomes: [out, due]"}, extra="""
    tests:
      - name: due a month on
        case: {case_id: X, level: low, when: 2026-10-20}
        expect: {due: 2026-11-21}
    """)
    lines = cli("test", path).output.splitlines()
    assert lines[1] == "  due: expected 21 November 2026, got 20 November 2026 (due date at line 22)"
