"""The worklist's "Changes in the next DAYS days": what will tip over this week before it does."""
import csv
import io
import json

from .test_batch import EXPORT, LEICS, SKIP

CHANGES = [  # (case, outcome, on, days until), at 2026-11-23 within 7 days, by date then case
    # (LCC-PWT-1007 is a Duty Point case, not on the tray: no contact of its falls due, #14)
    ("LCC-PWT-1002", "contact_overdue", "2026-11-24", 1),
    ("LCC-PWT-1002", "actions", "2026-11-24", 1),
    ("LCC-PWT-1003", "allocation_overdue", "2026-11-29", 6),
    ("LCC-PWT-1003", "actions", "2026-11-29", 6),
    ("LCC-PWT-1004", "contact_overdue", "2026-11-30", 7),
    ("LCC-PWT-1004", "allocation_overdue", "2026-11-30", 7),
    ("LCC-PWT-1004", "actions", "2026-11-30", 7),
]
OVERDUE_ACTION = ('The review contact is overdue. Contact the person now and record it on a "PWT" case note '
                  "using the RAAN, with a TM/TL notified.")


def worklist(cli, *args):
    return cli("worklist", "-r", LEICS, EXPORT, "--as-of", "2026-11-23", *SKIP, *args)


def test_json_lists_each_change_within_the_window_by_date(cli):
    data = json.loads(worklist(cli, "--format", "json").stdout)
    assert list(data)[5:7] == ["due_soon", "changes_ahead"]
    assert [(c["case_id"], c["outcome"], c["on"], c["days_until"]) for c in data["changes_ahead"]] == CHANGES
    assert data["changes_ahead"][0] == {"case_id": "LCC-PWT-1002", "outcome": "contact_overdue",
                                        "on": "2026-11-24", "becomes": True, "days_until": 1}
    assert data["changes_ahead"][1]["becomes"][-1] == OVERDUE_ACTION


def test_the_window_is_the_worklists_within(cli):
    data = json.loads(worklist(cli, "--format", "json", "--within", "1").stdout)
    assert [(c["case_id"], c["outcome"]) for c in data["changes_ahead"]] == [
        ("LCC-PWT-1002", "contact_overdue"), ("LCC-PWT-1002", "actions")]
    data = json.loads(worklist(cli, "--format", "json", "--within", "0").stdout)
    assert data["changes_ahead"] == []


def test_text_has_a_changes_section_after_the_due_items(cli, books):
    of = books["leicestershire"].labels.of
    text = worklist(cli).stdout
    section = text[text.index("Changes in the next 7 days (7)\n"):text.index("Targets breached")]
    lines = section.splitlines()
    assert lines[1].split() == ["case", "outcome", "on", "in", "days", "what", "changes"]
    assert " ".join(lines[3].split()).startswith(f"LCC-PWT-1002 {of('contact_overdue')} 24 November 2026 1 becomes yes")
    assert text.index("Due within 7 days") < text.index("Changes in the next 7 days")


def test_a_checklist_change_says_what_it_gains_and_loses_wrapped_not_the_whole_list_in_one_line(cli):
    text = worklist(cli).stdout
    section = text[text.index("Changes in the next 7 days (7)\n"):text.index("Targets breached")]
    lines = section.splitlines()
    assert lines[4] == ("  LCC-PWT-1002  Actions                      24 November 2026  1        "
                        "gains: The review contact")
    assert [line.strip() for line in lines[5:10]] == [
        "is overdue. Contact the", "person now and record it", 'on a "PWT" case note', "using the RAAN, with a",
        "TM/TL notified."]
    assert "The decision to place the case on the PWT" not in section  # in the list before and after: no change
    assert max(len(line) for line in text.splitlines() if not line.startswith("Worklist: ")) <= 100


def test_csv_rows_name_the_change_its_date_and_days(cli):
    rows = list(csv.reader(io.StringIO(worklist(cli, "--format", "csv").stdout)))
    changes = [r for r in rows if r[0] == "change"]
    assert [(r[1], r[3], int(r[4])) for r in changes] == [(c, on, n) for c, _, on, n in CHANGES]
    assert changes[0] == ["change", "LCC-PWT-1002", "contact_overdue becomes yes", "2026-11-24", "1"]
    assert changes[1][2] == f"actions gains: {OVERDUE_ACTION}"


def test_parallel_workers_find_the_same_changes(cli):
    one = json.loads(worklist(cli, "--format", "json").stdout)["changes_ahead"]
    assert json.loads(worklist(cli, "--format", "json", "--jobs", "2").stdout)["changes_ahead"] == one


def test_a_case_waiting_on_answers_is_named_in_the_worklist_with_what_it_needs(cli, tmp_path, books):
    of = books["leicestershire"].labels.of
    export = tmp_path / "w.csv"
    export.write_text("case_id,support,risk,priority,complexity,date_added\n0012345,full,low,low,low,2026-11-01\n")
    text = cli("worklist", "-r", "rulebooks/leicestershire.yaml", export, "--as-of", "2026-11-23").stdout
    section = text.split("Not decided yet: answers still needed (1)\n", 1)[1].split("\n\n", 1)[0]
    rows = section.splitlines()[2:]
    # Each column wraps within itself: the answers still needed, then the outcomes that wait on them.
    assert rows[0].startswith(f"  0012345  {of('urgent_need')},  ")
    assert rows[1].strip().startswith(f"{of('ordinarily_resident')}  ")
    assert f"{of('route')}, {of('rag')}," in rows[0]
    data = json.loads(cli("worklist", "-r", "rulebooks/leicestershire.yaml", export, "--as-of", "2026-11-23",
                          "--format", "json").stdout)
    assert data["not_decided_yet"][0]["case_id"] == "0012345"
    assert data["not_decided_yet"][0]["pending"]["route"] == ["urgent_need", "ordinarily_resident"]


def test_on_duckdb_a_case_waiting_on_answers_is_named_as_the_row_engine_names_it_and_decided_there(cli, tmp_path):
    export = tmp_path / "w.csv"
    export.write_text("case_id,support,risk,priority,complexity,date_added\n0012345,full,low,low,low,2026-11-01\n"
                      "0012346,none,high,high,high,2026-11-20\n")
    written = {}
    for engine in ("python", "duckdb"):
        result = cli("worklist", "-r", "rulebooks/leicestershire.yaml", export, "--as-of", "2026-11-23",
                     "--format", "json", "--engine", engine)
        written[engine] = result.stdout
        assert "decided by the row engine" not in result.output  # on duckdb, both cases decided there
    assert written["duckdb"] == written["python"]
    assert [c["case_id"] for c in json.loads(written["duckdb"])["not_decided_yet"]] == ["0012345", "0012346"]
