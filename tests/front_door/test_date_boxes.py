"""The MASH's forms take dates in the GOV.UK date input's three boxes: the day a contact was received, a child's
date of birth, and a check's deadline (three boxes and a time)."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from safeguarding.core.calendar import LONDON
from safeguarding.core.db import Database
from safeguarding.front_door.models import Contact, ContactSubject
from tests.front_door.test_screening_helpers import staff
from tests.support import Factory, sign_in


def _contact(token: str, received: tuple[str, str, str], born: tuple[str, str, str]) -> dict[str, str]:
    return {
        "csrf_token": token,
        "channel": "phone",
        "received_date-day": received[0],
        "received_date-month": received[1],
        "received_date-year": received[2],
        "received_time": "09:15",
        "reporter_kind": "public",
        "reporter_name": "A neighbour",
        "referral_source": "1B",
        "worry": "Children left alone overnight again.",
        "consent": "unknown",
        "subjects.0.first_name": "Cara",
        "subjects.0.last_name": "Testchild",
        "subjects.0.date_of_birth-day": born[0],
        "subjects.0.date_of_birth-month": born[1],
        "subjects.0.date_of_birth-year": born[2],
    }


def test_a_phone_contact_with_dates_in_three_boxes(client: TestClient, database: Database, factory: Factory) -> None:
    worker, _ = staff(factory)
    token = sign_in(client, worker)
    form = client.get("/mash/contacts/new")
    assert 'name="received_date-day"' in form.text and 'name="subjects.0.date_of_birth-year"' in form.text
    yesterday = datetime.now(LONDON).date() - timedelta(days=1)
    received = (str(yesterday.day), str(yesterday.month), str(yesterday.year))

    bad = client.post("/mash/contacts/new", data=_contact(token, ("", received[1], received[2]), ("3", "2", "2017")))
    assert bad.status_code == 422
    assert "The date the contact was received must include a day" in bad.text
    assert 'href="#received_date"' in bad.text and 'id="received_date" name="received_date-day"' in bad.text
    assert 'name="subjects.0.date_of_birth-day" type="text" inputmode="numeric" value="3"' in bad.text

    unreal = client.post("/mash/contacts/new", data=_contact(token, received, ("31", "2", "2017")))
    assert unreal.status_code == 422 and "Date of birth must be a real date" in unreal.text
    assert 'href="#subjects.0.date_of_birth"' in unreal.text

    ahead = client.post("/mash/contacts/new", data=_contact(token, received, ("3", "2", str(yesterday.year + 5))))
    assert ahead.status_code == 422 and "Date of birth must be between 1 January 1900" in ahead.text

    saved = client.post("/mash/contacts/new", data=_contact(token, received, ("3", "2", "2017")))
    assert saved.status_code == 303, saved.text
    with database.transaction() as s:
        contact = s.scalars(select(Contact)).one()
        assert contact.received_at.astimezone(LONDON).date() == yesterday
        child = s.scalars(select(ContactSubject)).one()
        assert child.date_of_birth is not None and child.date_of_birth.isoformat() == "2017-02-03"
