"""The audit pages: searching the log, who has looked at a record, break-glass review, CSV export."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from safeguarding.core import access
from safeguarding.core.audit import Actor, AuditEvent, record, record_search
from safeguarding.core.db import Database
from safeguarding.core.restrictions import BreakGlassAccess, PersonRestriction
from safeguarding.core.users import Role, User
from safeguarding.people.models import Person, PersonKind
from tests.support import Factory, sign_in


def _person(database: Database, first: str = "Ada", last: str = "Testchild", restricted: bool = False) -> int:
    with database.transaction() as s:
        person = Person(kind=PersonKind.CHILD, first_name=first, last_name=last)
        s.add(person)
        s.flush()
        if restricted:
            s.add(PersonRestriction(person_id=person.id, reason="staff member's child"))
        return person.id


def _actor(user: User) -> Actor:
    return Actor(id=user.id, username=user.username, role=str(user.role))


def _events(database: Database, **where: Any) -> list[AuditEvent]:
    with database.transaction() as s:
        query = select(AuditEvent).order_by(AuditEvent.id)
        for key, value in where.items():
            query = query.where(getattr(AuditEvent, key) == value)
        return list(s.scalars(query))


def test_managers_and_administrators_read_the_log_others_are_refused(
    client: TestClient, factory: Factory, admin: User
) -> None:
    for role in (Role.MASH_MANAGER, Role.TEAM_MANAGER):
        user = factory.user(role)
        sign_in(client, user)
        assert client.get("/audit").status_code == 200
        client.cookies.clear()
    sign_in(client, admin)
    assert client.get("/audit").status_code == 200
    client.cookies.clear()
    for role in (Role.MASH_WORKER, Role.SOCIAL_WORKER, Role.PARTNER_PRACTITIONER, Role.PERFORMANCE_ANALYST):
        user = factory.user(role)
        sign_in(client, user)
        for path in ("/audit", "/audit/export.csv", "/audit/people/1", "/audit/break-glass"):
            assert client.get(path).status_code == 403, (role, path)
        client.cookies.clear()


def test_search_by_user_action_outcome_and_refusals_shown_clearly(
    client: TestClient, factory: Factory, database: Database
) -> None:
    manager = factory.user(Role.MASH_MANAGER)
    worker = factory.user(Role.MASH_WORKER, username="worker.one")
    with database.transaction() as s:
        record(s, _actor(worker), "view", "contact", 7)
        record(s, _actor(worker), "update", "contact", 7, detail={"rag": "red"})
        record(s, _actor(worker), "view", "person", 3, person_id=3, outcome="refused", reason="restricted record")
    sign_in(client, manager)
    page = client.get("/audit", params={"username": "worker.one"})
    assert page.status_code == 200
    assert "3 entries" in page.text
    refused = client.get("/audit", params={"outcome": "refused", "username": "WORKER.ONE"})
    assert "1 entry" in refused.text
    assert "Refused" in refused.text and "restricted record" in refused.text
    updates = client.get("/audit", params={"action": "update", "target_type": "contact", "target_id": "7"})
    assert "1 entry" in updates.text and "&#34;rag&#34;: &#34;red&#34;" in updates.text


def test_the_log_is_newest_first_and_paged(client: TestClient, factory: Factory, database: Database) -> None:
    manager = factory.user(Role.TEAM_MANAGER)
    with database.transaction() as s:
        for n in range(60):
            record(s, Actor.system("loader"), "import", "thing", n)
    sign_in(client, manager)
    first = client.get("/audit", params={"username": "loader"})
    assert "60 entries" in first.text and "Page 1 of 2" in first.text
    assert first.text.index("Thing 59") < first.text.index("Thing 58")
    assert "Thing 9<" not in first.text
    second = client.get("/audit", params={"username": "loader", "page": "2"})
    assert "Page 2 of 2" in second.text and "Thing 0" in second.text and "Thing 59" not in second.text


def test_date_range_and_bad_filters(client: TestClient, factory: Factory, database: Database) -> None:
    manager = factory.user(Role.MASH_MANAGER)
    sign_in(client, manager)
    bad = client.get("/audit", params={"date_from": "2026-02-30", "person_id": "abc"})
    assert bad.status_code == 422
    assert "From date must be a real date" in bad.text
    assert "Person number must be a whole number" in bad.text
    backwards = client.get("/audit", params={"date_from": "2026-03-02", "date_to": "2026-03-01"})
    assert backwards.status_code == 422 and "To date must be the same as or after" in backwards.text
    today = client.get("/audit", params={"date_from": "2020-01-01", "date_to": "2020-01-02"})
    assert "0 entries" in today.text and "Nothing in the log matches" in today.text


def test_reading_the_log_is_itself_audited_with_the_terms(
    client: TestClient, factory: Factory, database: Database
) -> None:
    manager = factory.user(Role.MASH_MANAGER)
    sign_in(client, manager)
    client.get("/audit", params={"action": "view", "outcome": "refused"})
    searches = _events(database, target_type="audit_log", action="search")
    assert len(searches) == 1
    assert json.loads(searches[0].detail)["terms"] == {"action": "view", "outcome": "refused"}
    assert searches[0].actor_username == manager.username


def test_export_is_the_current_search_audited_and_safe_in_a_spreadsheet(
    client: TestClient, factory: Factory, database: Database
) -> None:
    manager = factory.user(Role.MASH_MANAGER)
    worker = factory.user(Role.MASH_WORKER, username="worker.two")
    with database.transaction() as s:
        record(s, _actor(worker), "update", "contact", 1, reason='=HYPERLINK("http://evil.example")')
        record(s, _actor(worker), "view", "contact", 2)
        record(s, Actor.system("other"), "view", "contact", 3)
    sign_in(client, manager)
    response = client.get("/audit/export.csv", params={"username": "worker.two"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:5] == ["id", "at (UK time)", "username", "role", "action"]
    assert [r[4] for r in rows[1:]] == ["view", "update"]  # newest first, only this user's
    assert rows[2][9].startswith("'=HYPERLINK")  # a formula is neutralised
    exports = _events(database, action="export", target_type="audit_log")
    assert len(exports) == 1
    assert json.loads(exports[0].detail) == {"rows": 2, "terms": {"username": "worker.two"}}


def test_who_has_looked_at_a_record(client: TestClient, factory: Factory, database: Database) -> None:
    manager = factory.user(Role.MASH_MANAGER)
    worker = factory.user(Role.SOCIAL_WORKER, username="sw.looker")
    person_id = _person(database, "Ada", "Testchild")
    other_id = _person(database, "Bob", "Otherchild")
    with database.transaction() as s:
        record(s, _actor(worker), "view", "person", person_id, person_id=person_id)
        record(s, _actor(worker), "update", "person", person_id, person_id=person_id, detail={"field": "notes"})
        record_search(s, _actor(worker), "person", {"last_name": "testchild"}, [person_id, other_id])
        record_search(s, _actor(worker), "person", {"last_name": "other"}, [other_id])
        record(s, _actor(worker), "view", "person", other_id, person_id=other_id)
        record(
            s,
            _actor(worker),
            "view",
            "person",
            person_id,
            person_id=person_id,
            outcome="refused",
            reason="restricted record",
        )
    sign_in(client, manager)
    page = client.get(f"/audit/people/{person_id}")
    assert page.status_code == 200
    assert "Ada Testchild" in page.text
    assert "4 entries" in page.text
    assert "Search that found this person" in page.text
    assert "sw.looker" in page.text and "Refused" in page.text
    # The manager's look is recorded against the person.
    looks = _events(database, target_type="audit_log", action="view")
    assert [e.person_id for e in looks] == [person_id]


def test_restricted_persons_name_is_not_shown_on_their_audit_page(
    client: TestClient, factory: Factory, database: Database, admin: User
) -> None:
    person_id = _person(database, "Secret", "Relative", restricted=True)
    manager = factory.user(Role.MASH_MANAGER)
    sign_in(client, manager)
    page = client.get(f"/audit/people/{person_id}")
    assert page.status_code == 200 and "Secret" not in page.text
    client.cookies.clear()
    sign_in(client, admin)
    page = client.get(f"/audit/people/{person_id}")
    assert page.status_code == 200 and "Secret" not in page.text


def test_break_glass_listed_and_reviewed_by_another_manager(
    client: TestClient, factory: Factory, database: Database
) -> None:
    worker = factory.user(Role.SOCIAL_WORKER, username="sw.emergency")
    manager = factory.user(Role.MASH_MANAGER)
    person_id = _person(database, "Locked", "Child", restricted=True)
    with database.transaction() as s:
        user = s.get_one(User, worker.id)
        access.break_glass(s, user, person_id, "Police at the door at 2am, need the safety plan")
    token = sign_in(client, manager)
    page = client.get("/audit/break-glass")
    assert "Police at the door at 2am" in page.text and "Not reviewed" in page.text and "sw.emergency" in page.text
    with database.transaction() as s:
        access_id = s.scalar(select(BreakGlassAccess.id))
    short = client.post(f"/audit/break-glass/{access_id}/review", data={"csrf_token": token, "note": "ok"})
    assert short.status_code == 422 and "Write a review note" in short.text
    done = client.post(
        f"/audit/break-glass/{access_id}/review",
        data={"csrf_token": token, "note": "Justified: <b>out of hours</b> police request"},
    )
    assert done.status_code == 303
    page = client.get("/audit/break-glass")
    assert "Reviewed" in page.text and "&lt;b&gt;out of hours&lt;/b&gt;" in page.text
    assert "No break-glass access waiting for review" in client.get("/audit/break-glass?show=unreviewed").text
    again = client.post(f"/audit/break-glass/{access_id}/review", data={"csrf_token": token, "note": "twice over"})
    assert again.status_code == 409
    reviews = _events(database, action="review", target_type="break_glass")
    assert len(reviews) == 1 and reviews[0].person_id == person_id
    # The break-glass and its review are in the person's history.
    actions = {e.action for e in _events(database, person_id=person_id)}
    assert {"break_glass", "review"} <= actions


def test_nobody_reviews_their_own_break_glass_and_administrators_do_not_review(
    client: TestClient, factory: Factory, database: Database, admin: User
) -> None:
    manager = factory.user(Role.TEAM_MANAGER)
    person_id = _person(database, restricted=True)
    with database.transaction() as s:
        access.break_glass(s, s.get_one(User, manager.id), person_id, "Out of hours emergency placement")
        access_id = s.scalar(select(BreakGlassAccess.id))
    token = sign_in(client, manager)
    own = client.post(f"/audit/break-glass/{access_id}/review", data={"csrf_token": token, "note": "fine by me"})
    assert own.status_code == 422 and "Another manager must review" in own.text
    client.cookies.clear()
    token = sign_in(client, admin)
    page = client.get("/audit/break-glass")
    assert page.status_code == 200 and "Mark reviewed" not in page.text
    refused = client.post(f"/audit/break-glass/{access_id}/review", data={"csrf_token": token, "note": "admin ok"})
    assert refused.status_code == 403


def test_a_real_people_search_appears_in_each_found_persons_history(
    client: TestClient, factory: Factory, database: Database
) -> None:
    from safeguarding.people.inputs import PersonInput, SearchQuery
    from safeguarding.people.records import create_person
    from safeguarding.people.search import search

    worker = factory.user(Role.SOCIAL_WORKER, username="sw.searcher")
    manager = factory.user(Role.MASH_MANAGER)
    with database.transaction() as s:
        user = s.get_one(User, worker.id)
        found = create_person(s, database, user, PersonInput(first_name="Zara", last_name="Quill"))
        missed = create_person(s, database, user, PersonInput(first_name="Omar", last_name="Brook"))
        found_id, missed_id = found.id, missed.id
    with database.transaction() as s:
        results = search(s, database, s.get_one(User, worker.id), SearchQuery(last_name="Quill"))
        assert [c.person_id for c in results] == [found_id]
    sign_in(client, manager)
    page = client.get(f"/audit/people/{found_id}")
    assert "Search that found this person" in page.text and "sw.searcher" in page.text
    assert "Search that found this person" not in client.get(f"/audit/people/{missed_id}").text


def test_script_typed_as_a_username_at_sign_in_is_shown_escaped_in_the_log(
    client: TestClient, factory: Factory
) -> None:
    from tests.support import csrf_from

    form = client.get("/sign-in")
    client.post(
        "/sign-in",
        data={
            "username": "<img src=x onerror=alert(1)>",
            "password": "whatever it is",
            "csrf_token": csrf_from(form.text),
        },
    )
    manager = factory.user(Role.MASH_MANAGER)
    sign_in(client, manager)
    page = client.get("/audit", params={"action": "sign_in", "outcome": "refused"})
    assert "1 entry" in page.text
    assert "<img src=x" not in page.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in page.text
