"""An administrator records a social worker's Social Work England registration number (the SSDA903 SW_ID):
checked against the form Social Work England gives it, unique, audited; a script or nonsense is refused naming the
field and kept as typed."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from safeguarding.core.accounts import SWE_NUMBER, registration_number_problem
from safeguarding.core.audit import AuditEvent
from safeguarding.core.db import Database
from safeguarding.core.users import Role, User
from tests.support import Factory, sign_in


def _form(token: str, user: User, number: str) -> dict[str, str]:
    return {
        "csrf_token": token,
        "full_name": user.full_name,
        "email": user.email or "",
        "role": str(user.role),
        "team_id": str(user.team_id or ""),
        "agency_id": "",
        "active": "yes",
        "registration_number": number,
    }


def test_the_number_is_saved_as_registered_and_audited(
    client: TestClient, admin: User, factory: Factory, database: Database
) -> None:
    worker = factory.user(Role.SOCIAL_WORKER)
    token = sign_in(client, admin)
    assert "Social Work England registration number" in client.get(f"/admin/users/{worker.id}").text
    answer = client.post(f"/admin/users/{worker.id}", data=_form(token, worker, " sw 12345 "))
    assert answer.status_code == 303, answer.text
    with database.transaction() as s:
        assert s.get_one(User, worker.id).registration_number == "SW12345"
        event = s.scalars(
            select(AuditEvent).where(AuditEvent.target_type == "user_account", AuditEvent.action == "update")
        ).all()[-1]
    assert json.loads(event.detail)["changed"]["registration_number"] == {"old": None, "new": "SW12345"}
    assert 'value="SW12345"' in client.get(f"/admin/users/{worker.id}").text


def test_a_wrong_number_or_one_already_held_is_refused_naming_the_field(
    client: TestClient, admin: User, factory: Factory, database: Database
) -> None:
    worker, other = factory.user(Role.SOCIAL_WORKER), factory.user(Role.SOCIAL_WORKER)
    with database.transaction() as s:
        s.get_one(User, other.id).registration_number = "SW55555"
    token = sign_in(client, admin)
    # A control character is refused by the form layer before the account is read (no 500, nothing saved).
    assert client.post(f"/admin/users/{worker.id}", data=_form(token, worker, "SW12\x0045")).status_code == 422
    for typed in ("12345", "<script>alert(1)</script>", "SW" + "9" * 40):
        answer = client.post(f"/admin/users/{worker.id}", data=_form(token, worker, typed))
        assert answer.status_code == 422, typed
        summary = answer.text[answer.text.find("govuk-error-summary") :][:1500]
        assert 'href="#registration_number"' in summary and "like SW12345" in summary, (typed, summary)
        assert "<script>alert" not in answer.text
    taken = client.post(f"/admin/users/{worker.id}", data=_form(token, worker, "SW55555"))
    assert taken.status_code == 422 and "Another account has this registration number" in taken.text
    with database.transaction() as s:
        assert s.get_one(User, worker.id).registration_number is None


@given(st.text(max_size=30))
def test_a_stored_number_is_always_sw_and_digits(raw: str) -> None:
    number, problem = registration_number_problem(raw)
    assert (number is None) or (SWE_NUMBER.fullmatch(number) and problem is None)
    if "".join(raw.split()):
        assert (number is None) == (problem is not None)
