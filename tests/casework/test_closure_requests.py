"""A case closure has an authorisation step: the worker asks, the team manager closes the episode from the request
(waiting on their home page) or returns it with the reason (issue 14)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from safeguarding.casework.models import ChildInNeedPlan, ClosureRequest, Referral
from safeguarding.core.audit import AuditEvent
from tests.casework.conftest import Case
from tests.support import sign_in_as

SUMMARY = "Needs met: attendance back to 96 per cent and the family linked with the family hub."


def post(client: TestClient, url: str, csrf: str, data: dict[str, Any]) -> Any:
    return client.post(url, data={**data, "csrf_token": csrf})


def asked(client: TestClient, case: Case, reason: str = "RC8") -> Any:
    csrf = sign_in_as(client, case.database, case.worker)
    assert f'href="/cases/{case.child_id}/closure/request"' in client.get(f"/cases/{case.child_id}").text
    return post(
        client,
        f"/cases/{case.child_id}/closure/request",
        csrf,
        {"closed_on": case.on(30).isoformat(), "reason": reason, "note": SUMMARY},
    )


def referral(case: Case) -> Referral:
    with case.database.transaction() as s:
        row = s.get_one(Referral, case.referral_id)
        s.expunge(row)
        return row


def test_the_worker_asks_and_the_manager_closes_from_the_request(client: TestClient, case: Case) -> None:
    done = asked(client, case)
    assert done.status_code == 303 and "closure_requested" in done.headers["location"]
    assert referral(case).closed_date is None  # asking closes nothing
    assert "waiting for the team manager" in client.get(f"/cases/{case.child_id}").text
    csrf = sign_in_as(client, case.database, case.manager)
    home = client.get("/home").text
    row = home.split('id="awaiting"', 1)[1].split("</table>", 1)[0]
    assert "Case closure" in row and f'href="/cases/{case.child_id}/closure"' in row
    form = client.get(f"/cases/{case.child_id}/closure").text
    assert SUMMARY in form and 'id="closure-request"' in form and 'value="RC8" selected' in form
    closed = post(
        client,
        f"/cases/{case.child_id}/closure",
        csrf,
        {
            "version": str(referral(case).version),
            "closed_on": case.on(30).isoformat(),
            "reason": "RC8",
            "note": SUMMARY,
        },
    )
    assert closed.status_code == 303, closed.text
    assert referral(case).closed_date == case.on(30)
    with case.database.transaction() as s:
        request = s.scalars(select(ClosureRequest)).one()
        assert (request.status, request.answered_by_id) == ("authorised", case.manager.id)
    assert "Case closure" not in client.get("/home").text


def test_the_manager_returns_the_request_with_the_reason(client: TestClient, case: Case) -> None:
    asked(client, case)
    csrf = sign_in_as(client, case.database, case.manager)
    no_reason = post(client, f"/cases/{case.child_id}/closure/return", csrf, {"return_note": ""})
    assert no_reason.status_code == 422 and "Enter the reason for returning the request" in no_reason.text
    returned = post(
        client, f"/cases/{case.child_id}/closure/return", csrf, {"return_note": "Hold the review with school first."}
    )
    assert returned.status_code == 303
    assert referral(case).closed_date is None
    assert "Case closure" not in client.get("/home").text
    with case.database.transaction() as s:
        assert s.scalar(select(AuditEvent.id).where(AuditEvent.action == "return_closure"))
    # The worker reads why when they ask again.
    sign_in_as(client, case.database, case.worker)
    again = client.get(f"/cases/{case.child_id}/closure/request").text
    assert "Hold the review with school first." in again


def test_a_request_is_checked_as_the_closure_is_and_one_waits_at_a_time(client: TestClient, case: Case) -> None:
    with case.database.transaction() as s:
        s.add(ChildInNeedPlan(person_id=case.child_id, referral_id=case.referral_id, started_on=case.on(10)))
    refused = asked(client, case, "RC7")  # an open plan refuses the closure, and so the request
    assert refused.status_code == 422
    with case.database.transaction() as s:
        assert s.scalar(select(ClosureRequest.id)) is None
        plan = s.scalars(select(ChildInNeedPlan)).one()
        plan.ended_on = case.on(20)
    second = asked(client, case, "RC7")
    assert second.status_code == 303, second.text.split('govuk-error-summary__list">', 1)[-1][:400]
    csrf = sign_in_as(client, case.database, case.worker)
    twice = post(
        client,
        f"/cases/{case.child_id}/closure/request",
        csrf,
        {"closed_on": case.on(30).isoformat(), "reason": "RC7", "note": SUMMARY},
    )
    assert twice.status_code == 409
    with case.database.transaction() as s:
        assert len(s.scalars(select(ClosureRequest)).all()) == 1


def test_a_worker_may_not_close_or_return_and_an_analyst_may_not_ask(client: TestClient, case: Case) -> None:
    asked(client, case)
    csrf = sign_in_as(client, case.database, case.worker)
    assert post(client, f"/cases/{case.child_id}/closure/return", csrf, {"return_note": "No"}).status_code == 403
    csrf = sign_in_as(client, case.database, case.analyst)
    assert client.get(f"/cases/{case.child_id}/closure/request").status_code == 403
