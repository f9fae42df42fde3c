"""Personal data stays where it belongs: never in errors, warnings or progress;
in letters only where the template asks; escaped in HTML; never on a network."""
import datetime as dt
import json
import socket

import pytest

from policyengine import load_rulebook
from policyengine import render

from .conftest import KNOWSLEY, LEICS

NAME = "Mrs Zelda Quartermaine"
CONDITION = "early onset dementia and schizophrenia"


def test_errors_name_a_case_by_id_and_row_only(cli, tmp_path):
    export = tmp_path / "e.csv"
    export.write_text("case_id,person_name,support,risk,priority,complexity,date_added\n"
                      f"L1,{NAME},full,{CONDITION},low,low,2026-11-01\n"
                      f"L2,{NAME},full,low,low,low,{CONDITION}\n")
    for args in (["batch", "-r", LEICS, export], ["worklist", "-r", LEICS, export, "--as-of", "2026-11-23"],
                 ["impact", "--base", LEICS, "--variant", LEICS, export]):
        result = cli(*args)
        assert result.exit_code == 1
        for text in (result.stderr, result.stdout):
            assert "Zelda" not in text and "Quartermaine" not in text
            assert "dementia" not in text and "schizophrenia" not in text
    batch = cli("batch", "-r", LEICS, export)
    assert "row 2 (case L1): field `risk` must be one of high, moderate, low" in batch.stderr


def test_a_bad_case_file_never_repeats_its_values(cli, tmp_path):
    case = tmp_path / "c.yaml"
    case.write_text(f"case_id: K1\nperson_name: {NAME}\nstage: {CONDITION}\n")
    result = cli("evaluate", "-r", KNOWSLEY, case)
    assert result.exit_code == 1
    assert "Zelda" not in result.stderr and "dementia" not in result.stderr


def test_letters_carry_personal_data_only_where_the_template_asks(books):
    decision = books["leicestershire"].evaluate(
        {"case_id": "L1", "person_name": NAME, "referrer_name": "Dr Example", "urgent_need": False,
         "ordinarily_resident": True, "support": "none", "risk": "high", "priority": "high", "complexity": "low",
         "date_added": dt.date(2026, 11, 20)},
        dt.date(2026, 11, 22))
    assert NAME in render(decision, "person_letter", draft=True)    # "Dear ..."
    assert NAME in render(decision, "referrer_notice", draft=True)  # "About: ...": the referrer must know who (#14)
    assert NAME not in render(decision, "pwt_case_note")


def test_html_documents_escape_every_value(mini_rulebook, tmp_path):
    folder = tmp_path / "templates" / "mini"
    folder.mkdir(parents=True)
    (folder / "letter.html.j2").write_text("<p>{{ case_id }}</p>\n")
    book = load_rulebook(mini_rulebook("""
    documents:
      letter: {title: Letter, audience: person, template: letter.html.j2}
    """))
    decision = book.evaluate({"case_id": "<script>alert(1)</script>", "level": "low"})
    assert render(decision, "letter") == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"


def test_the_policy_document_escapes_rulebook_text(cli, mini_rulebook):
    path = mini_rulebook()
    path.write_text(path.read_text().replace("because: a holds", "because: '<img src=x onerror=alert(1)>'"))
    html = cli("docs", "-r", path, "-o", path.with_suffix(".html"))
    text = path.with_suffix(".html").read_text()
    assert "<img src=x" not in text and "&lt;img src=x onerror=alert(1)&gt;" in text


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the engine opened a network socket")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_evaluate_batch_and_render_open_no_socket(cli, no_network, tmp_path):
    assert cli("evaluate", "-r", LEICS, "examples/leicestershire/red-escalation.yaml", "--as-of", "2026-11-22").exit_code == 0
    assert cli("render", "-r", LEICS, "examples/leicestershire/red-escalation.yaml", "-d", "person_letter",
               "--draft").exit_code == 0
    result = cli("batch", "-r", LEICS, "examples/leicestershire/caseload.csv", "--ignore-column", "worker_name",
                 "--ignore-column", "team", "--ignore-column", "notes", "-o", tmp_path / "r.csv")
    assert result.exit_code == 1 and (tmp_path / "r.csv").exists()  # one bad row on purpose
    assert cli("docs", "-r", LEICS).exit_code == 0
