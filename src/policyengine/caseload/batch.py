"""The names web/app.py imported from the old ``caseload.batch`` module.

Kept only until the web upload calls ``run_caseload`` and ``build_worklist``
(see the notes of issue #12); new code imports from the modules named here.
"""
from .output import Chunk as Chunk
from .output import Formatter as Formatter
from .readers import read_csv_bytes as read_csv_bytes
from .run import decide_all as decide_all
