"""Storing derived deadlines: each child's rows from ``derive.derive``, written as the difference from what is stored.

A recompute derives every row again but writes only what changed: rows no longer derived are deleted, new or
changed ones inserted, and the rest (most of them: the met history of the current episodes, and open clocks whose
status did not move) are left alone, keeping their ids (a deadline's page stays the same address) and costing
the database nothing. Rows are compared in the form the driver stores them (dates as ISO text on SQLite), so a
stored row is read back without any conversion.

The whole council (a full run of the nightly job, ``refresh``) is derived in worker processes, each taking one
share of the children (by person id); the stored rows are read back and compared only for children whose derived
rows differ from their digest (``DeadlineDigest``). Every worker reads the same committed state: the parent holds
the write lock (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: an exclusive lock on ``deadline``, and the workers import
its snapshot), so no case write can land between what the workers read and what the parent writes. A case event
recorded meanwhile waits, then recomputes its own child (``service.recompute_for_child``).
"""

from __future__ import annotations

import gc
import hashlib
import json
import marshal
import multiprocessing
import os
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any, cast

from sqlalchemy import ColumnElement, Connection, Table, delete, func, insert, select, text, update

from safeguarding.core.calendar import add_working_days_quick, today_in_london, working_days_between_quick
from safeguarding.core.db import READING, Database, driver_rows, make_engine, utcnow
from safeguarding.core.local_settings import get_all
from safeguarding.timescales.derive import derive
from safeguarding.timescales.events import CaseEvents, Share, children_with_events_dated, clock_events, sources
from safeguarding.timescales.models import Deadline, DeadlineDigest, DeadlineRefresh
from safeguarding.timescales.rules import (
    DUE_SOON_DEFAULT,
    FORECASTS,
    Derived,
    ForecastKind,
    Lengths,
    forecast,
)

# The columns a recompute derives, in the order ``_row`` gives them; ``computed_at`` (when the row was written) is
# added on insert and not compared.
DERIVED_COLUMNS = (
    "person_id",
    "rule_id",
    "source_kind",
    "source_id",
    "start_event",
    "started_on",
    "length",
    "due_on",
    "met_on",
    "met_source_kind",
    "met_source_id",
    "status",
    "forecast",
    "exceeded_reason",
    "worker_id",
    "team_id",
)
DATE_COLUMNS = ("started_on", "due_on", "met_on")
CHUNK = 900  # ids per IN list


@dataclass(frozen=True)
class RecomputeResult:
    children: int
    deadlines: int
    inserted: int = 0
    deleted: int = 0
    updated: int = 0
    compared: int = 0  # children whose stored rows were read back and compared


@dataclass
class Changes:
    """What a recompute writes: the ids of stored rows no longer derived, the rows to insert (driver form), and
    the new digest of each child whose rows were compared (None: the child holds no rows now)."""

    children: int = 0
    deadlines: int = 0
    delete_ids: list[int] = field(default_factory=list)
    insert: list[tuple[Any, ...]] = field(default_factory=list)
    digests: dict[int, str | None] = field(default_factory=dict)
    # Every child's digest is in ``digests``: the others are removed (a full run comparing every stored row).
    every_digest: bool = False

    def add(self, other: Changes) -> None:
        self.children += other.children
        self.deadlines += other.deadlines
        self.delete_ids.extend(other.delete_ids)
        self.insert.extend(other.insert)
        self.digests.update(other.digests)
        self.every_digest = self.every_digest or other.every_digest


def due_soon_until(today: date, due_soon_days: int) -> date:
    """The last day whose deadline is 'due soon' today: at most ``due_soon_days`` working days away
    (``rules.state_of``), so the day before the next working day after that."""
    return add_working_days_quick(today, due_soon_days + 1) - timedelta(days=1)


def derived_rows(
    case_events: CaseEvents, person_ids: Iterable[int], settings: Mapping[str, Any], today: date
) -> list[tuple[Any, ...]]:
    """The rows to store for these children: every open clock, and the clocks met in the current episode (from the
    day it began); nothing of closed episodes (timescales/models.py says why)."""
    lengths = Lengths(settings)
    soon = due_soon_until(today, int(settings.get("timescales.due_soon.working_days", DUE_SOON_DEFAULT)))
    rows: list[tuple[Any, ...]] = []
    for person_id in person_ids:
        events = case_events.events.get(person_id, [])
        worker, team = case_events.worker_of.get(person_id), case_events.team_of.get(person_id)
        since = case_events.episode_from.get(person_id, date.min)
        holders = case_events.rule_workers.get(person_id)
        for item in derive(person_id, events, lengths):
            if item.met_on is not None and item.met_on < since:
                continue
            if holders is not None and item.rule.id in holders:
                rows.append(_row(item, events, today, soon, *holders[item.rule.id]))
            else:
                rows.append(_row(item, events, today, soon, worker, team))
    return rows


def _row(
    item: Derived, events: list[Any], today: date, soon: date, worker: int | None, team: int | None
) -> tuple[Any, ...]:
    start, met_by, due, met_on = item.start, item.met_by, item.due, item.met_on
    if item.lapsed:
        # Stopped by the plan's end, not met (rules.State.LAPSED): stored with met_on = the end day, so it is not
        # open work (met_on IS NULL) and the nightly state updates (``_move_states``) pass it by. Its met source is
        # the plan-end event, which meets no clock, so the digest (status left out) still tells it from a met one.
        predicted, status = None, "lapsed"
    elif met_on is not None:
        predicted, status = None, ("met" if met_on <= due else "met_late")
    else:
        predicted = forecast(item, events, today)
        # rules.state_of, with the due-soon horizon worked out once for the whole recompute.
        status = "overdue" if today > due else "due_soon" if due <= soon else "due"
    return (
        item.person_id,
        item.rule.id,
        start.source_kind,
        start.source_id,
        start.kind._value_,
        start.on,
        item.length,
        due,
        met_on,
        met_by.source_kind if met_by else None,
        met_by.source_id if met_by else None,
        status,
        f"{predicted.rule_id}:{predicted.kind._value_}" if predicted else None,
        item.exceeded_reason,
        worker,
        team,
    )


class _IsoDays(dict[Any, Any]):
    """Dates as ISO text, each distinct day converted once (the digest's form on every database)."""

    def __missing__(self, day: Any) -> Any:
        value = self[day] = day if day is None or isinstance(day, str) else day.isoformat()
        return value


STATUS = DERIVED_COLUMNS.index("status")


def digests(rows: Sequence[tuple[Any, ...]]) -> dict[int, str]:
    """Each child's digest of their derived rows (``derived_rows``: grouped by child), as ``DeadlineDigest`` holds
    it. ``status`` is left out (the nightly run moves it in SQL); dates are ISO text; marshal's version 2 writes
    no back-references, so equal rows always give the same bytes."""
    iso = _IsoDays()
    found: dict[int, str] = {}
    for person_id, group in groupby(rows, key=itemgetter(0)):
        canonical = [
            (*row[1:5], iso[row[5]], row[6], iso[row[7]], iso[row[8]], *row[9:STATUS], *row[STATUS + 1 :])
            for row in group
        ]
        found[person_id] = hashlib.blake2b(marshal.dumps(canonical, 2), digest_size=16).hexdigest()
    return found


class _DriverForm:
    """Derived rows as the driver stores them, using SQLAlchemy's own bind processors for the dialect (dates as
    ISO text on SQLite; nothing to do on PostgreSQL). Each distinct day is converted once."""

    def __init__(self, connection: Connection) -> None:
        dialect = connection.dialect
        table = cast(Table, Deadline.__table__)
        processors = {
            name: processor
            for name in (*DERIVED_COLUMNS, "computed_at")
            if (processor := table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) is not None
        }
        self.stamp = processors.pop("computed_at", lambda value: value)
        if set(processors) - set(DATE_COLUMNS):
            raise RuntimeError(f"deadline columns with unexpected bind processors: {sorted(processors)}")
        self.convert = processors.get("started_on")
        self._text: dict[date, Any] = {}

    def _day(self, day: date | None) -> Any:
        if day is None or self.convert is None:
            return day
        stored = self._text.get(day)
        if stored is None:
            stored = self._text[day] = self.convert(day)
        return stored

    def rows(self, rows: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        if self.convert is None:
            return list(rows)
        day = self._day
        return [(*row[:5], day(row[5]), row[6], day(row[7]), day(row[8]), *row[9:]) for row in rows]


def _stored(connection: Connection, condition: ColumnElement[bool] | None) -> dict[tuple[Any, ...], list[int]]:
    """The stored rows (driver form, no conversion) by their derived values, with their ids."""
    statement = select(Deadline.id, *(Deadline.__table__.c[name] for name in DERIVED_COLUMNS))
    if condition is not None:
        statement = statement.where(condition)
    stored: dict[tuple[Any, ...], list[int]] = {}
    for row in driver_rows(connection, statement):
        ids = stored.get(row[1:])
        if ids is None:
            stored[row[1:]] = [row[0]]
        else:
            ids.append(row[0])
    return stored


def _difference(
    connection: Connection, rows: list[tuple[Any, ...]], condition: ColumnElement[bool] | None, children: int
) -> Changes:
    """What must be written so that the stored rows under ``condition`` become ``rows``."""
    stored = _stored(connection, condition)
    changes = Changes(children, len(rows))
    for row in _DriverForm(connection).rows(rows):
        ids = stored.get(row)
        if ids:
            ids.pop()
        else:
            changes.insert.append(row)
    changes.delete_ids = [row_id for ids in stored.values() for row_id in ids]
    return changes


def _insert_many(connection: Connection, table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """Rows already in driver form, written by the driver: on PostgreSQL by ``COPY`` (a council's first run writes
    a quarter of a million rows: 10.5 s by ``executemany``), elsewhere by one ``executemany`` (SQLAlchemy's own
    spends more time building each row's parameters than the database spends storing them)."""
    if not rows:
        return
    if connection.dialect.driver == "psycopg":
        quote = connection.dialect.identifier_preparer.quote
        statement = f"COPY {quote(table.name)} ({', '.join(quote(name) for name in columns)}) FROM STDIN"
        driver = cast(Any, connection.connection.driver_connection)
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
        return
    compiled = insert(table).compile(dialect=connection.dialect, column_keys=list(columns))
    if compiled.positional:
        order = [columns.index(name) for name in compiled.positiontup or ()]
        parameters: list[Any] = (
            list(rows) if order == list(range(len(columns))) else [tuple(row[i] for i in order) for row in rows]
        )
    else:
        parameters = [dict(zip(columns, row, strict=True)) for row in rows]
    connection.exec_driver_sql(compiled.string, parameters)


def _write(connection: Connection, changes: Changes) -> None:
    """Delete the rows no longer derived, insert the new ones, and store the compared children's digests."""
    ids = sorted(changes.delete_ids)
    for index in range(0, len(ids), CHUNK):
        connection.execute(delete(Deadline).where(Deadline.id.in_(ids[index : index + CHUNK])))
    now = _DriverForm(connection).stamp(utcnow())
    _insert_many(
        connection,
        cast(Table, Deadline.__table__),
        [*DERIVED_COLUMNS, "computed_at"],
        [(*row, now) for row in changes.insert],
    )
    if changes.every_digest:
        connection.execute(delete(DeadlineDigest))
    else:
        children = sorted(changes.digests)
        for index in range(0, len(children), CHUNK):
            connection.execute(
                delete(DeadlineDigest).where(DeadlineDigest.person_id.in_(children[index : index + CHUNK]))
            )
    _insert_many(
        connection,
        cast(Table, DeadlineDigest.__table__),
        ["person_id", "digest"],
        [(person_id, digest) for person_id, digest in sorted(changes.digests.items()) if digest],
    )


def recompute_children(
    connection: Connection, person_ids: Sequence[int], today: date, settings: Mapping[str, Any]
) -> RecomputeResult:
    """These children's deadlines derived again and stored (the connection's transaction)."""
    case_events = clock_events(connection, person_ids, today)
    changes = Changes()
    for index in range(0, len(person_ids), CHUNK):
        chunk = person_ids[index : index + CHUNK]
        rows = derived_rows(case_events, sorted(case_events.open_children.intersection(chunk)), settings, today)
        changes.add(_difference(connection, rows, Deadline.person_id.in_(chunk), 0))
        derived = digests(rows)
        changes.digests.update({person_id: derived.get(person_id) for person_id in chunk})
    _write(connection, changes)
    return RecomputeResult(len(person_ids), changes.deadlines, len(changes.insert), len(changes.delete_ids))


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """The cyclic garbage collector paused: deriving a council makes half a million small objects, none in a
    cycle, and the collections they set off (each walking every object the process holds) cost a fifth of the
    time. Reference counting still frees what is dropped."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@_without_cycle_collection()
def _share_changes(
    connection: Connection, share: Share | None, today: date, settings: Mapping[str, Any], every_row: bool = False
) -> Changes:
    """The changes for every open child of one share (``None``: of the whole council).

    Every child is derived again from every event. The stored rows are read back and compared only for children
    whose derived rows' digest or count differs from what is held (``DeadlineDigest``); ``every_row`` compares
    every stored row (after the clock was set back, or on request: a row changed in the table by hand)."""
    case_events = clock_events(connection, None, today, share)
    rows = derived_rows(case_events, sorted(case_events.open_children), settings, today)
    derived = digests(rows)
    if every_row:
        condition = None if share is None else share.holds(Deadline.person_id)
        changes = _difference(connection, rows, condition, len(case_events.open_children))
        changes.digests, changes.every_digest = dict(derived), True
        return changes
    held_rows = select(Deadline.person_id, func.count()).group_by(Deadline.person_id)
    held_digests = select(DeadlineDigest.person_id, DeadlineDigest.digest)
    if share is not None:
        held_rows = held_rows.where(share.holds(Deadline.person_id))
        held_digests = held_digests.where(share.holds(DeadlineDigest.person_id))
    counts: dict[int, int] = dict(driver_rows(connection, held_rows))
    stored: dict[int, str] = dict(driver_rows(connection, held_digests))
    derived_counts = Counter(row[0] for row in rows)
    differing = sorted(
        person_id
        for person_id in derived.keys() | counts.keys() | stored.keys()
        if derived.get(person_id) != stored.get(person_id) or derived_counts[person_id] != counts.get(person_id, 0)
    )
    by_child: defaultdict[int, list[tuple[Any, ...]]] = defaultdict(list)
    wanted = set(differing)
    for row in rows:
        if row[0] in wanted:
            by_child[row[0]].append(row)
    changes = Changes(len(case_events.open_children), len(rows))
    for index in range(0, len(differing), CHUNK):
        chunk = differing[index : index + CHUNK]
        part = _difference(
            connection, [row for person_id in chunk for row in by_child[person_id]], Deadline.person_id.in_(chunk), 0
        )
        changes.delete_ids.extend(part.delete_ids)
        changes.insert.extend(part.insert)
    changes.digests = {person_id: derived.get(person_id) for person_id in differing}
    return changes


def recompute_in_transaction(connection: Connection, today: date, settings: Mapping[str, Any]) -> RecomputeResult:
    """Every open child, in the caller's transaction and process (it sees the caller's own unsaved writes)."""
    began = time.perf_counter()
    changes = _share_changes(connection, None, today, settings)
    _write(connection, changes)
    soon = due_soon_until(today, int(settings.get("timescales.due_soon.working_days", DUE_SOON_DEFAULT)))
    result = RecomputeResult(
        changes.children,
        changes.deadlines,
        len(changes.insert),
        len(changes.delete_ids),
        _move_states(connection, today, soon),
    )
    _record(connection, "full", today, settings, began, result, result.updated)
    return result


# --- the nightly job ----------------------------------------------------------------------------------------------

# The modules whose code decides what is derived, with each capability's event source (``events.sources``): a
# change to any of them (a new rule version, a corrected count) makes the next night's run a full re-derivation.
DERIVATION_MODULES = (
    "safeguarding.timescales.rules",
    "safeguarding.timescales.derive",
    "safeguarding.timescales.events",
    "safeguarding.timescales.store",
    "safeguarding.core.calendar",
)


def fingerprint(settings: Mapping[str, Any]) -> str:
    """What the stored deadlines were derived under: the derivation's code and the timescales settings."""
    digest = hashlib.sha256()
    for name in (*DERIVATION_MODULES, *(source.module for source in sources())):
        digest.update(Path(cast(str, sys.modules[name].__file__)).read_bytes())
    local = {key: value for key, value in settings.items() if key.startswith("timescales.")}
    digest.update(json.dumps(local, sort_keys=True, default=str).encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class Refresh:
    """What a night's run did."""

    kind: str  # "full" or "drift"
    for_day: date
    seconds: float
    children: int  # derived again from their events
    deadlines: int  # rows held after it (full) or rows of the children derived again (drift)
    inserted: int
    deleted: int
    updated: int  # rows whose state moved with the date
    reason: str = ""
    compared: int = 0  # children whose stored rows were read back and compared (a full run)


def _record(
    connection: Connection,
    kind: str,
    today: date,
    settings: Mapping[str, Any],
    began: float,
    result: RecomputeResult,
    updated: int = 0,
) -> float:
    seconds = time.perf_counter() - began
    connection.execute(
        insert(DeadlineRefresh).values(
            kind=kind,
            for_day=today,
            fingerprint=fingerprint(settings),
            started_at=utcnow(),
            seconds=seconds,
            children=result.children,
            inserted=result.inserted,
            deleted=result.deleted,
            updated=updated,
        )
    )
    return seconds


def last_refresh(connection: Connection) -> Any:
    """The latest run (a row with ``for_day``, ``fingerprint``, ``kind``, ``started_at``, ``seconds``,
    ``children``), or None."""
    return connection.execute(
        select(
            DeadlineRefresh.for_day,
            DeadlineRefresh.fingerprint,
            DeadlineRefresh.kind,
            DeadlineRefresh.started_at,
            DeadlineRefresh.seconds,
            DeadlineRefresh.children,
        )
        .order_by(DeadlineRefresh.id.desc())
        .limit(1)
    ).first()


def _latest_start(day: date, working_days: int) -> date:
    """The latest day a clock can start and have ``working_days`` working days passed by ``day``."""
    start = day
    while working_days_between_quick(start, day) < working_days:
        start -= timedelta(days=1)
    return start


def _children_whose_forecast_turns(connection: Connection, after: date, today: date) -> set[int]:
    """Open clocks whose 'no event by working day N' forecast (rules.FORECASTS) comes due between the day they were
    derived for and today: those started after the latest start that had reached day N by ``after`` and no later
    than the latest start that has reached it by today."""
    children: set[int] = set()
    for rule in FORECASTS:
        if rule.kind is not ForecastKind.NO_EVENT_BY_DAY:
            continue
        earliest, latest = _latest_start(after, rule.by_day), _latest_start(today, rule.by_day)
        children.update(
            connection.scalars(
                select(Deadline.person_id).where(
                    Deadline.met_on.is_(None),
                    Deadline.rule_id == rule.rule_id,
                    Deadline.started_on > earliest,
                    Deadline.started_on <= latest,
                )
            )
        )
    return children


def _move_states(connection: Connection, today: date, soon: date) -> int:
    """Open deadlines' state on ``today`` (rules.state_of), in the database; an overdue deadline has no forecast
    (rules.forecast: it is already missed)."""
    open_ = Deadline.met_on.is_(None)
    moved = 0
    for statement in (
        update(Deadline)
        .where(open_, Deadline.due_on < today, (Deadline.status != "overdue") | Deadline.forecast.is_not(None))
        .values(status="overdue", forecast=None),
        update(Deadline)
        .where(open_, Deadline.due_on >= today, Deadline.due_on <= soon, Deadline.status != "due_soon")
        .values(status="due_soon"),
        update(Deadline).where(open_, Deadline.due_on > soon, Deadline.status != "due").values(status="due"),
    ):
        moved += connection.execute(statement.execution_options(synchronize_session=False)).rowcount
    return moved


def drift(connection: Connection, after: date, today: date, settings: Mapping[str, Any]) -> RecomputeResult:
    """Bring deadlines derived for ``after`` to ``today`` without re-deriving what the date cannot change.

    The stored rows are a pure function of each child's events, the settings and the day (derive.derive); every
    write of a case event derives its child again at once. So between ``after`` and ``today`` a child's rows can
    only change by (1) a row dated in that time now counting (events are read up to today), (2) a 'no event by
    day N' forecast coming due, or (3) an open deadline's state moving with the date (due, due soon, overdue,
    and an overdue deadline losing its forecast). (1) and (2) are derived again from their events; (3) is one
    update per state. Equal, row for row, to a full re-derivation (tests/timescales/test_refresh.py)."""
    soon = due_soon_until(today, int(settings.get("timescales.due_soon.working_days", DUE_SOON_DEFAULT)))
    children = children_with_events_dated(connection, after, today) | _children_whose_forecast_turns(
        connection, after, today
    )
    result = recompute_children(connection, sorted(children), today, settings) if children else RecomputeResult(0, 0)
    return replace(result, updated=_move_states(connection, today, soon))


# Days between full runs at most (``refresh``).
FULL_EVERY_DAYS = 7
SNAPSHOT_ID = re.compile(r"^[0-9A-F]+-[0-9A-F]+(-[0-9]+)?$")


def _worker(
    url: str, share: Share, today: date, settings: Mapping[str, Any], snapshot: str | None, every_row: bool
) -> Changes:
    """One worker process: its own connection, reading the state the parent holds locked."""
    engine = make_engine(url)
    try:
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
                if snapshot is not None:
                    connection.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
                return _share_changes(connection, share, today, settings, every_row)
        with engine.connect().execution_options(**{READING: True}) as connection:
            # Not BEGIN IMMEDIATE (core/db.py): a deferred transaction reads one snapshot without the write lock.
            connection.connection.driver_connection.execute("BEGIN")  # type: ignore[union-attr]
            return _share_changes(connection, share, today, settings, every_row)
    finally:
        engine.dispose()


def _default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def refresh(
    database: Database,
    *,
    today: date | None = None,
    workers: int | None = None,
    full: bool = False,
    full_every_days: int | None = FULL_EVERY_DAYS,
    every_row: bool = False,
) -> Refresh:
    """The nightly job: bring every open child's deadlines to ``today``.

    A drift run (``drift``) when the last run derived them under the same code and settings on or before today;
    otherwise (``full``: the first run, a change of rules, code or local settings, a clock set back, or
    ``full_every_days`` since the last full run) every open child is derived again from every event, in
    ``workers`` processes. The weekly full run is a safety net: a drift run trusts every writer of case records
    to derive its child's deadlines as it writes, and a full run puts right one that did not (a bulk correction
    made in the database, say). A full run compares the stored rows only of children whose derived rows differ
    from their digest (``_share_changes``); ``every_row`` (implied when the clock was set back, as the date moves
    a stored deadline's forecast without its digest) compares every stored row."""
    today = today or today_in_london()
    began = time.perf_counter()
    with database.transaction() as session:
        connection = session.connection()  # on SQLite: BEGIN IMMEDIATE, the write lock (core/db.py)
        if connection.dialect.name == "postgresql":
            # Writers of deadlines (case events deriving their child) wait until this commits; readers do not.
            connection.execute(text("LOCK TABLE deadline IN EXCLUSIVE MODE"))
        settings = get_all(session)
        last = last_refresh(connection)
        reason = (
            "asked for"
            if full
            else "no earlier run"
            if last is None
            else "the rules, their code or the local settings changed"
            if last.fingerprint != fingerprint(settings)
            else f"the last run was for a later day ({last.for_day.isoformat()})"
            if last.for_day > today
            else ""
        )
        if every_row and not full:
            reason = "every stored row to be compared, as asked"
        every_row = every_row or (last is not None and last.for_day > today)
        if not reason and full_every_days is not None:
            last_full = connection.scalar(
                select(func.max(DeadlineRefresh.for_day)).where(DeadlineRefresh.kind == "full")
            )
            if last_full is None or (today - last_full).days >= full_every_days:
                reason = f"no full run in the last {full_every_days} days"
        if reason or last is None or every_row:
            result = _council(database, connection, today, settings, workers, every_row)
            kind = "full"
        else:
            result = drift(connection, last.for_day, today, settings)
            kind = "drift"
        seconds = _record(connection, kind, today, settings, began, result, result.updated)
    return Refresh(
        kind,
        today,
        seconds,
        result.children,
        result.deadlines,
        result.inserted,
        result.deleted,
        result.updated,
        reason,
        result.compared,
    )


def _council(
    database: Database,
    connection: Connection,
    today: date,
    settings: Mapping[str, Any],
    workers: int | None,
    every_row: bool,
) -> RecomputeResult:
    """Every open child derived again from every event, in worker processes each taking a share of the children
    and reading the state this transaction holds locked (module docstring); the difference written here, and
    the states of deadlines not derived differently moved with the date."""
    workers = workers or _default_workers()
    # Before any worker forks: each then inherits the working-day index (core/calendar.py) instead of building it.
    soon = due_soon_until(today, int(settings.get("timescales.due_soon.working_days", DUE_SOON_DEFAULT)))
    in_memory = database.is_sqlite and database.engine.url.database in (None, "", ":memory:")
    if workers <= 1 or in_memory:  # an in-memory database is not shared with other processes
        changes = _share_changes(connection, None, today, settings, every_row)
    else:
        snapshot: str | None = None
        if connection.dialect.name == "postgresql":
            snapshot = str(connection.execute(text("SELECT pg_export_snapshot()")).scalar_one())
            if not SNAPSHOT_ID.match(snapshot):
                raise RuntimeError(f"unexpected snapshot id {snapshot!r}")
        url = database.engine.url.render_as_string(hide_password=False)
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            parts = pool.starmap(
                _worker,
                [(url, Share(index, workers), today, settings, snapshot, every_row) for index in range(workers)],
            )
        changes = Changes()
        for part in parts:
            changes.add(part)
    _write(connection, changes)
    return RecomputeResult(
        changes.children,
        changes.deadlines,
        len(changes.insert),
        len(changes.delete_ids),
        _move_states(connection, today, soon),
        len(changes.digests),
    )
