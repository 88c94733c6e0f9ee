"""Search before create, in a real browser: a MASH worker looks for a child under a misspelt name, finds her
record, sees her family, and a colleague meets a restricted record and breaks the glass with a reason."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from playwright.sync_api import expect

from safeguarding.core.users import Role
from safeguarding.people import family, inputs, records, restriction
from tests.journeys.conftest import browser, live_server, new_page  # noqa: F401  (fixtures)
from tests.journeys.support import fill_date, screenshot, sign_in

pytestmark = [pytest.mark.journey, pytest.mark.xdist_group("browser")]


def _add(live_server: Any, user: Any, first: str, last: str, born: date, kind: str = "child") -> int:
    with live_server.database.transaction() as s:
        person = records.create_person(
            s,
            live_server.database,
            user,
            inputs.PersonInput(
                first_name=first,
                last_name=last,
                kind=kind,
                date_of_birth=born,
                address=inputs.AddressInput(line1="12 Synthetic Close", postcode="CR2 6XH"),
            ),
        )
        s.flush()
        return person.id


def test_search_before_create_and_break_glass(new_page: Any, factory: Any, live_server: Any) -> None:
    worker = factory.user(Role.MASH_WORKER, username="people.worker")
    colleague = factory.user(Role.SOCIAL_WORKER, username="people.colleague")
    manager = factory.user(Role.MASH_MANAGER, username="people.manager")
    child_id = _add(live_server, worker, "Amelia", "Testchild", date(2015, 3, 14))
    mum_id = _add(live_server, worker, "Hannah", "Testchild", date(1988, 6, 2), kind="adult")
    with live_server.database.transaction() as s:
        family.add_relationship(s, live_server.database, worker, child_id, mum_id, "parent")

    page = new_page()
    sign_in(page, worker, next_path="/people")
    # The worker types the name as the caller spelt it; the live search finds her anyway.
    page.get_by_label("First name").fill("Amelie")
    page.get_by_label("Last name").fill("Testchilde")
    # With JavaScript the results come as the worker types (htmx), without pressing Search; the address bar
    # follows, so the search can be bookmarked or gone back to.
    expect(page.get_by_role("link", name="Amelia Testchild")).to_be_visible()
    expect(page).to_have_url(re.compile(r"last_name=Testchilde"))
    screenshot(page, "people-search")
    # Trying to add her again offers the existing record first.
    page.get_by_role("link", name="Add a new person with these details").click()
    fill_date(page, "Date of birth", "2015-03-14")
    page.get_by_role("button", name="Add person").click()
    expect(page.get_by_text("This person may already have a record")).to_be_visible()
    screenshot(page, "people-new-duplicates")
    page.get_by_role("link", name="Amelia Testchild").click()
    expect(page.get_by_role("heading", name="Amelia Testchild")).to_be_visible()
    expect(page.get_by_text("parent of Amelia Testchild")).to_be_visible()
    screenshot(page, "people-record")

    with live_server.database.transaction() as s:
        restriction.restrict(s, live_server.database, manager, child_id, "Relative of a member of staff", [worker.id])
    other = new_page()
    sign_in(other, colleague)
    other.goto(f"/people/{child_id}")
    expect(other.get_by_role("heading", name="You do not have access")).to_be_visible()
    other.get_by_role("link", name="Break the glass").click()
    other.get_by_role("button", name="Open the record").click()
    expect(other.get_by_text("Give the reason for breaking the glass")).to_have_count(2)
    other.get_by_label("Why do you need this record now?").fill("Police at the door with the child, urgent")
    other.get_by_role("button", name="Open the record").click()
    expect(other.get_by_role("heading", name="Amelia Testchild")).to_be_visible()
    expect(other.get_by_text("Only the people named on the restriction may open this record")).to_be_visible()
    screenshot(other, "people-restricted-after-break-glass")
