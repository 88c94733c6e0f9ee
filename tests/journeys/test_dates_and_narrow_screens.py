"""In a real browser: a date typed in the GOV.UK date input's three boxes (a slip named, the error summary's link
going to the box in error, then saved and shown as "3 November 2026"), and the partner portal's tables at 375 px
(nothing cut off: the page never scrolls sideways, each table scrolls in a region the keyboard reaches)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from safeguarding.core.db import utcnow
from safeguarding.core.users import AgencyKind, Role
from safeguarding.front_door.models import CheckConsent, LawfulBasis, PartnerCheck
from tests.casework.conftest import make_case
from tests.front_door.test_screening_helpers import Child, make_contact
from tests.journeys.support import screenshot, sign_in

pytestmark = [pytest.mark.journey, pytest.mark.xdist_group("browser")]


def test_a_date_typed_in_three_boxes(new_page: Any, factory: Any, live_server: Any) -> None:
    case = make_case(factory)
    day = case.on(2)
    page = new_page()
    sign_in(page, case.worker)
    page.goto(f"/cases/{case.child_id}/assessments/new")
    when = page.get_by_role("group", name="Date the assessment started", exact=True)
    when.get_by_label("Day", exact=True).fill(str(day.day))
    when.get_by_label("Year", exact=True).fill(str(day.year))
    page.get_by_role("button", name="Save").click()

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Date the assessment started must include a month")
    summary.get_by_role("link", name="Date the assessment started must include a month").click()
    month = when.get_by_label("Month", exact=True)
    expect(month).to_be_focused()
    expect(month).to_have_class(re.compile("govuk-input--error"))
    expect(when.get_by_label("Day", exact=True)).to_have_value(str(day.day))
    screenshot(page, "date-input-error")

    month.fill(str(day.month))
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved", exact=True)).to_be_visible()
    expect(page.get_by_text(f"{day.day} {day:%B %Y}").first).to_be_visible()


def test_the_partner_portal_tables_at_375_px(new_page: Any, factory: Any, live_server: Any) -> None:
    school = factory.agency("Narrowfield Community Primary School", kind=AgencyKind.SCHOOL, referral_source="2A")
    teacher = factory.user(Role.PARTNER_PRACTITIONER, agency_id=school.id, username="dsl.narrow")
    worker = factory.user(Role.MASH_WORKER, username="mash.narrow")
    children = (Child("Maximilian-Alexander", "Worthington-Fairweather"), Child("Anastasia", "Montgomery-Smythe"))
    contact_id = make_contact(live_server.database, agency_id=school.id, children=children)
    make_contact(live_server.database, agency_id=school.id)
    with live_server.database.transaction() as s:
        s.add(
            PartnerCheck(
                contact_id=contact_id,
                agency_id=school.id,
                question="What do you know of the family?",
                lawful_basis=LawfulBasis.PUBLIC_TASK,
                consent=CheckConsent.NOT_SOUGHT,
                consent_reason="Seeking consent would place the child at risk",
                requested_by_id=worker.id,
                requested_at=utcnow() - timedelta(hours=2),
                due_at=utcnow() + timedelta(days=1),
            )
        )
    page = new_page()
    page.set_viewport_size({"width": 375, "height": 812})
    sign_in(page, teacher, next_path="/portal")
    expect(page.get_by_role("heading", name="Your agency's contacts")).to_be_visible()
    screenshot(page, "portal-375px")
    # The page itself never scrolls sideways: everything wider scrolls inside its own region.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    regions = page.locator(".app-table-scroll")
    expect(regions).to_have_count(2)
    for i in range(2):
        region = regions.nth(i)
        box = region.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
        assert region.get_attribute("tabindex") == "0" and region.get_attribute("role") == "region"
        # Every cell can be reached: scrolled to its end, the region shows its last column.
        region.focus()
        region.evaluate("r => { r.scrollLeft = r.scrollWidth; }")
        last = region.locator("tr").first.locator("th, td").last
        cell = last.bounding_box()
        assert cell is not None and cell["x"] + cell["width"] <= 375 + 1
    expect(page.get_by_text("Worthington-Fairweather").first).to_be_attached()
