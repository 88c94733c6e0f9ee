"""Where the clocks of children in care come from: every child in care has them, with or without a case open in case
work (an unaccompanied asylum-seeking child comes into care directly); they go when the child leaves care and no
case is open; the nightly run and a write give the same rows."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from safeguarding.children_in_care import service
from safeguarding.core.calendar import today_in_london
from safeguarding.core.users import Role
from safeguarding.people.models import Person, PersonKind
from safeguarding.timescales.models import Deadline
from safeguarding.timescales.service import recompute_all
from tests.support import Factory

CARE_CLOCKS = {"care-plan", "placement-plan", "cla-review-first", "cla-visit-first", "health-assessment-initial"}


def entry_form(started: date, **extra: str) -> dict[str, str]:
    form = {
        "started_on": started.isoformat(),
        "legal_status": "V2",
        "category_of_need": "N8",
        "placement_type": "U6",
        "placement_provider": "PR1",
        "carer": "Sam Synthetic",
        "placement_postcode": "ZZ9 9ZZ",
        "long_term": "no",
        "home_postcode": "ZZ1 1ZZ",
        "unaccompanied_asylum_seeking": "yes",
    }
    form.update(extra)
    return form


def open_rules(database: object, person_id: int) -> set[str]:
    with database.transaction() as s:  # type: ignore[attr-defined]
        return set(
            s.scalars(select(Deadline.rule_id).where(Deadline.person_id == person_id, Deadline.met_on.is_(None)))
        )


def unaccompanied_child(factory: Factory) -> int:
    with factory.database.transaction() as s:
        child = Person(
            kind=PersonKind.CHILD, first_name="Ari", last_name="Directcare", sex="M", date_of_birth=date(2010, 6, 1)
        )
        s.add(child)
        s.flush()
        return child.id


def test_a_child_who_comes_into_care_with_no_case_open_has_every_first_clock(factory: Factory) -> None:
    team = factory.team("Children in care team", service="children_in_care")
    manager = factory.user(Role.TEAM_MANAGER, team_id=team.id)
    child = unaccompanied_child(factory)
    started = today_in_london() - timedelta(days=3)
    with factory.database.transaction() as s:
        service.enter_care(s, factory.database, manager, child, service.EntryInput.read(entry_form(started)))
    assert open_rules(factory.database, child) >= CARE_CLOCKS
    # The nightly run keeps them: the child is open because they are in care.
    with factory.database.transaction() as s:
        recompute_all(s)
    assert open_rules(factory.database, child) >= CARE_CLOCKS


def test_leaving_care_with_no_case_open_takes_the_clocks_away(factory: Factory) -> None:
    team = factory.team("Children in care team", service="children_in_care")
    manager = factory.user(Role.TEAM_MANAGER, team_id=team.id)
    child = unaccompanied_child(factory)
    started = today_in_london() - timedelta(days=30)
    with factory.database.transaction() as s:
        service.enter_care(s, factory.database, manager, child, service.EntryInput.read(entry_form(started)))
        left = today_in_london() - timedelta(days=1)
        service.record_change(
            s,
            factory.database,
            manager,
            child,
            service.ChangeInput.read(
                "leave",
                {"on": left.isoformat(), "reason_ended": "E15"},
            ),
        )
    assert open_rules(factory.database, child) == set()


def test_a_care_leavers_needs_assessment_clock_starts_from_the_care_record_on_the_16th_birthday(
    factory: Factory,
) -> None:
    from safeguarding.children_in_care.care_leaver_models import CareLeaver
    from safeguarding.children_in_care.care_leavers import birthday
    from safeguarding.children_in_care.models import CarePeriod
    from safeguarding.core.calendar import add_calendar_months
    from safeguarding.timescales.service import recompute_for_child

    team = factory.team("Leaving care", service="children_in_care")
    adviser = factory.user(Role.PERSONAL_ADVISER, team_id=team.id)
    today = today_in_london()
    born = birthday(today, -16) - timedelta(days=30)  # 16 a month ago
    sixteen = birthday(born, 16)
    with factory.database.transaction() as s:
        person = Person(kind=PersonKind.CHILD, first_name="Kit", last_name="Recordleaver", sex="F", date_of_birth=born)
        s.add(person)
        s.flush()
        # In care on this system for 200 days: an eligible child since the 16th birthday.
        s.add(CarePeriod(person_id=person.id, started_on=today - timedelta(days=200)))
        # The "left care" fact says otherwise (no weeks counted yet): the record wins.
        s.add(
            CareLeaver(
                person_id=person.id,
                personal_adviser_id=adviser.id,
                adviser_named_on=today - timedelta(days=5),
                left_care_on=None,
                weeks_looked_after_since_14=0,
            )
        )
        s.flush()
        recompute_for_child(s, person.id)
        person_id = person.id
    with factory.database.transaction() as s:
        (clock,) = s.scalars(
            select(Deadline).where(Deadline.person_id == person_id, Deadline.rule_id == "pathway-needs-assessment")
        )
        assert clock.started_on == sixteen and clock.worker_id == adviser.id
        assert clock.due_on <= add_calendar_months(sixteen, 3)
