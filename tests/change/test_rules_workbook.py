"""#18 part 4: `export xlsx` and `import xlsx`, the spreadsheet round trip for policy
owners. The workbook edits values only; every edit lands in the rulebook's YAML in
place, nothing else in the file changes, and anything else is refused at its cell."""
import difflib
import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
import xlsxwriter
from python_calamine import CalamineWorkbook

from policyengine.change.rules_sheets import reference
from policyengine.change.yaml_edit import replacement
from policyengine.engine.load import compose_yaml

from ..conftest import ROOT

#: Every shipped rulebook with a table, matrix or threshold, and the fork example.
ROUND_TRIPS = ["rulebooks/adass_tiers.yaml", "rulebooks/leicestershire.yaml", "rulebooks/knowsley.yaml",
               "examples/forks/northfield.yaml"]


@pytest.fixture
def copy(tmp_path):
    """A copy of the repository's rulebooks (and the fork example beside them, as shipped); the copy's path."""
    shutil.copytree(ROOT / "rulebooks", tmp_path / "rulebooks")
    shutil.copytree(ROOT / "examples" / "forks", tmp_path / "examples" / "forks")

    def _copy(name):
        return tmp_path / name

    return _copy


def cells_of(path):
    """Each sheet of a workbook as {A1 reference: text}, in the workbook's order."""
    book = CalamineWorkbook.from_path(str(path))
    out = {}
    for name in book.sheet_names:
        rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        out[name] = {reference(r, c): v for r, row in enumerate(rows) for c, v in enumerate(row) if v != ""}
    return out


def rewrite(path, sheets):
    """Write ``sheets`` ({name: {A1 reference: text}}) as the workbook at ``path``, as a spreadsheet saves it."""
    book = xlsxwriter.Workbook(str(path))
    for name, cells in sheets.items():
        ws = book.add_worksheet(name)
        for ref, text in cells.items():
            ws.write(ref, text)
    book.close()


def exported(cli, rulebook, tmp_path):
    out = tmp_path / "rules.xlsx"
    result = cli("export", "xlsx", "-r", rulebook, "-o", out)
    assert result.exit_code == 0, result.output
    return out


def changed_lines(before, after):
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


@pytest.mark.parametrize("name", ROUND_TRIPS)
def test_a_workbook_imported_with_no_edits_leaves_the_rulebook_byte_for_byte(cli, copy, tmp_path, name):
    rulebook = copy(name)
    before = rulebook.read_bytes()
    workbook = exported(cli, rulebook, tmp_path)
    rewrite(workbook, cells_of(workbook))  # saved again by a spreadsheet: same cells, new file
    result = cli("import", "xlsx", workbook, "--into", rulebook)
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == f"no value was changed; {rulebook} was left as it was\n"
    assert rulebook.read_bytes() == before


def test_the_sheets_are_laid_out_as_the_guidance_lays_them_out(cli, tmp_path):
    sheets = cells_of(exported(cli, "rulebooks/leicestershire.yaml", tmp_path))
    assert list(sheets) == ["Read me", "rag"]
    assert sheets["rag"] == {
        "A1": "when", "B1": "route == 'pwt'", "A2": "source", "B2": "pwt Recording priority and complexity and "
        "the RAG matrix", "A3": "because", "B3": "the RAG matrix of support against risk of harm",
        "A5": "support ↓  risk →", "B5": "high", "C5": "moderate", "D5": "low",
        "A6": "none", "B6": "red", "C6": "red", "D6": "amber",
        "A7": "moderate", "B7": "red", "C7": "amber", "D7": "green",
        "A8": "full", "B8": "amber", "C8": "green", "D8": "green"}
    tier = cells_of(exported(cli, "rulebooks/adass_tiers.yaml", tmp_path))["tier"]
    assert [tier[f"{c}3"] for c in "ABCD"] == ["score", "tier", "because", "source"]
    assert [tier.get(f"{c}4") for c in "ABCD"] == [
        "<= 9", "1", "Tier 1 – 1–9 points (with six factors the lowest possible score is 6)", None]
    assert tier["A6"] == ">= 14"


def test_the_read_me_says_what_may_be_edited_and_holds_the_rulebooks_fingerprint(cli, tmp_path):
    import hashlib

    read_me = cells_of(exported(cli, "rulebooks/knowsley.yaml", tmp_path))["Read me"]
    text = "\n".join(read_me.values())
    assert "Leave the grey cells as they are, and add or remove no sheets, rows or columns" in text
    assert "policyengine import xlsx THIS-FILE.xlsx --into knowsley.yaml" in text
    assert hashlib.sha256((ROOT / "rulebooks/knowsley.yaml").read_bytes()).hexdigest() in read_me.values()


def test_one_edited_cell_is_a_one_line_change_that_diff_names_in_the_owners_words(cli, copy, tmp_path):
    rulebook = copy("rulebooks/leicestershire.yaml")
    before = rulebook.read_text()
    shutil.copy(rulebook, rulebook.parent / "before.yaml")  # beside it, with its templates
    workbook = exported(cli, rulebook, tmp_path)
    sheets = cells_of(workbook)
    sheets["rag"]["D7"] = "amber"
    rewrite(workbook, sheets)
    result = cli("import", "xlsx", workbook, "--into", rulebook)
    assert (result.exit_code, result.stdout) == (0, "sheet rag, cell D7: green → amber\n")
    assert result.stderr == f"wrote {rulebook}: 1 value changed; it is valid\n"
    assert changed_lines(before, rulebook.read_text()) == [
        "-      moderate: {high: red,   moderate: amber, low: green}",
        "+      moderate: {high: red,   moderate: amber, low: amber}"]
    shown = cli("diff", rulebook.parent / "before.yaml", rulebook).stdout
    assert "changed  matrix rag: support moderate × risk low: green → amber  [pwt Recording priority and " \
           "complexity and the RAG matrix]\n" in shown


def test_a_thresholds_number_and_a_table_rows_quoted_test_keep_their_layout(cli, copy, tmp_path):
    knowsley = copy("rulebooks/knowsley.yaml")
    before = knowsley.read_text()
    workbook = exported(cli, knowsley, tmp_path)
    sheets = cells_of(workbook)
    sheets["complex"]["B2"] = "2"
    rewrite(workbook, sheets)
    assert cli("import", "xlsx", workbook, "--into", knowsley).exit_code == 0
    assert changed_lines(before, knowsley.read_text()) == ["-    at_least: 3", "+    at_least: 2"]

    tiers = copy("rulebooks/adass_tiers.yaml")
    before = tiers.read_text()
    shutil.copy(tiers, tiers.parent / "before.yaml")
    workbook = exported(cli, tiers, tmp_path)
    sheets = cells_of(workbook)
    sheets["tier"]["A4"], sheets["tier"]["A5"] = "<= 10", "[11..13]"
    rewrite(workbook, sheets)
    result = cli("import", "xlsx", workbook, "--into", tiers)
    assert result.exit_code == 0, result.output
    assert changed_lines(before, tiers.read_text()) == [
        '-      - row: ["<= 9", 1]', '+      - row: ["<= 10", 1]',
        '-      - row: ["[10..13]", 2]', '+      - row: ["[11..13]", 2]']
    assert cli("diff", tiers.parent / "before.yaml", tiers).stdout.splitlines()[1:] == [
        "  changed  table tier, row 1: when score <= 9 → when score <= 10 (answer still 1)  [article, workload "
        "vignette]",
        "  changed  table tier, row 2: when score [10..13] → when score [11..13] (answer still 2)  [article, "
        "workload vignette]"]


def test_an_edit_that_makes_the_rulebook_invalid_is_refused_at_its_cell_and_nothing_is_written(cli, copy, tmp_path):
    rulebook = copy("rulebooks/adass_tiers.yaml")
    before = rulebook.read_bytes()
    workbook = exported(cli, rulebook, tmp_path)
    sheets = cells_of(workbook)
    sheets["tier"]["A4"] = "<= 8"  # score 9 then has no tier
    rewrite(workbook, sheets)
    result = cli("import", "xlsx", workbook, "--into", rulebook)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.startswith(f"{workbook}: sheet tier, cell A4: ")
    assert rulebook.read_bytes() == before


@pytest.mark.parametrize("ref, text, why", [
    ("B5", "severe", "sheet rag, cell B5: the cell was changed, but a matrix's row and column values are "
                     "changed in the rulebook's YAML"),
    ("A2", "guide", "sheet rag, cell A2: the cell was changed, but a label is fixed"),
    ("E6", "amber", "sheet rag, cell E6: this cell is outside the matrix rag: rows and columns are added in the "
                    "rulebook's YAML, not in the workbook"),
    ("A9", "none", "sheet rag, cell A9: this cell is outside the matrix rag: rows and columns are added in the "
                   "rulebook's YAML, not in the workbook"),
    ("C6", "", "sheet rag, cell C6: the cell was emptied, but a value is removed in the rulebook's YAML (in a "
               "table's test, write - for any value)"),
])
def test_anything_but_a_value_changed_is_refused_at_its_cell(cli, copy, tmp_path, ref, text, why):
    rulebook = copy("rulebooks/leicestershire.yaml")
    before = rulebook.read_bytes()
    workbook = exported(cli, rulebook, tmp_path)
    sheets = cells_of(workbook)
    sheets["rag"][ref] = text
    sheets["rag"] = {k: v for k, v in sheets["rag"].items() if v}
    rewrite(workbook, sheets)
    result = cli("import", "xlsx", workbook, "--into", rulebook)
    assert (result.exit_code, result.stderr) == (1, f"{workbook}: {why}\n")
    assert rulebook.read_bytes() == before


def test_a_sheet_added_or_removed_is_refused(cli, copy, tmp_path):
    rulebook = copy("rulebooks/leicestershire.yaml")
    workbook = exported(cli, rulebook, tmp_path)
    sheets = cells_of(workbook)
    rewrite(workbook, {**sheets, "notes": {"A1": "mine"}})
    assert cli("import", "xlsx", workbook, "--into", rulebook).stderr == (
        f"{workbook}: sheet notes was added to the workbook: new tables, matrices and thresholds are added in the "
        "rulebook's YAML\n")
    rewrite(workbook, {"Read me": sheets["Read me"]})
    assert cli("import", "xlsx", workbook, "--into", rulebook).stderr == (
        f"{workbook}: sheet rag, the matrix rag, was removed from the workbook: an element is removed in the "
        "rulebook's YAML\n")


def test_a_workbook_older_than_the_rulebook_is_refused_rather_than_undoing_the_newer_changes(cli, copy, tmp_path):
    rulebook = copy("rulebooks/knowsley.yaml")
    workbook = exported(cli, rulebook, tmp_path)
    rulebook.write_text(rulebook.read_text().replace("at_least: 3", "at_least: 4"))
    result = cli("import", "xlsx", workbook, "--into", rulebook)
    assert result.exit_code == 1
    assert result.stderr == (
        f"{workbook}: the rulebook knowsley.yaml has changed since this workbook was exported from it (or the "
        "workbook's fingerprint on its `Read me` sheet was changed): importing it would undo the newer changes, "
        "so export the workbook again and make the edits there\n")
    assert "at_least: 4" in rulebook.read_text()


def test_a_file_that_is_not_a_workbook_and_a_missing_option_are_refused(cli, copy, tmp_path):
    rulebook = copy("rulebooks/knowsley.yaml")
    bad = tmp_path / "rules.xlsx"
    bad.write_text("not a workbook")
    result = cli("import", "xlsx", bad, "--into", rulebook)
    assert (result.exit_code, result.stderr) == (1, f"{bad}: the file cannot be read as an XLSX workbook: open it "
                                                    "in a spreadsheet and save it again as Excel Workbook (.xlsx)\n")
    assert cli("import", "xlsx", bad).exit_code == 2


@pytest.mark.parametrize("source, flow, text, written", [
    ("k: red\n", False, "amber", "amber"),                 # plain stays plain
    ("k: 3\n", False, "2", "2"),
    ("k: red\n", False, ">= 18", '">= 18"'),               # YAML needs the quotes
    ("k: red\n", False, "red # not a comment", '"red # not a comment"'),
    ("k: [red]\n", True, "amber, green", '"amber, green"'),  # a comma in a flow list
    ("k: red\n", False, "amber, green", "amber, green"),     # but not in a block
    ("k: '<= 9'\n", False, "it's", "'it''s'"),             # single quotes stay single
    ('k: "true"\n', False, "false", '"false"'),            # quoted text stays text
    ("k: red\n", False, "two\nlines", '"two\\nlines"'),    ("k: red\n", False, "null", '"null"'),                # a plain word stays text, never no value,
    ("k: red\n", False, "true", '"true"'),                #   a yes/no or a date
    ("k: [red]\n", True, "2026-01-01", '"2026-01-01"'),
    ("k: red\n", False, "3", '"3"'),
    ("k: 3\n", False, "null", "null"),                     # a number's cell reads as YAML reads it
])
def test_a_new_value_is_quoted_only_when_yaml_needs_it(source, flow, text, written):
    root = compose_yaml(source)
    value = root.value[0][1]
    node = value.value[0] if flow else value
    assert replacement(node, text, flow)[0] == written


@pytest.fixture(scope="module")
def soffice(tmp_path_factory):
    """Convert a file with LibreOffice headless, in a profile of its own; the converted file's path."""
    import os
    import subprocess

    program = shutil.which("soffice")
    if not program:
        pytest.skip("LibreOffice is not installed (no `soffice` on PATH): apt-get install libreoffice-calc "
                    "to edit a workbook with the real spreadsheet tool")
    profile = tmp_path_factory.mktemp("office-profile")
    env = {**os.environ, "LC_ALL": "en_GB.UTF-8", "LANG": "en_GB.UTF-8", "HOME": str(profile)}

    def convert(source, to, folder):
        folder.mkdir(exist_ok=True)
        done = subprocess.run([program, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                               "--convert-to", to, "--outdir", str(folder), str(source)],
                              env=env, capture_output=True, text=True, timeout=180)
        target = folder / f"{source.stem}.{to}"
        assert target.exists(), (done.returncode, done.stdout, done.stderr)
        return target

    return convert


def test_a_workbook_saved_by_libreoffice_round_trips_and_one_cell_edited_in_it_is_a_one_line_change(
        cli, copy, tmp_path, soffice):
    rulebook = copy("rulebooks/adass_tiers.yaml")
    before = rulebook.read_text()
    workbook = exported(cli, rulebook, tmp_path)
    saved = soffice(workbook, "xlsx", tmp_path / "saved")  # opened and saved again, unedited
    result = cli("import", "xlsx", saved, "--into", rulebook)
    assert (result.exit_code, rulebook.read_text()) == (0, before)
    flat = soffice(workbook, "fods", tmp_path / "flat")  # the workbook as LibreOffice's own XML, edited there
    xml = flat.read_text(encoding="utf-8")
    assert xml.count("Tier 2 – 10–13 points") == 1
    flat.write_text(xml.replace("Tier 2 – 10–13 points", "Tier 2 – ten to thirteen points"), encoding="utf-8")
    edited = soffice(flat, "xlsx", tmp_path / "edited")
    result = cli("import", "xlsx", edited, "--into", rulebook)
    assert (result.exit_code, result.stdout) == (
        0, "sheet tier, cell C5: Tier 2 – 10–13 points → Tier 2 – ten to thirteen points\n")
    assert changed_lines(before, rulebook.read_text()) == [
        '-        because: "Tier 2 – 10–13 points"', '+        because: "Tier 2 – ten to thirteen points"']


ESCALATE = """\
rulebook: {id: t, title: T, council: C, version: "1", effective_from: 2026-01-01, review_by: 2999-01-01,
           sources: {guide: {title: G}}}
inputs:
  case_id: {type: string, required: true, question: 'Ref?'}
  rag: {type: enum, values: [red, amber, green], required: true, question: 'RAG?'}
  over: {type: boolean, default: false, question: 'On the tray over a month?'}
  risen: {type: boolean, question: 'Has the risk increased?'}
tables:
  escalate:
    hit: first   # the first row that applies
    inputs: [rag, over, risen]
    rows:
      - [red, true, -, true]      # a red case on the tray over a month
      - [-, -, true, true]
      - [-, -, -, false]
    because: [a red case over a month on the tray, the manager believes the risk has increased, neither]
    source: guide §4
outcomes: [escalate]
"""


def test_a_table_is_a_row_per_rule_with_its_tests_answer_because_and_drop_downs(cli, tmp_path):
    import zipfile

    rulebook = tmp_path / "t.yaml"
    rulebook.write_text(ESCALATE)
    workbook = exported(cli, rulebook, tmp_path)
    sheet = cells_of(workbook)["escalate"]
    assert [sheet.get(f"{c}{r}") for r in (1, 2, 4, 5) for c in "ABCDEF"] == [
        "hit", "first", None, None, None, None,
        "source", "guide §4", None, None, None, None,
        "rag", "over", "risen", "escalate", "because", "source",
        "red", "true", "-", "true", "a red case over a month on the tray", None]
    xml = zipfile.ZipFile(workbook).read("xl/worksheets/sheet2.xml").decode()
    assert '<pane ySplit="4" topLeftCell="A5" activePane="bottomLeft" state="frozen"/>' in xml
    assert 'errorStyle="information" allowBlank="1" showInputMessage="1" showErrorMessage="1" errorTitle="Not ' \
           'one of the allowed values" error="The rulebook is checked when the workbook is imported." sqref="A5">' \
           '<formula1>"-,red,amber,green"</formula1>' in xml
    assert 'sqref="B1"><formula1>"unique,any,priority,first,rule_order,output_order,collect"</formula1>' in xml


def test_a_list_of_tests_typed_in_a_flow_row_is_quoted_and_the_comments_stay(cli, tmp_path):
    rulebook = tmp_path / "t.yaml"
    rulebook.write_text(ESCALATE)
    workbook = exported(cli, rulebook, tmp_path)
    sheets = cells_of(workbook)
    sheets["escalate"]["A5"], sheets["escalate"]["E7"] = "red, amber", "neither holds"
    rewrite(workbook, sheets)
    result = cli("import", "xlsx", workbook, "--into", rulebook)
    assert result.exit_code == 0, result.output
    assert changed_lines(ESCALATE, rulebook.read_text()) == [
        "-      - [red, true, -, true]      # a red case on the tray over a month",
        '+      - ["red, amber", true, -, true]      # a red case on the tray over a month',
        "-    because: [a red case over a month on the tray, the manager believes the risk has increased, neither]",
        "+    because: [a red case over a month on the tray, the manager believes the risk has increased, neither "
        "holds]"]
    shutil.copy(rulebook, tmp_path / "after.yaml")
    rulebook.write_text(ESCALATE)
    assert cli("diff", rulebook, tmp_path / "after.yaml").stdout.splitlines()[1:] == [
        "  changed  table escalate, row 1: when rag red and over yes → when rag red, amber and over yes "
        "(answer still yes)  [guide §4]",
        '  changed  table escalate, row 3: because: "neither" → "neither holds"  [guide §4]']


def test_a_value_the_schema_refuses_is_refused_at_its_cell_with_the_schemas_words(cli, tmp_path):
    rulebook = tmp_path / "t.yaml"
    rulebook.write_text(ESCALATE)
    workbook = exported(cli, rulebook, tmp_path)
    sheets = cells_of(workbook)
    sheets["escalate"]["B1"] = "firts"
    rewrite(workbook, sheets)
    result = cli("import", "xlsx", workbook, "--into", rulebook)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{workbook}: sheet escalate, cell B1: ")
    assert rulebook.read_text() == ESCALATE


def test_an_edit_that_would_change_more_than_its_own_value_is_refused_before_anything_is_written():
    from policyengine.change.yaml_edit import Edit, EditFailed, splice

    text = "k: [red, amber]\n"
    root = compose_yaml(text)
    first = root.value[0][1].value[0]
    assert splice(text, root, [Edit(first, "green", True)], "f.yaml")[0] == "k: [green, amber]\n"
    with pytest.raises(EditFailed) as info:  # told, wrongly, that the value is not in a flow list
        splice(text, root, [Edit(first, "green, blue", False)], "f.yaml")
    assert info.value.message == "the edits would change the rulebook's shape, not only its values; nothing was " \
                                 "written"


@given(text=st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20),
       source=st.sampled_from(["k: [red, amber]\nz: 1\n", "k: ['red', amber]\nz: 1\n", 'k: ["red", amber]\nz: 1\n',
                               "k:\n  - red  # a comment\n  - amber\nz: 1\n", "k:\n  - 'red'\n  - amber\nz: 1\n"]))
@settings(max_examples=150, deadline=None)
def test_any_text_typed_in_a_cell_lands_as_that_value_and_changes_nothing_else(text, source):
    from policyengine.change.yaml_edit import Edit, splice
    from policyengine.engine.load import parse_yaml

    root = compose_yaml(source)
    items = root.value[0][1]
    node = items.value[0]
    out, _ = splice(source, root, [Edit(node, text, bool(items.flow_style))], "f.yaml")
    new = compose_yaml(out)
    written = new.value[0][1].value[0]
    assert written.value == text and parse_yaml(out)["z"] == 1 and len(new.value[0][1].value) == 2
    assert parse_yaml(out)["k"][0] == text  # text stays text, quoted or plain


def test_a_workbook_from_another_rulebook_is_refused_naming_the_one_it_came_from(cli, copy, tmp_path):
    workbook = exported(cli, copy("rulebooks/leicestershire.yaml"), tmp_path)
    result = cli("import", "xlsx", workbook, "--into", copy("rulebooks/knowsley.yaml"))
    assert (result.exit_code, result.stderr) == (1, f"{workbook}: this workbook was exported from the rulebook "
                                                    "leicestershire.yaml, not knowsley.yaml: import it into the "
                                                    "rulebook it came from\n")


def test_a_value_longer_than_a_cell_holds_is_refused_rather_than_cut_short(cli, tmp_path):
    rulebook = tmp_path / "t.yaml"
    rulebook.write_text(ESCALATE.replace("source: guide §4", "source: guide §4 " + "x" * 32_767))
    result = cli("export", "xlsx", "-r", rulebook, "-o", tmp_path / "rules.xlsx")
    assert (result.exit_code, result.stderr) == (1, f"{rulebook}:17: the table escalate holds a value of more than "
                                                    "32,767 characters, more than a spreadsheet cell holds: change "
                                                    "it in the YAML\n")
    assert not (tmp_path / "rules.xlsx").exists()
