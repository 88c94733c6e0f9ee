"""Reading one field of a submitted form: the value, or a message naming the field in ``errors``.

Services collect every field's message before refusing (``ValidationFailed(errors)``), so a form shows all its
problems at once and nothing is written.

``label`` is how a message asks for the field ("Enter the date of the visit"); ``noun``, when given, is how a
message about a wrong value starts ("Date of the visit must be a real date"), otherwise the label is used with its
first letter raised. Text is returned as typed (trimmed): templates escape it, readers never rewrite it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any, TypeVar

from pydantic import BaseModel, field_validator

from safeguarding.core.calendar import LONDON
from safeguarding.core.dates import DateKind, out_of_range

RECORD_ID_MAX = 2_147_483_647  # the largest PostgreSQL integer: a larger number names no record
NOT_A_DATE = "must be a real date"
NOT_A_TIME = "must be a real time on the 24-hour clock, like 14:30"

_ISO_DATE = re.compile(r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})$")
_DAY_MONTH_YEAR = re.compile(r"^([0-9]{1,2})[/.\- ]([0-9]{1,2})[/.\- ]([0-9]{4})$")
_TIME = re.compile(r"^([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?$")
T = TypeVar("T")


def _capital(words: str) -> str:
    return words[:1].upper() + words[1:]


# Control characters (Unicode category Cc: C0, DEL and C1) other than tab and line breaks. PostgreSQL refuses NUL
# in text; the others are never typed, and an escape sequence (\x1b) could rewrite a terminal showing an export.
# Line and paragraph separators (U+2028, U+2029) are not control characters: pasted text keeps them, stored as sent.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
CONTROL_CHARACTER = "contains a control character that cannot be stored"


def has_control_character(text: str) -> bool:
    """One definition for forms, the API's models and the request edge (web/edge.py)."""
    return _CONTROL.search(text) is not None


def _unstorable(text: str) -> bool:
    return has_control_character(text)


def _no_control_characters(value: Any) -> Any:
    if isinstance(value, str):
        texts = [value]
    elif isinstance(value, list | tuple):
        texts = [v for v in value if isinstance(v, str)]
    else:  # numbers, dates, and nested models (which check their own fields)
        texts = []
    if any(has_control_character(text) for text in texts):
        raise ValueError(f"Text {CONTROL_CHARACTER}: remove it")
    return value


class PlainInput(BaseModel):
    """Base of the API's request models: no text field, nested or not, holds a control character other than tab
    and line breaks (refused with 422 naming the field, as forms refuse it)."""

    @field_validator("*", mode="after")
    @classmethod
    def _plain(cls, value: Any) -> Any:
        return _no_control_characters(value)


def parse_date_parts(day: str | None, month: str | None, year: str | None) -> date | None:
    """A date from the three boxes of a GOV.UK date input; None when all are empty, else ValueError saying why."""
    day, month, year = (day or "").strip(), (month or "").strip(), (year or "").strip()
    if not (day or month or year):
        return None
    missing = [name for name, value in (("day", day), ("month", month), ("year", year)) if not value]
    if missing:
        raise ValueError("must include a " + " and ".join(missing))
    if not (
        day.isascii() and month.isascii() and year.isascii() and day.isdigit() and month.isdigit() and year.isdigit()
    ):
        raise ValueError("must be a real date, in numbers")
    if len(year) != 4:
        raise ValueError("year must have 4 numbers")
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        raise ValueError("must be a real date") from None


DATE_PARTS = ("day", "month", "year")


class DateText(str):
    """The value a form's date field takes from its three GOV.UK boxes (``NAME-day``, ``NAME-month``,
    ``NAME-year``): the ISO date when they make one, else the boxes as typed with ``problem`` saying what is wrong
    ("must include a month"), which ``date_field`` names with the field's label."""

    parts: tuple[str, str, str]
    problem: str | None

    def __new__(cls, text: str, parts: tuple[str, str, str], problem: str | None = None) -> DateText:
        value = super().__new__(cls, text)
        value.parts = parts
        value.problem = problem
        return value

    def strip(self, chars: str | None = None) -> str:
        # Readers trim what they are given: the value carries no spaces, and trimming must keep what it carries.
        return self if chars is None else str.strip(self, chars)


def date_from_parts(day: str, month: str, year: str, clock: str | None = None) -> str:
    """The one value of a date field typed in three boxes (and a time box, for a date and time): an ISO date
    (``2026-03-31``, or ``2026-03-31T14:30``) when they make one, "" when all are empty, else a ``DateText``
    carrying why not. Never raises."""
    parts = (day, month, year)
    try:
        value = parse_date_parts(day, month, year)
    except ValueError as problem:
        return DateText("/".join(p.strip() for p in parts), parts, str(problem))
    typed_clock = (clock or "").strip()
    if value is None:
        if typed_clock:
            return DateText("", parts, "must include a day, month and year")
        return DateText("", parts)
    if clock is None:
        return DateText(value.isoformat(), parts)
    if not typed_clock:
        return DateText(value.isoformat(), parts, "must include a time")
    return DateText(f"{value.isoformat()}T{typed_clock}", parts)


def combine_date_parts(items: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """A posted form's fields with each GOV.UK date input's boxes (``NAME-day``, ``NAME-month``, ``NAME-year``,
    and ``NAME-time`` beside them for a date and time) read into the one field ``NAME`` that readers ask for. The
    boxes stay (a page shows them again as typed); an ISO ``NAME`` posted without boxes (scripts, the API's tests)
    is kept as sent."""
    last: dict[str, str] = {}
    for name, value in items:
        last[name] = value
    dated = [name[: -len("-day")] for name in last if name.endswith("-day")]
    dated = [base for base in dated if f"{base}-month" in last and f"{base}-year" in last]
    if not dated:
        return items
    combined: dict[str, str] = {}
    for base in dated:
        day, month, year = (last[f"{base}-{part}"] for part in DATE_PARTS)
        clock = last.get(f"{base}-time")
        if not any(p.strip() for p in (day, month, year, clock or "")) and last.get(base, "").strip():
            continue  # an ISO date posted with empty boxes beside it
        combined[base] = date_from_parts(day, month, year, clock)
    kept = [(name, value) for name, value in items if name not in combined]
    return kept + list(combined.items())


def parse_date(text: str) -> date:
    """An ISO date (what a date input sends, 2026-03-31) or one typed as 31/3/2026; ValueError otherwise."""
    text = text.strip()
    if match := _ISO_DATE.match(text):
        year, month, day = match.groups()
    elif match := _DAY_MONTH_YEAR.match(text):
        day, month, year = match.groups()
    else:
        raise ValueError(NOT_A_DATE)
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        raise ValueError(NOT_A_DATE) from None


def _parse_time(text: str) -> time:
    match = _TIME.match(text.strip())
    if match is None:
        raise ValueError(NOT_A_TIME)
    hour, minute, second = match.groups()
    try:
        return time(int(hour), int(minute), int(second or 0))
    except ValueError:
        raise ValueError(NOT_A_TIME) from None


def _read(
    raw: str | None,
    name: str,
    label: str,
    errors: dict[str, str],
    required: bool,
    noun: str | None,
    parse: Callable[[str], T],
) -> T | None:
    """The one shape of every reader: empty is asked for when required, a wrong value is named with the reason."""
    text = (raw or "").strip()
    if not text:
        if required:
            errors[name] = f"Enter {label}"
        return None
    try:
        return parse(text)
    except ValueError as problem:
        errors[name] = f"{_capital(noun or label)} {problem}"
        return None


def _in_range(day: date, kind: DateKind) -> date:
    if problem := out_of_range(day, kind):
        raise ValueError(problem)
    return day


def date_field(
    raw: str | date | None,
    name: str,
    label: str,
    errors: dict[str, str],
    *,
    required: bool = True,
    noun: str | None = None,
    kind: DateKind = DateKind.EVENT,
) -> date | None:
    """A date (ISO from a date input, or typed as 31/3/2026) in the sane range of its kind; None when empty or
    wrong."""
    if isinstance(raw, date):
        return raw
    if isinstance(raw, DateText) and raw.problem:
        errors[name] = f"{_capital(noun or label)} {raw.problem}"
        return None
    return _read(raw, name, label, errors, required, noun, lambda text: _in_range(parse_date(text), kind))


def date_parts_field(
    day: str | None,
    month: str | None,
    year: str | None,
    name: str,
    label: str,
    errors: dict[str, str],
    *,
    required: bool = True,
    noun: str | None = None,
    kind: DateKind = DateKind.EVENT,
) -> date | None:
    """A date from the three boxes of a GOV.UK date input, in the sane range of its kind; None when all are empty
    or it is wrong."""
    try:
        value = parse_date_parts(day, month, year)
        if value is not None:
            _in_range(value, kind)
    except ValueError as problem:
        errors[name] = f"{_capital(noun or label)} {problem}"
        return None
    if value is None and required:
        errors[name] = f"Enter {label}"
    return value


def time_field(
    raw: str | None, name: str, label: str, errors: dict[str, str], *, required: bool = True, noun: str | None = None
) -> time | None:
    """A time on the 24-hour clock (what a time input sends, 14:30); None when empty or wrong."""
    return _read(raw, name, label, errors, required, noun, _parse_time)


def in_england(day: date, clock: time) -> datetime:
    """The moment a day and clock time read in England name, in UTC (as stored)."""
    return datetime.combine(day, clock, LONDON).astimezone(UTC)


def _parse_moment(text: str, kind: DateKind = DateKind.EVENT) -> datetime:
    day, _, clock = text.replace(" ", "T", 1).partition("T")
    try:
        moment_day, moment_clock = parse_date(day), _parse_time(clock)
    except ValueError:
        raise ValueError("must be a real date and time, like 2026-03-31 14:30") from None
    return in_england(_in_range(moment_day, kind), moment_clock)


def datetime_field(
    raw: str | None,
    name: str,
    label: str,
    errors: dict[str, str],
    *,
    required: bool = True,
    noun: str | None = None,
    kind: DateKind = DateKind.EVENT,
) -> datetime | None:
    """A date and time typed in England (a datetime-local input sends 2026-03-31T14:30), in UTC, in the sane range
    of its kind."""
    if isinstance(raw, DateText) and raw.problem:
        errors[name] = f"{_capital(noun or label)} {raw.problem}"
        return None
    return _read(raw, name, label, errors, required, noun, lambda text: _parse_moment(text, kind))


def text_field(
    raw: str | None,
    name: str,
    label: str,
    errors: dict[str, str],
    *,
    limit: int,
    required: bool = True,
    noun: str | None = None,
) -> str | None:
    """Text without surrounding space, refused (not cut) when longer than ``limit`` or holding control characters."""

    def storable(value: str) -> str:
        if len(value) > limit:
            raise ValueError(f"must be {limit:,} characters or fewer")
        if _unstorable(value):
            raise ValueError(CONTROL_CHARACTER)
        return value

    return _read(raw, name, label, errors, required, noun, storable)


def record_id(raw: object) -> int | None:
    """A record's number (or version) posted by a form; None when absent, not a whole number or out of range."""
    text = str(raw).strip() if raw is not None else ""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(RECORD_ID_MAX)):
        return None
    number = int(text)
    return number if 1 <= number <= RECORD_ID_MAX else None
