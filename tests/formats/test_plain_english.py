"""Every word a person reads is theirs: text for people never shows a rulebook's
identifiers or a comparison symbol (issue #15, section 2). Each shipped example goes
through `evaluate` (text, and --explain but for its lines marked technical), each
shipped caseload through `worklist`, and each rulebook through `docs` (Markdown and
HTML, but for the technical appendix, which is for policy owners)."""
import html
import re

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


LABELLED = {"outcomes: [out]\n": """\
labels:
  level: {label: Level of need, values: {high: High need}}
  out: {label: Outcome of A, values: {yes_a: A holds}}
  a: Worker is skilled
  b: Worker consents
factors:
  count: {items: [a, b], source: guide §1, because: the two are counted}
thresholds:
  enough: {of: count, at_least: 2, source: guide §2, because: both must hold}
matrices:
  rating:
    by: [level, a]
    when: level == 'high'
    cells: {low: {true: red, false: green}, high: {true: red, false: amber}}
    source: guide §3
    because: the rating matrix
outcomes: [out, count, enough, rating]
"""}


def test_outcomes_values_and_reasons_are_said_by_their_labels(cli, minimal, write):
    book = minimal(replace=LABELLED)
    case = write("case.yaml", "case_id: C-1\na: true\nb: true\nlevel: high\n")
    assert cli("evaluate", "-r", book, case, "--as-of", AS_OF).stdout.split("\n\n")[1] == (
        "  Outcome of A: A holds\n"
        "    because a holds [guide §1]\n"
        "  Count: 2\n"
        "    because the two are counted (2 of the 2 present: Worker is skilled and Worker consents) [guide §1]\n"
        "  Enough: yes\n"
        "    because the count is 2, and 2 or more is enough: both must hold [guide §2]\n"
        "  Rating: Red\n"
        "    because the level of need is High need and worker is skilled, so the rating is Red: the rating matrix "
        "[guide §3]")


def test_explain_marks_the_rule_as_written_and_its_line(cli, minimal, write):
    book = minimal(replace=LABELLED)
    case = write("case.yaml", "case_id: C-1\na: false\nb: true\nlevel: low\n")
    text = cli("evaluate", "-r", book, case, "--as-of", AS_OF, "--explain").stdout
    assert f"\ntechnical: rulebook mini 1 ({book})\n" in text
    assert ("  Enough: no\n"
            "    because the count is 1, fewer than the 2 needed, so not met [guide §2]\n"
            f"    technical: enough, count < 2 ({book}:29)\n") in text
    assert ("  Rating: — (not applicable)\n"
            "    because it applies only when the level of need is High need [guide §3]\n"
            f"    technical: rating, not applicable: only when level == 'high' ({book}:33)\n") in text
    assert ("  Outcome of A: No a\n"
            "    because a does not hold [guide §1]\n"
            f"    technical: out, otherwise ({book}:") in text


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


def test_a_count_labelled_as_a_heading_is_said_as_the_number_of_it(cli, write):
    # "Initial Test factors met: 3" is a heading; "the Initial Test factors met is 3" did not read
    case = write("case.yaml", "case_id: X\nnature_of_condition: true\nfamily_dynamics: true\n")
    text = cli("evaluate", "-r", "rulebooks/knowsley.yaml", case, "--as-of", AS_OF).stdout
    assert "    because the number of Initial Test factors met is 2, fewer than the 3 needed, so not met" in text
    met = cli("evaluate", "-r", "rulebooks/knowsley.yaml", "examples/knowsley/complex-case.yaml", "--as-of",
              AS_OF).stdout
    assert "    because the number of Initial Test factors met is 3, and 3 or more is enough: a person who meets" in met
