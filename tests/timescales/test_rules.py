"""Every timescale against due dates computed by hand, across Christmas / New Year and Easter 2025, 2026 and 2027.

Bank holidays (England and Wales) used in the hand counts:
2025: Good Friday 18 Apr, Easter Monday 21 Apr, Early May 5 May, Christmas Thu 25 Dec, Boxing Day Fri 26 Dec.
2026: New Year Thu 1 Jan, Good Friday 3 Apr, Easter Monday 6 Apr, Christmas Fri 25 Dec, Boxing Day (substitute)
      Mon 28 Dec.
2027: New Year Fri 1 Jan, Good Friday 26 Mar, Easter Monday 29 Mar, Early May 3 May, Christmas (substitute) Mon
      27 Dec, Boxing Day (substitute) Tue 28 Dec.
Working days: day 0 is the start; N working days is the Nth working day after it. Calendar units (weeks, months)
that land on a weekend or bank holiday are brought forward to the working day before (timescales/rules.py).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from safeguarding.core.local_settings import DEFINITIONS
from safeguarding.timescales.derive import derive
from safeguarding.timescales.rules import (
    RULE_IDS,
    ClockEvent,
    EventKind,
    Lengths,
    RuleStatus,
    State,
    UnknownRule,
    due_at,
    due_on,
    explain,
    forecast,
    rule_for,
    state_of,
)

E = EventKind
DEFAULTS = {key: d.default for key, d in DEFINITIONS.items()}

CASES = [
    # contact-decision, 1 working day
    ("contact-decision", date(2025, 12, 24), date(2025, 12, 29)),  # Thu 25, Fri 26 Dec bank holidays, weekend
    ("contact-decision", date(2025, 12, 27), date(2025, 12, 29)),  # Saturday start: Monday is day 1 (s2 example)
    ("contact-decision", date(2025, 4, 17), date(2025, 4, 22)),  # Good Friday 18, Easter Monday 21 Apr 2025
    ("contact-decision", date(2026, 12, 24), date(2026, 12, 29)),  # Fri 25 Dec, Mon 28 Dec (substitute)
    ("contact-decision", date(2027, 3, 25), date(2027, 3, 30)),  # Good Friday 26, Easter Monday 29 Mar 2027
    ("contact-decision", date(2027, 12, 24), date(2027, 12, 29)),  # Mon 27, Tue 28 Dec 2027 substitutes
    # strategy-discussion, 1 working day (local setting default)
    ("strategy-discussion", date(2026, 4, 2), date(2026, 4, 7)),  # Good Friday 3, Easter Monday 6 Apr 2026
    # assessment, 45 working days
    ("assessment", date(2025, 12, 1), date(2026, 2, 5)),  # s2's own example: 25, 26 Dec and 1 Jan skipped
    # Mon 10 Mar 2025: 11-14 Mar 4, to 21 Mar 9, 28 Mar 14, 4 Apr 19, 11 Apr 24, 14-17 Apr 28 (18 GF),
    # 22-25 Apr 32 (21 EM), 2 May 37, 6-9 May 41 (5 May BH), 12-15 May 45.
    ("assessment", date(2025, 3, 10), date(2025, 5, 15)),
    # Mon 7 Dec 2026: 8-11 4, 14-18 9, 21-24 13, (25, 28 BH) 29-31 16, (1 Jan BH) 4-8 Jan 21, 15 Jan 26,
    # 22 Jan 31, 29 Jan 36, 5 Feb 41, 8-11 Feb 45.
    ("assessment", date(2026, 12, 7), date(2027, 2, 11)),
    # Mon 1 Mar 2027: 2-5 4, 12 Mar 9, 19 Mar 14, 22-25 18 (26 GF, 29 EM), 30 Mar-2 Apr 22, 9 Apr 27, 16 Apr 32,
    # 23 Apr 37, 30 Apr 42, (3 May BH) 4-6 May 45.
    ("assessment", date(2027, 3, 1), date(2027, 5, 6)),
    # icpc, 15 working days
    # Wed 17 Dec 2025: 18, 19 (2), 22-24 (5), 29-31 (8), 2 Jan (9), 5-9 Jan (14), 12 Jan (15).
    ("icpc", date(2025, 12, 17), date(2026, 1, 12)),
    # Fri 27 Mar 2026: 30 Mar-2 Apr (4), (3, 6 Apr), 7-10 Apr (8), 13-17 (13), 20, 21 Apr (15).
    ("icpc", date(2026, 3, 27), date(2026, 4, 21)),
    # first-core-group, 10 working days
    # Fri 19 Dec 2025: 22-24 (3), 29-31 (6), 2 Jan (7), 5-7 Jan (10).
    ("first-core-group", date(2025, 12, 19), date(2026, 1, 7)),
    # Mon 22 Mar 2027: 23-25 (3), (26 GF, 29 EM), 30 Mar-2 Apr (7), 5-7 Apr (10).
    ("first-core-group", date(2027, 3, 22), date(2027, 4, 7)),
    # core-group, every 4 weeks (28 calendar days)
    ("core-group", date(2025, 12, 1), date(2025, 12, 29)),  # Monday 29 Dec 2025 is a working day
    ("core-group", date(2026, 11, 27), date(2026, 12, 24)),  # Fri 25 Dec 2026 -> Thu 24 Dec
    ("core-group", date(2027, 3, 1), date(2027, 3, 25)),  # Mon 29 Mar 2027 Easter Monday -> back past GF -> Thu 25
    # first-review-conference, 3 calendar months
    ("first-review-conference", date(2025, 9, 25), date(2025, 12, 24)),  # Thu 25 Dec 2025 -> Wed 24 Dec
    ("first-review-conference", date(2025, 12, 31), date(2026, 3, 31)),  # 31 Mar 2026 is a Tuesday
    ("first-review-conference", date(2026, 11, 30), date(2027, 2, 26)),  # 28 Feb 2027 (Sunday) -> Fri 26 Feb
    ("first-review-conference", date(2026, 1, 6), date(2026, 4, 2)),  # Easter Monday 6 Apr -> back past GF -> 2 Apr
    # review-conference, 6 calendar months
    ("review-conference", date(2027, 6, 25), date(2027, 12, 24)),  # Sat 25 Dec 2027 -> Fri 24 Dec
    ("review-conference", date(2024, 10, 18), date(2025, 4, 17)),  # Good Friday 18 Apr 2025 -> Thu 17 Apr
    ("review-conference", date(2025, 8, 29), date(2026, 2, 27)),  # 29 Feb 2026 doesn't exist: 28 Feb (Sat) -> 27
    # cp-visit, 10 working days (local default)
    # Thu 18 Dec 2025: 19 (1), 22-24 (4), 29-31 (7), 2 Jan (8), 5, 6 Jan (10).
    ("cp-visit", date(2025, 12, 18), date(2026, 1, 6)),
    # Tue 31 Mar 2026: 1, 2 Apr (2), (3 GF, 6 EM), 7-10 (6), 13-16 Apr (10).
    ("cp-visit", date(2026, 3, 31), date(2026, 4, 16)),
    # cin-visit, 20 working days (local default)
    # Mon 14 Dec 2026: 15-18 (4), 21-24 (8), (25, 28 Dec), 29-31 (11), (1 Jan), 4-8 Jan (16), 11-14 Jan (20).
    ("cin-visit", date(2026, 12, 14), date(2027, 1, 14)),
    # Mon 15 Mar 2027: 16-19 (4), 22-25 (8), (26 GF, 29 EM), 30 Mar-2 Apr (12), 5-9 Apr (17), 12-14 Apr (20).
    ("cin-visit", date(2027, 3, 15), date(2027, 4, 14)),
    # cin-review, every 12 weeks (84 calendar days)
    ("cin-review", date(2025, 10, 2), date(2025, 12, 24)),  # Thu 25 Dec 2025 -> Wed 24 Dec
    ("cin-review", date(2026, 1, 9), date(2026, 4, 2)),  # Good Friday 3 Apr 2026 -> Thu 2 Apr
    # stalled-case, 20 working days (local default)
    # Mon 8 Dec 2025: 9-12 (4), 15-19 (9), 22-24 (12), 29-31 (15), 2 Jan (16), 5-8 Jan (20).
    ("stalled-case", date(2025, 12, 8), date(2026, 1, 8)),
    # return-interview, 72 calendar hours: not moved off a weekend
    ("return-interview", date(2025, 12, 24), date(2025, 12, 27)),
    ("return-interview", date(2027, 3, 25), date(2027, 3, 28)),
    # children in care (CPPCR 2010)
    # care-plan, 10 working days. Fri 19 Dec 2025: 22-24 (3), 29-31 (6), 2 Jan (7), 5-7 Jan (10).
    ("care-plan", date(2025, 12, 19), date(2026, 1, 7)),
    # placement-plan, 5 working days. Wed 1 Apr 2026: 2 Apr (1), (3 GF, 6 EM), 7-10 Apr (5).
    ("placement-plan", date(2026, 4, 1), date(2026, 4, 10)),
    # cla-review-first, 20 working days. Mon 14 Dec 2026: 15-18 (4), 21-24 (8), (25, 28 Dec), 29-31 (11),
    # (1 Jan), 4-8 Jan (16), 11-14 Jan (20).
    ("cla-review-first", date(2026, 12, 14), date(2027, 1, 14)),
    ("cla-review-second", date(2025, 9, 25), date(2025, 12, 24)),  # 3 months: Thu 25 Dec 2025 -> Wed 24 Dec
    ("cla-review", date(2027, 6, 25), date(2027, 12, 24)),  # 6 months: Sat 25 Dec 2027 -> Fri 24 Dec
    ("cla-visit-first", date(2025, 12, 18), date(2025, 12, 24)),  # 1 week: Thu 25 Dec 2025 -> Wed 24 Dec
    ("cla-visit", date(2026, 11, 13), date(2026, 12, 24)),  # 6 weeks: Fri 25 Dec 2026 -> Thu 24 Dec
    ("cla-visit-long-term", date(2026, 1, 6), date(2026, 4, 2)),  # 3 months: Easter Monday 6 Apr -> back past GF
    # health-assessment-initial, 20 working days. Fri 27 Mar 2026: 30 Mar-2 Apr (4), (3 GF, 6 EM), 7-10 (8),
    # 13-17 (13), 20-24 (18), 27, 28 Apr (20).
    ("health-assessment-initial", date(2026, 3, 27), date(2026, 4, 28)),
    ("health-assessment-review-under-5", date(2024, 10, 18), date(2025, 4, 17)),  # 6 months: Good Friday 18 Apr
    # 12 months: Tue 28 Dec 2027 (Boxing Day substitute), Mon 27 (Christmas substitute), weekend -> Fri 24 Dec.
    ("health-assessment-review", date(2026, 12, 28), date(2027, 12, 24)),
    # pep-initial, 10 working days. Mon 22 Mar 2027: 23-25 (3), (26 GF, 29 EM), 30 Mar-2 Apr (7), 5-7 Apr (10).
    ("pep-initial", date(2027, 3, 22), date(2027, 4, 7)),
    # pathway-needs-assessment, 3 calendar months (CPPCR 2010 reg 42(1))
    ("pathway-needs-assessment", date(2026, 5, 10), date(2026, 8, 10)),
    ("pathway-needs-assessment", date(2025, 11, 30), date(2026, 2, 27)),  # 28 Feb 2026 is a Saturday
    # pathway-plan-review, 6 calendar months (CLR 2010 reg 7)
    ("pathway-plan-review", date(2025, 8, 31), date(2026, 2, 27)),  # 31 Aug + 6 months = 28 Feb, a Saturday
    ("pathway-plan-review", date(2026, 6, 25), date(2026, 12, 24)),  # Christmas Day brought forward
    # pa-contact, 2 calendar months (CLR 2010 reg 8(2)(c))
    ("pa-contact", date(2026, 3, 6), date(2026, 5, 6)),
    ("pa-contact", date(2026, 3, 31), date(2026, 5, 29)),  # 31 May is a Sunday: Friday 29 May
    # Early help (local standards, the defaults: Sefton / Hertfordshire): 15 working days, 6 weeks, 6 weeks, 12 months
    ("early-help-assessment", date(2026, 3, 2), date(2026, 3, 23)),
    ("early-help-assessment", date(2026, 3, 26), date(2026, 4, 20)),  # Good Friday and Easter Monday skipped
    ("early-help-first-meeting", date(2026, 3, 2), date(2026, 4, 13)),
    ("early-help-first-meeting", date(2026, 3, 23), date(2026, 5, 1)),  # 4 May is the early May bank holiday
    ("early-help-review", date(2026, 11, 16), date(2026, 12, 24)),  # 28 Dec: Boxing Day's substitute holiday
    ("early-help-reassessment", date(2026, 1, 15), date(2027, 1, 15)),
    ("early-help-reassessment", date(2028, 2, 29), date(2029, 2, 28)),
]


@pytest.mark.parametrize(("rule_id", "start", "expected"), CASES)
def test_due_dates_computed_by_hand(rule_id: str, start: date, expected: date) -> None:
    assert due_on(rule_id, start, settings=DEFAULTS) == expected


def test_every_rule_has_a_hand_computed_case() -> None:
    assert {rule_id for rule_id, _, _ in CASES} == set(RULE_IDS)
    for required in (
        "contact-decision",
        "assessment",
        "icpc",
        "first-core-group",
        "first-review-conference",
        "review-conference",
        "cp-visit",
        "core-group",
        "cin-review",
        "cin-visit",
        "stalled-case",
        "return-interview",
        "strategy-discussion",
    ):
        assert required in RULE_IDS


def test_every_rule_names_its_source_status_and_unit() -> None:
    for rule_id in RULE_IDS:
        rule = rule_for(rule_id, date(2026, 1, 1))
        assert rule.source and rule.trigger and rule.stop and rule.length > 0
        if rule.status is RuleStatus.LOCAL_STANDARD:
            assert rule.setting in DEFINITIONS and DEFINITIONS[rule.setting].default == rule.length


def test_local_lengths_come_from_the_settings() -> None:
    # cp visits every 5 working days instead of 10: Thu 18 Dec 2025 -> 19, 22, 23, 24, 29 Dec.
    assert due_on("cp-visit", date(2025, 12, 18), settings={**DEFAULTS, "timescales.cp_visit.working_days": 5}) == date(
        2025, 12, 29
    )
    # core groups every 6 weeks (Tees): Mon 1 Dec 2025 + 42 days = Mon 12 Jan 2026.
    assert due_on("core-group", date(2025, 12, 1), settings={**DEFAULTS, "timescales.core_group.weeks": 6}) == date(
        2026, 1, 12
    )


def test_statutory_lengths_are_not_settings() -> None:
    changed = {**DEFAULTS, "assessment": 10}
    assert due_on("assessment", date(2025, 12, 1), settings=changed) == date(2026, 2, 5)


def test_the_icpc_rule_in_force_on_the_clocks_start_date() -> None:
    before, after = rule_for("icpc", date(2023, 12, 14)), rule_for("icpc", date(2023, 12, 15))
    assert "2018" in before.source and "initiated" in before.anchor
    assert "2023" in after.source and "last strategy discussion" in after.anchor
    assert before.effective_to == date(2023, 12, 14) and after.effective_from == date(2023, 12, 15)


def test_an_unknown_rule_is_named() -> None:
    with pytest.raises(UnknownRule, match="no timescale called 'icpc2'"):
        due_on("icpc2", date(2025, 1, 1))


def test_the_explanation_names_the_bank_holidays_and_weekends_skipped() -> None:
    explanation = explain("assessment", date(2025, 12, 1), start_event="Referral on 2025-12-01", settings=DEFAULTS)
    assert explanation.bank_holidays_skipped == (
        (date(2025, 12, 25), "Christmas Day"),
        (date(2025, 12, 26), "Boxing Day"),
        (date(2026, 1, 1), "New Year's Day"),
    )
    # 1 Dec 2025 to 5 Feb 2026: 9 whole weekends.
    assert explanation.weekend_days_skipped == 18
    assert "Referral on 2025-12-01" in explanation.as_text()
    moved = explain("review-conference", date(2027, 6, 25), settings=DEFAULTS)
    assert moved.moved_from == date(2027, 12, 25) and "brought forward to 24 December 2027" in moved.counting


def test_the_return_interview_is_72_hours_to_the_minute() -> None:
    returned = datetime(2025, 12, 24, 22, 30, tzinfo=UTC)
    assert due_at("return-interview", returned) == datetime(2025, 12, 27, 22, 30, tzinfo=UTC)
    with pytest.raises(ValueError, match="working_days"):
        due_at("assessment", returned)


@pytest.mark.parametrize(
    ("due", "met", "today", "state"),
    [
        (date(2026, 1, 12), date(2026, 1, 12), date(2026, 2, 1), State.MET),
        (date(2026, 1, 12), date(2026, 1, 13), date(2026, 2, 1), State.MET_LATE),
        (date(2026, 1, 12), None, date(2026, 1, 13), State.OVERDUE),
        (date(2026, 1, 12), None, date(2026, 1, 12), State.DUE_SOON),  # due today is not yet overdue
        (date(2026, 1, 12), None, date(2026, 1, 5), State.DUE_SOON),  # 5 working days ahead
        (date(2026, 1, 12), None, date(2026, 1, 2), State.DUE),  # 6 working days ahead
    ],
)
def test_states(due: date, met: date | None, today: date, state: State) -> None:
    assert state_of(due, met, today) is state


# --- deriving deadlines from events -------------------------------------------------------------------------


def ev(kind: EventKind, on: date, source_id: int, *flags: str, **extra: Any) -> ClockEvent:
    return ClockEvent(kind, on, kind.value, source_id, 1, flags=frozenset(flags), **extra)


LENGTHS = Lengths(DEFAULTS)


def by_rule(derived: list, rule_id: str) -> list:
    return [d for d in derived if d.rule.id == rule_id]


def test_the_icpc_counts_from_the_last_strategy_discussion_under_wt2023() -> None:
    events = [
        ev(E.CASE_OPENED, date(2025, 12, 1), 1),
        ev(E.REFERRAL, date(2025, 12, 1), 1, "strategy_discussion"),
        ev(E.STRATEGY_DISCUSSION, date(2025, 12, 2), 1, "s47"),
        ev(E.STRATEGY_DISCUSSION, date(2025, 12, 17), 2, "s47"),
    ]
    [icpc] = by_rule(derive(1, events, LENGTHS), "icpc")
    assert icpc.start.source_id == 2 and icpc.due == date(2026, 1, 12)
    # The WT2018 wording, chosen by the local setting: from the discussion that started the enquiry.
    [first] = by_rule(
        derive(1, events, Lengths({**DEFAULTS, "timescales.icpc.from_first_strategy_discussion": True})), "icpc"
    )
    assert first.start.source_id == 1 and first.due == date(2025, 12, 23)


def test_an_icpc_clock_started_before_wt2023_counts_from_the_first_discussion() -> None:
    events = [
        ev(E.STRATEGY_DISCUSSION, date(2023, 12, 1), 1, "s47"),
        ev(E.STRATEGY_DISCUSSION, date(2023, 12, 6), 2, "s47"),
    ]
    [icpc] = by_rule(derive(1, events, LENGTHS), "icpc")
    assert icpc.start.source_id == 1 and "2018" in icpc.rule.source


def test_a_plan_brings_core_groups_reviews_and_visits_each_restarting_the_clock() -> None:
    events = [
        ev(E.ICPC, date(2025, 12, 19), 1, "plan"),
        ev(E.CP_PLAN_STARTED, date(2025, 12, 19), 1),
        ev(E.CORE_GROUP, date(2026, 1, 8), 1),
        ev(E.CP_VISIT, date(2025, 12, 30), 1),
        ev(E.CP_VISIT, date(2026, 1, 6), 2),
    ]
    derived = derive(1, events, LENGTHS)
    [first_core] = by_rule(derived, "first-core-group")
    assert first_core.due == date(2026, 1, 7) and first_core.met_on == date(2026, 1, 8)
    assert first_core.state(date(2026, 2, 1)) is State.MET_LATE
    [next_core] = by_rule(derived, "core-group")
    assert next_core.start.on == date(2026, 1, 8) and next_core.due == date(2026, 2, 5)
    visits = by_rule(derived, "cp-visit")
    assert [(v.start.on, v.due, v.met_on) for v in visits] == [
        (date(2025, 12, 19), date(2026, 1, 7), date(2025, 12, 30)),
        (date(2025, 12, 30), date(2026, 1, 14), date(2026, 1, 6)),
        (date(2026, 1, 6), date(2026, 1, 20), None),
    ]
    [review] = by_rule(derived, "first-review-conference")
    assert review.due == date(2026, 3, 19)


def test_a_plan_that_ended_stops_its_clocks() -> None:
    events = [
        ev(E.ICPC, date(2025, 12, 19), 1, "plan"),
        ev(E.CP_PLAN_STARTED, date(2025, 12, 19), 1),
        ev(E.CP_PLAN_ENDED, date(2025, 12, 23), 1),
    ]
    derived = derive(1, events, LENGTHS)
    assert not by_rule(derived, "cp-visit") and not by_rule(derived, "first-core-group")


def test_the_assessment_is_met_by_authorisation_and_carries_the_reason_it_was_late() -> None:
    events = [
        ev(E.REFERRAL, date(2025, 12, 1), 1, "referral_for_assessment"),
        ev(E.ASSESSMENT_COMPLETED, date(2026, 2, 9), 1, exceeded_reason="Family abroad for three weeks"),
    ]
    [assessment] = by_rule(derive(1, events, LENGTHS), "assessment")
    assert assessment.met_on == date(2026, 2, 9) and assessment.state(date(2026, 3, 1)) is State.MET_LATE
    assert assessment.exceeded_reason == "Family abroad for three weeks"


def test_forecast_an_assessment_with_no_visit_by_working_day_30() -> None:
    events = [ev(E.REFERRAL, date(2025, 12, 1), 1, "referral_for_assessment")]
    [assessment] = by_rule(derive(1, events, LENGTHS), "assessment")
    # 2-5 Dec (4), 12 Dec (9), 19 Dec (14), 22-24 (17), 29-31 (20), 2 Jan (21), 5-9 Jan (26), 12-15 Jan (30):
    # day 29 is Wed 14 Jan 2026, not yet; day 30 is Thu 15 Jan: no visit recorded -> forecast to be missed.
    assert forecast(assessment, events, date(2026, 1, 14)) is None
    predicted = forecast(assessment, events, date(2026, 1, 15))
    assert predicted is not None and "working day 30" in predicted.rationale
    visited = [*events, ev(E.ASSESSMENT_VISIT, date(2025, 12, 10), 1)]
    assert forecast(assessment, visited, date(2026, 1, 15)) is None


def test_forecast_visits_at_a_pace_slower_than_the_standard() -> None:
    visits = [date(2025, 9, 1), date(2025, 9, 16), date(2025, 10, 1), date(2025, 10, 16)]  # 11-12 wd apart
    events = [
        ev(E.ICPC, date(2025, 8, 29), 1, "plan"),
        ev(E.CP_PLAN_STARTED, date(2025, 8, 29), 1),
        *(ev(E.CP_VISIT, on, i) for i, on in enumerate(visits, start=1)),
    ]
    current = by_rule(derive(1, events, LENGTHS), "cp-visit")[-1]
    predicted = forecast(current, events, date(2025, 10, 17))
    assert predicted is not None and predicted.kind.value == "pace"


def test_forecast_a_conference_booked_after_its_deadline() -> None:
    events = [
        ev(E.STRATEGY_DISCUSSION, date(2025, 12, 2), 1, "s47"),
        ev(E.ICPC, date(2026, 1, 9), 1, booked_for=date(2026, 1, 9)),
    ]
    [icpc] = by_rule(derive(1, events, LENGTHS), "icpc")
    assert icpc.met_on is None and icpc.due == date(2025, 12, 23)
    predicted = forecast(icpc, events, date(2025, 12, 10))
    assert predicted is not None and predicted.kind.value == "booked_after_due"


def test_stalled_counts_from_the_last_recorded_activity() -> None:
    events = [
        ev(E.CASE_OPENED, date(2025, 11, 3), 1),
        ev(E.REFERRAL, date(2025, 11, 3), 1, "x"),
        ev(E.CASE_NOTE, date(2025, 12, 8), 5),
    ]
    [stalled] = by_rule(derive(1, events, LENGTHS), "stalled-case")
    assert stalled.start.source_id == 5 and stalled.due == date(2026, 1, 8)
    assert stalled.state(date(2026, 1, 9)) is State.OVERDUE


def test_a_closed_episode_stops_its_assessment_clock() -> None:
    events = [ev(E.REFERRAL, date(2025, 12, 1), 1, "x"), ev(E.CASE_CLOSED, date(2025, 12, 5), 1)]
    assert by_rule(derive(1, events, LENGTHS), "assessment") == []


# --- a plan's last clock: missed before the plan ended ("lapsed"), or stopped with it -------------------------------
# 10 working days from Mon 2 Feb 2026 is Mon 16 Feb; from 16 Feb, Mon 2 Mar; from Fri 27 Feb, Fri 13 Mar (no bank
# holidays in February or March 2026).


def cp_plan_events(ended: date | None, *, icpc: bool = True) -> list[ClockEvent]:
    events = [
        ev(E.CP_PLAN_STARTED, date(2026, 2, 2), 1),
        ev(E.CP_VISIT, date(2026, 2, 16), 1),
        ev(E.CP_VISIT, date(2026, 2, 27), 2),
    ]  # then no visit: the clock from 27 Feb is due Fri 13 Mar
    if icpc:
        events.append(ev(E.ICPC, date(2026, 2, 2), 1, "plan"))
    if ended is not None:
        events.append(ev(E.CP_PLAN_ENDED, ended, 1))
    return events


@pytest.mark.parametrize(
    ("ended", "lapsed"),
    [
        (date(2026, 3, 16), True),  # ended the Monday after the missed due date: missed
        (date(2026, 3, 13), True),  # ended on the due date itself with no visit: missed
        (date(2026, 3, 12), False),  # ended the day before it fell due: the clock stops with the plan
    ],
)
def test_a_visit_missed_before_a_plan_ended_is_kept_as_lapsed(ended: date, lapsed: bool) -> None:
    visits = by_rule(derive(1, cp_plan_events(ended), LENGTHS), "cp-visit")
    met = [
        (date(2026, 2, 2), date(2026, 2, 16), date(2026, 2, 16)),
        (date(2026, 2, 16), date(2026, 3, 2), date(2026, 2, 27)),
    ]
    assert [(v.start.on, v.due, v.met_on) for v in visits if not v.lapsed] == met
    missed = [v for v in visits if v.lapsed]
    if not lapsed:
        assert missed == []
        return
    [clock] = missed
    assert (clock.start.on, clock.due, clock.met_on) == (date(2026, 2, 27), date(2026, 3, 13), ended)
    assert clock.met_by is not None and clock.met_by.kind is E.CP_PLAN_ENDED
    assert clock.state(date(2026, 4, 1)) is State.LAPSED and not clock.state(date(2026, 4, 1)).open
    assert clock.forecast is None and forecast(clock, cp_plan_events(ended), date(2026, 3, 14)) is None


def test_an_open_plan_keeps_its_last_clock_open_and_overdue() -> None:
    [*_, current] = by_rule(derive(1, cp_plan_events(None), LENGTHS), "cp-visit")
    assert (current.due, current.met_on, current.lapsed) == (date(2026, 3, 13), None, False)
    assert current.state(date(2026, 3, 16)) is State.OVERDUE


def test_a_lapsed_clock_counts_bank_holidays_as_not_working_days() -> None:
    # From Thu 26 Mar 2026, 10 working days: 27, 30, 31 Mar, 1, 2 Apr (5), Good Friday 3 and Easter Monday 6 Apr
    # skipped, 7-10 Apr (9), Mon 13 Apr (10). Counted in calendar days it would be Thu 9 Apr.
    events = [
        ev(E.ICPC, date(2026, 3, 12), 1, "plan"),
        ev(E.CP_PLAN_STARTED, date(2026, 3, 12), 1),
        ev(E.CP_VISIT, date(2026, 3, 26), 1),
    ]
    before = by_rule(derive(1, [*events, ev(E.CP_PLAN_ENDED, date(2026, 4, 10), 1)], LENGTHS), "cp-visit")
    assert [v.lapsed for v in before] == [False]  # ended Fri 10 Apr, before the visit fell due
    after = by_rule(derive(1, [*events, ev(E.CP_PLAN_ENDED, date(2026, 4, 13), 1)], LENGTHS), "cp-visit")
    assert [(v.due, v.met_on, v.lapsed) for v in after] == [
        (date(2026, 3, 26), date(2026, 3, 26), False),
        (date(2026, 4, 13), date(2026, 4, 13), True),
    ]


@pytest.mark.parametrize(
    ("ended", "lapsed_due"),
    [
        (date(2026, 3, 2), date(2026, 2, 26)),  # the visit due Thu 26 Feb was not made before the plan ended
        (date(2026, 2, 25), None),  # the plan ended before it fell due
    ],
)
def test_a_child_in_need_visit_missed_before_the_plan_ended_is_lapsed(ended: date, lapsed_due: date | None) -> None:
    # 20 working days from Mon 5 Jan 2026 is Mon 2 Feb; from Thu 29 Jan, Thu 26 Feb. The review (12 weeks, 30 Mar)
    # fell due after the end either way: it stops with the plan.
    events = [
        ev(E.CIN_PLAN_STARTED, date(2026, 1, 5), 1),
        ev(E.CIN_VISIT, date(2026, 1, 29), 1),
        ev(E.CIN_PLAN_ENDED, ended, 1),
    ]
    derived = derive(1, events, LENGTHS)
    visits = by_rule(derived, "cin-visit")
    assert [(v.due, v.met_on) for v in visits if not v.lapsed] == [(date(2026, 2, 2), date(2026, 1, 29))]
    assert [(v.due, v.met_on) for v in visits if v.lapsed] == ([(lapsed_due, ended)] if lapsed_due else [])
    assert by_rule(derived, "cin-review") == []


def test_core_group_and_review_conference_clocks_lapse_too() -> None:
    # Core group every 4 weeks: from Mon 9 Feb 2026, due Mon 9 Mar; the plan ended Tue 10 Mar with none since.
    events = [
        ev(E.ICPC, date(2026, 2, 2), 1, "plan"),
        ev(E.CP_PLAN_STARTED, date(2026, 2, 2), 1),
        ev(E.CORE_GROUP, date(2026, 2, 9), 1),
        ev(E.CP_PLAN_ENDED, date(2026, 3, 10), 1),
    ]
    [core] = by_rule(derive(1, events, LENGTHS), "core-group")
    assert (core.due, core.met_on, core.lapsed) == (date(2026, 3, 9), date(2026, 3, 10), True)
    # Review conference at most every 6 months: from Thu 30 Apr 2026, due Fri 30 Oct; the plan ended Mon 2 Nov.
    events = [
        ev(E.ICPC, date(2026, 2, 2), 1, "plan"),
        ev(E.REVIEW_CONFERENCE, date(2026, 4, 30), 2),
        ev(E.CP_PLAN_ENDED, date(2026, 11, 2), 1),
    ]
    [review] = by_rule(derive(1, events, LENGTHS), "review-conference")
    assert (review.due, review.met_on, review.lapsed) == (date(2026, 10, 30), date(2026, 11, 2), True)


@pytest.mark.parametrize(
    ("ended", "core_group_lapsed", "review_lapsed"),
    [
        (date(2026, 2, 13), False, False),  # ended before the first core group was due (Mon 16 Feb)
        (date(2026, 2, 16), True, False),  # ended on that day with none held
        (date(2026, 5, 5), True, True),  # and after the first review conference was due (Sat 2 May, so Fri 1 May)
    ],
)
def test_a_first_core_group_or_review_not_held_before_the_plan_ended_is_lapsed(
    ended: date, core_group_lapsed: bool, review_lapsed: bool
) -> None:
    # T9: the first core group within 10 working days of the conference (Mon 2 Feb 2026: Mon 16 Feb); T11: the first
    # review within 3 months (Sat 2 May, brought forward to Fri 1 May).
    events = [
        ev(E.ICPC, date(2026, 2, 2), 1, "plan"),
        ev(E.CP_PLAN_STARTED, date(2026, 2, 2), 1),
        ev(E.CP_PLAN_ENDED, ended, 1),
    ]
    derived = derive(1, events, LENGTHS)
    cores, reviews = by_rule(derived, "first-core-group"), by_rule(derived, "first-review-conference")
    assert [(c.due, c.met_on, c.lapsed) for c in cores] == (
        [(date(2026, 2, 16), ended, True)] if core_group_lapsed else []
    )
    assert [(r.due, r.met_on, r.lapsed) for r in reviews] == (
        [(date(2026, 5, 1), ended, True)] if review_lapsed else []
    )
    assert all(c.state(date(2026, 6, 1)) is State.LAPSED for c in cores + reviews)


def test_a_plan_without_an_initial_conference_gets_visit_clocks_only() -> None:
    derived = derive(1, cp_plan_events(None, icpc=False), LENGTHS)
    assert [(v.start.on, v.due, v.met_on) for v in by_rule(derived, "cp-visit")] == [
        (date(2026, 2, 2), date(2026, 2, 16), date(2026, 2, 16)),
        (date(2026, 2, 16), date(2026, 3, 2), date(2026, 2, 27)),
        (date(2026, 2, 27), date(2026, 3, 13), None),
    ]
    assert all(
        not by_rule(derived, rule)
        for rule in ("first-core-group", "core-group", "first-review-conference", "review-conference")
    )
    # Ended after the visit fell due: lapsed, as for a plan made by a conference.
    ended = by_rule(derive(1, cp_plan_events(date(2026, 3, 16), icpc=False), LENGTHS), "cp-visit")
    assert [(v.due, v.met_on, v.lapsed) for v in ended][-1] == (date(2026, 3, 13), date(2026, 3, 16), True)


def test_a_plan_with_its_conference_is_counted_once() -> None:
    with_icpc = by_rule(derive(1, cp_plan_events(None), LENGTHS), "cp-visit")
    without = by_rule(derive(1, cp_plan_events(None, icpc=False), LENGTHS), "cp-visit")
    assert len(with_icpc) == 3 and [(v.start, v.due, v.met_on) for v in with_icpc] == [
        (v.start, v.due, v.met_on) for v in without
    ]
    # The plan record dated a few days after its conference is the conference's plan too.
    late_record = [ev(E.ICPC, date(2026, 2, 2), 1, "plan"), ev(E.CP_PLAN_STARTED, date(2026, 2, 4), 1)]
    assert len(by_rule(derive(1, late_record, LENGTHS), "cp-visit")) == 1


def test_a_plan_carried_over_after_an_earlier_plan_ended_gets_its_own_visits() -> None:
    # A conference's plan from 2 Feb to 16 Mar 2026 (its visit due 13 Mar missed), then a plan carried over on a
    # transfer-in from Mon 4 May 2026 with no conference: 10 working days on is Mon 18 May (no bank holiday).
    events = [*cp_plan_events(date(2026, 3, 16)), ev(E.CP_PLAN_STARTED, date(2026, 5, 4), 2)]
    visits = by_rule(derive(1, events, LENGTHS), "cp-visit")
    assert [(v.start.on, v.due, v.met_on, v.lapsed) for v in visits] == [
        (date(2026, 2, 2), date(2026, 2, 16), date(2026, 2, 16), False),
        (date(2026, 2, 16), date(2026, 3, 2), date(2026, 2, 27), False),
        (date(2026, 2, 27), date(2026, 3, 13), date(2026, 3, 16), True),
        (date(2026, 5, 4), date(2026, 5, 18), None, False),
    ]
    # The first plan ended with no core group held (due Mon 16 Feb): that clock lapsed. The second, with no
    # conference, brings none.
    assert [(c.due, c.met_on, c.lapsed) for c in by_rule(derive(1, events, LENGTHS), "first-core-group")] == [
        (date(2026, 2, 16), date(2026, 3, 16), True)
    ]


def test_state_of_a_lapsed_clock() -> None:
    assert state_of(date(2026, 3, 13), date(2026, 3, 16), date(2026, 3, 20), lapsed=True) is State.LAPSED
    assert State.LAPSED.label == "Not met: plan ended" and not State.LAPSED.open


@pytest.mark.parametrize(("made_by_conference", "chains"), [(True, 1), (False, 2)])
def test_a_plan_dated_the_day_before_the_conference_that_made_it_is_that_conferences_plan(
    made_by_conference: bool, chains: int
) -> None:
    # The plan was recorded as starting Mon 9 Feb 2026; the conference that made it was held Tue 10 Feb, with a
    # visit that day. Linked to its conference (events.py flags it), it is the conference's plan: one chain of
    # visits. Unlinked, it is a plan of its own until the conference's (a plan carried over, then a conference).
    flags = ("conference",) if made_by_conference else ()
    events = [
        ev(E.CP_PLAN_STARTED, date(2026, 2, 9), 1, *flags),
        ev(E.ICPC, date(2026, 2, 10), 1, "plan"),
        ev(E.CP_VISIT, date(2026, 2, 10), 1),
    ]
    met_by_the_visit = [v for v in by_rule(derive(1, events, LENGTHS), "cp-visit") if v.met_on == date(2026, 2, 10)]
    assert len(met_by_the_visit) == chains
