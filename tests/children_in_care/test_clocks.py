"""The clocks of a child in care derived from their events (timescales.derive, pure): the care plan, reviews, health
assessments and the PEP of each period of care; the placement plan and the visits of each placement."""

from __future__ import annotations

from datetime import date, timedelta

from safeguarding.core.local_settings import DEFINITIONS
from safeguarding.timescales.derive import derive
from safeguarding.timescales.rules import ClockEvent, Derived, EventKind, Lengths

E = EventKind
LENGTHS = Lengths({key: d.default for key, d in DEFINITIONS.items()})
CHILD = 7
STARTED = date(2026, 1, 5)  # a Monday


def event(kind: EventKind, on: date, source_id: int = 1, **extra: object) -> ClockEvent:
    return ClockEvent(kind, on, kind.value, source_id, CHILD, **extra)  # type: ignore[arg-type]


def came_into_care(
    on: date = STARTED, period: int = 1, placement: int = 100, long_term: bool = False
) -> list[ClockEvent]:
    flags = frozenset({"long_term"}) if long_term else frozenset()
    return [event(E.CARE_STARTED, on, period), event(E.PLACEMENT_STARTED, on, placement, flags=flags)]


def clocks(events: list[ClockEvent], rule_id: str) -> list[Derived]:
    return [d for d in derive(CHILD, events, LENGTHS) if d.rule.id == rule_id]


def test_coming_into_care_starts_every_first_clock() -> None:
    derived = {d.rule.id: d for d in derive(CHILD, came_into_care(), LENGTHS)}
    assert derived["cla-review-first"].due == date(2026, 2, 2)  # 20 working days
    assert derived["care-plan"].due == date(2026, 1, 19)  # 10 working days
    assert derived["placement-plan"].due == date(2026, 1, 12)  # 5 working days
    assert derived["cla-visit-first"].due == date(2026, 1, 12)  # one week
    assert derived["health-assessment-initial"].due == date(2026, 2, 2)
    assert derived["pep-initial"].due == date(2026, 1, 19)
    assert all(d.met_on is None for d in derived.values())


def test_a_care_plan_made_before_the_placement_meets_its_clock() -> None:
    events = [*came_into_care(), event(E.CARE_PLAN, STARTED - timedelta(days=2), 1, stops_source_id=1)]
    (plan,) = clocks(events, "care-plan")
    assert plan.met_on == STARTED - timedelta(days=2)


def test_reviews_first_within_20_working_days_then_3_months_then_every_6() -> None:
    first, second, third = date(2026, 1, 28), date(2026, 4, 20), date(2026, 10, 1)
    events = [*came_into_care(), *(event(E.LAC_REVIEW, d, i) for i, d in enumerate((first, second, third), 10))]
    assert [(c.met_on) for c in clocks(events, "cla-review-first")] == [first]
    (second_clock,) = clocks(events, "cla-review-second")
    assert second_clock.start.on == first and second_clock.met_on == second
    later = clocks(events, "cla-review")
    assert [(c.start.on, c.met_on) for c in later] == [(second, third), (third, None)]
    assert later[-1].due == date(2027, 4, 1)


def test_a_move_starts_the_visits_and_placement_plan_of_the_new_placement() -> None:
    moved = date(2026, 3, 2)
    events = [
        *came_into_care(),
        event(E.CLA_VISIT, date(2026, 1, 9), 20),
        event(E.PLACEMENT_STARTED, moved, 101),
        event(E.CLA_VISIT, date(2026, 3, 6), 21),
    ]
    firsts = clocks(events, "cla-visit-first")
    assert [(c.start.source_id, c.met_on) for c in firsts] == [(100, date(2026, 1, 9)), (101, date(2026, 3, 6))]
    # The first placement's 6-weekly clock from 9 January fell due on 20 February: missed before the move.
    six_weekly = clocks(events, "cla-visit")
    assert [(c.start.on, c.lapsed) for c in six_weekly] == [(date(2026, 1, 9), True), (date(2026, 3, 6), False)]
    plans = clocks(events, "placement-plan")
    assert [c.start.source_id for c in plans] == [100, 101]


def test_visits_in_a_long_term_placement_are_three_monthly_after_its_first_year() -> None:
    visits = [STARTED + timedelta(weeks=6 * n) for n in range(1, 10)]  # the last ones after the first year
    events = [*came_into_care(long_term=True), *(event(E.CLA_VISIT, d, 30 + i) for i, d in enumerate(visits))]
    open_clock = [c for c in derive(CHILD, events, LENGTHS) if c.rule.id.startswith("cla-visit") and c.met_on is None]
    assert [c.rule.id for c in open_clock] == ["cla-visit-long-term"]
    not_long_term = [*came_into_care(), *(event(E.CLA_VISIT, d, 30 + i) for i, d in enumerate(visits))]
    assert not clocks(not_long_term, "cla-visit-long-term")


def test_review_health_assessments_are_six_monthly_under_5_and_yearly_after() -> None:
    young = [*came_into_care(), event(E.HEALTH_ASSESSMENT, date(2026, 1, 20), 40, flags=frozenset({"under_5"}))]
    assert [c.due for c in clocks(young, "health-assessment-review-under-5")] == [date(2026, 7, 20)]
    older = [*came_into_care(), event(E.HEALTH_ASSESSMENT, date(2026, 1, 20), 40)]
    assert [c.due for c in clocks(older, "health-assessment-review")] == [date(2027, 1, 20)]


def test_leaving_care_stops_the_clocks_not_yet_due() -> None:
    left = STARTED + timedelta(days=3)
    events = [*came_into_care(), event(E.CARE_ENDED, left, 1, stops_source_id=1)]
    assert derive(CHILD, events, LENGTHS) == []
    later = STARTED + timedelta(days=20)  # left after the plans and first visit fell due, before the review
    missed = derive(CHILD, [*came_into_care(), event(E.CARE_ENDED, later, 1, stops_source_id=1)], LENGTHS)
    assert {d.rule.id for d in missed if d.lapsed} == {"care-plan", "placement-plan", "cla-visit-first", "pep-initial"}
