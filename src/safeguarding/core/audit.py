"""The append-only, hash-chained audit log.

Every view, change, search, export, sign-in and refused access is recorded with who, what, when and why. Each row
carries the hash of the row before it, so that an edited or deleted row breaks the chain and
``safeguarding audit verify`` names the first broken row.

Rows are queued on the session by :func:`record` and chained in ``before_commit``, so the chain lock is held only
for the moment of commit, and an audit row is never written for work that rolled back. A refused access is queued
with ``survive_rollback=True``: the rollback of the refused request keeps it, and the request's transaction
commits it afterwards (``core.db.rollback_keeping_survivors``), so the refusal is recorded and nothing else is.

On SQLite a reading session holds no lock while it reads; its audit rows are chained inside an explicit
``BEGIN IMMEDIATE`` at commit, so two views can never fork the chain. On PostgreSQL the chain's lock, the chained
INSERT and the COMMIT go to the server in one message (``_append_on_postgresql``), and ``commit()`` returns once
the rows are on disk.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

import psycopg
from psycopg import sql as psycopg_sql
from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    event,
    insert,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from safeguarding.core.db import SURVIVORS_KEY, Base, Database, enter_write_gate, is_reading_sqlite, utcnow
from safeguarding.core.timings import timed

GENESIS_HASH = "0" * 64
_PENDING_KEY = "audit_pending"
# Arbitrary constant naming the PostgreSQL advisory lock that serialises appends to the chain.
_CHAIN_LOCK_ID = 7_402_112
# Session.info key: the PostgreSQL connection whose asynchronous commit must reach the disk before commit() returns.
_AWAIT_DURABLE_KEY = "audit_await_durable"
# Where an audited search keeps the people it found (inside the chained detail, and indexed in audit_search_hit).
SEARCH_HITS_KEY = "hit_person_ids"


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(index=True)
    actor_username: Mapped[str] = mapped_column(String(80))
    actor_role: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[str | None] = mapped_column(String(64))
    # The person whose record this touches, for the "who has looked at this record" page.
    person_id: Mapped[int | None] = mapped_column(index=True)
    outcome: Mapped[str] = mapped_column(String(10), default="allowed")
    reason: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditSearchHit(Base):
    """Index of the people each audited search found, so "who has looked at this record" finds the searches
    quickly. The hits are also inside the chained row's detail, so this index can be checked against the chain."""

    __tablename__ = "audit_search_hit"

    event_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), ForeignKey("audit_event.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(primary_key=True, index=True)


@dataclass(frozen=True)
class Actor:
    """Who did it: a user, or the system itself (CLI, scheduled job, demo loader)."""

    id: int | None
    username: str
    role: str

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls(id=None, username=name, role="system")


@dataclass
class _Pending:
    actor: Actor
    action: str
    target_type: str
    target_id: str | None
    person_id: int | None
    outcome: str
    reason: str | None
    detail: dict[str, Any] = field(default_factory=dict)
    at: datetime = field(default_factory=utcnow)


def _canonical_time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def row_hash(prev_hash: str, row: AuditEvent) -> str:
    payload = json.dumps(
        [
            prev_hash,
            _canonical_time(row.at),
            row.actor_id,
            row.actor_username,
            row.actor_role,
            row.action,
            row.target_type,
            row.target_id,
            row.person_id,
            row.outcome,
            row.reason,
            row.detail,
        ],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def record(
    session: Session,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: object = None,
    *,
    person_id: int | None = None,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
    outcome: str = "allowed",
    survive_rollback: bool = False,
) -> None:
    """Queue an audit row; it is chained and written when the session commits.

    ``survive_rollback`` keeps the row through a rollback of the session's work (for refused access).
    """
    key = SURVIVORS_KEY if survive_rollback else _PENDING_KEY
    pending: list[_Pending] = session.info.setdefault(key, [])
    pending.append(
        _Pending(
            actor=actor,
            action=action,
            target_type=target_type,
            target_id=None if target_id is None else str(target_id),
            person_id=person_id,
            outcome=outcome,
            reason=reason,
            detail=detail or {},
        )
    )


def record_view(
    session: Session,
    actor: Actor,
    target_type: str,
    target_id: object,
    person_ids: Iterable[int],
    *,
    detail: dict[str, Any] | None = None,
) -> None:
    """Audit the view of a record that shows several people: one row per person shown, so that each one's "who
    has looked at this record" lists it; one row without a person when it shows nobody."""
    people: list[int | None] = [*sorted(set(person_ids))]
    for person_id in people or [None]:
        record(session, actor, "view", target_type, target_id, person_id=person_id, detail=detail)


def record_refusal(
    database: Database,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: object = None,
    *,
    person_id: int | None = None,
    reason: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """Record refused access in a transaction of its own, so it outlives the refused request."""
    with database.transaction() as session:
        record(
            session,
            actor,
            action,
            target_type,
            target_id,
            person_id=person_id,
            reason=reason,
            detail=detail,
            outcome="refused",
        )


def _last_hash(session: Session) -> str:
    last = session.execute(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).scalar()
    return last or GENESIS_HASH


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    pending: list[_Pending] = session.info.pop(SURVIVORS_KEY, []) + session.info.pop(_PENDING_KEY, [])
    if is_reading_sqlite(session) and (pending or session.new or session.dirty or session.deleted):
        # Take the write lock for the chain and the view's own changes; the DBAPI commit that follows this hook
        # ends it. Queue for it first (core.db.enter_write_gate): SQLite's own wait is sleep-and-retry, slow under
        # many users.
        enter_write_gate(session)
        session.connection().exec_driver_sql("BEGIN IMMEDIATE")
        session.flush()
    if not pending:
        return
    if session.get_bind().dialect.name == "postgresql":
        _append_on_postgresql(session, pending)
        return
    prev = _last_hash(session)
    values: list[dict[str, Any]] = []
    for item in pending:
        row = AuditEvent(
            at=item.at,
            actor_id=item.actor.id,
            actor_username=item.actor.username,
            actor_role=item.actor.role,
            action=item.action,
            target_type=item.target_type,
            target_id=item.target_id,
            person_id=item.person_id,
            outcome=item.outcome,
            reason=item.reason,
            detail=json.dumps(item.detail, sort_keys=True, default=str, ensure_ascii=False),
            prev_hash=prev,
        )
        row.hash = prev = row_hash(prev, row)
        values.append({name: getattr(row, name) for name in _INSERTED})
    # Multi-row INSERTs rather than the unit of work's flush, a statement per _SQLITE_ROWS rows (SQLAlchemy would send
    # one per row to keep the ids in order): the write lock is held for less time, and a page naming five children
    # costs no more statements than one naming one. Under the write lock (BEGIN IMMEDIATE above) each row's id is
    # the largest so far plus one, given in the order of the VALUES: sorted, the ids are the rows' in order, so the
    # chain's order is the ids' order, as verify_chain reads it.
    ids: list[int] = []
    for start in range(0, len(values), _SQLITE_ROWS):
        ids += sorted(
            session.scalars(insert(AuditEvent).values(values[start : start + _SQLITE_ROWS]).returning(AuditEvent.id))
        )
    hits = [
        {"event_id": event_id, "person_id": int(person_id)}
        for event_id, item in zip(ids, pending, strict=True)
        if item.action == "search"
        for person_id in (item.detail.get(SEARCH_HITS_KEY) or ())
    ]
    if hits:
        session.execute(insert(AuditSearchHit), hits)


def _append_on_postgresql(session: Session, pending: list[_Pending]) -> None:
    """Chain and insert the rows, and commit, in one message to the server: the chain's lock is held for
    microseconds, never while the server waits for this process.

    The lock orders appends to the chain and is held until the transaction ends. Taken in its own statement and then
    held across round trips (read the head, insert, commit), a page view kept it while its thread waited for the
    GIL and the processors between statements, and up to five other views queued on it (measured:
    bench/results/mash-load-2026-12-07.md). Here the lock, the chained INSERT (each row's hash computed by the
    server: SHA-256 of the same JSON as ``row_hash``, with the head read after the lock, as each statement of a
    message takes its own snapshot) and COMMIT go in one simple-query message. The commit is asynchronous, so the
    lock is not held through the WAL's flush to disk either; ``_await_durable`` waits for the flush before commit()
    returns, so every row is on disk before anyone is answered, and as the WAL is flushed in order no later row can
    outlive an earlier one. ``verify_chain`` checks every hash again in Python.
    """
    # The request's own changes first, in this transaction, before the COMMIT below ends it.
    session.flush()
    connection = session.connection()
    dbapi_connection = cast("psycopg.Connection[Any]", connection.connection.dbapi_connection)

    def literal(value: object, sql_type: str) -> str:
        return f"CAST({psycopg_sql.Literal(value).as_string(dbapi_connection)} AS {sql_type})"

    rows: list[str] = []
    hits: list[str] = []
    for ordinal, item in enumerate(pending, start=1):
        detail = json.dumps(item.detail, sort_keys=True, default=str, ensure_ascii=False)
        # row_hash's JSON without its first element (the previous hash, a hex string the server puts in front).
        after_prev = json.dumps(
            [
                _canonical_time(item.at),
                item.actor.id,
                item.actor.username,
                item.actor.role,
                item.action,
                item.target_type,
                item.target_id,
                item.person_id,
                item.outcome,
                item.reason,
                detail,
            ],
            separators=(",", ":"),
            ensure_ascii=False,
        )[1:]
        rows.append(
            "("
            + ", ".join(
                [
                    str(ordinal),
                    literal(item.at, "timestamptz"),
                    literal(item.actor.id, "bigint"),
                    literal(item.actor.username, "text"),
                    literal(item.actor.role, "text"),
                    literal(item.action, "text"),
                    literal(item.target_type, "text"),
                    literal(item.target_id, "text"),
                    literal(item.person_id, "bigint"),
                    literal(item.outcome, "text"),
                    literal(item.reason, "text"),
                    literal(detail, "text"),
                    literal(after_prev, "text"),
                ]
            )
            + ")"
        )
        if item.action == "search":
            hits += [f"({ordinal}, {int(person_id)})" for person_id in (item.detail.get(SEARCH_HITS_KEY) or ())]
    hits_sql = _SEARCH_HITS_SQL.format(hits=", ".join(hits)) if hits else " "
    session.info[_AWAIT_DURABLE_KEY] = dbapi_connection
    with timed("chain_lock"):
        # Every value in the text is a literal escaped by psycopg for this connection, a number or a constant.
        connection.exec_driver_sql(
            _APPEND_SQL.format(
                lock_id=_CHAIN_LOCK_ID, rows=", ".join(rows), genesis=GENESIS_HASH, search_hits=hits_sql
            ),
            # Sent as it is: no parameters, so a "%" in a value is only a character.
            execution_options={"no_parameters": True},
        )


# One message: the lock; then, in a statement of its own (so with a snapshot taken after the lock), the head, the
# rows chained in order by a recursive query, inserted in that order (so the ids follow the chain), their search hits;
# then COMMIT.
_APPEND_SQL = (
    "SELECT set_config('synchronous_commit', 'off', true), pg_advisory_xact_lock({lock_id}); "
    "WITH RECURSIVE pending (ordinal, at, actor_id, actor_username, actor_role, action, target_type, target_id, "
    "person_id, outcome, reason, detail, after_prev) AS (VALUES {rows}), "
    "head (hash) AS (SELECT coalesce((SELECT hash FROM audit_event ORDER BY id DESC LIMIT 1), '{genesis}')), "
    "chained (ordinal, prev_hash, hash) AS ("
    "SELECT 1, head.hash, encode(sha256(convert_to('[\"' || head.hash || '\",' || p.after_prev, 'UTF8')), 'hex') "
    "FROM head JOIN pending p ON p.ordinal = 1 "
    "UNION ALL SELECT p.ordinal, c.hash, encode(sha256(convert_to('[\"' || c.hash || '\",' || p.after_prev, 'UTF8')), "
    "'hex') FROM chained c JOIN pending p ON p.ordinal = c.ordinal + 1), "
    "inserted AS (INSERT INTO audit_event (at, actor_id, actor_username, actor_role, action, target_type, target_id, "
    "person_id, outcome, reason, detail, prev_hash, hash) "
    "SELECT p.at, p.actor_id, p.actor_username, p.actor_role, p.action, p.target_type, p.target_id, p.person_id, "
    "p.outcome, p.reason, p.detail, c.prev_hash, c.hash FROM pending p JOIN chained c ON c.ordinal = p.ordinal "
    "ORDER BY p.ordinal RETURNING id, hash){search_hits}"
    "SELECT count(*) FROM inserted; COMMIT"
)
_SEARCH_HITS_SQL = (
    ", hits AS (INSERT INTO audit_search_hit (event_id, person_id) SELECT inserted.id, h.person_id FROM inserted "
    "JOIN chained ON chained.hash = inserted.hash JOIN (VALUES {hits}) AS h (ordinal, person_id) "
    "ON h.ordinal = chained.ordinal) "
)


_INSERTED = (
    "at",
    "actor_id",
    "actor_username",
    "actor_role",
    "action",
    "target_type",
    "target_id",
    "person_id",
    "outcome",
    "reason",
    "detail",
    "prev_hash",
    "hash",
)
# Rows per INSERT on SQLite: within the oldest SQLite's 999 bound parameters per statement.
_SQLITE_ROWS = 999 // len(_INSERTED)


# A transaction that writes to the WAL (a transactional logical-decoding message, no table) and commits
# synchronously: its commit flushes the WAL up to itself, so every transaction committed before it is on disk. A
# plain SELECT's commit flushes nothing. Decoders of logical replication, if any, see a message with this prefix.
WAL_FLUSH_SQL = "SELECT pg_logical_emit_message(true, 'safeguarding-audit-durable', '')"


def wait_until_durable(dbapi_connection: Any) -> None:
    """Return once everything committed (on this server) before the call is on disk: PostgreSQL only."""
    with timed("durable"):
        with dbapi_connection.cursor() as cursor:
            cursor.execute(WAL_FLUSH_SQL)
        dbapi_connection.commit()


@event.listens_for(Session, "after_commit")
def _await_durable(session: Session) -> None:
    # Runs inside commit(), after the asynchronous commit and before the connection goes back to the pool: the
    # caller is told of success only once the audit rows (and the work they record) are on disk.
    dbapi_connection = session.info.pop(_AWAIT_DURABLE_KEY, None)
    if dbapi_connection is not None:
        wait_until_durable(dbapi_connection)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)
    session.info.pop(_AWAIT_DURABLE_KEY, None)


@event.listens_for(Session, "before_flush")
def _refuse_rewrites(session: Session, _context: Any, _instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, (AuditEvent, AuditSearchHit)):
            raise RuntimeError("the audit log is append-only")


@dataclass(frozen=True)
class ChainBreak:
    row_id: int
    problem: str


def verify_chain(session: Session) -> Iterator[int | ChainBreak]:
    """Walk the chain in order; yields each verified row id, then a ChainBreak at the first broken row."""
    prev = GENESIS_HASH
    # Closed however the walk ends (a break found, or the caller stops early): PostgreSQL's server-side cursor goes.
    with session.execute(select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=2000)) as rows:
        for row in rows.scalars():
            if row.prev_hash != prev:
                yield ChainBreak(row.id, "does not follow the row before it (a row was removed or reordered)")
                return
            if row_hash(prev, row) != row.hash:
                yield ChainBreak(row.id, "its contents do not match its hash (the row was altered)")
                return
            prev = row.hash
            yield row.id


def search_index_mismatches(session: Session, batch: int = 1000) -> Iterator[int]:
    """Ids of audit rows whose search-hit index disagrees with the hits recorded (and hashed) in the row itself.

    A removed index row would hide a search from a person's history page, so ``audit verify`` checks this too.
    """
    stray = session.scalars(
        select(AuditSearchHit.event_id)
        .join(AuditEvent, AuditEvent.id == AuditSearchHit.event_id)
        .where(AuditEvent.action != "search")
        .distinct()
    )
    yield from stray
    last_id = 0
    while True:
        rows = list(
            session.execute(
                select(AuditEvent.id, AuditEvent.detail)
                .where(AuditEvent.action == "search", AuditEvent.id > last_id)
                .order_by(AuditEvent.id)
                .limit(batch)
            )
        )
        if not rows:
            return
        last_id = rows[-1][0]
        indexed: dict[int, set[int]] = {}
        for event_id, person_id in session.execute(
            select(AuditSearchHit.event_id, AuditSearchHit.person_id).where(
                AuditSearchHit.event_id.in_([r[0] for r in rows])
            )
        ):
            indexed.setdefault(event_id, set()).add(person_id)
        for event_id, detail in rows:
            try:
                hits = json.loads(detail).get(SEARCH_HITS_KEY) or []
            except (ValueError, AttributeError):
                hits = []
            if set(hits) != indexed.get(event_id, set()):
                yield event_id


def record_search(
    session: Session,
    actor: Actor,
    target_type: str,
    terms: dict[str, Any],
    hit_person_ids: list[int] | tuple[int, ...],
    *,
    detail: dict[str, Any] | None = None,
) -> None:
    """Audit a search with its terms and the people it found, so each found person's history shows the hit."""
    record(
        session,
        actor,
        "search",
        target_type,
        detail={**(detail or {}), "terms": terms, SEARCH_HITS_KEY: sorted(set(hit_person_ids))},
    )
