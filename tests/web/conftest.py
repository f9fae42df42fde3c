"""The web suite: each /api response a test receives is checked against /openapi.json (see contract.py)."""
from .contract import api_responses_keep_their_contract  # noqa: F401
