"""From case records to clock events: the one place that knows the column names of case work's tables.

``clock_events`` reads, for a set of children (or every child whose case is open), each table whose rows start or
stop a clock, by columns only and in one query per table, and turns the rows into ``rules.ClockEvent``s. The rest
of the capability works on those events (``rules.derive`` is pure).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal, cast

from sqlalchemy import ColumnElement, Connection, func, select, true, union
from sqlalchemy.orm import InstrumentedAttribute

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
from safeguarding.core.db import UTCDateTime, driver_rows
from safeguarding.exploitation.models import MissingEpisode, ReturnInterview
from safeguarding.front_door.models import Contact, ContactDecision, ContactSubject, RagRating
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


@dataclass(frozen=True)
class Share:
    """One of ``of`` disjoint shares of the council's children (by person id), read by one worker process."""

    index: int
    of: int

    def holds(self, person_id: Any) -> ColumnElement[bool]:
        """The condition on a person id column that keeps this share's children."""
        return cast(ColumnElement[bool], (person_id % self.of) == self.index)


def open_children_query(share: Share | None = None) -> Any:
    """Children whose case is open: an open allocation, or an episode of need not yet closed (of one share)."""
    allocated = select(Allocation.person_id).where(Allocation.ended_at.is_(None))
    referred = select(Referral.person_id).where(Referral.closed_date.is_(None))
    if share is not None:
        allocated = allocated.where(share.holds(Allocation.person_id))
        referred = referred.where(share.holds(Referral.person_id))
    return allocated.union(referred)


def _chunks(ids: Collection[int]) -> Iterable[list[int]]:
    ordered = sorted(ids)
    for index in range(0, len(ordered), CHUNK):
        yield ordered[index:index + CHUNK]


def clock_events(connection: Connection, person_ids: Collection[int] | None, today: date,
                 share: Share | None = None, *, episodes: Literal["open", "all"] = "open") -> CaseEvents:
    """Every clock event of these children (``None``: every child whose case is open, or those of ``share``).

    A conference dated after ``today`` is booked, not held; other rows dated after today are left out (a date in
    the future meets nothing yet). By default only the rows of open episodes are read (what is stored);
    ``episodes="all"`` reads every episode of the given children, open or closed (returns/indicators.py counts
    the visits of a plan that ended and a case that closed in its period).
    """
    if episodes == "all" and person_ids is None:
        raise ValueError('episodes="all" reads the given children only')
    result = CaseEvents()
    if person_ids is None:
        _read(connection, None, today, result, share)
    else:
        for scope in _chunks(set(person_ids)):
            _read(connection, scope, today, result, None, every_episode=episodes == "all")
    return result


class _Days(dict[Any, date | None]):
    """Dates as the driver returns them, made ``date``s once per distinct value (``days[value]``).

    The rows are read with the driver's own cursor (no result processing: half a million rows at a large
    council), so a date arrives as ISO text on SQLite and as a ``date`` on PostgreSQL, and a timestamp as UTC
    text on SQLite (the UTC date is its first ten characters) and as an aware ``datetime`` on PostgreSQL.
    """

    def __init__(self) -> None:
        super().__init__({None: None})

    def __missing__(self, value: Any) -> date:
        if isinstance(value, str):
            day = date.fromisoformat(value[:10])
        elif isinstance(value, datetime):
            day = value.astimezone(UTC).date()
        else:
            day = value
        self[value] = day
        return cast(date, day)


def _every_child(person_id: int) -> bool:
    return True


def _read(connection: Connection, ids: list[int] | None, today: date, out: CaseEvents, share: Share | None,
          every_episode: bool = False) -> None:
    """One query per table, by columns, on the connection's own transaction (after the session's flush), run on
    the driver's cursor: the loops are kept plain, a large council has half a million events."""
    events = out.events
    day: Callable[[Any], Any] = _Days().__getitem__  # a date, or None for None

    def fetch(statement: Any) -> list[Any]:
        return driver_rows(connection, statement)

    # The share is tested inside the subqueries too, so that each worker looks up only its own children's rows.
    open_subquery = open_children_query(share).subquery()

    def within(column: InstrumentedAttribute[Any]) -> ColumnElement[bool]:
        """Rows of these children (``ids``), or of every open child (of the share)."""
        if ids is not None:
            return column.in_(ids)
        condition: ColumnElement[bool] = column.in_(select(open_subquery.c.person_id))
        if share is not None:
            condition = condition & share.holds(column)
        return condition

    def of_share(column: InstrumentedAttribute[Any]) -> ColumnElement[bool]:
        """Rows of these children (``ids``), or of every child of the share, open or not: the caller keeps the
        open children's (``wanted``). For the smaller tables that is cheaper than testing every statement against
        the open-children subquery (a union the database builds again each time)."""
        if ids is not None:
            return column.in_(ids)
        return share.holds(column) if share is not None else true()

    def episode_open(table: Any) -> list[ColumnElement[bool]]:
        """Rows of this episode table for these children, in episodes not closed: nothing of a closed episode is
        stored (models.py), so its rows are not read -- unless every episode is asked for."""
        if every_episode:
            return [within(table.person_id)]
        if ids is None:  # an open referral's child is open: the referral alone selects the rows
            if share is not None:
                return [table.referral_id.in_(open_referrals), share.holds(table.person_id)]
            return [table.referral_id.in_(open_referrals)]
        # These children's open referrals, read just before (a subquery over every open referral would be
        # evaluated for each table: a tenth of a second on a large council, on every case event recorded).
        return [table.referral_id.in_(open_referral_ids)]

    open_referrals = select(Referral.id).where(Referral.closed_date.is_(None))
    if share is not None:
        open_referrals = open_referrals.where(share.holds(Referral.person_id))

    wanted: Callable[[int], bool] = out.open_children.__contains__ if ids is None else _every_child
    if ids is None:
        out.open_children.update(person_id for (person_id,) in fetch(select(open_subquery.c.person_id)))
    else:
        out.open_children.update(person_id for (person_id,) in fetch(
            select(Allocation.person_id).where(within(Allocation.person_id), Allocation.ended_at.is_(None))))
        out.open_children.update(person_id for (person_id,) in fetch(
            select(Referral.person_id).where(within(Referral.person_id), Referral.closed_date.is_(None))))

    def add(kind: EventKind, on: date | None, source: str, source_id: int, person_id: int,
            flags: frozenset[str] = frozenset()) -> None:
        """A dated event (rows dated after today meet nothing yet and are left out) of a child wanted."""
        if on is not None and on <= today and wanted(person_id):
            events[person_id].append(ClockEvent(kind, on, source, source_id, person_id, flags))

    allocated_from: dict[int, date] = {}
    for a_id, person_id, worker_id, team_id, started_at in fetch(
            select(Allocation.id, Allocation.person_id, Allocation.worker_id, Allocation.team_id,
                   Allocation.started_at)
            .where(of_share(Allocation.person_id), Allocation.ended_at.is_(None)).order_by(Allocation.started_at)):
        out.worker_of[person_id] = worker_id
        out.team_of[person_id] = team_id
        started = day(started_at)
        allocated_from.setdefault(person_id, started)
        add(E.CASE_OPENED, started, "allocation", a_id, person_id)

    referred_from: dict[int, date] = {}
    open_referral_ids: list[int] = []
    route_flags: dict[str, frozenset[str]] = {}
    for r_id, person_id, referral_on, route, closed_on in fetch(
            select(Referral.id, Referral.person_id, Referral.referral_date, Referral.route, Referral.closed_date)
            .where(within(Referral.person_id))):
        referral_date = day(referral_on)
        flags = route_flags.get(route)
        if flags is None:
            flags = route_flags[route] = frozenset({route})
        if referral_date <= today:
            events[person_id].append(ClockEvent(E.REFERRAL, referral_date, "referral", r_id, person_id, flags))
        if closed_on is None:
            open_referral_ids.append(r_id)
            if referral_date > referred_from.get(person_id, date.min):
                referred_from[person_id] = referral_date
        else:
            add(E.CASE_CLOSED, day(closed_on), "referral", r_id, person_id)
    out.episode_from.update(allocated_from)
    out.episode_from.update(referred_from)

    # Contacts still waiting for a decision: the MASH's own deadline (RAG, working hours) is reused as it stands.
    for c_id, person_id, received_at, due_at in fetch(
            select(Contact.id, ContactSubject.person_id, Contact.received_at, Contact.due_at)
            .join(ContactSubject, ContactSubject.contact_id == Contact.id)
            .where(of_share(ContactSubject.person_id), Contact.status.in_(CONTACT_OPEN_STATUSES)).distinct()):
        received = day(received_at)
        if person_id is not None and received <= today and wanted(person_id):
            events[person_id].append(ClockEvent(E.CONTACT_RECEIVED, received, "contact", c_id, person_id,
                                                due_hint=day(due_at)))

    for s_id, person_id, started_on, authorised, late_reason in fetch(
            select(Assessment.id, Assessment.person_id, Assessment.started_on, Assessment.authorised_on,
                   Assessment.late_reason).where(*episode_open(Assessment))):
        add(E.ASSESSMENT_STARTED, day(started_on), "assessment", s_id, person_id)
        authorised_on = day(authorised)
        if authorised_on is not None and authorised_on <= today:
            events[person_id].append(ClockEvent(E.ASSESSMENT_COMPLETED, authorised_on, "assessment", s_id,
                                                person_id, exceeded_reason=late_reason))

    no_icpc, no_flags, s47_flags = frozenset({"no_icpc"}), frozenset[str](), frozenset({"s47"})
    with_s47: set[int] = set()
    for q_id, person_id, discussion_id, started_on, completed, outcome in fetch(
            select(Section47Enquiry.id, Section47Enquiry.person_id, Section47Enquiry.strategy_discussion_id,
                   Section47Enquiry.started_on, Section47Enquiry.completed_on, Section47Enquiry.outcome)
            .where(*episode_open(Section47Enquiry))):
        with_s47.add(discussion_id)
        add(E.S47_STARTED, day(started_on), "section47_enquiry", q_id, person_id)
        completed_on = day(completed)
        if completed_on is not None and completed_on <= today:
            events[person_id].append(ClockEvent(
                E.S47_COMPLETED, completed_on, "section47_enquiry", q_id, person_id,
                no_icpc if outcome and outcome != S47_OUTCOME_ICPC else no_flags))

    for d_id, person_id, held, decision in fetch(
            select(StrategyDiscussion.id, StrategyDiscussion.person_id, StrategyDiscussion.held_on,
                   StrategyDiscussion.decision).where(*episode_open(StrategyDiscussion))):
        held_on = day(held)
        if held_on <= today:
            s47 = "47" in (decision or "") or d_id in with_s47
            events[person_id].append(ClockEvent(E.STRATEGY_DISCUSSION, held_on, "strategy_discussion", d_id,
                                                person_id, s47_flags if s47 else no_flags))

    plan_flags, made_by_conference = frozenset({"plan"}), frozenset({"conference"})
    conference_plans: set[int] = set()  # plans an initial conference made
    for k_id, person_id, kind, held, plan_id in fetch(
            select(ChildProtectionConference.id, ChildProtectionConference.person_id, ChildProtectionConference.kind,
                   ChildProtectionConference.held_on, ChildProtectionConference.plan_id)
            .where(*episode_open(ChildProtectionConference))):
        # A conference dated after today is booked, not held.
        held_on = day(held)
        event_kind = E.ICPC if kind == "initial" else E.REVIEW_CONFERENCE
        flags = plan_flags if kind == "initial" and plan_id is not None else no_flags
        if flags is plan_flags:
            conference_plans.add(plan_id)
        events[person_id].append(ClockEvent(event_kind, held_on, "child_protection_conference", k_id, person_id,
                                            flags, booked_for=held_on if held_on > today else None))

    for p_id, person_id, started_on, ended_on in fetch(
            select(ChildProtectionPlan.id, ChildProtectionPlan.person_id, ChildProtectionPlan.started_on,
                   ChildProtectionPlan.ended_on).where(*episode_open(ChildProtectionPlan))):
        add(E.CP_PLAN_STARTED, day(started_on), "child_protection_plan", p_id, person_id,
            made_by_conference if p_id in conference_plans else no_flags)
        add(E.CP_PLAN_ENDED, day(ended_on), "child_protection_plan", p_id, person_id)

    for g_id, person_id, held in fetch(
            select(CoreGroupMeeting.id, CoreGroupMeeting.person_id, CoreGroupMeeting.held_on)
            .where(of_share(CoreGroupMeeting.person_id))):
        add(E.CORE_GROUP, day(held), "core_group_meeting", g_id, person_id)

    # Visits of the open episodes, in one read: every child protection and child in need visit where the child
    # was seen (each meets and restarts a visiting clock). Of the others only each child's latest counts: the
    # latest assessment visit where the child was seen (the assessment's forecast asks whether any was made since
    # the referral) and the latest other visit (recorded activity, for the stalled clock).
    latest: dict[tuple[int, EventKind], tuple[date, int]] = {}
    for v_id, person_id, kind, visited, child_seen in fetch(
            select(Visit.id, Visit.person_id, Visit.kind, Visit.visited_on, Visit.child_seen)
            .where(*episode_open(Visit), Visit.visited_on <= today)):
        visited_on = day(visited)
        if child_seen and kind in STATUTORY_VISITS:
            events[person_id].append(ClockEvent(VISIT_EVENTS[kind], visited_on, "visit", v_id, person_id))
            continue
        key = (person_id, E.ASSESSMENT_VISIT if child_seen and kind == "assessment" else E.CASE_NOTE)
        if (visited_on, v_id) > latest.get(key, (date.min, 0)):
            latest[key] = (visited_on, v_id)
    for (person_id, kind), (visited_on, v_id) in latest.items():
        events[person_id].append(ClockEvent(kind, visited_on, "visit", v_id, person_id))

    for n_id, person_id, started_on, ended_on in fetch(
            select(ChildInNeedPlan.id, ChildInNeedPlan.person_id, ChildInNeedPlan.started_on,
                   ChildInNeedPlan.ended_on).where(*episode_open(ChildInNeedPlan))):
        add(E.CIN_PLAN_STARTED, day(started_on), "child_in_need_plan", n_id, person_id)
        add(E.CIN_PLAN_ENDED, day(ended_on), "child_in_need_plan", n_id, person_id)

    for w_id, person_id, held in fetch(
            select(ChildInNeedReview.id, ChildInNeedReview.person_id, ChildInNeedReview.held_on)
            .where(of_share(ChildInNeedReview.person_id))):
        add(E.CIN_REVIEW, day(held), "child_in_need_review", w_id, person_id)

    # Missing episodes (exploitation): the return interview is due 72 hours after the return (T32); it is met when
    # it is offered.
    for m_id, person_id, returned_at in fetch(
            select(MissingEpisode.id, MissingEpisode.person_id, MissingEpisode.returned_at)
            .where(of_share(MissingEpisode.person_id), MissingEpisode.returned_at.is_not(None))):
        add(E.MISSING_RETURN, day(returned_at), "missing_episode", m_id, person_id)
    for i_id, episode_id, offered_at, late_reason, person_id in fetch(
            select(ReturnInterview.id, ReturnInterview.episode_id, ReturnInterview.offered_at,
                   ReturnInterview.late_reason, MissingEpisode.person_id)
            .join(MissingEpisode, MissingEpisode.id == ReturnInterview.episode_id)
            .where(of_share(MissingEpisode.person_id))):
        offered = day(offered_at)
        if offered <= today and wanted(person_id):
            events[person_id].append(ClockEvent(E.RETURN_INTERVIEW, offered, "return_interview", i_id, person_id,
                                                stops_source_id=episode_id, exceeded_reason=late_reason))

    # Recorded activity: notes and supervision. Only the latest note of each child matters (the stalled clock).
    last_note = (select(CaseNote.person_id, func.max(CaseNote.occurred_at).label("at"))
                 .where(of_share(CaseNote.person_id)).group_by(CaseNote.person_id).subquery())
    for person_id, note_id, at in fetch(
            select(CaseNote.person_id, func.max(CaseNote.id).label("id"), last_note.c.at)
            .join(last_note, (last_note.c.person_id == CaseNote.person_id) & (last_note.c.at == CaseNote.occurred_at))
            .group_by(CaseNote.person_id, last_note.c.at)):
        add(E.CASE_NOTE, day(at), "case_note", note_id, person_id)
    for person_id, sup_id, held in fetch(
            select(SupervisionCase.person_id, Supervision.id, Supervision.held_on)
            .join(Supervision, Supervision.id == SupervisionCase.supervision_id)
            .where(of_share(SupervisionCase.person_id))):
        add(E.SUPERVISION, day(held), "supervision", sup_id, person_id)


def _dated_rows(after: date, today: date) -> list[Any]:
    """A query per table: the children with a row dated after ``after`` up to ``today`` that makes a clock event
    (timestamps by their UTC day, as ``_read`` counts them)."""
    since = datetime.combine(after + timedelta(days=1), time.min, UTC)
    until = datetime.combine(today + timedelta(days=1), time.min, UTC)

    def on(column: Any, person: Any = None, *joins: tuple[Any, Any]) -> Any:
        bounds = (column >= since, column < until) if isinstance(column.type, UTCDateTime) else \
            (column > after, column <= today)
        query = select(person if person is not None else column.table.c.person_id).select_from(column.table)
        for target, condition in joins:
            query = query.join(target, condition)
        return query.where(*bounds)

    def written(column: Any, contact_id: Any) -> Any:
        """The front door does not derive its children's deadlines as it writes (its contacts are many and mostly
        not about open cases): a contact received, rated, decided or signed off since the start of the last run's
        day counts (its subjects found through the contact ids, so that the time's index is used)."""
        return select(ContactSubject.person_id).where(ContactSubject.contact_id.in_(
            select(contact_id).where(column >= datetime.combine(after, time.min, UTC), column < until)))

    return [
        written(Contact.received_at, Contact.id), written(RagRating.rated_at, RagRating.contact_id),
        written(ContactDecision.decided_at, ContactDecision.contact_id),
        written(ContactDecision.signed_off_at, ContactDecision.contact_id),
        on(Referral.referral_date), on(Referral.closed_date), on(Allocation.started_at),
        on(Assessment.started_on), on(Assessment.authorised_on),
        on(Section47Enquiry.started_on), on(Section47Enquiry.completed_on), on(StrategyDiscussion.held_on),
        on(ChildProtectionConference.held_on), on(ChildProtectionPlan.started_on), on(ChildProtectionPlan.ended_on),
        on(CoreGroupMeeting.held_on), on(Visit.visited_on),
        on(ChildInNeedPlan.started_on), on(ChildInNeedPlan.ended_on), on(ChildInNeedReview.held_on),
        on(MissingEpisode.returned_at),
        on(ReturnInterview.offered_at, MissingEpisode.person_id,
           (MissingEpisode, MissingEpisode.id == ReturnInterview.episode_id)),
        on(CaseNote.occurred_at),
        on(Supervision.held_on, SupervisionCase.person_id,
           (SupervisionCase, SupervisionCase.supervision_id == Supervision.id)),
    ]


def children_with_events_dated(connection: Connection, after: date, today: date) -> set[int]:
    """Children with a case row dated after ``after`` up to ``today``: rows that were in the future when their
    deadlines were last derived for ``after`` (a conference booked ahead is held once its day comes) and count now.
    Rows dated earlier were counted then, or by the write that recorded them (it derives its child again). Every
    table ``_read`` makes events from is here."""
    return {person_id for (person_id,) in connection.execute(union(*_dated_rows(after, today)))
            if person_id is not None}
