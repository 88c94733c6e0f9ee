"""Read an SSDA903 return, from any system and possibly hostile, into :mod:`.tables` rows grouped by child.

Two forms, as the DfE accepts them:

- a folder of the DfE's CSV tables (``header.csv``, ``episodes.csv``... one per table, columns as the DfE names
  them; a table the return has no rows for may be left out, but ``header.csv`` and ``episodes.csv`` must be there).
  Each file is read line by line (no line longer than :data:`MAX_LINE_BYTES`), decoded as strict UTF-8 (a byte order
  mark allowed), and refused, naming the file, line and column, where it is not what the DfE defines: a column
  missing, extra or misnamed, a row with more or fewer cells than the header, a NUL byte, bytes that are not UTF-8,
  a cell a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``: nothing in a 903 table starts so), a
  file larger than :data:`MAX_TABLE_BYTES` (the largest council's tables are a few megabytes; a national return of
  100,000 children about 30).
- the XML form (root ``EXPSSDA903``, one ``CHILD`` each), fed to lxml's pull parser in chunks with entities, DTDs
  and the network off, each ``CHILD`` dropped once read; a DOCTYPE, a ``CHILD`` over a megabyte, a truncated or
  malformed file is refused naming the line.

Dates are ``DD/MM/YYYY`` in the CSV form (``YYYY-MM-DD`` is read too) and ``YYYY-MM-DD`` in the XML. A date that is
not one (31/02/2025) is not a refusal: the DfE defines rules for it (102, 141, 147...), so the row keeps it as absent
and names the column in ``invalid``. ``DATE_PERM`` may have an unknown day or month written ``zz`` (the DfE's
guidance): read as the first.

Given the collection year, a table that year's return does not have is refused naming its file (``dolo.csv``, or
the XML's ``DOLO`` groups, before 2026-27): a return of the wrong year, or one given the wrong ``--year``, is not
checked against rules that were never its own.
"""

from __future__ import annotations

import csv
import difflib
import gc
import itertools
import operator
import re
import sys
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import IO, Any

from lxml import etree

from safeguarding.core.spreadsheet import FORMULA_STARTS
from safeguarding.returns.ssda903.tables import (
    DOLO_FIRST_YEAR,
    TABLE_BY_FILE,
    TABLES,
    ChildRecord,
    Return,
    Row,
    Table,
    tables_for,
)

MAX_TABLE_BYTES = 400_000_000
MAX_LINE_BYTES = 100_000  # a 903 row is under 200 bytes
MAX_CHILD_BYTES = 1_000_000  # an XML <CHILD> is a few kilobytes
MAX_OUTSIDE_CHILD_BYTES = 1_000_000
CHUNK_BYTES = 1 << 18
REQUIRED_FILES = ("header.csv", "episodes.csv")
ALIASES = {"placed_for_adoption_errors.csv": "placed_for_adoption.csv"}  # the name the D2I tool uses
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_UK = re.compile(r"^(\d{2}|zz)/(\d{2}|zz)/(\d{4})$", re.IGNORECASE)


class ReturnRefused(Exception):
    """The return cannot be read; ``message`` says why, with the file, line and column where there are ones."""

    def __reduce__(self) -> tuple[type, tuple[str, str | None, int | None, str | None]]:
        return (ReturnRefused, (self.message, self.file, self.line, self.column))  # from a worker process, whole

    def __init__(self, message: str, file: str | None = None, line: int | None = None, column: str | None = None):
        self.message, self.file, self.line, self.column = message, file, line, column
        where = ", ".join(
            part for part in (file, f"line {line}" if line else None, f"column {column}" if column else None) if part
        )
        super().__init__(f"{where}: {message}" if where else message)


_dates: dict[str, date | None] = {}
_texts: dict[str, str] = {}


def parse_date(raw: str, unknown_parts: bool = False) -> date | None:
    """``DD/MM/YYYY`` or ``YYYY-MM-DD``; None where it is neither or names no real day. ``unknown_parts``: a day
    or month written ``zz`` is read as the first (DATE_PERM)."""
    key = f"{raw}|zz" if unknown_parts else raw
    if key in _dates:
        return _dates[key]
    found: date | None = None
    uk = _UK.match(raw)
    iso = None if uk else _ISO.match(raw)
    parts = (uk.group(3), uk.group(2), uk.group(1)) if uk else (iso.groups() if iso else None)
    if parts is not None:
        y, m, d = parts
        if unknown_parts:
            m, d = ("01" if m.lower() == "zz" else m), ("01" if d.lower() == "zz" else d)
        if m.isdigit() and d.isdigit():
            try:
                found = date(int(y), int(m), int(d))
            except ValueError:
                found = None
    if len(_dates) < 200_000:
        _dates[key] = found
    return found


def _text(raw: str) -> str | None:
    value = raw.strip()
    if not value:
        return None
    if len(value) <= 8:  # codes repeat across rows: one string each
        return _texts.setdefault(value, value) if len(_texts) < 100_000 else value
    return value


@contextmanager
def without_cyclic_collection() -> Iterator[None]:
    """A return is a million small objects and no reference cycles: Python's cyclic collector would only walk them
    again and again while they are made (a fifth of the time), so it waits until the block is done."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


Shard = tuple[int, int] | None  # (k, n): only the children whose share is k of n (validator workers)


def in_shard(child: str, shard: Shard) -> bool:
    return shard is None or zlib.crc32(child.encode("utf-8", "replace")) % shard[1] == shard[0]


_shares: dict[str, bool] = {}  # whether each child met is in the shard below: a child is in every table, both years
_shares_of: list[Shard] = [None]


def _shares_for(shard: Shard) -> dict[str, bool]:
    """The children already placed in or out of ``shard`` (a worker reads only its own)."""
    if _shares_of[0] != shard or len(_shares) > 1_000_000:
        _shares.clear()
        _shares_of[0] = shard
    return _shares


def read_return(path: Path | str, shard: Shard = None, year: int | None = None) -> Return:
    """The return at ``path``: a folder of CSV tables or an XML file. ``shard`` (k, n): every file is read and
    checked, but only the rows of the children in share k of n are kept (each worker process of the validator
    keeps its own share). ``year`` (the collection year, named by its end): a table that is not part of that
    year's return is refused, naming its file."""
    with without_cyclic_collection():
        return _read_return(Path(path), shard, year)


def not_of_the_year(table: Table, year: int) -> str:
    """Why a table is refused in a return of ``year`` (one not in ``tables_for(year)``)."""
    first = DOLO_FIRST_YEAR  # the one table with a first year
    return (
        f"the {table.name} table ({table.file}) is part of the return from {first - 1}-{first % 100:02d}; the "
        f"{year - 1}-{year % 100:02d} return has no such table (is this the right return, and the right --year?)"
    )


def _read_return(path: Path, shard: Shard = None, year: int | None = None) -> Return:
    if path.is_dir():
        return read_folder(path, shard, year)
    if not path.is_file():
        raise ReturnRefused("there is no file or folder here", str(path))
    with path.open("rb") as handle:
        head = handle.read(512).lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        raise ReturnRefused("the file is empty", path.name)
    if head.startswith(b"<"):
        return read_xml(path, shard, year)
    raise ReturnRefused(
        "this is neither an XML file nor a folder: give the folder holding the CSV tables (header.csv, "
        "episodes.csv...) or the XML file",
        path.name,
    )


def read_folder(folder: Path, shard: Shard = None, year: int | None = None) -> Return:
    files = {p.name.lower(): p for p in sorted(folder.iterdir()) if p.is_file() and p.suffix.lower() == ".csv"}
    if not files:
        raise ReturnRefused("the folder holds no CSV tables (header.csv, episodes.csv...)", str(folder))
    tables: list[tuple[Table, Path]] = []
    for name, p in files.items():
        table = TABLE_BY_FILE.get(ALIASES.get(name, name))
        if table is None:
            raise ReturnRefused(
                "this is not one of the SSDA903 tables (" + ", ".join(t.file for t in TABLES) + ")", p.name
            )
        if year is not None and table not in tables_for(year):
            raise ReturnRefused(not_of_the_year(table, year), p.name)
        tables.append((table, p))
    named = {t.file for t, _ in tables}
    for required in REQUIRED_FILES:
        if required not in named:
            raise ReturnRefused(f"the return has no {required}", str(folder))
    result = Return(source=str(folder))
    children = result.children
    for table, p in sorted(tables, key=lambda tp: TABLES.index(tp[0])):
        attribute = table.attribute
        # A child's rows are mostly together in a table: each run of them added at once.
        for child, rows in itertools.groupby(read_table(table, p, shard), _child_of):
            record = children.get(child)
            if record is None:
                record = children[child] = ChildRecord(child)
            getattr(record, attribute).extend(rows)
    for record in result.children.values():
        record.sort()
    return result


def _lines(handle: IO[bytes], file: str) -> Iterator[str]:
    number = 0
    while True:
        raw = handle.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        number += 1
        if len(raw) > MAX_LINE_BYTES:
            raise ReturnRefused(
                f"the line is longer than {MAX_LINE_BYTES:,} bytes; a 903 row is under 200", file, number
            )
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if b"\x00" in raw:
            raise ReturnRefused("the line holds a NUL byte: this is not a CSV text file", file, number)
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ReturnRefused(
                f"the bytes at character {len(raw[: exc.start].decode('utf-8', 'replace')) + 1} are not UTF-8 "
                "(save the table as CSV UTF-8)",
                file,
                number,
            ) from None


def read_table(table: Table, path: Path, shard: Shard = None, fast: bool = True) -> Iterator[Row]:
    """The table's rows. ``fast`` (the default): a file as the DfE's tables usually are is read a block at a time
    with the work done once per column (:func:`_fast_rows`); anything it does not handle (a refusal of any kind, a
    quoted cell over two lines, cells to strip) reads the whole file again line by line, which says exactly what
    and where, so the rows, findings and refusals are the same either way."""
    file = path.name
    if path.stat().st_size > MAX_TABLE_BYTES:
        raise ReturnRefused(
            f"the file is larger than {MAX_TABLE_BYTES // 1_000_000:,} MB; a 903 table of 100,000 children is about "
            "30 MB",
            file,
        )
    if fast:
        try:
            rows = _fast_rows(table, path, shard)
        except _Unusual:
            pass
        else:
            yield from rows
            return
    with path.open("rb") as handle:
        reader = csv.reader(_lines(handle, file), strict=True)
        try:
            found = next(reader, None)
            if found is None:
                raise ReturnRefused("the file is empty: a table needs at least its header line", file, 1)
            columns = [c.strip() for c in found]
            _check_columns(table, columns, file)
            yield from _rows(table, reader, columns, file, shard)
        except csv.Error as exc:
            raise ReturnRefused(f"this is not valid CSV ({exc})", file, reader.line_num) from None


class _Unusual(Exception):
    """The fast path met something it leaves to the line-by-line reading (which refuses it or reads it)."""


FAST_BLOCK_BYTES = 1 << 16  # small enough that a block's cells stay in the processor's cache
_first_cell = operator.itemgetter(0)
_child_of = operator.attrgetter("child")


def _plain(text: str, width: int) -> tuple[str, list[str]] | None:
    """The block's text with each line ending in a line feed alone (CR LF, as the DfE's tables and spreadsheets
    write them, made LF), and its lines, where the csv module would read each line as the cells between its commas:
    no quote, no carriage return but before a line feed, and every line ``width`` cells. Else None."""
    if '"' in text:
        return None
    if "\r" in text:
        if text.count("\r") != text.count("\r\n"):
            return None
        text = text.replace("\r\n", "\n")
    if not text.endswith("\n"):
        text += "\n"
    lines = text.split("\n")
    lines.pop()  # after the last line feed
    if set(map(str.count, lines, itertools.repeat(","))) != {width - 1}:
        return None
    return text, lines


def _needs_care(cells: str, edges: tuple[str, ...]) -> bool:
    """Whether a cell of ``cells`` (text in which each cell starts after and ends before one of ``edges``) starts
    with a formula character (``core.spreadsheet.FORMULA_STARTS``) or starts or ends with space to strip. Each
    character is first looked for alone (a fast scan; most are in no cell of a clean table), then at a cell's
    edge."""
    for c in FORMULA_STARTS:
        if c in cells and any(edge + c in cells for edge in edges):
            return True
    for c in (" ", "\t"):
        if c in cells and any(c + edge in cells for edge in edges):
            return True
    return " " in cells and any(edge + " " in cells for edge in edges)


def _blocks(handle: IO[bytes]) -> Iterator[tuple[str, list[str]]]:
    """The file's text and its lines (without their line feed), a block of whole lines at a time: each block free of
    NUL bytes, strict UTF-8, and no line near :data:`MAX_LINE_BYTES`; else :class:`_Unusual`."""
    rest = b""
    first = True
    while True:
        block = handle.read(FAST_BLOCK_BYTES)
        if block:
            block = rest + block
            cut = block.rfind(b"\n") + 1
            if cut == 0:
                if len(block) > MAX_LINE_BYTES // 4:
                    raise _Unusual
                rest = block
                continue
            block, rest = block[:cut], block[cut:]
        elif rest:
            block, rest = rest, b""
        else:
            return
        if first:
            first = False
            if block.startswith(b"\xef\xbb\xbf"):
                block = block[3:]
        if b"\x00" in block:
            raise _Unusual
        try:
            text = block.decode("utf-8")
        except UnicodeDecodeError:
            raise _Unusual from None
        lines = text.split("\n")
        if lines[-1] == "":
            lines.pop()  # the block ends with a line feed
        # A character is at most four bytes: a line this short is well within the limit in bytes.
        if lines and max(map(len, lines)) > MAX_LINE_BYTES // 4:
            raise _Unusual
        yield text, lines


def _fast_rows(table: Table, path: Path, shard: Shard = None) -> list[Row]:
    """The whole table's rows, read a block of lines at a time: each block parsed by the csv module in one call
    (or, where no cell is quoted, no line ends CR LF and every line has the header's width, split at its commas),
    its cells checked for formulas and spaces with a few searches of the block's cells joined (or of its text), the
    cells turned into columns, and each column interned, its dates looked up once per distinct text, in C-level
    maps; the rows then made in one map. Raises :class:`_Unusual` for anything the line-by-line reading must say or
    do (a refusal, a row over two lines, a blank CHILD, cells with spaces to strip), before any row is given out."""
    file = path.name
    make = table.row
    expected = list(table.columns)
    width = len(expected)
    date_at = [(i, name.lower()) for i, name in enumerate(expected) if name.lower() in table.date_columns]
    blank: dict[str, None] = {"": None}
    intern = sys.intern  # one string per distinct value (codes and ids repeat), as the line-by-line reading
    dated = {i for i, _ in date_at}
    days: dict[str, date | None] = {"": None}
    bad: set[str] = set()  # texts that are not dates
    shares = _shares_for(shard)
    out: list[Row] = []
    order: list[int] | None = None

    def _made(columns_of: list[Any], numbers: Any) -> Iterator[Row]:
        """The rows of a block's columns (CHILD checked, the other workers' rows dropped): codes and ids interned,
        dates parsed once per distinct text, the rows made in one map."""
        values: list[list[Any]] = []
        for i, column in enumerate(columns_of):
            if i in dated:
                values.append(column)  # read below, once per distinct text
            else:
                interned = list(map(intern, column))
                values.append(list(map(blank.get, interned, interned)))  # "" is None
        children = values[0]
        invalid: list[tuple[str, ...]] | None = None
        for i, name in date_at:
            column = values[i]
            if name == "date_perm":  # a day or month may be "zz"
                converted = [parse_date(raw, True) if raw else None for raw in column]
                wrong = [bool(raw) and day is None for raw, day in zip(column, converted, strict=True)]
            else:
                for raw in set(column).difference(days):
                    day = days[raw] = parse_date(raw)
                    if day is None:
                        bad.add(raw)
                converted = list(map(days.__getitem__, column))
                wrong = [] if bad.isdisjoint(column) else [raw in bad for raw in column]
            values[i] = converted
            if any(wrong):
                if invalid is None:
                    invalid = [()] * len(children)
                invalid = [(*was, name) if w else was for was, w in zip(invalid, wrong, strict=True)]
        return map(make, children, numbers, invalid or itertools.repeat(()), *values[1:])

    line = 0  # lines read so far
    with path.open("rb") as handle:
        for text, lines in _blocks(handle):
            first_line = line + 1
            line += len(lines)
            plain = _plain(text, width) if first_line > 1 else None
            if plain is not None:
                # Plain cells, every line a row of the header's width: the searches on the text itself, and the
                # other workers' rows dropped before their cells are split.
                plain_text, plain_lines = plain
                if _needs_care("\n" + plain_text, (",", "\n")):
                    raise _Unusual
                numbers: Any = range(first_line, line + 1)
                if shard is not None:
                    heads = list(map(_first_cell, map(str.partition, plain_lines, itertools.repeat(","))))
                    for child in set(heads).difference(shares):
                        shares[child] = in_shard(child, shard) if child else True
                    keep = list(map(shares.__getitem__, heads))
                    if not all(keep):
                        plain_lines = list(itertools.compress(plain_lines, keep))
                        numbers = list(itertools.compress(numbers, keep))
                        if not plain_lines:
                            continue
                parsed = list(map(str.split, plain_lines, itertools.repeat(",")))
                columns_of: list[Any] = list(zip(*parsed, strict=True))
                if order is not None:
                    columns_of = [columns_of[i] for i in order]
                if "" in columns_of[0]:
                    raise _Unusual  # CHILD blank
                out += _made(columns_of, numbers)
                continue
            try:
                parsed = list(csv.reader(lines, strict=True))
            except csv.Error:
                raise _Unusual from None
            if len(parsed) != len(lines):
                raise _Unusual  # a quoted cell over two lines
            if first_line == 1:
                if not parsed:
                    raise _Unusual
                columns = [c.strip() for c in parsed[0]]
                _check_columns(table, columns, file)
                if len(columns) != width:
                    raise _Unusual
                order = None if columns == expected else [columns.index(c) for c in expected]
                parsed = parsed[1:]
                first_line = 2
            numbers = range(first_line, first_line + len(parsed))
            if set(map(len, parsed)) - {width}:
                empty = [not cells or (len(cells) == 1 and not cells[0].strip()) for cells in parsed]
                numbers = [n for n, e in zip(numbers, empty, strict=True) if not e]
                parsed = [cells for cells, e in zip(parsed, empty, strict=True) if not e]
                if set(map(len, parsed)) - {width}:
                    raise _Unusual
            if not parsed:
                continue
            if _needs_care("\x00" + "\x00".join(itertools.chain.from_iterable(parsed)) + "\x00", ("\x00",)):
                raise _Unusual
            columns_of = list(zip(*parsed, strict=True))
            if order is not None:
                columns_of = [columns_of[i] for i in order]
            if "" in columns_of[0]:
                raise _Unusual  # CHILD blank
            if shard is not None:
                for child in set(columns_of[0]).difference(shares):
                    shares[child] = in_shard(child, shard)
                keep = list(map(shares.__getitem__, columns_of[0]))
                if not all(keep):
                    columns_of = [list(itertools.compress(column, keep)) for column in columns_of]
                    numbers = list(itertools.compress(numbers, keep))
                    if not numbers:
                        continue
            out += _made(columns_of, numbers)
    if line == 0:
        raise _Unusual  # an empty file
    return out


def _check_columns(table: Table, columns: list[str], file: str) -> None:
    expected = table.columns
    if columns == list(expected):
        return
    if sorted(columns) == sorted(expected) and len(set(columns)) == len(columns):
        return  # the same columns in another order: read by name
    missing = [c for c in expected if c not in columns]
    extra = [c for c in columns if c not in expected]
    dupes = sorted({c for c in columns if columns.count(c) > 1})
    parts = []
    for c in extra:
        near = difflib.get_close_matches(c.upper(), missing, n=1)
        parts.append(f"{c!r} is not a column of {table.name}" + (f" (is it {near[0]}?)" if near else ""))
    if missing:
        parts.append("missing " + ", ".join(missing))
    if dupes:
        parts.append("repeated " + ", ".join(dupes))
    raise ReturnRefused("; ".join(parts) + f". The DfE's columns of {table.name} are " + ", ".join(expected), file, 1)


# Cells are joined with NUL (which the csv module refuses inside a row) so that a whole row is searched at once
# for a cell starting with a formula character (core.spreadsheet.FORMULA_STARTS) or with space to strip.


def _rows(table: Table, reader: Any, columns: list[str], file: str, shard: Shard = None) -> Iterator[Row]:
    """The table's rows, each made positionally in the row class's field order (read by name where the file's
    columns come in another order). Per cell only C-level work where it can be: one join and a few substring
    searches per row (formula cells; cells to strip), an intern per value (codes and ids repeat: one string each),
    a dictionary look-up per date."""
    make = table.row
    expected = list(table.columns)
    order = None if columns == expected else [columns.index(c) for c in expected]
    date_at = [
        (i, name.lower() == "date_perm") for i, name in enumerate(expected) if name.lower() in table.date_columns
    ]
    width = len(columns)
    intern = sys.intern
    dates_get = _dates.get
    no_invalid: tuple[str, ...] = ()
    for cells in reader:
        if not cells or (len(cells) == 1 and not cells[0].strip()):
            continue
        line = reader.line_num
        if len(cells) != width:
            raise ReturnRefused(f"the row has {len(cells)} cells where the header has {width}", file, line)
        joined = "\x00" + "\x00".join(cells) + "\x00"
        if (
            "\x00=" in joined
            or "\x00+" in joined
            or "\x00-" in joined
            or "\x00@" in joined
            or "\x00\t" in joined
            or "\x00\r" in joined
        ):
            column = next(c for c, raw in zip(columns, cells, strict=True) if raw.startswith(FORMULA_STARTS))
            raise ReturnRefused(
                f"the cell starts with {cells[columns.index(column)][:1]!r}, which a spreadsheet would run as a "
                "formula; no 903 value starts so",
                file,
                line,
                column,
            )
        if "\x00 " in joined or " \x00" in joined or "\t\x00" in joined:
            cells = [raw.strip() for raw in cells]
        if order is not None:
            cells = [cells[i] for i in order]
        if shard is not None and cells[0] and not in_shard(cells[0], shard):
            continue
        values: list[Any] = [intern(raw) if raw else None for raw in cells]
        invalid = no_invalid
        for i, unknown_parts in date_at:
            raw = values[i]
            if raw is not None:
                day = None if unknown_parts else dates_get(raw)
                if day is None:
                    day = parse_date(raw, unknown_parts)
                    if day is None:
                        invalid += (expected[i].lower(),)
                values[i] = day
        if values[0] is None:
            raise ReturnRefused("CHILD is blank: every row must name its child", file, line, "CHILD")
        yield make(values[0], line, invalid, *values[1:])


# --- XML -----------------------------------------------------------------------------------------------------

_GROUPS = {t.xml_group: t for t in TABLES if t.name != "Header"}
_HEADER_ITEMS = ("SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB")
_XML_NAMES = {"PL": "PLACE"}  # the XML names PLACE "PL"


def _items(group: Any) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for item in group:
        if isinstance(item.tag, str):
            name = etree.QName(item).localname.upper()
            found[_XML_NAMES.get(name, name)] = _text(item.text or "")
    return found


def _xml_row(table: Table, child: str, dob: date | None, items: dict[str, str | None], line: int) -> Row:
    values: dict[str, Any] = {}
    invalid: list[str] = []
    dates = table.date_columns
    for column in table.columns[1:]:
        name = column.lower()
        raw = items.get(column)
        if name in dates:
            day = parse_date(raw, unknown_parts=name == "date_perm") if raw else None
            if raw and day is None:
                invalid.append(name)
            values[name] = day
        else:
            values[name] = raw
    if "dob" in values and values["dob"] is None and "dob" not in invalid:
        values["dob"] = dob
    return table.row(child=child, line=line, invalid=tuple(invalid), **values)


def child_rows(el: Any) -> list[Row]:
    """The rows of one ``<CHILD>``: its header, the UASC row where the header holds UASC items, and a row for each
    group element (EPISODE, AREVIEW, AMISSING, OC2, OC3, AD1, PERMANENCE, AD_PLACED, SW_EPISODE)."""
    header_el = None
    groups: list[tuple[Table, Any]] = []
    for node in el.iter():
        if not isinstance(node.tag, str) or node is el:
            continue
        name = etree.QName(node).localname.upper()
        if name == "HEADER" and header_el is None:
            header_el = node
        elif name in _GROUPS and len(node):
            groups.append((_GROUPS[name], node))
    items = _items(header_el if header_el is not None else el)
    child = items.get("CHILDID") or items.get("CHILD")
    line = el.sourceline or 0
    if not child:
        raise ReturnRefused("a <CHILD> has no CHILDID", None, line, "CHILDID")
    header_table = TABLES[0]
    header = _xml_row(header_table, child, None, {k: items.get(k) for k in _HEADER_ITEMS}, line)
    header.uasc = items.get("UASC") or ""  # type: ignore[attr-defined]  # "" : not completed (rule 105)
    dob = getattr(header, "dob", None)
    rows: list[Row] = [header]
    if items.get("DUC") or items.get("UASC") in ("1", "true"):
        rows.append(_xml_row(_GROUPS["UASC"], child, dob, {"SEX": items.get("SEX"), "DUC": items.get("DUC")}, line))
    for table, node in groups:
        if table.xml_group == "UASC" and rows[-1].__class__ is table.row:
            continue
        rows.append(_xml_row(table, child, dob, _items(node), node.sourceline or line))
    return rows


def read_xml(path: Path, shard: Shard = None, year: int | None = None) -> Return:
    result = Return(source=str(path))
    foreign = {} if year is None else {t.row: not_of_the_year(t, year) for t in TABLES if t not in tables_for(year)}
    for row in xml_rows(path):
        if foreign and type(row) in foreign:
            raise ReturnRefused(foreign[type(row)], path.name, row.line)
        if in_shard(row.child, shard):
            result.add(row)
    for record in result.children.values():
        record.sort()
    return result


def xml_rows(path: Path) -> Iterator[Row]:
    file = path.name
    if path.stat().st_size > MAX_TABLE_BYTES * 3:
        raise ReturnRefused(f"the file is larger than {MAX_TABLE_BYTES * 3 // 1_000_000:,} MB", file)
    parser = etree.XMLPullParser(
        events=("start", "end"),
        tag=("{*}CHILD", "CHILD"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    fed, child_from, outside_from, child_line = 0, None, 0, 0
    root_checked = False
    at_end = False
    try:
        with path.open("rb") as handle:
            while True:
                chunk = handle.read(CHUNK_BYTES)
                if chunk:
                    fed += len(chunk)
                    parser.feed(chunk)
                else:
                    at_end = True
                    parser.close()
                for event, el in parser.read_events():
                    if not root_checked:
                        root_checked = True
                        _check_root(el.getroottree(), file)
                    if event == "start":
                        child_from, child_line = fed, el.sourceline
                        continue
                    yield from child_rows(el)
                    child_from, outside_from = None, fed
                    el.clear()
                    parent = el.getparent()
                    while parent is not None and el.getprevious() is not None:
                        del parent[0]
                if not root_checked and fed and chunk:
                    _check_first_chunk(chunk if fed == len(chunk) else b"", file)
                if child_from is not None and fed - child_from > MAX_CHILD_BYTES:
                    raise ReturnRefused(f"a <CHILD> is larger than {MAX_CHILD_BYTES:,} bytes", file, child_line)
                if child_from is None and fed - outside_from > MAX_OUTSIDE_CHILD_BYTES:
                    raise ReturnRefused(
                        f"the file holds more than {MAX_OUTSIDE_CHILD_BYTES:,} bytes outside any <CHILD>", file
                    )
                if at_end:
                    break
    except etree.XMLSyntaxError as exc:
        text = str(exc.msg or exc)
        if at_end or "premature end" in text.lower():
            raise ReturnRefused(
                f"the file ends before its XML does: it looks cut short ({text})", file, exc.lineno
            ) from None
        kind = "uses an entity that is not allowed" if "entity" in text.lower() else "is not well-formed XML"
        raise ReturnRefused(f"the file {kind} ({text})", file, exc.lineno) from None
    except (etree.LxmlError, ValueError, UnicodeError) as exc:
        raise ReturnRefused(f"the file cannot be read as XML ({str(exc)[:200]})", file) from None
    if not root_checked:
        raise ReturnRefused("the file has no <CHILD>: this is not an SSDA903 return", file)


def _check_first_chunk(chunk: bytes, file: str) -> None:
    if b"<!DOCTYPE" in chunk[:4096].upper():
        raise ReturnRefused(
            "the file declares a DOCTYPE; an SSDA903 file has none, and entities are never expanded", file
        )
    text = re.sub(rb"<\?.*?\?>|<!--.*?-->", b"", chunk, flags=re.S)
    found = re.search(rb"<([A-Za-z_][-.\w:]*)", text)
    if found and found.group(1).split(b":")[-1] != b"EXPSSDA903":
        name = found.group(1).decode(errors="replace")
        raise ReturnRefused(f"the root element is <{name}>, not <EXPSSDA903>: this is not an SSDA903 return", file, 1)


def _check_root(tree: Any, file: str) -> None:
    info = tree.docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise ReturnRefused(
            "the file declares a DOCTYPE; an SSDA903 file has none, and entities are never expanded", file
        )
    root = tree.getroot()
    if root is not None and etree.QName(root).localname != "EXPSSDA903":
        raise ReturnRefused(
            f"the root element is <{etree.QName(root).localname}>, not <EXPSSDA903>: this is not an SSDA903 return",
            file,
            root.sourceline,
        )
