"""The demo council's early help: a stage of ``demo.council.build_council``.

Families of the council's children in early help and Family Help, in each state: open and on track (assessment
done, meetings every six weeks or so), open and drifting (the assessment overdue, a review missed), led by the
council's early help practitioners and by partners (the demo school's practitioner, a health visitor), closed with an
outcome for each need, and one closed when the family withdrew their consent. Deterministic from the seed, with its
own random stream. (Step-ups and step-downs are added by early help's transitions.)
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from sqlalchemy import Table, select

from safeguarding.core.calendar import LONDON, add_working_days_quick
from safeguarding.core.users import User
from safeguarding.early_help import transitions_demo
from safeguarding.early_help.models import (
    EarlyHelpAssessment,
    EarlyHelpConsent,
    EarlyHelpEpisode,
    EarlyHelpFamilyMember,
    EarlyHelpLeadPractitioner,
    FamilyNeed,
    FamilyPlan,
    TeamAroundFamilyMeeting,
    TeamAroundFamilyMember,
)
from safeguarding.people.models import Person, PersonKind
from safeguarding.people.rules import years_before

TABLES: list[Table] = [
    EarlyHelpEpisode.__table__,  # type: ignore[list-item]
    EarlyHelpFamilyMember.__table__,  # type: ignore[list-item]
    EarlyHelpLeadPractitioner.__table__,  # type: ignore[list-item]
    EarlyHelpConsent.__table__,  # type: ignore[list-item]
    EarlyHelpAssessment.__table__,  # type: ignore[list-item]
    FamilyPlan.__table__,  # type: ignore[list-item]
    FamilyNeed.__table__,  # type: ignore[list-item]
    TeamAroundFamilyMember.__table__,  # type: ignore[list-item]
    TeamAroundFamilyMeeting.__table__,  # type: ignore[list-item]
    *transitions_demo.TABLES,
]
# The states the demo shows, in turn: (state, who leads).
PLAN = (
    ("on_track", "school"),
    ("drifting", "council"),
    ("on_track", "health"),
    ("closed", "council"),
    ("withdrawn", "school"),
    ("on_track", "council"),
    ("drifting", "health"),
    ("closed", "school"),
    ("new", "council"),
    ("on_track", "council"),
    ("closed", "health"),
    ("drifting", "school"),
)
NEEDS = (
    ("School attendance below 90%", "Attending at least 95% of sessions"),
    ("Bedtime and morning routines", "A routine the family keep most days"),
    ("Parent's low mood", "Parent in touch with talking therapies"),
    ("Debt and rent arrears", "A repayment plan agreed with the landlord"),
    ("Arguments at home affecting the children", "Calmer evenings; the children say home feels safer"),
)
TEAM = (
    ("Class teacher", "school"),
    ("Health visitor", "health"),
    ("Family support worker", "council"),
    ("Housing officer", "housing"),
)


def build(builder: Any, writer: Any) -> dict[str, int]:
    rng = random.Random(f"{builder.seed}:early_help")
    today = builder.now.astimezone(LONDON).date()
    practitioner = builder.staff.get("early.help")
    school_lead = builder.staff.get("partner.school")
    if practitioner is None or school_lead is None:
        return {"early_help_episodes": 0}
    health = builder.agencies_by_group.get("health_visiting", [])
    health_agency = health[0] if health else None
    school_agency = next(a for a in builder.agencies if school_lead.id in a.users)
    leads = {
        "council": (practitioner.id, None, "Northbridge Early Help Service"),
        "school": (school_lead.id, school_agency.id, school_agency.name),
        "health": (
            (health_agency.users[0], health_agency.id, health_agency.name)
            if health_agency is not None and health_agency.users
            else (practitioner.id, None, "Northbridge Early Help Service")
        ),
    }
    children = writer.connection.execute(
        select(Person.id, Person.first_name, Person.last_name, Person.date_of_birth)
        .where(Person.kind == PersonKind.CHILD.value, Person.date_of_birth > years_before(today, 15))
        .order_by(Person.id)
    ).all()
    rng.shuffle(children := list(children))
    count = min(len(children), len(PLAN) * (2 if builder.size.people >= 20_000 else 1))
    made = 0
    writer.flush()  # the staff rows, to read the lead practitioners' names
    names = dict(
        writer.connection.execute(
            select(User.id, User.full_name).where(User.id.in_([v[0] for v in leads.values()]))
        ).all()
    )

    def add(table: Any, row: dict[str, Any]) -> int:
        row.setdefault("id", writer.new_id(table))
        row.setdefault("created_at", builder.now)
        writer.add(table, row)
        return int(row["id"])

    for number in range(count):
        state, who = PLAN[number % len(PLAN)]
        person_id, first, last, born = children[number]
        lead_id, agency_id, organisation = leads[who]
        started = today - timedelta(days={"new": 6, "drifting": 75}.get(state, rng.randint(90, 300)))
        closed_on = min(today, started + timedelta(days=rng.randint(120, 200))) if state == "closed" else None
        if state == "withdrawn":
            closed_on = started + timedelta(days=40)  # the family withdrew their consent: early help is voluntary
        episode_id = add(
            EarlyHelpEpisode.__table__,
            {
                "family_name": f"The {last} family",
                "level": rng.choice(("targeted_early_help", "targeted_early_help", "family_help_targeted")),
                "source": "partner_request" if who != "council" else rng.choice(("council", "front_door")),
                "status": "closed" if state in ("closed", "withdrawn") else "open",
                "requested_by_agency_id": agency_id,
                "requested_by_id": lead_id if who != "council" else None,
                "request_reason": "Attendance has dropped and the family asked for help with routines.",
                "need_identified_on": started - timedelta(days=rng.randint(3, 20)),
                "started_on": started,
                "lead_practitioner_id": lead_id,
                "organisation": organisation,
                "closed_on": closed_on,
                "closure_reason": {"closed": "outcomes_achieved", "withdrawn": "consent_withdrawn"}.get(state),
                "version": 1,
            },
        )
        made += 1
        add(
            EarlyHelpFamilyMember.__table__,
            {
                "episode_id": episode_id,
                "person_id": person_id,
                "role": "child",
                "first_name": first,
                "last_name": last,
                "date_of_birth": born,
            },
        )
        parent_id = add(
            EarlyHelpFamilyMember.__table__,
            {
                "episode_id": episode_id,
                "person_id": None,
                "role": "parent",
                "first_name": rng.choice(("Jo", "Chris", "Sam", "Ash")),
                "last_name": last,
                "date_of_birth": None,
            },
        )
        add(
            EarlyHelpLeadPractitioner.__table__,
            {
                "episode_id": episode_id,
                "user_id": lead_id,
                "name": names.get(lead_id, organisation),
                "agency_id": agency_id,
                "organisation": organisation,
                "from_on": started,
                "to_on": closed_on,
            },
        )
        consent_on = started + timedelta(days=rng.randint(0, 3))
        if state == "new":
            continue  # started this week: consent and assessment still to come
        add(
            EarlyHelpConsent.__table__,
            {
                "episode_id": episode_id,
                "scope": "assessment",
                "given_by_member_id": parent_id,
                "given_on": consent_on,
                "version": 1,
            },
        )
        if agency_id is not None:
            withdrawn = state == "withdrawn"
            add(
                EarlyHelpConsent.__table__,
                {
                    "episode_id": episode_id,
                    "scope": "sharing",
                    "agency_id": agency_id,
                    "given_by_member_id": parent_id,
                    "given_on": consent_on,
                    "version": 1,
                    "withdrawn_on": started + timedelta(days=40) if withdrawn else None,
                    "withdrawal_reason": "The family no longer want help; nothing suggests a child is at risk."
                    if withdrawn
                    else None,
                    "withdrawal_response": "end_episode" if withdrawn else None,
                },
            )
        end = closed_on or today
        if state != "drifting":
            completed = min(end, add_working_days_quick(consent_on, rng.randint(8, 18)))
            assessment_id = add(
                EarlyHelpAssessment.__table__,
                {
                    "episode_id": episode_id,
                    "reassessment": False,
                    "started_on": consent_on,
                    "completed_on": completed,
                    "summary": "A caring family under strain; routines and money are the main worries.",
                    "organisation": organisation,
                    "version": 1,
                },
            )
            plan_id = add(
                FamilyPlan.__table__,
                {"episode_id": episode_id, "agreed_on": completed, "level": None, "version": 1},
            )
            for description, aim in rng.sample(NEEDS, 3):
                add(
                    FamilyNeed.__table__,
                    {
                        "episode_id": episode_id,
                        "plan_id": plan_id,
                        "assessment_id": assessment_id,
                        "description": description,
                        "intended_outcome": aim,
                        "identified_on": completed,
                        "outcome": rng.choice(("improved", "improved", "no_change", "worse")) if closed_on else None,
                        "outcome_on": closed_on,
                        "version": 1,
                    },
                )
            on = completed + timedelta(days=rng.randint(7, 25))
            while on <= end:
                add(
                    TeamAroundFamilyMeeting.__table__,
                    {
                        "episode_id": episode_id,
                        "kind": "team_around_the_family",
                        "held_on": on,
                        "family_attended": rng.random() < 0.85,
                        "summary": "Plan reviewed; actions agreed.",
                        "version": 1,
                    },
                )
                on += timedelta(days=rng.randint(35, 49))
        for role, group in rng.sample(TEAM, 2):
            add(
                TeamAroundFamilyMember.__table__,
                {
                    "episode_id": episode_id,
                    "name": f"{rng.choice(('Lee', 'Kim', 'Ravi', 'Ola'))} {rng.choice(('Grant', 'Noor', 'Baker'))}",
                    "agency_id": None,
                    "agency_name": organisation if group == who else group.capitalize(),
                    "role": role,
                    "joined_on": started + timedelta(days=rng.randint(0, 14)),
                },
            )
    return {"early_help_episodes": made} | transitions_demo.build(builder, writer)  # step-ups and step-downs
