"""Early help's pages: a school's lead practitioner starts a family's early help, records consent, the assessment,
the team around the family and a meeting -- each moving the family's deadlines; another partner is refused; consent
withdrawn ends the partner's access or tells the front door; closure asks for an outcome for each need; the MASH
reads the history; bad input is refused naming the field, never a 500."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from safeguarding.core.calendar import add_working_days_quick, today_in_london
from safeguarding.core.db import Database
from safeguarding.core.users import AgencyKind, Role, User
from safeguarding.early_help.models import EarlyHelpEpisode
from safeguarding.front_door.models import Contact, ContactDecision, DecisionStatus, Outcome
from safeguarding.timescales.models import Deadline
from tests.front_door.test_screening_helpers import Child, make_contact, make_person
from tests.support import Factory, sign_in_as

BORN = date(2017, 6, 8)


@dataclass
class Family:
    lead: User  # a school's practitioner
    other_partner: User  # a health visitor leading no family here
    practitioner: User
    manager: User
    mash: User
    child_id: int


def _parts(name: str, day: date) -> dict[str, str]:
    return {f"{name}-day": str(day.day), f"{name}-month": str(day.month), f"{name}-year": str(day.year)}


@pytest.fixture()
def family(factory: Factory, database: Database) -> Family:
    school = factory.agency("Oak Primary School", AgencyKind.SCHOOL, "2A")
    health = factory.agency("Health visiting", AgencyKind.HEALTH, "3A")
    team = factory.team("Early help team", "early_help")
    mash = factory.user(Role.MASH_WORKER)
    child_id = make_person(database, mash, "Sam", "Earlyhelp", BORN)
    return Family(
        factory.user(Role.PARTNER_PRACTITIONER, agency_id=school.id),
        factory.user(Role.PARTNER_PRACTITIONER, agency_id=health.id),
        factory.user(Role.EARLY_HELP_PRACTITIONER, team_id=team.id),
        factory.user(Role.EARLY_HELP_MANAGER, team_id=team.id),
        mash,
        child_id,
    )


def _open_deadlines(database: Database, person_id: int) -> dict[str, date]:
    with database.transaction() as s:
        return {
            d.rule_id: d.due_on
            for d in s.scalars(select(Deadline).where(Deadline.person_id == person_id, Deadline.met_on.is_(None)))
        }


def _start(client: TestClient, csrf: str, started: date, **extra: str) -> Any:
    return client.post(
        "/early-help/new",
        data={
            "csrf_token": csrf,
            "family_name": "The Earlyhelp family",
            "level": "targeted_early_help",
            "request_reason": "Attendance has fallen and the family asked the school for help.",
            **_parts("started_on", started),
            "member0_role": "child",
            "member0_first_name": "Sam",
            "member0_last_name": "Earlyhelp",
            **_parts("member0_date_of_birth", BORN),
            "member1_role": "parent",
            "member1_first_name": "Alex",
            "member1_last_name": "Earlyhelp",
            **extra,
        },
    )


def _episode_id(response: Any) -> int:
    location = response.headers["location"]
    return int(location.split("/")[2].split("?")[0])


def test_a_schools_lead_practitioner_works_the_family_and_the_deadlines_move(
    client: TestClient, database: Database, family: Family
) -> None:
    today = today_in_london()
    started = today - timedelta(days=30)
    csrf = sign_in_as(client, database, family.lead)
    answer = _start(client, csrf, started)
    assert answer.status_code == 303
    episode_id = _episode_id(answer)
    page = client.get(f"/early-help/{episode_id}")
    assert page.status_code == 200 and "The Earlyhelp family" in page.text and "Oak Primary School" in page.text
    due = _open_deadlines(database, family.child_id)
    assert due["early-help-assessment"] == add_working_days_quick(started, 15) < today  # overdue: no assessment
    assert "early-help-first-meeting" in due
    assert "Overdue" in client.get("/early-help").text

    # Early help is voluntary: no assessment before the family's consent.
    assessment = {
        "csrf_token": csrf,
        "_form": "assessment",
        **_parts("assessment_started_on", today - timedelta(days=3)),
    }
    refused = client.post(f"/early-help/{episode_id}/assessments", data=assessment)
    assert refused.status_code == 422 and "Record the family&#39;s consent to the assessment first" in refused.text
    with database.transaction() as s:
        parent = next(m for m in s.get(EarlyHelpEpisode, episode_id).members if m.role == "parent")  # type: ignore[union-attr]
        parent_id = parent.id
    for scope, agency in (("assessment", ""), ("sharing", str(family.lead.agency_id))):
        consent = {
            "csrf_token": csrf,
            "_form": "consent",
            "scope": scope,
            "agency_id": agency,
            "given_by_member_id": str(parent_id),
            **_parts("given_on", started),
        }
        assert client.post(f"/early-help/{episode_id}/consents", data=consent).status_code == 303
    done = {
        **assessment,
        **_parts("assessment_completed_on", today - timedelta(days=1)),
        "summary": "Strengths: a warm home. Needs: routines.",
    }
    assert client.post(f"/early-help/{episode_id}/assessments", data=done).status_code == 303
    due = _open_deadlines(database, family.child_id)
    assert "early-help-assessment" not in due and "early-help-reassessment" in due

    member = {
        "csrf_token": csrf,
        "_form": "team",
        "member_name": "Pat Nurse",
        "member_agency_name": "Oak GP surgery",
        "member_role": "Practice nurse",
        **_parts("joined_on", today),
    }
    assert client.post(f"/early-help/{episode_id}/team", data=member).status_code == 303
    twice = client.post(f"/early-help/{episode_id}/team", data={**member, "member_name": " pat  NURSE "})
    assert twice.status_code == 422 and "already in the team around the family" in twice.text
    meeting = {
        "csrf_token": csrf,
        "_form": "meeting",
        "meeting_kind": "team_around_the_family",
        **_parts("held_on", today),
        "family_attended": "yes",
        "meeting_summary": "Morning routine plan agreed.",
    }
    assert client.post(f"/early-help/{episode_id}/meetings", data=meeting).status_code == 303
    due = _open_deadlines(database, family.child_id)
    assert "early-help-first-meeting" not in due and due["early-help-review"] > today

    # The health visitor leads no family here: changing the id opens nothing, and the list shows none.
    other = TestClient(client.app, base_url="http://testserver", follow_redirects=False)
    sign_in_as(other, database, family.other_partner)
    assert other.get(f"/early-help/{episode_id}").status_code == 403
    assert "The Earlyhelp family" not in other.get("/early-help").text

    # The MASH sees the family's early help history beside a contact; the plan stays with early help.
    mash = TestClient(client.app, base_url="http://testserver", follow_redirects=False)
    sign_in_as(mash, database, family.mash)
    history = mash.get(f"/early-help/history/{family.child_id}")
    assert history.status_code == 200 and "Targeted early help" in history.text and "routines" not in history.text
    assert mash.get(f"/early-help/{episode_id}").status_code == 403


def test_consent_withdrawn_from_the_leads_agency_ends_their_access_at_once(
    client: TestClient, database: Database, family: Family
) -> None:
    csrf = sign_in_as(client, database, family.lead)
    episode_id = _episode_id(_start(client, csrf, today_in_london() - timedelta(days=5)))
    consent = {
        "csrf_token": csrf,
        "_form": "consent",
        "scope": "sharing",
        "agency_id": str(family.lead.agency_id),
        "given_by_name": "Alex Earlyhelp",
        **_parts("given_on", today_in_london() - timedelta(days=5)),
    }
    assert client.post(f"/early-help/{episode_id}/consents", data=consent).status_code == 303
    with database.transaction() as s:
        from safeguarding.early_help.models import EarlyHelpConsent

        consent_id = s.scalar(select(EarlyHelpConsent.id).where(EarlyHelpConsent.episode_id == episode_id))
    withdraw = {
        "csrf_token": csrf,
        "_form": "withdrawal",
        "consent_id": str(consent_id),
        **_parts("withdrawn_on", today_in_london()),
        "withdrawal_reason": "The family no longer want the school to share.",
        "withdrawal_response": "continue_without_sharing",
    }
    assert client.post(f"/early-help/{episode_id}/consent-withdrawals", data=withdraw).status_code == 303
    assert client.get(f"/early-help/{episode_id}").status_code == 403
    staff = TestClient(client.app, base_url="http://testserver", follow_redirects=False)
    sign_in_as(staff, database, family.practitioner)
    assert "The family no longer want the school to share." in staff.get(f"/early-help/{episode_id}").text


def test_a_safeguarding_concern_on_withdrawal_tells_the_front_door(
    client: TestClient, database: Database, family: Family
) -> None:
    csrf = sign_in_as(client, database, family.practitioner)
    started = today_in_london() - timedelta(days=10)
    episode_id = _episode_id(_start(client, csrf, started, lead_practitioner_id=str(family.practitioner.id)))
    consent = {
        "csrf_token": csrf,
        "_form": "consent",
        "scope": "assessment",
        "given_by_name": "Alex Earlyhelp",
        **_parts("given_on", started),
    }
    assert client.post(f"/early-help/{episode_id}/consents", data=consent).status_code == 303
    with database.transaction() as s:
        from safeguarding.early_help.models import EarlyHelpConsent

        consent_id = s.scalar(select(EarlyHelpConsent.id).where(EarlyHelpConsent.episode_id == episode_id))
        contacts_before = s.scalar(select(func.count()).select_from(Contact))
    base = {
        "csrf_token": csrf,
        "_form": "withdrawal",
        "consent_id": str(consent_id),
        **_parts("withdrawn_on", today_in_london()),
        "withdrawal_reason": "Sam has a bruise the parent will not explain.",
    }
    unanswered = client.post(f"/early-help/{episode_id}/consent-withdrawals", data=base)
    assert unanswered.status_code == 422 and "Select what happens now consent is withdrawn" in unanswered.text
    told = {**base, "withdrawal_response": "safeguarding_consideration"}
    assert client.post(f"/early-help/{episode_id}/consent-withdrawals", data=told).status_code == 303
    with database.transaction() as s:
        contact = s.scalars(select(Contact).order_by(Contact.id.desc())).first()
        assert s.scalar(select(func.count()).select_from(Contact)) == (contacts_before or 0) + 1
        assert contact is not None and contact.referral_source == "5D" and "bruise" in contact.worry
        assert contact.children[0].person_id == family.child_id
        episode = s.get(EarlyHelpEpisode, episode_id)
        assert episode is not None and episode.status == "open"  # the worker chose: the work goes on


def test_a_contact_decided_early_help_starts_an_episode_with_its_people(
    client: TestClient, database: Database, family: Family
) -> None:
    contact_id = make_contact(database, children=(Child("Sam", "Earlyhelp", BORN, family.child_id),))
    with database.transaction() as s:
        s.add(
            ContactDecision(
                contact_id=contact_id,
                level_of_need=2,
                outcome=Outcome.EARLY_HELP,
                rationale="Needs more than one agency; no risk of significant harm.",
                decided_by_id=family.mash.id,
                working_hours_to_decision=2.0,
                within_deadline=True,
                status=DecisionStatus.IN_EFFECT,
            )
        )
        reference = Contact.reference_of(contact_id)
    csrf = sign_in_as(client, database, family.practitioner)
    data = {
        "csrf_token": csrf,
        "family_name": "The Earlyhelp family",
        "level": "family_help_targeted",
        "request_reason": "Decided at the front door.",
        **_parts("started_on", today_in_london()),
        "lead_practitioner_id": str(family.lead.id),
        "contact_reference": reference.lower(),
    }
    answer = client.post("/early-help/new", data=data)
    assert answer.status_code == 303
    with database.transaction() as s:
        episode = s.get(EarlyHelpEpisode, _episode_id(answer))
        assert episode is not None and episode.source == "front_door" and episode.contact_id == contact_id
        assert [m.person_id for m in episode.members] == [family.child_id]
    again = client.post("/early-help/new", data=data)
    assert again.status_code == 422 and "has already started from" in again.text


def test_closing_asks_an_outcome_for_each_need_a_reason_from_the_list_and_confirmation(
    client: TestClient, database: Database, family: Family
) -> None:
    csrf = sign_in_as(client, database, family.lead)
    today = today_in_london()
    episode_id = _episode_id(_start(client, csrf, today - timedelta(days=60)))
    need = {
        "csrf_token": csrf,
        "_form": "need",
        "description": "Sam is late to school most days",
        "intended_outcome": "On time four days a week",
        **_parts("identified_on", today - timedelta(days=50)),
    }
    assert client.post(f"/early-help/{episode_id}/needs", data=need).status_code == 303
    close = {"csrf_token": csrf, "_form": "close", **_parts("closed_on", today)}
    refused = client.post(f"/early-help/{episode_id}/close", data=close)
    assert refused.status_code == 422
    for message in ("Select why the early help is ending", "Select the outcome for need 1", "Confirm that the family"):
        assert message in refused.text
    with database.transaction() as s:
        from safeguarding.early_help.models import FamilyNeed

        need_id = s.scalar(select(FamilyNeed.id).where(FamilyNeed.episode_id == episode_id))
    closed = client.post(
        f"/early-help/{episode_id}/close",
        data={**close, "closure_reason": "outcomes_achieved", f"outcome_{need_id}": "improved", "confirm": "yes"},
    )
    assert closed.status_code == 303
    page = client.get(f"/early-help/{episode_id}")
    assert "Outcomes achieved" in page.text and "Improved" in page.text
    assert _open_deadlines(database, family.child_id) == {}  # nothing due once closed
    later = client.post(f"/early-help/{episode_id}/needs", data=need)
    assert later.status_code == 422 and "This early help episode is closed" in later.text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("family_name", "x" * 201, "must be 200 characters or fewer"),
        ("family_name", "The \x1b[31m family", "contains a control character"),
        ("member0_first_name", "<script>alert(1)</script>" * 5, "must be 100 characters or fewer"),
        ("started_on-year", "3026", "date the early help started"),
        ("started_on-month", "13", "date the early help started must be a real date"),
        ("member0_date_of_birth-year", "1066", "Date of birth of family member 1"),
        ("level", "everything", "Select the level of help"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    client: TestClient, database: Database, family: Family, field: str, value: str, message: str
) -> None:
    csrf = sign_in_as(client, database, family.lead)
    response = _start(client, csrf, today_in_london(), **{field: value})
    assert response.status_code == 422, response.text[:300]
    assert message in response.text, response.text.split("govuk-error-summary__list")[1][:600]
    with database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(EarlyHelpEpisode)) == 0


def test_script_in_a_name_is_stored_as_typed_and_shown_escaped(
    client: TestClient, database: Database, family: Family
) -> None:
    csrf = sign_in_as(client, database, family.lead)
    answer = _start(client, csrf, today_in_london(), family_name="<script>alert('x')</script> family")
    assert answer.status_code == 303
    page = client.get(f"/early-help/{_episode_id(answer)}")
    assert "<script>alert" not in page.text and "&lt;script&gt;" in page.text


def test_nothing_is_answered_by_default(client: TestClient, database: Database, family: Family) -> None:
    csrf = sign_in_as(client, database, family.lead)
    page = client.get("/early-help/new")
    assert page.status_code == 200 and " checked" not in page.text
    episode_id = _episode_id(_start(client, csrf, today_in_london()))
    assert " checked" not in client.get(f"/early-help/{episode_id}").text
