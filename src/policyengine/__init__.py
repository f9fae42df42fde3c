"""policyengine: social care case-management guidance as data.

The pipeline is load → validate → compile → evaluate → render::

    import policyengine
    book = policyengine.load_rulebook("rulebooks/knowsley.yaml")
    decision = book.evaluate({"case_id": "K-1", "family_dynamics": True})
    decision.outcomes["complex"]
"""
from ._version import __version__ as __version__

from .engine.compile import Rulebook as Rulebook
from .engine.pipeline import load_rulebook as load_rulebook
from .engine.pipeline import load_rulebook_mapping as load_rulebook_mapping
from .engine.pipeline import load_rulebook_text as load_rulebook_text
from .errors import CaseError as CaseError
from .errors import EvaluationError as EvaluationError
from .errors import Location as Location
from .errors import PolicyEngineError as PolicyEngineError
from .errors import RenderError as RenderError
from .errors import RulebookError as RulebookError
from .errors import RulebookInvalid as RulebookInvalid
from .errors import YamlError as YamlError
from .engine.evaluate import Decision as Decision
from .engine.evaluate import evaluate as evaluate
from .engine.render import render as render
