"""The demo council's family network and child protection teams: a stage of ``demo.council.build_council``.

- Section 47 enquiries gain their multi-agency child protection team: a lead child protection practitioner from
  children's social care and members from police, health and education (one in eight teams still lacks its
  education member, to show the gap on the team page).
- A few children on child protection plans go into pre-proceedings: the letter before proceedings with the FGDM
  offer in it, the family's answer, a family network meeting with its family plan when they accept, the
  pre-proceedings meetings and, for some, the decision to step down or to apply to court.
- A few children live with kin: informal arrangements, private fostering, special guardianship and child
  arrangements orders and kinship foster care, with support offered from the default kinship local offer.

Deterministic from the seed, with its own random stream; every date is on or before the build day.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Table, select

from safeguarding.casework.models import ChildProtectionPlan, ProtectionTeamMember, Referral, Section47Enquiry
from safeguarding.core.calendar import LONDON
from safeguarding.core.local_settings import DEFINITIONS
from safeguarding.family_network import rules
from safeguarding.family_network.models import (
    FamilyNetworkMeeting,
    FgdmOffer,
    KinshipArrangement,
    KinshipSupport,
    PreProceedings,
)
from safeguarding.people import rules as people_rules
from safeguarding.people.models import FamilyRelationship, Person, PersonKind, RelationshipKind

TABLES: list[Table] = [
    ProtectionTeamMember.__table__,  # type: ignore[list-item]
    FgdmOffer.__table__,  # type: ignore[list-item]
    FamilyNetworkMeeting.__table__,  # type: ignore[list-item]
    PreProceedings.__table__,  # type: ignore[list-item]
    KinshipArrangement.__table__,  # type: ignore[list-item]
    KinshipSupport.__table__,  # type: ignore[list-item]
]
TEAMS_MOST = 40
PRE_PROCEEDINGS_MOST = 6
KINSHIP_MOST = 8
FIRST = ("Sam", "Priya", "Tom", "Grace", "Imran", "Ellen", "Marcus", "Fiona", "Kwame", "Ruth", "Owen", "Leila")
LAST = ("Hartley", "Okafor", "Brennan", "Whitfield", "Sandhu", "Lowther", "Ashdown", "Mwangi", "Pryce", "Dalton")
ROLES = {
    "social_care": ("Senior social worker", "Advanced practitioner"),
    "police": ("Detective constable, child abuse investigation team", "Police sergeant, public protection unit"),
    "health": ("Named nurse for safeguarding", "Community paediatrician", "Health visitor"),
    "education": ("Designated safeguarding lead", "Education safeguarding officer"),
}
RELATIONSHIPS = ("Maternal grandmother", "Paternal grandfather", "Aunt", "Uncle", "Adult sister", "Family friend")
PLANS = (
    "Grandmother to have the children after school every day; uncle to take them to school on Mondays and "
    "Thursdays; the family to meet again in four weeks.",
    "Aunt to offer the children a home if their mother goes into treatment; family time with the father each "
    "Saturday, supervised by the grandparents.",
)


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def build(builder: Any, writer: Any) -> dict[str, int]:
    rng = random.Random(f"{builder.seed}:family_network")
    today: date = builder.now.astimezone(LONDON).date()
    conn = writer.connection

    def add(table: Any, row: dict[str, Any]) -> int:
        row.setdefault("id", writer.new_id(table.__table__))
        row.setdefault("created_at", builder.now)
        if "version" in table.__table__.c:
            row.setdefault("version", 1)
        writer.add(table.__table__, row)
        return int(row["id"])

    # --- the multi-agency child protection teams of the newest enquiries -------------------------------------------
    enquiries = conn.execute(
        select(Section47Enquiry.id, Section47Enquiry.person_id, Section47Enquiry.started_on)
        .order_by(Section47Enquiry.started_on.desc(), Section47Enquiry.id)
        .limit(TEAMS_MOST)
    ).all()
    members = 0
    for k, (enquiry_id, person_id, started_on) in enumerate(enquiries):
        for agency in rules_agencies(k):
            joined = min(started_on + timedelta(days=rng.randint(0, 2)), today)
            add(
                ProtectionTeamMember,
                {
                    "person_id": person_id,
                    "section47_id": enquiry_id,
                    "name": _name(rng),
                    "agency": agency,
                    "role": rng.choice(ROLES[agency]),
                    "is_lead": agency == "social_care",
                    "joined_on": joined,
                    "left_on": None,
                },
            )
            members += 1

    # --- pre-proceedings for a few children on child protection plans in an open episode ---------------------------
    on_plans = conn.execute(
        select(ChildProtectionPlan.person_id, ChildProtectionPlan.referral_id, ChildProtectionPlan.started_on)
        .join(Referral, Referral.id == ChildProtectionPlan.referral_id)
        .where(Referral.closed_date.is_(None), ChildProtectionPlan.ended_on.is_(None))
        .order_by(ChildProtectionPlan.started_on, ChildProtectionPlan.id)
    ).all()
    pre = offers = meetings = 0
    seen: set[int] = set()
    for person_id, referral_id, plan_start in on_plans:
        if pre >= PRE_PROCEEDINGS_MOST or person_id in seen:
            continue
        decided = plan_start + timedelta(days=rng.randint(60, 150))
        if decided + timedelta(days=40) > today:
            continue
        seen.add(person_id)
        letter = decided + timedelta(days=rng.randint(5, 12))
        accepted = rng.random() < 0.7
        add(
            FgdmOffer,
            {
                "person_id": person_id,
                "offered_on": letter,
                "offered_to": "Mother and father (both have parental responsibility)",
                "in_letter_before_proceedings": True,
                "response": "accepted" if accepted else "declined",
                "declined_reason": None if accepted else "Father said the wider family should not be told.",
                "recorded_by_id": None,
            },
        )
        offers += 1
        first = letter + timedelta(days=rng.randint(7, 14))
        if accepted and first - timedelta(days=3) <= today:
            add(
                FamilyNetworkMeeting,
                {
                    "person_id": person_id,
                    "offer_id": None,
                    "held_on": first - timedelta(days=3),
                    "who_came": "Mother; maternal grandmother; maternal aunt; family friend (the children's godmother)",
                    "family_plan": rng.choice(PLANS),
                    "recorded_by_id": None,
                },
            )
            meetings += 1
        reviews = rng.randint(0, 2)
        step = first + timedelta(days=42 * (reviews + 1))
        outcome = rng.choice(("step_down", "proceedings")) if step <= today and rng.random() < 0.6 else None
        court = step + timedelta(days=rng.randint(3, 10)) if outcome == "proceedings" else None
        add(
            PreProceedings,
            {
                "person_id": person_id,
                "referral_id": referral_id,
                "decided_on": decided,
                "letter_sent_on": letter,
                "first_meeting_on": first if first <= today else None,
                "review_meetings": reviews if first <= today else None,
                "step_decided_on": step if outcome else None,
                "outcome": outcome,
                "court_application_on": court if court and court <= today else None,
                "proceedings_letter_on": None,
                "notes": None,
                "recorded_by_id": None,
            },
        )
        pre += 1

    # --- kinship arrangements, with support from the default local offer ------------------------------------------
    children = conn.execute(
        select(Person.id, Person.date_of_birth)
        .where(Person.kind == PersonKind.CHILD.value, Person.date_of_birth.is_not(None))
        .order_by(Person.id)
    ).all()
    offer_items: list[str] = list(DEFINITIONS["kinship.local_offer"].default)
    kinds = list(rules.KINSHIP_ARRANGEMENTS)
    arrangements = support = 0
    for person_id, born in children:
        if arrangements >= KINSHIP_MOST or person_id in seen or rng.random() > 0.05:
            continue
        started = max(born, today - timedelta(days=rng.randint(60, 1500)))
        # The carer is a person in the index, with the carer tie on the child's family.
        first, last = rng.choice(FIRST), rng.choice(LAST)
        carer_id = add(
            Person,
            {
                "kind": PersonKind.ADULT.value,
                "first_name": first,
                "last_name": last,
                "date_of_birth": born - timedelta(days=rng.randint(20 * 365, 50 * 365)),
                "first_name_key": people_rules.name_key(first),
                "last_name_key": people_rules.name_key(last),
                "first_name_sound": people_rules.sound_key(first),
                "last_name_sound": people_rules.sound_key(last),
            },
        )
        writer.add(
            FamilyRelationship.__table__,
            {
                "id": writer.new_id(FamilyRelationship.__table__),
                "from_person_id": carer_id,
                "to_person_id": person_id,
                "kind": RelationshipKind.CARER.value,
                "started": started,
                "ended": None,
                "recorded_at": builder.now,
                "recorded_by_id": None,
            },
        )
        arrangement_id = add(
            KinshipArrangement,
            {
                "person_id": person_id,
                "carer_person_id": carer_id,
                "carer_name": f"{first} {last}",
                "carer_relationship": rng.choice(RELATIONSHIPS),
                "kind": kinds[arrangements % len(kinds)],
                "started_on": started,
                "ended_on": None,
                "recorded_by_id": None,
            },
        )
        arrangements += 1
        for item in rng.sample(offer_items, rng.randint(1, 3)):
            add(
                KinshipSupport,
                {
                    "arrangement_id": arrangement_id,
                    "person_id": person_id,
                    "item": item,
                    "offered_on": min(started + timedelta(days=rng.randint(0, 30)), today),
                    "taken_up": rng.random() < 0.8,
                    "note": None,
                    "recorded_by_id": None,
                },
            )
            support += 1
    return {
        "protection_team_members": members,
        "pre_proceedings": pre,
        "fgdm_offers": offers,
        "family_network_meetings": meetings,
        "kinship_arrangements": arrangements,
        "kinship_support": support,
    }


def rules_agencies(k: int) -> tuple[str, ...]:
    """The agencies of the k-th team: every one in seven of eight, education missing in the eighth."""
    every = ("social_care", "police", "health", "education")
    return every[:3] if k % 8 == 7 else every
