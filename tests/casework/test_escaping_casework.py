"""Script typed into case notes, strategy discussion participants, chronology commentary and supervision decisions is
stored as typed and shown as text; over-long text is refused with the field named and nothing is written."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from safeguarding.casework.models import CaseNote, StrategyDiscussion, StrategyParticipant
from tests.casework.conftest import Case
from tests.support import sign_in_as
from tests.test_escaping import IMG, SCRIPT, assert_escaped


def post(client: TestClient, url: str, csrf: str, data: dict[str, Any]) -> Any:
    return client.post(url, data={**data, "csrf_token": csrf})


def test_script_in_a_note_and_in_participants_is_stored_as_typed_and_shown_escaped(
    client: TestClient, case: Case
) -> None:
    csrf = sign_in_as(client, case.database, case.worker)
    note = f"Mother said {SCRIPT} and {IMG}"
    response = post(
        client,
        f"/cases/{case.child_id}/notes/new",
        csrf,
        {"kind": "phone_call", "occurred_on": case.on(2).isoformat(), "occurred_time": "10:15", "text": note},
    )
    assert response.status_code == 303, response.text
    response = post(
        client,
        f"/cases/{case.child_id}/strategy-discussions/new",
        csrf,
        {
            "held_on": case.on(3).isoformat(),
            "decision": "section47",
            "participants.0.agency": "Police",
            "participants.0.name": SCRIPT,
            "participants.0.role": IMG,
        },
    )
    assert response.status_code == 303, response.text
    with case.database.transaction() as s:
        assert s.scalar(select(CaseNote.text)) == note
        assert s.scalar(select(StrategyParticipant.name)) == SCRIPT
    html = client.get(f"/cases/{case.child_id}").text
    assert SCRIPT not in html and IMG not in html
    assert_escaped(html, SCRIPT, "the case page")
    assert_escaped(html, IMG, "the case page")
    with case.database.transaction() as s:
        discussion_id = s.scalar(select(StrategyDiscussion.id))
    html = client.get(f"/cases/{case.child_id}/strategy-discussions/{discussion_id}/edit").text
    assert_escaped(html, SCRIPT, "the strategy discussion form")


def test_over_long_text_is_refused_with_the_field_named_and_nothing_written(client: TestClient, case: Case) -> None:
    csrf = sign_in_as(client, case.database, case.worker)
    response = post(
        client,
        f"/cases/{case.child_id}/notes/new",
        csrf,
        {"kind": "case_note", "occurred_on": case.on(2).isoformat(), "text": "x" * 20_001},
    )
    assert response.status_code == 422
    assert "Note must be 20,000 characters or fewer" in response.text
    assert 'href="#text"' in response.text
    response = post(
        client,
        f"/cases/{case.child_id}/strategy-discussions/new",
        csrf,
        {
            "held_on": case.on(3).isoformat(),
            "decision": "section47",
            "participants.0.agency": "Police",
            "participants.0.name": "N" * 101,
        },
    )
    assert response.status_code == 422
    assert "Participant 1 name must be 100 characters or fewer" in response.text
    with case.database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(CaseNote)) == 0
        assert s.scalar(select(func.count()).select_from(StrategyDiscussion)) == 0


def test_script_in_supervision_and_chronology_commentary_is_shown_escaped(client: TestClient, case: Case) -> None:
    manager = TestClient(client.app, base_url="http://testserver", follow_redirects=False)
    csrf = sign_in_as(manager, case.database, case.manager)
    response = post(
        manager,
        "/supervision/new",
        csrf,
        {
            "worker_id": str(case.worker.id),
            "held_on": case.on(4).isoformat(),
            f"decision.{case.child_id}": f"Decision {SCRIPT}",
        },
    )
    assert response.status_code == 303, response.text
    assert_escaped(manager.get(response.headers["location"]).text, SCRIPT, "the supervision record")
    worker_csrf = sign_in_as(client, case.database, case.worker)
    assert_escaped(client.get(f"/cases/{case.child_id}").text, SCRIPT, "the oversight on the case page")
    response = post(client, f"/cases/{case.child_id}/chronologies/new", worker_csrf, {"title": f"For court {IMG}"})
    assert response.status_code == 303, response.text
    url = response.headers["location"]
    page = client.get(url).text
    assert_escaped(page, IMG, "the chronology")
    version = page.split('name="version" value="')[1].split('"')[0]
    response = post(
        client,
        url,
        worker_csrf,
        {
            "version": version,
            "picked": f"referral:{case.referral_id}",
            f"commentary.referral:{case.referral_id}": SCRIPT,
        },
    )
    assert response.status_code == 303, response.text
    assert_escaped(client.get(f"{url}/print").text, SCRIPT, "the chronology's print view")
    manager.close()
