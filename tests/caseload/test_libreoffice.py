"""#17 with the real tool: caseloads saved by LibreOffice (headless, British locale)
are decided as the original, and results it saves again as CSV keep their dates,
leading zeros and neutralised formulas.

Skipped, with a message, where LibreOffice (`soffice`, Debian's libreoffice-calc,
which .ci/run installs) is not installed.
"""
import csv
import io
import json
import os
import shutil
import subprocess

import pytest

from .sheets import workbook

LEICS = "rulebooks/leicestershire.yaml"
EXPORT = "examples/leicestershire/caseload.csv"
SKIP = ["--ignore-column", "worker_name", "--ignore-column", "team", "--ignore-column", "notes"]
HEADER = ["case_id", "support", "risk", "priority", "complexity", "date_added", "last_contact", "urgent_need",
          "ordinarily_resident"]
#: LibreOffice's CSV filter options: separator, quote, UTF-8, from line 1, column formats, English (UK)
#: and, for export, cells written in full rather than as shown (so years keep four digits).
CSV_IN = "CSV:44,34,76,1,,2057"
CSV_OUT = "csv:Text - txt - csv (StarCalc):{sep},34,76,1,,2057,false,true,{shown}"


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    """Convert files with LibreOffice headless in a British locale, in a profile of its own."""
    soffice = shutil.which("soffice")
    if not soffice:
        pytest.skip("LibreOffice is not installed (no `soffice` on PATH): apt-get install libreoffice-calc "
                    "to run the tests with the real spreadsheet tool")
    profile = tmp_path_factory.mktemp("office-profile")
    env = {**os.environ, "LC_ALL": "en_GB.UTF-8", "LANG": "en_GB.UTF-8", "HOME": str(profile)}

    def convert(source, to, folder, *, infilter=None):
        folder.mkdir(exist_ok=True)
        command = [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                   *(["--infilter=" + infilter] if infilter else []), "--convert-to", to, "--outdir", str(folder),
                   str(source)]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)
        stem = os.path.splitext(os.path.basename(source))[0]
        target = folder / f"{stem}.{to.split(':')[0]}"
        assert target.exists(), (done.returncode, done.stdout, done.stderr)
        return target

    return convert


def batch(cli, path, *extra):
    result = cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23", *extra)
    return result.exit_code, result.stdout, result.stderr.replace(str(path), "<caseload>")


def test_an_export_saved_by_libreoffice_as_xlsx_and_as_csv_is_decided_as_the_original(cli, office, tmp_path):
    original = batch(cli, EXPORT, *SKIP)
    xlsx = office(os.path.abspath(EXPORT), "xlsx", tmp_path / "xlsx", infilter=CSV_IN)
    assert batch(cli, xlsx, *SKIP) == original
    for sep, name in ((44, "comma"), (59, "semicolon")):
        saved = office(xlsx, CSV_OUT.format(sep=sep, shown="false"), tmp_path / name)
        code, out, err = batch(cli, saved, *SKIP)
        assert (code, out) == original[:2], name
        assert err == ("<caseload>: the file is separated by semicolons (;), not commas: read as such\n"
                       if sep == 59 else "") + original[2]


def test_a_workbook_of_text_ids_and_date_cells_survives_libreoffice(cli, office, tmp_path):
    rows = [HEADER, ["0012345", "full", "low", "low", "low", "2026-11-01", "2026-11-20"],
            ["0000001", "none", "High", "High", "low", "20/10/2026", ""],
            ["C-3", "moderate", "moderate", "medium", "low", "2026-11-02", "09/11/2026"]]
    original = batch(cli, workbook(tmp_path / "cases.xlsx", {"Cases": rows}))
    assert original[0] == 0 and '"case_id": "0012345"' in original[1]
    again = office(tmp_path / "cases.xlsx", "xlsx", tmp_path / "again")
    assert batch(cli, again) == original
    saved = office(tmp_path / "cases.xlsx", CSV_OUT.format(sep=44, shown="false"), tmp_path / "csv")
    assert batch(cli, saved) == original


def test_results_saved_again_as_csv_by_libreoffice_keep_dates_zeros_and_neutralised_formulas(cli, office,
                                                                                               tmp_path):
    rows = [HEADER, ["0012345", "none", "high", "high", "low", "2026-11-01", "2026-11-10", "no", "yes"],
            ['=HYPERLINK("http://x","click")', "full", "low", "low", "low", "2026-11-01", "", "no", "yes"]]
    results = tmp_path / "results.xlsx"
    assert cli("batch", "-r", LEICS, workbook(tmp_path / "c.xlsx", {"Cases": rows}), "--as-of", "2026-11-23",
               "-o", results).exit_code == 0
    saved = office(results, CSV_OUT.format(sep=44, shown="true"), tmp_path / "csv")
    table = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    assert [r["case_id"] for r in table] == ["0012345", "'=HYPERLINK(\"http://x\",\"click\")"]
    assert table[0]["next_contact_due"] == "17/11/2026"  # a date cell, shown British with four digits
    assert (table[0]["contact_overdue"], table[1]["escalate_to_ssm"]) == ("yes", "no")
    first = json.loads(cli("batch", "-r", LEICS, tmp_path / "c.xlsx", "--as-of", "2026-11-23").stdout.splitlines()[0])
    assert first["outcomes"]["next_contact_due"] == "2026-11-17"
