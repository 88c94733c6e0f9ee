"""Threshold decisions: validation, timeliness stored, manager sign-off (agree, return, never one's own),
referrals and re-referrals recorded when a decision takes effect, and two people deciding at once."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from safeguarding.casework import referrals as casework
from safeguarding.casework.models import Referral
from safeguarding.core import local_settings
from safeguarding.core.audit import AuditEvent
from safeguarding.core.db import Database
from safeguarding.core.errors import AccessDenied, Conflict, ValidationFailed
from safeguarding.core.users import Role, User
from safeguarding.front_door.decisions import DecisionInput, awaiting_sign_off, decide, sign_off
from safeguarding.front_door.models import Contact, ContactDecision, ContactStatus, DecisionStatus, Rag
from safeguarding.front_door.queue import queue
from safeguarding.timescales.models import Deadline
from tests.front_door.test_screening_helpers import Child, allocate, london, make_contact, make_person, staff
from tests.support import Factory, csrf_from, sign_in

RATIONALE = "Repeated neglect concerns from school and health; parents not engaging with early help."


def decision(
    level: int | str | None = 3,
    outcome: str | None = "referral_for_assessment",
    rationale: str | None = RATIONALE,
    version: int | None = None,
    primary_need: str | None = "N1",
    open_checks_reason: str | None = None,
) -> DecisionInput:
    return DecisionInput(
        level_of_need=level,
        outcome=outcome,
        rationale=rationale,
        expected_version=version,
        primary_need=primary_need,
        open_checks_reason=open_checks_reason,
    )


def linked_contact(database: Database, user: User, **kwargs: Any) -> tuple[int, int]:
    person_id = make_person(database, user)
    return make_contact(database, children=[Child(person_id=person_id)], **kwargs), person_id


def decisions_count(database: Database) -> int:
    with database.transaction() as s:
        return s.scalar(select(func.count()).select_from(ContactDecision)) or 0


@pytest.mark.parametrize(
    ("level", "outcome", "rationale", "fields"),
    [
        (None, None, None, {"level_of_need", "outcome", "rationale"}),
        (5, "referral_for_assessment", RATIONALE, {"level_of_need"}),
        ("two", "early_help", RATIONALE, {"level_of_need"}),
        (2, "tea_and_sympathy", RATIONALE, {"outcome"}),
        (2, "early_help", "Early help.", {"rationale"}),
        (2, "early_help", "   ", {"rationale"}),
    ],
)
def test_decision_validation_names_each_field_and_writes_nothing(
    database: Database,
    factory: Factory,
    level: int | str | None,
    outcome: str | None,
    rationale: str | None,
    fields: set[str],
) -> None:
    worker, _ = staff(factory)
    contact_id, _ = linked_contact(database, worker)
    with database.transaction() as s, pytest.raises(ValidationFailed) as failed:
        decide(s, database, worker, contact_id, decision(level, outcome, rationale))
    assert set(failed.value.errors) == fields
    assert decisions_count(database) == 0


def test_decision_stores_working_hours_and_whether_it_was_in_time(database: Database, factory: Factory) -> None:
    worker, _ = staff(factory)
    # Red, received Friday 16:00, due Monday 12:00; decided Monday 10:30 = 2.5 working hours.
    contact_id, _ = linked_contact(database, worker, received_at=london(2025, 11, 14, 16, 0), rag=Rag.RED)
    with database.transaction() as s:
        made = decide(
            s, database, worker, contact_id, decision(2, "early_help"), now=london(2025, 11, 17, 10, 30).astimezone(UTC)
        )
        assert (made.working_hours_to_decision, made.within_deadline) == (2.5, True)
    late_id, _ = linked_contact(database, worker, received_at=london(2025, 11, 14, 16, 0), rag=Rag.RED)
    with database.transaction() as s:
        made = decide(
            s, database, worker, late_id, decision(2, "early_help"), now=london(2025, 11, 17, 12, 30).astimezone(UTC)
        )
        assert (made.working_hours_to_decision, made.within_deadline) == (4.5, False)


def test_sign_off_agreed_takes_effect_and_records_referral_and_re_referral(
    database: Database, factory: Factory
) -> None:
    worker, manager = staff(factory)
    contact_id, person_id = linked_contact(database, worker, received_at=london(2025, 11, 20, 10, 0))
    with database.transaction() as s:
        casework.record_referral(
            s,
            casework.ReferralInput(
                person_id=person_id,
                referral_date=date(2025, 2, 1),
                referral_source="6",
                route="referral_for_assessment",
            ),
        )
    with database.transaction() as s:
        made = decide(s, database, worker, contact_id, decision())
        assert made.status == DecisionStatus.AWAITING_SIGN_OFF
        assert s.get_one(Contact, contact_id).status == ContactStatus.AWAITING_SIGN_OFF
        assert s.scalar(select(func.count()).select_from(Referral).where(Referral.contact_id == contact_id)) == 0
    with database.transaction() as s:
        assert [r.contact.id for r in awaiting_sign_off(s, database, manager)] == [contact_id]
        version = s.get_one(Contact, contact_id).version
    with database.transaction() as s:
        signed = sign_off(s, database, manager, contact_id, agree=True, note=None, expected_version=version)
        assert signed.status == DecisionStatus.IN_EFFECT and signed.signed_off_by_id == manager.id
    with database.transaction() as s:
        contact = s.get_one(Contact, contact_id)
        assert contact.status == ContactStatus.DECIDED and contact.decided_at is not None
        referral = s.scalars(select(Referral).where(Referral.contact_id == contact_id)).one()
        assert referral.person_id == person_id and referral.is_re_referral
        assert referral.referral_date == date(2025, 11, 20) and referral.referral_source == "2A"
        assert awaiting_sign_off(s, database, manager) == []
        # The referral starts the child's assessment clock at once (45 working days: 20 Nov 2025 -> 27 Jan 2026,
        # skipping Christmas Day, Boxing Day and New Year's Day).
        due = s.scalars(
            select(Deadline.due_on).where(
                Deadline.person_id == person_id, Deadline.source_id == referral.id, Deadline.rule_id == "assessment"
            )
        ).all()
        assert due == [date(2026, 1, 27)]


def test_first_referral_is_not_a_re_referral_and_siblings_each_get_one(database: Database, factory: Factory) -> None:
    worker, _ = staff(factory)
    a = make_person(database, worker, "Amira", "Testchild", date(2016, 5, 4))
    b = make_person(database, worker, "Bilal", "Testchild", date(2018, 7, 8))
    contact_id = make_contact(database, children=[Child("Amira", person_id=a), Child("Bilal", person_id=b)])
    # Immediate protection needs no sign-off by default: it takes effect at once.
    with database.transaction() as s:
        made = decide(s, database, worker, contact_id, decision(4, "immediate_protection"))
        assert made.status == DecisionStatus.IN_EFFECT
    with database.transaction() as s:
        referrals = s.scalars(select(Referral).where(Referral.contact_id == contact_id)).all()
        assert sorted(r.person_id for r in referrals) == [a, b]
        assert not any(r.is_re_referral for r in referrals)


def test_no_referral_for_a_child_whose_case_is_open(database: Database, factory: Factory) -> None:
    worker, _ = staff(factory)
    contact_id, person_id = linked_contact(database, worker)
    allocate(database, person_id, factory.user(Role.SOCIAL_WORKER))
    with database.transaction() as s:
        decide(s, database, worker, contact_id, decision(4, "immediate_protection"))
    with database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Referral)) == 0


def test_referral_outcome_refused_while_a_child_is_unlinked(database: Database, factory: Factory) -> None:
    worker, _ = staff(factory)
    contact_id = make_contact(database, children=[Child("Unlinked", "Testchild")])
    with database.transaction() as s, pytest.raises(ValidationFailed) as failed:
        decide(s, database, worker, contact_id, decision())
    assert "Unlinked Testchild" in failed.value.errors["children"]
    # Outcomes that make no referral do not need the link.
    with database.transaction() as s:
        decide(s, database, worker, contact_id, decision(2, "early_help"))


def test_a_manager_cannot_sign_off_their_own_decision(database: Database, factory: Factory) -> None:
    _, manager = staff(factory)
    contact_id, _ = linked_contact(database, manager)
    with database.transaction() as s:
        decide(s, database, manager, contact_id, decision())
    with database.transaction() as s:
        version = s.get_one(Contact, contact_id).version
    with database.transaction() as s, pytest.raises(AccessDenied):
        sign_off(s, database, manager, contact_id, agree=True, note=None, expected_version=version)
    with database.transaction() as s:
        assert s.get_one(Contact, contact_id).status == ContactStatus.AWAITING_SIGN_OFF
        refused = s.scalars(select(AuditEvent).where(AuditEvent.outcome == "refused")).all()
        assert [(e.action, e.target_type) for e in refused] == [("sign_off", "decision")]


def test_a_worker_cannot_sign_off(database: Database, factory: Factory) -> None:
    worker, _ = staff(factory)
    other_worker = factory.user(Role.MASH_WORKER)
    contact_id, _ = linked_contact(database, worker)
    with database.transaction() as s:
        decide(s, database, worker, contact_id, decision())
    with database.transaction() as s, pytest.raises(AccessDenied):
        sign_off(s, database, other_worker, contact_id, agree=True, note=None, expected_version=None)


def test_returned_decision_goes_back_to_screening_and_can_be_decided_again(
    database: Database, factory: Factory
) -> None:
    worker, manager = staff(factory)
    contact_id, _ = linked_contact(database, worker)
    with database.transaction() as s:
        decide(s, database, worker, contact_id, decision(2, "no_further_action"))
    with database.transaction() as s, pytest.raises(ValidationFailed) as failed:
        sign_off(s, database, manager, contact_id, agree=False, note="", expected_version=None)
    assert "sign_off_note" in failed.value.errors
    with database.transaction() as s:
        sign_off(
            s,
            database,
            manager,
            contact_id,
            agree=False,
            note="Ask health for the missed appointments before deciding.",
            expected_version=None,
        )
    with database.transaction() as s:
        contact = s.get_one(Contact, contact_id)
        assert contact.status == ContactStatus.IN_SCREENING and contact.current_decision is None
        assert contact.decisions[0].status == DecisionStatus.RETURNED
        assert (contact.decisions[0].sign_off_note or "").startswith("Ask health")
        assert [r.contact.id for r in queue(s, database, worker).rows] == [contact_id]
    with database.transaction() as s:
        decide(s, database, worker, contact_id, decision(3, "early_help"))
    with database.transaction() as s:
        assert [d.status for d in s.get_one(Contact, contact_id).decisions] == [
            DecisionStatus.RETURNED,
            DecisionStatus.AWAITING_SIGN_OFF,
        ]


def test_stale_version_is_refused_as_someone_else_decided(database: Database, factory: Factory) -> None:
    worker, manager = staff(factory)
    contact_id, _ = linked_contact(database, worker)
    with database.transaction() as s:
        version = s.get_one(Contact, contact_id).version
    with database.transaction() as s:
        decide(s, database, worker, contact_id, decision(version=version))
    with database.transaction() as s, pytest.raises(Conflict) as conflict:
        decide(s, database, manager, contact_id, decision(2, "early_help", version=version))
    assert "Someone else decided this contact" in conflict.value.message
    assert decisions_count(database) == 1


def _contact_form(client: TestClient, contact_id: int) -> tuple[str, str]:
    page = client.get(f"/mash/contacts/{contact_id}")
    assert page.status_code == 200
    version = re.search(r'id="decision-form".*?name="version" value="(\d+)"', page.text, re.S)
    assert version
    return csrf_from(page.text), version.group(1)


def test_two_people_deciding_the_same_contact_the_second_gets_409_and_nothing_is_overwritten(
    app: FastAPI, database: Database, factory: Factory
) -> None:
    worker, manager = staff(factory)
    contact_id, _ = linked_contact(database, worker)
    with TestClient(app, follow_redirects=False) as first, TestClient(app, follow_redirects=False) as second:
        sign_in(first, worker)
        sign_in(second, manager)
        token_1, version_1 = _contact_form(first, contact_id)
        token_2, version_2 = _contact_form(second, contact_id)
        assert version_1 == version_2
        done = first.post(
            f"/mash/contacts/{contact_id}/decision",
            data={
                "csrf_token": token_1,
                "version": version_1,
                "level_of_need": "3",
                "outcome": "referral_for_assessment",
                "rationale": RATIONALE,
                "primary_need": "N1",
            },
        )
        assert done.status_code == 303
        clash = second.post(
            f"/mash/contacts/{contact_id}/decision",
            data={
                "csrf_token": token_2,
                "version": version_2,
                "level_of_need": "1",
                "outcome": "no_further_action",
                "rationale": "Nothing here needs social care involvement at all.",
            },
        )
        assert clash.status_code == 409
        assert "Someone else decided this contact" in clash.text
    with database.transaction() as s:
        decisions = s.get_one(Contact, contact_id).decisions
        assert [(d.level_of_need, d.outcome, d.decided_by_id) for d in decisions] == [
            (3, "referral_for_assessment", worker.id)
        ]


def test_concurrent_transactions_cannot_both_decide(database: Database, factory: Factory) -> None:
    """Two transactions open at once (PostgreSQL): the second's write finds the version moved and is refused."""
    if database.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers at BEGIN IMMEDIATE, so two deciding transactions cannot overlap")
    worker, manager = staff(factory)
    contact_id, _ = linked_contact(database, worker)
    first = database.sessionmaker()
    second = database.sessionmaker()
    try:
        version = first.get_one(Contact, contact_id).version
        assert second.get_one(Contact, contact_id).version == version
        decide(first, database, worker, contact_id, decision(version=version))
        first.commit()
        with pytest.raises(Conflict):
            decide(second, database, manager, contact_id, decision(1, "no_further_action", version=version))
        second.rollback()
    finally:
        first.close()
        second.close()
    assert decisions_count(database) == 1


def test_sign_off_setting_off_lets_a_decision_take_effect_at_once(database: Database, factory: Factory) -> None:
    worker, _ = staff(factory)
    with database.transaction() as s:
        local_settings.put(s, "signoff.early_help", False, None)
    contact_id, _ = linked_contact(database, worker)
    with database.transaction() as s:
        made = decide(s, database, worker, contact_id, decision(2, "early_help"))
        assert made.status == DecisionStatus.IN_EFFECT and made.took_effect_at is not None
    with database.transaction() as s:
        assert s.get_one(Contact, contact_id).status == ContactStatus.DECIDED


def test_decision_made_after_the_deadline_is_marked_late(database: Database, factory: Factory) -> None:
    worker, _ = staff(factory)
    received = datetime.now(UTC) - timedelta(days=10)
    contact_id, _ = linked_contact(database, worker, received_at=received)
    with database.transaction() as s:
        assert not decide(s, database, worker, contact_id, decision(2, "early_help")).within_deadline
