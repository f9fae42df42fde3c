"""`policyengine import dmn`: a DMN model's decision tables as a rulebook that
validates, never over an existing file, and never expanding an XML entity."""
import yaml

from ..conformance import tck

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
    assert cli("validate", out).exit_code == 0
    case = tmp_path / "case.yaml"
    case.write_text("case_id: D1\nage: 17\nriskcategory: Low\nisaffordable: true\n")
    assert "  approval_status: Declined\n" in cli("evaluate", "-r", out, case).output


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
