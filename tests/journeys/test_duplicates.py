"""Duplicates end to end in a real browser (issue 17's "Done when"): a data quality officer runs the duplicate check,
reviews the proposed pair and reads the evidence, merges the two records of one child (choosing which NHS number
survives), sees the child's history in one record, then unmerges, and both records are exactly as before. The
child's twin, who shares her surname, address and birthday, is never proposed."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from safeguarding.core.users import Role
from safeguarding.people.duplicates.models import DuplicatePair, PersonMerge
from safeguarding.people.models import Address, Person
from tests.journeys.accessibility import Accessibility
from tests.journeys.support import screenshot, sign_in
from tests.people.test_merging import _contact, _person, _referral, state

pytestmark = [pytest.mark.journey, pytest.mark.xdist_group("browser")]
BORN = date(2015, 3, 14)


def test_an_officer_merges_two_records_of_one_child_and_undoes_it(
    new_page: Any, factory: Any, live_server: Any
) -> None:
    database = live_server.database
    officer = factory.user(Role.DATA_QUALITY_OFFICER, username="dq.journey")
    with database.transaction() as s:
        child = _person(s, "Jayden", "Okafor", date_of_birth=BORN, nhs_number="9434765919")
        duplicate = _person(s, "Jayden", "Okafro", date_of_birth=BORN)
        twin = _person(s, "Jordan", "Okafor", date_of_birth=BORN)
        for person in (child, duplicate, twin):
            s.add(
                Address(person_id=person.id, line1="9 Synthetic Close", postcode="NB1 4QT", moved_in=date(2018, 5, 1))
            )
        child_id, duplicate_id, twin_id = child.id, duplicate.id, twin.id
        _referral(s, child_id)
        _contact(s, [duplicate_id])
    before = state(database, [child_id, duplicate_id, twin_id])

    # Every page of the journey is checked against WCAG 2.x A and AA by axe-core.
    a11y = Accessibility()
    page = new_page()
    sign_in(page, officer)
    a11y.watch(page)
    page.goto("/duplicates")
    a11y.check(page)
    page.get_by_role("button", name="Run the duplicate check now").click()
    expect(page.get_by_text("Duplicate check run")).to_be_visible()
    a11y.check(page)
    queue = page.locator("#duplicate-queue")
    expect(queue).to_contain_text("Jayden Okafor and Jayden Okafro")
    expect(queue).not_to_contain_text("Jordan Okafor")  # the twin: same surname, address and birthday

    # Read the evidence, then preview the merge.
    queue.get_by_role("link", name="Jayden Okafor and Jayden Okafro").click()
    expect(page.get_by_role("heading", name="Are these the same person?")).to_be_visible()
    expect(page.locator("#evidence li").first).to_be_visible()
    a11y.check(page)
    page.get_by_role("link", name="Preview a merge").click()
    expect(page.get_by_role("heading", name="Merge these records")).to_be_visible()
    expect(page.locator("#moving")).to_contain_text("Contact")
    a11y.check(page)
    screenshot(page, "duplicates-merge-preview")
    page.get_by_role("button", name="Merge the records").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Choose which last name to keep")
    expect(summary).to_contain_text("Enter the reason these two records are one person")
    a11y.check(page)  # the page with its error summary
    # The surname: the contact's spelling was the slip.
    page.get_by_label("Keep last name: Okafor").check()
    page.get_by_label("Why are these the same person?").fill("Same child: the surname was misspelt on the contact")
    page.get_by_label("These two records are the same person").check()
    page.get_by_role("button", name="Merge the records").click()

    # The child's history in one record: the referral from one, the contact and address from the other.
    expect(page.get_by_text("Records merged")).to_be_visible()
    history = page.locator("#history")
    expect(history).to_contain_text("Referral")
    expect(history).to_contain_text("Contact")
    expect(history).to_contain_text("Address (2)")
    a11y.check(page)
    screenshot(page, "duplicates-merged")
    with database.transaction() as s:
        assert s.get_one(Person, duplicate_id).merged_into_id == child_id
        assert s.scalar(select(DuplicatePair.status)) == "merged"

    # Undo it: both records go back exactly as they were.
    page.get_by_role("link", name="Undo this merge").click()
    expect(page.get_by_role("heading", name="Undo this merge")).to_be_visible()
    expect(page.locator("#moving-back")).to_contain_text("Contact")
    a11y.check(page)
    page.get_by_label("Why are you undoing this merge?").fill("Two children after all: the contact was about a cousin")
    page.get_by_label("Undo the merge and make these two records again").check()
    page.get_by_role("button", name="Undo the merge").click()
    expect(page.get_by_text("Merge undone: both records are as they were")).to_be_visible()
    a11y.check(page)
    page.goto("/merges")
    a11y.check(page)
    assert not (unchecked := a11y.unchecked()), f"pages shown but not checked by axe-core: {unchecked}"
    assert state(database, [child_id, duplicate_id, twin_id]) == before
    with database.transaction() as s:
        assert s.scalar(select(PersonMerge.status)) == "unmerged"
