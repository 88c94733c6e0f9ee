"""Early help staff add a family the council does not yet know to the person index, through the same search before
create the front door uses: search first, a likely duplicate offered before a new record, the new record opened;
restricted people stay hidden from them; they read records but do not change them; partners still never open one."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from safeguarding.core.calendar import today_in_london
from safeguarding.core.db import Database
from safeguarding.core.users import AgencyKind, Role, User
from safeguarding.early_help.models import EarlyHelpEpisode
from safeguarding.people import restriction
from safeguarding.people.models import Person
from tests.people.conftest import People
from tests.people.test_routes import _form
from tests.support import Factory, sign_in

BORN = date(2018, 2, 11)


@pytest.fixture()
def practitioner(factory: Factory) -> User:
    return factory.user(Role.EARLY_HELP_PRACTITIONER)


@pytest.fixture()
def people(database: Database, factory: Factory) -> People:
    return People(database, factory.user(Role.MASH_WORKER))


def _people(database: Database) -> list[str]:
    with database.transaction() as s:
        return [p.full_name for p in s.scalars(select(Person).order_by(Person.id))]


def _start(client: TestClient, csrf: str, lead: User, *, born: date = BORN) -> int:
    started = today_in_london() - timedelta(days=2)
    answer = client.post(
        "/early-help/new",
        data={
            "csrf_token": csrf,
            "family_name": "The Newcome family",
            "level": "targeted_early_help",
            "request_reason": "New to the area; the family asked the family hub for help.",
            "started_on": started.isoformat(),
            "lead_practitioner_id": str(lead.id),
            "member0_role": "child",
            "member0_first_name": "Robin",
            "member0_last_name": "Newcome",
            "member0_date_of_birth": born.isoformat(),
        },
    )
    assert answer.status_code == 303, answer.text
    return int(answer.headers["location"].split("/")[2].split("?")[0])


def test_a_family_not_yet_known_is_searched_for_added_and_then_matched(
    client: TestClient, database: Database, practitioner: User
) -> None:
    csrf = sign_in(client, practitioner)
    searched = client.get("/people", params={"first_name": "Robin", "last_name": "Newcome"})
    assert searched.status_code == 200 and "No one on record matches" in searched.text
    assert "Add a new person with these details" in searched.text
    assert client.get("/people/new", params={"first_name": "Robin"}).status_code == 200
    made = client.post(
        "/people/new",
        data=_form(first_name="Robin", last_name="Newcome", date_of_birth=BORN.isoformat(), csrf_token=csrf),
    )
    assert made.status_code == 303
    record = client.get(made.headers["location"])
    assert record.status_code == 200 and "Robin Newcome" in record.text and "Person record created" in record.text
    # Early help staff read and add records; changing one, and the child's social care case, are not theirs.
    assert "Change details" not in record.text and 'id="case-link"' not in record.text
    assert "Add name" not in record.text

    episode_id = _start(client, csrf, practitioner)
    with database.transaction() as s:
        episode = s.get(EarlyHelpEpisode, episode_id)
        assert episode is not None
        assert [m.person_id is not None for m in episode.members] == [True]
    page = client.get(f"/early-help/{episode_id}")
    assert "Not matched to the council" not in page.text


def test_a_likely_duplicate_is_offered_before_a_new_record(
    client: TestClient, database: Database, practitioner: User, people: People
) -> None:
    people.add("Robyn", "Newcombe", date_of_birth=BORN)
    csrf = sign_in(client, practitioner)
    form = _form(first_name="Robin", last_name="Newcome", date_of_birth=BORN.isoformat(), csrf_token=csrf)
    offered = client.post("/people/new", data=form)
    assert offered.status_code == 200 and "Robyn Newcombe" in offered.text
    assert "tick the box to confirm" in offered.text
    assert _people(database) == ["Robyn Newcombe"]
    assert client.post("/people/new", data=form | {"confirm_new": "yes"}).status_code == 303
    assert _people(database) == ["Robyn Newcombe", "Robin Newcome"]


def test_an_unmatched_family_member_links_to_the_search_with_their_details(
    client: TestClient, database: Database, practitioner: User
) -> None:
    csrf = sign_in(client, practitioner)
    episode_id = _start(client, csrf, practitioner)
    page = client.get(f"/early-help/{episode_id}")
    assert "Not matched to the council" in page.text
    link = f"/people?first_name=Robin&amp;last_name=Newcome&amp;date_of_birth={BORN.isoformat()}"
    assert link in page.text
    found = client.get(link.replace("&amp;", "&"))
    assert found.status_code == 200 and 'value="Robin"' in found.text


def test_a_restricted_record_stays_hidden_from_early_help_staff(
    client: TestClient, database: Database, factory: Factory, practitioner: User, people: People
) -> None:
    hidden = people.add("Imogen", "Quietley", date_of_birth=date(2016, 9, 9))
    manager = factory.user(Role.MASH_MANAGER)
    with database.transaction() as s:
        restriction.restrict(s, database, manager, hidden.id, "Child of a council employee", [])
    sign_in(client, practitioner)
    page = client.get(
        "/people", params={"first_name": "Imogen", "last_name": "Quietley", "date_of_birth": "2016-09-09"}
    )
    assert page.status_code == 200 and "A restricted record matches" in page.text
    assert f"/people/{hidden.id}" not in page.text
    assert client.get(f"/people/{hidden.id}").status_code == 403


@pytest.mark.parametrize("path", ["/people", "/people/new"])
def test_partners_still_never_search_or_add_people(client: TestClient, factory: Factory, path: str) -> None:
    school = factory.agency("Oak Primary School", AgencyKind.SCHOOL, "2A")
    sign_in(client, factory.user(Role.PARTNER_PRACTITIONER, agency_id=school.id))
    assert client.get(path).status_code == 403
