"""Shared pieces for the attack suite, and hypothesis profiles.

CI runs the `ci` profile (bounded examples); maintainers run a longer search with
    HYPOTHESIS_PROFILE=long python -m pytest tests/adversarial -q
"""
import os
import textwrap

import pytest
from hypothesis import HealthCheck, settings

from ..conftest import MINIMAL, ROOT
from ..web.contract import api_responses_keep_their_contract  # noqa: F401 (every /api answer is checked)

settings.register_profile("ci", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
settings.register_profile("long", max_examples=5_000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

LEICS = str(ROOT / "rulebooks" / "leicestershire.yaml")
KNOWSLEY = str(ROOT / "rulebooks" / "knowsley.yaml")
GOOD_CASE = str(ROOT / "examples" / "knowsley" / "complex-case.yaml")


def assert_clean_failure(result, *, mentions: str, code: int = 1):
    """Failed with one located line per problem: no traceback, no internal error."""
    assert result.exit_code == code, result.output
    err = result.stderr
    assert "Traceback" not in result.output and "Traceback" not in err
    assert "internal error" not in err
    assert mentions in err, err
    return err


@pytest.fixture
def hostile(tmp_path):
    """Write a hostile file; returns its path."""

    def make(name: str, content, mode="w"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content) if mode == "dedent" else content, encoding="utf-8")
        return path

    return make


@pytest.fixture
def mini_rulebook(tmp_path):
    """A valid minimal rulebook, with optional extra YAML appended."""

    def make(extra: str = "", name: str = "mini.yaml"):
        path = tmp_path / name
        path.write_text(MINIMAL + textwrap.dedent(extra), encoding="utf-8")
        return path

    return make
