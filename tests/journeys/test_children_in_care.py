"""Children in care, end to end in a real browser: a child on a child protection plan comes into care (the plan is
not ended by it: the worker is asked to have it reviewed), is placed, moves placement, is visited and reviewed, with
the worker's due page (``/due``, rows marked ``data-rule``) moving at each step. The social worker works without
JavaScript; the IRO records the review they chaired."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from safeguarding.casework.models import Allocation, ChildProtectionPlan, Referral
from safeguarding.core.calendar import today_in_london
from safeguarding.core.users import Role
from safeguarding.people.models import Person, PersonKind
from safeguarding.timescales.service import recompute_for_child
from tests.journeys.support import fill_date, screenshot, sign_in, sign_out

pytestmark = [pytest.mark.journey, pytest.mark.xdist_group("browser")]


def _due_rules(page: Any) -> set[str]:
    page.goto("/due")
    return {value for row in page.locator("tr[data-rule]").all() if (value := row.get_attribute("data-rule"))}


def test_a_child_comes_into_care_from_a_plan_is_placed_moves_and_is_reviewed(
    new_page: Any, factory: Any, live_server: Any
) -> None:
    team = factory.team("Children in care team", service="children_in_care")
    worker_user = factory.user(Role.SOCIAL_WORKER, team_id=team.id, username="sw.cic")
    iro_user = factory.user(Role.INDEPENDENT_REVIEWING_OFFICER, username="iro.cic")
    today = today_in_london()
    referral_date = today - timedelta(days=120)
    came_into_care = today - timedelta(days=40)
    with live_server.database.transaction() as s:
        child = Person(
            kind=PersonKind.CHILD, first_name="Alex", last_name="Journeycare", sex="F", date_of_birth=date(2014, 2, 2)
        )
        s.add(child)
        s.flush()
        referral = Referral(
            person_id=child.id, referral_date=referral_date, referral_source="6", primary_need="N1", route="s47"
        )
        s.add(referral)
        s.flush()
        s.add(
            ChildProtectionPlan(
                person_id=child.id,
                referral_id=referral.id,
                started_on=referral_date + timedelta(days=30),
                initial_category="NEG",
                latest_category="NEG",
            )
        )
        s.add(Allocation(person_id=child.id, worker_id=worker_user.id, team_id=team.id))
        s.flush()
        recompute_for_child(s, child.id)
        child_id = child.id
    record_url = f"/children-in-care/{child_id}"

    worker = new_page(javascript=False)
    sign_in(worker, worker_user)
    assert not _due_rules(worker) & {"cla-review-first", "care-plan"}, "no care clocks before care"

    # 1. Coming into care, from the child's case: every question asked, nothing answered in advance.
    worker.goto(f"/cases/{child_id}")
    worker.get_by_role("link", name="Care record").click()
    worker.get_by_role("link", name="Record coming into care").click()
    # The child's protection plan is not ended by coming into care: the form says a review conference decides.
    expect(worker.locator("#protection-plan-review")).to_contain_text("does not end a child protection plan")
    fill_date(worker, "Date the child came into care", came_into_care)
    worker.get_by_label("Legal status").select_option(label="Interim care order")
    worker.get_by_label("Category of need").select_option(label="Abuse or neglect")
    worker.get_by_label("Type of placement").select_option(label="Other foster placement, other")
    worker.get_by_label("Who provides the placement").select_option(label="The council's own provision")
    worker.get_by_label("Carer, or the name of the home").fill("Sam and Jo Fosterling")
    worker.get_by_label("Placement postcode").fill("ZZ9 1AB")
    worker.get_by_role("group", name="Is the placement intended to last until the child is 18?").get_by_label(
        "No", exact=True
    ).check()
    worker.get_by_label("The child's home postcode").fill("ZZ1 2CD")
    worker.get_by_role("group", name="Is the child an unaccompanied asylum-seeking child?").get_by_label(
        "No", exact=True
    ).check()
    worker.get_by_label("Independent reviewing officer").select_option(label=iro_user.full_name)
    worker.get_by_role("button", name="Record coming into care").click()
    expect(worker.locator("#legal-status")).to_have_text("Interim care order")
    expect(worker.locator("#protection-plan-review")).to_contain_text("still has a child protection plan")
    expect(worker.get_by_role("link", name=re.compile("Record the end of the child protection plan"))).to_be_visible()
    due = _due_rules(worker)
    assert {"cla-review-first", "care-plan", "placement-plan", "cla-visit-first", "health-assessment-initial"} <= due

    # 2. A move: a new placement's plan and first visit are due; the episode table shows the change.
    moved = came_into_care + timedelta(days=10)
    worker.goto(record_url)
    worker.get_by_role("link", name="Record a move to another placement").click()
    fill_date(worker, "Date of the move", moved)
    worker.get_by_label("Type of placement").select_option(label="Children's home")
    worker.get_by_label("Who provides the placement").select_option(label="Private provision")
    worker.get_by_label("Carer, or the name of the home").fill("Synthetic House")
    worker.get_by_label("Placement postcode").fill("ZZ8 3EF")
    worker.get_by_role("group", name="Is the placement intended to last until the child is 18?").get_by_label(
        "No", exact=True
    ).check()
    worker.get_by_label("Reason for the change").select_option(label="Change to or carrying out the care plan")
    worker.get_by_role("button", name="Record the move").click()
    expect(worker.locator("#carer")).to_have_text("Synthetic House")
    expect(worker.locator("#episodes")).to_contain_text("Change of placement and carer")

    # 3. A visit in the new placement: its first-visit clock is met, the six-weekly one starts.
    worker.get_by_role("link", name="Record a visit").click()
    fill_date(worker, "Date of the visit", moved + timedelta(days=3))
    worker.get_by_role("group", name="Was the child seen?").get_by_label("Yes", exact=True).check()
    worker.get_by_role("group", name="Was the child seen alone?").get_by_label("Yes", exact=True).check()
    worker.get_by_role("button", name="Record the visit").click()
    expect(worker.locator("#visits")).to_be_visible()
    screenshot(worker, "children-in-care-record")
    due = _due_rules(worker)
    assert "cla-visit" in due
    sign_out(worker)

    # 4. The IRO records the first review: the second review's clock starts.
    iro = new_page()
    sign_in(iro, iro_user)
    iro.goto(record_url)
    iro.get_by_role("link", name="Record a looked-after review").click()
    fill_date(iro, "Date of the review", came_into_care + timedelta(days=25))
    iro.get_by_label("Attended and spoke for themselves").check()
    iro.get_by_role("button", name="Record the review").click()
    expect(iro.locator("#reviews")).to_contain_text("Attended and spoke for themselves")

    sign_in(worker, worker_user)
    due = _due_rules(worker)
    assert "cla-review-first" not in due and "cla-review-second" in due
