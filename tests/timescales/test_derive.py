"""Every clock ``derive`` makes is the clock of its rule as the data says: started on one of the rule's
``starts`` events and met by its ``stops`` event (a plan's clock left unmet when the plan ended is stopped by that
end, "lapsed", and is not met). Checked over any mix of a child's events, in any order."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from safeguarding.core.local_settings import DEFINITIONS
from safeguarding.timescales.derive import derive
from safeguarding.timescales.rules import ClockEvent, Derived, EventKind, Lengths

E = EventKind
LENGTHS = Lengths({key: d.default for key, d in DEFINITIONS.items()})
FIRST_DAY = date(2023, 6, 1)  # the range crosses WT2023's start (two versions of the ICPC rule)
# The flags the readers of events set (timescales/events.py and each capability's timescale_events).
FLAGS = {
    E.REFERRAL: ["strategy_discussion", "immediate_protection", "assessment"],
    E.STRATEGY_DISCUSSION: ["s47"],
    E.ICPC: ["plan"],
    E.S47_COMPLETED: ["no_icpc"],
    E.CP_PLAN_STARTED: ["conference"],
    E.PLACEMENT_STARTED: ["long_term"],
    E.HEALTH_ASSESSMENT: ["under_5"],
    # The event an early help clock counts from (early_help/timescale_events.py applies the council's anchor).
    **{
        kind: ["eh_assessment_anchor", "eh_meeting_anchor"]
        for kind in (E.EARLY_HELP_STARTED, E.EARLY_HELP_CONSENT, E.EARLY_HELP_NEED_IDENTIFIED, E.EARLY_HELP_DECIDED)
    },
}
# What ends a plan's clocks: a plan's end; for a child in care, leaving care, and the next placement for a
# placement's own clocks (its plan and visits); for early help, the episode's end.
PLAN_ENDS = {
    E.CP_PLAN_ENDED,
    E.CIN_PLAN_ENDED,
    E.CARE_ENDED,
    E.PLACEMENT_STARTED,
    E.CARE_LEAVER_ENDED,
    E.EARLY_HELP_ENDED,
}
# Events that name the record they stop or belong to (by source id).
NAMING = (E.CONTACT_DECIDED, E.RETURN_INTERVIEW, E.CARE_PLAN, E.PLACEMENT_PLAN, E.CARE_ENDED)


@st.composite
def child_events(draw: st.DrawFn) -> list[ClockEvent]:
    events: list[ClockEvent] = []
    for source_id in range(1, draw(st.integers(0, 30)) + 1):
        kind = draw(st.sampled_from(list(EventKind)))
        on = FIRST_DAY + timedelta(days=draw(st.integers(0, 400)))
        flags = frozenset(draw(st.lists(st.sampled_from(FLAGS[kind]), max_size=1))) if kind in FLAGS else frozenset()
        booked = kind in (E.ICPC, E.REVIEW_CONFERENCE) and draw(st.booleans())
        # A decision names the contact it decides and an interview the return it follows (by source id).
        stops = draw(st.integers(1, source_id)) if kind in NAMING else None
        events.append(
            ClockEvent(
                kind, on, kind.value, source_id, 1, flags, booked_for=on if booked else None, stops_source_id=stops
            )
        )
    return draw(st.permutations(events))


def _stopped_by(clock: Derived) -> EventKind | None:
    return clock.met_by.kind if clock.met_by is not None else None


@given(child_events())
def test_every_clock_starts_on_its_rules_start_and_is_met_by_its_stop(events: list[ClockEvent]) -> None:
    for clock in derive(1, events, LENGTHS):
        assert clock.start.kind in clock.rule.starts, (clock.rule.id, clock.start)
        if clock.lapsed:
            assert _stopped_by(clock) in PLAN_ENDS and clock.met_on == clock.met_by.on  # type: ignore[union-attr]
        elif clock.met_by is not None:
            assert clock.met_by.kind is clock.rule.stops, (clock.rule.id, clock.met_by)
            assert clock.met_on == clock.met_by.on


@given(child_events())
def test_the_order_events_come_in_changes_nothing(events: list[ClockEvent]) -> None:
    # Each capability supplies its own events (timescales.events): the deadlines cannot depend on who read first.
    def key(clock: Derived) -> tuple[object, ...]:
        return (clock.rule.id, clock.start, clock.due, clock.met_by, clock.lapsed, clock.booked_for)

    assert [key(c) for c in derive(1, events, LENGTHS)] == [key(c) for c in derive(1, list(reversed(events)), LENGTHS)]
