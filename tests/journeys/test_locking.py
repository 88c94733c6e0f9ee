"""Signed-off records are locked and a second editor keeps their text, in a real browser (issue 14).

The allocated social worker amends an authorised assessment (a reason is required; the case page then shows the
amendment and the version before it); the worker and the team manager edit one visit at the same time, and the
manager, who saves second, finds their own text still in the form beside the worker's saved version, and saves
the merged text.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from safeguarding.casework.models import Allocation, Assessment, Referral, Visit
from safeguarding.core.db import utcnow
from safeguarding.core.users import Role
from safeguarding.people.models import Person, PersonKind
from tests.journeys.support import screenshot, sign_in

pytestmark = [pytest.mark.journey, pytest.mark.xdist_group("browser")]


def test_an_amendment_needs_a_reason_and_the_second_editor_keeps_their_text(
    new_page: Any, factory: Any, live_server: Any
) -> None:
    team = factory.team("Assessment team", service="assessment")
    worker_user = factory.user(Role.SOCIAL_WORKER, team_id=team.id, username="sw.locking")
    manager_user = factory.user(Role.TEAM_MANAGER, team_id=team.id, username="tm.locking")
    referral_date = utcnow().date() - timedelta(days=40)
    with live_server.database.transaction() as s:
        child = Person(
            kind=PersonKind.CHILD, first_name="Rowan", last_name="Lockwood", sex="F", date_of_birth=date(2016, 2, 2)
        )
        s.add(child)
        s.flush()
        referral = Referral(
            person_id=child.id, referral_date=referral_date, referral_source="6", primary_need="N1", route="assessment"
        )
        s.add(referral)
        s.add(Allocation(person_id=child.id, worker_id=worker_user.id, team_id=team.id))
        s.flush()
        s.add(
            Assessment(
                person_id=child.id,
                referral_id=referral.id,
                started_on=referral_date + timedelta(days=1),
                summary="Parents separated",
                outcome="cin_plan",
                authorised_on=referral_date + timedelta(days=20),
                authorised_by_id=manager_user.id,
            )
        )
        s.add(
            Visit(
                person_id=child.id,
                referral_id=referral.id,
                visited_on=referral_date + timedelta(days=5),
                kind="assessment",
                child_seen=True,
                seen_alone=False,
                notes="Home visit",
                worker_id=worker_user.id,
            )
        )
        child_id = child.id
    case_url = f"/cases/{child_id}"

    # The authorised assessment is amended, not changed: the reason is required, then the change is shown.
    worker = new_page(javascript=False)
    sign_in(worker, worker_user)
    worker.goto(case_url)
    assessments = worker.locator("#assessments")
    expect(assessments.get_by_role("link", name="Change")).to_have_count(0)
    assessments.get_by_role("link", name="Amend").click()
    expect(worker.get_by_role("heading", name="Amend assessment")).to_be_visible()
    worker.get_by_label("Summary of the assessment so far").fill("Parents separated; father now at home")
    worker.get_by_role("button", name="Save the amendment").click()
    expect(worker.locator(".govuk-error-summary")).to_contain_text("Enter the reason for the amendment")
    expect(worker.get_by_label("Summary of the assessment so far")).to_have_value(
        "Parents separated; father now at home"
    )
    worker.get_by_label("Reason for the amendment").fill("Father's return was missing")
    worker.get_by_role("button", name="Save the amendment").click()
    expect(worker.locator("#assessments")).to_contain_text(f"by {worker_user.full_name}: Father's return was missing")
    worker.locator("#assessments").get_by_text("The version before this amendment").click()
    expect(worker.locator("#assessments .govuk-details__text")).to_contain_text("Parents separated")
    screenshot(worker, "locking-amended-assessment")

    # Two people open one visit; the worker saves first; the manager's save is refused, their text kept.
    manager = new_page()
    sign_in(manager, manager_user)
    with live_server.database.transaction() as s:
        visit_id = s.query(Visit.id).filter(Visit.person_id == child_id).scalar()
    edit_url = f"{case_url}/visits/{visit_id}/edit"
    worker.goto(edit_url)
    manager.goto(edit_url)
    notes = "What was seen and heard"
    worker.get_by_label(notes).fill("Home visit; kitchen had no food")
    worker.get_by_role("button", name="Save visit").click()
    expect(worker.get_by_text("Saved", exact=True)).to_be_visible()
    manager.get_by_label(notes).fill("Home visit; Rowan said she feels safe")
    manager.get_by_role("button", name="Save visit").click()
    expect(manager.locator(".govuk-error-summary")).to_contain_text("Someone else changed this record")
    expect(manager.get_by_label(notes)).to_have_value("Home visit; Rowan said she feels safe")
    saved = manager.locator("#saved-version")
    expect(saved).to_contain_text("Home visit; kitchen had no food")
    expect(saved).to_contain_text("Home visit; Rowan said she feels safe")
    expect(manager.locator("#version")).to_contain_text(f"{worker_user.full_name} saved this record")
    screenshot(manager, "locking-second-editor")
    manager.get_by_label(notes).fill("Home visit; kitchen had no food. Rowan said she feels safe")
    manager.get_by_role("button", name="Save visit").click()
    expect(manager.get_by_text("Saved", exact=True)).to_be_visible()
    with live_server.database.transaction() as s:
        assert s.get_one(Visit, visit_id).notes == "Home visit; kitchen had no food. Rowan said she feels safe"
