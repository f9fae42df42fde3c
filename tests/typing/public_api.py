"""A council's system using the public API, checked by mypy in CI (never run by pytest).

If a public name loses its type, or a signature changes under its users, this
file stops type-checking.
"""
import datetime
import io

import policyengine
from policyengine import CaseloadSummary, Decision, PolicyEngineError, Rulebook

AS_OF = datetime.date(2026, 11, 22)

book: Rulebook = policyengine.load_rulebook("rulebooks/knowsley.yaml")
same: Rulebook = policyengine.load_rulebook_text("rulebook: {}", base_dir="rulebooks")
mapped: Rulebook = policyengine.load_rulebook_mapping({"rulebook": {}}, base_dir="rulebooks")
decision: Decision = policyengine.evaluate(book, {"case_id": "K-1"}, AS_OF)
outcome: object = decision.outcomes["complex"]
letter: str = policyengine.render(decision, "allocation_note", draft=True, letter_date=AS_OF)
laid_out: policyengine.Letter = policyengine.prepare_letter(decision, "allocation_note", letter_date=AS_OF)
pdf: str | bytes = policyengine.write_letter(laid_out, "pdf")
contract: dict = decision.as_dict()

summary: CaseloadSummary = policyengine.run_caseload(book, "caseload.csv", as_of=AS_OF, output=io.StringIO(),
                                                     format="csv", ignore=["notes"])
counts: tuple[int, int] = (summary.decided, summary.failed)
worklist: policyengine.Worklist = policyengine.build_worklist(book, b"case_id\n", as_of=AS_OF)
impact: policyengine.Impact = policyengine.measure_impact(book, same, ["caseload.csv"], as_of=AS_OF)
tests: policyengine.RulebookTestRun = policyengine.run_rulebook_tests(book, coverage=True)
changes: policyengine.RulebookDiff = policyengine.diff_rulebooks(book, same)
document: str = policyengine.render_docs(book, "html")
effective: str = policyengine.effective_text(book)
fork: str = policyengine.fork_rulebook("rulebooks/knowsley.yaml", "northfield", council="Northfield")
as_json: str = policyengine.write(summary, "json")
as_text: str = policyengine.write(policyengine.DecisionReport(decision), "text")

try:
    policyengine.load_rulebook("missing.yaml")
except PolicyEngineError as error:
    code: str = error.code
    status: int = error.exit_code
    where: int | None = error.line
    data: dict = error.as_dict()

case, origin = policyengine.read_case_file("examples/knowsley/complex-case.yaml")
read: Decision = book.evaluate(case, AS_OF, explain=True, origin=origin)
app = policyengine.create_app("rulebooks")
routes: list = app.routes
caught: tuple[type[PolicyEngineError], ...] = (policyengine.InputError, policyengine.OutputError)
refork: str = policyengine.fork_rulebook(book, "northwick")
