"""Matching a partner's records (a school roll, a police nominal list, a health caseload) to the person index: each
record's best person by the linkage model, with its probability and evidence, or none. Candidates are gathered by
the search's indexed lookups (never a scan of the index); nothing is written to any person's record: a match is a
suggestion until a person confirms it. The read of the index is audited as a search with every person it found."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.orm import Session

from safeguarding.core import audit
from safeguarding.core.audit import Actor
from safeguarding.people import search
from safeguarding.people.linkage import DEFAULT_MODEL, PersonRecord, best_matches
from safeguarding.people.linkage.index import index_records
from safeguarding.people.linkage.model import Model


class Band(StrEnum):
    MATCH = "match"  # at or above the model's threshold
    UNCERTAIN = "uncertain"  # for clerical review
    NONE = "none"


@dataclass(frozen=True)
class Match:
    record_id: str
    person_id: int | None  # the best person, when the band is match or uncertain
    probability: float
    band: Band
    evidence: list[str]


def _band(probability: float, model: Model) -> Band:
    if probability >= model.threshold:
        return Band.MATCH
    if probability >= model.uncertain_from:
        return Band.UNCERTAIN
    return Band.NONE


def match_one(session: Session, record: PersonRecord, model: Model = DEFAULT_MODEL) -> tuple[Match, list[int]]:
    """The record's best person (or none), and the ids of every person considered (for the audit)."""
    found = search.find_candidates(
        session,
        first_name=record.first_name,
        last_name=record.surname,
        date_of_birth=record.dob,
        nhs_number=record.nhs_number,
        postcode=record.postcode,
    )
    considered = [c.person_id for c in found]
    best = best_matches(record, index_records(session, considered), limit=1, model=model)
    if not best:
        return Match(record.record_id, None, 0.0, Band.NONE, []), considered
    pair = best[0]
    band = _band(pair.probability, model)
    person_id = int(pair.right_id) if band is not Band.NONE else None
    return Match(record.record_id, person_id, pair.probability, band, pair.evidence), considered


def match_all(
    session: Session, records: Iterable[PersonRecord], actor: Actor, file_name: str, model: Model = DEFAULT_MODEL
) -> Iterator[Match]:
    """Each record's match, in the file's order; the audit row (the file's name, how many records, every person
    considered) is queued when the last record is matched."""
    considered: set[int] = set()
    count = 0
    for record in records:
        match, ids = match_one(session, record, model)
        considered.update(ids)
        count += 1
        yield match
    audit.record_search(
        session, actor, "person", {"file": file_name, "records": count}, sorted(considered), detail={"match": True}
    )
