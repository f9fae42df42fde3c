"""What the JSON API sends, as pydantic models: the shapes ``/openapi.json`` declares.

The models describe the bodies; they never make them. A route returns the
engine's own dict (``Decision.as_dict()`` and the like) as it is, so the JSON
keeps its keys, their order and its nulls, and ``tests/web/test_api_contract.py``
checks every body the API tests receive against the schema declared for it.
Every model forbids keys it does not name, so a key added to a body and not
here fails that test. A map keyed by a rulebook's own names (its outcomes, its
inputs) is an object of any keys: the names are the rulebook's, not the API's.
"""
from __future__ import annotations

import datetime as _dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, RootModel

#: What an outcome, an answer or a default can be in JSON.
VALUE = ("true or false, a number, text, an ISO date (YYYY-MM-DD), an interval in words "
         "(`3 months`), a list of these, or null (not known)")


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CaseProblem(_Body):
    """One problem of a case that does not fit the rulebook."""

    error: str = Field(description="What is wrong, in words (never the refused value)")
    field: str | None = Field(None, description="The case field at fault, or null for the case as a whole")


class Problem(_Body):
    """Why a request was refused: the body of every 4xx and 5xx answer under /api."""

    error: str = Field(description="What is wrong, in words")
    field: str | None = Field(None, description="For a case that does not fit the rulebook (422): the case "
                                                "field at fault, or null when it is the case as a whole. "
                                                "Absent when the request itself is malformed (a date "
                                                "that is not a date, a body that is not a JSON object), and "
                                                "on every other status")
    problems: list[CaseProblem] | None = Field(
        None, description="For a case that does not fit (422): every problem, in the order of the case's "
                          "fields, then each required field left out; the first is `error` and `field`. "
                          "At most 100, then one counting the rest")


class RulebookRef(_Body):
    """The rulebook a decision came from."""

    id: str
    version: str
    title: str
    council: str


class RulebookSummary(RulebookRef):
    """One rulebook this server offers."""

    effective_from: _dt.date = Field(description="The date the guidance applies from")
    review_by: _dt.date = Field(description="The date the guidance is due for review")
    past_review: bool = Field(description="True when today is after `review_by`")


class InputSpec(_Body):
    """One field of the rulebook's case files."""

    type: str = Field(description="boolean, integer, string, date, enum or list")
    question: str = Field(description="The question the field answers")
    required: bool
    values: list[str] = Field(description="The values it may take (an enum or a list), else empty")
    default: Any = Field(description=f"The value taken when it is left out: {VALUE}")


class DocumentSpec(_Body):
    """One document the rulebook can render."""

    title: str
    audience: str


class RulebookDetail(RulebookSummary):
    """One rulebook: its dates, its inputs, its outcomes and its documents."""

    inputs: dict[str, InputSpec] = Field(description="Each case field by name, in the rulebook's order")
    outcomes: list[str] = Field(description="The outcomes a decision reports, in order")
    documents: dict[str, DocumentSpec] = Field(description="Each document by id")


class RulebookList(RootModel[list[RulebookSummary]]):
    """Every rulebook this server offers."""


class CaseSchema(RootModel[dict[str, Any]]):
    """The JSON Schema (draft 2020-12) of the rulebook's case files."""


class Case(RootModel[dict[str, Any]]):
    """A case: each case field by name, as in a case file."""


class Step(_Body):
    """One outcome, its value, and why."""

    outcome: str
    value: Any = Field(description=f"The outcome's value: {VALUE}")
    because: str = Field(description="Why, in words: the rule, cell or band that decided it")
    source: str | None = Field(description="The paragraph of the guidance the rule cites")
    rule: str = Field(description="The rule, cell or band that decided it")
    location: str = Field(description="`file:line` of that rule in the rulebook")


class Alternative(_Body):
    """A smallest change of answer that would give an outcome another value."""

    outcome: str
    becomes: Any = Field(description=f"The value it would take: {VALUE}")
    if_: dict[str, Any] = Field(alias="if", description="The answers that would change it, by case field")


class Change(_Body):
    """An outcome's first change ahead if nothing else about the case changes."""

    outcome: str
    on: _dt.date
    becomes: Any = Field(description=f"The value it takes that day: {VALUE}")


class Provenance(_Body):
    """Exactly which rulebook and engine decided."""

    rulebook_id: str
    rulebook_version: str
    rulebook_sha256: str = Field(description="The SHA-256 of the rulebook's files, templates included")
    engine_version: str


class Decision(_Body):
    """What a rulebook decided for one case: the JSON of `policyengine evaluate --format json`."""

    rulebook: RulebookRef
    case_id: str
    as_of: _dt.date = Field(description="The date the case was decided as of")
    outcomes: dict[str, Any] = Field(description="Each reported outcome by name, in the rulebook's "
                                                 f"order. A value is {VALUE}: null while it is pending")
    pending: dict[str, list[str]] = Field(description="Each pending outcome: the unanswered case fields "
                                                      "that could still change it (only with `partial`)")
    explanation: list[Step]
    documents: list[str] = Field(description="The ids of the documents that apply")
    warnings: list[str]
    alternatives: list[Alternative] | None = Field(description="What would change each outcome; null "
                                                               "unless asked for with `alternatives`")
    changes_ahead: list[Change] = Field(description="Each outcome's first change within `horizon` days")
    provenance: Provenance


class RenderedDocument(_Body):
    """One of the rulebook's documents, rendered for a case."""

    document: str = Field(description="The document's id")
    title: str
    audience: str
    text: str = Field(description="The document, as its template writes it (Markdown in the shipped rulebooks)")
