"""Write an SSDA903 return (:mod:`.tables` rows) as the DfE's CSV tables or its XML form.

Dates are written ``DD/MM/YYYY`` in the CSV tables and ``YYYY-MM-DD`` in the XML, as the DfE defines them. Every
value is written as given (the rows are the record's or a generator's, never a file's): a value a spreadsheet could
run as a formula is prefixed with an apostrophe, as in every export.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path

from lxml import etree

from safeguarding.core.spreadsheet import spreadsheet_text
from safeguarding.returns.ssda903.tables import TABLES, ChildRecord, Row, Table


def _cell(value: object) -> str:
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return spreadsheet_text(value)


def write_csv(children: Iterable[ChildRecord], folder: Path, tables: Sequence[Table] = TABLES) -> int:
    """Write each table (``tables``: the year's, :func:`~.tables.tables_for`) to ``folder`` (created), a header
    line even where a table has no rows; returns the number of children written."""
    folder.mkdir(parents=True, exist_ok=True)
    handles = {t.attribute: (folder / t.file).open("w", encoding="utf-8", newline="") for t in tables}
    try:
        writers = {}
        for t in tables:
            writer = csv.writer(handles[t.attribute])
            writer.writerow(t.columns)
            writers[t.attribute] = (t, writer)
        count = 0
        for record in children:
            count += 1
            for attribute, (t, writer) in writers.items():
                for row in getattr(record, attribute):
                    writer.writerow(_values(t, row, _cell))
    finally:
        for handle in handles.values():
            handle.close()
    return count


def _values(t: Table, row: Row, render: object) -> list[str]:
    out = [render(row.child)]  # type: ignore[operator]
    out += [render(getattr(row, column.lower())) for column in t.columns[1:]]  # type: ignore[operator]
    return out


def _xml_text(value: object) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)


_XML_NAMES = {"PLACE": "PL"}


def write_xml(children: Iterable[ChildRecord], path: Path, tables: Sequence[Table] = TABLES) -> int:
    """The XML form: ``EXPSSDA903`` holding a ``CHILD`` each, its ``HEADER`` (with the ``UASC`` flag, 1 where the
    child has a UASC row, and ``DUC`` where that row has one) and one element per row of every other table."""
    count = 0
    with etree.xmlfile(str(path), encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element("EXPSSDA903"):
            for record in children:
                count += 1
                child = etree.Element("CHILD")
                header = etree.SubElement(child, "HEADER")
                etree.SubElement(header, "CHILDID").text = record.child
                if record.header:
                    h = record.header[0]
                    for column in TABLES[0].columns[1:]:
                        text = _xml_text(getattr(h, column.lower()))
                        if text is not None:
                            etree.SubElement(header, column).text = text
                    # UASC and DUC are items of the HEADER in the DfE's form (CLA.xsd), not a group of their own.
                    flag = h.uasc if h.uasc is not None else ("1" if record.uasc else "0")
                    etree.SubElement(header, "UASC").text = flag
                    duc = _xml_text(record.uasc[0].duc) if record.uasc else None
                    if duc is not None:
                        etree.SubElement(header, "DUC").text = duc
                for t in tables[1:]:
                    if t.xml_group == "UASC" and record.header:
                        continue
                    for row in getattr(record, t.attribute):
                        group = etree.SubElement(child, t.xml_group)
                        for column in t.columns[1:]:
                            if column == "DOB":
                                continue
                            text = _xml_text(getattr(row, column.lower()))
                            if text is not None:
                                etree.SubElement(group, _XML_NAMES.get(column, column)).text = text
                        if not len(group):
                            # A row of blanks (a care leaver's OC3 with nothing recorded at the birthday) is still
                            # a row: an empty item keeps the group, so the reader sees the row.
                            first = next(c for c in t.columns[1:] if c != "DOB")
                            etree.SubElement(group, _XML_NAMES.get(first, first))
                xf.write(child)
    return count
