"""A small council whose Annex A rows and indicator figures can be counted by hand (period: January to March 2026).

Rows are written directly (not through the case work services) so that each date is exactly as stated here.

Children (LAchildID): C1 Ava, C2 Ben, C3 Cara, C4 Dev, C5 Eve; C6 Finn only before the period.

- Contacts (received, London time): C1 5 Jan 2026 (schools, 2A); C2 10 Feb (police, 6); C4 and C5 in one contact
  on 2 Mar (health visitor, 3B): 4 contact rows. C3 20 Dec 2025 and C6 1 Dec 2025 are before the period.
- Referrals: C2 1 Jun 2025 (closed 1 Aug 2025, RC8); C3 21 Dec 2025 (open); C1 6 Jan 2026; C2 11 Feb 2026
  (re-referral within 12 months); C4 3 Mar 2026. In the period: 3 referrals, 1 re-referral.
- Decisions on the three in-period contacts: C1 decided next working day (in time); C2 decided 3 working days
  later (late); C4/C5 decided the same day (in time): 2 of 3 within one working day.
- Assessments: C3 started 22 Dec 2025, authorised 30 Dec 2025 (before the period: not in List 4); C1 started
  7 Jan, authorised 20 Feb (33 working days after referral, in time; outcome CIN plan); C2 started 12 Feb, open;
  C4 started 4 Mar, authorised 27 Mar (18 working days, outcome NFA). List 4: C1, C2, C4. Authorised in the period:
  2, both within 45 working days.
- C3: strategy discussion and section 47 started 12 Jan 2026; initial conference 28 Jan (12 working days: in
  time) made plan P1 (neglect), which is C3's second plan (P0 ran 1 Jan 2023 to 10 Jan 2025: 2 years and 9 days,
  ended before the period). CP visits 5 Feb (seen alone) and 19 Feb.
- Allocations at the end of March: C1 to Sam Social (Assessment team), C3 to Pat Protect (Protection team),
  C4 to Sam Social; C2 was allocated to Sam from 11 Feb to 1 Mar, then unallocated. Open episodes at 31 March:
  C1, C2, C3, C4: 1 unallocated (C2).
- Missing: C5 missing 10 Mar 2026 18:00, back 11 Mar 09:00, interview offered 12 Mar and held.
- Screening: C4 screened 5 Mar 2026 (medium, criminal).
- Statutory visits (derived by the timescales rules from C3's plan, every 10 working days): due 11 Feb met 5 Feb,
  due 19 Feb met 19 Feb, due 5 Mar not made: 2 of 3 in time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from safeguarding.casework.models import (
    Allocation,
    Assessment,
    ChildProtectionConference,
    ChildProtectionPlan,
    Referral,
    Section47Enquiry,
    StrategyDiscussion,
    Supervision,
    Visit,
)
from safeguarding.core.users import Role
from safeguarding.exploitation.models import MissingEpisode, ReturnInterview, Screening, ScreeningTool
from safeguarding.front_door.models import (
    Channel,
    ConsentPosition,
    Contact,
    ContactDecision,
    ContactStatus,
    ContactSubject,
    DecisionStatus,
    Outcome,
    ReporterKind,
    SubjectRole,
)
from safeguarding.insight.models import WorkerContract
from safeguarding.people.models import Person, PersonKind
from tests.support import Factory

PERIOD = (date(2026, 1, 1), date(2026, 3, 31))


@dataclass
class Council:
    children: dict[str, int]  # LAchildID -> person id
    assessment_team_id: int
    protection_team_id: int
    sam_id: int
    pat_id: int
    manager_id: int
    analyst_id: int


def at(day: date, hour: int = 10) -> datetime:
    """A winter London time (GMT) as UTC."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def build(factory: Factory) -> Council:
    assessment = factory.team("Assessment team", service="assessment")
    protection = factory.team("Protection team", service="child_protection")
    sam = factory.user(Role.SOCIAL_WORKER, username="sam.social", team_id=assessment.id)
    pat = factory.user(Role.SOCIAL_WORKER, username="pat.protect", team_id=protection.id)
    manager = factory.user(Role.TEAM_MANAGER, username="tess.manager", team_id=assessment.id)
    analyst = factory.user(Role.PERFORMANCE_ANALYST, username="ana.lyst")
    mash = factory.user(Role.MASH_WORKER, username="max.mash")
    with factory.database.transaction() as s:
        from safeguarding.core.users import User

        for user_id, name in ((sam.id, "Sam Social"), (pat.id, "Pat Protect"), (manager.id, "Tess Manager")):
            s.get_one(User, user_id).full_name = name
        people: dict[str, Person] = {}
        for code, first, sex, eth, born in (
            ("C1", "Ava", "F", "WBRI", date(2015, 5, 1)),
            ("C2", "Ben", "M", "BAFR", date(2012, 4, 1)),
            ("C3", "Cara", "F", "AIND", date(2019, 12, 31)),
            ("C4", "Dev", "M", "MWBC", date(2010, 3, 31)),
            ("C5", "Eve", "F", "WOTH", date(2009, 6, 15)),
            ("C6", "Finn", "M", "WBRI", date(2016, 1, 1)),
        ):
            person = Person(
                kind=PersonKind.CHILD,
                first_name=first,
                last_name="Insight",
                sex=sex,
                ethnicity=eth,
                date_of_birth=born,
                la_child_id=code,
            )
            s.add(person)
            people[code] = person
        s.flush()
        ids = {code: p.id for code, p in people.items()}

        def contact(
            day: date,
            source: str,
            codes: tuple[str, ...],
            decided: date | None,
            hour: int = 10,
            outcome: Outcome = Outcome.REFERRAL_FOR_ASSESSMENT,
        ) -> Contact:
            row = Contact(
                received_at=at(day, hour),
                channel=Channel.PHONE,
                reporter_kind=ReporterKind.PRACTITIONER,
                referral_source=source,
                worry="Synthetic worry",
                consent=ConsentPosition.CONSENT_GIVEN,
                status=ContactStatus.DECIDED,
                due_at=at(day, 17),
            )
            for code in codes:
                row.subjects.append(
                    ContactSubject(
                        role=SubjectRole.CHILD,
                        first_name=people[code].first_name,
                        last_name="Insight",
                        person_id=ids[code],
                    )
                )
            row.subjects.append(ContactSubject(role=SubjectRole.PARENT, first_name="Parent", last_name="Insight"))
            s.add(row)
            s.flush()
            if decided is not None:
                s.add(
                    ContactDecision(
                        contact_id=row.id,
                        level_of_need=3,
                        outcome=outcome,
                        rationale="Synthetic",
                        decided_by_id=mash.id,
                        decided_at=at(decided, 15),
                        working_hours_to_decision=1.0,
                        within_deadline=True,
                        status=DecisionStatus.IN_EFFECT,
                    )
                )
            return row

        contact(date(2025, 12, 1), "2A", ("C6",), date(2025, 12, 1))
        contact(date(2025, 12, 20), "6", ("C3",), date(2025, 12, 22))
        c1 = contact(date(2026, 1, 5), "2A", ("C1",), date(2026, 1, 6))
        c2 = contact(date(2026, 2, 10), "6", ("C2",), date(2026, 2, 13))
        c4 = contact(date(2026, 3, 2), "3B", ("C4", "C5"), date(2026, 3, 2))

        def referral(
            code: str,
            day: date,
            source: str,
            contact_id: int | None = None,
            *,
            re: bool = False,
            closed: date | None = None,
            reason: str | None = None,
        ) -> Referral:
            row = Referral(
                person_id=ids[code],
                contact_id=contact_id,
                referral_date=day,
                referral_source=source,
                is_re_referral=re,
                route="referral_for_assessment",
                closed_date=closed,
                closure_reason=reason,
                primary_need="N1",
            )
            s.add(row)
            s.flush()
            return row

        referral("C2", date(2025, 6, 1), "6", closed=date(2025, 8, 1), reason="RC8")
        r3 = referral("C3", date(2025, 12, 21), "6")
        r1 = referral("C1", date(2026, 1, 6), "2A", c1.id)
        r2 = referral("C2", date(2026, 2, 11), "6", c2.id, re=True)
        r4 = referral("C4", date(2026, 3, 3), "3B", c4.id)

        s.add_all(
            [
                Assessment(
                    person_id=ids["C3"],
                    referral_id=r3.id,
                    started_on=date(2025, 12, 22),
                    authorised_on=date(2025, 12, 30),
                    outcome="strategy_discussion",
                ),
                Assessment(
                    person_id=ids["C1"],
                    referral_id=r1.id,
                    started_on=date(2026, 1, 7),
                    authorised_on=date(2026, 2, 20),
                    outcome="cin_plan",
                ),
                Assessment(person_id=ids["C2"], referral_id=r2.id, started_on=date(2026, 2, 12)),
                Assessment(
                    person_id=ids["C4"],
                    referral_id=r4.id,
                    started_on=date(2026, 3, 4),
                    authorised_on=date(2026, 3, 27),
                    outcome="nfa",
                ),
            ]
        )
        strategy = StrategyDiscussion(
            person_id=ids["C3"], referral_id=r3.id, held_on=date(2026, 1, 12), decision="section47"
        )
        s.add(strategy)
        s.flush()
        s47 = Section47Enquiry(
            person_id=ids["C3"],
            referral_id=r3.id,
            strategy_discussion_id=strategy.id,
            started_on=date(2026, 1, 12),
            completed_on=date(2026, 1, 26),
            outcome="icpc",
        )
        old_plan = ChildProtectionPlan(
            person_id=ids["C3"],
            referral_id=r3.id,
            started_on=date(2023, 1, 1),
            ended_on=date(2025, 1, 10),
            initial_category="EMO",
            latest_category="EMO",
            end_reason="no_longer_at_risk_closed",
        )
        plan = ChildProtectionPlan(
            person_id=ids["C3"],
            referral_id=r3.id,
            started_on=date(2026, 1, 28),
            initial_category="NEG",
            latest_category="NEG",
        )
        s.add_all([s47, old_plan, plan])
        s.flush()
        s.add(
            ChildProtectionConference(
                person_id=ids["C3"],
                referral_id=r3.id,
                kind="initial",
                section47_id=s47.id,
                plan_id=plan.id,
                held_on=date(2026, 1, 28),
                outcome="plan",
            )
        )
        s.add_all(
            [
                Visit(
                    person_id=ids["C3"],
                    referral_id=r3.id,
                    kind="cp",
                    visited_on=date(2026, 2, 5),
                    child_seen=True,
                    seen_alone=True,
                ),
                Visit(
                    person_id=ids["C3"],
                    referral_id=r3.id,
                    kind="cp",
                    visited_on=date(2026, 2, 19),
                    child_seen=True,
                    seen_alone=False,
                ),
                Visit(
                    person_id=ids["C1"],
                    referral_id=r1.id,
                    kind="assessment",
                    visited_on=date(2026, 1, 9),
                    child_seen=True,
                ),
            ]
        )
        s.add_all(
            [
                Allocation(
                    person_id=ids["C1"], worker_id=sam.id, team_id=assessment.id, started_at=at(date(2026, 1, 6))
                ),
                Allocation(
                    person_id=ids["C3"], worker_id=pat.id, team_id=protection.id, started_at=at(date(2025, 12, 22))
                ),
                Allocation(
                    person_id=ids["C4"], worker_id=sam.id, team_id=assessment.id, started_at=at(date(2026, 3, 3))
                ),
                Allocation(
                    person_id=ids["C2"],
                    worker_id=sam.id,
                    team_id=assessment.id,
                    started_at=at(date(2026, 2, 11)),
                    ended_at=at(date(2026, 3, 1)),
                ),
            ]
        )
        episode = MissingEpisode(
            person_id=ids["C5"],
            went_missing_at=at(date(2026, 3, 10), 18),
            returned_at=at(date(2026, 3, 11), 9),
            recorded_by_id=mash.id,
        )
        s.add(episode)
        s.flush()
        s.add(
            ReturnInterview(
                episode_id=episode.id,
                offered_at=at(date(2026, 3, 12)),
                held_at=at(date(2026, 3, 13)),
                recorded_by_id=mash.id,
            )
        )
        tool = ScreeningTool(
            code="insight-tool", version=1, name="Synthetic tool", effective_from=date(2020, 1, 1), definition={}
        )
        s.add(tool)
        s.flush()
        s.add(
            Screening(
                person_id=ids["C4"],
                tool_id=tool.id,
                screened_on=date(2026, 3, 5),
                answers={},
                score=9,
                computed_band="medium",
                band="medium",
                exploitation_types=["criminal"],
                screened_by_id=mash.id,
            )
        )
        s.add_all(
            [
                WorkerContract(
                    user_id=sam.id,
                    employment_type="permanent",
                    job_title="Social worker",
                    started_on=date(2020, 9, 1),
                    fte=1.0,
                    case_holding=True,
                ),
                WorkerContract(
                    user_id=pat.id,
                    employment_type="agency",
                    agency_name="Synthetic Locums",
                    job_title="Social worker",
                    started_on=date(2025, 11, 1),
                    fte=0.8,
                    case_holding=True,
                ),
                Supervision(
                    worker_id=sam.id, supervisor_id=manager.id, held_on=date(2026, 3, 16), next_on=date(2026, 4, 13)
                ),
            ]
        )
    return Council(
        children=ids,
        assessment_team_id=assessment.id,
        protection_team_id=protection.id,
        sam_id=sam.id,
        pat_id=pat.id,
        manager_id=manager.id,
        analyst_id=analyst.id,
    )
