"""Search before create ranks and explains its candidates with the linkage model, as a worker sees it."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from safeguarding.core.db import Database
from safeguarding.core.users import User
from safeguarding.people import search
from safeguarding.people.inputs import SearchQuery
from tests.people.conftest import People, valid_nhs
from tests.support import sign_in


def _found(database: Database, user: User, **terms: object) -> list[search.Candidate]:
    with database.transaction() as s:
        return search.search(s, database, user, SearchQuery(**terms))  # type: ignore[arg-type]


def test_a_known_short_form_is_explained_and_the_closer_record_ranks_first(
    database: Database, worker: User, people: People
) -> None:
    william = people.add("William", "Smith", date_of_birth=date(2014, 3, 4), postcode="LS8 2AB")
    other = people.add("Will", "Smith", date_of_birth=date(2011, 7, 9))
    found = _found(database, worker, first_name="Bill", last_name="Smith", date_of_birth=date(2014, 3, 4))
    assert [c.person_id for c in found][:1] == [william.id]
    assert "First name: a known short form (Bill/William)" in found[0].evidence
    assert "Date of birth agrees" in found[0].evidence
    assert found[0].probability is not None and found[0].probability > 0.9
    assert other.id not in [c.person_id for c in found] or found[-1].person_id == other.id


def test_the_nhs_number_leads_the_evidence(database: Database, worker: User, people: People) -> None:
    target = people.add("Sam", "Reid", nhs_number=valid_nhs(200))
    [found] = _found(database, worker, nhs_number=valid_nhs(200))
    assert found.person_id == target.id and found.evidence[0] == "NHS number agrees"


def test_a_short_form_finds_the_full_name_by_name_alone_and_the_page_shows_why(
    client: TestClient, worker: User, people: People
) -> None:
    william = people.add("William", "Smith", date_of_birth=date(2014, 3, 4))
    people.add("William", "Jones", date_of_birth=date(2014, 3, 4))
    sign_in(client, worker)
    page = client.get("/people", params={"first_name": "Bill", "last_name": "Smith"})
    assert page.status_code == 200
    assert f'href="/people/{william.id}"' in page.text and "Jones" not in page.text
    assert "A known short form of the name" in page.text
    assert "First name: a known short form (Bill/William)" in page.text
