"""The SSDA903 return from the live record: every child looked after in the collection year, as :mod:`.tables` rows.

This is the one module that reads the records of care for the return (children_in_care: periods of care and their
events, the looked-after reviews; exploitation: missing episodes; case work: allocations, for the social worker
episodes). The same :class:`~.tables.Return` feeds the CSV and XML writers and the validator in memory.

Scope (the DfE's SSDA903 guidance, ``../shared/domain/ssda903.md`` section 1): every child looked after at any time
from 1 April to 31 March. A child's episodes are those open at any time in the year: the first is the one open on 1
April (carrying its own start date), as last year's return showed it open (rule 502: the DfE's guidance reports the
episodes of the year, not the whole period of care; an earlier export gave the period whole and so broke 502 against
last year's return). The episodes are derived from
the events (``children_in_care.rules.episodes``), never typed. The record is taken as at 31 March: an episode or
missing period ending after it is still open in the return, anything beginning after it is left out.

OC2 (health and outcomes) holds a row for each child in the DfE's cohort, looked after continuously for at least 12
months at 31 March (the period of care open then began on or before 1 April of the year before, and is not short
breaks only), from the child's record of health and outcomes for the year (``children_in_care.outcomes``); a child
with none recorded has a row with blanks, which the return's checks name. OC3 holds a row for each care leaver whose
17th to 21st birthday falls in the year while a relevant or former relevant child (``care_leavers.oc3_row``); a care
leaver in no other table is given their header row. UASC holds a row for each child unaccompanied and seeking asylum
in a period of care in the year, with the day the status ceased (DUC) where it ceased by 31 March. AD1 (the
children adopted in the year), PlacedAdoption (the decisions that a child should be placed for adoption, and their
ending) and PrevPerm come from the permanence record (``children_in_care.permanence_models``), written by
:mod:`.permanence_rows`; PrevPerm holds P4 ("not known", the DfE's code) for a child who started to be looked after in
the year with no previous permanence recorded.

Social worker episodes are the child's allocations to a worker (in every case of theirs, before care as well as in
it: the DfE asks for the full year of a child looked after on 31 March, "even those whilst they were not looked
after") overlapping the year. SW_ID is the worker's Social Work England registration number, or ``XX`` and the
worker's account number for a worker without one (the DfE's form for an unregistered worker). SW_REASON is why the
social worker changed to this one, as recorded on the transfer; a child's first allocation changed nothing and an
allocation recorded before the reason was asked has none: both are given OTHERS. The XML form's HEADER carries the
UASC status (1 where the child has a UASC row) and DUC (``writer.write_xml``).
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
from safeguarding.children_in_care import care_leavers
from safeguarding.children_in_care import rules as care_rules
from safeguarding.children_in_care.care_leaver_models import CareLeaver, Oc3Record
from safeguarding.children_in_care.care_leaver_service import periods_of, recorded_periods_of_each
from safeguarding.children_in_care.models import (
    CareEvent,
    CarePeriod,
    DeprivationOfLiberty,
    HealthOutcomes,
    LookedAfterReview,
)
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
from safeguarding.returns.ssda903.rules import FIRST_CONTACT, SW_GAP
from safeguarding.returns.ssda903.tables import (
    DOLO_FIRST_YEAR,
    ChildRecord,
    CollectionYear,
    DoloRow,
    EpisodeRow,
    HeaderRow,
    MissingRow,
    Oc2Row,
    Oc3Row,
    PrevPermRow,
    Return,
    ReviewRow,
    SwEpisodeRow,
    UascRow,
    tables_for,
)
from safeguarding.returns.ssda903.validator import Report, validate
from safeguarding.returns.ssda903.writer import write_csv, write_xml

SYSTEM: Final = Actor(id=None, username="safeguarding command", role="system")
FORMATS: Final = ("csv", "xml")
SEX_OF: Final = {"M": "1", "F": "2"}  # the SSDA903 SEX codes; an unknown sex is left blank (rule 101 asks for it)
MISSING_OF: Final = {MissingKind.MISSING: "M", MissingKind.ABSENT: "A"}
# An allocation following another with no reason recorded (one recorded before the reason was asked): the DfE's
# "other". A first allocation is a first contact (FIRST_CONTACT, ``_sw_rows``).
SW_REASON_UNRECORDED: Final = "OTHERS"
CHUNK: Final = 1000
EMPTY_TABLES: Final[tuple[str, ...]] = ()  # every table is written from the record
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
    unaccompanied_until: date | None = None


def _periods_in_year(session: Session, year: CollectionYear) -> dict[int, list[_Period]]:
    """Each child's periods of care overlapping the year, earliest first."""
    rows = session.execute(
        select(
            CarePeriod.id,
            CarePeriod.person_id,
            CarePeriod.started_on,
            CarePeriod.ended_on,
            CarePeriod.unaccompanied_asylum_seeking,
            CarePeriod.unaccompanied_until,
        )
        .where(
            CarePeriod.started_on <= year.end,
            or_(CarePeriod.ended_on.is_(None), CarePeriod.ended_on >= year.start),
        )
        .order_by(CarePeriod.person_id, CarePeriod.started_on, CarePeriod.id)
    )
    periods: dict[int, list[_Period]] = defaultdict(list)
    for _id, person_id, started, ended, uasc, until in rows:
        periods[person_id].append(_Period(person_id, started, ended, bool(uasc), until))
    return periods


def _as_at_end(day: date | None, year: CollectionYear) -> date | None:
    """A date as the return sees it: one after 31 March has not happened yet."""
    return day if day is not None and day <= year.end else None


def episodes_in_year(changes: Iterable[care_rules.CareChange], year: CollectionYear) -> list[care_rules.Episode]:
    """The child's episodes open at any time in the year, as at 31 March (an episode ending later is open; one
    beginning later is left out). An episode that ended before 1 April is not the year's: the episode open on 1
    April is the child's first, as rule 502 reads the DfE's wording ("the date on which [last year's open] episode
    started [must] match the start date of the first episode on this year's record"). An episode ending on 1 April
    itself was open at 31 March, so last year's return shows it open: it is kept."""
    return [
        e for e in care_rules.episodes(c for c in changes if c.on <= year.end) if e.dec is None or e.dec >= year.start
    ]


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
    """Every child looked after in the year with all their rows, in person id order, then the care leavers whose OC3
    row falls in the year and who were not looked after in it (no access check: for the audited export below and
    the live check)."""
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
        orders = defaultdict(list)
        if year.year >= DOLO_FIRST_YEAR:
            for order in session.scalars(
                select(DeprivationOfLiberty)
                .where(
                    DeprivationOfLiberty.person_id.in_(ids),
                    DeprivationOfLiberty.started_on <= year.end,
                    or_(DeprivationOfLiberty.ended_on.is_(None), DeprivationOfLiberty.ended_on >= year.start),
                )
                .order_by(DeprivationOfLiberty.person_id, DeprivationOfLiberty.started_on, DeprivationOfLiberty.id)
            ):
                orders[order.person_id].append(order)
        outcomes = {
            o.person_id: o
            for o in session.scalars(
                select(HealthOutcomes).where(HealthOutcomes.person_id.in_(ids), HealthOutcomes.year == year.year)
            )
        }
        for person_id in ids:
            person = people[person_id]
            record = _child_with_header(person)
            child, dob, sex = record.child, person.date_of_birth, record.header[0].sex
            episodes = episodes_in_year(changes[person_id], year)
            record.episodes += [_episode_row(child, e) for e in episodes]
            record.uasc += _uasc_rows(child, sex, dob, periods[person_id], year)
            if record.uasc:  # an unaccompanied child has no home postcode in the return, so no distance (406)
                for row in record.episodes:
                    row.home_post = None
            record.reviews += [
                ReviewRow(child=child, dob=dob, review=r.held_on, review_code=r.participation)
                for r in reviews[person_id]
            ]
            if _in_oc2_cohort(episodes, year):
                record.oc2.append(_oc2_row(child, dob, outcomes.get(person_id)))
            if any(e.rne == "S" and year.start <= e.decom <= year.end for e in episodes):
                record.prev_perm.append(PrevPermRow(child=child, dob=dob, prev_perm=PREV_PERM_UNKNOWN))
            record.missing += _missing_rows(child, dob, missing[person_id], episodes, year)
            record.sw_episodes += _sw_rows(child, dob, allocations[person_id], year)
            record.dolo += [
                DoloRow(child=child, dob=dob, dolo_start=o.started_on, dolo_end=_as_at_end(o.ended_on, year))
                for o in orders[person_id]
            ]
            out.children[child] = record
        add_permanence_rows(session, out, {child_id_of(p): p for p in people.values()}, year)
    _add_care_leavers(session, year, out)
    for record in out.children.values():
        record.sort()
    return out


def _child_with_header(person: Person, *, looked_after: bool = True) -> ChildRecord:
    child = child_id_of(person)
    record = ChildRecord(child)
    sex = SEX_OF.get(person.sex or "")
    record.header.append(
        HeaderRow(
            child=child,
            sex=sex,
            dob=person.date_of_birth,
            ethnic=person.ethnicity,
            upn=person.upn or person.upn_unknown,
            # The record holds no child of a looked-after mother yet; a care leaver not looked after in the year is
            # asked nothing of motherhood (rule 628).
            mother="0" if sex == "2" and looked_after else None,
        )
    )
    return record


def _uasc_rows(
    child: str, sex: str | None, dob: date | None, periods: Sequence[_Period], year: CollectionYear
) -> list[UascRow]:
    """One row where the child was an unaccompanied asylum-seeking child in a period of care in the year; DUC the
    day the status ceased, where it ceased by 31 March (the latest period's, where several were)."""
    held = [p for p in periods if p.unaccompanied]
    if not held:
        return []
    return [UascRow(child=child, sex=sex, dob=dob, duc=_as_at_end(held[-1].unaccompanied_until, year))]


def _in_oc2_cohort(episodes: Sequence[care_rules.Episode], year: CollectionYear) -> bool:
    """Looked after continuously for at least 12 months at 31 March (the DfE's OC2 cohort): the period of care open
    on 31 March began on or before 1 April of the year before, and is not short breaks (V3, V4) only."""
    if not episodes or episodes[-1].dec is not None:
        return False
    period: list[care_rules.Episode] = []
    for e in episodes:
        if e.rne == "S":
            period = []
        period.append(e)
    return period[0].decom <= year.start and not all(e.ls in ("V3", "V4") for e in period)


def _flag(value: bool | None) -> str | None:
    return None if value is None else ("1" if value else "0")


def _oc2_row(child: str, dob: date | None, o: HealthOutcomes | None) -> Oc2Row:
    """The child's OC2 row from their health and outcomes of the year; blanks where none is recorded."""
    if o is None:
        return Oc2Row(child=child, dob=dob)
    return Oc2Row(
        child=child,
        dob=dob,
        sdq_score=None if o.sdq_score is None else str(o.sdq_score),
        sdq_reason=o.sdq_reason,
        convicted=_flag(o.convicted),
        health_check=_flag(o.health_check),
        immunisations=_flag(o.immunisations),
        teeth_check=_flag(o.teeth_check),
        health_assessment=_flag(o.health_assessment),
        substance_misuse=_flag(o.substance_misuse),
        intervention_received=_flag(o.intervention_received),
        intervention_offered=_flag(o.intervention_offered),
    )


def _add_care_leavers(session: Session, year: CollectionYear, out: Return) -> None:
    """The OC3 rows of the year: each care leaver whose 17th to 21st birthday falls in it while a relevant or former
    relevant child (``care_leavers.oc3_row``, which reads the window around the birthday). A care leaver not in the
    return already is added with their header row."""
    first_born = date(year.start.year - max(care_leavers.OC3_AGES), year.start.month, year.start.day)
    last_born = date(year.end.year - min(care_leavers.OC3_AGES), year.end.month, year.end.day)
    leavers = list(
        session.scalars(
            select(CareLeaver)
            .join(Person, Person.id == CareLeaver.person_id)
            .where(Person.date_of_birth >= first_born, Person.date_of_birth <= last_born)
            .order_by(CareLeaver.person_id)
        )
    )
    for chunk in _chunks([leaver.person_id for leaver in leavers]):
        recorded = recorded_periods_of_each(session, chunk)
        facts: dict[int, list[care_leavers.Oc3Fact]] = defaultdict(list)
        for f in session.scalars(select(Oc3Record).where(Oc3Record.person_id.in_(chunk))):
            facts[f.person_id].append(
                care_leavers.Oc3Fact(f.age, f.recorded_on, f.in_touch, f.activity, f.accommodation)
            )
        for leaver in (x for x in leavers if x.person_id in set(chunk)):
            person = leaver.person
            born = person.date_of_birth
            if born is None:
                continue
            row = care_leavers.oc3_row(
                born, periods_of(session, leaver, recorded.get(leaver.person_id, [])), facts[person.id], year.year
            )
            if row is None:
                continue
            child = child_id_of(person)
            record = out.children.get(child) or _child_with_header(person, looked_after=False)
            out.children[child] = record
            record.oc3.append(
                Oc3Row(child=child, dob=born, in_touch=row.in_touch, activ=row.activity, accom=row.accommodation)
            )


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
    """The child's allocations to a worker overlapping the year, as social worker episodes. An allocation recorded
    with no reason for a change is the child's first contact (FCONTA) where no allocation ended within
    ``SW_GAP`` days before it (the child's first, or the first after their case was closed): the DfE's rules
    SW10aSTG2 and SW10bSTG2 read FCONTA so; otherwise the reason is not recorded (OTHERS)."""
    rows = []
    ended_before: date | None = None
    for a in allocations:
        start = _day(a.started_at)
        ended = _day(a.ended_at) if a.ended_at is not None else None
        first = ended_before is None or (start - ended_before).days > SW_GAP
        ended_before = ended if ended is not None else date.max
        if start > year.end or (ended is not None and ended < year.start):
            continue
        rows.append(
            SwEpisodeRow(
                child=child,
                dob=dob,
                sw_id=a.worker.registration_number or f"XX{a.worker_id:06d}",
                sw_decom=start,
                sw_dec=_as_at_end(ended, year),
                sw_reason=a.change_reason or (FIRST_CONTACT if first else SW_REASON_UNRECORDED),
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
    tables = tables_for(year.year)
    if format == "xml":
        write_xml(children, out, tables)
    else:
        write_csv(children, out, tables)
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
            "rows": {t.file: sum(len(getattr(r, t.attribute)) for r in children) for t in tables},
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
