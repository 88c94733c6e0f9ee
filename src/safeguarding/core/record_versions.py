"""Versions of records: what a second editor is shown when someone saved first, and the amendments of signed-off
records.

Two things every record that people edit shares, in one place:

- **An edit that lost the race.** Each edited table carries a version counter; a form carries the version it was
  loaded at. When the saved record has moved on, the service raises ``EditConflict`` with the saved version (its
  fields as shown, who saved it and when, from the audit log) and the web form layer (``web.forms.submit``) shows the
  form again with what the user typed and the saved version beside it, so nothing typed is lost.
- **A signed-off record** (an authorised assessment, say) is not changed by its ordinary edit form: the service
  raises ``RecordLocked`` naming the amendment form. An amendment needs a reason; the content before it is kept as a
  ``record_version`` row (who, when, why, the fields as they were shown), listed on the record's page.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from safeguarding.core.audit import AuditEvent
from safeguarding.core.db import Base, utcnow
from safeguarding.core.errors import Conflict
from safeguarding.core.form_fields import parse_date
from safeguarding.core.users import User

# The audit actions that change a record's content (what "who saved it" is read from).
CHANGE_ACTIONS = ("create", "update", "authorise", "amend", "sign_off", "decide", "close")
REASON_MAX = 2000


class RecordVersion(Base):
    """A record's content as it was before an amendment: the fields as its page showed them (label and value, so
    an old version reads the same whatever the form becomes), the version number it had, and who amended it, when
    and why."""

    __tablename__ = "record_version"
    __table_args__ = (Index("ix_record_version_record", "record_type", "record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_type: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[int] = mapped_column()
    version: Mapped[int] = mapped_column()
    content: Mapped[str] = mapped_column(Text)  # JSON: [{"name", "label", "value"}, ...]
    reason: Mapped[str] = mapped_column(Text)
    amended_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    amended_at: Mapped[datetime] = mapped_column(default=utcnow)


@dataclass(frozen=True)
class SavedField:
    """One field of a saved record: its form name, its label, the value as the form holds it and as a reader sees
    it (``choices`` turns a code into its words, for what the user typed too)."""

    name: str
    label: str
    value: str
    choices: Mapping[str, str] = field(default_factory=dict)
    is_date: bool = False

    @property
    def shown(self) -> str:
        return self.shown_for(self.value)

    def shown_for(self, typed: str) -> str:
        if self.is_date and typed.strip():
            try:
                return f"{parse_date(typed):%-d %B %Y}"
            except ValueError:
                return typed
        return self.choices.get(typed, typed)

    def typed_in(self, form: Mapping[str, str]) -> str:
        """What the user typed for this field: its one box, or the three boxes of a GOV.UK date input."""
        if self.name in form or not self.is_date:
            return form.get(self.name, "") or ""
        parts = [(form.get(f"{self.name}-{part}", "") or "").strip() for part in ("day", "month", "year")]
        return "/".join(parts) if any(parts) else ""

    def differs_from(self, typed: str) -> bool:
        return self.shown_for(typed).strip() != self.shown.strip()


@dataclass(frozen=True)
class SavedVersion:
    """The record as saved now: its version, its fields, and who saved it last and when (None when not known).
    ``version`` is the record's version number, or the digest its form carries where the table has none (an
    account: ``core.accounts.account_fingerprint``); the form is shown again carrying it, so saving again after
    comparing is deliberate."""

    version: int | str
    fields: Sequence[SavedField] = ()
    saved_by: str | None = None
    saved_at: datetime | None = None


class EditConflict(Conflict):
    """The record was saved by someone else since the form was loaded: nothing was written. ``saved`` is the
    version now stored, shown beside what the user typed."""

    def __init__(self, message: str, saved: SavedVersion) -> None:
        super().__init__(message, field="version")
        self.saved = saved


class RecordLocked(Conflict):
    """The record is signed off: it changes only by an amendment with a reason (``amend_url``)."""

    def __init__(self, message: str, amend_url: str, back_url: str) -> None:
        super().__init__(message)
        self.amend_url = amend_url
        self.back_url = back_url


CONFLICT_MESSAGE = (
    "Someone else changed this record since you opened it. Nothing you entered was saved, and nothing is lost: "
    "what you typed is still in the form, beside the saved version. Compare them, change what you need to, then "
    "save again."
)


def changed_message(what: str) -> str:
    """The refusal of an edit of a ``what`` (``"episode"``) that someone else saved since the form was loaded."""
    return (
        f"Someone else changed this {what} since you opened it. Nothing you entered was saved, and nothing is lost: "
        "what you typed is still in the form. Check their change, then save again."
    )


def last_change(session: Session, target_type: str, target_id: object) -> tuple[str | None, datetime | None]:
    """Who last changed the record, and when, from the audit log (the name of the user, or the system's)."""
    row = session.execute(
        select(AuditEvent.actor_id, AuditEvent.actor_username, AuditEvent.at)
        .where(
            AuditEvent.target_type == target_type,
            AuditEvent.target_id == str(target_id),
            AuditEvent.action.in_(CHANGE_ACTIONS),
            AuditEvent.outcome == "allowed",
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None, None
    user = session.get(User, row.actor_id) if row.actor_id is not None else None
    return (user.full_name if user is not None else row.actor_username), row.at


def conflict(
    session: Session, target_type: str, row: Any, fields: Iterable[SavedField] = (), message: str = CONFLICT_MESSAGE
) -> EditConflict:
    """The refusal of an edit made against an older version of ``row`` (which has ``id`` and ``version``)."""
    version, record_id = row.version, row.id  # as stored: nothing the caller changed is flushed by the query
    with session.no_autoflush:
        saved_by, saved_at = last_change(session, target_type, record_id)
    return EditConflict(message, SavedVersion(version, tuple(fields), saved_by, saved_at))


def check_version(
    session: Session,
    target_type: str,
    row: Any,
    expected_version: int | None,
    fields: Iterable[SavedField] = (),
) -> None:
    """Refuse (``EditConflict``) an edit loaded at another version than the one stored. No version sent: no check
    (the API's callers that do not send one)."""
    if expected_version is not None and row.version != expected_version:
        raise conflict(session, target_type, row, fields)


def reason_problem(reason: str | None) -> str | None:
    """What is wrong with an amendment's reason, or None."""
    text = (reason or "").strip()
    if not text:
        return "Enter the reason for the amendment"
    if len(text) > REASON_MAX:
        return f"The reason for the amendment must be {REASON_MAX} characters or fewer"
    return None


def keep_version(
    session: Session,
    user: User,
    target_type: str,
    row: Any,
    fields: Iterable[SavedField],
    reason: str,
) -> RecordVersion:
    """Keep the record's content before an amendment (the caller then changes the row and audits the amendment)."""
    kept = RecordVersion(
        record_type=target_type,
        record_id=row.id,
        version=row.version,
        content=json.dumps([{"name": f.name, "label": f.label, "value": f.shown} for f in fields]),
        reason=reason.strip(),
        amended_by_id=user.id,
    )
    session.add(kept)
    return kept


@dataclass(frozen=True)
class Amendment:
    """An amendment as the record's page shows it: when, by whom, why, and the content before it."""

    amended_at: datetime
    amended_by: str
    reason: str
    before: list[tuple[str, str]]  # (label, value)


def amendments(session: Session, target_type: str, record_ids: Iterable[int]) -> dict[int, list[Amendment]]:
    """Each record's amendments, newest first (records never amended are left out)."""
    ids = list(record_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(RecordVersion, User.full_name)
        .join(User, User.id == RecordVersion.amended_by_id)
        .where(RecordVersion.record_type == target_type, RecordVersion.record_id.in_(ids))
        .order_by(RecordVersion.id.desc())
    ).all()
    found: dict[int, list[Amendment]] = {}
    for kept, name in rows:
        before = [(str(f["label"]), str(f["value"])) for f in json.loads(kept.content)]
        found.setdefault(kept.record_id, []).append(Amendment(kept.amended_at, name, kept.reason, before))
    return found


@dataclass(frozen=True)
class Change:
    """One field an amendment changed, as a reader sees it before and after."""

    label: str
    before: str
    after: str


def changes_made(
    found: Sequence[Amendment], now: Sequence[tuple[str, str]], compared: Iterable[str] | None = None
) -> list[tuple[Amendment, list[Change]]]:
    """What each amendment changed (``found`` newest first, as ``amendments`` gives them; ``now`` the record's
    (label, value) pairs as it stands): each amendment's content before it, against the content the next amendment
    kept, or the record now for the newest. Only the labels in ``compared`` (all, when None) are compared: a version
    may keep more than an amendment changes (who signed the record off). Fields only one side has (a field added to
    the form since) are left out."""
    labels = None if compared is None else set(compared)
    shown: list[tuple[Amendment, list[Change]]] = []
    after = dict(now)
    for amendment in found:
        changed = [
            Change(label, value, after[label])
            for label, value in amendment.before
            if label in after and after[label].strip() != value.strip() and (labels is None or label in labels)
        ]
        shown.append((amendment, changed))
        after = dict(amendment.before)
    return shown
