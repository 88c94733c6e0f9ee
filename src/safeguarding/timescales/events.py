"""From records to clock events: the capabilities whose records start or stop a clock each supply their own reader.

Timescales knows no capability's tables. A capability registers here (on import of its ``timescale_events``
module, which its package imports) which children's cases are open (``OpenCases``: case work) and an
``EventSource`` per family of records: case work's episodes, the front door's contacts, exploitation's missing
episodes. ``clock_events`` reads, for a set of children (or every child whose case is open), every source, by
columns only and in one query per table, and hands the events to the rest of the capability (``derive.derive`` is
pure). The sources are read in the order of their names, so that every process derives the same rows whatever
order it imported the capabilities in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal, cast

from sqlalchemy import ColumnElement, Connection, select, true, union
from sqlalchemy.orm import InstrumentedAttribute

from safeguarding.core.db import UTCDateTime, driver_rows
from safeguarding.timescales.rules import ClockEvent, EventKind

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
    # Who holds particular clocks of a child where that is not the child's allocated worker: a care leaver's
    # personal adviser holds their pathway and contact clocks ({person: {rule id: (worker, team)}}).
    rule_workers: dict[int, dict[str, tuple[int | None, int | None]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Share:
    """One of ``of`` disjoint shares of the council's children (by person id), read by one worker process."""

    index: int
    of: int

    def holds(self, person_id: Any) -> ColumnElement[bool]:
        """The condition on a person id column that keeps this share's children."""
        return cast(ColumnElement[bool], (person_id % self.of) == self.index)


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


@dataclass
class Reading:
    """One read of the sources: the children asked for (``ids``, or every open child of ``share``), the day, and
    the helpers every source uses. The rows are read on the connection's own transaction (after the session's
    flush), on the driver's cursor: the loops are kept plain, a large council has half a million events."""

    connection: Connection
    ids: list[int] | None
    today: date
    share: Share | None
    every_episode: bool
    out: CaseEvents
    # The open children's ids, as a subquery (column ``person_id``) of the open-cases query for the share.
    open_subquery: Any
    day: Callable[[Any], Any] = field(default_factory=lambda: _Days().__getitem__)  # a date, or None for None
    wanted: Callable[[int], bool] = _every_child

    def fetch(self, statement: Any) -> list[Any]:
        return driver_rows(self.connection, statement)

    def within(self, column: InstrumentedAttribute[Any]) -> ColumnElement[bool]:
        """Rows of these children (``ids``), or of every open child (of the share). The share is tested inside
        the subquery too, so that each worker looks up only its own children's rows."""
        if self.ids is not None:
            return column.in_(self.ids)
        condition: ColumnElement[bool] = column.in_(select(self.open_subquery.c.person_id))
        if self.share is not None:
            condition = condition & self.share.holds(column)
        return condition

    def of_share(self, column: InstrumentedAttribute[Any]) -> ColumnElement[bool]:
        """Rows of these children (``ids``), or of every child of the share, open or not: ``add`` keeps the open
        children's (``wanted``). For the smaller tables that is cheaper than testing every statement against the
        open-children subquery (a union the database builds again each time)."""
        if self.ids is not None:
            return column.in_(self.ids)
        return self.share.holds(column) if self.share is not None else true()

    def add(
        self,
        kind: EventKind,
        on: date | None,
        source: str,
        source_id: int,
        person_id: int,
        flags: frozenset[str] = frozenset(),
    ) -> None:
        """A dated event (rows dated after today meet nothing yet and are left out) of a child wanted."""
        if on is not None and on <= self.today and self.wanted(person_id):
            self.out.events[person_id].append(ClockEvent(kind, on, source, source_id, person_id, flags))


@dataclass(frozen=True)
class OpenCases:
    """Which children's cases are open (deadlines are held for them alone): supplied by each capability that holds
    open work with a child (case work's cases, children in care's care leavers). ``of_share``: a query of the person
    ids of every open child (of one share); ``among``: queries of the person ids of the open children among these
    ids. A child is open when any capability says so."""

    of_share: Callable[[Share | None], Any]
    among: Callable[[list[int]], list[Any]]
    name: str = "casework"


@dataclass(frozen=True)
class EventSource:
    """A capability's records that start or stop clocks. ``read`` adds the events of the reading's children;
    ``dated(after, today)`` gives queries of the person ids with a row dated after ``after`` up to ``today``
    (timestamps by their UTC day, as ``read`` counts them): every table ``read`` makes events from is there."""

    name: str
    read: Callable[[Reading], None]
    dated: Callable[[date, date], list[Any]]

    @property
    def module(self) -> str:
        """The module whose code reads the records (its change makes the next nightly run a full one)."""
        return self.read.__module__


_sources: dict[str, EventSource] = {}
_open_cases: dict[str, OpenCases] = {}


def register(source: EventSource) -> None:
    """Add a capability's event source (again under the same name: replaced, so a reload is harmless)."""
    _sources[source.name] = source


def register_open_cases(open_cases: OpenCases) -> None:
    """Say which children's cases are open (again under the same name: replaced, so a reload is harmless)."""
    _open_cases[open_cases.name] = open_cases


def sources() -> list[EventSource]:
    """The registered sources, in the order of their names (every process reads them in the same order)."""
    return [_sources[name] for name in sorted(_sources)]


def _cases() -> OpenCases:
    """Every capability's open children as one: the union of their queries (in the order of their names)."""
    if "casework" not in _open_cases:
        raise RuntimeError(
            "No capability has said which cases are open: import safeguarding.schema (every "
            "capability) before deriving deadlines"
        )
    holders = [_open_cases[name] for name in sorted(_open_cases)]
    if len(holders) == 1:
        return holders[0]

    def of_share(share: Share | None) -> Any:
        # Each holder's query as a subquery (a compound select inside a union is not valid SQL on SQLite).
        return union(*(select(holder.of_share(share).subquery().c.person_id) for holder in holders))

    def among(ids: list[int]) -> list[Any]:
        return [query for holder in holders for query in holder.among(ids)]

    return OpenCases(of_share, among, "every")


def open_children_query(share: Share | None = None) -> Any:
    """Children whose case is open (of one share)."""
    return _cases().of_share(share)


def _chunks(ids: Collection[int]) -> Iterable[list[int]]:
    ordered = sorted(ids)
    for index in range(0, len(ordered), CHUNK):
        yield ordered[index : index + CHUNK]


def clock_events(
    connection: Connection,
    person_ids: Collection[int] | None,
    today: date,
    share: Share | None = None,
    *,
    episodes: Literal["open", "all"] = "open",
) -> CaseEvents:
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


def _read(
    connection: Connection,
    ids: list[int] | None,
    today: date,
    out: CaseEvents,
    share: Share | None,
    every_episode: bool = False,
) -> None:
    """The open children first (``wanted`` keeps their events), then every source in turn."""
    cases = _cases()
    reading = Reading(connection, ids, today, share, every_episode, out, cases.of_share(share).subquery())
    if ids is None:
        reading.wanted = out.open_children.__contains__
        out.open_children.update(person_id for (person_id,) in reading.fetch(select(reading.open_subquery.c.person_id)))
    else:
        for query in cases.among(ids):
            out.open_children.update(person_id for (person_id,) in reading.fetch(query))
    for source in sources():
        source.read(reading)


def dated_rows(column: Any, after: date, today: date, person: Any = None, *joins: tuple[Any, Any]) -> Any:
    """The person ids of a table's rows dated after ``after`` up to ``today`` by ``column`` (a timestamp by its UTC
    day), the person found through ``joins`` when the table holds none."""
    since = datetime.combine(after + timedelta(days=1), time.min, UTC)
    until = datetime.combine(today + timedelta(days=1), time.min, UTC)
    bounds = (
        (column >= since, column < until) if isinstance(column.type, UTCDateTime) else (column > after, column <= today)
    )
    query = select(person if person is not None else column.table.c.person_id).select_from(column.table)
    for target, condition in joins:
        query = query.join(target, condition)
    return query.where(*bounds)


def children_with_events_dated(connection: Connection, after: date, today: date) -> set[int]:
    """Children with a row dated after ``after`` up to ``today``: rows that were in the future when their
    deadlines were last derived for ``after`` (a conference booked ahead is held once its day comes) and count now.
    Rows dated earlier were counted then, or by the write that recorded them (it derives its child again)."""
    _cases()
    queries = [query for source in sources() for query in source.dated(after, today)]
    return {person_id for (person_id,) in connection.execute(union(*queries)) if person_id is not None}
