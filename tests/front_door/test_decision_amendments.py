"""A threshold decision in effect is locked: it changes only by an amendment with a reason, kept as a version the
contact shows (who, when, why, what changed). The decision maker or a MASH manager may amend; a worker's amendment
waits for a manager to agree it, and the first sign-off stays on the record. A second editor keeps their text."""

from __future__ import annotations

import json
import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from safeguarding.casework.models import Referral
from safeguarding.core.audit import AuditEvent
from safeguarding.core.db import Database
from safeguarding.core.errors import AccessDenied, Conflict, ValidationFailed
from safeguarding.core.record_versions import EditConflict, RecordVersion
from safeguarding.core.users import Role, User
from safeguarding.front_door.amendments import AmendmentInput, agree_amendment, amend_decision
from safeguarding.front_door.decisions import awaiting_sign_off, count_awaiting_sign_off, decide, sign_off
from safeguarding.front_door.models import ContactDecision, DecisionStatus
from tests.front_door.test_decisions import RATIONALE, decision, linked_contact
from tests.front_door.test_screening_helpers import staff
from tests.support import Factory, csrf_from, sign_in

CORRECTED = "Neglect concerns from school and health; the health visitor check shows a missed appointment too."
REASON = "The health visitor answer arrived after sign-off and was left out of the rationale."


def signed_off_decision(database: Database, worker: User, manager: User) -> tuple[int, int]:
    """A referral decided by the worker and signed off by the manager: (contact id, decision id)."""
    contact_id, _ = linked_contact(database, worker)
    with database.transaction() as s:
        made = decide(s, database, worker, contact_id, decision())
        decision_id = made.id
    with database.transaction() as s:
        sign_off(s, database, manager, contact_id, agree=True, note="Agreed: threshold met.", expected_version=None)
    return contact_id, decision_id


def amendment(
    level: str = "3",
    primary_need: str | None = "N1",
    rationale: str = CORRECTED,
    reason: str | None = REASON,
    version: int | None = None,
) -> AmendmentInput:
    return AmendmentInput(level, primary_need, rationale, reason, version)


def stored(database: Database, decision_id: int) -> ContactDecision:
    with database.transaction() as s:
        found = s.get(ContactDecision, decision_id)
        assert found is not None
        s.expunge(found)
        return found


def test_the_decision_maker_amends_with_a_reason_and_a_manager_must_agree(database: Database, factory: Factory) -> None:
    worker, manager = staff(factory)
    contact_id, decision_id = signed_off_decision(database, worker, manager)
    with database.transaction() as s:
        amend_decision(s, database, worker, contact_id, amendment(level="4", primary_need="N2"))
    amended = stored(database, decision_id)
    assert (amended.level_of_need, amended.primary_need, amended.rationale) == (4, "N2", CORRECTED)
    assert amended.status == DecisionStatus.IN_EFFECT
    assert amended.amendment_awaiting_sign_off
    # The first sign-off stays on the record.
    assert amended.signed_off_by_id == manager.id
    with database.transaction() as s:
        kept = s.scalars(select(RecordVersion).where(RecordVersion.record_type == "contact_decision")).one()
        assert kept.reason == REASON and kept.amended_by_id == worker.id
        before = {f["label"]: f["value"] for f in json.loads(kept.content)}
        assert before["Rationale"] == RATIONALE
        assert before["Level of need"].startswith("3")
        assert before["Signed off by"].startswith(manager.full_name)
        # The referral the decision opened carries the amended primary need (the census reads it there).
        assert s.scalars(select(Referral.primary_need).where(Referral.decision_id == decision_id)).all() == ["N2"]
        assert s.scalar(select(AuditEvent.action).where(AuditEvent.action == "amend")) == "amend"
    with database.transaction() as s:
        rows = awaiting_sign_off(s, database, manager)
        assert [(r.decision.id, r.amendment) for r in rows] == [(decision_id, True)]
        assert count_awaiting_sign_off(s) == 1
    with database.transaction() as s:
        agree_amendment(s, database, manager, contact_id, expected_version=None)
    agreed = stored(database, decision_id)
    assert not agreed.amendment_awaiting_sign_off
    assert agreed.amendment_signed_off_by_id == manager.id
    with database.transaction() as s:
        assert awaiting_sign_off(s, database, manager) == []


def test_a_managers_amendment_stands_without_anyone_agreeing(database: Database, factory: Factory) -> None:
    worker, manager = staff(factory)
    contact_id, decision_id = signed_off_decision(database, worker, manager)
    with database.transaction() as s:
        amend_decision(s, database, manager, contact_id, amendment())
    amended = stored(database, decision_id)
    assert not amended.amendment_awaiting_sign_off
    assert amended.amendment_signed_off_by_id == manager.id


def test_another_mash_worker_may_not_amend_and_the_refusal_is_audited(database: Database, factory: Factory) -> None:
    worker, manager = staff(factory)
    other = factory.user(Role.MASH_WORKER, team_id=worker.team_id)
    contact_id, decision_id = signed_off_decision(database, worker, manager)
    with database.transaction() as s, pytest.raises(AccessDenied):
        amend_decision(s, database, other, contact_id, amendment())
    assert stored(database, decision_id).rationale == RATIONALE
    with database.transaction() as s:
        assert s.scalar(
            select(AuditEvent.id).where(
                AuditEvent.action == "amend", AuditEvent.outcome == "refused", AuditEvent.actor_id == other.id
            )
        )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"reason": None}, "amendment_reason"),
        ({"reason": "   "}, "amendment_reason"),
        ({"level": "7"}, "level_of_need"),
        ({"primary_need": None}, "primary_need"),
        ({"rationale": "Fine."}, "rationale"),
        ({"rationale": RATIONALE}, "level_of_need"),  # changes nothing
    ],
)
def test_an_amendment_needs_a_reason_and_a_change_and_writes_nothing_when_refused(
    database: Database, factory: Factory, change: dict[str, str | None], field: str
) -> None:
    worker, manager = staff(factory)
    contact_id, _ = signed_off_decision(database, worker, manager)
    with database.transaction() as s, pytest.raises(ValidationFailed) as failed:
        amend_decision(s, database, worker, contact_id, amendment(**change))  # type: ignore[arg-type]
    assert field in failed.value.errors
    with database.transaction() as s:
        assert s.scalar(select(RecordVersion.id)) is None


def test_a_decision_awaiting_sign_off_is_not_amended(database: Database, factory: Factory) -> None:
    worker, _ = staff(factory)
    contact_id, _ = linked_contact(database, worker)
    with database.transaction() as s:
        decide(s, database, worker, contact_id, decision())
    with database.transaction() as s, pytest.raises(Conflict):
        amend_decision(s, database, worker, contact_id, amendment())


def test_an_amendment_loaded_at_an_older_version_is_refused_with_the_saved_version(
    database: Database, factory: Factory
) -> None:
    worker, manager = staff(factory)
    contact_id, decision_id = signed_off_decision(database, worker, manager)
    loaded = stored(database, decision_id).version
    with database.transaction() as s:
        amend_decision(s, database, manager, contact_id, amendment(version=loaded))
    with database.transaction() as s, pytest.raises(EditConflict) as clash:
        amend_decision(s, database, worker, contact_id, amendment(rationale=CORRECTED + " More.", version=loaded))
    saved = {f.name: f.shown for f in clash.value.saved.fields}
    assert saved["rationale"] == CORRECTED
    assert clash.value.saved.saved_by == manager.full_name


def _page(client: TestClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return page.text


def test_pages_amend_show_the_versions_and_keep_a_second_editors_text(
    app: FastAPI, database: Database, factory: Factory
) -> None:
    worker, manager = staff(factory)
    contact_id, decision_id = signed_off_decision(database, worker, manager)
    with (
        TestClient(app, follow_redirects=False) as worker_client,
        TestClient(app, follow_redirects=False) as manager_client,
    ):
        _amend_in_two_browsers(database, worker, manager, worker_client, manager_client, contact_id, decision_id)


def _amend_in_two_browsers(
    database: Database,
    worker: User,
    manager: User,
    worker_client: TestClient,
    manager_client: TestClient,
    contact_id: int,
    decision_id: int,
) -> None:
    sign_in(worker_client, worker)
    sign_in(manager_client, manager)
    assert f'href="/mash/contacts/{contact_id}/decision/amend"' in _page(worker_client, f"/mash/contacts/{contact_id}")
    worker_form = _page(worker_client, f"/mash/contacts/{contact_id}/decision/amend")
    manager_form = _page(manager_client, f"/mash/contacts/{contact_id}/decision/amend")
    version = re.search(r'name="version" value="(\d+)"', worker_form)
    assert version
    # No reason: refused, naming the field, and what was typed stays in the form.
    no_reason = worker_client.post(
        f"/mash/contacts/{contact_id}/decision/amend",
        data={
            "csrf_token": csrf_from(worker_form),
            "version": version.group(1),
            "level_of_need": "4",
            "primary_need": "N1",
            "rationale": CORRECTED,
            "amendment_reason": "",
        },
    )
    assert no_reason.status_code == 422
    assert "Enter the reason for the amendment" in no_reason.text and CORRECTED in no_reason.text
    done = worker_client.post(
        f"/mash/contacts/{contact_id}/decision/amend",
        data={
            "csrf_token": csrf_from(worker_form),
            "version": version.group(1),
            "level_of_need": "4",
            "primary_need": "N1",
            "rationale": CORRECTED,
            "amendment_reason": REASON,
        },
    )
    assert done.status_code == 303 and "amendment_waiting" in done.headers["location"]
    # The manager's form was loaded before the worker saved: their text comes back beside the saved version.
    mine = "The manager reading of the checks: level three, neglect, with the school concern central."
    clash = manager_client.post(
        f"/mash/contacts/{contact_id}/decision/amend",
        data={
            "csrf_token": csrf_from(manager_form),
            "version": version.group(1),
            "level_of_need": "3",
            "primary_need": "N1",
            "rationale": mine,
            "amendment_reason": "Manager's correction",
        },
    )
    assert clash.status_code == 409
    assert mine in clash.text and CORRECTED in clash.text and 'id="saved-version"' in clash.text
    # The contact shows the amendment: who, why, what changed, the version before; the manager is asked to agree.
    shown = _page(manager_client, f"/mash/contacts/{contact_id}")
    history = shown[shown.index('id="amendments"') :]
    assert worker.full_name in history and REASON in history
    assert "What changed" in history and RATIONALE in history and CORRECTED in history
    assert "Waiting for a manager to agree" in shown
    listed = _page(manager_client, "/mash/sign-off")
    assert "Amendment to agree" in listed and f"/mash/contacts/{contact_id}#amendment-sign-off-form" in listed
    assert 'id="amendment-sign-off-form"' in shown
    agreed = manager_client.post(
        f"/mash/contacts/{contact_id}/decision/amendment-sign-off",
        data={"csrf_token": csrf_from(shown)},
    )
    assert agreed.status_code == 303
    assert "Latest amendment agreed by " + manager.full_name in _page(worker_client, f"/mash/contacts/{contact_id}")
    assert not stored(database, decision_id).amendment_awaiting_sign_off
