"""From case records to clock events: the one place that knows the column names of case work's tables.

``clock_events`` reads, for a set of children (or every child whose case is open), each table whose rows start or
stop a clock, by columns only and in one query per table, and turns the rows into ``rules.ClockEvent``s. The rest
of the capability works on those events (``rules.derive`` is pure).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

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
from safeguarding.exploitation.models import MissingEpisode, ReturnInterview
from safeguarding.front_door.models import Contact, ContactSubject
from safeguarding.timescales.rules import ClockEvent, EventKind

E = EventKind

# Visit kinds (casework Visit.kind) and the clock each meets when the child was seen.
VISIT_EVENTS = {"cp": E.CP_VISIT, "cin": E.CIN_VISIT, "assessment": E.ASSESSMENT_VISIT}
STATUTORY_VISITS = ("cp", "cin")  # each one read: they meet and restart the visiting clocks
# A section 47 outcome other than this means no initial conference is needed (CIN census ICPCnotRequired).
S47_OUTCOME_ICPC = "icpc"
# Contacts still waiting for the MASH (front_door.rules.OPEN_STATUSES).
CONTACT_OPEN_STATUSES = ("awaiting_screening", "in_screening")
CHUNK = 900  # ids per IN list (SQLite's bound-parameter limit is far above; PostgreSQL plans stay small)


@dataclass
class CaseEvents:
    """Clock events by child, and who holds each open case (for the due pages)."""

    events: defaultdict[int, list[ClockEvent]] = field(default_factory=lambda: defaultdict(list))
    worker_of: dict[int, int] = field(default_factory=dict)
    team_of: dict[int, int | None] = field(default_factory=dict)
    open_children: set[int] = field(default_factory=set)
    # The day the child's current (open) episode began: the latest referral not closed, else the open allocation.
    # Met clocks before it belong to closed episodes and are not stored (timescales/models.py).
    episode_from: dict[int, date] = field(default_factory=dict)

    def add(self, event: ClockEvent) -> None:
        self.events.setdefault(event.person_id, []).append(event)


def open_children_query() -> Any:
    """Children whose case is open: an open allocation, or an episode of need not yet closed."""
    return select(Allocation.person_id).where(Allocation.ended_at.is_(None)).union(
        select(Referral.person_id).where(Referral.closed_date.is_(None)))


def _chunks(ids: Collection[int]) -> Iterable[list[int]]:
    ordered = sorted(ids)
    for index in range(0, len(ordered), CHUNK):
        yield ordered[index:index + CHUNK]


def clock_events(session: Session, person_ids: Collection[int] | None, today: date) -> CaseEvents:
    """Every clock event of these children (``None``: every child whose case is open).

    A conference dated after ``today`` is booked, not held; other rows dated after today are left out (a date in
    the future meets nothing yet).
    """
    result = CaseEvents()
    if person_ids is None:
        scopes: list[Any] = [None]
    else:
        scopes = list(_chunks(set(person_ids)))
    for scope in scopes:
        _read(session, scope, today, result)
    return result


def _read(session: Session, ids: list[int] | None, today: date, out: CaseEvents) -> None:
    """One query per table, by columns, on the session's connection (the same transaction, after its flush): Core
    rows fetched at once, no ORM loading. The loops are kept plain: a large council has half a million events."""
    connection = session.connection()
    events = out.events

    def fetch(statement: Any) -> Sequence[Any]:
        return connection.execute(statement).all()

    open_subquery = open_children_query().subquery()

    def within(column: InstrumentedAttribute[Any]) -> ColumnElement[bool]:
        if ids is None:
            return column.in_(select(open_subquery.c.person_id))
        return column.in_(ids)

    def episode_open(table: Any) -> list[ColumnElement[bool]]:
        """Rows of this episode table for these children, in episodes not closed: nothing of a closed episode is
        stored (models.py), so its rows are not read."""
        if ids is None:  # an open referral's child is open: the referral alone selects the rows
            return [table.referral_id.in_(open_referrals)]
        return [within(table.person_id), table.referral_id.in_(open_referrals)]

    open_referrals = select(Referral.id).where(Referral.closed_date.is_(None))

    if ids is None:
        out.open_children.update(connection.scalars(select(open_subquery.c.person_id)))
    else:
        out.open_children.update(connection.scalars(
            select(Allocation.person_id).where(within(Allocation.person_id), Allocation.ended_at.is_(None))))
        out.open_children.update(connection.scalars(
            select(Referral.person_id).where(within(Referral.person_id), Referral.closed_date.is_(None))))

    def add(kind: EventKind, on: date | None, source: str, source_id: int, person_id: int) -> None:
        """A dated event (rows dated after today meet nothing yet and are left out)."""
        if on is not None and on <= today:
            events[person_id].append(ClockEvent(kind, on, source, source_id, person_id))

    allocated_from: dict[int, date] = {}
    for a_id, person_id, worker_id, team_id, started_at in fetch(
            select(Allocation.id, Allocation.person_id, Allocation.worker_id, Allocation.team_id,
                   Allocation.started_at)
            .where(within(Allocation.person_id), Allocation.ended_at.is_(None)).order_by(Allocation.started_at)):
        out.worker_of[person_id] = worker_id
        out.team_of[person_id] = team_id
        started = started_at.date()
        allocated_from.setdefault(person_id, started)
        add(E.CASE_OPENED, started, "allocation", a_id, person_id)

    referred_from: dict[int, date] = {}
    route_flags: dict[str, frozenset[str]] = {}
    for r_id, person_id, referral_date, route, closed_date in fetch(
            select(Referral.id, Referral.person_id, Referral.referral_date, Referral.route, Referral.closed_date)
            .where(within(Referral.person_id))):
        flags = route_flags.get(route)
        if flags is None:
            flags = route_flags[route] = frozenset({route})
        if referral_date <= today:
            events[person_id].append(ClockEvent(E.REFERRAL, referral_date, "referral", r_id, person_id, flags))
        if closed_date is None:
            if referral_date > referred_from.get(person_id, date.min):
                referred_from[person_id] = referral_date
        else:
            add(E.CASE_CLOSED, closed_date, "referral", r_id, person_id)
    out.episode_from.update(allocated_from)
    out.episode_from.update(referred_from)

    # Contacts still waiting for a decision: the MASH's own deadline (RAG, working hours) is reused as it stands.
    for c_id, person_id, received_at, due_at in fetch(
            select(Contact.id, ContactSubject.person_id, Contact.received_at, Contact.due_at)
            .join(ContactSubject, ContactSubject.contact_id == Contact.id)
            .where(within(ContactSubject.person_id), Contact.status.in_(CONTACT_OPEN_STATUSES)).distinct()):
        received = received_at.date()
        if person_id is not None and received <= today:
            events[person_id].append(ClockEvent(E.CONTACT_RECEIVED, received, "contact", c_id, person_id,
                                                due_hint=due_at.date()))

    for s_id, person_id, started_on, authorised_on, late_reason in fetch(
            select(Assessment.id, Assessment.person_id, Assessment.started_on, Assessment.authorised_on,
                   Assessment.late_reason).where(*episode_open(Assessment))):
        add(E.ASSESSMENT_STARTED, started_on, "assessment", s_id, person_id)
        if authorised_on is not None and authorised_on <= today:
            events[person_id].append(ClockEvent(E.ASSESSMENT_COMPLETED, authorised_on, "assessment", s_id,
                                                person_id, exceeded_reason=late_reason))

    no_icpc, no_flags, s47_flags = frozenset({"no_icpc"}), frozenset[str](), frozenset({"s47"})
    with_s47: set[int] = set()
    for q_id, person_id, discussion_id, started_on, completed_on, outcome in fetch(
            select(Section47Enquiry.id, Section47Enquiry.person_id, Section47Enquiry.strategy_discussion_id,
                   Section47Enquiry.started_on, Section47Enquiry.completed_on, Section47Enquiry.outcome)
            .where(*episode_open(Section47Enquiry))):
        with_s47.add(discussion_id)
        add(E.S47_STARTED, started_on, "section47_enquiry", q_id, person_id)
        if completed_on is not None and completed_on <= today:
            events[person_id].append(ClockEvent(
                E.S47_COMPLETED, completed_on, "section47_enquiry", q_id, person_id,
                no_icpc if outcome and outcome != S47_OUTCOME_ICPC else no_flags))

    for d_id, person_id, held_on, decision in fetch(
            select(StrategyDiscussion.id, StrategyDiscussion.person_id, StrategyDiscussion.held_on,
                   StrategyDiscussion.decision).where(*episode_open(StrategyDiscussion))):
        if held_on <= today:
            s47 = "47" in (decision or "") or d_id in with_s47
            events[person_id].append(ClockEvent(E.STRATEGY_DISCUSSION, held_on, "strategy_discussion", d_id,
                                                person_id, s47_flags if s47 else no_flags))

    plan_flags = frozenset({"plan"})
    for k_id, person_id, kind, held_on, plan_id in fetch(
            select(ChildProtectionConference.id, ChildProtectionConference.person_id, ChildProtectionConference.kind,
                   ChildProtectionConference.held_on, ChildProtectionConference.plan_id)
            .where(*episode_open(ChildProtectionConference))):
        # A conference dated after today is booked, not held.
        event_kind = E.ICPC if kind == "initial" else E.REVIEW_CONFERENCE
        flags = plan_flags if kind == "initial" and plan_id is not None else no_flags
        events[person_id].append(ClockEvent(event_kind, held_on, "child_protection_conference", k_id, person_id,
                                            flags, booked_for=held_on if held_on > today else None))

    for p_id, person_id, started_on, ended_on in fetch(
            select(ChildProtectionPlan.id, ChildProtectionPlan.person_id, ChildProtectionPlan.started_on,
                   ChildProtectionPlan.ended_on).where(*episode_open(ChildProtectionPlan))):
        add(E.CP_PLAN_STARTED, started_on, "child_protection_plan", p_id, person_id)
        add(E.CP_PLAN_ENDED, ended_on, "child_protection_plan", p_id, person_id)

    for g_id, person_id, held_on in fetch(
            select(CoreGroupMeeting.id, CoreGroupMeeting.person_id, CoreGroupMeeting.held_on)
            .where(within(CoreGroupMeeting.person_id))):
        if held_on <= today:
            events[person_id].append(ClockEvent(E.CORE_GROUP, held_on, "core_group_meeting", g_id, person_id))

    # Visits: every child protection and child in need visit where the child was seen (each meets and restarts
    # a visiting clock). Of the others only each child's latest counts: the latest assessment visit (the
    # assessment's forecast asks whether any was made since the referral) and the latest other visit (recorded
    # activity, for the stalled clock).
    seen = Visit.child_seen.is_(True)
    statutory = Visit.kind.in_(STATUTORY_VISITS)
    for v_id, person_id, kind, visited_on in fetch(
            select(Visit.id, Visit.person_id, Visit.kind, Visit.visited_on)
            .where(*episode_open(Visit), statutory, seen, Visit.visited_on <= today)):
        events[person_id].append(ClockEvent(VISIT_EVENTS[kind], visited_on, "visit", v_id, person_id))
    for kind, condition in ((E.ASSESSMENT_VISIT, (Visit.kind == "assessment") & seen),
                            (E.CASE_NOTE, ~(statutory & seen) & ~((Visit.kind == "assessment") & seen))):
        last = (select(Visit.person_id, func.max(Visit.visited_on).label("on"))
                .where(*episode_open(Visit), condition, Visit.visited_on <= today).group_by(Visit.person_id)
                .subquery())
        for person_id, v_id, visited_on in fetch(
                select(Visit.person_id, func.max(Visit.id), last.c.on)
                .join(last, (last.c.person_id == Visit.person_id) & (last.c.on == Visit.visited_on))
                .where(*episode_open(Visit), condition).group_by(Visit.person_id, last.c.on)):
            events[person_id].append(ClockEvent(kind, visited_on, "visit", v_id, person_id))

    for n_id, person_id, started_on, ended_on in fetch(
            select(ChildInNeedPlan.id, ChildInNeedPlan.person_id, ChildInNeedPlan.started_on,
                   ChildInNeedPlan.ended_on).where(*episode_open(ChildInNeedPlan))):
        add(E.CIN_PLAN_STARTED, started_on, "child_in_need_plan", n_id, person_id)
        add(E.CIN_PLAN_ENDED, ended_on, "child_in_need_plan", n_id, person_id)

    for w_id, person_id, held_on in fetch(
            select(ChildInNeedReview.id, ChildInNeedReview.person_id, ChildInNeedReview.held_on)
            .where(within(ChildInNeedReview.person_id))):
        if held_on <= today:
            events[person_id].append(ClockEvent(E.CIN_REVIEW, held_on, "child_in_need_review", w_id, person_id))

    # Missing episodes (exploitation): the return interview is due 72 hours after the return (T32); it is met when
    # it is offered.
    for m_id, person_id, returned_at in fetch(
            select(MissingEpisode.id, MissingEpisode.person_id, MissingEpisode.returned_at)
            .where(within(MissingEpisode.person_id), MissingEpisode.returned_at.is_not(None))):
        add(E.MISSING_RETURN, returned_at.date(), "missing_episode", m_id, person_id)
    for i_id, episode_id, offered_at, late_reason, person_id in fetch(
            select(ReturnInterview.id, ReturnInterview.episode_id, ReturnInterview.offered_at,
                   ReturnInterview.late_reason, MissingEpisode.person_id)
            .join(MissingEpisode, MissingEpisode.id == ReturnInterview.episode_id)
            .where(within(MissingEpisode.person_id))):
        offered = offered_at.date()
        if offered <= today:
            events[person_id].append(ClockEvent(E.RETURN_INTERVIEW, offered, "return_interview", i_id, person_id,
                                                stops_source_id=episode_id, exceeded_reason=late_reason))

    # Recorded activity: notes and supervision. Only the latest note of each child matters (the stalled clock).
    latest = (select(CaseNote.person_id, func.max(CaseNote.occurred_at).label("at"))
              .where(within(CaseNote.person_id)).group_by(CaseNote.person_id).subquery())
    for person_id, note_id, at in fetch(
            select(CaseNote.person_id, func.max(CaseNote.id).label("id"), latest.c.at)
            .join(latest, (latest.c.person_id == CaseNote.person_id) & (latest.c.at == CaseNote.occurred_at))
            .group_by(CaseNote.person_id, latest.c.at)):
        add(E.CASE_NOTE, at.date(), "case_note", note_id, person_id)
    for person_id, sup_id, held_on in fetch(
            select(SupervisionCase.person_id, Supervision.id, Supervision.held_on)
            .join(Supervision, Supervision.id == SupervisionCase.supervision_id)
            .where(within(SupervisionCase.person_id))):
        add(E.SUPERVISION, held_on, "supervision", sup_id, person_id)


def open_case_filter(column: InstrumentedAttribute[Any]) -> ColumnElement[bool]:
    """``column`` (a person id) belongs to a child whose case is open."""
    return or_(column.in_(select(Allocation.person_id).where(Allocation.ended_at.is_(None))),
               column.in_(select(Referral.person_id).where(Referral.closed_date.is_(None))))
