"""Reading the audit log: search it, "who has looked at this record", export it, review break-glass accesses.

Managers and administrators read the log (Kind.AUDIT_LOG), asked of the one access policy; reading the log is itself
recorded in it. Rows about a person the reader may not open are shown without their detail (:func:`hidden_events`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, select, union
from sqlalchemy.orm import Session

from safeguarding.core.access import Action, Kind, actor_of, locked_for, require_role, role_may
from safeguarding.core.audit import SEARCH_HITS_KEY, AuditEvent, AuditSearchHit, record
from safeguarding.core.calendar import LONDON
from safeguarding.core.db import Database, utcnow
from safeguarding.core.errors import Conflict, NotFound, ValidationFailed
from safeguarding.core.form_fields import date_field
from safeguarding.core.restrictions import BreakGlassAccess
from safeguarding.core.users import User

OUTCOMES = ("allowed", "refused")
DEFAULT_PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditFilter:
    """What a manager searches the log by. Dates are days in England (Europe/London), both ends included."""

    username: str = ""
    action: str = ""
    target_type: str = ""
    target_id: str = ""
    person_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    outcome: str = ""

    def terms(self) -> dict[str, str]:
        """The filter as query-string terms (only those given), for links, exports and the audit row."""
        values = {
            "username": self.username,
            "action": self.action,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "person_id": "" if self.person_id is None else str(self.person_id),
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
            "outcome": self.outcome,
        }
        return {k: v for k, v in values.items() if v}


def parse_filter(raw: dict[str, str]) -> AuditFilter:
    """Build a filter from submitted text; raises ValidationFailed naming each field at fault."""
    errors: dict[str, str] = {}
    text_of = {
        k: (raw.get(k) or "").strip()
        for k in ("username", "action", "target_type", "target_id", "person_id", "date_from", "date_to", "outcome")
    }
    for key in ("username", "action", "target_type", "target_id"):
        if len(text_of[key]) > 80:
            errors[key] = f"{key.replace('_', ' ').capitalize()} must be 80 characters or fewer"
    person_id = None
    if text_of["person_id"]:
        if text_of["person_id"].isdigit() and len(text_of["person_id"]) < 12:
            person_id = int(text_of["person_id"])
        else:
            errors["person_id"] = "Person number must be a whole number, like 1042"
    dates: dict[str, date | None] = {}
    for key in ("date_from", "date_to"):
        noun = "From date" if key == "date_from" else "To date"
        dates[key] = date_field(raw.get(key), key, noun.lower(), errors, required=False, noun=noun)
    if dates["date_from"] and dates["date_to"] and dates["date_from"] > dates["date_to"]:
        errors["date_to"] = "To date must be the same as or after the from date"
    if text_of["outcome"] and text_of["outcome"] not in OUTCOMES:
        errors["outcome"] = "Outcome must be allowed or refused"
    if errors:
        raise ValidationFailed(errors)
    return AuditFilter(
        username=text_of["username"],
        action=text_of["action"],
        target_type=text_of["target_type"],
        target_id=text_of["target_id"],
        person_id=person_id,
        date_from=dates["date_from"],
        date_to=dates["date_to"],
        outcome=text_of["outcome"],
    )


def _start_of_day(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LONDON).astimezone(UTC)


def _actor_id_for(session: Session, username: str) -> int | None:
    """The account id for a username, so a search by user uses the indexed actor id; None for the system's
    own actors (cli, demo loader), which are matched by name."""
    return session.scalar(select(User.id).where(func.lower(User.username) == username.lower()))


def _filtered(query: Select[Any], f: AuditFilter, actor_id: int | None = None) -> Select[Any]:
    if actor_id is not None:
        query = query.where(AuditEvent.actor_id == actor_id)
    elif f.username:
        query = query.where(func.lower(AuditEvent.actor_username) == f.username.lower())
    if f.action:
        query = query.where(AuditEvent.action == f.action)
    if f.target_type:
        query = query.where(AuditEvent.target_type == f.target_type)
    if f.target_id:
        query = query.where(AuditEvent.target_id == f.target_id)
    if f.person_id is not None:
        query = query.where(AuditEvent.person_id == f.person_id)
    if f.date_from:
        query = query.where(AuditEvent.at >= _start_of_day(f.date_from))
    if f.date_to:
        query = query.where(AuditEvent.at < _start_of_day(f.date_to + timedelta(days=1)))
    if f.outcome:
        query = query.where(AuditEvent.outcome == f.outcome)
    return query


@dataclass(frozen=True)
class AuditPage:
    events: list[AuditEvent]
    total: int
    page: int
    page_size: int
    # Rows shown without their detail and reason: about a person this reader may not open (see hidden_events).
    hidden: frozenset[int] = frozenset()

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


HIDDEN_TEXT = "Hidden: about a record you may not open"


def person_ids_in(event: AuditEvent) -> set[int]:
    """The people a row is about: its person, and for a search every person it found."""
    ids = {event.person_id} if event.person_id is not None else set()
    if event.action == "search":
        try:
            hits = json.loads(event.detail).get(SEARCH_HITS_KEY) or []
        except (ValueError, AttributeError):
            hits = []
        ids.update(h for h in hits if isinstance(h, int))
    return ids


def hidden_events(session: Session, user: User, events: list[AuditEvent]) -> frozenset[int]:
    """Ids of the rows whose detail and reason this reader may not see, because they would show what the reader
    may not see elsewhere: a row about (or a search that found) a restricted person the reader is not named on,
    and, for a reader who may not open anyone's record (administrators), every row about a person and every search
    for people. The row's who, what and when stay visible: that is what the log is read for."""
    about = {e.id: person_ids_in(e) for e in events}
    if not role_may(user, Kind.PERSON, Action.VIEW):
        return frozenset(e.id for e in events if about[e.id] or (e.action == "search" and e.target_type == "person"))
    locked = locked_for(session, user, set().union(*about.values())) if about else set()
    return frozenset(e.id for e in events if about[e.id] & locked)


def redacted(
    session: Session, user: User, events: Iterator[AuditEvent] | list[AuditEvent], batch: int = 500
) -> Iterator[tuple[AuditEvent, bool]]:
    """Each row with whether it is hidden from this reader, decided a batch at a time (for exports)."""
    chunk: list[AuditEvent] = []
    for row in events:
        chunk.append(row)
        if len(chunk) >= batch:
            hidden = hidden_events(session, user, chunk)
            yield from ((e, e.id in hidden) for e in chunk)
            chunk = []
    if chunk:
        hidden = hidden_events(session, user, chunk)
        yield from ((e, e.id in hidden) for e in chunk)


def _require_log(database: Database, user: User, action: Action) -> None:
    require_role(database, user, Kind.AUDIT_LOG, action)


def require_log_reader(database: Database, user: User) -> None:
    """Refuse (and record the refusal) unless the user may read the audit log."""
    _require_log(database, user, Action.VIEW)


def search_events(
    session: Session,
    database: Database,
    user: User,
    f: AuditFilter,
    *,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> AuditPage:
    """One page of the log matching the filter, newest first. The search is audited with its terms."""
    _require_log(database, user, Action.VIEW)
    page = max(1, page)
    actor_id = _actor_id_for(session, f.username) if f.username else None
    total = session.scalar(_filtered(select(func.count(AuditEvent.id)), f, actor_id)) or 0
    events = list(
        session.scalars(
            _filtered(select(AuditEvent), f, actor_id)
            .order_by(AuditEvent.id.desc())
            .offset((page - 1) * page_size)
            .limit(page_size)
        )
    )
    record(session, actor_of(user), "search", "audit_log", detail={"terms": f.terms(), "page": page})
    return AuditPage(events, total, page, page_size, hidden_events(session, user, events))


def export_events(
    session: Session, database: Database, user: User, f: AuditFilter
) -> Iterator[tuple[AuditEvent, bool]]:
    """Every row matching the filter, newest first, for a CSV export (audited as an export), each with whether its
    detail and reason are hidden from this reader (:func:`hidden_events`)."""
    _require_log(database, user, Action.EXPORT)
    actor_id = _actor_id_for(session, f.username) if f.username else None
    total = session.scalar(_filtered(select(func.count(AuditEvent.id)), f, actor_id)) or 0
    record(session, actor_of(user), "export", "audit_log", detail={"terms": f.terms(), "rows": total})
    query = _filtered(select(AuditEvent), f, actor_id).order_by(AuditEvent.id.desc()).execution_options(yield_per=1000)
    return redacted(session, user, iter(session.scalars(query)))


def _search_hit(event: AuditEvent, person_id: int) -> bool:
    try:
        hits = json.loads(event.detail).get(SEARCH_HITS_KEY, [])
    except (ValueError, AttributeError):
        return False
    return isinstance(hits, list) and person_id in hits


def person_history(
    session: Session,
    database: Database,
    user: User,
    person_id: int,
    *,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
    also: Iterable[int] = (),
) -> AuditPage:
    """Who has looked at one person's record: every view, change, break-glass and refusal about them, and every
    search that found them, newest first. Looking is itself audited against the person. ``also``: the records
    merged into this one, whose rows keep their own person (the log is never rewritten) and belong here too."""
    _require_log(database, user, Action.VIEW)
    page = max(1, page)
    people = sorted({person_id, *also})
    # A union of two indexed lookups: an OR across the two tables would scan the whole log on PostgreSQL.
    about = AuditEvent.id.in_(
        union(
            select(AuditEvent.id).where(AuditEvent.person_id.in_(people)),
            select(AuditSearchHit.event_id).where(AuditSearchHit.person_id.in_(people)),
        )
    )
    total = session.scalar(select(func.count(AuditEvent.id)).where(about)) or 0
    events = list(
        session.scalars(
            select(AuditEvent)
            .where(about)
            .order_by(AuditEvent.id.desc())
            .offset((page - 1) * page_size)
            .limit(page_size)
        )
    )
    record(session, actor_of(user), "view", "audit_log", person_id=person_id, detail={"page": page})
    return AuditPage(events, total, page, page_size, hidden_events(session, user, events))


def is_search_hit(event: AuditEvent, person_id: int) -> bool:
    """True when the row is a search that found this person (rather than an action on their record)."""
    return event.action == "search" and event.person_id is None and _search_hit(event, person_id)


def break_glass_accesses(
    session: Session, database: Database, user: User, *, only_unreviewed: bool = False
) -> list[BreakGlassAccess]:
    """Every break-glass access, newest first, for managers to review. Viewing the list is audited."""
    _require_log(database, user, Action.VIEW)
    query = select(BreakGlassAccess).order_by(BreakGlassAccess.at.desc(), BreakGlassAccess.id.desc())
    if only_unreviewed:
        query = query.where(BreakGlassAccess.reviewed_at.is_(None))
    accesses = list(session.scalars(query))
    record(
        session,
        actor_of(user),
        "list",
        "break_glass",
        detail={"only_unreviewed": only_unreviewed, "count": len(accesses)},
    )
    return accesses


def review_break_glass(session: Session, database: Database, user: User, access_id: int, note: str) -> BreakGlassAccess:
    """A manager marks a break-glass access reviewed, with a note. Nobody reviews their own."""
    require_role(database, user, Kind.AUDIT_LOG, Action.SIGN_OFF)
    access = session.get(BreakGlassAccess, access_id)
    if access is None:
        raise NotFound("There is no break-glass access with that number.")
    note = note.strip()
    if len(note) < 5 or len(note) > 2000:
        raise ValidationFailed({"note": "Write a review note of 5 to 2000 characters"})
    if access.user_id == user.id:
        raise ValidationFailed({"note": "Another manager must review your own break-glass access"})
    if access.reviewed_at is not None:
        raise Conflict("This break-glass access has already been reviewed.", field="note")
    access.reviewed_by_id = user.id
    access.reviewed_at = utcnow()
    access.review_note = note
    record(
        session,
        actor_of(user),
        "review",
        "break_glass",
        access.id,
        person_id=access.person_id,
        detail={"note": note, "accessed_by_id": access.user_id},
    )
    return access
