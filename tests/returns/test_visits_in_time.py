"""Statutory visits in time counts every child with a plan in the period, whether the case is now open or closed.

A small council counted by hand (period January to March 2026, read on 15 April 2026; visits by the default local
standards: child protection every 10 working days, child in need every 20; bank holidays 25, 26 Dec and 1 Jan):

- V1 Vic, child protection plan from the initial conference of 1 Dec 2025 to 6 Mar 2026, case closed 13 Mar 2026.
  Visits (child seen) 12 Dec, 29 Dec, 20 Jan, 3 Feb, 16 Feb, 4 Mar. Clocks due in the period: 13 Jan (from
  29 Dec; made 20 Jan, late), 3 Feb (made 3 Feb), 17 Feb (made 16 Feb), 2 Mar (from 16 Feb; made 4 Mar, late):
  2 of 4. (Due 15 Dec and 30 Dec are before the period.)
- V2 Wyn, child in need plan from 2 Feb 2026, case open. Visit 27 Feb. Clocks: due 2 Mar (made 27 Feb), due
  27 Mar (not made): 1 of 2.
- V3 Xan, child in need plan 1 Jun to 1 Sep 2025, case closed 15 Sep 2025, visits in 2025: not counted.

Figure: 3 of 6. The stored deadlines (timescales) hold nothing for V1 or V3: their cases are closed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from safeguarding.casework.models import (
    Allocation,
    ChildInNeedPlan,
    ChildProtectionConference,
    ChildProtectionPlan,
    Referral,
    Section47Enquiry,
    StrategyDiscussion,
    Visit,
)
from safeguarding.core.users import Role, User
from safeguarding.insight import indicators
from safeguarding.insight.period import Period
from safeguarding.people.models import Person, PersonKind
from safeguarding.timescales import service as timescales
from safeguarding.timescales.events import clock_events
from safeguarding.timescales.models import Deadline
from safeguarding.timescales.rules import EventKind
from tests.support import Factory, sign_in_as

PERIOD = Period(date(2026, 1, 1), date(2026, 3, 31))
TODAY = date(2026, 4, 15)


def build(factory: Factory) -> tuple[dict[str, int], int]:
    """The three children (LAchildID -> person id) and a team manager."""
    team = factory.team("Visits team", service="child_protection")
    worker = factory.user(Role.SOCIAL_WORKER, username="vera.visits", team_id=team.id)
    manager = factory.user(Role.TEAM_MANAGER, username="mo.manager", team_id=team.id)
    with factory.database.transaction() as s:
        ids: dict[str, int] = {}
        for code, first in (("V1", "Vic"), ("V2", "Wyn"), ("V3", "Xan")):
            person = Person(
                kind=PersonKind.CHILD,
                first_name=first,
                last_name="Visits",
                sex="F",
                ethnicity="WBRI",
                date_of_birth=date(2016, 4, 1),
                la_child_id=code,
            )
            s.add(person)
            s.flush()
            ids[code] = person.id

        def referral(code: str, day: date, closed: date | None) -> Referral:
            row = Referral(
                person_id=ids[code],
                referral_date=day,
                referral_source="6",
                is_re_referral=False,
                route="referral_for_assessment",
                closed_date=closed,
                closure_reason="RC8" if closed else None,
                primary_need="N1",
            )
            s.add(row)
            s.flush()
            return row

        def visits(code: str, kind: str, referral_id: int, *days: date) -> None:
            s.add_all(
                [
                    Visit(person_id=ids[code], referral_id=referral_id, kind=kind, visited_on=day, child_seen=True)
                    for day in days
                ]
            )

        r1 = referral("V1", date(2025, 11, 3), date(2026, 3, 13))
        strategy = StrategyDiscussion(
            person_id=ids["V1"], referral_id=r1.id, held_on=date(2025, 11, 10), decision="section47"
        )
        s.add(strategy)
        s.flush()
        s47 = Section47Enquiry(
            person_id=ids["V1"],
            referral_id=r1.id,
            strategy_discussion_id=strategy.id,
            started_on=date(2025, 11, 10),
            completed_on=date(2025, 11, 24),
            outcome="icpc",
        )
        plan = ChildProtectionPlan(
            person_id=ids["V1"],
            referral_id=r1.id,
            started_on=date(2025, 12, 1),
            ended_on=date(2026, 3, 6),
            initial_category="NEG",
            latest_category="NEG",
            end_reason="no_longer_at_risk_closed",
        )
        s.add_all([s47, plan])
        s.flush()
        s.add(
            ChildProtectionConference(
                person_id=ids["V1"],
                referral_id=r1.id,
                kind="initial",
                section47_id=s47.id,
                plan_id=plan.id,
                held_on=date(2025, 12, 1),
                outcome="plan",
            )
        )
        visits(
            "V1",
            "cp",
            r1.id,
            date(2025, 12, 12),
            date(2025, 12, 29),
            date(2026, 1, 20),
            date(2026, 2, 3),
            date(2026, 2, 16),
            date(2026, 3, 4),
        )

        r2 = referral("V2", date(2026, 1, 5), None)
        s.add(ChildInNeedPlan(person_id=ids["V2"], referral_id=r2.id, started_on=date(2026, 2, 2)))
        visits("V2", "cin", r2.id, date(2026, 2, 27))
        s.add(
            Allocation(
                person_id=ids["V2"],
                worker_id=worker.id,
                team_id=team.id,
                started_at=datetime(2026, 1, 5, 10, tzinfo=UTC),
            )
        )

        r3 = referral("V3", date(2025, 5, 1), date(2025, 9, 15))
        s.add(
            ChildInNeedPlan(
                person_id=ids["V3"], referral_id=r3.id, started_on=date(2025, 6, 1), ended_on=date(2025, 9, 1)
            )
        )
        visits("V3", "cin", r3.id, date(2025, 6, 20), date(2025, 7, 30))
    return ids, manager.id


def _visits_figure(database: Any) -> indicators.Figure:
    with database.transaction() as s:
        facts = indicators.load_facts(s, PERIOD, today=TODAY)
    (figure,) = indicators.compute(facts, PERIOD, TODAY, ["visits_in_time"])
    return figure


def test_the_figure_equals_the_hand_count_closed_cases_included(database: Any, factory: Factory) -> None:
    ids, _manager = build(factory)
    with database.transaction() as s:
        timescales.recompute_all(s, today=TODAY)
        stored = set(s.scalars(select(Deadline.person_id).where(Deadline.rule_id.in_(indicators.VISIT_RULES))))
    assert stored == {ids["V2"]}  # the stored deadlines alone would leave V1 out
    figure = _visits_figure(database)
    counted = sorted((c.person_id, c.on, c.met) for c in figure.counted)
    assert counted == [
        (ids["V1"], date(2026, 1, 13), False),
        (ids["V1"], date(2026, 2, 3), True),
        (ids["V1"], date(2026, 2, 17), True),
        (ids["V1"], date(2026, 3, 2), False),
        (ids["V2"], date(2026, 3, 2), True),
        (ids["V2"], date(2026, 3, 27), False),
    ]
    assert (figure.numerator, figure.denominator) == (3, 6) and figure.shown == "50.0%"
    assert [(p.month, p.numerator, p.denominator) for p in figure.points] == [
        ("2026-01", 0, 1),
        ("2026-02", 2, 2),
        ("2026-03", 1, 3),
    ]


def test_a_closed_child_outside_the_period_is_not_counted(database: Any, factory: Factory) -> None:
    ids, _manager = build(factory)
    figure = _visits_figure(database)
    assert ids["V3"] not in {c.person_id for c in figure.counted}
    # Over 2025 V3's plan is in the period and counted (V1's visits due 15 and 30 Dec too).
    year = Period(date(2025, 1, 1), date(2025, 12, 31))
    with database.transaction() as s:
        facts = indicators.load_facts(s, year, today=TODAY)
    (in_2025,) = indicators.compute(facts, year, TODAY, ["visits_in_time"])
    assert {c.person_id for c in in_2025.counted} == {ids["V1"], ids["V3"]}


def test_the_drill_down_lists_the_closed_child(app: Any, database: Any, factory: Factory) -> None:
    _ids, manager_id = build(factory)
    with database.transaction() as s:
        manager = s.get_one(User, manager_id)
        s.expunge_all()
    client = TestClient(app)
    sign_in_as(client, database, manager)
    page = client.get(
        "/returns/indicators/children", params={"indicator": "visits_in_time", "from": "2026-01-01", "to": "2026-03-31"}
    )
    assert page.status_code == 200
    assert "V1" in page.text and "V2" in page.text and "V3" not in page.text
    assert "Visit due 13 January 2026, made 20 January 2026" in page.text
    assert "Visit due 27 March 2026, not made" in page.text


def test_clock_events_reads_every_episode_only_when_asked(database: Any, factory: Factory) -> None:
    ids, _manager = build(factory)
    with database.transaction() as s:
        connection = s.connection()
        default = clock_events(connection, [ids["V1"]], TODAY)
        every = clock_events(connection, [ids["V1"]], TODAY, episodes="all")
        with pytest.raises(ValueError):
            clock_events(connection, None, TODAY, episodes="all")
    kinds = {e.kind for e in default.events.get(ids["V1"], [])}
    assert EventKind.CP_VISIT not in kinds and EventKind.CP_PLAN_STARTED not in kinds
    every_kinds = [e.kind for e in every.events[ids["V1"]]]
    assert every_kinds.count(EventKind.CP_VISIT) == 6 and EventKind.CP_PLAN_ENDED in every_kinds
    assert every.open_children == default.open_children == set()


@pytest.mark.parametrize("ended", [date(2026, 3, 2), date(2026, 3, 6)])
def test_a_visit_missed_before_the_plan_ended_is_not_in_time(database: Any, factory: Factory, ended: date) -> None:
    """V1 without the visit of 4 Mar: the visit due 2 Mar (from 16 Feb) was never made, and the plan ended on the
    due date itself or the Friday after. Counted as not in time, not dropped with the plan, nor taken as made on
    the day the plan ended."""
    ids, _manager = build(factory)
    with database.transaction() as s:
        s.execute(delete(Visit).where(Visit.person_id == ids["V1"], Visit.visited_on == date(2026, 3, 4)))
        plan = s.scalars(select(ChildProtectionPlan).where(ChildProtectionPlan.person_id == ids["V1"])).one()
        plan.ended_on = ended
    figure = _visits_figure(database)
    v1 = sorted((c.on, c.met, c.template) for c in figure.counted if c.person_id == ids["V1"])
    made, not_made = "Visit due {}, made {}", "Visit due {}, not made"
    assert v1 == [
        (date(2026, 1, 13), False, made),
        (date(2026, 2, 3), True, made),
        (date(2026, 2, 17), True, made),
        (date(2026, 3, 2), False, not_made),
    ]
    assert (figure.numerator, figure.denominator) == (3, 6)
