"""The rows of each Annex A list for a period, read from the live record: one function per list.

Which rows a period takes (the cohort rule beside each list, ``spec.LISTS``): an event list (contacts, referrals,
section 47s, missing episodes, screenings) takes events dated in the period; a list of things that last
(assessments, episodes of need, child protection plans) takes those open at any time in the period. Ages and "last
12 months" counts are as at the period's last day; allocated team and worker are the allocation open at the end of
the period.

The cohorts of every list are read first (:func:`read_cohorts`), so that the children they name are loaded once
(:class:`Children`); each list then makes its rows from its cohort. Everything here only reads.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Row, and_, or_, select
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
from safeguarding.children_in_care import care_leavers as leaving_care
from safeguarding.children_in_care import rules as care_rules
from safeguarding.children_in_care.care_leaver_models import CareLeaver, Oc3Record
from safeguarding.children_in_care.care_leaver_service import periods_of, recorded_periods_of_each
from safeguarding.children_in_care.models import (
    CareEvent,
    CarePeriod,
    CareVisit,
    HealthAssessment,
    LookedAfterReview,
)
from safeguarding.children_in_care.permanence_models import PermanencePlan
from safeguarding.children_in_care.service import as_change
from safeguarding.core import dates, local_settings
from safeguarding.core.calendar import LONDON, add_calendar_months
from safeguarding.core.dates import long_date
from safeguarding.core.users import Role, Team, User
from safeguarding.early_help.models import (
    EarlyHelpAssessment,
    EarlyHelpEpisode,
    EarlyHelpFamilyMember,
    FamilyMemberRole,
)
from safeguarding.exploitation.models import MissingEpisode, Screening
from safeguarding.front_door.models import Contact, ContactSubject, SubjectRole
from safeguarding.insight import care as care_measures
from safeguarding.insight.distance import authorities_of, district_of
from safeguarding.insight.models import WorkerContract
from safeguarding.insight.period import Period
from safeguarding.people.models import Person
from safeguarding.returns.annex_a import adoption
from safeguarding.returns.annex_a.spec import (
    ACTIVITY,
    CASE_STATUS,
    CASE_WORKING_ROLES,
    CATEGORY,
    ELIGIBILITY,
    ETHNICITY,
    GENDER,
    LISTS,
    NO_FURTHER_SUPPORT,
    PERMANENCE_PLAN,
    SOURCE,
    SUITABILITY,
    ListSpec,
    yes_no,
)
from safeguarding.returns.models import ChildDisability

# Ids are read in chunks: a large council's cohort would overflow a database's limit on bound parameters.
CHUNK = 500


def age_on(born: date | None, on: date) -> int | None:
    """The age on ``on`` (``core.dates.age_on``), blank when the date of birth is not known or later."""
    if born is None or born > on:
        return None
    return dates.age_on(born, on)


def _london_day(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    ordered = sorted(set(ids))
    return (ordered[i : i + CHUNK] for i in range(0, len(ordered), CHUNK))


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


# --- the cohorts and the children they name -----------------------------------------------------------------------


@dataclass(frozen=True)
class Cohorts:
    """The records each list takes for the period, in the order the list is written."""

    contacts: Sequence[Row[int | None, datetime, str, int]]  # child, received, source, contact
    referrals: Sequence[Referral]  # made in the period (List 3)
    assessments: Sequence[Assessment]
    section47s: Sequence[Section47Enquiry]
    episodes: Sequence[Referral]  # open at any time in the period (List 6)
    plans: Sequence[ChildProtectionPlan]
    missing: Sequence[MissingEpisode]
    screenings: Sequence[Screening]
    in_care: Sequence[int] = ()  # children looked after at any time in the period (List 8), in person order
    care_leavers: Sequence[CareLeaver] = ()  # care leavers whose duties had not ended before the period (List 9)
    # Early help assessments open in the period, one row per child of the family with a person record: child,
    # started, completed, the organisation completing it (List 2).
    early_help: Sequence[tuple[int, date, date | None, str]] = ()

    @property
    def person_ids(self) -> set[int]:
        ids = {int(row[0] or 0) for row in self.contacts} | set(self.in_care)
        ids.update(leaver.person_id for leaver in self.care_leavers)
        ids.update(row[0] for row in self.early_help)
        for group in (
            self.referrals,
            self.assessments,
            self.section47s,
            self.episodes,
            self.plans,
            self.missing,
            self.screenings,
        ):
            ids.update(record.person_id for record in group)
        return ids


def read_cohorts(session: Session, period: Period) -> Cohorts:
    start, end = period.start, period.end
    return Cohorts(
        # One row per child named (a contact about two children is two rows).
        contacts=session.execute(
            select(ContactSubject.person_id, Contact.received_at, Contact.referral_source, Contact.id)
            .join(Contact, Contact.id == ContactSubject.contact_id)
            .where(
                ContactSubject.role == SubjectRole.CHILD,
                ContactSubject.person_id.is_not(None),
                Contact.received_at >= period.since,
                Contact.received_at < period.until,
            )
            .order_by(Contact.received_at, Contact.id)
        ).all(),
        referrals=session.scalars(
            select(Referral)
            .where(Referral.referral_date >= start, Referral.referral_date <= end)
            .order_by(Referral.referral_date, Referral.id)
        ).all(),
        assessments=session.scalars(
            select(Assessment)
            .where(
                Assessment.started_on <= end, or_(Assessment.authorised_on.is_(None), Assessment.authorised_on >= start)
            )
            .order_by(Assessment.started_on, Assessment.id)
        ).all(),
        section47s=session.scalars(
            select(Section47Enquiry)
            .where(Section47Enquiry.started_on >= start, Section47Enquiry.started_on <= end)
            .order_by(Section47Enquiry.started_on, Section47Enquiry.id)
        ).all(),
        episodes=session.scalars(
            select(Referral)
            .where(Referral.referral_date <= end, or_(Referral.closed_date.is_(None), Referral.closed_date >= start))
            .order_by(Referral.referral_date, Referral.id)
        ).all(),
        plans=session.scalars(
            select(ChildProtectionPlan)
            .where(
                ChildProtectionPlan.started_on <= end,
                or_(ChildProtectionPlan.ended_on.is_(None), ChildProtectionPlan.ended_on >= start),
            )
            .order_by(ChildProtectionPlan.started_on, ChildProtectionPlan.id)
        ).all(),
        missing=session.scalars(
            select(MissingEpisode)
            .where(MissingEpisode.went_missing_at >= period.since, MissingEpisode.went_missing_at < period.until)
            .order_by(MissingEpisode.went_missing_at, MissingEpisode.id)
        ).all(),
        screenings=session.scalars(
            select(Screening)
            .where(Screening.screened_on >= start, Screening.screened_on <= end)
            .order_by(Screening.person_id, Screening.screened_on, Screening.id)
        ).all(),
        in_care=sorted(
            set(
                session.scalars(
                    select(CarePeriod.person_id).where(
                        CarePeriod.started_on <= end, or_(CarePeriod.ended_on.is_(None), CarePeriod.ended_on >= start)
                    )
                )
            )
        ),
        care_leavers=session.scalars(
            select(CareLeaver)
            .where(or_(CareLeaver.ended_on.is_(None), CareLeaver.ended_on >= start))
            .order_by(CareLeaver.person_id)
        ).all(),
        early_help=_early_help_assessments(session, period),
    )


def _early_help_assessments(session: Session, period: Period) -> list[tuple[int, date, date | None, str]]:
    """Each early help assessment open at any time in the period, for each child of the family (a child member with
    a person record, in the family while the assessment was open: Annex A's Child Unique ID is never blank)."""
    start, end = period.start, period.end
    rows = session.execute(
        select(
            EarlyHelpFamilyMember.person_id,
            EarlyHelpAssessment.started_on,
            EarlyHelpAssessment.completed_on,
            EarlyHelpAssessment.organisation,
            EarlyHelpEpisode.organisation,
        )
        .join(EarlyHelpEpisode, EarlyHelpEpisode.id == EarlyHelpAssessment.episode_id)
        .join(EarlyHelpFamilyMember, EarlyHelpFamilyMember.episode_id == EarlyHelpEpisode.id)
        .where(
            EarlyHelpAssessment.started_on <= end,
            or_(EarlyHelpAssessment.completed_on.is_(None), EarlyHelpAssessment.completed_on >= start),
            EarlyHelpFamilyMember.role == FamilyMemberRole.CHILD,
            EarlyHelpFamilyMember.person_id.is_not(None),
            or_(EarlyHelpFamilyMember.joined_on.is_(None), EarlyHelpFamilyMember.joined_on <= end),
            or_(
                EarlyHelpFamilyMember.left_on.is_(None),
                EarlyHelpFamilyMember.left_on >= EarlyHelpAssessment.started_on,
            ),
        )
        .order_by(EarlyHelpAssessment.started_on, EarlyHelpAssessment.id, EarlyHelpFamilyMember.id)
    )
    return [
        (int(person_id), started, completed, own or episodes or "")
        for person_id, started, completed, own, episodes in rows
        if person_id is not None
    ]


class Children:
    """People, disabilities and allocations at the period end, loaded once for the ids the lists need; and their
    histories ("in the last 12 months", "previous plans"), each read once when a list first asks."""

    def __init__(self, session: Session, period: Period, person_ids: Iterable[int]) -> None:
        self._session = session
        self._ids = sorted(set(person_ids))
        self.on = period.end
        self.people: dict[int, Person] = {}
        self.disabled: dict[int, bool] = {}
        self.allocated: dict[int, tuple[str, str]] = {}
        self._histories: dict[tuple[str, str], dict[int, list[date]]] = {}
        for chunk in _chunks(self._ids):
            for person in session.scalars(select(Person).where(Person.id.in_(chunk))):
                self.people[person.id] = person
            for person_id, code in session.execute(
                select(ChildDisability.person_id, ChildDisability.code).where(ChildDisability.person_id.in_(chunk))
            ):
                self.disabled[person_id] = self.disabled.get(person_id, False) or code != "NONE"
            rows = session.execute(
                select(Allocation.person_id, User.full_name, Team.name, Allocation.started_at)
                .join(User, User.id == Allocation.worker_id)
                .outerjoin(Team, Team.id == Allocation.team_id)
                .where(
                    Allocation.person_id.in_(chunk),
                    Allocation.started_at < period.until,
                    or_(Allocation.ended_at.is_(None), Allocation.ended_at >= period.until),
                )
                .order_by(Allocation.started_at)
            )
            for person_id, worker, team, _started in rows:
                self.allocated[person_id] = (team or "", worker)

    def leading(self, person_id: int) -> list[Any]:
        person = self.people[person_id]
        return [
            person.la_child_id or f"P{person.id}",
            GENDER.get(person.sex or "", "c) Not stated/recorded"),
            ETHNICITY.get(person.ethnicity or "", ""),
            person.date_of_birth,
            age_on(person.date_of_birth, self.on),
        ]

    def disability(self, person_id: int) -> list[Any]:
        return [yes_no(self.disabled.get(person_id)) if person_id in self.disabled else "Unknown"]

    def trailing(self, person_id: int) -> list[Any]:
        team, worker = self.allocated.get(person_id, ("", ""))
        return [team, worker]

    def history(self, model: Any, column: Any) -> dict[int, list[date]]:
        """Every date in ``column`` of ``model`` up to the period end, by child (all the children concerned)."""
        key = (model.__name__, column.key)
        found = self._histories.get(key)
        if found is None:
            found = self._histories[key] = defaultdict(list)
            for chunk in _chunks(self._ids):
                for person_id, day in self._session.execute(
                    select(model.person_id, column).where(model.person_id.in_(chunk), column <= self.on)
                ):
                    found[person_id].append(day)
        return found


def _count_within_year(dates: Sequence[date], on: date) -> int:
    """How many of these dates fall in the 12 months up to and including ``on``."""
    year_before = add_calendar_months(on, -12)
    return sum(1 for d in dates if year_before < d <= on)


@dataclass(frozen=True)
class Extract:
    """What every list is written from: the period, its cohorts and the children they name."""

    session: Session
    period: Period
    cohorts: Cohorts
    children: Children


# --- one function per list ------------------------------------------------------------------------------------------


def list_1_contacts(x: Extract) -> list[list[Any]]:
    return [
        [*x.children.leading(int(person_id or 0)), _london_day(received_at), SOURCE.get(source, source)]
        for person_id, received_at, source, _contact_id in x.cohorts.contacts
    ]


def list_2_early_help(x: Extract) -> list[list[Any]]:
    """One row per child of the family for each early help assessment open at any time in the period (started by its
    end, not completed before its start: the window the SSD's Annex A script takes, data-to-insight/ssd-data-model
    ``AnnexA_sqlserver.sql``), reassessments included. The organisation completing it is the assessment's, or else
    the episode's (Ofsted: "Organisation completing assessment", never blank where the record holds it)."""
    children = x.children
    return [
        [*children.leading(person_id), started_on, completed_on, organisation]
        for person_id, started_on, completed_on, organisation in x.cohorts.early_help
    ]


def list_3_referrals(x: Extract) -> list[list[Any]]:
    children = x.children
    referral_dates = children.history(Referral, Referral.referral_date)
    rows = []
    for r in x.cohorts.referrals:
        nfa = r.closure_reason == "RC8" or r.route in ("no_further_action", "information_and_advice")
        rows.append(
            [
                *children.leading(r.person_id),
                r.referral_date,
                SOURCE.get(r.referral_source, r.referral_source),
                yes_no(nfa),
                _count_within_year(referral_dates[r.person_id], r.referral_date),
                *children.trailing(r.person_id),
            ]
        )
    return rows


def list_4_assessments(x: Extract) -> list[list[Any]]:
    children, end = x.children, x.period.end
    assessments = x.cohorts.assessments
    seen_by_referral = _seen_during(x.session, [a.referral_id for a in assessments])
    rows = []
    for a in assessments:
        needs = None if a.authorised_on is None or a.outcome is None else a.outcome not in NO_FURTHER_SUPPORT
        seen = seen_by_referral.get(a.referral_id, [])
        child_seen = any(a.started_on <= d <= (a.authorised_on or end) for d in seen)
        rows.append(
            [
                *children.leading(a.person_id),
                *children.disability(a.person_id),
                a.started_on,
                yes_no(child_seen),
                a.authorised_on,
                yes_no(needs),
                *children.trailing(a.person_id),
            ]
        )
    return rows


def list_5_section47s(x: Extract) -> list[list[Any]]:
    children, end, s47s = x.children, x.period.end, x.cohorts.section47s
    s47_dates = children.history(Section47Enquiry, Section47Enquiry.started_on)
    icpc_dates = children.history(ChildProtectionConference, ChildProtectionConference.held_on)
    strategy_dates = (
        dict(
            x.session.execute(
                select(StrategyDiscussion.id, StrategyDiscussion.held_on).where(
                    StrategyDiscussion.id.in_([s.strategy_discussion_id for s in s47s])
                )
            ).all()
        )
        if s47s
        else {}
    )
    icpcs = _initial_conferences(x.session, [s.id for s in s47s])
    rows = []
    for s in s47s:
        icpc = icpcs.get(s.id)
        rows.append(
            [
                *children.leading(s.person_id),
                *children.disability(s.person_id),
                strategy_dates.get(s.strategy_discussion_id, s.started_on),
                yes_no(s.icpc_not_required) if s.outcome is not None else "",
                icpc.held_on if icpc else None,
                yes_no(icpc.plan_id is not None) if icpc else "",
                _count_within_year(s47_dates[s.person_id], end),
                _count_within_year(icpc_dates[s.person_id], end),
                *children.trailing(s.person_id),
            ]
        )
    return rows


def list_6_children_in_need(x: Extract) -> list[list[Any]]:
    children, end, episodes = x.children, x.period.end, x.cohorts.episodes
    status = _status_of(x.session, episodes, end)
    last_seen = _last_seen(x.session, [e.id for e in episodes], end)
    rows = []
    for e in episodes:
        closed = e.closed_date if e.closed_date is not None and e.closed_date <= end else None
        rows.append(
            [
                *children.leading(e.person_id),
                *children.disability(e.person_id),
                e.referral_date,
                e.primary_need or "",
                last_seen.get(e.id),
                closed,
                (e.closure_reason or "") if closed else "",
                CASE_STATUS["closed"] if closed else status.get(e.id, CASE_STATUS["open"]),
                *children.trailing(e.person_id),
            ]
        )
    return rows


def list_7_child_protection(x: Extract) -> list[list[Any]]:
    children, end, plans = x.children, x.period.end, x.cohorts.plans
    cp_visits = _cp_visits(x.session, [p.referral_id for p in plans], end)
    reviews = _review_conferences(x.session, [p.id for p in plans], end)
    plan_starts = children.history(ChildProtectionPlan, ChildProtectionPlan.started_on)
    protection = _immediate_protection(x.session, [p.person_id for p in plans], end)
    rows = []
    for p in plans:
        visits = [v for v in cp_visits.get(p.referral_id, []) if v[0] >= p.started_on]
        last = visits[-1] if visits else None
        ended = p.ended_on if p.ended_on is not None and p.ended_on <= end else None
        rows.append(
            [
                *children.leading(p.person_id),
                *children.disability(p.person_id),
                p.started_on,
                CATEGORY.get(p.initial_category, p.initial_category),
                CATEGORY.get(p.latest_category, p.latest_category),
                last[0] if last else None,
                yes_no(last[1]) if last else "",
                reviews.get(p.id),
                ended,
                "Y" if protection.get(p.person_id) else "N",
                sum(1 for d in plan_starts[p.person_id] if d < p.started_on),
                *children.trailing(p.person_id),
            ]
        )
    return rows


def list_8_children_in_care(x: Extract) -> list[list[Any]]:
    """One row per child looked after at any time in the period, as at its last day: the latest period of care
    begun by then, its episodes derived from the events (never typed), the latest review, visit and health
    assessment, and the missing and absent episodes of the 12 months to the period end."""
    children, end = x.children, x.period.end
    year_before = add_calendar_months(end, -12)
    ids = list(x.cohorts.in_care)
    care = _care_histories(x.session, ids, end)
    reviews = children.history(LookedAfterReview, LookedAfterReview.held_on)
    visits = children.history(CareVisit, CareVisit.visited_on)
    health = children.history(HealthAssessment, HealthAssessment.assessed_on)
    iro_contacts = _iro_contacts(x.session, ids, end)
    plans = _permanence_plans(x.session, ids, end)
    missing = _missing_of(x.session, ids, year_before, end)
    authorities = authorities_of(x.session)
    council = int(local_settings.get(x.session, "returns.la_code") or 0)
    rows = []
    for person_id in ids:
        periods, episodes = care[person_id]
        if not periods or not episodes:
            continue
        current = periods[-1]
        latest = care_measures.last_episode_by(episodes, end)
        history = care_measures.placements(episodes)
        placement = next((p for p in reversed(history) if p.start <= end), None)
        left = current.ended_on if current.ended_on is not None and current.ended_on <= end else None
        recent = [p for p in periods if p.started_on <= end and (p.ended_on is None or p.ended_on > year_before)]
        district = district_of(placement.postcode if placement else None)
        la = authorities.get(district or "")
        away = [m for m in missing.get(person_id, []) if m.kind == "missing"]
        last_away = max(away, key=lambda m: m.went_missing_at, default=None)
        interview = last_away.interview if last_away is not None else None
        rows.append(
            [
                *children.leading(person_id),
                *children.disability(person_id),
                yes_no(any(p.unaccompanied_asylum_seeking for p in recent)),
                current.started_on,
                latest.cin if latest else "",
                yes_no(len(recent) > 1),
                care_measures.legal_status_since(episodes, end),
                latest.ls if latest else "",
                _latest(reviews[person_id]),
                _latest(visits[person_id]),
                PERMANENCE_PLAN.get(plans.get(current.id, ""), ""),
                iro_contacts.get(person_id),
                _latest(health[person_id]),
                None,  # dental checks are not recorded yet (About)
                sum(1 for p in history if p.overlaps(year_before, end)),
                left,
                (current.reason_ended or "") if left else "",
                placement.start if placement else None,
                (placement.place or "") if placement else "",
                (placement.provider or "") if placement else "",
                (placement.postcode or "") if placement else "",
                (placement.urn or "") if placement else "",
                "" if la is None else ("In" if la == council else "Out"),
                "" if la is None else str(la),
                len(away),
                sum(1 for m in missing.get(person_id, []) if m.kind == "absent"),
                ("Y" if interview else "N") if last_away is not None else "",
                ("N" if interview.declined else ("Y" if interview.held_at else "")) if interview else "",
                *children.trailing(person_id),
            ]
        )
    return rows


def list_9_care_leavers(x: Extract) -> list[list[Any]]:
    """One row per young person who is a relevant, former relevant or qualifying care leaver on the period's last
    day (``children_in_care.care_leavers.eligibility``, from their periods of care), with what was last recorded of
    them at a birthday (the SSDA903 OC3 facts) by then. The allocated worker is their personal adviser."""
    children, end = x.children, x.period.end
    leavers = list(x.cohorts.care_leavers)
    recorded = recorded_periods_of_each(x.session, [leaver.person_id for leaver in leavers])
    facts = _latest_oc3(x.session, [leaver.id for leaver in leavers], end)
    advisers = _advisers(x.session, [leaver.personal_adviser_id for leaver in leavers])
    rows = []
    for leaver in leavers:
        born = children.people[leaver.person_id].date_of_birth
        if born is None:
            continue
        status = leaving_care.eligibility(born, periods_of(x.session, leaver, recorded.get(leaver.person_id)), end)
        category = ELIGIBILITY.get(str(status.category))
        if category is None:
            continue
        fact = facts.get(leaver.id)
        accommodation = (fact.accommodation or "") if fact else ""
        known = accommodation not in ("", leaving_care.ACCOMMODATION_NOT_KNOWN)
        team, worker = advisers.get(leaver.personal_adviser_id or 0) or children.trailing(leaver.person_id)
        rows.append(
            [
                *children.leading(leaver.person_id),
                *children.disability(leaver.person_id),
                category,
                fact.in_touch if fact else "",
                accommodation[:1] if known else "",
                SUITABILITY.get(accommodation[1:], "") if known else "",
                ACTIVITY.get(fact.activity or "", fact.activity or "") if fact else "",
                team,
                worker,
            ]
        )
    return rows


def missing_episodes(x: Extract) -> list[list[Any]]:
    children = x.children
    rows = []
    for m in x.cohorts.missing:
        interview = m.interview
        rows.append(
            [
                *children.leading(m.person_id),
                "Missing" if m.kind == "missing" else "Absent",
                _london_day(m.went_missing_at),
                _london_day(m.returned_at) if m.returned_at else None,
                "Y" if interview else "N",
                _london_day(interview.offered_at) if interview else None,
                ("N" if interview.declined else ("Y" if interview.held_at else "")) if interview else "",
                *children.trailing(m.person_id),
            ]
        )
    return rows


def exploitation_screenings(x: Extract) -> list[list[Any]]:
    children = x.children
    latest: dict[int, Screening] = {}
    for screening in x.cohorts.screenings:
        latest[screening.person_id] = screening  # ordered by date: the last one stands
    return [
        [
            *children.leading(screening.person_id),
            screening.screened_on,
            str(screening.band).replace("_", " ").capitalize(),
            ", ".join(str(t).replace("_", " ") for t in screening.exploitation_types),
            *children.trailing(screening.person_id),
        ]
        for screening in sorted(latest.values(), key=lambda s: (s.screened_on, s.id))
    ]


def staff(x: Extract) -> list[list[Any]]:
    return staff_rows(x.session, x.period)


ROWS: dict[str, Callable[[Extract], list[list[Any]]]] = {
    "List 1": list_1_contacts,
    "List 2": list_2_early_help,
    "List 3": list_3_referrals,
    "List 4": list_4_assessments,
    "List 5": list_5_section47s,
    "List 6": list_6_children_in_need,
    "List 7": list_7_child_protection,
    "List 8": list_8_children_in_care,
    "List 9": list_9_care_leavers,
    "Missing": missing_episodes,
    "Exploitation": exploitation_screenings,
    "Staff": staff,
    "List 10": lambda x: adoption.list_10_adoption(x.session, x.period, lambda ids: Children(x.session, x.period, ids)),
    "List 11": lambda x: adoption.list_11_adopters(x.session, x.period),
}


def build(session: Session, period: Period) -> AnnexA:
    """Every list the system holds, for the period, with the notes of the "About" sheet. Reads only."""
    cohorts = read_cohorts(session, period)
    extract = Extract(session, period, cohorts, Children(session, period, cohorts.person_ids))
    sheets = [Sheet(spec, ROWS[spec.sheet](extract)) for spec in LISTS]
    return AnnexA(period, sheets, notes(session, period, sheets))


def notes(session: Session, period: Period, sheets: Sequence[Sheet]) -> list[str]:
    start, end = period.start, period.end
    early_help = sum(
        1
        for _ in session.execute(
            select(Referral.id).where(
                Referral.referral_date >= start, Referral.referral_date <= end, Referral.closure_reason == "RC9"
            )
        )
    )
    unmatched = sum(
        1
        for _ in session.execute(
            select(EarlyHelpFamilyMember.id)
            .join(EarlyHelpAssessment, EarlyHelpAssessment.episode_id == EarlyHelpFamilyMember.episode_id)
            .where(
                EarlyHelpAssessment.started_on <= end,
                or_(EarlyHelpAssessment.completed_on.is_(None), EarlyHelpAssessment.completed_on >= start),
                EarlyHelpFamilyMember.role == FamilyMemberRole.CHILD,
                EarlyHelpFamilyMember.person_id.is_(None),
            )
        )
    )
    return [
        f"Ofsted Annex A for {long_date(start)} to {long_date(end)}, written from the live record.",
        "Columns and value sets: Ofsted's ILACS Annex A (liia-tools layout, June 2024).",
        "List 2: one row for each child of the family for each early help assessment open in the period "
        "(reassessments included); the organisation is the one that completed the assessment, or the episode's. "
        f"Children named in early help but not yet matched to a person record, left out: {unmatched}. Episodes "
        f"closed after assessment and referred to early help (RC9) in the period: {early_help}.",
        "List 8: the permanence plan is the latest decided for the child's current period of care by the period's "
        "last day (blank where none is recorded); the date of the last dental check is not recorded yet and is left "
        "blank. The last IRO contact is the latest looked-after review the IRO chaired (the IRO named on the care plan "
        "chairs them). Placements are counted as the "
        "DfE counts them (a change of legal status alone is not a new placement). Placement location and LA of "
        "placement come from where the placement's postcode district lies (blank where that is not known).",
        "List 9: eligibility is worked out from the young person's periods of care on the period's last day; in "
        "touch, accommodation and activity are the latest facts recorded at a birthday (the SSDA903 OC3 codes); "
        "the allocated worker is the personal adviser. Activity codes F4/F5 and P4/P5 are written as Ofsted's "
        "F3 and P3.",
        "List 7 'Subject to EPO or police protection': Y where a contact about the child was decided as immediate "
        "protection in the six months to the end of the period (the system records the decision, not the order).",
        *(f"{sheet.spec.sheet} ({sheet.spec.title}): {len(sheet.rows)} rows; {sheet.spec.cohort}." for sheet in sheets),
    ]


# --- what the lists read beside their cohorts -----------------------------------------------------------------------


def _latest(days: Sequence[date]) -> date | None:
    return max(days, default=None)


def _care_histories(
    session: Session, person_ids: list[int], end: date
) -> dict[int, tuple[list[CarePeriod], list[care_rules.Episode]]]:
    """Each child's periods of care begun by ``end`` and the episodes derived from their events up to it."""
    periods: dict[int, list[CarePeriod]] = defaultdict(list)
    changes: dict[int, list[care_rules.CareChange]] = defaultdict(list)
    for chunk in _chunks(person_ids):
        for period in session.scalars(
            select(CarePeriod)
            .where(CarePeriod.person_id.in_(chunk), CarePeriod.started_on <= end)
            .order_by(CarePeriod.person_id, CarePeriod.started_on, CarePeriod.id)
        ):
            periods[period.person_id].append(period)
        for event in session.scalars(
            select(CareEvent)
            .where(CareEvent.person_id.in_(chunk), CareEvent.occurred_on <= end)
            .order_by(CareEvent.person_id, CareEvent.occurred_on, CareEvent.id)
        ):
            changes[event.person_id].append(as_change(event))
    return {p: (periods[p], care_rules.episodes(changes[p])) for p in person_ids}


def _iro_contacts(session: Session, person_ids: list[int], end: date) -> dict[int, date]:
    """The latest looked-after review chaired by an IRO: the one recorded as its chair, or the IRO named on the care
    plan (who chairs the reviews: CPPCR 2010 reg 36)."""
    latest: dict[int, date] = {}
    for chunk in _chunks(person_ids):
        for person_id, day in session.execute(
            select(LookedAfterReview.person_id, LookedAfterReview.held_on)
            .join(CarePeriod, CarePeriod.id == LookedAfterReview.period_id)
            .where(
                LookedAfterReview.person_id.in_(chunk),
                or_(LookedAfterReview.chaired_by_id.is_not(None), CarePeriod.iro_id.is_not(None)),
                LookedAfterReview.held_on <= end,
            )
        ):
            latest[person_id] = max(day, latest.get(person_id, day))
    return latest


def _permanence_plans(session: Session, person_ids: list[int], end: date) -> dict[int, str]:
    """The permanence plan of each period of care as it stood on ``end``: the latest decided by then (a plan of an
    earlier period is not the current one's)."""
    latest: dict[int, str] = {}
    for chunk in _chunks(person_ids):
        for period_id, plan in session.execute(
            select(PermanencePlan.period_id, PermanencePlan.plan)
            .where(PermanencePlan.person_id.in_(chunk), PermanencePlan.decided_on <= end)
            .order_by(PermanencePlan.decided_on, PermanencePlan.id)
        ):
            latest[period_id] = plan
    return latest


def _missing_of(session: Session, person_ids: list[int], after: date, end: date) -> dict[int, list[MissingEpisode]]:
    """Missing and absent episodes that began in the 12 months to ``end`` (after ``after``), by child."""
    found: dict[int, list[MissingEpisode]] = defaultdict(list)
    since = datetime.combine(after + timedelta(days=1), time.min, LONDON)
    until = datetime.combine(end + timedelta(days=1), time.min, LONDON)
    for chunk in _chunks(person_ids):
        for m in session.scalars(
            select(MissingEpisode).where(
                MissingEpisode.person_id.in_(chunk),
                MissingEpisode.went_missing_at >= since,
                MissingEpisode.went_missing_at < until,
            )
        ):
            found[m.person_id].append(m)
    return found


def _latest_oc3(session: Session, leaver_ids: list[int], end: date) -> dict[int, Oc3Record]:
    latest: dict[int, Oc3Record] = {}
    for chunk in _chunks(leaver_ids):
        for fact in session.scalars(
            select(Oc3Record)
            .where(Oc3Record.care_leaver_id.in_(chunk), Oc3Record.recorded_on <= end)
            .order_by(Oc3Record.recorded_on, Oc3Record.id)
        ):
            latest[fact.care_leaver_id] = fact
    return latest


def _advisers(session: Session, user_ids: Iterable[int | None]) -> dict[int, tuple[str, str]]:
    ids = sorted({u for u in user_ids if u is not None})
    if not ids:
        return {}
    return {
        user_id: (team or "", name)
        for user_id, name, team in session.execute(
            select(User.id, User.full_name, Team.name).outerjoin(Team, Team.id == User.team_id).where(User.id.in_(ids))
        )
    }


def _seen_during(session: Session, referral_ids: list[int]) -> dict[int, list[date]]:
    seen: dict[int, list[date]] = defaultdict(list)
    for chunk in _chunks(referral_ids):
        for referral_id, day in session.execute(
            select(Visit.referral_id, Visit.visited_on).where(Visit.referral_id.in_(chunk), Visit.child_seen.is_(True))
        ):
            seen[referral_id].append(day)
    return seen


def _initial_conferences(session: Session, s47_ids: list[int]) -> dict[int, ChildProtectionConference]:
    found: dict[int, ChildProtectionConference] = {}
    for chunk in _chunks(s47_ids):
        for conference in session.scalars(
            select(ChildProtectionConference)
            .where(ChildProtectionConference.kind == "initial", ChildProtectionConference.section47_id.in_(chunk))
            .order_by(ChildProtectionConference.held_on)
        ):
            found.setdefault(conference.section47_id or 0, conference)
    return found


def _status_of(session: Session, episodes: Sequence[Referral], on: date) -> dict[int, str]:
    """Case status at the period end: CP plan, CIN plan, open assessment (Ofsted Annex A, List 6 "Case Status")."""
    status: dict[int, str] = {}
    for chunk in _chunks(e.id for e in episodes):
        for (referral_id,) in session.execute(
            select(Assessment.referral_id).where(
                Assessment.referral_id.in_(chunk),
                Assessment.started_on <= on,
                or_(Assessment.authorised_on.is_(None), Assessment.authorised_on > on),
            )
        ):
            status[referral_id] = CASE_STATUS["assessment"]
        for (referral_id,) in session.execute(
            select(ChildInNeedPlan.referral_id).where(
                ChildInNeedPlan.referral_id.in_(chunk),
                ChildInNeedPlan.started_on <= on,
                or_(ChildInNeedPlan.ended_on.is_(None), ChildInNeedPlan.ended_on > on),
            )
        ):
            status[referral_id] = CASE_STATUS["cin"]
        for (referral_id,) in session.execute(
            select(ChildProtectionPlan.referral_id).where(
                ChildProtectionPlan.referral_id.in_(chunk),
                ChildProtectionPlan.started_on <= on,
                or_(ChildProtectionPlan.ended_on.is_(None), ChildProtectionPlan.ended_on > on),
            )
        ):
            status[referral_id] = CASE_STATUS["cp"]
    return status


def _last_seen(session: Session, referral_ids: list[int], on: date) -> dict[int, date]:
    last: dict[int, date] = {}
    for chunk in _chunks(referral_ids):
        for referral_id, day in session.execute(
            select(Visit.referral_id, Visit.visited_on).where(
                Visit.referral_id.in_(chunk), Visit.child_seen.is_(True), Visit.visited_on <= on
            )
        ):
            if referral_id not in last or day > last[referral_id]:
                last[referral_id] = day
    return last


def _cp_visits(session: Session, referral_ids: list[int], on: date) -> dict[int, list[tuple[date, bool]]]:
    visits: dict[int, list[tuple[date, bool]]] = defaultdict(list)
    for chunk in _chunks(referral_ids):
        for referral_id, day, alone in session.execute(
            select(Visit.referral_id, Visit.visited_on, Visit.seen_alone)
            .where(Visit.referral_id.in_(chunk), Visit.kind == "cp", Visit.child_seen.is_(True), Visit.visited_on <= on)
            .order_by(Visit.visited_on, Visit.id)
        ):
            visits[referral_id].append((day, bool(alone)))
    return visits


def _review_conferences(session: Session, plan_ids: list[int], on: date) -> dict[int, date]:
    latest: dict[int, date] = {}
    for chunk in _chunks(plan_ids):
        for plan_id, day in session.execute(
            select(ChildProtectionConference.plan_id, ChildProtectionConference.held_on).where(
                ChildProtectionConference.plan_id.in_(chunk),
                ChildProtectionConference.kind == "review",
                ChildProtectionConference.held_on <= on,
            )
        ):
            if plan_id is not None and (plan_id not in latest or day > latest[plan_id]):
                latest[plan_id] = day
    return latest


def _immediate_protection(session: Session, person_ids: list[int], on: date) -> dict[int, bool]:
    since = add_calendar_months(on, -6)
    found: dict[int, bool] = {}
    for chunk in _chunks(person_ids):
        for (person_id,) in session.execute(
            select(Referral.person_id).where(
                Referral.person_id.in_(chunk),
                Referral.route == "immediate_protection",
                and_(Referral.referral_date > since, Referral.referral_date <= on),
            )
        ):
            found[person_id] = True
    return found


def staff_rows(session: Session, period: Period) -> list[list[Any]]:
    """The staff list: each case-working member of staff active at the period end, with their contract (if
    recorded), the children allocated to them then, and their supervision dates."""
    until = period.until
    caseload: dict[int, int] = defaultdict(int)
    for (worker_id,) in session.execute(
        select(Allocation.worker_id).where(
            Allocation.started_at < until, or_(Allocation.ended_at.is_(None), Allocation.ended_at >= until)
        )
    ):
        caseload[worker_id] += 1
    contracts: dict[int, WorkerContract] = {}
    contract: WorkerContract | None
    for contract in session.scalars(
        select(WorkerContract)
        .where(
            WorkerContract.started_on <= period.end,
            or_(WorkerContract.left_on.is_(None), WorkerContract.left_on >= period.end),
        )
        .order_by(WorkerContract.started_on)
    ):
        contracts[contract.user_id] = contract
    last_supervision: dict[int, tuple[date, date | None]] = {}
    for worker_id, held, next_on in session.execute(
        select(Supervision.worker_id, Supervision.held_on, Supervision.next_on)
        .where(Supervision.held_on <= period.end)
        .order_by(Supervision.held_on, Supervision.id)
    ):
        last_supervision[worker_id] = (held, next_on)
    users = session.scalars(
        select(User).where(User.role.in_([r.value for r in CASE_WORKING_ROLES])).order_by(User.full_name, User.id)
    ).all()
    rows: list[list[Any]] = []
    for user in users:
        contract = contracts.get(user.id)
        if not (user.active or contract or caseload.get(user.id)):
            continue
        supervision = last_supervision.get(user.id)
        kind = (
            {"permanent": "Permanent", "agency": "Agency", "project_team": "Agency (project team)"}.get(
                contract.employment_type, contract.employment_type
            )
            if contract
            else "Not recorded"
        )
        rows.append(
            [
                f"W{user.id}",
                user.full_name,
                Role(user.role).label,
                user.team.name if user.team else "",
                kind,
                contract.fte if contract else None,
                yes_no(contract.case_holding) if contract else "",
                caseload.get(user.id, 0),
                supervision[0] if supervision else None,
                supervision[1] if supervision else None,
            ]
        )
    return rows
