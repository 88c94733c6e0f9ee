"""Partner checks: the information-sharing decision recorded with each request (lawful basis, consent position and,
where consent was not sought or was overridden, the reason), the response deadline, and overdue checks flagged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from safeguarding.core.audit import AuditEvent
from safeguarding.core.calendar import LONDON
from safeguarding.core.db import Database
from safeguarding.core.errors import AccessDenied, Conflict, ValidationFailed
from safeguarding.core.users import AgencyKind, Role
from safeguarding.front_door.checks import CheckInput, request_check
from safeguarding.front_door.contact_record import view_contact
from safeguarding.front_door.models import CheckStatus, ContactStatus, PartnerCheck
from tests.front_door.test_screening_helpers import london, make_contact, staff
from tests.support import Factory, sign_in

QUESTION = "Is the family known to you, and has the child attended health appointments this year?"
REASON = "Telling the father first would put the child at risk of being moved out of the area."


def check(
    agency_id: int | None,
    consent: str | None = "obtained",
    reason: str | None = None,
    basis: str | None = "public_task",
    due_at: datetime | None = None,
    question: str = QUESTION,
) -> CheckInput:
    return CheckInput(
        agency_id=agency_id,
        question=question,
        lawful_basis=basis,
        consent=consent,
        consent_reason=reason,
        due_at=due_at,
    )


def checks_count(database: Database) -> int:
    with database.transaction() as s:
        return s.scalar(select(func.count()).select_from(PartnerCheck)) or 0


@pytest.mark.parametrize("consent", ["not_sought", "overridden"])
def test_sharing_without_consent_requires_a_reason(database: Database, factory: Factory, consent: str) -> None:
    worker, _ = staff(factory)
    health = factory.agency(kind=AgencyKind.HEALTH, referral_source="3A")
    contact_id = make_contact(database)
    for reason in (None, "", "Risk."):
        with database.transaction() as s, pytest.raises(ValidationFailed) as failed:
            request_check(s, database, worker, contact_id, check(health.id, consent, reason))
        assert set(failed.value.errors) == {"consent_reason"}
    assert checks_count(database) == 0
    with database.transaction() as s:
        made = request_check(s, database, worker, contact_id, check(health.id, consent, REASON))
        assert made.consent_reason == REASON


@pytest.mark.parametrize("consent", ["sought", "obtained"])
def test_consent_sought_or_obtained_needs_no_reason(database: Database, factory: Factory, consent: str) -> None:
    worker, _ = staff(factory)
    health = factory.agency(kind=AgencyKind.HEALTH, referral_source="3A")
    contact_id = make_contact(database)
    with database.transaction() as s:
        request_check(s, database, worker, contact_id, check(health.id, consent))
    assert checks_count(database) == 1


def test_every_missing_field_is_named(database: Database, factory: Factory) -> None:
    worker, _ = staff(factory)
    contact_id = make_contact(database)
    with database.transaction() as s, pytest.raises(ValidationFailed) as failed:
        request_check(s, database, worker, contact_id, check(None, consent=None, basis="because", question="  "))
    assert set(failed.value.errors) == {"agency_id", "question", "lawful_basis", "check_consent"}


def test_default_deadline_is_the_working_hours_setting_and_may_only_be_brought_forward(
    database: Database, factory: Factory
) -> None:
    worker, _ = staff(factory)
    police = factory.agency()
    contact_id = make_contact(database)
    # Requested Friday 14 Nov 2025 15:00: 8 working hours = 2 on Friday and 6 on Monday.
    now = london(2025, 11, 14, 15, 0).astimezone(UTC)
    with database.transaction() as s:
        made = request_check(s, database, worker, contact_id, check(police.id), now=now)
        assert made.due_at.astimezone(LONDON) == london(2025, 11, 17, 15, 0)
    with database.transaction() as s:
        earlier = london(2025, 11, 14, 16, 30)
        made = request_check(s, database, worker, contact_id, check(police.id, due_at=earlier), now=now)
        assert made.due_at == earlier
    for bad in (london(2025, 11, 18, 9, 0), london(2025, 11, 14, 14, 0)):
        with database.transaction() as s, pytest.raises(ValidationFailed) as failed:
            request_check(s, database, worker, contact_id, check(police.id, due_at=bad), now=now)
        assert set(failed.value.errors) == {"due_at"}
    assert checks_count(database) == 2


def test_checks_only_on_open_contacts_and_only_by_the_mash(database: Database, factory: Factory) -> None:
    worker, _ = staff(factory)
    police = factory.agency()
    decided = make_contact(database, status=ContactStatus.DECIDED)
    with database.transaction() as s, pytest.raises(Conflict):
        request_check(s, database, worker, decided, check(police.id))
    social_worker = factory.user(Role.SOCIAL_WORKER)
    with database.transaction() as s, pytest.raises(AccessDenied):
        request_check(s, database, social_worker, make_contact(database), check(police.id))


def test_request_is_audited_with_the_sharing_decision(database: Database, factory: Factory) -> None:
    worker, _ = staff(factory)
    police = factory.agency()
    contact_id = make_contact(database)
    with database.transaction() as s:
        request_check(s, database, worker, contact_id, check(police.id, "overridden", REASON))
    with database.transaction() as s:
        row = s.scalars(select(AuditEvent).where(AuditEvent.action == "request_check")).one()
        assert '"consent": "overridden"' in row.detail and '"lawful_basis": "public_task"' in row.detail


def test_overdue_and_answered_checks_are_shown_on_the_contact_page(
    client: TestClient, database: Database, factory: Factory
) -> None:
    worker, _ = staff(factory)
    police = factory.agency(name="Testshire Police")
    school = factory.agency(name="Testfield Primary", kind=AgencyKind.SCHOOL, referral_source="2A")
    contact_id = make_contact(database)
    long_ago = datetime.now(UTC) - timedelta(days=7)
    with database.transaction() as s:
        late = request_check(s, database, worker, contact_id, check(police.id), now=long_ago)
        answered = request_check(s, database, worker, contact_id, check(school.id))
        answered.status = CheckStatus.ANSWERED
        answered.response = "Attendance 71% this term; <b>no</b> concerns raised by staff before this week."
        answered.responded_at = datetime.now(UTC)
        late_id = late.id
    with database.transaction() as s:
        view = view_contact(s, database, worker, contact_id)
        assert view.overdue_check_ids == {late_id}
    sign_in(client, worker)
    page = client.get(f"/mash/contacts/{contact_id}")
    assert page.status_code == 200
    assert "Overdue" in page.text and "Testshire Police" in page.text
    assert "&lt;b&gt;no&lt;/b&gt; concerns" in page.text and "<b>no</b>" not in page.text


def test_check_form_errors_are_shown_beside_the_fields(
    client: TestClient, database: Database, factory: Factory
) -> None:
    worker, _ = staff(factory)
    police = factory.agency()
    contact_id = make_contact(database)
    token = sign_in(client, worker)
    response = client.post(
        f"/mash/contacts/{contact_id}/checks",
        data={
            "csrf_token": token,
            "agency_id": str(police.id),
            "question": QUESTION,
            "lawful_basis": "public_task",
            "check_consent": "not_sought",
            "consent_reason": "",
        },
    )
    assert response.status_code == 422
    assert "Write the reason consent was not sought" in response.text or "Enter the reason consent" in response.text
    assert checks_count(database) == 0
    response = client.post(
        f"/mash/contacts/{contact_id}/checks",
        data={
            "csrf_token": token,
            "agency_id": str(police.id),
            "question": QUESTION,
            "lawful_basis": "public_task",
            "check_consent": "not_sought",
            "consent_reason": REASON,
            "due_at": "",
        },
    )
    assert response.status_code == 303
    assert checks_count(database) == 1
