"""The SSDA903 return from the live record: every child looked after in the collection year, as :mod:`.tables` rows.

This is the one module that reads the records of care for the return (children_in_care: periods of care and their
events, the looked-after reviews; exploitation: missing episodes; case work: allocations, for the social worker
episodes). The same :class:`~.tables.Return` feeds the CSV and XML writers and the validator in memory.

Scope (the DfE's SSDA903 guidance, ``../shared/domain/ssda903.md`` section 1): every child looked after at any time
from 1 April to 31 March. A child's episodes are those of each period of care that overlaps the year, from the start
of that period: the period open at 1 April is given whole, so that the return shows when it began (the rules on the
OC2 cohort, on a placement lasting beyond its limit and on the start of care read it). The episodes are derived from
the events (``children_in_care.rules.episodes``), never typed. The record is taken as at 31 March: an episode or
missing period ending after it is still open in the return, anything beginning after it is left out.

Tables the record does not hold yet are written with their header row only: OC2 (the SDQ, convictions, dental
checks and immunisations are not recorded) and OC3 (care leavers). AD1 (the children adopted in the year),
PlacedAdoption (the decisions that a child should be placed for adoption, and their ending) and PrevPerm come from
the permanence record (``children_in_care.permanence_models``), written by :mod:`.permanence_rows`; PrevPerm holds P4
("not known", the DfE's code) for a child who started to be looked after in the year with no previous permanence
recorded.

Social worker episodes are the child's allocations to a worker overlapping the year. The record holds no Social
Work England registration number, so SW_ID is ``XX`` and the worker's account number (the DfE's form for a worker
without one), and no reason for a change of worker: SW_REASON is OTHERS.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Final

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from safeguarding.casework.models import Allocation
from safeguarding.children_in_care import rules as care_rules
from safeguarding.children_in_care.models import CareEvent, CarePeriod, LookedAfterReview
from safeguarding.children_in_care.service import as_change
from safeguarding.core import access
from safeguarding.core.access import Action, Kind
from safeguarding.core.audit import Actor, record
from safeguarding.core.calendar import LONDON
from safeguarding.core.db import Database
from safeguarding.core.users import User
from safeguarding.exploitation.models import MissingEpisode, MissingKind
from safeguarding.people.models import Person
from safeguarding.returns.ssda903.permanence_rows import add_permanence_rows
from safeguarding.returns.ssda903.tables import (
    TABLES,
    ChildRecord,
    CollectionYear,
    EpisodeRow,
    HeaderRow,
    MissingRow,
    PrevPermRow,
    Return,
    ReviewRow,
    SwEpisodeRow,
    UascRow,
)
from safeguarding.returns.ssda903.validator import Report, validate
from safeguarding.returns.ssda903.writer import write_csv, write_xml

SYSTEM: Final = Actor(id=None, username="safeguarding command", role="system")
FORMATS: Final = ("csv", "xml")
SEX_OF: Final = {"M": "1", "F": "2"}  # the SSDA903 SEX codes; an unknown sex is left blank (rule 101 asks for it)
MISSING_OF: Final = {MissingKind.MISSING: "M", MissingKind.ABSENT: "A"}
SW_REASON_UNRECORDED: Final = "OTHERS"  # the record holds no reason for a change of social worker
CHUNK: Final = 1000
EMPTY_TABLES: Final = ("oc2.csv", "oc3.csv")  # AD1 and PlacedAdoption: permanence_rows
# The record holds no previous permanence yet: a child who started to be looked after in the year is returned as P4,
# the DfE's code for "the council does not know" (rule 630 asks for a row; it can be updated in a later return).
PREV_PERM_UNKNOWN: Final = "P4"


def _day(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    return (list(ids[i : i + CHUNK]) for i in range(0, len(ids), CHUNK))


@dataclass(frozen=True)
class _Period:
    person_id: int
    started_on: date
    ended_on: date | None
    unaccompanied: bool


def _periods_in_year(session: Session, year: CollectionYear) -> dict[int, list[_Period]]:
    """Each child's periods of care overlapping the year, earliest first."""
    rows = session.execute(
        select(
            CarePeriod.id,
            CarePeriod.person_id,
            CarePeriod.started_on,
            CarePeriod.ended_on,
            CarePeriod.unaccompanied_asylum_seeking,
        )
        .where(
            CarePeriod.started_on <= year.end,
            or_(CarePeriod.ended_on.is_(None), CarePeriod.ended_on >= year.start),
        )
        .order_by(CarePeriod.person_id, CarePeriod.started_on, CarePeriod.id)
    )
    periods: dict[int, list[_Period]] = defaultdict(list)
    for _id, person_id, started, ended, uasc in rows:
        periods[person_id].append(_Period(person_id, started, ended, bool(uasc)))
    return periods


def _as_at_end(day: date | None, year: CollectionYear) -> date | None:
    """A date as the return sees it: one after 31 March has not happened yet."""
    return day if day is not None and day <= year.end else None


def episodes_in_year(changes: Iterable[care_rules.CareChange], year: CollectionYear) -> list[care_rules.Episode]:
    """The child's episodes of every period of care overlapping the year, each period from its start, as at 31
    March (an episode ending later is open; one beginning later is left out)."""
    periods: list[list[care_rules.Episode]] = []
    for episode in care_rules.episodes(c for c in changes if c.on <= year.end):
        if episode.rne == "S" or not periods:
            periods.append([])
        periods[-1].append(episode)
    kept: list[care_rules.Episode] = []
    for period in periods:
        last = period[-1]
        if last.dec is not None and last.dec < year.start:
            continue  # a period over before the year began
        kept += period
    return kept


def _episode_row(child: str, e: care_rules.Episode) -> EpisodeRow:
    row = e.row()  # postcodes as the DfE asks for them
    return EpisodeRow(
        child=child,
        decom=e.decom,
        rne=e.rne,
        ls=e.ls,
        cin=e.cin,
        place=e.place,
        place_provider=e.place_provider,
        dec=e.dec,
        rec=e.rec,
        reason_place_change=e.reason_place_change,
        home_post=row["HOME_POST"] or None,
        pl_post=row["PL_POST"] or None,
        urn=e.urn,
    )


def child_id_of(person: Person) -> str:
    """The CHILD id: the council's child identifier, the same every year (and in the CIN census)."""
    return person.la_child_id or f"P{person.id}"


def build_return(session: Session, year: CollectionYear) -> Return:
    """Every child looked after in the year with all their rows, in person id order (no access check: for the
    audited export below and the live check)."""
    periods = _periods_in_year(session, year)
    person_ids = sorted(periods)
    out = Return(source=f"the live record, {year.name}")
    for ids in _chunks(person_ids):
        people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(ids)))}
        changes: dict[int, list[care_rules.CareChange]] = defaultdict(list)
        for event in session.scalars(
            select(CareEvent)
            .join(CarePeriod, CarePeriod.id == CareEvent.period_id)
            .where(CareEvent.person_id.in_(ids), CarePeriod.started_on <= year.end)
            .order_by(CareEvent.person_id, CareEvent.occurred_on, CareEvent.id)
        ):
            changes[event.person_id].append(as_change(event))
        reviews = defaultdict(list)
        for review in session.scalars(
            select(LookedAfterReview)
            .where(
                LookedAfterReview.person_id.in_(ids),
                LookedAfterReview.held_on >= year.start,
                LookedAfterReview.held_on <= year.end,
            )
            .order_by(LookedAfterReview.person_id, LookedAfterReview.held_on, LookedAfterReview.id)
        ):
            reviews[review.person_id].append(review)
        missing = defaultdict(list)
        for m in session.scalars(
            select(MissingEpisode)
            .where(MissingEpisode.person_id.in_(ids))
            .order_by(MissingEpisode.person_id, MissingEpisode.went_missing_at, MissingEpisode.id)
        ):
            missing[m.person_id].append(m)
        allocations = defaultdict(list)
        for a in session.scalars(
            select(Allocation)
            .where(Allocation.person_id.in_(ids))
            .order_by(Allocation.person_id, Allocation.started_at, Allocation.id)
        ):
            allocations[a.person_id].append(a)
        for person_id in ids:
            person = people[person_id]
            child = child_id_of(person)
            record = ChildRecord(child)
            sex = SEX_OF.get(person.sex or "")
            dob = person.date_of_birth
            record.header.append(
                HeaderRow(
                    child=child,
                    sex=sex,
                    dob=dob,
                    ethnic=person.ethnicity,
                    upn=person.upn or person.upn_unknown,
                    mother="0" if sex == "2" else None,  # the record holds no child of a looked-after mother yet
                )
            )
            episodes = episodes_in_year(changes[person_id], year)
            record.episodes += [_episode_row(child, e) for e in episodes]
            if any(p.unaccompanied for p in periods[person_id]):
                record.uasc.append(UascRow(child=child, sex=sex, dob=dob))
            record.reviews += [
                ReviewRow(child=child, dob=dob, review=r.held_on, review_code=r.participation)
                for r in reviews[person_id]
            ]
            if any(e.rne == "S" and year.start <= e.decom <= year.end for e in episodes):
                record.prev_perm.append(PrevPermRow(child=child, dob=dob, prev_perm=PREV_PERM_UNKNOWN))
            record.missing += _missing_rows(child, dob, missing[person_id], episodes, year)
            record.sw_episodes += _sw_rows(child, dob, allocations[person_id], year)
            record.sort()
            out.children[child] = record
        add_permanence_rows(session, out, {child_id_of(p): p for p in people.values()}, year)
    return out


def _looked_after_on(episodes: Sequence[care_rules.Episode], day: date) -> bool:
    return any(e.decom <= day and (e.dec is None or day < e.dec) for e in episodes)


def _missing_rows(
    child: str,
    dob: date | None,
    episodes: Sequence[MissingEpisode],
    care: Sequence[care_rules.Episode],
    year: CollectionYear,
) -> list[MissingRow]:
    """The missing and absent periods of the year that began while the child was looked after."""
    rows = []
    for m in episodes:
        start = _day(m.went_missing_at)
        if not year.start <= start <= year.end or not _looked_after_on(care, start):
            continue
        end = _as_at_end(_day(m.returned_at), year) if m.returned_at is not None else None
        rows.append(MissingRow(child=child, dob=dob, missing=MISSING_OF[m.kind], mis_start=start, mis_end=end))
    return rows


def _sw_rows(
    child: str, dob: date | None, allocations: Sequence[Allocation], year: CollectionYear
) -> list[SwEpisodeRow]:
    """The child's allocations to a worker overlapping the year, as social worker episodes."""
    rows = []
    for a in allocations:
        start = _day(a.started_at)
        ended = _day(a.ended_at) if a.ended_at is not None else None
        if start > year.end or (ended is not None and ended < year.start):
            continue
        rows.append(
            SwEpisodeRow(
                child=child,
                dob=dob,
                sw_id=f"XX{a.worker_id:06d}",
                sw_decom=start,
                sw_dec=_as_at_end(ended, year),
                sw_reason=SW_REASON_UNRECORDED,
            )
        )
    return rows


def export_return(
    session: Session,
    year: CollectionYear,
    out: Path,
    *,
    format: str = "csv",
    user: User | None = None,
    database: Database | None = None,
) -> Return:
    """Write the return (a folder of the DfE's CSV tables, or the XML file) from one read of the record; audited
    as an export by the user (an analyst: the policy is asked) or by the command line."""
    if format not in FORMATS:
        raise ValueError(f"the format is one of {', '.join(FORMATS)}")
    if user is not None and database is not None:
        access.require_role(database, user, Kind.STATUTORY_RETURN, Action.EXPORT)
    built = build_return(session, year)
    children = built.children.values()
    if format == "xml":
        write_xml(children, out)
    else:
        write_csv(children, out)
    record(
        session,
        access.actor_of(user) if user else SYSTEM,
        "export",
        "ssda903",
        year.year,
        detail={
            "children": len(built.children),
            "ruleset": year.ruleset,
            "format": format,
            "rows": {t.file: sum(len(getattr(r, t.attribute)) for r in children) for t in TABLES},
        },
    )
    return built


def check_live_record(
    session: Session, year: CollectionYear, *, user: User | None = None, database: Database | None = None
) -> Report:
    """Validate the live record as the return it would make, without writing it; audited as a check."""
    if user is not None and database is not None:
        access.require_role(database, user, Kind.STATUTORY_RETURN, Action.VIEW)
    report = validate(build_return(session, year), year)
    record(
        session,
        access.actor_of(user) if user else SYSTEM,
        "run",
        "ssda903_check",
        year.year,
        detail={
            "ruleset": year.ruleset,
            "children": report.children,
            "errors": len(report.errors),
            "queries": len(report.queries),
        },
    )
    return report
