"""The append-only, hash-chained audit log.

Every view, change, search, export, sign-in and refused access is recorded with who, what, when and why. Each row
carries the hash of the row before it, so that an edited or deleted row breaks the chain and
``safeguarding audit verify`` names the first broken row.

Rows are queued on the session by :func:`record` and chained in ``before_commit``, so the chain lock is held only
for the moment of commit, and an audit row is never written for work that rolled back. Refused access is recorded
in its own transaction by :func:`record_refusal`, so the refusal survives the failed request.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, Text, event, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from safeguarding.core.db import Base, Database, utcnow

GENESIS_HASH = "0" * 64
_PENDING_KEY = "audit_pending"
# Arbitrary constant naming the PostgreSQL advisory lock that serialises appends to the chain.
_CHAIN_LOCK_ID = 7_402_112


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
) -> None:
    """Queue an audit row; it is chained and written when the session commits."""
    pending: list[_Pending] = session.info.setdefault(_PENDING_KEY, [])
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
        record(session, actor, action, target_type, target_id, person_id=person_id, reason=reason,
               detail=detail, outcome="refused")


def _last_hash(session: Session) -> str:
    last = session.execute(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).scalar()
    return last or GENESIS_HASH


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    pending: list[_Pending] = session.info.pop(_PENDING_KEY, [])
    if not pending:
        return
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _CHAIN_LOCK_ID})
    prev = _last_hash(session)
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
        row.hash = row_hash(prev, row)
        session.add(row)
        prev = row.hash
    session.flush()


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)


@event.listens_for(Session, "before_flush")
def _refuse_rewrites(session: Session, _context: Any, _instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent):
            raise RuntimeError("the audit log is append-only")


@dataclass(frozen=True)
class ChainBreak:
    row_id: int
    problem: str


def verify_chain(session: Session) -> Iterator[int | ChainBreak]:
    """Walk the chain in order; yields each verified row id, then a ChainBreak at the first broken row."""
    prev = GENESIS_HASH
    rows = session.execute(select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=2000))
    for row in rows.scalars():
        if row.prev_hash != prev:
            yield ChainBreak(row.id, "does not follow the row before it (a row was removed or reordered)")
            return
        if row_hash(prev, row) != row.hash:
            yield ChainBreak(row.id, "its contents do not match its hash (the row was altered)")
            return
        prev = row.hash
        yield row.id
