"""The demo council's step-ups, step-downs and Supporting Families outcomes (a demo stage after early help's own).

- Step-downs after assessment: children whose social care episode the case work demo closed "after assessment,
  referred to early help" (RC9) are given the early help episode it opened, led by the council's early help
  practitioner or the demo school's, with the family's consent and the step-down meeting, and the transition.
- Step-ups: open early help episodes whose child was later the subject of a front-door contact are recorded as stepped
  up, the transition naming that contact (the MASH page shows the family's early help beside it).
- Family Help: one open Family Help (targeted) episode moves to child in need work, a change of plan inside it.
- Supporting Families: the needs of closed episodes mapped to the headline outcomes, with the progress at closure and
  its evidence, so the managers' list has families in each standing.

Deterministic from the seed with its own random stream; it reads what the earlier stages wrote (flushed first).
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Table, select, update

from safeguarding.casework.models import Referral
from safeguarding.core.calendar import LONDON
from safeguarding.early_help.models import (
    EarlyHelpConsent,
    EarlyHelpEpisode,
    EarlyHelpFamilyMember,
    EarlyHelpLeadPractitioner,
    FamilyNeed,
    FamilyPlan,
)
from safeguarding.early_help.transitions_models import (
    EarlyHelpTransition,
    SupportingFamiliesNeed,
    SupportingFamiliesReview,
)
from safeguarding.front_door.models import Contact, ContactSubject
from safeguarding.people.models import Person

TABLES: list[Table] = [
    EarlyHelpTransition.__table__,  # type: ignore[list-item]
    SupportingFamiliesNeed.__table__,  # type: ignore[list-item]
    SupportingFamiliesReview.__table__,  # type: ignore[list-item]
]
STEP_DOWNS = 6
STEP_UPS = 4
# The demo's needs (early_help/demo.py) by their headline outcome; the first words of the description decide.
HEADLINE_OF = (
    ("School attendance", "education"),
    ("Bedtime", "early_years"),
    ("Parent's low mood", "health"),
    ("Debt", "finance"),
    ("Arguments", "relationships"),
)
EVIDENCE = {
    "education": "Attendance 96% over the last two terms (school register)",
    "early_years": "Health visitor's review: routines kept; development on track",
    "health": "Discharged from talking therapies with goals met (GP letter)",
    "finance": "Repayment plan kept for six months (landlord's statement)",
    "relationships": "No police call-outs; the children's voice work says home feels calmer",
}


def build(builder: Any, writer: Any) -> dict[str, int]:
    rng = random.Random(f"{builder.seed}:early_help_transitions")
    today = builder.now.astimezone(LONDON).date()
    practitioner = builder.staff.get("early.help")
    manager = builder.staff.get("early.help.manager") or practitioner
    if practitioner is None:
        return {"early_help_transitions": 0}
    writer.flush()  # early help's own stage and case work's rows, readable below
    connection = writer.connection
    school_lead = builder.staff.get("partner.school")
    school = next((a for a in builder.agencies if school_lead is not None and school_lead.id in a.users), None)

    def add(table: Any, row: dict[str, Any]) -> int:
        row.setdefault("id", writer.new_id(table))
        row.setdefault("created_at", builder.now)
        writer.add(table, row)
        return int(row["id"])

    made = 0
    # --- step-downs after assessment (RC9) -------------------------------------------------------------------------
    closed = connection.execute(
        select(
            Referral.id,
            Referral.person_id,
            Referral.closed_date,
            Person.first_name,
            Person.last_name,
            Person.date_of_birth,
        )
        .join(Person, Person.id == Referral.person_id)
        .where(Referral.closure_reason == "RC9", Referral.closed_date.is_not(None))
        .order_by(Referral.closed_date.desc(), Referral.id)
        .limit(STEP_DOWNS)
    ).all()
    for number, (referral_id, person_id, closed_on, first, last, born) in enumerate(closed):
        by_school = school is not None and school_lead is not None and number % 2 == 1
        lead_id = school_lead.id if by_school and school_lead is not None else practitioner.id
        organisation = school.name if by_school and school is not None else "Northbridge Early Help Service"
        still_open = (today - closed_on).days < 180
        episode_id = add(
            EarlyHelpEpisode.__table__,
            {
                "family_name": f"The {last} family",
                "level": "targeted_early_help",
                "source": "step_down",
                "status": "open" if still_open else "closed",
                "decided_on": closed_on,
                "need_identified_on": closed_on,
                "started_on": closed_on,
                "lead_practitioner_id": lead_id,
                "organisation": organisation,
                "request_reason": "Stepped down after the social care assessment: needs met at early help level.",
                "closed_on": None if still_open else closed_on + timedelta(days=rng.randint(90, 170)),
                "closure_reason": None if still_open else "outcomes_achieved",
                "version": 1,
            },
        )
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
        add(
            EarlyHelpLeadPractitioner.__table__,
            {
                "episode_id": episode_id,
                "user_id": lead_id,
                "name": organisation if by_school else "Early help practitioner",
                "agency_id": school.id if by_school and school is not None else None,
                "organisation": organisation,
                "from_on": closed_on,
                "reason": "Stepped down from children's social care",
            },
        )
        for scope, agency_id in (("assessment", None), ("sharing", school.id if by_school and school else None)):
            if scope == "sharing" and agency_id is None:
                continue
            add(
                EarlyHelpConsent.__table__,
                {
                    "episode_id": episode_id,
                    "scope": scope,
                    "agency_id": agency_id,
                    "given_by_name": "The family",
                    "given_on": closed_on,
                    "version": 1,
                },
            )
        add(
            EarlyHelpTransition.__table__,
            {
                "episode_id": episode_id,
                "person_id": person_id,
                "direction": "down",
                "route": "after_assessment",
                "decided_on": closed_on,
                "decided_by_id": None,
                "reason": "The assessment found needs that early help can meet; the family agree.",
                "consent": "given",
                "handover_meeting_on": closed_on - timedelta(days=rng.randint(0, 5)),
                "lead_practitioner_id": lead_id,
                "lead_practitioner_name": organisation if by_school else "Early help practitioner",
                "to_level": "targeted_early_help",
                "referral_id": referral_id,
            },
        )
        made += 1
    writer.flush()

    # --- step-ups: an open episode whose child the front door later heard about ------------------------------------
    stepped = connection.execute(
        select(EarlyHelpEpisode.id, EarlyHelpFamilyMember.person_id, Contact.id, Contact.received_at)
        .join(EarlyHelpFamilyMember, EarlyHelpFamilyMember.episode_id == EarlyHelpEpisode.id)
        .join(ContactSubject, ContactSubject.person_id == EarlyHelpFamilyMember.person_id)
        .join(Contact, Contact.id == ContactSubject.contact_id)
        .where(EarlyHelpEpisode.status == "open", EarlyHelpEpisode.source != "step_down")
        .order_by(Contact.received_at.desc(), EarlyHelpEpisode.id)
    ).all()
    seen: set[int] = set()
    ups = 0
    for episode_id, person_id, contact_id, received_at in stepped:
        if episode_id in seen or ups >= STEP_UPS:
            continue
        seen.add(episode_id)
        day: date = received_at.astimezone(LONDON).date() if received_at.tzinfo else received_at.date()
        add(
            EarlyHelpTransition.__table__,
            {
                "episode_id": episode_id,
                "person_id": person_id,
                "direction": "up",
                "route": "front_door",
                "decided_on": day,
                "reason": "Needs not met despite the plan; a new worry about the child's safety.",
                "consent": "given" if ups % 2 == 0 else "refused_at_risk",
                "consent_reason": None if ups % 2 == 0 else "Disclosure at school of being hit at home.",
                "contact_id": contact_id,
            },
        )
        ups += 1
        made += 1

    # --- Family Help: a change of plan inside one episode --------------------------------------------------------
    across = connection.execute(
        select(EarlyHelpEpisode.id, EarlyHelpEpisode.started_on, EarlyHelpEpisode.lead_practitioner_id)
        .where(EarlyHelpEpisode.status == "open", EarlyHelpEpisode.level == "family_help_targeted")
        .order_by(EarlyHelpEpisode.id)
        .limit(1)
    ).first()
    if across is not None and manager is not None:
        episode_id, started_on, lead_before = across
        on = min(today, started_on + timedelta(days=45))
        connection.execute(
            update(EarlyHelpEpisode).where(EarlyHelpEpisode.id == episode_id).values(level="family_help_child_in_need")
        )
        add(
            FamilyPlan.__table__,
            {"episode_id": episode_id, "agreed_on": on, "level": "family_help_child_in_need", "version": 1},
        )
        add(
            EarlyHelpTransition.__table__,
            {
                "episode_id": episode_id,
                "direction": "across",
                "route": "family_help",
                "decided_on": on,
                "decided_by_id": manager.id,
                "reason": "The child's needs are now those of a child in need; the family agree to the new plan.",
                "consent": "given",
                "lead_practitioner_id": lead_before,
                "from_level": "family_help_targeted",
                "to_level": "family_help_child_in_need",
            },
        )
        made += 1

    # --- Supporting Families: closed episodes' needs mapped, with the progress at closure -------------------------
    mapped = 0
    for need_id, episode_id, description, outcome, outcome_on in connection.execute(
        select(FamilyNeed.id, FamilyNeed.episode_id, FamilyNeed.description, FamilyNeed.outcome, FamilyNeed.outcome_on)
        .join(EarlyHelpEpisode, EarlyHelpEpisode.id == FamilyNeed.episode_id)
        .where(EarlyHelpEpisode.status == "closed", FamilyNeed.outcome.is_not(None))
        .order_by(FamilyNeed.id)
    ).all():
        headline = next((h for start, h in HEADLINE_OF if description.startswith(start)), None)
        if headline is None or outcome_on is None:
            continue
        sf_id = add(
            SupportingFamiliesNeed.__table__,
            {
                "need_id": need_id,
                "episode_id": episode_id,
                "headline": headline,
                "framework": "national-2022",
                "version": 1,
            },
        )
        add(
            SupportingFamiliesReview.__table__,
            {
                "sf_need_id": sf_id,
                "recorded_on": outcome_on,
                "progress": "achieved" if outcome == "improved" else str(outcome),
                "evidence": EVIDENCE[headline] if outcome == "improved" else "Reviewed at closure",
            },
        )
        mapped += 1
    return {"early_help_transitions": made, "supporting_families_needs": mapped}
