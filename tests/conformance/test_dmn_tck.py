"""The DMN TCK's decision-table models (compliance level 2), imported with
`import_dmn` and run through `evaluate`: every case must pass. The level-3
models use DMN beyond the decision-table subset, and are refused saying where."""
import pytest

from policyengine.change.dmn import DmnError, import_dmn

from . import tck

if not tck.TCK.exists():
    pytest.skip(f"the DMN TCK is not at {tck.TCK} (it lives in ../shared/conformance beside the project)",
                allow_module_level=True)

CASES = [pytest.param(model, case, id=f"{model.parent.name}#{case.id}")
         for model in tck.models() for case in tck.cases(model)]


def test_the_tck_subset_is_all_there():
    assert len(tck.models()) == 17 and len(CASES) == 51


@pytest.fixture(scope="module")
def results():
    return {(case.model, case.id): (ok, why) for model in tck.models() for case, ok, why in tck.run(model)}


@pytest.mark.parametrize("model, case", CASES)
def test_a_tck_case_gives_the_expected_result(results, model, case):
    ok, why = results[(case.model, case.id)]
    assert ok, why


@pytest.mark.parametrize("model, where, problem", [
    ("0017-tableTests", "structA", "input data of type `tA` cannot be imported"),
    ("0020-vacation-days", "Total Vacation Days", "only decisions whose logic is a decision table can be imported"),
])
def test_a_level_3_model_outside_the_subset_is_refused_saying_where(model, where, problem):
    path = tck.TCK / "compliance-level-3" / model / f"{model}.dmn"
    with pytest.raises(DmnError) as info:
        import_dmn(str(path))
    assert problem in info.value.message and f"(at `{where}`)" in info.value.message
