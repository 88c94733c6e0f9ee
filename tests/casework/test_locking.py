"""Signed-off records are locked, and a second editor never loses their text (issue 14).

An authorised assessment is not changed by its ordinary edit form: the page says so and links to "Amend"; an
amendment needs a reason, keeps the version before it, and the case page shows it. When two people edit one
record, the second's save is refused with their text still in the form and the saved version beside it.
"""

from __future__ import annotations

import html
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from safeguarding.casework.models import Assessment, Visit
from safeguarding.core.audit import AuditEvent
from safeguarding.core.record_versions import RecordVersion
from tests.casework.conftest import Case
from tests.support import sign_in_as


def post(client: TestClient, url: str, csrf: str, data: dict[str, Any]) -> Any:
    return client.post(url, data={**data, "csrf_token": csrf})


def version_in(page: str) -> str:
    return page.split('name="version" value="')[1].split('"')[0]


def authorised_assessment(client: TestClient, case: Case, summary: str = "Mother struggling") -> int:
    """An assessment started by the manager and authorised by them (the manager may write and sign off)."""
    csrf = sign_in_as(client, case.database, case.manager)
    made = post(
        client,
        f"/cases/{case.child_id}/assessments/new",
        csrf,
        {"started_on": case.on(1).isoformat(), "summary": summary},
    )
    assert made.status_code == 303, made.text
    with case.database.transaction() as s:
        assessment = s.scalars(select(Assessment)).one()
        aid, version = assessment.id, assessment.version
    done = post(
        client,
        f"/cases/{case.child_id}/assessments/{aid}/authorise",
        csrf,
        {"version": str(version), "authorised_on": case.on(10).isoformat(), "outcome": "cin_plan", "factors": "3B"},
    )
    assert done.status_code == 303, done.text
    return aid


def test_editing_an_authorised_assessment_is_refused_with_a_link_to_amend(client: TestClient, case: Case) -> None:
    aid = authorised_assessment(client, case)
    csrf = sign_in_as(client, case.database, case.worker)
    edit = f"/cases/{case.child_id}/assessments/{aid}/edit"
    page = client.get(edit)
    assert page.status_code == 409
    assert "This record is signed off" in page.text and "cannot be changed with its ordinary form" in page.text
    assert f'href="/cases/{case.child_id}/assessments/{aid}/amend"' in page.text and ">Amend<" in page.text
    with case.database.transaction() as s:
        version = s.get_one(Assessment, aid).version
    refused = post(client, edit, csrf, {"version": str(version), "started_on": case.on(1).isoformat(), "summary": "X"})
    assert refused.status_code == 409 and "/amend" in refused.text
    with case.database.transaction() as s:
        assert s.get_one(Assessment, aid).summary == "Mother struggling"
    # The case page offers the amendment, not the ordinary change, and no second authorisation.
    case_page = client.get(f"/cases/{case.child_id}").text
    assert f"/assessments/{aid}/amend" in case_page and f"/assessments/{aid}/edit" not in case_page
    sign_in_as(client, case.database, case.manager)
    again = client.get(f"/cases/{case.child_id}/assessments/{aid}/authorise")
    assert again.status_code == 409 and "/amend" in again.text


def test_an_amendment_without_a_reason_is_refused_and_changes_nothing(client: TestClient, case: Case) -> None:
    aid = authorised_assessment(client, case)
    csrf = sign_in_as(client, case.database, case.worker)
    url = f"/cases/{case.child_id}/assessments/{aid}/amend"
    form = client.get(url)
    assert form.status_code == 200
    assert "Amend assessment" in form.text and 'name="amendment_reason"' in form.text
    refused = post(
        client,
        url,
        csrf,
        {
            "version": version_in(form.text),
            "started_on": case.on(1).isoformat(),
            "summary": "Mother struggling; father back home",
            "amendment_reason": "   ",
        },
    )
    assert refused.status_code == 422
    assert "Enter the reason for the amendment" in refused.text
    assert "Mother struggling; father back home" in refused.text  # what was typed is kept
    with case.database.transaction() as s:
        assert s.get_one(Assessment, aid).summary == "Mother struggling"
        assert s.scalars(select(RecordVersion)).all() == []


def test_an_amendment_with_a_reason_is_stored_and_the_record_shows_the_earlier_version(
    client: TestClient, case: Case
) -> None:
    aid = authorised_assessment(client, case)
    csrf = sign_in_as(client, case.database, case.worker)
    url = f"/cases/{case.child_id}/assessments/{aid}/amend"
    form = client.get(url)
    done = post(
        client,
        url,
        csrf,
        {
            "version": version_in(form.text),
            "started_on": case.on(1).isoformat(),
            "summary": "Mother struggling; father back home",
            "outcome": "cin_plan",
            "amendment_reason": "Father's return was left out of the summary",
        },
    )
    assert done.status_code == 303, done.text
    with case.database.transaction() as s:
        amended = s.get_one(Assessment, aid)
        assert amended.summary == "Mother struggling; father back home"
        assert amended.authorised_on == case.on(10)  # still authorised
        kept = s.scalars(select(RecordVersion)).one()
        assert (kept.record_type, kept.record_id, kept.amended_by_id) == ("assessment", aid, case.worker.id)
        audited = s.scalars(select(AuditEvent).where(AuditEvent.action == "amend")).one()
        assert audited.target_type == "assessment" and audited.target_id == str(aid)
    page = html.unescape(client.get(f"/cases/{case.child_id}").text)
    assert f"by {case.worker.full_name}:</strong> Father's return was left out of the summary" in page
    assert "Amended " in page and "The version before this amendment" in page
    earlier = page.split("The version before this amendment")[1]
    assert "Summary of the assessment so far" in earlier and "Mother struggling<" in earlier


def test_the_second_editor_keeps_their_text_beside_the_saved_version_and_can_resubmit(
    app: FastAPI, client: TestClient, case: Case
) -> None:
    csrf_first = sign_in_as(client, case.database, case.worker)
    made = post(
        client,
        f"/cases/{case.child_id}/visits/new",
        csrf_first,
        {
            "kind": "cin",
            "visited_on": case.on(2).isoformat(),
            "child_seen": "yes",
            "seen_alone": "no",
            "notes": "Home was tidy",
        },
    )
    assert made.status_code == 303
    with case.database.transaction() as s:
        visit_id = s.scalars(select(Visit.id)).one()
    url = f"/cases/{case.child_id}/visits/{visit_id}/edit"
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as second:
        csrf_second = sign_in_as(second, case.database, case.manager)
        # Both open the same edit form.
        loaded_first = version_in(client.get(url).text)
        loaded_second = version_in(second.get(url).text)
        assert loaded_first == loaded_second
        first = post(
            client,
            url,
            csrf_first,
            {
                "version": loaded_first,
                "kind": "cin",
                "visited_on": case.on(2).isoformat(),
                "child_seen": "yes",
                "seen_alone": "no",
                "notes": "Home was tidy; mother tired",
            },
        )
        assert first.status_code == 303
        typed = "Spoke to the child alone about school"
        late = post(
            second,
            url,
            csrf_second,
            {
                "version": loaded_second,
                "kind": "cin",
                "visited_on": case.on(2).isoformat(),
                "child_seen": "yes",
                "seen_alone": "no",
                "notes": typed,
            },
        )
        assert late.status_code == 409
        page = html.unescape(late.text)
        assert "Someone else changed this record since you opened it" in page
        # Their text is still in the form ...
        form = page.split(f'action="{url}"')[1].split("</form>")[0]
        assert f">{typed}</textarea>" in form
        # ... and the saved version is beside it: what differs, who saved it.
        saved = page.split('id="saved-version"')[1].split("</table>")[0]
        assert "Home was tidy; mother tired" in saved and typed in saved and "Different" in saved
        assert f"{case.worker.full_name} saved this record" in page
        with case.database.transaction() as s:
            assert s.get_one(Visit, visit_id).notes == "Home was tidy; mother tired"
        # The form now carries the saved version: having compared, saving again is a deliberate change.
        resubmitted = post(
            second,
            url,
            csrf_second,
            {
                "version": version_in(late.text),
                "kind": "cin",
                "visited_on": case.on(2).isoformat(),
                "child_seen": "yes",
                "seen_alone": "no",
                "notes": f"Home was tidy; mother tired. {typed}",
            },
        )
        assert resubmitted.status_code == 303, resubmitted.text
    with case.database.transaction() as s:
        assert s.get_one(Visit, visit_id).notes == f"Home was tidy; mother tired. {typed}"
