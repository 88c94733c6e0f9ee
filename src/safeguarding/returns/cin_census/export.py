"""The CIN census from the live record: every child in scope for a collection year, as :mod:`.census` children.

This is the one module that reads the case work tables for the census (people, referrals, assessments, section 47
enquiries, conferences, child protection and child in need plans, closure; casework/models.py). The same children
feed the XML writer (``safeguarding returns cin-census export``) and the nightly validation of the live record,
which never writes XML.

Scope (the DfE's CIN census guide): every child with a referral in the census period or an episode open
at any point in it. The record is projected as at the reference date (31 March): anything that happened after it is
left out (a plan ended in April is still open in the census), and anything that ended before the period (an
assessment authorised the year before) is not part of this year's return (rules 4013, 8696, 8715, 8930).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import IO, Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from safeguarding.casework.models import (
    Assessment as AssessmentRow,
)
from safeguarding.casework.models import (
    AssessmentFactor,
    ChildInNeedPlan,
    ChildProtectionConference,
    ChildProtectionPlan,
    Referral,
    Section47Enquiry,
    StrategyDiscussion,
)
from safeguarding.core import local_settings
from safeguarding.core.calendar import add_working_days
from safeguarding.family_network import rules as family_network_rules
from safeguarding.family_network.models import FamilyNetworkMeeting, FgdmOffer
from safeguarding.family_network.models import PreProceedings as PreProceedingsRow
from safeguarding.people.models import Person
from safeguarding.returns.cin_census.census import (
    UNSET_LA_CODE,
    Assessment,
    CensusYear,
    Child,
    CinPlan,
    Episode,
    PreProceedings,
    ProtectionPlan,
    Section47,
    la_code_of,
)
from safeguarding.returns.cin_census.writer import write_census
from safeguarding.returns.models import ChildDisability

ICPC_TARGET_WORKING_DAYS = 15  # from the strategy discussion (Working Together 2023, chapter 4)
DEFAULT_LEA = UNSET_LA_CODE
_GENDER_OF_SEX = {"M": "1", "F": "2", "U": "0"}  # GenderCurrent up to 2023-24 (the DfE specification)


def _by(rows: Any, key: str) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[getattr(row, key)].append(row)
    return grouped


def _as_at(day: date | None, year: CensusYear) -> date | None:
    """A date as the census sees it: a date after the reference date has not happened yet."""
    return day if day is not None and day <= year.reference_date else None


def _kept(start: date | None, end: date | None, year: CensusYear) -> bool:
    """Started by the reference date and not over before the period began."""
    return start is not None and start <= year.reference_date and (end is None or end >= year.period_start)


def children_in_scope(session: Session, year: CensusYear) -> Iterator[Child]:
    """Every child in scope, with their episodes as at the reference date, in person id order."""
    ref, start = year.reference_date, year.period_start
    scope = (Referral.referral_date <= ref) & or_(Referral.closed_date.is_(None), Referral.closed_date >= start)
    referrals = session.scalars(
        select(Referral).where(scope).order_by(Referral.person_id, Referral.referral_date, Referral.id)
    ).all()
    if not referrals:
        return
    in_scope = select(Referral.id).where(scope).scalar_subquery()
    assessments = _by(
        session.scalars(
            select(AssessmentRow)
            .where(AssessmentRow.referral_id.in_(in_scope))
            .order_by(AssessmentRow.started_on, AssessmentRow.id)
        ),
        "referral_id",
    )
    factors = _by(
        session.scalars(
            select(AssessmentFactor)
            .join(AssessmentRow)
            .where(AssessmentRow.referral_id.in_(in_scope))
            .order_by(AssessmentFactor.id)
        ),
        "assessment_id",
    )
    enquiries = _by(
        session.scalars(
            select(Section47Enquiry)
            .where(Section47Enquiry.referral_id.in_(in_scope))
            .order_by(Section47Enquiry.started_on, Section47Enquiry.id)
        ),
        "referral_id",
    )
    strategy_days = dict(
        session.execute(
            select(StrategyDiscussion.id, StrategyDiscussion.held_on).where(
                StrategyDiscussion.referral_id.in_(in_scope)
            )
        ).all()
    )
    conferences = _by(
        session.scalars(
            select(ChildProtectionConference)
            .where(ChildProtectionConference.referral_id.in_(in_scope))
            .order_by(ChildProtectionConference.held_on, ChildProtectionConference.id)
        ),
        "referral_id",
    )
    cp_plans = _by(
        session.scalars(
            select(ChildProtectionPlan)
            .where(ChildProtectionPlan.referral_id.in_(in_scope))
            .order_by(ChildProtectionPlan.started_on, ChildProtectionPlan.id)
        ),
        "referral_id",
    )
    cin_plans = _by(
        session.scalars(
            select(ChildInNeedPlan)
            .where(ChildInNeedPlan.referral_id.in_(in_scope))
            .order_by(ChildInNeedPlan.started_on, ChildInNeedPlan.id)
        ),
        "referral_id",
    )
    person_ids = sorted({r.person_id for r in referrals})
    # Module 5 (pre-proceedings and FGDM) from the year that carries it: each pre-proceedings of an episode in scope,
    # with the child's FGDM offers and family network meetings its items are worked out from.
    pre_proceedings: dict[int, list[PreProceedingsRow]] = defaultdict(list)
    offers: dict[int, list[family_network_rules.Offer]] = defaultdict(list)
    meetings: dict[int, list[date]] = defaultdict(list)
    outcome_codes = family_network_rules.pp_outcome_codes(local_settings.get_all(session))
    if year.year >= family_network_rules.FIRST_CENSUS_YEAR:
        pre_proceedings = _by(
            session.scalars(
                select(PreProceedingsRow)
                .where(PreProceedingsRow.referral_id.in_(in_scope))
                .order_by(PreProceedingsRow.decided_on, PreProceedingsRow.id)
            ),
            "referral_id",
        )
        with_pp = sorted({row.person_id for rows in pre_proceedings.values() for row in rows})
        for chunk in range(0, len(with_pp), 1000):
            ids = with_pp[chunk : chunk + 1000]
            for person_id, offered_on, in_letter in session.execute(
                select(FgdmOffer.person_id, FgdmOffer.offered_on, FgdmOffer.in_letter_before_proceedings).where(
                    FgdmOffer.person_id.in_(ids)
                )
            ):
                offers[person_id].append(family_network_rules.Offer(offered_on, in_letter))
            for person_id, held_on in session.execute(
                select(FamilyNetworkMeeting.person_id, FamilyNetworkMeeting.held_on).where(
                    FamilyNetworkMeeting.person_id.in_(ids)
                )
            ):
                meetings[person_id].append(held_on)
    people: dict[int, Person] = {}
    every_plan_start: dict[int, list[date]] = defaultdict(list)
    disabilities: dict[int, list[str]] = defaultdict(list)
    for chunk in range(0, len(person_ids), 1000):
        ids = person_ids[chunk : chunk + 1000]
        people.update((p.id, p) for p in session.scalars(select(Person).where(Person.id.in_(ids))))
        for person_id, started in session.execute(
            select(ChildProtectionPlan.person_id, ChildProtectionPlan.started_on).where(
                ChildProtectionPlan.person_id.in_(ids)
            )
        ):
            every_plan_start[person_id].append(started)
        for person_id, code in session.execute(
            select(ChildDisability.person_id, ChildDisability.code)
            .where(ChildDisability.person_id.in_(ids))
            .order_by(ChildDisability.person_id, ChildDisability.code)
        ):
            disabilities[person_id].append(code)

    by_person = _by(referrals, "person_id")
    for person_id in person_ids:
        person = people[person_id]
        child = Child(
            la_child_id=person.la_child_id,
            upn=person.upn,
            upn_unknown=None if person.upn else person.upn_unknown,
            birth_date=person.date_of_birth,
            expected_birth_date=None if person.date_of_birth else person.expected_date_of_birth,
            sex=person.sex,
            gender=_GENDER_OF_SEX.get(person.sex or ""),
            death_date=_as_at(person.date_of_death, year),
            ethnicity=person.ethnicity,
            disabilities=tuple(disabilities.get(person_id, ())),
            person_id=person_id,
        )
        for referral in by_person[person_id]:
            episode = _episode(
                referral,
                year,
                assessments[referral.id],
                factors,
                enquiries[referral.id],
                strategy_days,
                conferences[referral.id],
                cp_plans[referral.id],
                cin_plans[referral.id],
                every_plan_start[person_id],
            )
            for row in pre_proceedings.get(referral.id, ()):
                items = family_network_rules.census_items(
                    _pp_dates(row),
                    offers[person_id],
                    meetings[person_id],
                    year.period_start,
                    year.reference_date,
                    outcome_codes,
                )
                if items is not None:
                    episode.pre_proceedings.append(PreProceedings(items))
            child.episodes.append(episode)
        yield child


def _pp_dates(row: PreProceedingsRow) -> family_network_rules.PreProceedingsDates:
    return family_network_rules.PreProceedingsDates(
        decided_on=row.decided_on,
        letter_sent_on=row.letter_sent_on,
        first_meeting_on=row.first_meeting_on,
        review_meetings=row.review_meetings,
        step_decided_on=row.step_decided_on,
        outcome=row.outcome,
        court_application_on=row.court_application_on,
        proceedings_letter_on=row.proceedings_letter_on,
    )


def _episode(
    referral: Referral,
    year: CensusYear,
    assessments: list[AssessmentRow],
    factors: dict[int, list[AssessmentFactor]],
    enquiries: list[Section47Enquiry],
    strategy_days: dict[int, date],
    conferences: list[ChildProtectionConference],
    cp_plans: list[ChildProtectionPlan],
    cin_plans: list[ChildInNeedPlan],
    plan_starts: list[date],
) -> Episode:
    closed = _as_at(referral.closed_date, year)
    initial = [c for c in conferences if c.kind == "initial"]
    any_activity = bool(assessments or enquiries or initial or cp_plans or cin_plans)
    e = Episode(
        referral_date=referral.referral_date,
        referral_source=referral.referral_source,
        primary_need=referral.primary_need,
        closure_date=closed,
        closure_reason=referral.closure_reason if closed else None,
        # A referral of this year that ended without any assessment or other work is a referral with no further
        # action; one made before the year and carried into it is not (rule 8569Q).
        referral_nfa="true"
        if (closed is not None and not any_activity and referral.referral_date >= year.nfa_cut)
        else "false",
    )
    for row in assessments:
        authorised = _as_at(row.authorised_on, year)
        if not _kept(row.started_on, authorised, year):
            continue
        codes = tuple(f.code for f in factors.get(row.id, ())) if authorised else ()
        e.assessments.append(
            Assessment(start=row.started_on, authorised=authorised, factors=codes, factors_given=bool(codes))
        )
    by_enquiry = {c.section47_id: c for c in initial if c.section47_id is not None}
    for s47 in enquiries:
        conference = by_enquiry.get(s47.id)
        icpc = _as_at(conference.held_on if conference else None, year)
        not_required = s47.icpc_not_required and _as_at(s47.completed_on, year) is not None
        ended = icpc or (_as_at(s47.completed_on, year) if not_required else None)
        if not _kept(s47.started_on, ended, year):
            continue
        strategy_day = strategy_days.get(s47.strategy_discussion_id)
        e.section47s.append(
            Section47(
                start=s47.started_on,
                icpc=icpc,
                icpc_not_required="true" if not_required else "false",
                icpc_target=add_working_days(strategy_day, ICPC_TARGET_WORKING_DAYS) if strategy_day else None,
            )
        )
    for conference in initial:
        if conference.section47_id is None and year.in_period(conference.held_on):
            e.icpc_date = conference.held_on
    reviews = _by([c for c in conferences if c.kind == "review" and c.plan_id is not None], "plan_id")
    for plan in cp_plans:
        ended = _as_at(plan.ended_on, year)
        if not _kept(plan.started_on, ended, year):
            continue
        review_days = tuple(
            c.held_on for c in reviews.get(plan.id, ()) if year.in_period(c.held_on) and c.held_on > plan.started_on
        )
        e.protection_plans.append(
            ProtectionPlan(
                start=plan.started_on,
                end=ended,
                initial_category=plan.initial_category,
                latest_category=plan.latest_category,
                previous_plans=str(sum(1 for day in plan_starts if day < plan.started_on)),
                reviews=review_days,
                reviews_given=bool(review_days),
            )
        )
    for cin_plan in cin_plans:
        ended = _as_at(cin_plan.ended_on, year)
        if _kept(cin_plan.started_on, ended, year):
            e.cin_plans.append(CinPlan(start=cin_plan.started_on, end=ended))
    return e


def council_la_code(session: Session) -> str | None:
    """The council's DfE LA code (local setting returns.la_code), or None while it is not set."""
    return la_code_of(local_settings.get(session, "returns.la_code"))


def export_to_file(session: Session, year: CensusYear, out: Path | IO[bytes], *, lea: str | None = None) -> int:
    """Write the census XML for the year; returns the number of children (0: nothing in scope, nothing written).
    The header's LEA is ``lea``, else the council's local setting, else 999."""
    children = children_in_scope(session, year)
    first = next(children, None)
    if first is None:
        return 0

    def every() -> Iterator[Child]:
        assert first is not None
        yield first
        yield from children

    return write_census(out, every(), year, lea=lea or council_la_code(session) or DEFAULT_LEA)
