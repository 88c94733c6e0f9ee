"""A care leaver, end to end in a real browser (issue 15): the personal adviser lands on their list with a visit
overdue, opens the young person's page, records a pathway plan review and a visit, and their due page (``/due``,
rows marked ``data-rule`` and ``data-state``) moves: both clocks are overdue before and due after."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from safeguarding.children_in_care.care_leaver_models import CareLeaver, NeedsAssessment, PathwayPlan
from safeguarding.children_in_care.care_leavers import birthday
from safeguarding.core.calendar import today_in_london
from safeguarding.core.users import Role
from safeguarding.people.models import Person, PersonKind
from safeguarding.timescales.service import recompute_for_child
from tests.journeys.support import fill_date, screenshot, sign_in

pytestmark = [pytest.mark.journey, pytest.mark.xdist_group("browser")]


def _states(page: Any, base: str) -> dict[str, str]:
    """The adviser's due page: each clock's state by rule."""
    page.goto(f"{base}/due")
    return {
        str(row.get_attribute("data-rule")): str(row.get_attribute("data-state"))
        for row in page.locator("tr[data-rule]").all()
    }


def test_an_adviser_records_a_pathway_plan_review_and_a_visit(new_page: Any, factory: Any, live_server: Any) -> None:
    team = factory.team("Leaving care team", service="children_in_care")
    adviser = factory.user(Role.PERSONAL_ADVISER, team_id=team.id, username="pa.journey")
    today = today_in_london()
    born = birthday(today, -19) - timedelta(days=20)
    with live_server.database.transaction() as s:
        person = Person(
            kind=PersonKind.CHILD, first_name="Riley", last_name="Journeyleaver", sex="F", date_of_birth=born
        )
        s.add(person)
        s.flush()
        leaver = CareLeaver(
            person_id=person.id,
            personal_adviser_id=adviser.id,
            adviser_named_on=today - timedelta(days=90),
            left_care_on=birthday(born, 17),
            weeks_looked_after_since_14=120,
        )
        s.add(leaver)
        s.flush()
        s.add(
            NeedsAssessment(
                care_leaver_id=leaver.id,
                person_id=person.id,
                completed_on=today - timedelta(days=400),
                young_person_views="Wants her own flat",
                needs="Money, a flat, college",
            )
        )
        s.add(
            PathwayPlan(
                care_leaver_id=leaver.id,
                person_id=person.id,
                prepared_on=today - timedelta(days=380),
                plan="College and a tenancy",
            )
        )
        s.flush()
        recompute_for_child(s, person.id)
        leaver_id = leaver.id

    page = new_page()
    sign_in(page, adviser)
    expect(page.get_by_role("heading", name="My care leavers")).to_be_visible()
    expect(page.locator("#care-leavers")).to_contain_text("Riley Journeyleaver")
    expect(page.locator("#care-leavers")).to_contain_text("Overdue")
    before = _states(page, live_server.url)
    assert before["pa-contact"] == "overdue" and before["pathway-plan-review"] == "overdue"

    page.goto(f"{live_server.url}/care-leavers/{leaver_id}")
    expect(page.locator("#summary")).to_contain_text("Former relevant child")
    # The review: its questions start unanswered.
    fill_date(page, "Date of the review", today)
    page.get_by_role("group", name="Did the young person take part in the review?").get_by_label("Yes").check()
    page.get_by_label("What the review decided").fill("Stays at college; tenancy support continues")
    page.get_by_role("button", name="Record the review").click()
    expect(page.get_by_text("Pathway plan review recorded")).to_be_visible()
    expect(page.get_by_text("Stays at college; tenancy support continues")).to_be_visible()
    # The visit.
    fill_date(page, "Date of the contact", today)
    page.get_by_role("group", name="Were you in touch with the young person?").get_by_label("Yes").check()
    page.get_by_label("Visit in person").check()
    page.get_by_label("What happened (optional)").fill("Seen at her flat")
    page.get_by_role("button", name="Record the contact").click()
    expect(page.get_by_text("Contact recorded")).to_be_visible()
    expect(page.locator("#contacts")).to_contain_text("Seen at her flat")
    screenshot(page, "care-leaver")

    after = _states(page, live_server.url)
    assert after["pa-contact"] in ("due", "due_soon") and after["pathway-plan-review"] in ("due", "due_soon")
