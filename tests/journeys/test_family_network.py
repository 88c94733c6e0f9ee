"""The family network end to end in a real browser (issue 16, the Families First reforms): the child's social worker
offers family group decision-making in the letter before proceedings, records the family network meeting and its
plan, starts pre-proceedings and carries them on to the decision to step down, then records the kinship
arrangement -- the carer found in the person index with the picker -- and the support offered from the council's
kinship local offer. Nothing is answered for the worker; each step shows on the child's family network page."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from safeguarding.casework.models import Allocation, Referral
from safeguarding.core.calendar import today_in_london
from safeguarding.core.dates import long_date
from safeguarding.core.users import Role
from safeguarding.family_network.models import KinshipArrangement, PreProceedings
from safeguarding.people.models import FamilyRelationship, RelationshipKind
from tests.family_network.conftest import add_adult
from tests.front_door.test_screening_helpers import make_person
from tests.journeys.support import fill_date, screenshot, sign_in

pytestmark = [pytest.mark.journey, pytest.mark.xdist_group("browser")]
BORN = date(2015, 9, 14)


def test_fgdm_the_family_network_meeting_pre_proceedings_and_a_kinship_arrangement(
    new_page: Any, factory: Any, live_server: Any
) -> None:
    today = today_in_london()
    referred = today - timedelta(days=120)
    team = factory.team("Safeguarding team", service="casework")
    worker = factory.user(Role.SOCIAL_WORKER, username="sw.network", team_id=team.id)
    child_id = make_person(live_server.database, worker, "Riley", "Networkjourney", BORN)
    with live_server.database.transaction() as s:
        s.add(
            Referral(
                person_id=child_id,
                referral_date=referred,
                referral_source="6",
                primary_need="N1",
                route="referral_for_assessment",
            )
        )
        s.add(Allocation(person_id=child_id, worker_id=worker.id, team_id=team.id))
    # The grandmother is already known to the council (a name search finds her).
    gran_id = add_adult(live_server.database, "Maureen", "Networkjourney", date(1961, 2, 3))
    decided = referred + timedelta(days=30)
    letter = decided + timedelta(days=5)

    page = new_page()
    sign_in(page, worker)
    page.goto(f"/cases/{child_id}")
    page.get_by_role("link", name="Family network, pre-proceedings and kinship").click()
    expect(page.get_by_role("heading", name="Family network and kinship")).to_be_visible()

    # 1. FGDM offered in the letter before proceedings; the family accepts. Nothing is answered for the worker.
    page.get_by_role("link", name="Record an FGDM offer").click()
    expect(page.locator("input[type=radio]:checked")).to_have_count(0)
    fill_date(page, "Date of the offer", letter)
    page.get_by_label("Who was it offered to").fill("Mother and father (both have parental responsibility)")
    page.get_by_role("group", name="Was the offer made in the letter before proceedings?").get_by_label("Yes").check()
    page.get_by_role("group", name="The family's answer").get_by_label(
        "Accepted: at least one parent or person with parental responsibility said yes"
    ).check()
    page.get_by_role("button", name="Save the offer").click()
    expect(page.get_by_text("FGDM offer recorded")).to_be_visible()
    expect(page.locator("#fgdm-offers")).to_contain_text("Mother and father")

    # 2. The family network meeting, arranged from the offer, and the plan it made.
    page.get_by_role("link", name="Record a family network meeting").click()
    fill_date(page, "Date of the family network meeting", letter + timedelta(days=7))
    page.get_by_label("The offer it was arranged from").select_option(index=1)
    page.get_by_label("Who came").fill("Mother; father; maternal grandmother Maureen; maternal aunt")
    page.get_by_label("The family plan").fill("Riley to live with his grandmother while his mother is in treatment.")
    page.get_by_role("button", name="Save the meeting").click()
    expect(page.get_by_text("Family network meeting recorded")).to_be_visible()
    expect(page.get_by_text("Riley to live with his grandmother")).to_be_visible()

    # 3. Pre-proceedings: started, then carried on to the decision to step down once the family's plan works.
    page.get_by_role("link", name="Start pre-proceedings").click()
    expect(page.locator("input[type=radio]:checked")).to_have_count(0)
    fill_date(page, "Date of the decision to start pre-proceedings", decided)
    fill_date(page, "Date the letter before proceedings was sent", letter)
    page.get_by_role("button", name="Save pre-proceedings").click()
    expect(page.get_by_text("Pre-proceedings saved")).to_be_visible()
    expect(page.locator("dl[data-pre-proceedings]")).to_contain_text("Not decided yet")
    page.get_by_role("link", name=f"Change pre-proceedings of {long_date(decided)}").click()
    fill_date(page, "Date of the first pre-proceedings meeting", letter + timedelta(days=10))
    page.get_by_label("Review meetings held after the first meeting").fill("1")
    fill_date(page, "Date of the decision to step up or down", letter + timedelta(days=60))
    page.get_by_role("group", name="Outcome").get_by_label(
        "Stepped down: the family's plan is working and proceedings are not needed"
    ).check()
    page.get_by_role("button", name="Save pre-proceedings").click()
    expect(page.get_by_text("Pre-proceedings saved")).to_be_visible()
    expect(page.locator("dl[data-pre-proceedings]")).to_contain_text("Stepped down")
    expect(page.locator("dl[data-pre-proceedings]")).to_contain_text("1 review meeting since")

    # 4. The kinship arrangement: the carer is found in the person index with the picker, never typed as a number.
    page.get_by_role("link", name="Record a kinship arrangement").click()
    page.get_by_label("The kinship carer").fill("Maureen Networkjourney")
    # Find fills the results in place (htmx); the radio is waited for.
    page.get_by_role("button", name=re.compile(r"^Find\W*The kinship carer")).click()
    page.get_by_role("radio", name="Maureen Networkjourney", exact=True).check()
    page.get_by_label("Their relationship to the child").fill("Maternal grandmother")
    page.get_by_role("group", name="Type of arrangement").get_by_label("Special guardianship order").check()
    fill_date(page, "Date the arrangement started", letter + timedelta(days=61))
    page.get_by_role("button", name="Save the arrangement").click()
    expect(page.get_by_text("Kinship arrangement saved")).to_be_visible()
    carer = page.locator("[data-kinship] h3")
    expect(carer).to_contain_text("Maureen Networkjourney (Maternal grandmother): Special guardianship order")
    expect(carer.get_by_role("link", name="Maureen Networkjourney")).to_have_attribute("href", f"/people/{gran_id}")

    # 5. Support from the council's kinship local offer, taken up.
    page.get_by_role("link", name="Record support offered").click()
    expect(page.get_by_role("heading", name="Support offered to Maureen Networkjourney")).to_be_visible()
    expect(page.locator("input[type=radio]:checked")).to_have_count(0)
    page.get_by_role("group", name="What was offered").get_by_label("Financial support (kinship allowance)").check()
    fill_date(page, "Date it was offered", letter + timedelta(days=62))
    page.get_by_role("group", name="Did the carer take it up?").get_by_label("Yes").check()
    page.get_by_role("button", name="Save the support offered").click()
    expect(page.get_by_text("Support from the kinship local offer recorded")).to_be_visible()
    expect(page.locator("[data-kinship] table")).to_contain_text("Financial support (kinship allowance)")
    screenshot(page, "family-network-kinship")

    # The grandmother is the child's carer in the person index too.
    page.goto(f"/people/{child_id}")
    expect(page.get_by_role("link", name="Maureen Networkjourney", exact=True)).to_be_visible()
    with live_server.database.transaction() as s:
        pp = s.scalars(select(PreProceedings).where(PreProceedings.person_id == child_id)).one()
        assert (pp.outcome, pp.review_meetings) == ("step_down", 1)
        arrangement = s.scalars(select(KinshipArrangement)).one()
        assert arrangement.carer_person_id == gran_id
        tie = s.scalars(select(FamilyRelationship).where(FamilyRelationship.to_person_id == child_id)).one()
        assert (tie.from_person_id, tie.kind) == (gran_id, RelationshipKind.CARER)
