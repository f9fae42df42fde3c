import datetime as dt
import os
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from policyengine import load_rulebook
from policyengine.cli import main

ROOT = Path(__file__).resolve().parents[1]
RULEBOOKS = ROOT / "rulebooks"
EXAMPLES = ROOT / "examples"

MINIMAL = """\
rulebook:
  id: mini
  title: Minimal
  council: Test Council
  version: "1"
  effective_from: 2026-01-01
  review_by: 2999-01-01
  sources: {guide: {title: Test guide}}
inputs:
  case_id: {type: string, required: true, question: 'Case reference?'}
  a: {type: boolean, default: false, question: 'A?'}
  b: {type: boolean, default: false, question: 'B?'}
  level: {type: enum, values: [low, high], required: true, question: 'Level?'}
  when: {type: date, question: 'When?'}
decisions:
  out:
    source: guide §1
    rules:
      - {when: a, value: yes_a, because: a holds}
    otherwise: {value: no_a, because: a does not hold}
outcomes: [out]
"""


@pytest.fixture(scope="session")
def books():
    """Every shipped rulebook, compiled once."""
    return {p.stem: load_rulebook(p) for p in sorted(RULEBOOKS.glob("*.yaml"))}


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def cli(runner, monkeypatch):
    """Run the CLI from the repository root, as the README does."""
    monkeypatch.chdir(ROOT)

    def invoke(*args, input=None):
        return runner.invoke(main, [str(a) for a in args], input=input, catch_exceptions=False)

    return invoke


@pytest.fixture
def write(tmp_path):
    """Write a file under tmp_path from dedented text; returns its path."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return _write


@pytest.fixture
def minimal(write):
    """Write a variant of the minimal rulebook: ``minimal(replace={old: new}, extra=...)``."""

    def _make(extra: str = "", replace: dict | None = None, name: str = "mini.yaml") -> Path:
        text = MINIMAL
        for old, new in (replace or {}).items():
            assert old in text, old
            text = text.replace(old, new)
        return write(name, text + textwrap.dedent(extra))

    return _make


AS_OF = dt.date(2026, 11, 22)
