"""A team manager authorises a child in need plan, or returns it with the reason (issue 14, "Team manager:
assessments, plans and decisions awaiting authorisation"). The plans wait on the manager's home page with the
assessments, the oldest first, each row opening the record; an authorised plan is locked like an authorised
assessment, though the worker still records when it ends."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from safeguarding.casework.models import Assessment, ChildInNeedPlan
from safeguarding.core.audit import AuditEvent
from safeguarding.core.record_versions import RecordVersion
from tests.casework.conftest import Case
from tests.support import sign_in_as

PLAN = "Weekly visits; school nurse to review attendance; parenting support from the family hub."


def post(client: TestClient, url: str, csrf: str, data: dict[str, Any]) -> Any:
    return client.post(url, data={**data, "csrf_token": csrf})


def recorded_plan(client: TestClient, case: Case, days: int = 15) -> int:
    """A plan the allocated worker records."""
    csrf = sign_in_as(client, case.database, case.worker)
    made = post(
        client, f"/cases/{case.child_id}/cin-plans/new", csrf, {"started_on": case.on(days).isoformat(), "notes": PLAN}
    )
    assert made.status_code == 303, made.text
    with case.database.transaction() as s:
        return max(s.scalars(select(ChildInNeedPlan.id)))


def plan_row(case: Case, plan_id: int) -> ChildInNeedPlan:
    with case.database.transaction() as s:
        plan = s.get_one(ChildInNeedPlan, plan_id)
        s.expunge(plan)
        return plan


def awaiting_rows(client: TestClient) -> str:
    page = client.get("/home")
    assert page.status_code == 200
    return page.text.split('id="awaiting"', 1)[1].split("</table>", 1)[0] if 'id="awaiting"' in page.text else ""


def test_a_plan_waits_on_the_managers_home_page_and_is_authorised_then_locked(client: TestClient, case: Case) -> None:
    plan_id = recorded_plan(client, case)
    csrf = sign_in_as(client, case.database, case.manager)
    rows = awaiting_rows(client)
    url = f"/cases/{case.child_id}/cin-plans/{plan_id}/authorise"
    assert "Child in need plan" in rows and f'href="{url}"' in rows and "Casey Testcase" in rows
    page = client.get(url)
    assert page.status_code == 200 and PLAN in page.text
    # No answer chosen: refused, naming the question.
    refused = post(client, url, csrf, {"version": str(plan_row(case, plan_id).version)})
    assert refused.status_code == 422 and "Choose whether you authorise the plan" in refused.text
    done = post(client, url, csrf, {"version": str(plan_row(case, plan_id).version), "answer": "authorise"})
    assert done.status_code == 303 and "plan_authorised" in done.headers["location"]
    plan = plan_row(case, plan_id)
    assert plan.authorised_on is not None and plan.authorised_by_id == case.manager.id
    assert url not in awaiting_rows(client)
    with case.database.transaction() as s:
        assert s.scalar(
            select(AuditEvent.id).where(
                AuditEvent.action == "authorise",
                AuditEvent.target_type == "child_in_need_plan",
                AuditEvent.actor_id == case.manager.id,
            )
        )
    # Locked: the worker's ordinary form records the end, not a change to what the manager agreed.
    csrf = sign_in_as(client, case.database, case.worker)
    edit = f"/cases/{case.child_id}/cin-plans/{plan_id}/edit"
    form = client.get(edit)
    assert form.status_code == 200 and 'id="locked"' in form.text
    changed = post(
        client, edit, csrf, {"version": str(plan.version), "started_on": case.on(15).isoformat(), "notes": "Rewritten"}
    )
    assert changed.status_code == 409 and f"/cin-plans/{plan_id}/amend" in changed.text
    assert plan_row(case, plan_id).notes == PLAN
    ended = post(
        client,
        edit,
        csrf,
        {
            "version": str(plan.version),
            "started_on": case.on(15).isoformat(),
            "notes": PLAN,
            "ended_on": case.on(20).isoformat(),
        },
    )
    assert ended.status_code == 303, ended.text
    assert plan_row(case, plan_id).ended_on == case.on(20)
    # The content changes by an amendment with the reason, the version before kept and shown on the case.
    amend = f"/cases/{case.child_id}/cin-plans/{plan_id}/amend"
    amended = post(
        client,
        amend,
        csrf,
        {
            "version": str(plan_row(case, plan_id).version),
            "started_on": case.on(15).isoformat(),
            "ended_on": case.on(20).isoformat(),
            "notes": PLAN + " Speech and language referral added.",
            "amendment_reason": "The conference asked for the speech and language referral.",
        },
    )
    assert amended.status_code == 303, amended.text
    with case.database.transaction() as s:
        kept = s.scalars(select(RecordVersion).where(RecordVersion.record_type == "child_in_need_plan")).one()
        assert PLAN in kept.content and "speech and language" in kept.reason
    case_page = client.get(f"/cases/{case.child_id}").text
    assert "The conference asked for the speech and language referral." in case_page


def test_a_returned_plan_leaves_the_list_until_the_worker_changes_it(client: TestClient, case: Case) -> None:
    plan_id = recorded_plan(client, case)
    csrf = sign_in_as(client, case.database, case.manager)
    url = f"/cases/{case.child_id}/cin-plans/{plan_id}/authorise"
    no_reason = post(client, url, csrf, {"version": str(plan_row(case, plan_id).version), "answer": "return"})
    assert no_reason.status_code == 422 and "Enter the reason for returning the plan" in no_reason.text
    returned = post(
        client,
        url,
        csrf,
        {"version": str(plan_row(case, plan_id).version), "answer": "return", "note": "Add who does what by when."},
    )
    assert returned.status_code == 303 and "plan_returned" in returned.headers["location"]
    assert url not in awaiting_rows(client)
    assert plan_row(case, plan_id).authorised_on is None
    with case.database.transaction() as s:
        assert s.scalar(select(AuditEvent.id).where(AuditEvent.action == "return_plan"))
    # The worker sees why on the case, changes the plan, and it waits for the manager again.
    csrf = sign_in_as(client, case.database, case.worker)
    assert "Add who does what by when." in client.get(f"/cases/{case.child_id}").text
    changed = post(
        client,
        f"/cases/{case.child_id}/cin-plans/{plan_id}/edit",
        csrf,
        {
            "version": str(plan_row(case, plan_id).version),
            "started_on": case.on(15).isoformat(),
            "notes": PLAN + " Worker: weekly.",
        },
    )
    assert changed.status_code == 303, changed.text
    assert plan_row(case, plan_id).returned_note is None
    sign_in_as(client, case.database, case.manager)
    assert url in awaiting_rows(client)


def test_the_managers_list_is_oldest_first_and_a_worker_may_not_authorise(client: TestClient, case: Case) -> None:
    with case.database.transaction() as s:
        s.add(
            Assessment(
                person_id=case.child_id,
                referral_id=case.referral_id,
                started_on=case.on(2),
                outcome="cin_plan",
                summary="Synthetic assessment",
            )
        )
    plan_id = recorded_plan(client, case, days=15)
    csrf = sign_in_as(client, case.database, case.worker)
    url = f"/cases/{case.child_id}/cin-plans/{plan_id}/authorise"
    assert client.get(url).status_code == 403
    assert post(client, url, csrf, {"answer": "authorise"}).status_code == 403
    assert plan_row(case, plan_id).authorised_on is None
    sign_in_as(client, case.database, case.manager)
    rows = awaiting_rows(client)
    assert rows.index("/assessments/") < rows.index(f"/cin-plans/{plan_id}/authorise")  # started earlier, first


def test_a_second_manager_answering_a_changed_plan_keeps_their_text(client: TestClient, case: Case) -> None:
    plan_id = recorded_plan(client, case)
    loaded = plan_row(case, plan_id).version
    csrf = sign_in_as(client, case.database, case.worker)
    post(
        client,
        f"/cases/{case.child_id}/cin-plans/{plan_id}/edit",
        csrf,
        {"version": str(loaded), "started_on": case.on(15).isoformat(), "notes": PLAN + " Updated."},
    )
    csrf = sign_in_as(client, case.database, case.manager)
    note = "Please name the lead professional for each action."
    clash = post(
        client,
        f"/cases/{case.child_id}/cin-plans/{plan_id}/authorise",
        csrf,
        {"version": str(loaded), "answer": "return", "note": note},
    )
    assert clash.status_code == 409 and note in clash.text
    assert plan_row(case, plan_id).returned_note is None
