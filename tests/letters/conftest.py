import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest

from policyengine import load_rulebook

FIXTURES = Path(__file__).parent / "fixtures"
AS_OF = dt.date(2026, 11, 20)
LETTER_DATE = dt.date(2026, 11, 24)
CASE = {"case_id": "NB-1042", "person_name": "Mrs Amina Okafor", "address_line_1": "12 Elm Road",
        "address_line_2": "Westfield", "town": "Northfield", "postcode": "NF2 3BB", "date_added": "2026-10-20"}
#: What a case's values must never become: a link, emphasis, HTML, a formula, a heading.
HOSTILE = ["[click](http://x)", "**bold**", '=HYPERLINK("http://x","y")', "<script>alert(1)</script>",
           "# Heading"]


@pytest.fixture(scope="session")
def book():
    return load_rulebook(FIXTURES / "letters.yaml")


@pytest.fixture
def copy(tmp_path):
    """The fixture rulebook and its templates in a scratch folder, ``{old: new}`` replaced."""
    def _copy(replace: dict | None = None) -> str:
        shutil.copytree(FIXTURES, tmp_path / "rb", dirs_exist_ok=True)
        path = tmp_path / "rb" / "letters.yaml"
        text = path.read_text(encoding="utf-8")
        for old, new in (replace or {}).items():
            assert old in text, old
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")
        return str(path)
    return _copy


@pytest.fixture(scope="session")
def weasyprint():
    try:
        import weasyprint as module
    except (ImportError, OSError) as exc:
        pytest.skip(f"PDF tests need WeasyPrint and Debian's Pango, which cannot be loaded here: {exc}")
    return module


def pdf_text(path: Path) -> str:
    """A PDF's text as its reader would read it: pdftotext (poppler-utils), else pypdf."""
    if shutil.which("pdftotext"):
        return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                              text=True).stdout
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(path).pages)
