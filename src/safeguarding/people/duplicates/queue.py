"""The review queue of proposed duplicates: the duplicate check that fills it (nightly and on demand), the queue
most likely first, one pair with its evidence, and "not the same person".

The check scores the whole index with the linkage model (``people.linkage``); a pair already decided (merged, or
rejected as two people) is never proposed again. A restricted person's pair is shown only to a user the restriction
lets open it (``access.hidden_people``): anyone else never learns the pair exists.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from safeguarding.core import access, audit
from safeguarding.core.access import AccessSubject, Action, Kind
from safeguarding.core.audit import Actor
from safeguarding.core.db import Database, utcnow
from safeguarding.core.errors import NotFound, ValidationFailed
from safeguarding.core.form_fields import text_field
from safeguarding.core.users import User
from safeguarding.people import linkage
from safeguarding.people.duplicates.models import DuplicatePair, PairStatus
from safeguarding.people.linkage.index import index_records
from safeguarding.people.models import Person

REASON_MIN = 10
REASON_MAX = 2000


class ScoredPairLike(Protocol):
    """What the linkage model says of two records (``people.linkage.ScoredPair``)."""

    @property
    def left_id(self) -> str | int: ...
    @property
    def right_id(self) -> str | int: ...
    @property
    def match_weight(self) -> float: ...
    @property
    def probability(self) -> float: ...
    @property
    def evidence(self) -> list[str]: ...


@dataclass(frozen=True)
class CheckResult:
    proposed: int  # new pairs in the queue
    refreshed: int  # pairs already proposed, their scores brought up to date
    withdrawn: int  # proposals the model no longer makes (the records were corrected since)
    decided: int  # pairs found again but already decided: not proposed again

    def summary(self) -> str:
        return (
            f"{self.proposed} new possible duplicates, {self.refreshed} already in the queue, "
            f"{self.withdrawn} no longer proposed, {self.decided} already decided"
        )


def record_pairs(session: Session, actor: Actor, found: Iterable[ScoredPairLike]) -> CheckResult:
    """Bring the queue to what the model found over the whole index: new pairs proposed, proposed pairs rescored,
    proposals no longer made withdrawn, decided pairs left alone. Audited as one run."""
    merged_away = set(session.scalars(select(Person.id).where(Person.merged_into_id.is_not(None))))
    existing = {(p.left_id, p.right_id): p for p in session.scalars(select(DuplicatePair))}
    seen: set[tuple[int, int]] = set()
    proposed = refreshed = decided = 0
    for scored in found:
        left, right = sorted((int(scored.left_id), int(scored.right_id)))
        if left == right or left in merged_away or right in merged_away or (left, right) in seen:
            continue
        seen.add((left, right))
        evidence = "\n".join(line.replace("\n", " ").strip() for line in scored.evidence)
        pair = existing.get((left, right))
        if pair is None:
            session.add(
                DuplicatePair(
                    left_id=left,
                    right_id=right,
                    match_weight=float(scored.match_weight),
                    probability=float(scored.probability),
                    evidence=evidence,
                )
            )
            proposed += 1
        elif pair.status == PairStatus.PROPOSED:
            pair.match_weight, pair.probability, pair.evidence = (
                float(scored.match_weight),
                float(scored.probability),
                evidence,
            )
            refreshed += 1
        else:
            decided += 1
    # A proposal naming a merged-away record is parked (not withdrawn): an unmerge brings it back to the queue.
    stale = [
        p.id
        for key, p in existing.items()
        if p.status == PairStatus.PROPOSED and key not in seen and not merged_away.intersection(key)
    ]
    if stale:
        session.execute(delete(DuplicatePair).where(DuplicatePair.id.in_(stale)))
    session.flush()
    result = CheckResult(proposed, refreshed, len(stale), decided)
    audit.record(
        session,
        actor,
        "check",
        "duplicate_pair",
        detail={"proposed": proposed, "refreshed": refreshed, "withdrawn": len(stale), "decided": decided},
    )
    return result


def index_pairs(session: Session) -> list[linkage.ScoredPair]:
    """Every pair the linkage model proposes over the whole person index (records merged into another left out:
    they live on as their survivor). The twins rule holds back people who share a surname, address and date of birth
    but not a first name, unless an identifier agrees."""
    merged_away = {str(i) for i in session.scalars(select(Person.id).where(Person.merged_into_id.is_not(None)))}
    return linkage.find_pairs(r for r in index_records(session) if r.record_id not in merged_away)


def run_check(
    session: Session,
    database: Database,
    user: User,
    find: Callable[[Session], Iterable[ScoredPairLike]] = index_pairs,
) -> CheckResult:
    """The duplicate check on demand, from the queue page."""
    access.require_role(database, user, Kind.DUPLICATE_PAIR, Action.CREATE)
    return record_pairs(session, access.actor_of(user), find(session))


def nightly_check(session: Session) -> CheckResult:
    """The duplicate check as the nightly job runs it (``safeguarding people duplicates check``)."""
    return record_pairs(session, Actor.system("duplicate-check"), index_pairs(session))


# --- the queue ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueuedPair:
    pair: DuplicatePair
    left: Person
    right: Person


def queue(session: Session, database: Database, user: User) -> list[QueuedPair]:
    """The proposed pairs, most likely first, without any pair naming a restricted person this user may not open or
    a record merged into another (parked until an unmerge). Audited as a view of the people shown."""
    access.require_role(database, user, Kind.DUPLICATE_PAIR, Action.LIST)
    merged_away = select(Person.id).where(Person.merged_into_id.is_not(None))
    pairs = list(
        session.scalars(
            select(DuplicatePair)
            .where(
                DuplicatePair.status == PairStatus.PROPOSED,
                DuplicatePair.left_id.not_in(merged_away),
                DuplicatePair.right_id.not_in(merged_away),
            )
            .order_by(DuplicatePair.probability.desc(), DuplicatePair.match_weight.desc(), DuplicatePair.id)
        )
    )
    people_ids = {i for p in pairs for i in (p.left_id, p.right_id)}
    hidden = access.hidden_people(session, user, people_ids, kind=Kind.DUPLICATE_PAIR)
    pairs = [p for p in pairs if p.left_id not in hidden and p.right_id not in hidden]
    shown_ids = {i for p in pairs for i in (p.left_id, p.right_id)}
    people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(shown_ids)))} if shown_ids else {}
    audit.record_view(session, access.actor_of(user), "duplicate_queue", None, shown_ids)
    return [QueuedPair(p, people[p.left_id], people[p.right_id]) for p in pairs]


def get_pair(session: Session, pair_id: int) -> DuplicatePair:
    pair = session.get(DuplicatePair, pair_id)
    if pair is None:
        raise NotFound("There is no such pair.")
    return pair


def _subject(pair: DuplicatePair) -> AccessSubject:
    return AccessSubject(kind=Kind.DUPLICATE_PAIR, id=pair.id, person_ids=(pair.left_id, pair.right_id))


def view_pair(session: Session, database: Database, user: User, pair_id: int) -> QueuedPair:
    """One pair with its evidence and both records side by side. Audited as a view of both people."""
    pair = get_pair(session, pair_id)
    access.require(session, database, user, Action.VIEW, _subject(pair))
    left, right = session.get(Person, pair.left_id), session.get(Person, pair.right_id)
    if left is None or right is None:
        raise NotFound("There is no such pair.")
    audit.record_view(session, access.actor_of(user), "duplicate_pair", pair.id, (pair.left_id, pair.right_id))
    return QueuedPair(pair, left, right)


def reject(session: Session, database: Database, user: User, pair_id: int, reason: str) -> DuplicatePair:
    """ "Not the same person": the pair leaves the queue and is never proposed again. Who, when and why are kept."""
    pair = get_pair(session, pair_id)
    access.require(session, database, user, Action.DECIDE, _subject(pair))
    errors: dict[str, str] = {}
    text = (text_field(reason, "reason", "why these are two different people", errors, limit=REASON_MAX) or "").strip()
    if not errors and len(text) < REASON_MIN:
        errors["reason"] = f"Give why these are two different people (at least {REASON_MIN} characters)"
    if errors:
        raise ValidationFailed(errors)
    if pair.status != PairStatus.PROPOSED:
        raise ValidationFailed({"reason": "This pair has already been decided"})
    pair.status = PairStatus.REJECTED
    pair.decided_by_id, pair.decided_at, pair.decision_reason = user.id, utcnow(), text
    session.flush()
    for person_id in (pair.left_id, pair.right_id):
        audit.record(
            session,
            access.actor_of(user),
            "not_same_person",
            "duplicate_pair",
            pair.id,
            person_id=person_id,
            reason=text,
        )
    return pair
