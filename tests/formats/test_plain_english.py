"""Every word a person reads is theirs: text for people never shows a rulebook's
identifiers or a comparison symbol (issue #15, section 2). Each shipped example goes
through `evaluate` (text, and --explain but for its lines marked technical), each
shipped caseload through `worklist`, and each rulebook through `docs` (Markdown and
HTML, but for the technical appendix, which is for policy owners)."""
import html
import re
import shutil

import pytest

from tests.conftest import EXAMPLES, RULEBOOKS

SNAKE = re.compile(r"\b[A-Za-z0-9]+_[A-Za-z0-9_]+\b")
COMPARISONS = ("==", "!=", ">=", "<=", "≥", "≤", " < ", " > ")
AS_OF = "2026-11-22"


def code_in(text: str) -> list[str]:
    """Identifiers and comparison symbols in ``text``: what a practitioner should never read."""
    return SNAKE.findall(text) + [c for c in COMPARISONS if c in text]


def for_people(text: str) -> str:
    """The text without the lines ``--explain`` marks as technical."""
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("technical:"))


def examples():
    found = []
    for folder in sorted(p for p in EXAMPLES.iterdir() if p.is_dir() and p.name != "forks"):
        for case in sorted(folder.glob("*.y*ml")) + sorted(folder.glob("*.json")):
            found.append((RULEBOOKS / f"{folder.name}.yaml", case))
    forks = EXAMPLES / "forks"
    found += [(forks / "northfield.yaml", case) for case in sorted((forks / "cases").glob("*.yaml"))]
    return found


@pytest.mark.parametrize("rulebook, case", examples(), ids=lambda p: p.stem)
def test_every_example_reads_without_code(cli, rulebook, case):
    plain = cli("evaluate", "-r", rulebook, case, "--as-of", AS_OF, "--partial")
    explained = cli("evaluate", "-r", rulebook, case, "--as-of", AS_OF, "--partial", "--explain")
    assert (plain.exit_code, explained.exit_code) == (0, 0), plain.output
    assert code_in(plain.stdout) == []
    assert code_in(for_people(explained.stdout)) == []
    assert "    technical: " in explained.stdout  # the rules as written are still there for policy owners


def test_explain_marks_the_rule_as_written_and_its_line(cli):
    result = cli("evaluate", "-r", "rulebooks/knowsley.yaml", "examples/knowsley/complex-case.yaml",
                 "--as-of", AS_OF, "--explain")
    assert ("  Complex: yes\n"
            "    because the factor count is 3, and 3 or more is enough: a person who meets three or more of the "
            "initial-test factors should be considered complex [guide §3, §4]\n"
            "    technical: complex, factor_count ≥ 3 (rulebooks/knowsley.yaml:146)\n") in result.stdout
    assert "\ntechnical: rulebook knowsley 1.0.0 (rulebooks/knowsley.yaml)\n" in result.stdout


def test_outcomes_and_their_values_are_named_by_their_labels(cli, tmp_path):
    book = tmp_path / "leics.yaml"
    text = (RULEBOOKS / "leicestershire.yaml").read_text()
    book.write_text(text.replace("\ninputs:\n", "\nlabels:\n  rag: {label: RAG rating}\n"
                                 "  route: {values: {pwt: Planned Work Tray}}\ninputs:\n", 1))
    shutil.copytree(RULEBOOKS / "templates" / "leicestershire", tmp_path / "templates" / "leicestershire")
    result = cli("evaluate", "-r", book, "examples/leicestershire/red-escalation.yaml", "--as-of", AS_OF)
    assert "\n  Route: Planned Work Tray\n" in result.stdout
    assert ("\n  RAG rating: Red\n    because the support is None and the risk is High, so the RAG rating is Red: "
            "the RAG matrix of support against risk of harm") in result.stdout
    assert "    because it applies only when the route is Review tray [" in result.stdout  # annual review


@pytest.mark.parametrize("rulebook, caseload", [
    ("leicestershire", EXAMPLES / "leicestershire" / "caseload.csv"),
    ("northfield", EXAMPLES / "forks" / "caseload.csv"),
])
def test_the_worklist_reads_without_code(cli, rulebook, caseload):
    path = RULEBOOKS / f"{rulebook}.yaml" if rulebook != "northfield" else EXAMPLES / "forks" / "northfield.yaml"
    result = cli("worklist", "-r", path, caseload, "--as-of", AS_OF, "--ignore-column", "worker_name",
                 "--ignore-column", "team", "--ignore-column", "notes")
    people = result.stdout.split("\nCould not be decided")[0]  # an error names the column to fix
    assert "Summary\n" in people
    assert code_in(people) == []


@pytest.mark.parametrize("rulebook", sorted(RULEBOOKS.glob("*.yaml")) + [EXAMPLES / "forks" / "northfield.yaml"],
                         ids=lambda p: p.stem)
@pytest.mark.parametrize("fmt", ["md", "html"])
def test_the_policy_document_reads_without_code_but_in_its_appendix(cli, tmp_path, rulebook, fmt):
    out = tmp_path / f"policy.{fmt}"
    assert cli("docs", "-r", rulebook, "-o", out).exit_code == 0
    text = out.read_text()
    body, appendix = text.split("Technical appendix: the rules as written", 1)
    if fmt == "html":
        body = html.unescape(re.sub(r"<[^>]+>", " ", body.split("<body>", 1)[1]))
    assert code_in(body) == []
    assert "`" not in body
    assert "==" in appendix or ">=" in appendix or " and " in appendix  # the expressions as written
