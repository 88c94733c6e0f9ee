"""The Annex A workbook writer: whatever text, numbers and dates a list holds, a spreadsheet reader (openpyxl) reads
back the same values; text never becomes a formula; characters XML cannot carry are dropped, nothing else."""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from safeguarding.insight.period import Period
from safeguarding.returns.annex_a.lists import AnnexA, Sheet
from safeguarding.returns.annex_a.spec import LISTS
from safeguarding.returns.annex_a.workbook import write_workbook

NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
values = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.integers(-(10**9), 10**9),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.dates(min_value=date(1901, 1, 1), max_value=date(2099, 12, 31)),
)


def expected(value: Any) -> Any:
    if isinstance(value, str):
        text = NOT_XML.sub("", ("'" + value) if value[:1] in ("=", "+", "-", "@") else value)
        return text or None
    return value


@settings(max_examples=60)
@given(st.lists(st.lists(values, min_size=7, max_size=7), max_size=8))
def test_values_read_back_as_written(rows: list[list[Any]]) -> None:
    sheets = [Sheet(spec) for spec in LISTS]
    sheets[0].rows = rows  # List 1 has seven columns
    buffer = io.BytesIO()
    write_workbook(AnnexA(Period(date(2026, 1, 1), date(2026, 3, 31)), sheets, ["a note"]), buffer)
    buffer.seek(0)
    book = load_workbook(buffer)
    ws = book["List 1"]
    assert [c.value for c in ws[1]] == list(LISTS[0].columns)
    for number, row in enumerate(rows, 2):
        got = [ws.cell(number, column).value for column in range(1, 8)]
        for written, read in zip(row, got, strict=True):
            want = expected(written)
            if isinstance(want, date):
                assert read.date() == want
            elif isinstance(want, float):
                assert read == want or abs(read - want) <= abs(want) * 1e-6
            else:
                assert read == want
    assert all(cell.data_type != "f" for r in ws.iter_rows() for cell in r)
    assert book["About"]["A2"].value == "a note"
