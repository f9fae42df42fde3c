"""A document as PDF, printed from its HTML by WeasyPrint: A4, fonts embedded,
real (tagged) text, the title in the metadata.

WeasyPrint needs Debian's Pango (libpango-1.0-0, libpangoft2-1.0-0) and fonts
(fonts-liberation, fonts-dejavu-core). Nothing is fetched: the HTML is the
engine's own, and any URL in it (an image a template names) is refused, so a
template cannot put a file from the machine into a letter.
"""
from __future__ import annotations

from ...errors import Location, RenderError
from .html import html_document
from .layout import Letter


class PdfUnavailable(RenderError):
    """WeasyPrint, or the system libraries it needs, cannot be loaded here."""

    code = "render.pdf_unavailable"


def _refuse_fetch(url: str, *args, **kwargs):
    raise ValueError("a letter fetches nothing")


def weasyprint():
    """The WeasyPrint module, or PdfUnavailable saying what to install."""
    try:
        import weasyprint as module  # noqa: PLC0415 - loads system libraries: only when a PDF is wanted
    except (ImportError, OSError) as exc:  # OSError: Pango is not installed
        raise PdfUnavailable("PDF output needs WeasyPrint and Pango: pip install weasyprint, and on Debian "
                             f"apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-liberation "
                             f"({type(exc).__name__})", Location("policyengine")) from None
    return module


def pdf_bytes(letter: Letter) -> bytes:
    module = weasyprint()
    page = module.HTML(string=html_document(letter), url_fetcher=_refuse_fetch, base_url=None)
    return page.write_pdf(pdf_tags=True)
