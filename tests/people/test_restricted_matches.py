"""A search that identifies a restricted record (NHS number, or name and date of birth) says that a restricted record
matches, so nobody creates a duplicate, without its id or anything else about it; a weaker match says nothing."""

from __future__ import annotations

import re
from datetime import date

from fastapi.testclient import TestClient

from safeguarding.core.db import Database
from safeguarding.core.users import User
from safeguarding.people import restriction, search
from tests.people.conftest import People, valid_nhs
from tests.support import sign_in

NHS = valid_nhs(77)


def _restricted(database: Database, manager: User, people: People) -> int:
    person = people.add("Imogen", "Quietley", nhs_number=NHS, date_of_birth=date(2013, 9, 9))
    with database.transaction() as s:
        restriction.restrict(s, database, manager, person.id, "Child of a council employee", [])
    return person.id


def _ids_linked(text: str) -> set[str]:
    return set(re.findall(r"/people/(\d+)", text)) | set(re.findall(r'value="(\d+)"', text))


def test_the_search_page_says_a_restricted_record_matches_and_nothing_more(
    client: TestClient, database: Database, worker: User, manager: User, people: People
) -> None:
    person_id = _restricted(database, manager, people)
    sign_in(client, worker)
    by_name_and_birthday = {"first_name": "Imogen", "last_name": "Quietley", "date_of_birth": "2013-09-09"}
    for terms in ({"nhs_number": NHS}, by_name_and_birthday):
        page = client.get("/people", params=terms)
        assert page.status_code == 200, page.text
        assert "A restricted record matches" in page.text and "ask a manager" in page.text
        assert "Imogen Quietley" not in page.text  # the terms typed are echoed in the form, never as a result
        assert str(person_id) not in _ids_linked(page.text)
    # A similar name alone tells nothing, not even that a restricted record exists.
    page = client.get("/people", params={"first_name": "Imogen", "last_name": "Quietly"})
    assert page.status_code == 200 and "restricted" not in page.text.lower()


def test_the_api_search_gives_no_id_for_a_restricted_match(
    client: TestClient, database: Database, worker: User, manager: User, people: People
) -> None:
    from tests.people.test_routes import _token_for

    _restricted(database, manager, people)
    headers = _token_for(database, worker)
    [row] = client.get("/api/v1/people/search", params={"nhs_number": NHS}, headers=headers).json()
    assert row == {
        "id": None,
        "score": 0,
        "reasons": [search.RESTRICTED_MATCH],
        "restricted": True,
        # Nor the linkage model's evidence, which would name what agrees.
        "probability": None,
        "evidence": [],
        "first_name": None,
        "last_name": None,
        "date_of_birth": None,
    }
    assert client.get("/api/v1/people/search", params={"last_name": "Quietley"}, headers=headers).json() == []


def test_a_manager_named_on_the_restriction_sees_the_record(
    client: TestClient, database: Database, manager: User, people: People
) -> None:
    person_id = _restricted(database, manager, people)
    sign_in(client, manager)
    page = client.get("/people", params={"last_name": "Quietley"})
    assert "Imogen Quietley" in page.text and f"/people/{person_id}" in page.text
