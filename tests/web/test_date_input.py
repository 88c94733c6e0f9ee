"""The GOV.UK date input everywhere: no browser date picker left in any template, the three boxes read into the one
value a form's reader asks for (any real date round-trips, junk never raises), the macro's markup, the error summary
linking to the first box in error, dates shown as "3 November 2026", and the favicon."""

from __future__ import annotations

import re
from datetime import date

from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from safeguarding.core.form_fields import DateText, combine_date_parts, date_field
from safeguarding.core.users import Role
from safeguarding.web.forms import PostedForm
from safeguarding.web.templating import PACKAGE_ROOT, templates
from tests.support import Factory, sign_in

DATE_BOXES = ("day", "month", "year")


def test_no_template_uses_the_browser_date_picker() -> None:
    found = [
        f"{path.relative_to(PACKAGE_ROOT)}:{number}"
        for path in PACKAGE_ROOT.glob("*/templates/**/*.html")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r'type="(date|datetime-local)"', line)
    ]
    assert found == []


def _read(day: str, month: str, year: str, name: str = "visited_on") -> PostedForm:
    return PostedForm(combine_date_parts([(f"{name}-day", day), (f"{name}-month", month), (f"{name}-year", year)]))


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(9999, 12, 31)), st.booleans())
def test_any_real_date_typed_in_three_boxes_round_trips(day: date, zeros: bool) -> None:
    style = "{:02d}" if zeros else "{}"
    form = _read(style.format(day.day), style.format(day.month), str(day.year))
    assert form["visited_on"] == day.isoformat()
    assert date.fromisoformat(form["visited_on"]) == day


@given(st.text(max_size=12), st.text(max_size=12), st.text(max_size=12))
def test_junk_in_the_boxes_never_raises_and_is_named(day: str, month: str, year: str) -> None:
    form = _read(day, month, year)
    errors: dict[str, str] = {}
    value = date_field(form.get("visited_on"), "visited_on", "the date of the visit", errors, noun="Date of the visit")
    if value is None:
        assert errors["visited_on"].startswith(("Date of the visit ", "Enter the date of the visit"))
    else:
        assert errors == {} and date(1900, 1, 1) <= value


def test_each_problem_gets_the_gov_uk_message_naming_the_field() -> None:
    cases = {
        ("12", "", "2026"): "Date of the visit must include a month",
        ("", "", "2026"): "Date of the visit must include a day and month",
        ("30", "2", "2026"): "Date of the visit must be a real date",
        ("3", "11", "26"): "Date of the visit year must have 4 numbers",
        ("3", "11", "1850"): "Date of the visit must be between 1 January 1900 and",
        ("", "", ""): "Enter the date of the visit",
    }
    for (day, month, year), message in cases.items():
        errors: dict[str, str] = {}
        form = _read(day, month, year)
        date_field(form.get("visited_on"), "visited_on", "the date of the visit", errors, noun="Date of the visit")
        assert errors["visited_on"].startswith(message), (day, month, year, errors)


def test_an_iso_date_posted_without_boxes_is_read_as_before() -> None:
    form = PostedForm(combine_date_parts([("visited_on", "2026-03-31"), ("notes", "x")]))
    assert form["visited_on"] == "2026-03-31" and form["notes"] == "x"
    boxes_left_empty = PostedForm(
        combine_date_parts([("visited_on", "2026-03-31")] + [(f"visited_on-{p}", "") for p in DATE_BOXES])
    )
    assert boxes_left_empty["visited_on"] == "2026-03-31"


def test_a_date_and_time_read_from_four_boxes() -> None:
    parts = [("due_at-day", "3"), ("due_at-month", "11"), ("due_at-year", "2026"), ("due_at-time", "14:30")]
    assert PostedForm(combine_date_parts(parts))["due_at"] == "2026-11-03T14:30"
    no_time = PostedForm(combine_date_parts([*parts[:3], ("due_at-time", "")]))["due_at"]
    assert isinstance(no_time, DateText) and no_time.problem == "must include a time"


def _render(value: object, errors: dict[str, str]) -> str:
    macro = templates.env.from_string(
        '{% from "web/macros.html" import date_input %}'
        '{{ date_input("visited_on", "Date of the visit", value, errors) }}'
    )
    return macro.render(value=value, errors=errors)


def test_the_macro_marks_only_the_box_in_error_and_shows_what_was_typed() -> None:
    form = _read("12", "", "2026")
    html = _render(form, {"visited_on": "Date of the visit must include a month"})
    assert '<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">Date of the visit</legend>' in html
    assert 'name="visited_on-day"' in html and 'name="visited_on-month"' in html and 'name="visited_on-year"' in html
    assert html.count('inputmode="numeric"') == 3
    # The error summary links to #visited_on: the month box, the first in error, carries that id.
    assert re.search(r'id="visited_on" name="visited_on-month"', html)
    assert re.search(r'govuk-input--error" id="visited_on" name="visited_on-month"', html)
    assert html.count("govuk-input--error") == 1
    assert 'id="visited_on-day" name="visited_on-day" type="text" inputmode="numeric" value="12"' in html
    assert 'value="2026"' in html


def test_the_macro_shows_a_stored_date_in_its_boxes() -> None:
    html = _render(date(2026, 11, 3), {})
    assert 'name="visited_on-day" type="text" inputmode="numeric" value="3"' in html
    assert 'name="visited_on-month" type="text" inputmode="numeric" value="11"' in html
    assert "govuk-input--error" not in html and "For example, 27 3 2026" in html
    assert 'value="2026"' in _render("2026-11-03", {})


def test_a_get_filter_form_reads_three_boxes_and_links_the_summary_to_the_box(
    client: TestClient, factory: Factory
) -> None:
    sign_in(client, factory.user(Role.SOCIAL_WORKER))
    page = client.get(
        "/people", params={"date_of_birth-day": "4", "date_of_birth-month": "", "date_of_birth-year": "2015"}
    )
    assert page.status_code == 422
    assert "Date of birth must include a month" in page.text
    assert 'href="#date_of_birth"' in page.text
    assert 'id="date_of_birth" name="date_of_birth-month"' in page.text
    assert 'name="date_of_birth-day" type="text" inputmode="numeric" value="4"' in page.text
    fine = client.get(
        "/people",
        params={
            "last_name": "Nobody",
            "date_of_birth-day": "4",
            "date_of_birth-month": "5",
            "date_of_birth-year": "2015",
        },
    )
    assert fine.status_code == 200


def test_dates_and_months_are_written_out() -> None:
    day = templates.env.filters["day"]
    month = templates.env.filters["month"]
    assert day(date(2026, 11, 3)) == "3 November 2026"
    assert month("2026-03") == "March 2026" and month(date(2026, 3, 9)) == "March 2026"


def test_the_favicon_is_served_and_linked(client: TestClient) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert client.get("/static/favicon.svg").status_code == 200
    page = client.get("/sign-in")
    assert 'rel="icon" href="/favicon.ico"' in page.text and 'href="/static/favicon.svg"' in page.text
