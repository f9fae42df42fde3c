"""One way to write any report: text, JSON, YAML, CSV or JSONL, and the atomic file writer.

Every report (a decision, a caseload run, a worklist, an impact, a diff, a
rulebook's test run) has ``as_dict()``, ``text()`` and ``rows()``;
``write(report, fmt)`` turns any of them into any format.
"""
from .atomic import AtomicOutput as AtomicOutput
from .atomic import OutputError as OutputError
from .decision import DecisionReport as DecisionReport
from .decision import decision_text as decision_text
from .spreadsheet import csv_cell as csv_cell
from .spreadsheet import csv_text as csv_text
from .spreadsheet import safe_cell as safe_cell
from .spreadsheet import safe_row as safe_row
from .writers import WRITERS as WRITERS
from .writers import Report as Report
from .writers import json_line as json_line
from .writers import json_text as json_text
from .writers import write as write
from .writers import yaml_text as yaml_text
