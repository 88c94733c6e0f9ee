"""Each role's working day in a real browser, from its home page, with axe-core run on every page it shows.

One journey per role: the partner makes a contact and answers a check; the MASH worker screens and rates a contact
and decides on it; the MASH manager signs the decision off; the social worker records a visit; the team manager
authorises an assessment; the exploitation practitioner rescreens a child and views the network; the analyst reads
the indicators and the CIN census check. The steps are in ``tests/journeys/days.py``; every page a journey shows
is checked against WCAG 2.x A and AA (``tests/journeys/accessibility.py``), and a page shown but never checked fails
the journey.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from safeguarding.casework.models import Allocation, Assessment, Referral
from safeguarding.core.calendar import today_in_london
from safeguarding.core.users import AgencyKind, Role, User
from safeguarding.people.models import Person, PersonKind
from safeguarding.timescales.service import recompute_for_child
from tests.exploitation import network_world as w
from tests.journeys import days
from tests.journeys.accessibility import Accessibility
from tests.returns import insight_council
from tests.support import Factory

pytestmark = [pytest.mark.journey, pytest.mark.xdist_group("browser")]

WORRY = "Synthetic worry: the child told a teacher she was left alone overnight and had not eaten since lunchtime."


@pytest.fixture()
def visitor(
    new_page: Callable[..., Any], record_property: Callable[[str, object], None]
) -> Iterator[Callable[..., days.Visitor]]:
    """Call ``visitor()`` for each person in the journey; at the end, every page they were shown was checked."""
    a11y = Accessibility()

    def make(*, checking: bool = True) -> days.Visitor:
        page = new_page()
        return days.Visitor(a11y.watch(page) if checking else page, a11y, checking)

    yield make
    record_property("axe_pages", a11y.pages_checked)
    record_property("axe_seconds", round(a11y.seconds, 1))
    print(f"\naxe-core checked {a11y.pages_checked} pages in {a11y.seconds:.1f} s")  # shown with -s
    assert not (unchecked := a11y.unchecked()), f"pages shown but not checked by axe-core: {unchecked}"
    assert a11y.pages_checked > 0


def _front_door(factory: Factory) -> dict[str, User]:
    school = factory.agency("Northshire Primary School", kind=AgencyKind.SCHOOL, referral_source="2A")
    police = factory.agency("Northshire Police", kind=AgencyKind.POLICE, referral_source="6")
    mash = factory.team("MASH", service="mash")
    return {
        "school": factory.user(Role.PARTNER_PRACTITIONER, agency_id=school.id, username="dsl.days"),
        "police": factory.user(Role.PARTNER_PRACTITIONER, agency_id=police.id, username="pc.days"),
        "worker": factory.user(Role.MASH_WORKER, team_id=mash.id, username="mash.days"),
        "manager": factory.user(Role.MASH_MANAGER, team_id=mash.id, username="mashmanager.days"),
    }


def _contact_from_school(visitor: Callable[..., days.Visitor], school: User, first: str, last: str) -> int:
    partner = visitor(checking=False)
    days.sign_in(partner, school)
    return days.partner_makes_a_contact(partner, first, last, WORRY)


def _decided_by_the_mash(visitor: Callable[..., days.Visitor], worker: User, contact_id: int, child: str) -> None:
    mash = visitor(checking=False)
    days.sign_in(mash, worker)
    days.mash_worker_opens_from_the_queue(mash, contact_id)
    days.mash_worker_links_the_child(mash, child)
    days.mash_worker_rates(mash, "Amber", "Neglect concerns, no immediate danger today: child in school.")
    days.mash_worker_decides_a_referral(mash, "Repeated neglect indicators: assess under section 17.")


def test_partner_makes_a_contact_and_answers_a_check(visitor: Callable[..., days.Visitor], factory: Factory) -> None:
    users = _front_door(factory)
    school = visitor()
    days.sign_in(school, users["school"])
    contact_id = days.partner_makes_a_contact(school, "Amelia", "Dayschild", WORRY)
    expect(school.page.get_by_text("Not decided yet")).to_be_visible()

    mash = visitor()
    days.sign_in(mash, users["worker"])
    days.mash_worker_opens_from_the_queue(mash, contact_id)
    days.mash_worker_asks_a_partner(mash, "Northshire Police", "Any call-outs or concerns at the family home?")

    police = visitor()
    days.sign_in(police, users["police"])
    days.partner_answers_a_check(police, "Two domestic incidents at the address this year; no arrests.")
    mash.goto(f"/mash/contacts/{contact_id}")
    expect(mash.page.locator("#check-list")).to_contain_text("Two domestic incidents")


def test_mash_worker_screens_rates_and_decides(visitor: Callable[..., days.Visitor], factory: Factory) -> None:
    users = _front_door(factory)
    contact_id = _contact_from_school(visitor, users["school"], "Bella", "Dayschild")
    mash = visitor()
    page = days.sign_in(mash, users["worker"])
    expect(page.get_by_role("link", name=days.contact_reference(contact_id))).to_be_visible()
    days.mash_worker_opens_from_the_queue(mash, contact_id)
    expect(page.locator("#worry")).to_have_text(WORRY)
    days.mash_worker_links_the_child(mash, "Bella Dayschild")
    days.mash_worker_rates(mash, "Amber", "Neglect concerns, no immediate danger today: child in school.")
    days.mash_worker_decides_a_referral(mash, "Repeated neglect indicators: assess under section 17.")


def test_mash_manager_signs_off_a_decision(visitor: Callable[..., days.Visitor], factory: Factory) -> None:
    users = _front_door(factory)
    contact_id = _contact_from_school(visitor, users["school"], "Cara", "Dayschild")
    _decided_by_the_mash(visitor, users["worker"], contact_id, "Cara Dayschild")
    manager = visitor()
    days.sign_in(manager, users["manager"])
    days.mash_manager_signs_off(manager, contact_id)
    school = visitor()
    days.sign_in(school, users["school"])
    page = days.partner_reads_the_outcome(school, contact_id)
    expect(page.locator(".govuk-summary-list").first).to_contain_text("Referral to children's social care")


def _allocated_child(factory: Factory, *, assessment: bool) -> tuple[User, User, int, date]:
    """A child referred some weeks ago and allocated to a social worker (the assessment clock running)."""
    team = factory.team("Assessment team", service="assessment")
    worker = factory.user(Role.SOCIAL_WORKER, team_id=team.id, username="sw.days")
    manager = factory.user(Role.TEAM_MANAGER, team_id=team.id, username="tm.days")
    today = today_in_london()
    referred = today - timedelta(days=30)
    with factory.database.transaction() as s:
        child = Person(
            kind=PersonKind.CHILD, first_name="Dara", last_name="Dayscase", sex="F", date_of_birth=date(2016, 4, 4)
        )
        s.add(child)
        s.flush()
        referral = Referral(
            person_id=child.id, referral_date=referred, referral_source="2A", primary_need="N2", route="assessment"
        )
        s.add(referral)
        s.flush()
        if assessment:
            s.add(Assessment(person_id=child.id, referral_id=referral.id, started_on=referred + timedelta(days=1)))
        s.add(Allocation(person_id=child.id, worker_id=worker.id, team_id=team.id))
        s.flush()
        recompute_for_child(s, child.id)
        child_id = child.id
    return worker, manager, child_id, today


def test_social_worker_records_a_visit_from_what_is_due(visitor: Callable[..., days.Visitor], factory: Factory) -> None:
    worker, _manager, child_id, today = _allocated_child(factory, assessment=True)
    social_worker = visitor()
    page = days.sign_in(social_worker, worker)
    expect(page.get_by_role("heading", name="What is due")).to_be_visible()
    days.opens_the_case_from_what_is_due(social_worker, "Dara Dayscase", child_id)
    days.social_worker_records_a_visit(social_worker, child_id, today - timedelta(days=1))


def test_team_manager_authorises_an_assessment(visitor: Callable[..., days.Visitor], factory: Factory) -> None:
    _worker, manager, child_id, today = _allocated_child(factory, assessment=True)
    team_manager = visitor()
    days.sign_in(team_manager, manager)
    days.opens_the_case_from_what_is_due(team_manager, "Dara Dayscase", child_id)
    days.team_manager_authorises_the_assessment(team_manager, today)


def test_exploitation_practitioner_rescreens_and_views_the_network(
    visitor: Callable[..., days.Visitor], factory: Factory
) -> None:
    practitioner = factory.user(Role.EXPLOITATION_PRACTITIONER, username="exploitation.days")
    db = factory.database
    lia = w.person(db, "Lia", "Dayson", born=date(2010, 2, 3))
    max_ = w.person(db, "Max", "Dayson", born=date(2013, 7, 9))
    w.siblings(db, lia, max_)
    w.screening(db, lia, "medium", practitioner.id)
    page_visitor = visitor()
    page = days.sign_in(page_visitor, practitioner)
    expect(page.get_by_role("heading", name="Exploitation team")).to_be_visible()
    days.practitioner_rescreens_from_home(page_visitor, "Lia Dayson", today_in_london())
    days.practitioner_views_the_network(page_visitor, lia, ("Lia Dayson", "Max Dayson"))


def test_analyst_reads_the_indicators_and_the_census_check(
    visitor: Callable[..., days.Visitor], factory: Factory
) -> None:
    council = insight_council.build(factory)
    with factory.database.transaction() as s:
        analyst = s.get_one(User, council.analyst_id)
        s.expunge(analyst)
    page_visitor = visitor()
    days.sign_in(page_visitor, analyst)
    page_visitor.goto("/returns/indicators?from=2026-01-01&to=2026-03-31")
    days.analyst_follows_a_figure(page_visitor, "re_referrals", "Re-referrals within 12 months")
    days.analyst_runs_the_census_check(page_visitor)
