"""Reading one field of a posted form (core/form_fields.py): the value, or a message naming the field."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safeguarding.core.form_fields import (
    NOT_A_DATE,
    RECORD_ID_MAX,
    date_field,
    date_parts_field,
    datetime_field,
    parse_date,
    parse_date_parts,
    record_id,
    text_field,
    time_field,
)

days = st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31))
SCRIPT = "<script>alert(\"x\")</script> & 'quotes'"


# --- dates ---------------------------------------------------------------------------------------------------------


@given(st.text(max_size=20))
def test_any_string_is_a_date_that_round_trips_or_a_message_naming_the_field(raw: str) -> None:
    errors: dict[str, str] = {}
    value = date_field(raw, "seen_on", "the date seen", errors)
    if value is None:
        assert errors["seen_on"] in ("Enter the date seen", f"The date seen {NOT_A_DATE}")
    else:
        assert errors == {}
        assert date_field(value.isoformat(), "seen_on", "the date seen", errors) == value and errors == {}


@given(days)
def test_a_date_reads_back_from_iso_and_as_typed_in_england(day: date) -> None:
    assert parse_date(day.isoformat()) == day
    assert parse_date(f"{day.day}/{day.month}/{day.year}") == day
    assert parse_date(f" {day.day:02d}-{day.month:02d}-{day.year} ") == day


@pytest.mark.parametrize(
    "raw",
    [
        "2026-02-30",
        "31/13/2026",
        "20260331",
        "2026-W13-2",
        "1/3/26",
        "tomorrow",
        "２０２６-０３-３１",
        "2026-03-31T10:00",
        "0000-01-01",
    ],
)
def test_what_is_not_a_real_date_is_refused_with_the_field_named(raw: str) -> None:
    errors: dict[str, str] = {}
    assert date_field(raw, "from", "the first day of the period", errors) is None
    assert errors == {"from": "The first day of the period must be a real date"}


def test_an_empty_date_is_asked_for_only_when_required() -> None:
    errors: dict[str, str] = {}
    assert date_field("  ", "to", "the last day of the period", errors) is None
    assert errors == {"to": "Enter the last day of the period"}
    errors = {}
    assert date_field(None, "to", "the last day", errors, required=False) is None and errors == {}


def test_a_noun_starts_the_message_about_a_wrong_value() -> None:
    errors: dict[str, str] = {}
    date_field("soon", "visit_on", "the date of the visit", errors, noun="date of the visit")
    assert errors == {"visit_on": "Date of the visit must be a real date"}
    date_field("", "visit_on", "the date of the visit", errors, noun="date of the visit")
    assert errors == {"visit_on": "Enter the date of the visit"}


def test_a_date_already_read_is_kept() -> None:
    errors: dict[str, str] = {}
    assert date_field(date(2026, 3, 31), "on", "the date", errors) == date(2026, 3, 31) and errors == {}


@given(days)
def test_date_parts_read_back_any_real_date(day: date) -> None:
    assert parse_date_parts(str(day.day), f"{day.month:02d}", str(day.year)) == day


@given(st.text(max_size=4), st.text(max_size=4), st.text(max_size=6))
def test_date_parts_either_parse_or_say_what_is_wrong(day: str, month: str, year: str) -> None:
    errors: dict[str, str] = {}
    result = date_parts_field(day, month, year, "born", "date of birth", errors, required=False)
    if result is None:
        assert errors == {} or errors["born"].startswith("Date of birth ")
    else:
        assert result.year >= 1000 and errors == {}


def test_date_parts_name_what_is_missing() -> None:
    assert parse_date_parts("", "", "") is None
    with pytest.raises(ValueError, match="must include a month"):
        parse_date_parts("3", "", "2020")
    with pytest.raises(ValueError, match="real date"):
        parse_date_parts("31", "2", "2020")
    errors: dict[str, str] = {}
    date_parts_field("3", "", "", "born", "date of birth", errors)
    assert errors == {"born": "Date of birth must include a month and year"}
    errors = {}
    date_parts_field("", "", "", "born", "the date of birth", errors)
    assert errors == {"born": "Enter the date of birth"}


# --- times and moments ------------------------------------------------------------------------------------------


@given(st.times())
def test_a_time_reads_back_to_the_minute(clock: time) -> None:
    errors: dict[str, str] = {}
    assert time_field(f"{clock:%H:%M}", "at", "the time", errors) == clock.replace(second=0, microsecond=0)
    assert errors == {}


@given(st.text(max_size=10))
def test_any_string_is_a_time_or_a_message_naming_the_field(raw: str) -> None:
    errors: dict[str, str] = {}
    value = time_field(raw, "at", "the time seen", errors)
    if value is None:
        assert errors["at"] in (
            "Enter the time seen",
            "The time seen must be a real time on the 24-hour clock, like 14:30",
        )
    else:
        assert errors == {}


@pytest.mark.parametrize("raw", ["25:99", "24:00", "9.30", "2pm", "14:3"])
def test_a_wrong_time_is_refused(raw: str) -> None:
    errors: dict[str, str] = {}
    assert time_field(raw, "at", "the time", errors) is None
    assert errors == {"at": "The time must be a real time on the 24-hour clock, like 14:30"}


def test_a_date_and_time_typed_in_england_is_stored_in_utc() -> None:
    errors: dict[str, str] = {}
    summer = datetime_field("2026-07-01T09:30", "due_at", "the deadline", errors)
    winter = datetime_field("2026-01-05 09:30", "due_at", "the deadline", errors)
    assert errors == {}
    assert summer == datetime(2026, 7, 1, 8, 30, tzinfo=UTC)
    assert winter == datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    assert datetime_field("", "due_at", "the deadline", errors, required=False) is None and errors == {}
    assert datetime_field("2026-07-01", "due_at", "the deadline", errors) is None
    assert errors == {"due_at": "The deadline must be a real date and time, like 2026-03-31 14:30"}


def test_a_typed_time_keeps_its_seconds_when_sent() -> None:
    errors: dict[str, str] = {}
    assert time_field("07:05:09", "at", "the time", errors) == time(7, 5, 9) and errors == {}


# --- text -----------------------------------------------------------------------------------------------------------


@given(st.text(min_size=1, max_size=40), st.integers(min_value=1, max_value=30))
def test_text_over_the_limit_is_refused_never_cut(raw: str, limit: int) -> None:
    errors: dict[str, str] = {}
    value = text_field(raw, "notes", "the notes", errors, limit=limit)
    stripped = raw.strip()
    if value is not None:
        assert value == stripped and len(value) <= limit and errors == {}
    elif len(stripped) > limit:
        assert errors == {"notes": f"The notes must be {limit:,} characters or fewer"}
    else:
        assert "notes" in errors


@given(st.text(alphabet=st.characters(blacklist_categories=["Cc", "Cs"]), min_size=1, max_size=50))
def test_text_is_returned_as_typed_for_the_template_to_escape(raw: str) -> None:
    errors: dict[str, str] = {}
    typed = f"{SCRIPT}{raw}"
    assert text_field(typed, "notes", "the notes", errors, limit=200) == typed.strip() and errors == {}


def test_script_is_not_rewritten() -> None:
    errors: dict[str, str] = {}
    assert text_field(SCRIPT, "title", "a title", errors, limit=200) == SCRIPT and errors == {}


def test_text_messages() -> None:
    errors: dict[str, str] = {}
    assert text_field("  ", "title", "a title", errors, limit=200) is None
    assert errors == {"title": "Enter a title"}
    errors = {}
    assert text_field("", "title", "a title", errors, limit=200, required=False) is None and errors == {}
    text_field("x" * 201, "title", "a title", errors, limit=200, noun="title")
    assert errors == {"title": "Title must be 200 characters or fewer"}
    text_field("x" * 20_001, "notes", "the notes", errors, limit=20_000)
    assert errors["notes"] == "The notes must be 20,000 characters or fewer"
    text_field("a\x00b", "name", "the name of the NHS trust", errors, limit=200)
    assert errors["name"] == "The name of the NHS trust contains a control character that cannot be stored"


def test_tabs_and_line_breaks_are_kept() -> None:
    errors: dict[str, str] = {}
    assert text_field(" one\r\n\ttwo ", "notes", "the notes", errors, limit=20) == "one\r\n\ttwo" and errors == {}


# --- record numbers ---------------------------------------------------------------------------------------------


@given(st.integers(min_value=1, max_value=RECORD_ID_MAX))
def test_a_record_number_reads_back(number: int) -> None:
    assert record_id(str(number)) == number
    assert record_id(f" {number} ") == number


@pytest.mark.parametrize("raw", [None, "", "0", "-3", "+4", "1.5", "abc", "٣", str(RECORD_ID_MAX + 1), "9" * 5000])
def test_what_names_no_record_is_none(raw: str | None) -> None:
    assert record_id(raw) is None


@given(st.text(max_size=12))
def test_any_string_is_a_record_number_in_range_or_none(raw: str) -> None:
    value = record_id(raw)
    assert value is None or 1 <= value <= RECORD_ID_MAX


# --- the sane range of dates (core.dates): one definition for forms and the API ----------------------------------


def test_dates_outside_the_sane_range_are_refused_naming_the_field() -> None:
    from safeguarding.core.calendar import today_in_london
    from safeguarding.core.dates import DateKind
    from safeguarding.core.form_fields import date_field, date_parts_field, datetime_field

    errors: dict[str, str] = {}
    assert date_field("0001-01-01", "held_on", "the date of the visit", errors) is None
    assert errors["held_on"].startswith("The date of the visit must be between 1 January 1900 and ")
    assert datetime_field("9999-12-31T23:59", "at", "the time", errors) is None and "at" in errors
    assert date_parts_field("1", "1", "1899", "dob", "date of birth", errors, kind=DateKind.BIRTH) is None
    assert "dob" in errors
    five_years_on = today_in_london().replace(day=1).replace(year=today_in_london().year + 5).isoformat()
    assert date_field(five_years_on, "review_on", "the review date", errors) is None and "review_on" in errors
    ok: dict[str, str] = {}
    assert date_field(five_years_on, "review_on", "the review date", ok, kind=DateKind.BOOKED) is not None
    assert date_field("1900-01-01", "born", "date of birth", ok, kind=DateKind.BIRTH) is not None
    assert not ok
