"""The construct registry is the one list of constructs: the schema, the
compiler, forks, diffs, coverage, the fork guide and the policy document all
agree with it, so a new construct is one module, its schema fragment and one
line in the registry."""
import ast
import importlib
from pathlib import Path

import pytest

from policyengine.change import diff, document, fork, testing
from policyengine.engine import compile as compiling
from policyengine.engine import constructs
from policyengine.engine.constructs import BY_SECTION, CONSTRUCTS, ELEMENT_SECTIONS, SECTIONS
from policyengine.engine.validate import element_sections, rulebook_schema

PACKAGE = Path(constructs.__file__).resolve().parents[2]
REGISTRY = [c.section for c in CONSTRUCTS]


def test_the_schema_allows_exactly_the_registered_constructs_besides_inputs_and_documents():
    assert list(element_sections()) == ["inputs", *REGISTRY, "documents"]
    assert ELEMENT_SECTIONS == element_sections()


def test_each_construct_names_its_own_fragment_of_the_schema():
    properties = rulebook_schema()["properties"]
    for construct in CONSTRUCTS:
        assert properties[construct.section]["additionalProperties"] == {"$ref": construct.schema}
        assert construct.schema.removeprefix("#/$defs/") in rulebook_schema()["$defs"]


def test_every_list_of_sections_is_the_registry_in_its_order():
    assert list(SECTIONS) == REGISTRY and list(BY_SECTION) == REGISTRY
    assert list(diff.SECTIONS) == ["inputs", *REGISTRY, "documents"]
    assert [diff.SECTIONS[s] for s in REGISTRY] == [c.noun for c in CONSTRUCTS]
    # Compile keeps the registry's order, except that matrices and tables (whose axes and columns may be
    # other elements) come after every construct they may read.
    assert sorted(compiling.ORDER, key=REGISTRY.index) == REGISTRY
    late = [c.section for c in CONSTRUCTS if c.compiles_late]
    assert list(compiling.ORDER) == [s for s in REGISTRY if s not in late] + late == \
        ["factors", "thresholds", "decisions", "reserved_tasks", "cadences", "checklists", "matrices", "tables"]


def test_the_policy_documents_lay_out_each_construct_from_the_registry(books):
    for fmt in ("md", "html"):
        template = (PACKAGE / "change" / "templates" / f"policy.{fmt}.j2").read_text(encoding="utf-8")
        for construct in CONSTRUCTS:
            assert f'data.get("{construct.section}")' not in template  # the wording is the construct's
        text = document.render_docs(books["leicestershire"], fmt)
        for construct in CONSTRUCTS:
            heading = "Due dates" if construct.section == "cadences" else construct.section.replace("_", " ")
            present = bool(books["leicestershire"].data.get(construct.section))
            assert (heading.capitalize() in text) is present, (fmt, construct.section)


def test_coverage_asks_each_construct(books):
    book = books["leicestershire"]
    points = testing.coverage_points(book)
    kinds = {p.label.split()[0] for p in points}
    assert kinds == {c.section for c in CONSTRUCTS if c.section in {el.kind for el in book.elements}} - {"factors"}


def test_the_fork_guide_gives_an_example_for_each_construct_that_has_one(books):
    text = fork.guide(books["leicestershire"], "ours")
    for construct in CONSTRUCTS:
        if construct.fork_example and books["leicestershire"].data.get(construct.section):
            assert f"# {construct.section}:\n" in text


@pytest.mark.parametrize("module", ["compile", "constructs.base", *(f"constructs.{c}" for c in REGISTRY)])
def test_compile_and_the_constructs_import_nothing_above_them(module):
    """Not even inside a function: compile never imports evaluate or render,
    and a construct never imports the presentation module ``values``. (An
    annotation may name a type from above, under ``if TYPE_CHECKING:``.)"""
    path = Path(importlib.import_module(f"policyengine.engine.{module}").__file__)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            node.body = []  # never run
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").rsplit(".", 1)[-1])
            imported.update(a.name for a in node.names)
        elif isinstance(node, ast.Import):
            imported.update(a.name.rsplit(".", 1)[-1] for a in node.names)
    assert not imported & {"evaluate", "render", "pipeline", "values", "caseload", "change", "formats", "cli",
                           "web"}


def test_a_construct_module_registers_what_the_compiler_needs():
    for construct in CONSTRUCTS:
        module = importlib.import_module(f"policyengine.engine.constructs.{construct.section}")
        assert module.CONSTRUCT is construct
        assert construct.noun and construct.summary_md and construct.summary_html
