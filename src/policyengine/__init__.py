"""policyengine: social care case-management guidance as data.

Everything the command line does, a council's own system can do from here::

    import datetime, policyengine
    book = policyengine.load_rulebook("rulebooks/knowsley.yaml")      # load, validate, compile once
    decision = book.evaluate({"case_id": "K-1", "family_dynamics": True}, datetime.date(2026, 11, 22))
    decision.outcomes["complex"]
    policyengine.render(decision, "allocation_note")                  # the template's Markdown
    letter = policyengine.prepare_letter(decision, "allocation_note")  # laid out: letterhead, address, date
    pdf = policyengine.write_letter(letter, "pdf")                      # or "docx", "html", "text", "md"
    summary = policyengine.run_caseload(book, "caseload.csv", as_of=datetime.date(2026, 11, 22),
                                        output="results.csv", format="csv")

The pipeline is load → validate → compile → evaluate → render (``policyengine.engine``);
caseloads, change control and output formats are packages above it.
"""
from typing import TYPE_CHECKING, Any

from ._version import __version__ as __version__

# Rulebooks: load (from a file, YAML text or a mapping), validate and compile once.
from .engine.compile import Rulebook as Rulebook
from .engine.pipeline import load_rulebook as load_rulebook
from .engine.pipeline import load_rulebook_mapping as load_rulebook_mapping
from .engine.pipeline import load_rulebook_text as load_rulebook_text

# One case: read from a file, decided, explained, and the documents it needs.
from .engine.cases import read_case_file as read_case_file
from .engine.evaluate import Decision as Decision
from .engine.evaluate import evaluate as evaluate
from .engine.render import render as render

# Any report above in any format: text, json, yaml, csv, jsonl.
from .formats import DecisionReport as DecisionReport
from .formats import Report as Report
from .formats import write as write

# Errors: each is data (code, message, file, line, column, path, suggestion, exit_code).
from .errors import CaseError as CaseError
from .errors import CaseInvalid as CaseInvalid
from .errors import EvaluationError as EvaluationError
from .errors import Location as Location
from .errors import PolicyEngineError as PolicyEngineError
from .errors import RenderError as RenderError
from .errors import RulebookError as RulebookError
from .errors import RulebookInvalid as RulebookInvalid
from .errors import YamlError as YamlError
from .formats import OutputError as OutputError

# Imported on first use, so a command or a system that only decides cases does not load the
# caseload readers, change control, the letter layout or the web framework (a fifth of a second).
if TYPE_CHECKING:
    # Caseloads: a council's export decided row by row, the manager's worklist, a change's impact.
    from .caseload import CaseloadSummary as CaseloadSummary
    from .caseload import Impact as Impact
    from .caseload import Worklist as Worklist
    from .caseload import build_worklist as build_worklist
    from .caseload import measure_impact as measure_impact
    from .caseload import run_caseload as run_caseload

    # Change control for policy owners: tests, diff, forks, the policy document.
    from .change.diff import RulebookDiff as RulebookDiff
    from .change.diff import diff_rulebooks as diff_rulebooks
    from .change.document import render_docs as render_docs
    from .change.fork import effective_text as effective_text
    from .change.fork import fork_rulebook as fork_rulebook
    from .change.testing import RulebookTestRun as RulebookTestRun
    from .change.testing import run_rulebook_tests as run_rulebook_tests

    # Letters and case notes laid out as a council sends them: md, text, html, pdf, docx.
    from .formats.letters import Letter as Letter
    from .formats.letters import prepare as prepare_letter
    from .formats.letters import write_letter as write_letter

    from .caseload import InputError as InputError

    # The web app.
    from .web import create_app as create_app

#: Each name imported on first use, by the module that holds it.
_LAZY = {
    **dict.fromkeys(["CaseloadSummary", "Impact", "Worklist", "build_worklist", "measure_impact", "run_caseload",
                     "InputError"], ".caseload"),
    "RulebookDiff": ".change.diff", "diff_rulebooks": ".change.diff", "render_docs": ".change.document",
    "effective_text": ".change.fork", "fork_rulebook": ".change.fork", "RulebookTestRun": ".change.testing",
    "run_rulebook_tests": ".change.testing",
    "Letter": ".formats.letters", "prepare_letter": ".formats.letters", "write_letter": ".formats.letters",
    "create_app": ".web",
}
_RENAMED = {"prepare_letter": "prepare"}


def __getattr__(name: str) -> Any:
    where = _LAZY.get(name)
    if where is None:
        raise AttributeError(f"module 'policyengine' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(where, __name__), _RENAMED.get(name, name))
    globals()[name] = value  # once found, an attribute like any other
    return value


__all__ = [
    "__version__", "Rulebook", "load_rulebook", "load_rulebook_mapping", "load_rulebook_text",
    "read_case_file", "Decision", "evaluate", "render", "Letter", "prepare_letter", "write_letter",
    "CaseloadSummary", "Impact", "Worklist", "build_worklist", "measure_impact", "run_caseload",
    "RulebookDiff", "diff_rulebooks", "render_docs", "effective_text", "fork_rulebook", "RulebookTestRun",
    "run_rulebook_tests", "DecisionReport", "Report", "write",
    "CaseError", "CaseInvalid", "EvaluationError", "Location", "PolicyEngineError", "RenderError",
    "RulebookError", "RulebookInvalid", "YamlError", "InputError", "OutputError", "create_app",
]
