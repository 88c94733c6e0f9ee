"""Annex A written as a workbook (.xlsx): one sheet per list, then "About" with the notes."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Sequence
from datetime import date, datetime
from itertools import chain
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape

from safeguarding.core.spreadsheet import spreadsheet_value
from safeguarding.returns.annex_a.lists import AnnexA


def write_workbook(annex: AnnexA, out: Path | IO[bytes]) -> None:
    """One sheet per list (headers in row 1, dates as dates), then "About" with the notes.

    Written straight as SpreadsheetML (ECMA-376) into the zip, a row at a time: text as inline strings (never a
    formula), dates as serial numbers with a date style. openpyxl's general writer spends ~20 us a cell, most of an
    export's time on a large council; the tests read every workbook back with openpyxl."""
    sheets = [(s.spec.sheet, [list(s.spec.columns)], s.rows) for s in annex.sheets]
    sheets.append(("About", [["Note"]], [[note] for note in annex.notes]))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", _content_types(len(sheets)))
        package.writestr("_rels/.rels", _ROOT_RELS)
        package.writestr(
            "xl/workbook.xml",
            _WORKBOOK.format(
                sheets="".join(
                    f'<sheet name="{escape(name, _QUOTE)}" sheetId="{i}" r:id="rId{i}"/>'
                    for i, (name, _h, _r) in enumerate(sheets, 1)
                )
            ),
        )
        package.writestr(
            "xl/_rels/workbook.xml.rels",
            _WORKBOOK_RELS.format(
                sheets="".join(
                    f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                    for i in range(1, len(sheets) + 1)
                ),
                styles=len(sheets) + 1,
            ),
        )
        package.writestr("xl/styles.xml", _STYLES)
        for i, (_name, header, rows) in enumerate(sheets, 1):
            with package.open(f"xl/worksheets/sheet{i}.xml", "w") as part:
                last = f"{_COLUMNS[len(header[0]) - 1]}{len(rows) + 1}"
                part.write(_SHEET_START + f'<dimension ref="A1:{last}"/><sheetData>'.encode())
                chunk: list[str] = []
                for number, row in enumerate(chain(header, rows), 1):
                    chunk.append(_row_xml(number, row))
                    if len(chunk) >= 500:
                        part.write("".join(chunk).encode())
                        chunk = []
                part.write("".join(chunk).encode())
                part.write(_SHEET_END)


def _column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


_COLUMNS = [_column_letters(i) for i in range(64)]
_EXCEL_EPOCH = date(1899, 12, 30)
# Characters XML 1.0 cannot carry (controls other than tab, newline and carriage return) are dropped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_QUOTE = {'"': "&quot;"}


def _row_xml(number: int, row: Sequence[Any]) -> str:
    cells = []
    for index, value in enumerate(row):
        if value is None or value == "":
            continue
        ref = f"{_COLUMNS[index]}{number}"
        if isinstance(value, bool):
            cells.append(f'<c r="{ref}" t="b"><v>{int(value)}</v></c>')
        elif isinstance(value, int | float):
            cells.append(f'<c r="{ref}"><v>{value!r}</v></c>')
        elif isinstance(value, date):
            day = value.date() if isinstance(value, datetime) else value
            cells.append(f'<c r="{ref}" s="1"><v>{(day - _EXCEL_EPOCH).days}</v></c>')
        else:
            # A carriage return is written as a character reference: XML parsers turn a bare one into a newline.
            text = escape(_NOT_XML.sub("", str(spreadsheet_value(value))), {"\r": "&#13;"})
            if not text:
                continue
            cells.append(f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>')
    return f'<row r="{number}">{"".join(cells)}</row>'


def _content_types(sheets: int) -> str:
    parts = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
        f'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, sheets + 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        f"{parts}</Types>"
    )


_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    f'xmlns:r="{_REL}"><sheets>{{sheets}}</sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{sheets}'
    f'<Relationship Id="rId{{styles}}" Type="{_REL}/styles" Target="styles.xml"/></Relationships>'
)
# Style 0: general; style 1: a date (built-in number format 14).
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_SHEET_START = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)
_SHEET_END = b"</sheetData></worksheet>"
