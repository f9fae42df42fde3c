"""policyengine: social care case-management guidance as data.

The pipeline is load → validate → compile → evaluate → render::

    import policyengine
    book = policyengine.load_rulebook("rulebooks/knowsley.yaml")
    decision = book.evaluate({"case_id": "K-1", "family_dynamics": True})
    decision.outcomes["complex"]
"""
__version__ = "0.1.0"

from .compile import Rulebook as Rulebook
from .compile import load_rulebook as load_rulebook
from .errors import CaseError as CaseError
from .errors import EvaluationError as EvaluationError
from .errors import Location as Location
from .errors import PolicyEngineError as PolicyEngineError
from .errors import RenderError as RenderError
from .errors import RulebookError as RulebookError
from .errors import RulebookInvalid as RulebookInvalid
from .errors import YamlError as YamlError
from .evaluate import Decision as Decision
from .evaluate import evaluate as evaluate
from .render import render as render
