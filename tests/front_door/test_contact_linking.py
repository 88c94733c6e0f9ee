"""A contact's people linked to person records without record numbers: a suggested match opened (its record page
leads back to the contact) before linking, and an adult the contact names found by name and linked."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import select

from safeguarding.core.db import Database
from safeguarding.front_door.models import ContactNote, ContactSubject, SubjectRole
from safeguarding.people import inputs as people_inputs
from safeguarding.people import records as people_records
from safeguarding.people.models import PersonKind
from tests.front_door.test_screening_helpers import Child, make_contact, make_person, staff
from tests.support import Factory, csrf_from, sign_in


def test_a_suggested_match_is_opened_and_leads_back_to_the_contact(
    client: TestClient, database: Database, factory: Factory
) -> None:
    worker, _ = staff(factory)
    match = make_person(database, worker, "Amira", "Testchild", date(2016, 5, 4))
    contact_id = make_contact(database, children=[Child("Amira", "Testchild", date(2016, 5, 4))])
    sign_in(client, worker)
    page = client.get(f"/mash/contacts/{contact_id}")
    opened_at = f"/people/{match}?contact={contact_id}"
    assert opened_at in page.text
    record = client.get(opened_at)
    assert record.status_code == 200 and "Amira Testchild" in record.text
    assert f'href="/mash/contacts/{contact_id}"' in record.text and "Back to the contact" in record.text
    # Back on the contact, nothing was linked by opening the record.
    with database.transaction() as s:
        assert s.scalar(select(ContactSubject.person_id).where(ContactSubject.contact_id == contact_id)) is None
    assert client.get(f"/mash/contacts/{contact_id}").status_code == 200


def test_an_adult_named_in_a_contact_is_found_by_name_and_linked(
    client: TestClient, database: Database, factory: Factory
) -> None:
    worker, _ = staff(factory)
    with database.transaction() as s:
        adults = [
            people_records.create_person(
                s,
                database,
                worker,
                people_inputs.PersonInput(
                    first_name="Dean", last_name="Testparent", kind=PersonKind.ADULT, date_of_birth=born
                ),
            ).id
            for born in (date(1985, 2, 1), date(1990, 7, 9))
        ]
    contact_id = make_contact(database, adults=[("Dean", "Testparent")])
    with database.transaction() as s:
        adult_subject = s.scalar(
            select(ContactSubject.id).where(
                ContactSubject.contact_id == contact_id, ContactSubject.role == SubjectRole.PARENT
            )
        )
    csrf = sign_in(client, worker)
    page = client.get(f"/mash/contacts/{contact_id}")
    csrf = csrf_from(page.text)
    field = f"person.{adult_subject}"
    assert f'name="{field}.q"' in page.text
    found = client.post(
        f"/mash/contacts/{contact_id}/link",
        data={"csrf_token": csrf, "subject_id": adult_subject, f"{field}.q": "Dean Testparent", "pick_search": field},
    )
    assert found.status_code == 200
    assert found.text.count(f'name="{field}" type="radio"') == 2
    assert "Born 1 February 1985" in found.text and "Born 9 July 1990" in found.text
    refused = client.post(f"/mash/contacts/{contact_id}/link", data={"csrf_token": csrf, "subject_id": adult_subject})
    assert refused.status_code == 422 and "Choose a person record to link" in refused.text
    linked = client.post(
        f"/mash/contacts/{contact_id}/link",
        data={"csrf_token": csrf, "subject_id": adult_subject, field: adults[1]},
    )
    assert linked.status_code == 303, linked.text
    with database.transaction() as s:
        assert s.get_one(ContactSubject, adult_subject).person_id == adults[1]
        notes = s.scalars(select(ContactNote.text).where(ContactNote.contact_id == contact_id)).all()
        assert any("Dean Testparent, born 9 July 1990" in n for n in notes)
    after = client.get(f"/mash/contacts/{contact_id}")
    assert f"/people/{adults[1]}?contact={contact_id}" in after.text
