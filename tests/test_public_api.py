"""A council's system does what the command line does through `import policyengine` alone
(review of #12: F3, F4, F5)."""
import datetime as dt
import subprocess
import sys

import pytest

import policyengine

from .conftest import EXAMPLES, RULEBOOKS

AS_OF = dt.date(2026, 11, 22)


def test_every_name_in_all_is_importable_and_the_web_framework_loads_only_when_asked():
    for name in policyengine.__all__:
        assert getattr(policyengine, name) is not None, name
    code = "import sys, policyengine; print('fastapi' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout == "False\n"


def test_a_case_file_is_read_as_evaluate_reads_it_and_errors_name_its_line(tmp_path):
    book = policyengine.load_rulebook(RULEBOOKS / "knowsley.yaml")
    case, origin = policyengine.read_case_file(EXAMPLES / "knowsley" / "complex-case.yaml")
    assert book.evaluate(case, AS_OF, origin=origin).outcomes["complex"] is True
    bad = tmp_path / "bad.yaml"
    bad.write_text("case_id: K-1\nfamily_dynamics: yes\n")
    case, origin = policyengine.read_case_file(bad)
    with pytest.raises(policyengine.CaseError) as info:
        book.evaluate(case, AS_OF, origin=origin)
    assert str(info.value) == f"{bad}:2:18: field `family_dynamics` must be true or false"


def test_a_rulebook_renders_only_its_own_decisions():
    knowsley = policyengine.load_rulebook(RULEBOOKS / "knowsley.yaml")
    leics = policyengine.load_rulebook(RULEBOOKS / "leicestershire.yaml")
    decision = knowsley.evaluate({"case_id": "K-1"}, AS_OF)
    assert knowsley.render(decision, "allocation_note").startswith("# Allocation decision note")
    with pytest.raises(ValueError, match="made by rulebook `knowsley`, not by this one"):
        leics.render(decision, "allocation_note")


def test_caseload_and_output_errors_are_caught_from_the_package():
    book = policyengine.load_rulebook(RULEBOOKS / "knowsley.yaml")
    with pytest.raises(policyengine.InputError):
        policyengine.run_caseload(book, "no-such-caseload.csv", as_of=AS_OF)
    assert issubclass(policyengine.OutputError, policyengine.PolicyEngineError)


def test_a_fork_starts_from_a_loaded_rulebook_or_its_path_and_docs_name_their_formats(tmp_path):
    book = policyengine.load_rulebook(RULEBOOKS / "knowsley.yaml")
    written = policyengine.fork_rulebook(book, "northwick", output=tmp_path / "northwick.yaml")
    assert policyengine.load_rulebook(written).meta.id == "northwick"
    with pytest.raises(ValueError, match="a policy document is written as html or md"):
        policyengine.render_docs(book, "pdf")
    text_book = policyengine.load_rulebook_text((RULEBOOKS / "knowsley.yaml").read_text(), base_dir=RULEBOOKS)
    with pytest.raises(ValueError, match="was not loaded from one"):
        policyengine.fork_rulebook(text_book, "elsewhere", output=tmp_path / "elsewhere.yaml")


def test_deciding_one_case_does_not_load_sql_caseloads_change_control_letters_or_the_web():
    """Each costs start-up time on every command: they load when first used, not with the package."""
    import subprocess
    import sys

    code = ("import sys, policyengine, policyengine.cli\n"
            "heavy = ('sqlglot', 'duckdb', 'policyengine.caseload', 'policyengine.change', "
            "'policyengine.formats.letters', 'policyengine.web', 'fastapi')\n"
            "print(sorted(m for m in sys.modules if m.startswith(heavy)))\n")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded == "[]\n"
    code = "import policyengine\nprint(policyengine.run_caseload.__module__, policyengine.prepare_letter.__name__)\n"
    used = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert used == "policyengine.caseload.run prepare\n"
