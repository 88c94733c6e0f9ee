"""Ofsted Annex A from the live record: the child-level lists inspectors ask for on the first morning.

Lists, columns and value sets are those of Ofsted's ILACS Annex A (the 11-list layout as implemented in
SocialFinanceDigitalLabs/liia-tools, June 2024; Annex A is a versioned specification: check against the current
Ofsted workbook each framework update). The system holds lists 1, 3, 4, 5, 6 and 7, the missing and exploitation
lists of section 4.3, and the staff list (caseloads, agency or permanent, supervision dates). It does not hold
early help assessments (list 2), children in care, care leavers or adoption (lists 8 to 11): list 2 is written
with its columns and no rows, and the "About" sheet says so; lists 8 to 11 are not written.

Which rows a period takes (the cohort rule beside each list): an event list (contacts, referrals, section 47s,
missing episodes, screenings) takes events dated in the period; a list of things that last (assessments, episodes
of need, child protection plans) takes those open at any time in the period. Ages and "last 12 months" counts are
as at the period's last day; allocated team and worker are the allocation open at the end of the period.

Everything here only reads, but :func:`export_annex_a`, the use-case, checks access and audits the export.
"""

from __future__ import annotations

import re
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import chain
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from safeguarding.casework.models import (
    Allocation,
    Assessment,
    ChildInNeedPlan,
    ChildProtectionConference,
    ChildProtectionPlan,
    Referral,
    Section47Enquiry,
    StrategyDiscussion,
    Supervision,
    Visit,
)
from safeguarding.core import access, codes
from safeguarding.core.access import Action, Kind
from safeguarding.core.audit import Actor, record
from safeguarding.core.calendar import LONDON, add_calendar_months
from safeguarding.core.db import Database
from safeguarding.core.errors import ValidationFailed
from safeguarding.core.form_fields import date_field
from safeguarding.core.spreadsheet import spreadsheet_value
from safeguarding.core.users import Role, Team, User
from safeguarding.exploitation.models import MissingEpisode, Screening
from safeguarding.front_door.models import Contact, ContactSubject, SubjectRole
from safeguarding.people.models import Person
from safeguarding.returns.models import ChildDisability
from safeguarding.returns.workforce_models import WorkerContract

# The longest period one export covers: Annex A asks for 6 months of contacts and 12 of most lists; two years is
# ample and keeps an export to minutes, not hours, on a large city.
MAX_PERIOD_DAYS = 2 * 366

# --- value sets (annex-a.md 4.4) ----------------------------------------------------------------------------------

GENDER = {"M": "a) Male", "F": "b) Female", "U": "c) Not stated/recorded"}
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
# Lettered in the DfE order of the code set (core.codes), e.g. "a) WBRI".
ETHNICITY = {code: f"{_LETTERS[i]}) {code}" for i, code in enumerate(codes.ETHNICITIES)}
SOURCE = {code: f"{_LETTERS[i]}) {code}" for i, code in enumerate(c for c in codes.REFERRAL_SOURCES if c != "5D")}
CATEGORY = {"NEG": "Neglect", "PHY": "Physical", "SAB": "Sexual", "EMO": "Emotional", "MUL": "Multiple/not recommended"}
CASE_STATUS = {"cp": "b) Child protection plan", "cin": "c) Child in need plan", "assessment": "d) Open assessment",
               "closed": "e) Closed episode", "open": "c) Child in need plan"}
# Case work outcomes that mean the child needs children's social care support (casework.rules.ASSESSMENT_OUTCOMES).
NO_FURTHER_SUPPORT = frozenset({"nfa", "early_help"})


def yes_no(value: bool | None) -> str:
    return "" if value is None else ("Yes" if value else "No")


# --- columns (annex-a.md 4.1 and 4.2) -----------------------------------------------------------------------------

LEADING = ("Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Age of Child (Years)")
DISABILITY = ("Does the Child have a Disability",)
TRAILING = ("Allocated Team", "Allocated Worker")


@dataclass(frozen=True)
class ListSpec:
    sheet: str
    title: str
    cohort: str  # which rows a period takes, in words
    columns: tuple[str, ...]


LISTS: tuple[ListSpec, ...] = (
    ListSpec("List 1", "Contacts", "contacts received in the period (Annex A asks for the last six months)",
             (*LEADING, "Date of Contact", "Contact Source")),
    ListSpec("List 2", "Early help assessments", "early help assessments started in the period",
             (*LEADING, "Assessment start date", "Assessment completion date",
              "Organisation completing assessment")),
    ListSpec("List 3", "Referrals", "referrals made in the period",
             (*LEADING, "Date of referral", "Referral Source", "Referral NFA?",
              "Number of Referrals in Last 12 Months", *TRAILING)),
    ListSpec("List 4", "Assessments", "assessments open at any time in the period",
             (*LEADING, *DISABILITY, "Continuous Assessment Start Date", "Child Seen During Continuous Assessment",
              "Continuous Assessment Date of Authorisation",
              "Was the child assessed as requiring LA children's social care support?", *TRAILING)),
    ListSpec("List 5", "Section 47 enquiries and ICPCs", "section 47 enquiries started in the period",
             (*LEADING, *DISABILITY, "Strategy discussion initiating Section 47 Enquiry Start Date",
              "Was an ICPC deemed unnecessary?", "Date of ICPC", "Did the ICPC result in a CP plan",
              "Number of S47 enquiries in the last 12 months", "Number of ICPCs in the last 12 months", *TRAILING)),
    ListSpec("List 6", "Children in need", "episodes of need open at any time in the period",
             (*LEADING, *DISABILITY, "CIN Start Date", "Primary Need Code", "Date Child Was Last Seen",
              "CIN Closure Date", "Reason for Closure", "Case Status", *TRAILING)),
    ListSpec("List 7", "Child protection", "child protection plans open at any time in the period",
             (*LEADING, *DISABILITY, "CP Plan Start Date", "Initial Category of Abuse", "Latest Category of Abuse",
              "Date of the Last Statutory Visit", "Was the Child Seen Alone?", "Date of latest review conference",
              "CP Plan End Date", "Subject to EPO or police protection in last six months (Y/N)",
              "Number of Previous CP Plans", *TRAILING)),
    ListSpec("Missing", "Missing and absent episodes", "missing or absent episodes that began in the period",
             (*LEADING, "Missing or Absent", "Date Went Missing", "Date Returned",
              "Offered a Return Interview (Y/N)", "Date Return Interview Offered", "Accepted Return Interview (Y/N)",
              *TRAILING)),
    ListSpec("Exploitation", "Children screened for exploitation",
             "children screened in the period (their latest screening in it)",
             (*LEADING, "Date of Latest Screening", "Level of Risk", "Types of Exploitation", *TRAILING)),
    ListSpec("Staff", "Staff", "case-working staff with a contract or allocated children at the end of the period",
             ("Worker ID", "Worker Name", "Role", "Team", "Agency or Permanent", "FTE", "Case Holding (Y/N)",
              "Number of Children Allocated", "Date of Last Supervision", "Date of Next Supervision")),
)
SPEC_BY_SHEET = {spec.sheet: spec for spec in LISTS}
NOT_HELD = ("List 8 (children in care), List 9 (care leavers), List 10 (adoption) and List 11 (adopters) are not "
            "held by this system and are not written.")
CASE_WORKING_ROLES = (Role.SOCIAL_WORKER, Role.TEAM_MANAGER, Role.EXPLOITATION_PRACTITIONER, Role.MASH_WORKER,
                      Role.MASH_MANAGER)


# --- the period ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time(0), LONDON).astimezone(UTC)

    @property
    def until(self) -> datetime:
        """The first instant after the period (London midnight after its last day)."""
        return datetime.combine(self.end + timedelta(days=1), time(0), LONDON).astimezone(UTC)


def parse_period(start: str | date | None, end: str | date | None) -> Period:
    """The period an export covers, both days included. Errors name the field (``from`` or ``to``)."""
    errors: dict[str, str] = {}
    first = date_field(start, "from", "the first day of the period", errors)
    last = date_field(end, "to", "the last day of the period", errors)
    if first and last:
        if last < first:
            errors["to"] = (f"The last day of the period ({last.isoformat()}) is before its first day "
                            f"({first.isoformat()})")
        elif (last - first).days > MAX_PERIOD_DAYS:
            errors["to"] = "The period can be at most two years long"
    if errors:
        raise ValidationFailed(errors)
    assert first and last
    return Period(first, last)


# --- the lists ----------------------------------------------------------------------------------------------------


def age_on(born: date | None, on: date) -> int | None:
    if born is None or born > on:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _london_day(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


@dataclass
class Sheet:
    spec: ListSpec
    rows: list[list[Any]] = field(default_factory=list)


@dataclass
class AnnexA:
    period: Period
    sheets: list[Sheet]
    notes: list[str]

    @property
    def total_rows(self) -> int:
        return sum(len(s.rows) for s in self.sheets)

    @property
    def child_rows(self) -> int:
        """Rows about children (every list but the staff list): none means the period is empty."""
        return sum(len(s.rows) for s in self.sheets if s.spec.sheet != "Staff")

    def sheet(self, name: str) -> Sheet:
        return next(s for s in self.sheets if s.spec.sheet == name)


class _Children:
    """People, disabilities and allocations at the period end, loaded once for the ids the lists need."""

    def __init__(self, session: Session, period: Period, person_ids: Iterable[int]) -> None:
        ids = sorted(set(person_ids))
        self.people: dict[int, Person] = {}
        self.disabled: dict[int, bool] = {}
        self.allocated: dict[int, tuple[str, str]] = {}
        for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
            for person in session.scalars(select(Person).where(Person.id.in_(chunk))):
                self.people[person.id] = person
            for person_id, code in session.execute(select(ChildDisability.person_id, ChildDisability.code)
                                                   .where(ChildDisability.person_id.in_(chunk))):
                self.disabled[person_id] = self.disabled.get(person_id, False) or code != "NONE"
            rows = session.execute(
                select(Allocation.person_id, User.full_name, Team.name, Allocation.started_at)
                .join(User, User.id == Allocation.worker_id).outerjoin(Team, Team.id == Allocation.team_id)
                .where(Allocation.person_id.in_(chunk), Allocation.started_at < period.until,
                       or_(Allocation.ended_at.is_(None), Allocation.ended_at >= period.until))
                .order_by(Allocation.started_at))
            for person_id, worker, team, _started in rows:
                self.allocated[person_id] = (team or "", worker)
        self.on = period.end

    def leading(self, person_id: int) -> list[Any]:
        person = self.people[person_id]
        return [person.la_child_id or f"P{person.id}", GENDER.get(person.sex or "", "c) Not stated/recorded"),
                ETHNICITY.get(person.ethnicity or "", ""), person.date_of_birth, age_on(person.date_of_birth,
                                                                                         self.on)]

    def disability(self, person_id: int) -> list[Any]:
        return [yes_no(self.disabled.get(person_id)) if person_id in self.disabled else "Unknown"]

    def trailing(self, person_id: int) -> list[Any]:
        team, worker = self.allocated.get(person_id, ("", ""))
        return [team, worker]


def _count_within_year(dates: Sequence[date], on: date) -> int:
    """How many of these dates fall in the 12 months up to and including ``on``."""
    year_before = add_calendar_months(on, -12)
    return sum(1 for d in dates if year_before < d <= on)


def build(session: Session, period: Period) -> AnnexA:
    """Every list the system holds, for the period. Reads only."""
    start, end = period.start, period.end
    # List 1: contacts received in the period, one row per child named (a contact about two children is two rows).
    contact_rows = session.execute(
        select(ContactSubject.person_id, Contact.received_at, Contact.referral_source, Contact.id)
        .join(Contact, Contact.id == ContactSubject.contact_id)
        .where(ContactSubject.role == SubjectRole.CHILD, ContactSubject.person_id.is_not(None),
               Contact.received_at >= period.since, Contact.received_at < period.until)
        .order_by(Contact.received_at, Contact.id)).all()
    referrals_in = session.scalars(select(Referral).where(Referral.referral_date >= start,
                                                          Referral.referral_date <= end)
                                   .order_by(Referral.referral_date, Referral.id)).all()
    assessments = session.scalars(select(Assessment).where(
        Assessment.started_on <= end, or_(Assessment.authorised_on.is_(None), Assessment.authorised_on >= start))
        .order_by(Assessment.started_on, Assessment.id)).all()
    s47s = session.scalars(select(Section47Enquiry).where(Section47Enquiry.started_on >= start,
                                                          Section47Enquiry.started_on <= end)
                           .order_by(Section47Enquiry.started_on, Section47Enquiry.id)).all()
    episodes = session.scalars(select(Referral).where(
        Referral.referral_date <= end, or_(Referral.closed_date.is_(None), Referral.closed_date >= start))
        .order_by(Referral.referral_date, Referral.id)).all()
    plans = session.scalars(select(ChildProtectionPlan).where(
        ChildProtectionPlan.started_on <= end,
        or_(ChildProtectionPlan.ended_on.is_(None), ChildProtectionPlan.ended_on >= start))
        .order_by(ChildProtectionPlan.started_on, ChildProtectionPlan.id)).all()
    missing = session.scalars(select(MissingEpisode).where(
        MissingEpisode.went_missing_at >= period.since, MissingEpisode.went_missing_at < period.until)
        .order_by(MissingEpisode.went_missing_at, MissingEpisode.id)).all()
    screenings = session.scalars(select(Screening).where(Screening.screened_on >= start,
                                                         Screening.screened_on <= end)
                                 .order_by(Screening.person_id, Screening.screened_on, Screening.id)).all()

    person_ids: set[int] = {int(r[0] or 0) for r in contact_rows}
    for group in (referrals_in, assessments, s47s, episodes, plans, missing, screenings):
        person_ids.update(row.person_id for row in group)
    children = _Children(session, period, person_ids)

    # Histories for "in the last 12 months" and "previous plans": every row of the children concerned.
    def history(model: Any, column: Any) -> dict[int, list[date]]:
        found: dict[int, list[date]] = defaultdict(list)
        ids = sorted(person_ids)
        for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
            for person_id, day in session.execute(select(model.person_id, column).where(
                    model.person_id.in_(chunk), column <= end)):
                found[person_id].append(day)
        return found

    referral_dates = history(Referral, Referral.referral_date)
    s47_dates = history(Section47Enquiry, Section47Enquiry.started_on)
    icpc_dates = history(ChildProtectionConference, ChildProtectionConference.held_on)

    sheets = [Sheet(spec) for spec in LISTS]
    by_name = {s.spec.sheet: s for s in sheets}

    for person_id, received_at, source, _contact_id in contact_rows:
        by_name["List 1"].rows.append([*children.leading(int(person_id or 0)), _london_day(received_at),
                                       SOURCE.get(source, source)])

    for r in referrals_in:
        nfa = r.closure_reason == "RC8" or r.route in ("no_further_action", "information_and_advice")
        by_name["List 3"].rows.append([*children.leading(r.person_id), r.referral_date,
                                       SOURCE.get(r.referral_source, r.referral_source), yes_no(nfa),
                                       _count_within_year(referral_dates[r.person_id], r.referral_date),
                                       *children.trailing(r.person_id)])

    seen_by_referral = _seen_during(session, [a.referral_id for a in assessments])
    for a in assessments:
        needs = None if a.authorised_on is None or a.outcome is None else a.outcome not in NO_FURTHER_SUPPORT
        seen = seen_by_referral.get(a.referral_id, [])
        child_seen = any(a.started_on <= d <= (a.authorised_on or end) for d in seen)
        by_name["List 4"].rows.append([*children.leading(a.person_id), *children.disability(a.person_id),
                                       a.started_on, yes_no(child_seen), a.authorised_on, yes_no(needs),
                                       *children.trailing(a.person_id)])

    strategy_dates = dict(session.execute(select(StrategyDiscussion.id, StrategyDiscussion.held_on).where(
        StrategyDiscussion.id.in_([s.strategy_discussion_id for s in s47s]))).all()) if s47s else {}
    icpcs = _initial_conferences(session, [s.id for s in s47s])
    for s in s47s:
        icpc = icpcs.get(s.id)
        by_name["List 5"].rows.append([
            *children.leading(s.person_id), *children.disability(s.person_id),
            strategy_dates.get(s.strategy_discussion_id, s.started_on),
            yes_no(s.icpc_not_required) if s.outcome is not None else "",
            icpc.held_on if icpc else None,
            yes_no(icpc.plan_id is not None) if icpc else "",
            _count_within_year(s47_dates[s.person_id], end), _count_within_year(icpc_dates[s.person_id], end),
            *children.trailing(s.person_id)])

    status = _status_of(session, episodes, end)
    last_seen = _last_seen(session, [e.id for e in episodes], end)
    for e in episodes:
        closed = e.closed_date if e.closed_date is not None and e.closed_date <= end else None
        by_name["List 6"].rows.append([
            *children.leading(e.person_id), *children.disability(e.person_id), e.referral_date,
            e.primary_need or "", last_seen.get(e.id), closed, (e.closure_reason or "") if closed else "",
            CASE_STATUS["closed"] if closed else status.get(e.id, CASE_STATUS["open"]),
            *children.trailing(e.person_id)])

    cp_visits = _cp_visits(session, [p.referral_id for p in plans], end)
    reviews = _review_conferences(session, [p.id for p in plans], end)
    plan_starts = history(ChildProtectionPlan, ChildProtectionPlan.started_on)
    protection = _immediate_protection(session, [p.person_id for p in plans], end)
    for p in plans:
        visits = [v for v in cp_visits.get(p.referral_id, []) if v[0] >= p.started_on]
        last = visits[-1] if visits else None
        ended = p.ended_on if p.ended_on is not None and p.ended_on <= end else None
        by_name["List 7"].rows.append([
            *children.leading(p.person_id), *children.disability(p.person_id), p.started_on,
            CATEGORY.get(p.initial_category, p.initial_category), CATEGORY.get(p.latest_category, p.latest_category),
            last[0] if last else None, yes_no(last[1]) if last else "", reviews.get(p.id), ended,
            "Y" if protection.get(p.person_id) else "N",
            sum(1 for d in plan_starts[p.person_id] if d < p.started_on),
            *children.trailing(p.person_id)])

    for m in missing:
        interview = m.interview
        by_name["Missing"].rows.append([
            *children.leading(m.person_id), "Missing" if m.kind == "missing" else "Absent",
            _london_day(m.went_missing_at), _london_day(m.returned_at) if m.returned_at else None,
            "Y" if interview else "N", _london_day(interview.offered_at) if interview else None,
            ("N" if interview.declined else ("Y" if interview.held_at else "")) if interview else "",
            *children.trailing(m.person_id)])

    latest: dict[int, Screening] = {}
    for screening in screenings:
        latest[screening.person_id] = screening  # ordered by date: the last one stands
    for screening in sorted(latest.values(), key=lambda s: (s.screened_on, s.id)):
        by_name["Exploitation"].rows.append([
            *children.leading(screening.person_id), screening.screened_on,
            str(screening.band).replace("_", " ").capitalize(),
            ", ".join(str(t).replace("_", " ") for t in screening.exploitation_types),
            *children.trailing(screening.person_id)])

    by_name["Staff"].rows.extend(staff_rows(session, period))

    early_help = sum(1 for _ in session.execute(
        select(Referral.id).where(Referral.referral_date >= start, Referral.referral_date <= end,
                                  Referral.closure_reason == "RC9")))
    notes = [
        f"Ofsted Annex A for {start.isoformat()} to {end.isoformat()}, written from the live record.",
        "Columns and value sets: Ofsted's ILACS Annex A (liia-tools layout, June 2024).",
        "List 2: early help assessments are not recorded in this system, so the list has no rows. "
        f"Episodes closed after assessment and referred to early help (RC9) in the period: {early_help}; contacts "
        "whose outcome was early help are in List 1.",
        NOT_HELD,
        "List 7 'Subject to EPO or police protection': Y where a contact about the child was decided as immediate "
        "protection in the six months to the end of the period (the system records the decision, not the order).",
    ]
    for sheet in sheets:
        notes.append(f"{sheet.spec.sheet} ({sheet.spec.title}): {len(sheet.rows)} rows; {sheet.spec.cohort}.")
    return AnnexA(period, sheets, notes)


def _seen_during(session: Session, referral_ids: list[int]) -> dict[int, list[date]]:
    seen: dict[int, list[date]] = defaultdict(list)
    ids = sorted(set(referral_ids))
    for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
        for referral_id, day in session.execute(select(Visit.referral_id, Visit.visited_on).where(
                Visit.referral_id.in_(chunk), Visit.child_seen.is_(True))):
            seen[referral_id].append(day)
    return seen


def _initial_conferences(session: Session, s47_ids: list[int]) -> dict[int, ChildProtectionConference]:
    found: dict[int, ChildProtectionConference] = {}
    for chunk in (s47_ids[i:i + 500] for i in range(0, len(s47_ids), 500)):
        for conference in session.scalars(select(ChildProtectionConference).where(
                ChildProtectionConference.kind == "initial", ChildProtectionConference.section47_id.in_(chunk))
                .order_by(ChildProtectionConference.held_on)):
            found.setdefault(conference.section47_id or 0, conference)
    return found


def _status_of(session: Session, episodes: Sequence[Referral], on: date) -> dict[int, str]:
    """Case status at the period end: CP plan, CIN plan, open assessment (annex-a.md 4.4, List 6)."""
    ids = [e.id for e in episodes]
    status: dict[int, str] = {}
    for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
        for (referral_id,) in session.execute(select(Assessment.referral_id).where(
                Assessment.referral_id.in_(chunk), Assessment.started_on <= on,
                or_(Assessment.authorised_on.is_(None), Assessment.authorised_on > on))):
            status[referral_id] = CASE_STATUS["assessment"]
        for (referral_id,) in session.execute(select(ChildInNeedPlan.referral_id).where(
                ChildInNeedPlan.referral_id.in_(chunk), ChildInNeedPlan.started_on <= on,
                or_(ChildInNeedPlan.ended_on.is_(None), ChildInNeedPlan.ended_on > on))):
            status[referral_id] = CASE_STATUS["cin"]
        for (referral_id,) in session.execute(select(ChildProtectionPlan.referral_id).where(
                ChildProtectionPlan.referral_id.in_(chunk), ChildProtectionPlan.started_on <= on,
                or_(ChildProtectionPlan.ended_on.is_(None), ChildProtectionPlan.ended_on > on))):
            status[referral_id] = CASE_STATUS["cp"]
    return status


def _last_seen(session: Session, referral_ids: list[int], on: date) -> dict[int, date]:
    last: dict[int, date] = {}
    for chunk in (referral_ids[i:i + 500] for i in range(0, len(referral_ids), 500)):
        for referral_id, day in session.execute(select(Visit.referral_id, Visit.visited_on).where(
                Visit.referral_id.in_(chunk), Visit.child_seen.is_(True), Visit.visited_on <= on)):
            if referral_id not in last or day > last[referral_id]:
                last[referral_id] = day
    return last


def _cp_visits(session: Session, referral_ids: list[int], on: date) -> dict[int, list[tuple[date, bool]]]:
    visits: dict[int, list[tuple[date, bool]]] = defaultdict(list)
    ids = sorted(set(referral_ids))
    for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
        for referral_id, day, alone in session.execute(
                select(Visit.referral_id, Visit.visited_on, Visit.seen_alone).where(
                    Visit.referral_id.in_(chunk), Visit.kind == "cp", Visit.child_seen.is_(True),
                    Visit.visited_on <= on).order_by(Visit.visited_on, Visit.id)):
            visits[referral_id].append((day, bool(alone)))
    return visits


def _review_conferences(session: Session, plan_ids: list[int], on: date) -> dict[int, date]:
    latest: dict[int, date] = {}
    for chunk in (plan_ids[i:i + 500] for i in range(0, len(plan_ids), 500)):
        for plan_id, day in session.execute(select(ChildProtectionConference.plan_id,
                                                   ChildProtectionConference.held_on).where(
                ChildProtectionConference.plan_id.in_(chunk), ChildProtectionConference.kind == "review",
                ChildProtectionConference.held_on <= on)):
            if plan_id is not None and (plan_id not in latest or day > latest[plan_id]):
                latest[plan_id] = day
    return latest


def _immediate_protection(session: Session, person_ids: list[int], on: date) -> dict[int, bool]:
    since = add_calendar_months(on, -6)
    found: dict[int, bool] = {}
    ids = sorted(set(person_ids))
    for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
        for (person_id,) in session.execute(select(Referral.person_id).where(
                Referral.person_id.in_(chunk), Referral.route == "immediate_protection",
                and_(Referral.referral_date > since, Referral.referral_date <= on))):
            found[person_id] = True
    return found


def staff_rows(session: Session, period: Period) -> list[list[Any]]:
    """The staff list: each case-working member of staff active at the period end, with their contract (if
    recorded), the children allocated to them then, and their supervision dates."""
    until = period.until
    caseload: dict[int, int] = defaultdict(int)
    for (worker_id,) in session.execute(select(Allocation.worker_id).where(
            Allocation.started_at < until, or_(Allocation.ended_at.is_(None), Allocation.ended_at >= until))):
        caseload[worker_id] += 1
    contracts: dict[int, WorkerContract] = {}
    contract: WorkerContract | None
    for contract in session.scalars(select(WorkerContract).where(
            WorkerContract.started_on <= period.end,
            or_(WorkerContract.left_on.is_(None), WorkerContract.left_on >= period.end))
            .order_by(WorkerContract.started_on)):
        contracts[contract.user_id] = contract
    last_supervision: dict[int, tuple[date, date | None]] = {}
    for worker_id, held, next_on in session.execute(select(Supervision.worker_id, Supervision.held_on,
                                                           Supervision.next_on)
                                                    .where(Supervision.held_on <= period.end)
                                                    .order_by(Supervision.held_on, Supervision.id)):
        last_supervision[worker_id] = (held, next_on)
    users = session.scalars(select(User).where(User.role.in_([r.value for r in CASE_WORKING_ROLES]))
                            .order_by(User.full_name, User.id)).all()
    rows: list[list[Any]] = []
    for user in users:
        contract = contracts.get(user.id)
        if not (user.active or contract or caseload.get(user.id)):
            continue
        supervision = last_supervision.get(user.id)
        kind = {"permanent": "Permanent", "agency": "Agency", "project_team": "Agency (project team)"}.get(
            contract.employment_type, contract.employment_type) if contract else "Not recorded"
        rows.append([f"W{user.id}", user.full_name, Role(user.role).label, user.team.name if user.team else "",
                     kind, contract.fte if contract else None, yes_no(contract.case_holding) if contract else "",
                     caseload.get(user.id, 0), supervision[0] if supervision else None,
                     supervision[1] if supervision else None])
    return rows


# --- the workbook -------------------------------------------------------------------------------------------------


def write_workbook(annex: AnnexA, out: Path | IO[bytes]) -> None:
    """One sheet per list (headers in row 1, dates as dates), then "About" with the notes.

    Written straight as SpreadsheetML (ECMA-376) into the zip, a row at a time: text as inline strings (never a
    formula), dates as serial numbers with a date style. openpyxl's general writer spends ~20 us a cell, most of an
    export's time on a large council; the tests read every workbook back with openpyxl."""
    sheets = [(s.spec.sheet, [list(s.spec.columns)], s.rows) for s in annex.sheets]
    sheets.append(("About", [["Note"]], [[note] for note in annex.notes]))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", _content_types(len(sheets)))
        package.writestr("_rels/.rels", _ROOT_RELS)
        package.writestr("xl/workbook.xml", _WORKBOOK.format(sheets="".join(
            f'<sheet name="{escape(name, _QUOTE)}" sheetId="{i}" r:id="rId{i}"/>'
            for i, (name, _h, _r) in enumerate(sheets, 1))))
        package.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS.format(sheets="".join(
            f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(sheets) + 1)), styles=len(sheets) + 1))
        package.writestr("xl/styles.xml", _STYLES)
        for i, (_name, header, rows) in enumerate(sheets, 1):
            with package.open(f"xl/worksheets/sheet{i}.xml", "w") as part:
                last = f"{_COLUMNS[len(header[0]) - 1]}{len(rows) + 1}"
                part.write(_SHEET_START + f'<dimension ref="A1:{last}"/><sheetData>'.encode())
                chunk: list[str] = []
                for number, row in enumerate(chain(header, rows), 1):
                    chunk.append(_row_xml(number, row))
                    if len(chunk) >= 500:
                        part.write("".join(chunk).encode())
                        chunk = []
                part.write("".join(chunk).encode())
                part.write(_SHEET_END)


def _column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


_COLUMNS = [_column_letters(i) for i in range(64)]
_EXCEL_EPOCH = date(1899, 12, 30)
# Characters XML 1.0 cannot carry (controls other than tab, newline and carriage return) are dropped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_QUOTE = {'"': "&quot;"}


def _row_xml(number: int, row: Sequence[Any]) -> str:
    cells = []
    for index, value in enumerate(row):
        if value is None or value == "":
            continue
        ref = f"{_COLUMNS[index]}{number}"
        if isinstance(value, bool):
            cells.append(f'<c r="{ref}" t="b"><v>{int(value)}</v></c>')
        elif isinstance(value, int | float):
            cells.append(f'<c r="{ref}"><v>{value!r}</v></c>')
        elif isinstance(value, date):
            day = value.date() if isinstance(value, datetime) else value
            cells.append(f'<c r="{ref}" s="1"><v>{(day - _EXCEL_EPOCH).days}</v></c>')
        else:
            # A carriage return is written as a character reference: XML parsers turn a bare one into a newline.
            text = escape(_NOT_XML.sub("", str(spreadsheet_value(value))), {"\r": "&#13;"})
            if not text:
                continue
            cells.append(f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>')
    return f'<row r="{number}">{"".join(cells)}</row>'


def _content_types(sheets: int) -> str:
    parts = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
                    f'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' for i in range(1, sheets + 1))
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            f'{parts}</Types>')


_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_ROOT_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
              f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
             f'xmlns:r="{_REL}"><sheets>{{sheets}}</sheets></workbook>')
_WORKBOOK_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                  '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{sheets}'
                  f'<Relationship Id="rId{{styles}}" Type="{_REL}/styles" Target="styles.xml"/></Relationships>')
# Style 0: general; style 1: a date (built-in number format 14).
_STYLES = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
           '<fills count="2"><fill><patternFill patternType="none"/></fill>'
           '<fill><patternFill patternType="gray125"/></fill></fills>'
           '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
           '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
           '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
           '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
           '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
           '</styleSheet>')
_SHEET_START = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
_SHEET_END = b"</sheetData></worksheet>"




# --- the use-case -------------------------------------------------------------------------------------------------

COMMAND_LINE = Actor(id=None, username="safeguarding command", role="system")


def export_annex_a(session: Session, period: Period, out: Path | IO[bytes], *, user: User | None = None,
                   database: Database | None = None) -> AnnexA:
    """Build and write Annex A for the period; audited as an export (by the user, or by the command line).

    Only performance analysts export it (core/access.py: STATUTORY_RETURN EXPORT). Nothing is written when the
    build fails; a period with no children writes nothing (``child_rows`` is 0) and the caller says so."""
    if user is not None:
        assert database is not None
        access.require_role(database, user, Kind.STATUTORY_RETURN, Action.EXPORT)
    annex = build(session, period)
    if annex.child_rows:
        write_workbook(annex, out)
    record(session, access.actor_of(user) if user else COMMAND_LINE, "export", "annex_a", None,
           detail={"from": period.start.isoformat(), "to": period.end.isoformat(),
                   "rows": {sheet.spec.sheet: len(sheet.rows) for sheet in annex.sheets}})
    return annex
