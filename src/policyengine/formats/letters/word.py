"""A document as a Word file (python-docx): written into the council's own Word
letterhead when the rulebook names one (its header, footer, styles and page are
kept), or onto a clean A4 page."""
from __future__ import annotations

import io

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt, RGBColor

from .layout import Letter
from .markdown import Block, blocks

#: The default page's font; Liberation Sans stands in for it where Arial is missing.
FONT = "Arial"


def docx_bytes(letter: Letter) -> bytes:
    doc = Document(io.BytesIO(letter.word)) if letter.word else _blank()
    doc.core_properties.title = letter.title
    doc.core_properties.author = letter.council
    doc.core_properties.subject = f"Reference {letter.reference}"
    if letter.draft:
        _draft_mark(doc, letter.draft_notice)
    _lines(doc, [] if letter.word else letter.letterhead, WD_ALIGN_PARAGRAPH.RIGHT, bold_first=True)
    _lines(doc, letter.recipient)
    if letter.kind == "letter":
        _lines(doc, [letter.long_date, f"Our reference: {letter.reference}"])
    else:
        doc.add_heading(letter.title, level=1)
        _lines(doc, [f"Case reference: {letter.reference}", letter.long_date])
    body = blocks(letter.body) if letter.body_html is None else []
    for block in body:
        _block(doc, block)
    _lines(doc, letter.sign_off)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _blank():
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin, section.right_margin = Mm(25), Mm(20)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    style = doc.styles["Normal"]
    style.font.name, style.font.size = FONT, Pt(11)
    return doc


def _draft_mark(doc, notice: str) -> None:
    """DRAFT at the top of every page: in each section's header."""
    for section in doc.sections:
        header = section.header
        header.is_linked_to_previous = False
        para = header.paragraphs[0].insert_paragraph_before() if header.paragraphs else header.add_paragraph()
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = para.add_run(notice)
        run.bold, run.font.size, run.font.color.rgb = True, Pt(14), RGBColor(0xAA, 0, 0)


def _lines(doc, lines: list[str], align=None, *, bold_first: bool = False) -> None:
    """Lines in one paragraph, each on its own line."""
    if not lines:
        return
    para = doc.add_paragraph()
    if align is not None:
        para.alignment = align
    for i, line in enumerate(lines):
        run = para.add_run(line)
        run.bold = bold_first and i == 0
        if i < len(lines) - 1:
            run.add_break()


def _block(doc, block: Block) -> None:
    if block.kind == "hr":
        doc.add_paragraph()
        return
    if block.kind == "h":
        para = doc.add_paragraph()
        for run in block.runs:
            _run(para, run, bold=True)
        return
    para = doc.add_paragraph(style=_list_style(doc, block))
    if block.kind == "li" and para.style.name == "Normal":
        para.add_run(("• " if block.number is None else f"{block.number}. "))
    if block.kind == "quote" or (block.kind == "li" and para.style.name == "Normal"):
        para.paragraph_format.left_indent = Mm(7 * max(block.level, 1))
    for run in block.runs:
        _run(para, run)


def _list_style(doc, block: Block) -> str:
    """Word's bullet style where the document has it; numbers are written as they are
    (Word's numbered style would carry on counting from the list before)."""
    if block.kind != "li" or block.number is not None:
        return "Normal"
    name = "List Bullet" + (f" {block.level}" if block.level > 1 else "")
    return name if name in [s.name for s in doc.styles] else "Normal"


def _run(para, run, *, bold: bool = False):
    """One styled run; a line break inside it stays a line break."""
    pieces = run.text.split("\n")
    last = None
    for i, piece in enumerate(pieces):
        last = para.add_run(piece)
        last.bold, last.italic = (run.bold or bold) or None, run.italic or None
        if run.code:
            last.font.name = "Courier New"
        if i < len(pieces) - 1:
            last.add_break()
    return last
