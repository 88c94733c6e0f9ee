"""Deriving a child's deadlines from their events: pure (no database, no clock), one function per family of clocks.

Each family starts its rule's clock (``rules.RULES``) on one of the rule's ``starts`` events and meets it with its
``stops`` event (tests/timescales/test_derive.py); a plan's clock left unmet when the plan ended is "lapsed",
stopped by the plan's end. Counting and the rule versions are ``rules``'; the readers of the events are each
capability's (``events``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from operator import itemgetter

from safeguarding.timescales.rules import (
    NOT_ACTIVITY,
    ClockEvent,
    Derived,
    EventKind,
    Lengths,
    compute_due,
    rule_for,
)

STRATEGY_ROUTES = frozenset({"strategy_discussion", "immediate_protection"})
_BY_DAY = itemgetter(1, 3)  # a ClockEvent's (on, source_id): events in the order they happened


def _clock(
    person_id: int, rule_id: str, start: ClockEvent, lengths: Lengths, stop: ClockEvent | None = None
) -> Derived:
    rule = rule_for(rule_id, start.on)
    length = lengths.of(rule)
    due = start.due_hint if start.due_hint is not None else compute_due(rule, start.on, length)[0]
    derived = Derived(person_id, rule, start, due, length)
    if stop is not None:
        derived.met_on, derived.met_by = stop.on, stop
        derived.exceeded_reason = stop.exceeded_reason
    return derived


def _first_after(events: list[ClockEvent], kind: EventKind, on: date, before: date | None = None) -> ClockEvent | None:
    for event in events:
        if event.kind is kind and event.on >= on and (before is None or event.on < before):
            return event
    return None


def _recurring(
    person_id: int,
    rule_id: str,
    opened: ClockEvent,
    stops: list[ClockEvent],
    end: date | None,
    lengths: Lengths,
    ended: ClockEvent | None = None,
) -> list[Derived]:
    """A chain of 'at least every N' clocks: the opening event, then each stop restarts the clock, until ``end``
    (``ended``: the plan-end event on that day, when the plan's end is recorded)."""
    result: list[Derived] = []
    start = opened
    for stop in sorted(stops, key=_BY_DAY):
        if stop.on < start.on or (end is not None and stop.on > end):
            continue
        result.append(_clock(person_id, rule_id, start, lengths, stop))
        start = stop
    if end is None:
        result.append(_clock(person_id, rule_id, start, lengths))
    else:
        # "At least every N" holds for as long as the plan lasts (rules T10, T12, T13, T15, T16, from the plan's
        # start or the last visit / meeting; docs/timescales.md).
        result.extend(_lapsed(person_id, rule_id, start, lengths, ended))
    return result


def _lapsed(
    person_id: int, rule_id: str, start: ClockEvent, lengths: Lengths, ended: ClockEvent | None
) -> list[Derived]:
    """A plan's clock left unmet when the plan ended (``ended``: its end, when recorded): one that fell due on or
    before that day was missed, so it is kept, stopped by the end ("lapsed"); one due after it simply stops with
    the plan."""
    if ended is None:
        return []
    clock = _clock(person_id, rule_id, start, lengths)
    if clock.due > ended.on:
        return []
    clock.met_on, clock.met_by, clock.lapsed = ended.on, ended, True
    return [clock]


Events = dict[EventKind, list[ClockEvent]]  # a child's events by kind, each list in day order


def derive(person_id: int, events: list[ClockEvent], lengths: Lengths) -> list[Derived]:
    """Every deadline of one child from their events (sorted or not). Pure: no database, no clock. One function per
    family of clocks, each starting a rule's clock on one of its ``starts`` events and meeting it with its
    ``stops`` (tests/timescales/test_derive.py)."""
    events = sorted(events, key=_BY_DAY)
    by_kind: Events = {}
    for event in events:
        by_kind.setdefault(event.kind, []).append(event)
    plans, plan_clocks = _child_protection_plans(person_id, by_kind, lengths)
    return [
        *_contact_decisions(person_id, by_kind, lengths),
        *_referral_clocks(person_id, events, by_kind, lengths),
        *_initial_conferences(person_id, by_kind, lengths),
        *plan_clocks,
        *_plans_without_conference(person_id, by_kind, lengths, plans),
        *_child_in_need_plans(person_id, by_kind, lengths),
        *_return_interviews(person_id, by_kind, lengths),
        *_periods_of_care(person_id, by_kind, lengths),
        *_stalled(person_id, events, by_kind, lengths),
        *_care_leaver(person_id, by_kind, lengths),
        *_early_help(person_id, by_kind, lengths),
    ]


def _contact_decisions(person_id: int, by_kind: Events, lengths: Lengths) -> list[Derived]:
    """T1: contacts about the child not yet decided, or decided (met) -- due date from the MASH's own deadline."""
    decided = {e.stops_source_id: e for e in by_kind.get(EventKind.CONTACT_DECIDED, [])}
    return [
        _clock(person_id, "contact-decision", contact, lengths, decided.get(contact.source_id))
        for contact in by_kind.get(EventKind.CONTACT_RECEIVED, [])
    ]


def _referral_clocks(person_id: int, events: list[ClockEvent], by_kind: Events, lengths: Lengths) -> list[Derived]:
    """T3 and T4: each referral's assessment, and its strategy discussion on the strategy routes, within its
    episode (to its closure or the next referral); none for an episode that closed without one."""
    out: list[Derived] = []
    closures = by_kind.get(EventKind.CASE_CLOSED, [])
    referrals = by_kind.get(EventKind.REFERRAL, [])
    for index, referral in enumerate(referrals):
        next_referral = referrals[index + 1].on if index + 1 < len(referrals) else None
        closed = _first_after(closures, EventKind.CASE_CLOSED, referral.on, next_referral)
        episode_end = closed.on if closed else next_referral
        done = _first_after(events, EventKind.ASSESSMENT_COMPLETED, referral.on, episode_end)
        if done is not None or closed is None:
            out.append(_clock(person_id, "assessment", referral, lengths, done))
        if referral.flags & STRATEGY_ROUTES:
            held = _first_after(events, EventKind.STRATEGY_DISCUSSION, referral.on, episode_end)
            if held is not None or closed is None:
                out.append(_clock(person_id, "strategy-discussion", referral, lengths, held))
    return out


def _initial_conferences(person_id: int, by_kind: Events, lengths: Lengths) -> list[Derived]:
    """T7: ICPC from the last strategy discussion deciding on s47 before the conference (WT2023), or the one that
    started the enquiry (WT2018 / the local setting)."""
    out: list[Derived] = []
    closures = by_kind.get(EventKind.CASE_CLOSED, [])
    icpcs = by_kind.get(EventKind.ICPC, [])
    s47_discussions = [e for e in by_kind.get(EventKind.STRATEGY_DISCUSSION, []) if "s47" in e.flags]
    used_icpcs: set[int] = set()
    groups: list[list[ClockEvent]] = []
    for discussion in s47_discussions:
        if groups and not any(icpc.on >= groups[-1][0].on and icpc.on < discussion.on for icpc in icpcs):
            groups[-1].append(discussion)
        else:
            groups.append([discussion])
    for group in groups:
        held = next((i for i in icpcs if i.on >= group[0].on and i.source_id not in used_icpcs), None)
        first_rule = rule_for("icpc", group[0].on)
        from_first = lengths.icpc_from_first or first_rule.effective_to is not None
        candidates = [d for d in group if held is None or d.on <= held.on]
        anchor = group[0] if from_first else candidates[-1]
        if held is not None:
            used_icpcs.add(held.source_id)
        elif any(e.kind is EventKind.CASE_CLOSED and e.on >= anchor.on for e in closures) or any(
            e.on >= anchor.on for e in by_kind.get(EventKind.S47_COMPLETED, []) if "no_icpc" in e.flags
        ):
            continue  # the enquiry ended without a conference: no ICPC is due
        clock = _clock(person_id, "icpc", anchor, lengths, held if held is None or held.booked_for is None else None)
        if held is not None and held.booked_for is not None:
            clock.booked_for = held.booked_for
        out.append(clock)
    return out


def _plan_icpcs(by_kind: Events) -> list[ClockEvent]:
    """Initial conferences held that made a child protection plan."""
    return [i for i in by_kind.get(EventKind.ICPC, []) if "plan" in i.flags and i.booked_for is None]


def _child_protection_plans(
    person_id: int, by_kind: Events, lengths: Lengths
) -> tuple[list[tuple[date, date | None]], list[Derived]]:
    """T9-T13: each plan an initial conference made -- its core groups, review conferences and visits, from the
    conference to the plan's end. Returns each such plan's span (from the conference to its end) and the clocks."""
    out: list[Derived] = []
    plan_ends = by_kind.get(EventKind.CP_PLAN_ENDED, [])
    plan_icpcs = _plan_icpcs(by_kind)
    plan_starts = by_kind.get(EventKind.CP_PLAN_STARTED, [])
    cp_visits = by_kind.get(EventKind.CP_VISIT, [])
    plan_spans: list[tuple[date, date | None]] = []
    for index, icpc in enumerate(plan_icpcs):
        later = plan_icpcs[index + 1].on if index + 1 < len(plan_icpcs) else None
        ended = _first_after(plan_ends, EventKind.CP_PLAN_ENDED, icpc.on, later)
        end = ended.on if ended else later
        core_groups = [
            e for e in by_kind.get(EventKind.CORE_GROUP, []) if e.on >= icpc.on and (end is None or e.on <= end)
        ]
        first = core_groups[0] if core_groups else None
        if first is not None or end is None:
            out.append(_clock(person_id, "first-core-group", icpc, lengths, first))
        else:  # T9: the plan ended with no core group held
            out.extend(_lapsed(person_id, "first-core-group", icpc, lengths, ended))
        if first is not None:
            out.extend(_recurring(person_id, "core-group", first, core_groups[1:], end, lengths, ended))
        reviews = [
            e for e in by_kind.get(EventKind.REVIEW_CONFERENCE, []) if e.on >= icpc.on and (end is None or e.on <= end)
        ]
        held_reviews = [r for r in reviews if r.booked_for is None]
        booked = [r for r in reviews if r.booked_for is not None]
        first_review = held_reviews[0] if held_reviews else None
        if first_review is not None or end is None:
            clock = _clock(person_id, "first-review-conference", icpc, lengths, first_review)
            if first_review is None and booked:
                clock.booked_for = booked[0].booked_for
            out.append(clock)
        else:  # T11: the plan ended with no review conference held
            out.extend(_lapsed(person_id, "first-review-conference", icpc, lengths, ended))
        if first_review is not None:
            chain = _recurring(person_id, "review-conference", first_review, held_reviews[1:], end, lengths, ended)
            if chain and chain[-1].met_on is None and booked:
                chain[-1].booked_for = booked[0].booked_for
            out.extend(chain)
        plan_start = next((p for p in plan_starts if p.on >= icpc.on and (end is None or p.on <= end)), icpc)
        visits = [v for v in cp_visits if v.on >= plan_start.on]
        out.extend(_recurring(person_id, "cp-visit", plan_start, visits, end, lengths, ended))
        plan_spans.append((icpc.on, end))
    return plan_spans, out


def _plans_without_conference(
    person_id: int, by_kind: Events, lengths: Lengths, plan_spans: list[tuple[date, date | None]]
) -> list[Derived]:
    """T13 ("CP plan start / last visit"): a plan recorded with no initial conference that made it -- no plan
    conference on or before its start whose plan was still running (one carried over on a transfer-in) -- still
    has its visits, from the plan's start to its end (or the next plan). Its core group (T9, T10) and review
    conference (T11, T12) clocks count from the initial conference, which it has not got: none are derived.
    A plan start within a conference's plan is that plan's (its visits are counted there, not again here), and
    so is one recorded as made by a conference ("conference": events.py), even if dated before it."""
    out: list[Derived] = []
    plan_starts = by_kind.get(EventKind.CP_PLAN_STARTED, [])
    plan_ends = by_kind.get(EventKind.CP_PLAN_ENDED, [])
    cp_visits = by_kind.get(EventKind.CP_VISIT, [])
    boundaries = sorted({i.on for i in _plan_icpcs(by_kind)} | {p.on for p in plan_starts})
    started_days: set[date] = set()
    for plan in plan_starts:
        if (
            plan.on in started_days
            or "conference" in plan.flags
            or any(began <= plan.on and (until is None or plan.on <= until) for began, until in plan_spans)
        ):
            continue
        started_days.add(plan.on)  # two starts recorded on one day are one plan
        later = next((day for day in boundaries if day > plan.on), None)
        ended = _first_after(plan_ends, EventKind.CP_PLAN_ENDED, plan.on, later)
        end = ended.on if ended else later
        visits = [v for v in cp_visits if v.on >= plan.on]
        out.extend(_recurring(person_id, "cp-visit", plan, visits, end, lengths, ended))
    return out


def _child_in_need_plans(person_id: int, by_kind: Events, lengths: Lengths) -> list[Derived]:
    """T15 and T16: each child in need plan's visits and reviews, to its end (or the next plan)."""
    out: list[Derived] = []
    cin_ends = by_kind.get(EventKind.CIN_PLAN_ENDED, [])
    cin_starts = by_kind.get(EventKind.CIN_PLAN_STARTED, [])
    for index, plan in enumerate(cin_starts):
        later = cin_starts[index + 1].on if index + 1 < len(cin_starts) else None
        ended = _first_after(cin_ends, EventKind.CIN_PLAN_ENDED, plan.on, later)
        end = ended.on if ended else later
        visits = [v for v in by_kind.get(EventKind.CIN_VISIT, []) if v.on >= plan.on]
        out.extend(_recurring(person_id, "cin-visit", plan, visits, end, lengths, ended))
        reviews = [v for v in by_kind.get(EventKind.CIN_REVIEW, []) if v.on >= plan.on]
        out.extend(_recurring(person_id, "cin-review", plan, reviews, end, lengths, ended))
    return out


def _return_interviews(person_id: int, by_kind: Events, lengths: Lengths) -> list[Derived]:
    """T32: a return interview within 72 hours of each return from a missing episode."""
    interviews = by_kind.get(EventKind.RETURN_INTERVIEW, [])
    return [
        _clock(
            person_id,
            "return-interview",
            returned,
            lengths,
            next((i for i in interviews if i.stops_source_id == returned.source_id), None),
        )
        for returned in by_kind.get(EventKind.MISSING_RETURN, [])
    ]


def _chain(
    person_id: int,
    rule_of: Callable[[ClockEvent], str],
    opened: ClockEvent,
    stops: list[ClockEvent],
    end: date | None,
    lengths: Lengths,
    ended: ClockEvent | None,
) -> list[Derived]:
    """``_recurring`` where the rule of each clock depends on the event that starts it (``rule_of``): a review health
    assessment is 6-monthly under 5 and yearly after; a visit 3-monthly after the first year of a long-term
    placement."""
    result: list[Derived] = []
    start = opened
    for stop in stops:
        if stop.on < start.on or (end is not None and stop.on > end):
            continue
        result.append(_clock(person_id, rule_of(start), start, lengths, stop))
        start = stop
    if end is None:
        result.append(_clock(person_id, rule_of(start), start, lengths))
    else:
        result.extend(_lapsed(person_id, rule_of(start), start, lengths, ended))
    return result


def _once(
    person_id: int,
    rule_id: str,
    start: ClockEvent,
    stop: ClockEvent | None,
    ended: ClockEvent | None,
    lengths: Lengths,
) -> list[Derived]:
    """A clock met once: met by ``stop``, open, or (the period or placement over without it) lapsed if it was due."""
    if stop is not None or ended is None:
        return [_clock(person_id, rule_id, start, lengths, stop)]
    return _lapsed(person_id, rule_id, start, lengths, ended)


def _periods_of_care(person_id: int, by_kind: Events, lengths: Lengths) -> list[Derived]:
    """Care plan, first reviews and reviews, initial and review health assessments and the PEP of each period of
    care (CARE_STARTED to CARE_ENDED); the placement plan and visits of each placement within it (to the next
    placement or the period's end). Plans may be dated before the period or placement they belong to (made
    before the placement): they are matched by their source (``stops_source_id``), not by date."""
    out: list[Derived] = []
    starts = by_kind.get(EventKind.CARE_STARTED, [])
    ends = {e.stops_source_id: e for e in by_kind.get(EventKind.CARE_ENDED, [])}
    plans = {e.stops_source_id: e for e in by_kind.get(EventKind.CARE_PLAN, [])}
    placement_plans = {e.stops_source_id: e for e in by_kind.get(EventKind.PLACEMENT_PLAN, [])}
    for index, started in enumerate(starts):
        ended = ends.get(started.source_id)
        later = starts[index + 1].on if index + 1 < len(starts) else None
        end = ended.on if ended else later

        def within(kind: EventKind, on: date = started.on, until: date | None = end) -> list[ClockEvent]:
            return [e for e in by_kind.get(kind, []) if e.on >= on and (until is None or e.on <= until)]

        out.extend(_once(person_id, "care-plan", started, plans.get(started.source_id), ended, lengths))
        reviews = within(EventKind.LAC_REVIEW)
        out.extend(_once(person_id, "cla-review-first", started, reviews[0] if reviews else None, ended, lengths))
        if reviews:
            second = reviews[1] if len(reviews) > 1 else None
            out.extend(_once(person_id, "cla-review-second", reviews[0], second, ended, lengths))
            if second is not None:
                out.extend(_recurring(person_id, "cla-review", second, reviews[2:], end, lengths, ended))
        assessments = within(EventKind.HEALTH_ASSESSMENT)
        first = assessments[0] if assessments else None
        out.extend(_once(person_id, "health-assessment-initial", started, first, ended, lengths))
        if first is not None:
            out.extend(_chain(person_id, _health_review, first, assessments[1:], end, lengths, ended))
        peps = within(EventKind.PEP)
        out.extend(_once(person_id, "pep-initial", started, peps[0] if peps else None, ended, lengths))
        placements = within(EventKind.PLACEMENT_STARTED)
        for number, placed in enumerate(placements):
            moved = placements[number + 1] if number + 1 < len(placements) else None
            # A placement ends with the next (a move ends nothing it is not: the move starts its own clocks) or
            # with the period of care.
            placement_end = moved if moved is not None else ended
            until = placement_end.on if placement_end is not None else end
            plan = placement_plans.get(placed.source_id)
            out.extend(_once(person_id, "placement-plan", placed, plan, placement_end, lengths))
            visits = within(EventKind.CLA_VISIT, placed.on, until)
            if moved is not None:
                visits = [v for v in visits if v.on < moved.on]  # a visit on the day of the move is the new one's
            first_visit = visits[0] if visits else None
            out.extend(_once(person_id, "cla-visit-first", placed, first_visit, placement_end, lengths))
            if first_visit is not None:
                out.extend(
                    _chain(person_id, _visit_rule(placed), first_visit, visits[1:], until, lengths, placement_end)
                )
    return out


def _health_review(assessment: ClockEvent) -> str:
    return "health-assessment-review-under-5" if "under_5" in assessment.flags else "health-assessment-review"


def _visit_rule(placed: ClockEvent) -> Callable[[ClockEvent], str]:
    """T22 / T23: 6-weekly, and 3-monthly from a visit after the first year of a placement intended to last until
    the child is 18."""
    long_term = "long_term" in placed.flags
    try:
        year_on = placed.on.replace(year=placed.on.year + 1)
    except ValueError:  # placed on 29 February
        year_on = date(placed.on.year + 1, 3, 1)

    def rule_of(visit: ClockEvent) -> str:
        return "cla-visit-long-term" if long_term and visit.on >= year_on else "cla-visit"

    return rule_of


def _stalled(person_id: int, events: list[ClockEvent], by_kind: Events, lengths: Lengths) -> list[Derived]:
    """Stalled: the last recorded activity on an open case. Only the open clock is kept (not a history)."""
    opened = by_kind.get(EventKind.CASE_OPENED)
    closures = by_kind.get(EventKind.CASE_CLOSED, [])
    if not opened or any(c.on >= opened[-1].on for c in closures):
        return []
    # The latest activity (events are in day order); on its day the first event other than the allocation, else
    # the first allocation.
    last: ClockEvent | None = None
    for event in reversed(events):
        if last is not None and event.on < last.on:
            break
        if (
            event.kind not in NOT_ACTIVITY
            and event.booked_for is None
            and (last is None or event.kind is not EventKind.CASE_OPENED or last.kind is EventKind.CASE_OPENED)
        ):
            last = event
    return [_clock(person_id, "stalled-case", last, lengths)] if last is not None else []


def _care_leaver(person_id: int, by_kind: Events, lengths: Lengths) -> list[Derived]:
    """T31, T28 and L21 for a care leaver, to the 25th birthday or the end of services (``CARE_LEAVER_ENDED``):
    the needs assessment within three months of becoming eligible or relevant, the pathway plan reviewed at least
    every six months from the first plan (a plan written again is reviewed at the review that changed it: only
    reviews meet the clock), and a personal adviser visit at least every two months from the adviser's naming."""
    ends = by_kind.get(EventKind.CARE_LEAVER_ENDED)
    ended = ends[0] if ends else None
    end = ended.on if ended is not None else None
    out: list[Derived] = []
    eligible = by_kind.get(EventKind.CARE_LEAVER_ELIGIBLE)
    if eligible:
        start = eligible[0]
        assessments = by_kind.get(EventKind.NEEDS_ASSESSMENT, [])
        # The first assessment completed since; or one completed before (begun ahead of the 16th birthday).
        done = _first_after(assessments, EventKind.NEEDS_ASSESSMENT, start.on) or (
            assessments[-1] if assessments else None
        )
        if done is not None and (end is None or done.on <= end):
            out.append(_clock(person_id, "pathway-needs-assessment", start, lengths, done))
        elif end is None:
            out.append(_clock(person_id, "pathway-needs-assessment", start, lengths))
        else:
            out.extend(_lapsed(person_id, "pathway-needs-assessment", start, lengths, ended))
    plans = by_kind.get(EventKind.PATHWAY_PLAN, [])
    if plans:
        reviews = by_kind.get(EventKind.PATHWAY_PLAN_REVIEW, [])
        out.extend(_recurring(person_id, "pathway-plan-review", plans[0], reviews, end, lengths, ended))
    named = by_kind.get(EventKind.ADVISER_NAMED)
    if named:
        visits = by_kind.get(EventKind.ADVISER_VISIT, [])
        out.extend(_recurring(person_id, "pa-contact", named[0], visits, end, lengths, ended))
    return out


# The flags early_help/timescale_events.py puts on the event each early help clock counts from (the council's anchor,
# a local setting the reader applies: early_help.rules.anchor_day).
EARLY_HELP_ASSESSMENT_ANCHOR = "eh_assessment_anchor"
EARLY_HELP_MEETING_ANCHOR = "eh_meeting_anchor"
# Each clock counts only from the events its rule may start on (EH1 and EH2 offer different anchors).
_EARLY_HELP_ANCHORS = {
    EARLY_HELP_ASSESSMENT_ANCHOR: (
        EventKind.EARLY_HELP_STARTED,
        EventKind.EARLY_HELP_CONSENT,
        EventKind.EARLY_HELP_NEED_IDENTIFIED,
        EventKind.EARLY_HELP_DECIDED,
    ),
    EARLY_HELP_MEETING_ANCHOR: (
        EventKind.EARLY_HELP_STARTED,
        EventKind.EARLY_HELP_CONSENT,
        EventKind.EARLY_HELP_DECIDED,
        EventKind.EARLY_HELP_ASSESSMENT,
    ),
}


def _early_help(person_id: int, by_kind: Events, lengths: Lengths) -> list[Derived]:
    """EH1-EH4 for each early help episode the child is in (events grouped by ``stops_source_id``, the episode), to
    the episode's end: the assessment completed within N working days of the anchor, the first team around the
    family meeting within N weeks of its anchor, meetings at least every N weeks from the first, and a new
    assessment N months after the last. A clock due by the day the episode ended without being met is lapsed."""
    started = by_kind.get(EventKind.EARLY_HELP_STARTED)
    if not started:
        return []
    out: list[Derived] = []
    ends = {e.stops_source_id: e for e in by_kind.get(EventKind.EARLY_HELP_ENDED, [])}
    for opened in started:
        episode = opened.stops_source_id
        ended = ends.get(episode)
        end = ended.on if ended is not None else None

        def of(kind: EventKind, episode: int | None = episode) -> list[ClockEvent]:
            return [e for e in by_kind.get(kind, []) if e.stops_source_id == episode]

        def anchor(flag: str) -> ClockEvent | None:
            return next((e for kind in _EARLY_HELP_ANCHORS[flag] for e in of(kind) if flag in e.flags), None)

        assessments = [e for e in of(EventKind.EARLY_HELP_ASSESSMENT) if end is None or e.on <= end]
        meetings = [e for e in of(EventKind.EARLY_HELP_MEETING) if end is None or e.on <= end]
        start = anchor(EARLY_HELP_ASSESSMENT_ANCHOR)
        if start is not None:
            # The first assessment completed since the anchor; or one completed before it (begun ahead of consent).
            done = next((a for a in assessments if a.on >= start.on), assessments[0] if assessments else None)
            out.extend(_once(person_id, "early-help-assessment", start, done, ended, lengths))
        start = anchor(EARLY_HELP_MEETING_ANCHOR)
        if start is not None:
            first = next((m for m in meetings if m.on >= opened.on), None)
            out.extend(_once(person_id, "early-help-first-meeting", start, first, ended, lengths))
        if meetings:
            out.extend(_recurring(person_id, "early-help-review", meetings[0], meetings[1:], end, lengths, ended))
        if assessments:
            out.extend(
                _recurring(person_id, "early-help-reassessment", assessments[0], assessments[1:], end, lengths, ended)
            )
    return out
