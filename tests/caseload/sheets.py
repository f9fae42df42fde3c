"""Workbooks for tests, written cell by cell with XlsxWriter as a council's spreadsheet holds them."""
import csv
import datetime as dt
import io
import re

import xlsxwriter

_ISO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_UK = re.compile(r"([0-9]{2})/([0-9]{2})/([0-9]{4})")


def typed(text: str):
    """A CSV cell as a spreadsheet would hold it once typed in: a date as a date cell, else text."""
    if _ISO.fullmatch(text):
        return dt.datetime.fromisoformat(text)
    m = _UK.fullmatch(text)
    if m:
        return dt.datetime(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    return text


def workbook(path, sheets: dict, *, types=typed):
    """A workbook of ``{sheet name: rows}``; each cell through ``types`` (a date cell for a
    datetime, a number for a number, text for text: never a guess from the text)."""
    book = xlsxwriter.Workbook(str(path))
    date = book.add_format({"num_format": "dd/mm/yyyy"})
    stamp = book.add_format({"num_format": "dd/mm/yyyy hh:mm"})
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, cell in enumerate(row):
                value = types(cell) if isinstance(cell, str) and r else cell
                if isinstance(value, dt.datetime):
                    sheet.write_datetime(r, c, value, date if value.time() == dt.time(0) else stamp)
                elif isinstance(value, bool):
                    sheet.write_boolean(r, c, value)
                elif isinstance(value, (int, float)):
                    sheet.write_number(r, c, value)
                elif value is None or value == "":
                    continue
                else:
                    sheet.write_string(r, c, value)
    book.close()
    return path


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
