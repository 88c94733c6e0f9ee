"""The audit pages and the audit export never show what the reader may not see elsewhere: a search for a restricted
child records the name and NHS number typed, and only readers who may open that child's record read them."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from safeguarding.core.audit import Actor, record
from safeguarding.core.db import Database
from safeguarding.core.restrictions import PersonRestriction, PersonRestrictionGrant
from safeguarding.core.users import Role, User
from safeguarding.people import inputs as people_inputs
from safeguarding.people import rules as people_rules
from safeguarding.people import search as people_search
from safeguarding.people.models import Person, PersonKind
from tests.people.conftest import valid_nhs
from tests.support import Factory, sign_in

NHS = valid_nhs(7)
NAME = "Restricta"


def _child(database: Database, named: list[User]) -> int:
    with database.transaction() as s:
        child = Person(
            kind=PersonKind.CHILD,
            first_name=NAME,
            last_name="Hiddenchild",
            date_of_birth=date(2014, 2, 3),
            nhs_number=people_rules.normalise_nhs_number(NHS),
            first_name_key=people_rules.name_key(NAME),
            last_name_key=people_rules.name_key("Hiddenchild"),
            first_name_sound=people_rules.sound_key(NAME),
            last_name_sound=people_rules.sound_key("Hiddenchild"),
        )
        s.add(child)
        s.flush()
        s.add(PersonRestriction(person_id=child.id, reason="Relative of a member of staff (synthetic)"))
        s.flush()
        for user in named:
            s.add(PersonRestrictionGrant(person_id=child.id, user_id=user.id))
        return child.id


@pytest.fixture()
def searched(factory: Factory, database: Database) -> tuple[int, User]:
    """A named social worker searches for the restricted child by name and NHS number, and breaks no glass."""
    worker = factory.user(Role.SOCIAL_WORKER)
    named_manager = factory.user(Role.TEAM_MANAGER)
    child_id = _child(database, [worker, named_manager])
    with database.transaction() as s:
        user = s.get_one(User, worker.id)
        found = people_search.search(
            s, database, user, people_inputs.SearchQuery(first_name=NAME, last_name="Hiddenchild", nhs_number=NHS)
        )
        assert [c.person_id for c in found] == [child_id]
        record(
            s,
            Actor(id=worker.id, username=worker.username, role=str(worker.role)),
            "update",
            "person",
            child_id,
            person_id=child_id,
            reason=f"Corrected {NAME}'s spelling",
            detail={"changed": ["first_name"]},
        )
    return child_id, named_manager


def _leaks(text: str) -> list[str]:
    return [t for t in (NAME, NHS, NHS.replace(" ", "")) if t in text]


def test_a_manager_not_named_on_the_restriction_reads_no_terms_or_reasons(
    client: TestClient, factory: Factory, searched: tuple[int, User]
) -> None:
    child_id, _named = searched
    outsider = factory.user(Role.MASH_MANAGER)
    sign_in(client, outsider)
    for path in ("/audit", f"/audit/people/{child_id}", "/audit/export.csv", "/audit?action=search"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert _leaks(page.text) == [], f"{path} shows {_leaks(page.text)}"
        assert "Hidden: about a record you may not open" in page.text, path
    # Who searched and when stay visible: that is what the log is for.
    assert "search" in client.get("/audit?action=search").text.lower()


def test_an_administrator_reads_no_search_terms_for_people(
    client: TestClient, admin: User, searched: tuple[int, User]
) -> None:
    child_id, _named = searched
    sign_in(client, admin)
    for path in ("/audit", f"/audit/people/{child_id}", "/audit/export.csv"):
        page = client.get(path)
        assert page.status_code == 200 and _leaks(page.text) == [], path


def test_a_manager_named_on_the_restriction_reads_the_terms(client: TestClient, searched: tuple[int, User]) -> None:
    _child_id, named = searched
    sign_in(client, named)
    page = client.get("/audit", params={"action": "search"})
    assert NAME in page.text and people_rules.normalise_nhs_number(NHS) in page.text
    export = client.get("/audit/export.csv")
    assert NAME in export.text and f"Corrected {NAME}'s spelling" in export.text
