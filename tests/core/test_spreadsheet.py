"""Every export's cells are text a spreadsheet shows, never a formula it runs (core/spreadsheet.py)."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from safeguarding.core.spreadsheet import FORMULA_STARTS, spreadsheet_text, spreadsheet_value


@given(st.one_of(st.none(), st.text(), st.integers()))
def test_a_csv_cell_never_starts_a_formula_and_keeps_what_was_typed(value: object) -> None:
    cell = spreadsheet_text(value)
    assert not cell.startswith(FORMULA_STARTS)
    typed = "" if value is None else str(value)
    assert cell in (typed, "'" + typed)


def test_workbook_cells_keep_numbers_and_dates_and_defuse_formulas() -> None:
    assert spreadsheet_value(12) == 12
    assert spreadsheet_value(date(2026, 3, 31)) == date(2026, 3, 31)
    assert spreadsheet_value('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert spreadsheet_value("Amy") == "Amy"
