"""`policyengine import dmn`: a DMN model's decision tables as a rulebook that
validates, never over an existing file, and never expanding an XML entity."""
import datetime as dt
import itertools

import pytest
import yaml

from policyengine import load_rulebook

from ..conformance import tck
from ..conftest import RULEBOOKS

AS_OF = dt.date(2026, 11, 22)

MODEL = tck.TCK / "compliance-level-2" / "0004-simpletable-U" / "0004-simpletable-U.dmn"


def test_a_model_becomes_a_rulebook_that_validates_and_decides(cli, tmp_path):
    out = tmp_path / "approval.yaml"
    result = cli("import", "dmn", MODEL, "-o", out)
    assert result.exit_code == 0, result.output
    data = yaml.safe_load(out.read_text())
    table = data["tables"]["approval_status"]
    assert (table["hit"], table["inputs"], table["values"]) == (
        "unique", ["age", "riskcategory", "isaffordable"], ["Approved", "Declined"])
    assert table["rows"][0] == [">=18", '"Medium","Low"', "true", '"Approved"']
    assert data["inputs"]["riskcategory"] == {"question": "RiskCategory?", "type": "enum",
                                              "values": ["High", "Low", "Medium"]}
    assert data["labels"] == {"age": "Age", "riskcategory": "RiskCategory", "isaffordable": "isAffordable",
                              "approval_status": "Approval Status"}
    assert cli("validate", out).exit_code == 0
    case = tmp_path / "case.yaml"
    case.write_text("case_id: D1\nage: 17\nriskcategory: Low\nisaffordable: true\n")
    assert "  Approval Status: Declined\n" in cli("evaluate", "-r", out, case).output


def test_import_never_overwrites_a_file(cli, tmp_path):
    out = tmp_path / "approval.yaml"
    out.write_text("mine\n")
    result = cli("import", "dmn", MODEL, "-o", out)
    assert result.exit_code == 1
    assert result.stderr.strip() == f"{out}: the file already exists; import will not overwrite it"
    assert out.read_text() == "mine\n"


def test_a_model_with_an_entity_is_refused_and_nothing_is_expanded_or_written(cli, tmp_path):
    bomb = tmp_path / "bomb.dmn"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
                    '<definitions xmlns="https://www.omg.org/spec/DMN/20230324/MODEL/" name="&b;"/>')
    out = tmp_path / "bomb.yaml"
    result = cli("import", "dmn", bomb, "-o", out)
    assert result.exit_code == 1 and not out.exists()
    assert "holds an entity or DTD (refused)" in result.stderr


def test_a_decision_that_is_not_a_table_is_refused_and_nothing_is_written(cli, tmp_path):
    model = tck.TCK / "compliance-level-3" / "0020-vacation-days" / "0020-vacation-days.dmn"
    out = tmp_path / "vacation.yaml"
    result = cli("import", "dmn", model, "-o", out)
    assert result.exit_code == 1 and not out.exists()
    assert result.stderr.strip() == (f"{model}: only decisions whose logic is a decision table can be imported "
                                     "(at `Total Vacation Days`)")


@pytest.mark.parametrize("extra, named", [
    ('<inputData name="AGE" id="x1"><variable typeRef="number" name="AGE"/></inputData>', "`AGE` and `Age`"),
    ('<decision name="age" id="x2"><decisionTable><output id="o"/></decisionTable></decision>', "`age` and `Age`"),
])
def test_two_names_of_a_model_that_read_as_one_rulebook_name_are_refused(cli, tmp_path, extra, named):
    # Merged, a table's column for one would silently read the other's answer
    model = tmp_path / "model.dmn"
    model.write_text(MODEL.read_text().replace("</definitions>", extra + "</definitions>"))
    out = tmp_path / "model.yaml"
    result = cli("import", "dmn", model, "-o", out)
    assert result.exit_code == 1 and not out.exists()
    assert result.stderr.strip() == (f"{model}: the model's names {named} both read as the rulebook's name `age`: "
                                     f"rename one in the model (at `{named[1:4]}`)")


@pytest.mark.parametrize("rulebook, grid", [
    ("adass_tiers", {"score": list(range(0, 21))}),
    ("leicestershire", {"route": ["pwt", "duty_point", "review_tray"], "support": ["none", "moderate", "full"],
                        "risk": ["high", "moderate", "low"]}),
    ("knowsley", {"factor_count": list(range(0, 6))}),
])
def test_exported_tables_read_back_decide_as_the_rulebook_does(cli, tmp_path, books, rulebook, grid):
    model = tmp_path / f"{rulebook}.dmn"
    assert cli("export", "dmn", "--rulebook", RULEBOOKS / f"{rulebook}.yaml", "-o", model).exit_code == 0
    back = tmp_path / f"{rulebook}-back.yaml"
    assert cli("import", "dmn", model, "-o", back).exit_code == 0
    reread = load_rulebook(back)
    book = books[rulebook]
    assert {name: reread.labels.of(name) for name in reread.outcomes} == \
        {name: book.labels.of(name) for name in reread.outcomes}  # the rulebook's labels, kept
    for combo in itertools.product(*grid.values()):
        values = dict(zip(grid, combo))
        theirs = reread.evaluate({"case_id": "R", **values}, AS_OF).outcomes
        for name, value in theirs.items():  # each exported table, from the values its columns read
            element = book.producers[name]
            mine = dict(values, as_of=AS_OF)
            element.run(mine)
            assert value == mine[name], (name, values)  # rag's `when: route == 'pwt'` too: null off the tray


def test_export_names_what_a_dmn_decision_table_cannot_hold(cli):
    text = cli("export", "dmn", "--rulebook", RULEBOOKS / "knowsley.yaml").output
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<!-- Exported from rulebook knowsley ')
    assert "Not exported (DMN decision tables cannot hold them): factors factor_count, decisions" in text
    assert '<decisionTable hitPolicy="UNIQUE" id="table_complex">' in text


def test_a_list_of_allowed_values_with_an_empty_item_is_refused_saying_where(cli, tmp_path):
    model = tmp_path / "m.dmn"
    model.write_text(MODEL.read_text(encoding="utf-8").replace('"High", "Low", "Medium"', '"High", , "Low"', 1),
                     encoding="utf-8")
    result = cli("import", "dmn", model, "-o", tmp_path / "m.yaml")
    assert result.exit_code == 1 and not (tmp_path / "m.yaml").exists()
    assert result.stderr.strip() == (f"{model}: a list of allowed values has an empty test between its commas "
                                     "(at `_bb73bf86-b399-490a-a635-c6f2c04ff75d`)")
