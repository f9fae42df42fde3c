"""A shipped letter as its recipient reads it, for the rulebook tests."""
import datetime as dt

from policyengine import prepare_letter, write_letter

LETTER_DATE = dt.date(2026, 11, 24)  # the day the letter is produced, not the evaluation date


def laid_out(decision, document_id: str) -> str:
    """The letter laid out as plain text (letterhead, recipient, date, reference, body,
    sign-off): a DRAFT, as the shipped rulebooks' phone numbers are still placeholders."""
    return write_letter(prepare_letter(decision, document_id, draft=True, letter_date=LETTER_DATE), "text")
