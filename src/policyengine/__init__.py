"""policyengine: social care case-management guidance as data.

Everything the command line does, a council's own system can do from here::

    import datetime, policyengine
    book = policyengine.load_rulebook("rulebooks/knowsley.yaml")      # load, validate, compile once
    decision = book.evaluate({"case_id": "K-1", "family_dynamics": True}, datetime.date(2026, 11, 22))
    decision.outcomes["complex"]
    policyengine.render(decision, "allocation_note")
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
from .caseload import InputError as InputError
from .formats import OutputError as OutputError

# The web app: imported on first use, so embedding the engine does not load the web framework.
if TYPE_CHECKING:
    from .web import create_app as create_app


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .web import create_app

        return create_app
    raise AttributeError(f"module 'policyengine' has no attribute {name!r}")


__all__ = [
    "__version__", "Rulebook", "load_rulebook", "load_rulebook_mapping", "load_rulebook_text",
    "read_case_file", "Decision", "evaluate", "render",
    "CaseloadSummary", "Impact", "Worklist", "build_worklist", "measure_impact", "run_caseload",
    "RulebookDiff", "diff_rulebooks", "render_docs", "effective_text", "fork_rulebook", "RulebookTestRun",
    "run_rulebook_tests", "DecisionReport", "Report", "write",
    "CaseError", "CaseInvalid", "EvaluationError", "Location", "PolicyEngineError", "RenderError",
    "RulebookError", "RulebookInvalid", "YamlError", "InputError", "OutputError", "create_app",
]
