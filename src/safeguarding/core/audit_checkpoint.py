"""Signed checkpoints of the audit chain's head, so that someone with the database cannot quietly rewrite it.

The hash chain (``core.audit``) finds a row edited or removed in the middle, but someone who can write to the
database can delete the last rows, or edit a row and compute every later hash again, and the chain is whole. A
checkpoint records the chain's head (how many rows, the last row's id and hash, when) and signs it with HMAC-SHA256
under a key that is *not* in the database (``SAFEGUARDING_AUDIT_CHECKPOINT_KEY`` or a key file). Checkpoints are
stored in ``audit_checkpoint`` and appended, one JSON line each, to a file or syslog kept off the database server.
``verify`` then says, against each checkpoint, whether rows it counted are missing or were re-written.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import BigInteger, Integer, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from safeguarding.core.audit import GENESIS_HASH, AuditEvent, ChainBreak, row_hash, wait_until_durable
from safeguarding.core.db import Base, utcnow
from safeguarding.core.settings import get_settings

# Marks a line of a checkpoint file, so a stray line in a shared log is not mistaken for one.
LINE_KIND = "safeguarding-audit-checkpoint"
FORMAT_VERSION = 1
# An HMAC key shorter than this is too easy to guess; `python -c "import secrets; print(secrets.token_hex(32))"`.
MIN_KEY_LENGTH = 32
KEY_HELP = (
    "set SAFEGUARDING_AUDIT_CHECKPOINT_KEY (at least 32 characters, for example the output of "
    '`python -c "import secrets; print(secrets.token_hex(32))"`) or SAFEGUARDING_AUDIT_CHECKPOINT_KEY_FILE '
    "(a file holding it, readable only by the application's account on the application server)"
)


class CheckpointKeyMissing(Exception):
    """No usable checkpoint key: checkpoints are neither written nor checked without one."""


class AuditCheckpoint(Base):
    """One signed checkpoint of the chain's head. The signature is over the other columns, with a key kept outside
    the database, so a row here cannot be forged or moved by someone who has only the database."""

    __tablename__ = "audit_checkpoint"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    row_count: Mapped[int] = mapped_column(BigInteger)
    last_id: Mapped[int] = mapped_column(BigInteger)
    head_hash: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(64))


@dataclass(frozen=True)
class Head:
    """The chain's head as a checkpoint records it (from the database or from a line of a file)."""

    at: datetime
    row_count: int
    last_id: int
    head_hash: str
    signature: str = ""
    source: str = "the database"

    def payload(self) -> bytes:
        return json.dumps(
            [FORMAT_VERSION, self.at.isoformat(timespec="microseconds"), self.row_count, self.last_id, self.head_hash],
            separators=(",", ":"),
        ).encode()

    def line(self) -> str:
        """The checkpoint as one JSON line, for a file or syslog."""
        return json.dumps(
            {
                "kind": LINE_KIND,
                "v": FORMAT_VERSION,
                "at": self.at.isoformat(timespec="microseconds"),
                "row_count": self.row_count,
                "last_id": self.last_id,
                "head_hash": self.head_hash,
                "signature": self.signature,
            },
            separators=(",", ":"),
        )

    def describe(self) -> str:
        return f"the checkpoint of {self.at:%Y-%m-%d %H:%M:%S} UTC ({self.source})"


def checkpoint_key(key: str = "", key_file: str = "") -> bytes:
    """The key from the settings (given, or read from the environment); raises CheckpointKeyMissing with the fix."""
    if not key and not key_file:
        settings = get_settings()
        key, key_file = settings.audit_checkpoint_key, settings.audit_checkpoint_key_file
    if key_file and not key:
        try:
            key = Path(key_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise CheckpointKeyMissing(
                f"The checkpoint key file {key_file} cannot be read ({exc.strerror}): " + KEY_HELP
            ) from None
    if not key:
        raise CheckpointKeyMissing("No audit checkpoint key is set: " + KEY_HELP)
    if len(key) < MIN_KEY_LENGTH:
        raise CheckpointKeyMissing(f"The audit checkpoint key is too short ({len(key)} characters): " + KEY_HELP)
    return key.encode()


def sign(head: Head, key: bytes) -> str:
    return hmac.new(key, head.payload(), hashlib.sha256).hexdigest()


def signed(head: Head, key: bytes) -> bool:
    return hmac.compare_digest(sign(head, key), head.signature)


def _of_row(row: AuditCheckpoint) -> Head:
    return Head(
        at=row.at, row_count=row.row_count, last_id=row.last_id, head_hash=row.head_hash, signature=row.signature
    )


def stored(session: Session) -> list[Head]:
    """Every stored checkpoint, oldest first."""
    return [_of_row(r) for r in session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id))]


def write(session: Session, key: bytes) -> Head:
    """Sign the chain's head as it is now and store the checkpoint (the caller's transaction commits it).

    Refuses (ValueError) when the rows written since the last good checkpoint do not verify: signing a broken chain
    would vouch for the tampering."""
    problem = first_break_since_checkpoint(session, key)
    if problem is not None:
        raise ValueError(
            f"The audit chain is broken at row {problem.row_id}: {problem.problem}. "
            "No checkpoint was written; run `safeguarding audit verify`."
        )
    last = session.execute(select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).first()
    last_id, head_hash = (last[0], last[1]) if last else (0, GENESIS_HASH)
    count = session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.id <= last_id)) or 0
    if session.get_bind().dialect.name == "postgresql":
        # The rows counted were perhaps committed asynchronously a moment ago (core.audit): make sure they are on
        # disk before a checkpoint, perhaps written to a file at once, vouches for them.
        connection = session.get_bind().engine.raw_connection()
        try:
            wait_until_durable(connection)
        finally:
            connection.close()
    head = Head(at=utcnow(), row_count=count, last_id=last_id, head_hash=head_hash)
    head = replace(head, signature=sign(head, key))
    session.add(
        AuditCheckpoint(
            at=head.at,
            row_count=head.row_count,
            last_id=head.last_id,
            head_hash=head.head_hash,
            signature=head.signature,
        )
    )
    session.flush()
    return head


def first_break_since_checkpoint(session: Session, key: bytes) -> ChainBreak | None:
    """Walk the chain from the latest stored checkpoint that is genuine and still matches (or from the start)."""
    start_id, prev = 0, GENESIS_HASH
    for head in reversed(stored(session)):
        if signed(head, key) and not list(_against(session, head)):
            start_id, prev = head.last_id, head.head_hash
            break
    # Closed when a break ends the walk early, so PostgreSQL's server-side cursor goes with it.
    with session.execute(
        select(AuditEvent).where(AuditEvent.id > start_id).order_by(AuditEvent.id).execution_options(yield_per=2000)
    ) as rows:
        for row in rows.scalars():
            if row.prev_hash != prev:
                return ChainBreak(row.id, "does not follow the row before it (a row was removed or reordered)")
            if row_hash(prev, row) != row.hash:
                return ChainBreak(row.id, "its contents do not match its hash (the row was altered)")
            prev = row.hash
    return None


def read_file(path: Path) -> tuple[list[Head], list[str]]:
    """The checkpoints in a file of JSON lines, and a plain description of each line that is not one."""
    heads: list[Head] = []
    problems: list[str] = []
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return [], [f"The checkpoint file {path} cannot be read ({exc.strerror})."]
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            data: Any = json.loads(raw)
            if not isinstance(data, dict) or data.get("kind") != LINE_KIND or data.get("v") != FORMAT_VERSION:
                raise ValueError
            heads.append(
                Head(
                    at=datetime.fromisoformat(data["at"]),
                    row_count=int(data["row_count"]),
                    last_id=int(data["last_id"]),
                    head_hash=str(data["head_hash"]),
                    signature=str(data["signature"]),
                    source=f"{path.name} line {number}",
                )
            )
        except (ValueError, KeyError, TypeError):
            problems.append(f"Line {number} of {path} is not an audit checkpoint.")
    return heads, problems


def _against(session: Session, head: Head) -> Iterator[str]:
    """What is wrong with the log compared with one checkpoint, in plain words (nothing when it matches)."""
    if not head.last_id:
        return  # the log was empty when the checkpoint was taken
    at_head = session.scalar(select(AuditEvent.hash).where(AuditEvent.id == head.last_id))
    if at_head == head.head_hash:
        return  # the chain (verified separately) runs whole from the first row to this one, as signed
    held = session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.id <= head.last_id)) or 0
    if held < head.row_count:
        missing = head.row_count - held
        yield (
            f"Audit rows are missing ({missing} row{'s' if missing != 1 else ''} at least): {head.describe()} "
            f"counted {head.row_count} rows up to row {head.last_id}, and the log now holds {held} rows "
            f"numbered up to {head.last_id}" + (f"; row {head.last_id} itself is gone." if at_head is None else ".")
        )
    if at_head is not None:
        yield (
            f"Audit rows were re-written: row {head.last_id} no longer has the hash {head.describe()} "
            "signed, so it or a row before it was changed and the hashes after it computed again."
        )
    elif held >= head.row_count:
        yield f"Row {head.last_id}, the last row {head.describe()} signed, is gone."


@dataclass(frozen=True)
class CheckpointReport:
    checked: int
    problems: list[str]


def check(session: Session, key: bytes, file_heads: Iterable[Head] = ()) -> CheckpointReport:
    """Check the log against the latest stored checkpoint and every checkpoint given from a file.

    Every stored checkpoint's signature is checked too (a forged one is reported). Where several checkpoints are
    broken, the earliest that still matches says after which row the re-writing started."""
    problems: list[str] = []
    heads = stored(session)
    genuine: list[Head] = []
    for head in heads:
        if signed(head, key):
            genuine.append(head)
        else:
            problems.append(
                f"A stored audit checkpoint is forged or altered: {head.describe()} (row {head.last_id}, "
                f"{head.row_count} rows) does not carry a valid signature for the checkpoint key."
            )
    to_check: list[Head] = genuine[-1:]
    for head in file_heads:
        if signed(head, key):
            to_check.append(head)
        else:
            problems.append(
                f"A checkpoint in the file is forged or altered: {head.describe()} does not carry a "
                "valid signature for the checkpoint key."
            )
    matching: list[Head] = []
    broken: list[Head] = []
    for head in sorted(to_check, key=lambda h: (h.last_id, h.at)):
        found = list(_against(session, head))
        problems.extend(found)
        (broken if found else matching).append(head)
    if broken:
        earliest = broken[0]
        before = [h for h in matching if h.last_id < earliest.last_id]
        start = (
            f"after row {before[-1].last_id} (still as {before[-1].describe()} signed)"
            if before
            else "somewhere from the first row"
        )
        problems.append(f"The damage is {start} and at or before row {earliest.last_id}.")
    return CheckpointReport(checked=len(to_check), problems=problems)
