"""A partner lead practitioner's due page: the early help clocks of the families they lead, with drift (overdue,
due soon) and forecasts as the other due pages show them, moving as the work is recorded; nothing of another
family, nothing of social care's, and nothing once the family's consent to share with their agency is withdrawn."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from safeguarding.core.calendar import add_working_days_quick, today_in_london
from safeguarding.core.db import Database
from safeguarding.early_help.models import EarlyHelpConsent
from safeguarding.timescales.models import Deadline
from tests.early_help.test_pages import Family, _episode_id, _parts, _start, family  # noqa: F401  (the fixture)
from tests.front_door.test_screening_helpers import make_person
from tests.support import sign_in_as


def _deadline_rows(text: str) -> list[str]:
    return [chunk.split('"', 1)[0] for chunk in text.split('data-rule="')[1:]]


def _consent(client: TestClient, csrf: str, episode_id: int, scope: str, agency: str, given: date) -> None:
    data = {"csrf_token": csrf, "_form": "consent", "scope": scope, "given_by_name": "Alex Earlyhelp"}
    data |= {"agency_id": agency} | _parts("given_on", given)
    assert client.post(f"/early-help/{episode_id}/consents", data=data).status_code == 303


def test_the_lead_sees_their_familys_clocks_move_and_no_one_elses(
    client: TestClient,
    database: Database,
    family: Family,  # noqa: F811
) -> None:
    today = today_in_london()
    started = today - timedelta(days=40)
    csrf = sign_in_as(client, database, family.lead)
    episode_id = _episode_id(_start(client, csrf, started))
    assert 'href="/early-help/due"' in client.get("/early-help").text  # from the families they lead
    page = client.get("/early-help/due")
    assert page.status_code == 200 and "Sam Earlyhelp" in page.text
    # The assessment is overdue (15 working days from the start); the link goes to the family's early help.
    assert add_working_days_quick(started, 15) < today
    assert 'id="overdue"' in page.text and "early-help-assessment" in _deadline_rows(page.text)
    assert f'href="/early-help/people/{family.child_id}"' in page.text
    assert "/cases/" not in page.text and "/due/deadlines/" not in page.text  # pages a partner may not open
    assert client.get(f"/early-help/people/{family.child_id}").status_code == 303

    # Consent, then the assessment completed: its clock stops and leaves the page.
    _consent(client, csrf, episode_id, "assessment", "", started)
    _consent(client, csrf, episode_id, "sharing", str(family.lead.agency_id), started)
    done = {
        "csrf_token": csrf,
        "_form": "assessment",
        **_parts("assessment_started_on", started + timedelta(days=1)),
        **_parts("assessment_completed_on", today - timedelta(days=1)),
        "summary": "Attendance, routines and the parents' health.",
    }
    assert client.post(f"/early-help/{episode_id}/assessments", data=done).status_code == 303
    after = client.get("/early-help/due")
    assert "early-help-assessment" not in _deadline_rows(after.text)
    assert "early-help-first-meeting" in _deadline_rows(after.text)

    # The other agency's partner leads no family here: their page is empty, and names no one.
    other = TestClient(client.app, base_url="http://testserver", follow_redirects=False)
    sign_in_as(other, database, family.other_partner)
    theirs = other.get("/early-help/due")
    assert theirs.status_code == 200 and 'id="nothing-due"' in theirs.text and "Earlyhelp" not in theirs.text


def test_clocks_the_lead_holds_outside_their_families_and_social_cares_are_not_shown(
    client: TestClient,
    database: Database,
    family: Family,  # noqa: F811
) -> None:
    """Only early help clocks of children in an open episode the partner leads: a stale early help clock of a child
    they do not lead, or a social care clock, even one naming them, is never listed."""
    csrf = sign_in_as(client, database, family.lead)
    _episode_id(_start(client, csrf, today_in_london() - timedelta(days=3)))
    stranger = make_person(database, family.mash, "Jo", "Notled", date(2015, 1, 2))
    with database.transaction() as s:
        day = today_in_london()
        for person_id, rule_id in ((stranger, "early-help-review"), (family.child_id, "assessment")):
            s.add(
                Deadline(
                    person_id=person_id,
                    rule_id=rule_id,
                    source_kind="test",
                    source_id=1,
                    start_event="early_help_started",
                    started_on=day - timedelta(days=60),
                    length=10,
                    due_on=day - timedelta(days=30),
                    status="overdue",
                    worker_id=family.lead.id,
                )
            )
    page = client.get("/early-help/due")
    assert "Notled" not in page.text
    assert set(_deadline_rows(page.text)) <= {
        "early-help-assessment",
        "early-help-first-meeting",
        "early-help-review",
        "early-help-reassessment",
    }
    assert "assessment" not in _deadline_rows(page.text)


def test_withdrawn_consent_to_share_empties_the_page_at_once(
    client: TestClient,
    database: Database,
    family: Family,  # noqa: F811
) -> None:
    today = today_in_london()
    csrf = sign_in_as(client, database, family.lead)
    episode_id = _episode_id(_start(client, csrf, today - timedelta(days=30)))
    _consent(client, csrf, episode_id, "sharing", str(family.lead.agency_id), today - timedelta(days=30))
    assert "Sam Earlyhelp" in client.get("/early-help/due").text
    with database.transaction() as s:
        consent_id = s.scalar(select(EarlyHelpConsent.id).where(EarlyHelpConsent.episode_id == episode_id))
    withdraw = {
        "csrf_token": csrf,
        "_form": "withdrawal",
        "consent_id": str(consent_id),
        **_parts("withdrawn_on", today),
        "withdrawal_reason": "The family no longer want the school to share.",
        "withdrawal_response": "continue_without_sharing",
    }
    assert client.post(f"/early-help/{episode_id}/consent-withdrawals", data=withdraw).status_code == 303
    page = client.get("/early-help/due")
    assert page.status_code == 200 and "Sam Earlyhelp" not in page.text and 'id="nothing-due"' in page.text
