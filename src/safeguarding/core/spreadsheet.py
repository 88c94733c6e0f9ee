"""Cells of every export a spreadsheet may open (CSV, the Annex A workbook): text from the record is written as
text, never as a formula the spreadsheet would run (OWASP, "CSV Injection": a leading =, +, -, @, tab or carriage
return starts a formula or a DDE call, so such a cell is prefixed with an apostrophe)."""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value: object) -> str:
    """A CSV cell: empty for None, else the value's text, defused when it could start a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


# In a workbook a cell's text is stored as text: a leading tab or carriage return is kept as typed there (it starts
# nothing), and only what a user re-entering the cell would turn into a formula is defused.
_WORKBOOK_FORMULA_STARTS = ("=", "+", "-", "@")


def spreadsheet_value(value: Any) -> Any:
    """A workbook cell: numbers and dates as they are, text that could become a formula prefixed."""
    if isinstance(value, str) and value.startswith(_WORKBOOK_FORMULA_STARTS):
        return "'" + value
    return value
