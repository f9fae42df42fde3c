"""Councils edit letters in Word before sending: the Word file opens in LibreOffice
(Debian's, headless) with its text intact."""
import shutil
import subprocess

import pytest
import yaml

from .conftest import AS_OF, CASE, FIXTURES, LETTER_DATE


def test_the_word_letter_opens_in_libreoffice_with_its_text_intact(cli, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (Debian's libreoffice-writer-nogui) is not installed")
    case = tmp_path / "case.yaml"
    case.write_text(yaml.safe_dump(CASE), encoding="utf-8")
    docx = tmp_path / "letter.docx"
    assert cli("render", "-r", FIXTURES / "letters.yaml", case, "-d", "waiting_letter", "--as-of", AS_OF,
               "--letter-date", LETTER_DATE, "-o", docx).exit_code == 0
    subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
                    "--convert-to", "txt:Text (encoded):UTF8", "--outdir", str(tmp_path / "out"), str(docx)],
                   check=True, capture_output=True, timeout=180)
    text = (tmp_path / "out" / "letter.txt").read_text(encoding="utf-8-sig")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for expected in ["Northfield Borough Council", "Mrs Amina Okafor", "12 Elm Road", "NF2 3BB", "24 November 2026",
                     "Our reference: NB-1042", "Dear Mrs Amina Okafor,", "You are on our waiting list",
                     "We will contact you regularly.", "Yours sincerely,", "Sam Patel"]:
        assert any(expected in line for line in lines), expected
