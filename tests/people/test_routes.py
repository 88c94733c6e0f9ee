"""The people pages and API, as staff and partners use them."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from safeguarding.core.audit import AuditEvent
from safeguarding.core.calendar import today_in_london
from safeguarding.core.db import Database
from safeguarding.core.security import new_token, token_digest
from safeguarding.core.users import ApiToken, Role, User
from safeguarding.people import family, restriction
from safeguarding.people.models import Person
from tests.people.conftest import People, valid_nhs
from tests.support import Factory, sign_in

SCRIPT = "<script>alert('x')</script>"


def _form(**fields: str) -> dict[str, str]:
    base = {
        "kind": "child",
        "first_name": "",
        "last_name": "",
        "date_of_birth": "",
        "expected_date_of_birth": "",
        "date_of_death": "",
        "sex": "",
        "ethnicity": "",
        "nhs_number": "",
        "upn": "",
        "upn_unknown": "",
        "la_child_id": "",
        "notes": "",
        "aliases.0.first_name": "",
        "aliases.0.last_name": "",
        "address.line1": "",
        "address.line2": "",
        "address.town": "",
        "address.postcode": "",
        "address.moved_in": "",
    }
    base.update(fields)
    return base


def _people(database: Database) -> list[Person]:
    with database.transaction() as s:
        return list(s.scalars(select(Person).order_by(Person.id)))


def test_search_page_renders_and_finds_misspelt_names(client: TestClient, worker: User, people: People) -> None:
    john = people.add("John", "Smith")
    sign_in(client, worker)
    page = client.get("/people")
    assert page.status_code == 200 and "Find a person" in page.text
    page = client.get("/people", params={"first_name": "Jon", "last_name": "Smyth"})
    assert page.status_code == 200
    assert f'href="/people/{john.id}"' in page.text and "Name sounds like" in page.text


def test_live_search_returns_only_the_results(client: TestClient, worker: User, people: People) -> None:
    people.add("John", "Smith")
    sign_in(client, worker)
    partial = client.get("/people", params={"last_name": "Smith"}, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert "<html" not in partial.text and "John Smith" in partial.text


def test_a_bad_date_in_search_is_named(client: TestClient, worker: User) -> None:
    sign_in(client, worker)
    page = client.get("/people", params={"date_of_birth": "31/2/2015"})
    assert page.status_code == 422 and "Date of birth must be a real date" in page.text


def test_new_person_offers_likely_duplicates_and_needs_a_tick(
    client: TestClient, database: Database, worker: User, people: People
) -> None:
    people.add("John", "Smith", date_of_birth=date(2015, 3, 14))
    token = sign_in(client, worker)
    form = _form(first_name="Jon", last_name="Smyth", date_of_birth="2015-03-14", csrf_token=token)
    page = client.post("/people/new", data=form)
    assert page.status_code == 200
    assert "This person may already have a record" in page.text and "John Smith" in page.text
    assert len(_people(database)) == 1
    response = client.post("/people/new", data=form | {"confirm_new": "yes"})
    assert response.status_code == 303
    assert [p.full_name for p in _people(database)] == ["John Smith", "Jon Smyth"]


def test_new_person_without_duplicates_is_created_with_address(
    client: TestClient, database: Database, worker: User
) -> None:
    token = sign_in(client, worker)
    response = client.post(
        "/people/new",
        data=_form(
            first_name="Priya",
            last_name="Nair",
            date_of_birth="3/4/2016",
            nhs_number=valid_nhs(42),
            **{"address.line1": "4 Elm Row", "address.postcode": "cr26xh"},
            csrf_token=token,
        ),
    )
    assert response.status_code == 303
    page = client.get(response.headers["location"])
    assert page.status_code == 200 and "Priya Nair" in page.text and "CR2 6XH" in page.text
    assert "Person record created" in page.text


def test_errors_name_each_field_and_nothing_is_written(client: TestClient, database: Database, worker: User) -> None:
    token = sign_in(client, worker)
    page = client.post(
        "/people/new",
        data=_form(first_name="", last_name="Nair", date_of_birth="31/2/2016", nhs_number="123", csrf_token=token),
    )
    assert page.status_code == 422
    assert "Enter the first name" in page.text
    assert "Date of birth must be a real date" in page.text
    assert "NHS number must be 10 digits" in page.text
    assert _people(database) == []


def test_script_in_a_name_is_stored_as_typed_and_shown_escaped(
    client: TestClient, database: Database, worker: User
) -> None:
    token = sign_in(client, worker)
    response = client.post(
        "/people/new", data=_form(first_name=SCRIPT, last_name="Test", notes=SCRIPT, csrf_token=token)
    )
    assert response.status_code == 303
    [person] = _people(database)
    assert person.first_name == SCRIPT
    page = client.get(f"/people/{person.id}")
    assert SCRIPT not in page.text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page.text
    results = client.get("/people", params={"last_name": "Test"})
    assert SCRIPT not in results.text and "&lt;script&gt;" in results.text


def test_record_shows_addresses_aliases_and_family_with_links(
    client: TestClient, database: Database, worker: User, people: People
) -> None:
    mum = people.add("Grace", "Hill", kind="adult", date_of_birth=date(1990, 1, 1), postcode="M1 1AE")
    child = people.add("Ella", "Hill", aliases=(("Ellie", "Stone"),))
    with database.transaction() as s:
        family.add_relationship(s, database, worker, child.id, mum.id, "parent")
    sign_in(client, worker)
    page = client.get(f"/people/{child.id}")
    assert "Ellie Stone" in page.text
    assert f'href="/people/{mum.id}"' in page.text and "parent of Ella Hill" in page.text
    page = client.get(f"/people/{mum.id}")
    assert "child of Grace Hill" in page.text and "M1 1AE" in page.text and "Current" in page.text


def test_stale_edit_gets_the_409_page(client: TestClient, database: Database, worker: User, people: People) -> None:
    person = people.add("Ruby", "Stone")
    token = sign_in(client, worker)
    page = client.get(f"/people/{person.id}/edit")
    assert 'name="version" value="1"' in page.text
    first = _form(first_name="Rubi", last_name="Stone", date_of_birth="2015-03-14", version="1", csrf_token=token)
    assert client.post(f"/people/{person.id}/edit", data=first).status_code == 303
    second = first | {"first_name": "Roo"}
    page = client.post(f"/people/{person.id}/edit", data=second)
    assert page.status_code == 409
    assert "Someone else changed this record" in page.text
    assert [p.first_name for p in _people(database)] == ["Rubi"]
    # What the second editor typed stays in the form, with the saved version beside it and who saved it.
    assert 'value="Roo"' in page.text
    saved = page.text.split('id="saved-version"')[1].split("</table>")[0]
    assert "Rubi" in saved and "Roo" in saved and "Different" in saved
    assert f"{worker.full_name} saved this record" in page.text
    assert 'name="version" value="2"' in page.text


def test_moving_house_and_adding_a_family_member_by_search(
    client: TestClient, database: Database, worker: User, people: People
) -> None:
    child = people.add("Ella", "Hill", postcode="M1 1AE")
    brother = people.add("Max", "Hill", date_of_birth=date(2017, 1, 1))
    token = sign_in(client, worker)
    response = client.post(
        f"/people/{child.id}/addresses/new",
        data={"line1": "7 New Road", "postcode": "b33 8th", "moved_in": "2024-06-01", "csrf_token": token},
    )
    assert response.status_code == 303
    page = client.get(f"/people/{child.id}/relationships/new", params={"last_name": "Hill"})
    assert f'value="{brother.id}"' in page.text and f'value="{child.id}"' not in page.text
    response = client.post(
        f"/people/{child.id}/relationships/new",
        data={"other_person_id": str(brother.id), "relation": "sibling", "started": "", "csrf_token": token},
    )
    assert response.status_code == 303
    page = client.get(f"/people/{child.id}")
    assert "B33 8TH" in page.text and "1 June 2024" in page.text and "Max Hill" in page.text


def test_break_glass_requires_a_reason_and_is_audited(
    client: TestClient, database: Database, worker: User, manager: User, people: People
) -> None:
    person = people.add("Olivia", "Grant")
    with database.transaction() as s:
        restriction.restrict(s, database, manager, person.id, "Relative of a member of staff", [])
    token = sign_in(client, worker)
    refused = client.get(f"/people/{person.id}")
    assert refused.status_code == 403 and f"/people/{person.id}/break-glass" in refused.text
    assert "Olivia" not in refused.text
    form = client.get(f"/people/{person.id}/break-glass")
    assert form.status_code == 200 and "Olivia" not in form.text
    page = client.post(f"/people/{person.id}/break-glass", data={"reason": "", "csrf_token": token})
    assert page.status_code == 422 and "Give the reason" in page.text
    response = client.post(
        f"/people/{person.id}/break-glass",
        data={"reason": "Child brought to A&E tonight, need history", "csrf_token": token},
    )
    assert response.status_code == 303 and response.headers["location"].startswith(f"/people/{person.id}")
    page = client.get(response.headers["location"])
    assert page.status_code == 200 and "Restricted record" in page.text and "Olivia Grant" in page.text
    with database.transaction() as s:
        events = list(s.scalars(select(AuditEvent).where(AuditEvent.action == "break_glass")))
    assert [(e.actor_id, e.person_id) for e in events] == [(worker.id, person.id)]


def test_managers_restrict_and_lift_from_the_page(
    client: TestClient, database: Database, manager: User, worker: User, people: People
) -> None:
    person = people.add("Mia", "Ford")
    token = sign_in(client, manager)
    page = client.get(f"/people/{person.id}/restriction")
    assert page.status_code == 200
    page = client.post(
        f"/people/{person.id}/restriction", data={"reason": "", "action": "restrict", "csrf_token": token}
    )
    assert page.status_code == 422 and "Give the reason for restricting" in page.text
    response = client.post(
        f"/people/{person.id}/restriction",
        data={
            "reason": "Relative of a member of staff",
            "action": "restrict",
            "named_user_ids": [str(worker.id)],
            "csrf_token": token,
        },
    )
    assert response.status_code == 303
    page = client.get(f"/people/{person.id}")
    assert "Restricted record" in page.text and "Test MASH worker" in page.text
    response = client.post(
        f"/people/{person.id}/restriction",
        data={"reason": "Staff member has left", "action": "lift", "csrf_token": token},
    )
    assert response.status_code == 303
    assert "Restricted record" not in client.get(f"/people/{person.id}").text


def test_workers_cannot_reach_the_restriction_page(client: TestClient, worker: User, people: People) -> None:
    person = people.add("Mia", "Ford")
    sign_in(client, worker)
    assert client.get(f"/people/{person.id}/restriction").status_code == 403


@pytest.fixture()
def partner(factory: Factory) -> User:
    return factory.user(Role.PARTNER_PRACTITIONER)


def test_partner_practitioners_get_403_on_every_people_page(client: TestClient, partner: User, people: People) -> None:
    person = people.add("Noah", "Quinn")
    token = sign_in(client, partner)
    pages = [
        "/people",
        "/people?last_name=Quinn",
        "/people/new",
        f"/people/{person.id}",
        f"/people/{person.id}/edit",
        f"/people/{person.id}/addresses/new",
        f"/people/{person.id}/relationships/new",
        f"/people/{person.id}/break-glass",
        f"/people/{person.id}/restriction",
    ]
    for url in pages:
        assert client.get(url).status_code == 403, url
    posts = [
        "/people/new",
        f"/people/{person.id}/edit",
        f"/people/{person.id}/addresses/new",
        f"/people/{person.id}/relationships/new",
        f"/people/{person.id}/break-glass",
        f"/people/{person.id}/restriction",
        f"/people/{person.id}/aliases",
    ]
    for url in posts:
        response = client.post(
            url,
            data=_form(
                first_name="A",
                last_name="B",
                version="1",
                line1="x",
                reason="some long enough reason",
                csrf_token=token,
            ),
        )
        assert response.status_code == 403, url
        assert "Noah" not in response.text


def _token_for(database: Database, user: User) -> dict[str, str]:
    raw = new_token()
    with database.transaction() as s:
        s.add(ApiToken(user_id=user.id, token_hash=token_digest(raw), label="test"))
    return {"Authorization": f"Bearer {raw}"}


def test_api_search_and_record_for_staff(client: TestClient, database: Database, worker: User, people: People) -> None:
    person = people.add("John", "Smith", nhs_number=valid_nhs(7))
    headers = _token_for(database, worker)
    found = client.get("/api/v1/people/search", params={"first_name": "Jon", "last_name": "Smyth"}, headers=headers)
    assert found.status_code == 200
    [row] = found.json()
    assert row["id"] == person.id and row["first_name"] == "John" and "name sounds like" in row["reasons"]
    record = client.get(f"/api/v1/people/{person.id}", headers=headers)
    assert record.status_code == 200 and record.json()["nhs_number"] == valid_nhs(7)


def test_api_refuses_partners_and_hides_restricted_names(
    client: TestClient, database: Database, partner: User, worker: User, manager: User, people: People
) -> None:
    person = people.add("Olivia", "Grant", nhs_number=valid_nhs(31))
    partner_headers = _token_for(database, partner)
    assert (
        client.get("/api/v1/people/search", params={"last_name": "Grant"}, headers=partner_headers).status_code == 403
    )
    assert client.get(f"/api/v1/people/{person.id}", headers=partner_headers).status_code == 403
    with database.transaction() as s:
        restriction.restrict(s, database, manager, person.id, "Relative of a member of staff", [])
    headers = _token_for(database, worker)
    # By name alone, nothing; by an identifier, "a restricted record matches" without its id or anything else.
    assert client.get("/api/v1/people/search", params={"last_name": "Grant"}, headers=headers).json() == []
    [row] = client.get("/api/v1/people/search", params={"nhs_number": valid_nhs(31)}, headers=headers).json()
    assert row["restricted"] and row["id"] is None and row["first_name"] is None and row["last_name"] is None
    assert client.get(f"/api/v1/people/{person.id}", headers=headers).status_code == 403


def test_a_mistyped_nhs_number_or_postcode_is_pointed_out(client: TestClient, worker: User) -> None:
    sign_in(client, worker)
    page = client.get("/people", params={"nhs_number": "943 476 5918", "postcode": "SW1A"})
    assert page.status_code == 422
    assert "NHS number is not valid" in page.text and "Postcode must be a UK postcode" in page.text


def test_a_restricted_relative_is_not_named_on_the_record(
    client: TestClient, database: Database, worker: User, manager: User, people: People
) -> None:
    child = people.add("Ella", "Hill", date_of_birth=date(2015, 1, 1))
    aunt = people.add("Secret", "Relative", kind="adult", date_of_birth=date(1980, 1, 1))
    with database.transaction() as s:
        family.add_relationship(s, database, worker, child.id, aunt.id, "household_member")
        restriction.restrict(s, database, manager, aunt.id, "Relative of a member of staff", [])
    sign_in(client, worker)
    page = client.get(f"/people/{child.id}")
    assert "A restricted record: household member" in page.text and "Secret" not in page.text


def test_a_relationship_can_be_recorded_as_ended_and_stays_in_the_history(
    client: TestClient, database: Database, worker: User, people: People
) -> None:
    child = people.add("Ella", "Hill", date_of_birth=date(2015, 1, 1))
    lodger = people.add("Ray", "Lodger", kind="adult", date_of_birth=date(1975, 1, 1))
    with database.transaction() as s:
        tie = family.add_relationship(s, database, worker, child.id, lodger.id, "household_member")
        tie_id = tie.id
    token = sign_in(client, worker)
    today = today_in_london()
    ended = {"ended-day": str(today.day), "ended-month": str(today.month), "ended-year": str(today.year)}
    response = client.post(f"/people/{child.id}/relationships/{tie_id}/end", data=ended | {"csrf_token": token})
    assert response.status_code == 303
    page = client.get(f"/people/{lodger.id}")
    assert "Ray Lodger" in page.text and "(ended " in page.text
    again = client.post(f"/people/{child.id}/relationships/{tie_id}/end", data=ended | {"csrf_token": token})
    assert again.status_code == 422 and "already ended" in again.text
    with database.transaction() as s:
        assert family.siblings_of(s, child.id) == []
        assert [r.ended is not None for r in family.family_of(s, child.id)] == [True]


def test_ending_a_relationship_asks_for_confirmation_and_can_be_undone(
    client: TestClient, database: Database, worker: User, people: People
) -> None:
    child = people.add("Ava", "Brook", date_of_birth=date(2016, 1, 1))
    mother = people.add("Jo", "Brook", kind="adult", date_of_birth=date(1985, 1, 1))
    with database.transaction() as s:
        tie_id = family.add_relationship(s, database, worker, child.id, mother.id, "parent").id
    token = sign_in(client, worker)
    record = client.get(f"/people/{child.id}")
    link = f"/people/{child.id}/relationships/{tie_id}/end"
    assert f'href="{link}"' in record.text  # a link to a confirmation page, not a one-click button
    confirm = client.get(link)
    assert confirm.status_code == 200
    assert "Are you sure this relationship has ended?" in confirm.text and "Jo Brook" in confirm.text
    with database.transaction() as s:
        assert family.family_of(s, child.id)[0].ended is None  # looking changes nothing
    missing = client.post(link, data={"csrf_token": token})
    assert missing.status_code == 422 and "Enter the date it ended" in missing.text
    done = client.post(link, data={"csrf_token": token, "ended-day": "2", "ended-month": "3", "ended-year": "2026"})
    assert done.status_code == 303
    page = client.get(done.headers["location"])
    assert "(ended 2 March 2026)" in page.text or "(ended 2 Mar 2026)" in page.text
    assert "Undo: not ended" in page.text
    undone = client.post(f"/people/{child.id}/relationships/{tie_id}/restore", data={"csrf_token": token})
    assert undone.status_code == 303
    assert "current again" in client.get(undone.headers["location"]).text
    with database.transaction() as s:
        assert family.family_of(s, child.id)[0].ended is None
        actions = s.scalars(
            select(AuditEvent.action).where(AuditEvent.action.in_(("end_relationship", "restore_relationship")))
        ).all()
    assert sorted(actions) == ["end_relationship"] * 2 + ["restore_relationship"] * 2
    nothing = client.post(f"/people/{child.id}/relationships/{tie_id}/restore", data={"csrf_token": token})
    assert nothing.status_code == 422


def test_breaking_the_glass_gives_a_new_session_id_and_the_old_one_stops_working(
    app: FastAPI, client: TestClient, database: Database, worker: User, manager: User, people: People
) -> None:
    from safeguarding.core.users import UserSession
    from safeguarding.web.deps import SESSION_COOKIE, unsign_session_id

    person = people.add("Olivia", "Grant")
    with database.transaction() as s:
        restriction.restrict(s, database, manager, person.id, "Relative of a member of staff", [])
    token = sign_in(client, worker)
    before = client.cookies[SESSION_COOKIE]
    response = client.post(
        f"/people/{person.id}/break-glass",
        data={"reason": "Child brought to A&E tonight, need history", "csrf_token": token},
    )
    assert response.status_code == 303
    after = client.cookies[SESSION_COOKIE]
    assert after != before
    assert client.get(f"/people/{person.id}").status_code == 200
    # Whoever held the id from before the glass was broken is signed out, not let into the record.
    with TestClient(app, follow_redirects=False) as other:
        other.cookies.set(SESSION_COOKIE, before)
        assert other.get(f"/people/{person.id}").status_code == 303
        assert other.get("/account").status_code == 303
    with database.transaction() as s:
        old, new = s.get_one(UserSession, unsign_session_id(before)), s.get_one(UserSession, unsign_session_id(after))
        assert old.ended_at is not None and new.ended_at is None
        assert new.created_at == old.created_at  # renewing never lengthens the session's absolute lifetime
        assert new.csrf_token != old.csrf_token
