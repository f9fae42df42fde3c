"""Caseloads: reading an export, deciding every case, and what a manager or
policy owner reads of the results (a run's summary, a worklist, an impact).

    summary = run_caseload(book, "export.csv", as_of=date(2026, 11, 23), output="results.csv")
"""
from .duplicates import Duplicates as Duplicates
from .impact import Impact as Impact
from .impact import measure_impact as measure_impact
from .readers import open_caseload as open_caseload
from .records import Caseload as Caseload
from .records import InputError as InputError
from .records import Record as Record
from .records import Result as Result
from .run import decide as decide
from .run import decide_all as decide_all
from .run import run_caseload as run_caseload
from .summary import CaseloadSummary as CaseloadSummary
from .worklist import Worklist as Worklist
from .worklist import build_worklist as build_worklist
