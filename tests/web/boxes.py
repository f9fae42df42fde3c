"""A form's dates as a browser sends them: three boxes each, day, month and year."""
import re

_ISO = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
#: Fields that carry text for the server, never a date typed in boxes.
_CARRIED = {"csrf", "state", "case", "action"}


def boxed(fields: dict) -> dict:
    """``fields`` with each ISO date (``as_of="2026-11-22"``) typed into its three boxes."""
    form = {}
    for name, value in fields.items():
        found = _ISO.fullmatch(value) if isinstance(value, str) and name not in _CARRIED else None
        if found:
            year, month, day = found.groups()
            form.update({f"{name}-day": str(int(day)), f"{name}-month": str(int(month)), f"{name}-year": year})
        else:
            form[name] = value
    return form
