"""Each role's working day in a real browser, from its home page, with axe-core run on every page it shows.

One journey per role: the partner makes a contact and answers a check; the MASH worker screens and rates a contact
and decides on it; the MASH manager signs the decision off; the social worker records a visit; the team manager
authorises an assessment; the exploitation practitioner rescreens a child and views the network; the analyst reads
the indicators and the CIN census check; the service leader reads across the service and is refused a child's case.
Behaviours of issue 14 each have their day: an untouched rescreen is refused, a routed contact appears and goes
overdue, a decision with an open partner check needs a reason, and a child is linked by name with the picker. The
steps are in ``tests/journeys/days.py``; every page a journey shows
is checked against WCAG 2.x A and AA (``tests/journeys/accessibility.py``), and a page shown but never checked fails
the journey.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select, update

from safeguarding.casework.models import Allocation, Assessment, ChildInNeedPlan, Referral
from safeguarding.core import local_settings
from safeguarding.core.calendar import today_in_london
from safeguarding.core.users import AgencyKind, Role, User
from safeguarding.exploitation.models import Screening
from safeguarding.front_door import routing
from safeguarding.front_door.models import Contact, ContactNote, NoteKind
from safeguarding.people.models import Person, PersonKind
from safeguarding.timescales.service import recompute_for_child
from tests.exploitation import network_world as w
from tests.front_door.test_screening_helpers import Child, make_contact, make_person
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
    days.amends_the_signed_off_decision(
        manager,
        contact_id,
        "Repeated neglect indicators; the school nurse reports missed health appointments: assess under section 17.",
        "The school nurse's information came in after sign-off and belongs in the rationale.",
    )
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


def test_team_manager_authorises_an_assessment_and_a_plan(
    visitor: Callable[..., days.Visitor], factory: Factory
) -> None:
    worker, manager, child_id, today = _allocated_child(factory, assessment=True)
    with factory.database.transaction() as s:
        referral_id = s.scalar(select(Referral.id).where(Referral.person_id == child_id))
        s.add(
            ChildInNeedPlan(
                person_id=child_id,
                referral_id=referral_id,
                started_on=today - timedelta(days=2),
                notes="Weekly visits; school to report attendance.",
                recorded_by_id=worker.id,
            )
        )
    team_manager = visitor()
    days.sign_in(team_manager, manager)
    days.opens_the_case_from_what_is_due(team_manager, "Dara Dayscase", child_id)
    days.team_manager_authorises_the_assessment(team_manager, today)
    days.team_manager_authorises_a_plan_from_home(team_manager, "Dara Dayscase")
    days.amends_the_authorised_plan(
        team_manager,
        "Weekly visits; school to report attendance; family hub parenting course.",
        "The family agreed the parenting course at the review.",
    )


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


def test_service_leader_reads_across_the_service_and_cannot_change_a_case(
    visitor: Callable[..., days.Visitor], factory: Factory
) -> None:
    _worker, _manager, child_id, _today = _allocated_child(factory, assessment=True)
    leader = factory.user(Role.SERVICE_LEADER, username="leader.days")
    page_visitor = visitor()
    page = days.sign_in(page_visitor, leader)
    assert page.url.endswith("/home"), page.url
    days.leader_reads_the_service(page_visitor)
    days.leader_is_refused_a_childs_case(page_visitor, child_id)


def test_exploitation_practitioner_cannot_send_an_untouched_rescreen(
    visitor: Callable[..., days.Visitor], factory: Factory
) -> None:
    practitioner = factory.user(Role.EXPLOITATION_PRACTITIONER, username="exploitation.days")
    db = factory.database
    lia = w.person(db, "Lia", "Dayson", born=date(2010, 2, 3))
    w.screening(db, lia, "medium", practitioner.id)
    page_visitor = visitor()
    days.sign_in(page_visitor, practitioner)
    days.practitioner_rescreen_untouched_is_refused(page_visitor, "Lia Dayson", today_in_london())
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Screening).where(Screening.person_id == lia)) == 1


def test_social_worker_sees_routed_contacts_go_overdue_and_acknowledges_one(
    visitor: Callable[..., days.Visitor], factory: Factory
) -> None:
    worker, _manager, child_id, today = _allocated_child(factory, assessment=True)
    mash_worker = factory.user(Role.MASH_WORKER, team_id=factory.team("MASH", service="mash").id)
    db = factory.database
    dara = Child("Dara", "Dayscase", date(2016, 4, 4), person_id=child_id)
    late_id, fresh_id = make_contact(db, children=[dara]), make_contact(db, children=[dara])
    with db.transaction() as s:
        for contact_id in (late_id, fresh_id):
            routing.route_to_allocated_worker(s, db, mash_worker, contact_id)
    # The first was routed some days ago: its day to acknowledge by has passed (set in the database, not waited for).
    passed = today - timedelta(days=3)
    with db.transaction() as s:
        s.execute(update(Contact).where(Contact.id == late_id).values(acknowledge_by=passed))
        fresh_by = s.get_one(Contact, fresh_id).acknowledge_by
    assert fresh_by is not None and fresh_by >= today
    late, fresh = days.contact_reference(late_id), days.contact_reference(fresh_id)

    social_worker = visitor()
    days.sign_in(social_worker, worker)
    days.social_worker_sees_routed_contacts(social_worker, {late: passed, fresh: fresh_by}, overdue=late)
    days.social_worker_acknowledges_a_routed_contact(social_worker, late, "Visit arranged")
    with db.transaction() as s:
        acknowledged = s.scalars(
            select(ContactNote).where(ContactNote.contact_id == late_id, ContactNote.kind == NoteKind.ACKNOWLEDGED)
        ).all()
        assert [str(n.response) for n in acknowledged] == ["visit_arranged"]


def test_mash_worker_links_by_name_and_decides_with_an_open_check(
    visitor: Callable[..., days.Visitor], factory: Factory
) -> None:
    users = _front_door(factory)
    with factory.database.transaction() as s:
        local_settings.put(s, "signoff.early_help", False, None)  # early help takes effect without sign-off here
    make_person(factory.database, users["worker"], "Ella", "Dayschild", date(2015, 9, 9))  # known to the council
    contact_id = _contact_from_school(visitor, users["school"], "Ella", "Dayschild")
    mash = visitor()
    days.sign_in(mash, users["worker"])
    days.mash_worker_opens_from_the_queue(mash, contact_id)
    days.mash_worker_links_by_name(mash, "Ella Dayschild")
    days.mash_worker_asks_a_partner(mash, "Northshire Police", "Any call-outs or concerns at the family home?")
    days.mash_worker_decides_with_an_open_check(
        mash,
        "Northshire Police",
        "Low-level neglect concerns; the family would accept support from the early help team.",
        "The school's information is enough for early help; the police answer would not change it.",
    )

    police = visitor()
    page = days.sign_in(police, users["police"])
    expect(page.locator("#checks-no-longer-needed")).to_be_visible()
    expect(page.get_by_role("table", name="Checks no longer needed")).to_contain_text("Ella Dayschild")
