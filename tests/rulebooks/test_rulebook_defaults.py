"""Every yes/no and list input of the shipped rulebooks states what "not answered"
means, and the README lists exactly those that must be answered (#14)."""
import re

from policyengine.engine.unknown import UNKNOWN

from ..conftest import ROOT


def test_the_readme_names_exactly_the_yes_no_and_list_questions_that_must_be_answered(books):
    must = {n for b in books.values() for n, i in b.inputs.items()
            if i.type in ("boolean", "list") and i.default is UNKNOWN}
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    paragraph = text.split("In the shipped rulebooks every yes/no and list input states its choice.", 1)[1]
    paragraph = paragraph.split("\n\n", 1)[0].split("These have no default", 1)[1].split("keeps `default: true`")[0]
    named = set(re.findall(r"`([a-z_]+)`", paragraph)) - {"resident_in_borough"}
    assert named == must

