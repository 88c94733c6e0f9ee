"""Search before create ranks and explains its candidates with the linkage model, as a worker sees it."""

from __future__ import annotations

from datetime import date, timedelta

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


def _many(database: Database, first: str, last: str, born: list[date]) -> None:
    """People of one name, written in one statement (far more than a search may read of one name)."""
    from safeguarding.people import rules
    from safeguarding.people.models import Person

    with database.transaction() as s:
        s.execute(
            Person.__table__.insert(),  # type: ignore[attr-defined]
            [
                {
                    "kind": "child",
                    "first_name": first,
                    "last_name": last,
                    "date_of_birth": day,
                    "first_name_key": rules.name_key(first),
                    "last_name_key": rules.name_key(last),
                    "first_name_sound": rules.sound_key(first),
                    "last_name_sound": rules.sound_key(last),
                }
                for day in born
            ],
        )


def _far_back(count: int) -> list[date]:
    return [date(1950, 1, 1) + timedelta(days=9 * n) for n in range(count)]


def test_among_thousands_of_namesakes_the_one_born_nearest_is_found_and_ranked_first(
    database: Database, worker: User, people: People
) -> None:
    # More Olivia Smiths than a name lookup may read (search.GATHER_LIMIT), all born decades earlier, and the one
    # sought written last, with the day and month of her birthday swapped in the search.
    _many(database, "Olivia", "Smith", _far_back(search.GATHER_LIMIT + 100))
    olivia = people.add("Olivia", "Smith", date_of_birth=date(2012, 5, 3))
    found = _found(database, worker, first_name="Olivia", last_name="Smith", date_of_birth=date(2012, 3, 5))
    assert found[0].person_id == olivia.id
    assert "Date of birth: day and month swapped" in found[0].evidence


def test_a_misspelt_surname_and_a_swapped_birthday_are_found_among_thousands_of_similar_names(
    database: Database, worker: User, people: People
) -> None:
    # Only the broad lookup (the first letters of the surname, the first initial) can find George: his surname is
    # misspelt in the search and sounds different, and his birthday is not the one searched for. Garys come before
    # Georges in the name index, more of them than a lookup may read; all born decades earlier.
    _many(database, "Gary", "Smith", _far_back(search.GATHER_LIMIT + 100))
    george = people.add("George", "Smith", date_of_birth=date(2012, 5, 3))
    found = _found(database, worker, first_name="George", last_name="Smiht", date_of_birth=date(2012, 3, 5))
    assert george.id in [c.person_id for c in found]
    assert found[0].person_id == george.id


def test_a_child_whose_surname_changed_is_found_but_not_their_twin(
    database: Database, worker: User, people: People
) -> None:
    # The surname searched for is not the one on file (a step-parent's, a double-barrelled one): everything else
    # agrees, so the model finds her more likely than not the child sought. Her twin brother, at the same address
    # with the same birthday and surname, is not a candidate for her.
    ava = people.add("Ava", "Rogers", date_of_birth=date(2011, 12, 15), postcode="N5 3NZ")
    people.add("Leo", "Rogers", date_of_birth=date(2011, 12, 15), postcode="N5 3NZ")
    found = _found(
        database,
        worker,
        first_name="Ava",
        last_name="Rogers-Ellis",
        date_of_birth=date(2011, 12, 15),
        postcode="N5 3NZ",
    )
    assert [c.person_id for c in found] == [ava.id]
    assert "likely the same person under another name" in found[0].reasons


def test_someone_born_the_same_day_with_another_name_altogether_is_not_a_candidate(
    database: Database, worker: User, people: People
) -> None:
    people.add("Oliver", "Smith", date_of_birth=date(2025, 8, 15), postcode="L10 1WL")
    found = _found(database, worker, first_name="Ahmed", last_name="Bennett", date_of_birth=date(2025, 8, 15))
    assert found == []
