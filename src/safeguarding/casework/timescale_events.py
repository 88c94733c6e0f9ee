"""Case work's clock events, supplied to timescales: which children's cases are open, and the events of their
episodes (referral, allocation, assessment, strategy discussion, section 47, conferences, plans, core groups,
visits, reviews, notes and supervision). The one place that knows case work's columns for the deadlines.

Registered with ``timescales.events`` on import (``casework/__init__.py`` imports this module).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, func, select

from safeguarding.casework.models import (
    Allocation,
    Assessment,
    CaseNote,
    ChildInNeedPlan,
    ChildInNeedReview,
    ChildProtectionConference,
    ChildProtectionPlan,
    CoreGroupMeeting,
    Referral,
    Section47Enquiry,
    StrategyDiscussion,
    Supervision,
    SupervisionCase,
    Visit,
)
from safeguarding.timescales import events as timescales
from safeguarding.timescales.events import Reading, Share, dated_rows
from safeguarding.timescales.rules import ClockEvent, EventKind

E = EventKind

# Visit kinds (Visit.kind) and the clock each meets when the child was seen.
VISIT_EVENTS = {"cp": E.CP_VISIT, "cin": E.CIN_VISIT, "assessment": E.ASSESSMENT_VISIT}
STATUTORY_VISITS = ("cp", "cin")  # each one read: they meet and restart the visiting clocks
# A section 47 outcome other than this means no initial conference is needed (CIN census ICPCnotRequired).
S47_OUTCOME_ICPC = "icpc"


def open_children_query(share: Share | None = None) -> Any:
    """Children whose case is open: an open allocation, or an episode of need not yet closed (of one share)."""
    allocated = select(Allocation.person_id).where(Allocation.ended_at.is_(None))
    referred = select(Referral.person_id).where(Referral.closed_date.is_(None))
    if share is not None:
        allocated = allocated.where(share.holds(Allocation.person_id))
        referred = referred.where(share.holds(Referral.person_id))
    return allocated.union(referred)


def open_among(ids: list[int]) -> list[Any]:
    return [
        select(Allocation.person_id).where(Allocation.person_id.in_(ids), Allocation.ended_at.is_(None)),
        select(Referral.person_id).where(Referral.person_id.in_(ids), Referral.closed_date.is_(None)),
    ]


class _Episodes:
    """Rows of an episode table for the reading's children, in episodes not closed: nothing of a closed episode
    is stored (timescales/models.py), so its rows are not read -- unless every episode is asked for."""

    def __init__(self, reading: Reading) -> None:
        self.reading = reading
        self.open_referral_ids: list[int] = []  # the children's open referrals (``ids`` given), read first
        self.open_referrals = select(Referral.id).where(Referral.closed_date.is_(None))
        if reading.share is not None:
            self.open_referrals = self.open_referrals.where(reading.share.holds(Referral.person_id))

    def open(self, table: Any) -> list[ColumnElement[bool]]:
        reading = self.reading
        if reading.every_episode:
            return [reading.within(table.person_id)]
        if reading.ids is None:  # an open referral's child is open: the referral alone selects the rows
            if reading.share is not None:
                return [table.referral_id.in_(self.open_referrals), reading.share.holds(table.person_id)]
            return [table.referral_id.in_(self.open_referrals)]
        # These children's open referrals, read just before (a subquery over every open referral would be
        # evaluated for each table: a tenth of a second on a large council, on every case event recorded).
        return [table.referral_id.in_(self.open_referral_ids)]


def _allocations(reading: Reading) -> None:
    out, day = reading.out, reading.day
    allocated_from: dict[int, date] = {}
    for a_id, person_id, worker_id, team_id, started_at in reading.fetch(
        select(Allocation.id, Allocation.person_id, Allocation.worker_id, Allocation.team_id, Allocation.started_at)
        .where(reading.of_share(Allocation.person_id), Allocation.ended_at.is_(None))
        .order_by(Allocation.started_at)
    ):
        out.worker_of[person_id] = worker_id
        out.team_of[person_id] = team_id
        started = day(started_at)
        allocated_from.setdefault(person_id, started)
        reading.add(E.CASE_OPENED, started, "allocation", a_id, person_id)
    out.episode_from.update(allocated_from)


def _referrals(reading: Reading, episodes: _Episodes) -> None:
    events, day, today = reading.out.events, reading.day, reading.today
    referred_from: dict[int, date] = {}
    route_flags: dict[str, frozenset[str]] = {}
    for r_id, person_id, referral_on, route, closed_on in reading.fetch(
        select(Referral.id, Referral.person_id, Referral.referral_date, Referral.route, Referral.closed_date).where(
            reading.within(Referral.person_id)
        )
    ):
        referral_date = day(referral_on)
        flags = route_flags.get(route)
        if flags is None:
            flags = route_flags[route] = frozenset({route})
        if referral_date <= today:
            events[person_id].append(ClockEvent(E.REFERRAL, referral_date, "referral", r_id, person_id, flags))
        if closed_on is None:
            episodes.open_referral_ids.append(r_id)
            if referral_date > referred_from.get(person_id, date.min):
                referred_from[person_id] = referral_date
        else:
            reading.add(E.CASE_CLOSED, day(closed_on), "referral", r_id, person_id)
    # The open referral's day wins over the open allocation's (CaseEvents.episode_from).
    reading.out.episode_from.update(referred_from)


def _assessments(reading: Reading, episodes: _Episodes) -> None:
    events, day, today = reading.out.events, reading.day, reading.today
    for s_id, person_id, started_on, authorised, late_reason in reading.fetch(
        select(
            Assessment.id, Assessment.person_id, Assessment.started_on, Assessment.authorised_on, Assessment.late_reason
        ).where(*episodes.open(Assessment))
    ):
        reading.add(E.ASSESSMENT_STARTED, day(started_on), "assessment", s_id, person_id)
        authorised_on = day(authorised)
        if authorised_on is not None and authorised_on <= today:
            events[person_id].append(
                ClockEvent(
                    E.ASSESSMENT_COMPLETED, authorised_on, "assessment", s_id, person_id, exceeded_reason=late_reason
                )
            )


NO_FLAGS = frozenset[str]()


def _child_protection(reading: Reading, episodes: _Episodes) -> None:
    """Section 47 enquiries, strategy discussions, conferences and plans: a discussion counts as deciding on an
    enquiry when one was started from it, and a plan as made by the initial conference that names it."""
    events, day, today = reading.out.events, reading.day, reading.today
    no_icpc, s47_flags = frozenset({"no_icpc"}), frozenset({"s47"})
    with_s47: set[int] = set()
    for q_id, person_id, discussion_id, started_on, completed, outcome in reading.fetch(
        select(
            Section47Enquiry.id,
            Section47Enquiry.person_id,
            Section47Enquiry.strategy_discussion_id,
            Section47Enquiry.started_on,
            Section47Enquiry.completed_on,
            Section47Enquiry.outcome,
        ).where(*episodes.open(Section47Enquiry))
    ):
        with_s47.add(discussion_id)
        reading.add(E.S47_STARTED, day(started_on), "section47_enquiry", q_id, person_id)
        completed_on = day(completed)
        if completed_on is not None and completed_on <= today:
            events[person_id].append(
                ClockEvent(
                    E.S47_COMPLETED,
                    completed_on,
                    "section47_enquiry",
                    q_id,
                    person_id,
                    no_icpc if outcome and outcome != S47_OUTCOME_ICPC else NO_FLAGS,
                )
            )

    for d_id, person_id, held, decision in reading.fetch(
        select(
            StrategyDiscussion.id, StrategyDiscussion.person_id, StrategyDiscussion.held_on, StrategyDiscussion.decision
        ).where(*episodes.open(StrategyDiscussion))
    ):
        held_on = day(held)
        if held_on <= today:
            s47 = "47" in (decision or "") or d_id in with_s47
            events[person_id].append(
                ClockEvent(
                    E.STRATEGY_DISCUSSION,
                    held_on,
                    "strategy_discussion",
                    d_id,
                    person_id,
                    s47_flags if s47 else NO_FLAGS,
                )
            )

    plan_flags, made_by_conference = frozenset({"plan"}), frozenset({"conference"})
    conference_plans: set[int] = set()  # plans an initial conference made
    for k_id, person_id, kind, held, plan_id in reading.fetch(
        select(
            ChildProtectionConference.id,
            ChildProtectionConference.person_id,
            ChildProtectionConference.kind,
            ChildProtectionConference.held_on,
            ChildProtectionConference.plan_id,
        ).where(*episodes.open(ChildProtectionConference))
    ):
        # A conference dated after today is booked, not held.
        held_on = day(held)
        event_kind = E.ICPC if kind == "initial" else E.REVIEW_CONFERENCE
        flags = plan_flags if kind == "initial" and plan_id is not None else NO_FLAGS
        if flags is plan_flags:
            conference_plans.add(plan_id)
        events[person_id].append(
            ClockEvent(
                event_kind,
                held_on,
                "child_protection_conference",
                k_id,
                person_id,
                flags,
                booked_for=held_on if held_on > today else None,
            )
        )

    for p_id, person_id, started_on, ended_on in reading.fetch(
        select(
            ChildProtectionPlan.id,
            ChildProtectionPlan.person_id,
            ChildProtectionPlan.started_on,
            ChildProtectionPlan.ended_on,
        ).where(*episodes.open(ChildProtectionPlan))
    ):
        reading.add(
            E.CP_PLAN_STARTED,
            day(started_on),
            "child_protection_plan",
            p_id,
            person_id,
            made_by_conference if p_id in conference_plans else NO_FLAGS,
        )
        reading.add(E.CP_PLAN_ENDED, day(ended_on), "child_protection_plan", p_id, person_id)

    for g_id, person_id, held in reading.fetch(
        select(CoreGroupMeeting.id, CoreGroupMeeting.person_id, CoreGroupMeeting.held_on).where(
            reading.of_share(CoreGroupMeeting.person_id)
        )
    ):
        reading.add(E.CORE_GROUP, day(held), "core_group_meeting", g_id, person_id)


def _visits(reading: Reading, episodes: _Episodes) -> None:
    """Visits of the open episodes, in one read: every child protection and child in need visit where the child
    was seen (each meets and restarts a visiting clock). Of the others only each child's latest counts: the
    latest assessment visit where the child was seen (the assessment's forecast asks whether any was made since
    the referral) and the latest other visit (recorded activity, for the stalled clock)."""
    events, day = reading.out.events, reading.day
    latest: dict[tuple[int, EventKind], tuple[date, int]] = {}
    for v_id, person_id, kind, visited, child_seen in reading.fetch(
        select(Visit.id, Visit.person_id, Visit.kind, Visit.visited_on, Visit.child_seen).where(
            *episodes.open(Visit), Visit.visited_on <= reading.today
        )
    ):
        visited_on = day(visited)
        if child_seen and kind in STATUTORY_VISITS:
            events[person_id].append(ClockEvent(VISIT_EVENTS[kind], visited_on, "visit", v_id, person_id))
            continue
        key = (person_id, E.ASSESSMENT_VISIT if child_seen and kind == "assessment" else E.CASE_NOTE)
        if (visited_on, v_id) > latest.get(key, (date.min, 0)):
            latest[key] = (visited_on, v_id)
    for (person_id, kind), (visited_on, v_id) in latest.items():
        events[person_id].append(ClockEvent(kind, visited_on, "visit", v_id, person_id))


def _child_in_need(reading: Reading, episodes: _Episodes) -> None:
    day = reading.day
    for n_id, person_id, started_on, ended_on in reading.fetch(
        select(
            ChildInNeedPlan.id, ChildInNeedPlan.person_id, ChildInNeedPlan.started_on, ChildInNeedPlan.ended_on
        ).where(*episodes.open(ChildInNeedPlan))
    ):
        reading.add(E.CIN_PLAN_STARTED, day(started_on), "child_in_need_plan", n_id, person_id)
        reading.add(E.CIN_PLAN_ENDED, day(ended_on), "child_in_need_plan", n_id, person_id)
    for w_id, person_id, held in reading.fetch(
        select(ChildInNeedReview.id, ChildInNeedReview.person_id, ChildInNeedReview.held_on).where(
            reading.of_share(ChildInNeedReview.person_id)
        )
    ):
        reading.add(E.CIN_REVIEW, day(held), "child_in_need_review", w_id, person_id)


def _activity(reading: Reading) -> None:
    """Recorded activity: notes and supervision. Only the latest note of each child matters (the stalled clock)."""
    day = reading.day
    last_note = (
        select(CaseNote.person_id, func.max(CaseNote.occurred_at).label("at"))
        .where(reading.of_share(CaseNote.person_id))
        .group_by(CaseNote.person_id)
        .subquery()
    )
    for person_id, note_id, at in reading.fetch(
        select(CaseNote.person_id, func.max(CaseNote.id).label("id"), last_note.c.at)
        .join(last_note, (last_note.c.person_id == CaseNote.person_id) & (last_note.c.at == CaseNote.occurred_at))
        .group_by(CaseNote.person_id, last_note.c.at)
    ):
        reading.add(E.CASE_NOTE, day(at), "case_note", note_id, person_id)
    for person_id, sup_id, held in reading.fetch(
        select(SupervisionCase.person_id, Supervision.id, Supervision.held_on)
        .join(Supervision, Supervision.id == SupervisionCase.supervision_id)
        .where(reading.of_share(SupervisionCase.person_id))
    ):
        reading.add(E.SUPERVISION, day(held), "supervision", sup_id, person_id)


def read(reading: Reading) -> None:
    """Every clock event of case work for the reading's children (the referrals first: they select the rows of
    the open episodes)."""
    episodes = _Episodes(reading)
    _allocations(reading)
    _referrals(reading, episodes)
    _assessments(reading, episodes)
    _child_protection(reading, episodes)
    _visits(reading, episodes)
    _child_in_need(reading, episodes)
    _activity(reading)


def dated(after: date, today: date) -> list[Any]:
    def on(column: Any, *rest: Any) -> Any:
        return dated_rows(column, after, today, *rest)

    return [
        on(Referral.referral_date),
        on(Referral.closed_date),
        on(Allocation.started_at),
        on(Assessment.started_on),
        on(Assessment.authorised_on),
        on(Section47Enquiry.started_on),
        on(Section47Enquiry.completed_on),
        on(StrategyDiscussion.held_on),
        on(ChildProtectionConference.held_on),
        on(ChildProtectionPlan.started_on),
        on(ChildProtectionPlan.ended_on),
        on(CoreGroupMeeting.held_on),
        on(Visit.visited_on),
        on(ChildInNeedPlan.started_on),
        on(ChildInNeedPlan.ended_on),
        on(ChildInNeedReview.held_on),
        on(CaseNote.occurred_at),
        on(
            Supervision.held_on,
            SupervisionCase.person_id,
            (SupervisionCase, SupervisionCase.supervision_id == Supervision.id),
        ),
    ]


timescales.register_open_cases(timescales.OpenCases(open_children_query, open_among))
timescales.register(timescales.EventSource("casework", read, dated))
