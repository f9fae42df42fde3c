"""Each compiled rulebook's template environment is made once, kept beside the
rulebook rather than inside it, and goes when the rulebook does."""
import gc

from policyengine import load_rulebook
from policyengine.engine import render

from ..conftest import RULEBOOKS


def test_a_rulebooks_template_environment_is_made_once_and_kept_outside_the_rulebook():
    book = load_rulebook(RULEBOOKS / "knowsley.yaml")
    env = render.environment(book)
    assert render.environment(book) is env
    assert "_template_env" not in vars(book)
    assert render.environment(load_rulebook(RULEBOOKS / "knowsley.yaml")) is not env


def test_the_environment_goes_when_its_rulebook_does():
    book = load_rulebook(RULEBOOKS / "knowsley.yaml")
    render.environment(book)
    key = id(book)
    assert key in render._environments
    del book
    gc.collect()
    assert key not in render._environments
