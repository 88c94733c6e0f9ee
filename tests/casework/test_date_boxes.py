"""Case work's forms take dates in the GOV.UK date input's three boxes: a real date is saved, a partly filled, unreal
or out-of-range one is refused naming the field, and what was typed is shown again."""

from __future__ import annotations

import httpx2
from fastapi.testclient import TestClient
from sqlalchemy import select

from safeguarding.casework.models import Visit
from tests.casework.conftest import Case
from tests.support import sign_in_as


def _visit(client: TestClient, case: Case, csrf: str, day: str, month: str, year: str) -> httpx2.Response:
    return client.post(
        f"/cases/{case.child_id}/visits/new",
        data={
            "csrf_token": csrf,
            "kind": "assessment",
            "visited_on-day": day,
            "visited_on-month": month,
            "visited_on-year": year,
            "child_seen": "yes",
            "seen_alone": "no",
            "notes": "Typed before the date was wrong",
        },
    )


def test_a_visit_date_typed_in_three_boxes(client: TestClient, case: Case) -> None:
    csrf = sign_in_as(client, case.database, case.worker)
    form = client.get(f"/cases/{case.child_id}/visits/new")
    assert 'name="visited_on-day"' in form.text and 'type="date"' not in form.text

    missing = _visit(client, case, csrf, "3", "", "2026")
    assert missing.status_code == 422
    text = missing.text
    assert "Date of the visit must include a month" in text and 'href="#visited_on"' in text
    assert "Typed before the date was wrong" in text
    assert 'name="visited_on-day" type="text" inputmode="numeric" value="3"' in text

    unreal = _visit(client, case, csrf, "30", "2", "2026")
    assert unreal.status_code == 422 and "Date of the visit must be a real date" in unreal.text

    too_early = _visit(client, case, csrf, "1", "1", "1850")
    assert too_early.status_code == 422
    assert "Date of the visit must be between 1 January 1900 and" in too_early.text

    day = case.on(2)
    saved = _visit(client, case, csrf, str(day.day), str(day.month), str(day.year))
    assert saved.status_code == 303, saved.text
    with case.database.transaction() as s:
        assert [v.visited_on for v in s.scalars(select(Visit).where(Visit.person_id == case.child_id))] == [day]
    page = client.get(f"/cases/{case.child_id}")
    assert f"{day.day} {day:%B %Y}" in page.text
