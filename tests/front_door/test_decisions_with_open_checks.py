"""Decisions are not taken blind (issue 14): a decision or sign-off with partner checks unanswered names them and
needs a reason to go on (stored, shown); when the decision takes effect the checks close as "no longer needed"
(audited) and the agency's portal says so. A referral asks its CIN census primary need when it is made."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from safeguarding.casework.models import Referral
from safeguarding.core.audit import AuditEvent
from safeguarding.core.db import Database
from safeguarding.core.errors import Conflict, ValidationFailed
from safeguarding.core.users import Role
from safeguarding.front_door.checks import request_check
from safeguarding.front_door.decisions import decide, sign_off
from safeguarding.front_door.intake import respond_to_check
from safeguarding.front_door.models import CheckStatus, ContactDecision, PartnerCheck
from safeguarding.people.models import Person
from tests.front_door.test_checks import check
from tests.front_door.test_decisions import RATIONALE, decision, linked_contact
from tests.front_door.test_screening_helpers import staff
from tests.support import Factory, sign_in

REASON_TO_GO_ON = "The child disclosed harm today; the police answer cannot change the need for a strategy discussion."


def _version(html: str, form_id: str) -> str:
    form = html[html.index(f'id="{form_id}"') :]
    found = re.search(r'name="version" value="(\d+)"', form)
    assert found
    return found.group(1)


def test_a_decision_with_an_open_check_needs_a_reason_and_closes_the_check(
    database: Database, factory: Factory
) -> None:
    worker, manager = staff(factory)
    police = factory.agency(name="Testshire Police")
    contact_id, person_id = linked_contact(database, worker)
    with database.transaction() as s:
        check_id = request_check(s, database, worker, contact_id, check(police.id)).id
    with database.transaction() as s, pytest.raises(ValidationFailed) as refused:
        decide(s, database, worker, contact_id, decision(3, "referral_for_assessment"))
    assert "Testshire Police" in refused.value.errors["open_checks_reason"]
    with database.transaction() as s:
        decide(
            s, database, worker, contact_id, decision(3, "referral_for_assessment", open_checks_reason=REASON_TO_GO_ON)
        )
    with database.transaction() as s:
        assert s.get_one(PartnerCheck, check_id).status == CheckStatus.REQUESTED  # waiting for the manager
        made = s.scalars(select(ContactDecision).where(ContactDecision.contact_id == contact_id)).one()
        assert made.open_checks_reason == REASON_TO_GO_ON and made.primary_need == "N1"
    with database.transaction() as s, pytest.raises(ValidationFailed) as refused:
        sign_off(s, database, manager, contact_id, agree=True, note=None, expected_version=None)
    assert "sign_off_checks_reason" in refused.value.errors
    with database.transaction() as s:
        sign_off(
            s, database, manager, contact_id, agree=True, note=None, expected_version=None,
            open_checks_reason=REASON_TO_GO_ON,
        )  # fmt: skip
    with database.transaction() as s:
        assert s.get_one(PartnerCheck, check_id).status == CheckStatus.NO_LONGER_NEEDED
        closed = s.scalars(select(AuditEvent).where(AuditEvent.action == "close_check")).one()
        assert closed.target_id == str(check_id)
        referral = s.scalars(select(Referral).where(Referral.person_id == person_id)).one()
        assert referral.primary_need == "N1"
        assert s.get_one(ContactDecision, made.id).sign_off_open_checks_reason == REASON_TO_GO_ON


def test_a_referral_without_a_primary_need_is_refused(database: Database, factory: Factory) -> None:
    worker, _ = staff(factory)
    contact_id, _ = linked_contact(database, worker)
    with database.transaction() as s, pytest.raises(ValidationFailed) as refused:
        decide(s, database, worker, contact_id, decision(3, "strategy_discussion", primary_need=None))
    assert set(refused.value.errors) == {"primary_need"}
    with database.transaction() as s, pytest.raises(ValidationFailed) as refused:
        decide(s, database, worker, contact_id, decision(3, "strategy_discussion", primary_need="N12"))
    assert set(refused.value.errors) == {"primary_need"}
    with database.transaction() as s:  # no referral, no primary need asked
        decide(s, database, worker, contact_id, decision(2, "early_help", primary_need=None))


def test_over_http_the_decision_names_the_open_check_and_the_partner_sees_it_closed(
    app: FastAPI, database: Database, factory: Factory
) -> None:
    worker, manager = staff(factory)
    police = factory.agency(name="Testshire Police")
    officer = factory.user(Role.PARTNER_PRACTITIONER, agency_id=police.id)
    contact_id, _ = linked_contact(database, worker)
    with database.transaction() as s:
        check_id = request_check(s, database, worker, contact_id, check(police.id)).id
    with TestClient(app, follow_redirects=False) as w, TestClient(app, follow_redirects=False) as m:
        token = sign_in(w, worker)
        page = w.get(f"/mash/contacts/{contact_id}")
        assert "Partner checks not answered yet: Testshire Police" in page.text
        form = {
            "csrf_token": token,
            "version": _version(page.text, "decision-form"),
            "level_of_need": "3",
            "outcome": "referral_for_assessment",
            "rationale": RATIONALE,
        }
        refused = w.post(f"/mash/contacts/{contact_id}/decision", data=form)
        assert refused.status_code == 422
        assert "Choose the child&#39;s primary need" in refused.text
        assert "Enter the reason to go on without the answer from Testshire Police" in refused.text
        done = w.post(
            f"/mash/contacts/{contact_id}/decision",
            data=form | {"primary_need": "N4", "open_checks_reason": REASON_TO_GO_ON},
        )
        assert done.status_code == 303
        manager_token = sign_in(m, manager)
        page = m.get(f"/mash/contacts/{contact_id}")
        assert (
            "Decided before partner checks were answered, because" in page.text
            and "N4: Family in acute stress" in page.text
        )
        sign = {"csrf_token": manager_token, "version": _version(page.text, "sign-off-form"), "sign_off": "agree"}
        assert m.post(f"/mash/contacts/{contact_id}/sign-off", data=sign).status_code == 422
        done = m.post(f"/mash/contacts/{contact_id}/sign-off", data=sign | {"sign_off_checks_reason": REASON_TO_GO_ON})
        assert done.status_code == 303
        page = m.get(f"/mash/contacts/{contact_id}")
        assert "Signed off before partner checks were answered, because" in page.text
        assert "No longer needed" in page.text
    with TestClient(app, follow_redirects=False) as p:
        sign_in(p, officer)
        home = p.get("/portal")
        assert "Checks no longer needed" in home.text and f"/portal/checks/{check_id}" in home.text
        assert "There are no checks waiting for your agency" in home.text
        page = p.get(f"/portal/checks/{check_id}")
        assert "No longer needed." in page.text and "Send answer" not in page.text
    with database.transaction() as s, pytest.raises(Conflict):
        respond_to_check(s, database, officer, check_id, "Known to us", 2)


def test_a_referral_for_a_child_whose_record_shows_a_death_before_the_contact_is_refused(
    database: Database, factory: Factory
) -> None:
    """CIN census 8555Q prevented at source: the referral would be dated after the recorded death."""
    worker, _ = staff(factory)
    contact_id, person_id = linked_contact(database, worker)
    with database.transaction() as s:
        s.get_one(Person, person_id).date_of_death = date(2001, 1, 1)
    with database.transaction() as s, pytest.raises(ValidationFailed) as refused:
        decide(s, database, worker, contact_id, decision(3, "referral_for_assessment"))
    assert "died on 1 January 2001" in refused.value.errors["children"]
