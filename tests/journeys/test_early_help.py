"""Early help end to end in a real browser (issue 16's "Done when"): a school's lead practitioner opens an early help
episode with the family's consent and holds a team-around-the-family meeting; the family's needs rise and it is
stepped up (the MASH sees the early help history beside the contact); social care assesses, and a team manager steps
the child down after the assessment. The due pages move at each step: the episode's own "What is due" (the first
meeting's clock met), the social worker's (the assessment's clock, gone once the episode closes RC9) and the new lead
practitioner's (the family's early help clocks arrive with the step-down)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from safeguarding.casework.models import Allocation, Assessment, Referral
from safeguarding.core.calendar import today_in_london
from safeguarding.core.users import AgencyKind, Role
from safeguarding.early_help.models import EarlyHelpEpisode
from safeguarding.early_help.transitions_models import EarlyHelpTransition
from safeguarding.timescales.service import recompute_for_child
from tests.front_door.test_screening_helpers import make_person
from tests.journeys.support import fill_date, screenshot, sign_in, sign_out

pytestmark = [pytest.mark.journey, pytest.mark.xdist_group("browser")]
BORN = date(2017, 6, 8)


def _rules_due(page: Any, path: str = "/due") -> set[str]:
    page.goto(path)
    return {str(row.get_attribute("data-rule")) for row in page.locator("tr[data-rule]").all()}


def test_a_school_opens_early_help_steps_up_and_social_care_steps_down(
    new_page: Any, factory: Any, live_server: Any
) -> None:
    today = today_in_london()
    started = today - timedelta(days=30)
    school = factory.agency("Oak Primary School", kind=AgencyKind.SCHOOL, referral_source="2A")
    lead = factory.user(Role.PARTNER_PRACTITIONER, username="dsl.journey", agency_id=school.id)
    mash = factory.user(Role.MASH_WORKER, username="mash.journey")
    team = factory.team("Assessment team", service="assessment")
    manager = factory.user(Role.TEAM_MANAGER, username="tm.journey", team_id=team.id)
    social_worker = factory.user(Role.SOCIAL_WORKER, username="sw.journey", team_id=team.id)
    eh_team = factory.team("Early help team", service="early_help")
    practitioner = factory.user(Role.EARLY_HELP_PRACTITIONER, username="eh.journey", team_id=eh_team.id)
    # Sam is in the council's person index (a name search finds him), so the family is matched as it is named.
    child_id = make_person(live_server.database, mash, "Sam", "Journeyhelp", BORN)

    # 1. The school's designated lead starts early help for the family, as its lead practitioner.
    page = new_page()
    sign_in(page, lead)
    page.goto("/early-help/new")
    page.get_by_label("How the family is known").fill("The Journeyhelp family")
    page.get_by_role("group", name="Level of help").get_by_label("Targeted early help").check()
    fill_date(page, "Date the early help started", started)
    page.get_by_label("Why the family needs early help").fill("Attendance has fallen; the family asked for help.")
    member = page.get_by_role("group", name="Family member 1")
    member.get_by_label("Who they are in the family").select_option("child")
    member.get_by_label("First name").fill("Sam")
    member.get_by_label("Last name").fill("Journeyhelp")
    fill_date(member, "Date of birth", BORN)
    parent = page.get_by_role("group", name="Family member 2 (optional)")
    parent.get_by_label("Who they are in the family").select_option("parent")
    parent.get_by_label("First name").fill("Alex")
    parent.get_by_label("Last name").fill("Journeyhelp")
    page.get_by_role("button", name="Start early help").click()
    expect(page.get_by_role("heading", name="The Journeyhelp family")).to_be_visible()
    episode_id = int(page.url.split("/early-help/")[1].split("?")[0])
    expect(page.locator("#deadlines")).to_contain_text("Overdue")  # no assessment 30 days in
    expect(page.locator("#deadlines")).to_contain_text("First team around the family meeting")

    # 2. The family's consent: to the assessment, and to sharing with the school.
    for scope, agency in (("The early help assessment", None), ("Sharing with an agency", "Oak Primary School")):
        form = page.locator("#consent-form")
        form.get_by_role("group", name="What the family agreed to").get_by_label(scope).check()
        if agency:
            form.get_by_label("The agency (for sharing)").select_option(label=agency)
        form.get_by_label("Who gave consent").select_option(label="Alex Journeyhelp (Parent)")
        fill_date(form, "Date consent was given", started)
        form.get_by_role("button", name="Record consent").click()
        expect(page.get_by_text("Consent recorded")).to_be_visible()

    # 3. The team around the family meets: the first meeting's clock is met and leaves "What is due".
    form = page.locator("#meeting-form")
    form.get_by_role("group", name="What kind of meeting").get_by_label("Team around the family meeting").check()
    fill_date(form, "Date of the meeting", today - timedelta(days=2))
    form.get_by_role("group", name="Did the family take part?").get_by_label("Yes").check()
    form.get_by_label("What the meeting agreed").fill("Morning routine plan; school nurse to see Sam.")
    form.get_by_role("button", name="Record the meeting").click()
    expect(page.get_by_text("Meeting recorded")).to_be_visible()
    expect(page.locator("#meetings")).to_contain_text("Morning routine plan")
    expect(page.locator("#deadlines")).not_to_contain_text("First team around the family meeting")
    expect(page.locator("#deadlines")).to_contain_text("Team around the family review")

    # 4. The needs rise: the lead steps the family up; a contact goes to the front door.
    page.get_by_role("link", name="Step up to children's social care").click()
    expect(page.get_by_role("heading", name="Step up to children's social care")).to_be_visible()
    expect(page.locator("input[name=consent]:checked")).to_have_count(0)  # nothing answered for them
    fill_date(page, "Date of the decision to step up", today)
    page.get_by_label("Why the family is stepped up").fill("Sam came to school with bruises; the plan is not working.")
    page.get_by_role("group", name="Does the family agree to the step-up?").get_by_label("The family agrees").check()
    page.get_by_role("button", name="Step up to children's social care").click()
    expect(page.get_by_text("Stepped up: a contact has gone to the front door")).to_be_visible()
    screenshot(page, "early-help-stepped-up")
    sign_out(page)
    with live_server.database.transaction() as s:
        contact_id = s.scalars(select(EarlyHelpTransition.contact_id)).one()
    assert contact_id is not None

    # 5. The MASH sees the family's early help history beside the contact.
    sign_in(page, mash)
    page.goto(f"/mash/contacts/{contact_id}")
    expect(page.get_by_text("Early help history")).to_be_visible()
    expect(page.get_by_text("The Journeyhelp family").first).to_be_visible()
    expect(page.get_by_text("Stepped up to children's social care").first).to_be_visible()
    screenshot(page, "early-help-mash-history")
    sign_out(page)

    # 6. Social care: the MASH's referral is assessed (the front door's and the assessment's own journeys drive those
    # pages); the assessment's clock is on the allocated worker's due page while it runs.
    with live_server.database.transaction() as s:
        referral = Referral(
            person_id=child_id,
            contact_id=contact_id,
            referral_date=today - timedelta(days=1),
            referral_source="2A",
            primary_need="N1",
            route="referral_for_assessment",
        )
        s.add(referral)
        s.flush()
        s.add(Allocation(person_id=child_id, worker_id=social_worker.id, team_id=team.id))
        assessment = Assessment(person_id=child_id, referral_id=referral.id, started_on=today - timedelta(days=1))
        s.add(assessment)
        s.flush()
        recompute_for_child(s, child_id)
        assessment_id = assessment.id
    sign_in(page, social_worker)
    assert "assessment" in _rules_due(page)
    sign_out(page)
    with live_server.database.transaction() as s:
        done = s.get_one(Assessment, assessment_id)
        done.authorised_on, done.authorised_by_id, done.outcome = today, manager.id, "early_help"
        s.flush()
        recompute_for_child(s, child_id)
    sign_in(page, practitioner)
    before = _rules_due(page)
    assert not any(rule.startswith("early-help") for rule in before), before
    sign_out(page)

    # 7. The team manager steps Sam down after the assessment: the episode closes RC9 and early help continues with
    # the council's early help practitioner as the new lead.
    sign_in(page, manager)
    page.goto(f"/cases/{child_id}")
    page.get_by_role("link", name="Step down to early help", exact=True).click()
    expect(page.get_by_role("heading", name="Step down to early help")).to_be_visible()
    expect(page.locator("#step-down-summary")).to_contain_text("Case closed after assessment, referred to early help")
    expect(page.locator("#step-down-summary")).to_contain_text("continues with the new lead practitioner")
    fill_date(page, "Date of the decision to step down", today)
    page.get_by_label("Why the child steps down").fill("The assessment found needs early help can meet.")
    page.get_by_role("group", name="Does the family agree to early help, and to sharing what it needs?").get_by_label(
        "Yes"
    ).check()
    fill_date(page, "Date of the step-down meeting", today)
    page.get_by_label("The new lead practitioner").select_option(str(practitioner.id))
    page.get_by_label("I confirm the social care episode closes").check()
    page.get_by_role("button", name="Step down to early help").click()
    expect(page.get_by_role("heading", name="Stepped down to early help")).to_be_visible()
    screenshot(page, "early-help-stepped-down")
    sign_out(page)
    with live_server.database.transaction() as s:
        closed = s.scalars(select(Referral).where(Referral.person_id == child_id)).one()
        assert (closed.closure_reason, closed.closed_date) == ("RC9", today)
        assert s.get_one(EarlyHelpEpisode, episode_id).lead_practitioner_id == practitioner.id

    # 8. The due pages move: the social worker's no longer holds Sam; the new lead's now holds the family's clocks.
    sign_in(page, social_worker)
    assert "assessment" not in _rules_due(page)
    sign_out(page)
    sign_in(page, practitioner)
    after = _rules_due(page)
    assert any(rule.startswith("early-help") for rule in after), after
    page.goto(f"/early-help/{episode_id}")
    expect(page.locator("#episode-summary")).to_contain_text(practitioner.full_name)
