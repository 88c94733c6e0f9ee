"""Files of person records (a partner's dataset, a region's) read defensively, and results written safely.

A records file is CSV in UTF-8 with the header ``record_id, source, first_name, surname, dob, sex, postcode,
nhs_number`` (``upn`` may be added), dates as YYYY-MM-DD and empty where unknown. It is streamed line by line:
never read whole into memory. Whatever is wrong with it (missing or unknown columns, a row of the wrong length, a
date that is not one, a control character, text that is not UTF-8, a line or a file too long) refuses the file with a
message naming the line. Cells are data and nothing else: one starting "=", "+", "-" or "@" is never evaluated, and
every cell written to an output CSV is defused as in the web exports (``core.spreadsheet``).
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import IO, Any

from safeguarding.core.spreadsheet import spreadsheet_text
from safeguarding.people.linkage.records import PersonRecord

REQUIRED_COLUMNS = ("record_id", "source", "first_name", "surname", "dob", "sex", "postcode", "nhs_number")
OPTIONAL_COLUMNS = ("upn",)
MAX_LINE_BYTES = 4096  # a person's record is a few hundred bytes at most
MAX_CELL_CHARACTERS = 200
MAX_FILE_BYTES = 1 << 30  # 1 GiB: about ten million records; a larger file is split, or linked on Spark
MAX_RECORDS = 5_000_000

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class FileRefused(ValueError):
    """The file cannot be read as person records. ``line`` is the line of the file (1 is the header), or None."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line is not None else message)
        self.line = line
        self.reason = message


def _lines(file: IO[bytes], counter: list[int]) -> Iterator[str]:
    """Decoded physical lines, each checked for length and encoding; ``counter[0]`` is the line being read."""
    while True:
        raw = file.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        counter[0] += 1
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            raise FileRefused(
                f"the line is longer than {MAX_LINE_BYTES} bytes: this is not a file of person records", counter[0]
            )
        try:
            text = raw.decode("utf-8-sig" if counter[0] == 1 else "utf-8")
        except UnicodeDecodeError:
            raise FileRefused("the text is not UTF-8: save the file as CSV UTF-8 and try again", counter[0]) from None
        yield text


def _date(value: str, line: int) -> date | None:
    if not value:
        return None
    if not _DATE.match(value):
        raise FileRefused(f"dob {value!r} is not a date written as YYYY-MM-DD (or empty where unknown)", line)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FileRefused(f"dob {value!r} is not a real date", line) from None


def _header(row: Sequence[str] | None) -> tuple[str, ...]:
    if row is None:
        raise FileRefused("the file is empty: it needs a header line and at least one record")
    names = tuple(cell.strip().lower() for cell in row)
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    unknown = [c for c in names if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    repeated = sorted({c for c in names if names.count(c) > 1})
    problems = []
    if missing:
        problems.append("missing column" + ("s " if len(missing) > 1 else " ") + ", ".join(missing))
    if unknown:
        shown = ", ".join(repr(spreadsheet_text(_CONTROL.sub("?", c))[:40]) for c in unknown[:5])
        problems.append("unknown column" + ("s " if len(unknown) > 1 else " ") + shown)
    if repeated:
        problems.append("column given twice: " + ", ".join(repeated))
    if problems:
        raise FileRefused(
            "; ".join(problems) + ". The header must be: " + ", ".join(REQUIRED_COLUMNS) + " (and optionally upn)", 1
        )
    return names


def read_records(path: Path, max_records: int = MAX_RECORDS) -> Iterator[PersonRecord]:
    """The records of a file, streamed; raises FileRefused naming the line at the first problem."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise FileRefused(f"the file {path} cannot be read ({exc.strerror})") from None
    if size > MAX_FILE_BYTES:
        raise FileRefused(
            f"the file is {size / (1 << 30):.1f} GiB; at most {MAX_FILE_BYTES >> 30} GiB is linked at once: "
            "split it, or link it with --engine spark"
        )
    counter = [0]
    count = 0
    try:
        file = path.open("rb")
    except OSError as exc:
        raise FileRefused(f"the file {path} cannot be read ({exc.strerror})") from None
    with file:
        reader = csv.reader(_lines(file, counter), strict=True)
        try:
            names = _header(next(reader, None))
            seen: set[str] = set()
            for row in reader:
                line = counter[0]
                if not row:
                    continue
                if len(row) != len(names):
                    raise FileRefused(f"expected {len(names)} cells, found {len(row)}", line)
                cells = dict(zip(names, (cell.strip() for cell in row), strict=True))
                for name, value in cells.items():
                    if _CONTROL.search(value):
                        raise FileRefused(f"{name} holds a control character, which no name or code has", line)
                    if len(value) > MAX_CELL_CHARACTERS:
                        raise FileRefused(f"{name} is longer than {MAX_CELL_CHARACTERS} characters", line)
                record_id = cells["record_id"]
                if not record_id:
                    raise FileRefused("record_id is empty: every record needs an id unique in the file", line)
                if record_id in seen:
                    raise FileRefused("record_id is given twice in the file (ids must be unique)", line)
                seen.add(record_id)
                count += 1
                if count > max_records:
                    raise FileRefused(
                        f"more than {max_records:,} records: split the file, or link it with --engine spark", line
                    )
                yield PersonRecord(
                    record_id=record_id,
                    source=cells["source"],
                    first_name=cells["first_name"] or None,
                    surname=cells["surname"] or None,
                    dob=_date(cells["dob"], line),
                    sex=cells["sex"] or None,
                    postcode=cells["postcode"] or None,
                    nhs_number=cells["nhs_number"] or None,
                    upn=cells.get("upn") or None,
                )
        except csv.Error as exc:
            raise FileRefused(f"not well-formed CSV ({exc})", counter[0]) from None
    if count == 0:
        raise FileRefused("the file has a header but no records", counter[0] or None)


@contextmanager
def csv_output(path: Path) -> Iterator[Any]:
    """A CSV writer whose file appears at ``path`` only when the block ends without an error (never half-written)."""
    folder = path.resolve().parent
    handle, temporary = tempfile.mkstemp(prefix=".partial-", suffix=".csv", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            yield csv.writer(file)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def safe_row(cells: Iterable[object]) -> list[str]:
    """Cells defused for a spreadsheet: text that could start a formula is written as text."""
    return [spreadsheet_text(cell) for cell in cells]
