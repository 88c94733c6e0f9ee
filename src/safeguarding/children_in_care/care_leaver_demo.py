"""The demo council's care leavers: a stage of ``demo.council.build_council``.

Young people of the council aged 16 to 20 who left care (or, at 16 and 17, are still looked after), named to the
demo personal adviser (``personal.adviser``): the "left care" fact and the period of care it stands for, on the
children-in-care record with its episodes, reviews, visits and social worker (``demo.LeaverCare``; not for a young
person whose care the children-in-care stage already recorded), the adviser's contacts (mostly visits, some
calls and some not in touch), the needs assessment, the pathway plan and its reviews, and the birthday (OC3) facts.
Drift is included: some visits and reviews are overdue, a few needs assessments were never recorded. Deterministic
from the seed, with its own random stream; only young people the rules call care leavers are kept.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Table, select

from safeguarding.children_in_care import care_leavers as rules
from safeguarding.children_in_care.care_leaver_models import (
    AdviserContact,
    CareLeaver,
    ContactMethod,
    NeedsAssessment,
    Oc3Record,
    PathwayPlan,
    PathwayPlanReview,
)
from safeguarding.children_in_care.demo import LeaverCare
from safeguarding.core.calendar import LONDON, add_calendar_months
from safeguarding.core.dates import age_on
from safeguarding.people.models import Person, PersonKind
from safeguarding.people.rules import years_before

TABLES: list[Table] = [
    CareLeaver.__table__,  # type: ignore[list-item]
    AdviserContact.__table__,  # type: ignore[list-item]
    NeedsAssessment.__table__,  # type: ignore[list-item]
    PathwayPlan.__table__,  # type: ignore[list-item]
    PathwayPlanReview.__table__,  # type: ignore[list-item]
    Oc3Record.__table__,  # type: ignore[list-item]
]
SHARE = 0.3  # of the council's young people aged 16 to 20 (a demo choice, to give the adviser a caseload)
MOST = 25  # an adviser's caseload is commonly 20 to 25
ADULTS = 10  # young adults who left care, beyond the caseload of the young people (a second adviser's share)
ACTIVITIES = ("F1", "F2", "P2", "F4", "F5", "P5", "G4", "G5", "G6")
ACCOMMODATION = ("U1", "U1", "Z1", "D1", "E1", "B1", "T1", "K2", "S2", "W2")
NOTES = (
    "Seen at home; settled, college going well.",
    "Met in town; talked about money and the tenancy.",
    "Seen with their partner; baby due in the spring.",
    "Visited at the supported lodgings; some worries about the landlord.",
    "Talked through a job application.",
)


def build(builder: Any, writer: Any) -> dict[str, int]:
    rng = random.Random(f"{builder.seed}:care_leavers")
    adult_rng = random.Random(f"{builder.seed}:care_leavers:adults")
    today = builder.now.astimezone(LONDON).date()
    adviser = builder.staff.get("personal.adviser")
    if adviser is None:
        return {"care_leavers": 0}
    young = writer.connection.execute(
        select(Person.id, Person.date_of_birth)
        .where(
            Person.kind == PersonKind.CHILD.value,
            Person.date_of_birth > years_before(today, 21),
            Person.date_of_birth <= years_before(today, 16),
        )
        .order_by(Person.id)
    ).all()
    # Young adults of 18 to 21 who left care, from a second random stream (the rows of the first stay as they
    # were): the care leavers whose 19th to 21st birthdays the DfE's outcomes (and the indicators) read.
    adults = writer.connection.execute(
        select(Person.id, Person.date_of_birth)
        .where(
            Person.kind == PersonKind.ADULT.value,
            Person.date_of_birth > years_before(today, 22),
            Person.date_of_birth <= years_before(today, 18),
        )
        .order_by(Person.id)
    ).all()
    made = 0
    care = LeaverCare(builder, writer)

    def add(table: Table, row: dict[str, Any]) -> int:
        row.setdefault("id", writer.new_id(table))
        row.setdefault("created_at", builder.now)
        writer.add(table, row)
        return int(row["id"])

    for person_id, born, stream in [(p, b, rng) for p, b in young] + [(p, b, adult_rng) for p, b in adults]:
        rng = stream
        if made >= MOST + (ADULTS if rng is adult_rng else 0) or born is None or rng.random() >= SHARE:
            continue
        still = age_on(born, today) < 18 and rng.random() < 0.3
        left_on = None if still else rules.birthday(born, 16) + timedelta(days=rng.randint(30, 700))
        if left_on is not None and left_on >= today:
            left_on = None
        weeks = rng.choice((rng.randint(14, 200), rng.randint(14, 200), rng.randint(3, 12)))
        periods = rules.periods_from_fact(born, left_on, weeks, today)
        status = rules.eligibility(born, periods, today)
        if not status.is_care_leaver:
            continue
        named_on = max(rules.birthday(born, 16), today - timedelta(days=rng.randint(60, 900)))
        leaver_id = add(
            CareLeaver.__table__,  # type: ignore[arg-type]
            {
                "person_id": person_id,
                "personal_adviser_id": adviser.id,
                "adviser_named_on": named_on,
                "left_care_on": left_on,
                "weeks_looked_after_since_14": weeks,
                "version": 1,
            },
        )
        made += 1
        # Their care on the record, as a child's in care is: the period the fact above stands for.
        care.period(person_id, born, periods[0].start, left_on)
        _contacts(rng, add, leaver_id, person_id, named_on, today)
        began = rules.needs_assessment_from(status)
        if began is not None and rng.random() < 0.9:
            assessed = min(today, began + timedelta(days=rng.randint(20, 110)))
            add(
                NeedsAssessment.__table__,  # type: ignore[arg-type]
                {
                    "care_leaver_id": leaver_id,
                    "person_id": person_id,
                    "completed_on": assessed,
                    "young_person_views": "Wants to stay near friends and finish college.",
                    "needs": "Money management, a tenancy, support with college.",
                },
            )
            _plan(rng, add, leaver_id, person_id, assessed, today)
        _birthdays(rng, add, leaver_id, person_id, born, periods, today)
    return {"care_leavers": made}


def _contacts(rng: random.Random, add: Any, leaver_id: int, person_id: int, since: date, today: date) -> None:
    """Roughly every six to nine weeks; one adviser in five lets the last gap run past two months (drift)."""
    drifting = rng.random() < 0.2
    on = since + timedelta(days=rng.randint(5, 40))
    while on <= today:
        seen = rng.random() < 0.8
        add(
            AdviserContact.__table__,
            {
                "care_leaver_id": leaver_id,
                "person_id": person_id,
                "contact_on": on,
                "in_touch": seen or rng.random() < 0.5,
                "method": (ContactMethod.VISIT if seen else rng.choice(list(ContactMethod))).value,
                "note": rng.choice(NOTES) if seen else None,
            },
        )
        on += timedelta(days=rng.randint(35, 62))
        if drifting and on + timedelta(days=70) > today:
            break


def _plan(rng: random.Random, add: Any, leaver_id: int, person_id: int, assessed: date, today: date) -> None:
    prepared = min(today, assessed + timedelta(days=rng.randint(5, 30)))
    plan_id = add(
        PathwayPlan.__table__,
        {
            "care_leaver_id": leaver_id,
            "person_id": person_id,
            "prepared_on": prepared,
            "plan": "College course, a supported tenancy, help with a bank account and budgeting.",
        },
    )
    review = add_calendar_months(prepared, rng.choice((5, 6, 6, 7)))
    while review <= today:
        add(
            PathwayPlanReview.__table__,
            {
                "plan_id": plan_id,
                "person_id": person_id,
                "reviewed_on": review,
                "young_person_took_part": rng.random() < 0.85,
                "outcome": "Plan kept; tenancy support continues.",
            },
        )
        review = add_calendar_months(review, rng.choice((5, 6, 6, 7)))


def _birthdays(
    rng: random.Random,
    add: Any,
    leaver_id: int,
    person_id: int,
    born: date,
    periods: list[rules.PeriodOfCare],
    today: date,
) -> None:
    for age in rules.OC3_AGES:
        day = rules.birthday(born, age)
        if day + timedelta(days=20) > today:
            break
        if rules.eligibility(born, periods, day).category not in (
            rules.Category.RELEVANT,
            rules.Category.FORMER_RELEVANT,
        ):
            continue
        touch = rng.choices(("YES", "NO", "REFU"), weights=(88, 8, 4))[0]
        add(
            Oc3Record.__table__,
            {
                "care_leaver_id": leaver_id,
                "person_id": person_id,
                "age": age,
                "recorded_on": day + timedelta(days=rng.randint(-40, 20)),
                "in_touch": touch,
                "activity": rng.choice(ACTIVITIES) if touch == "YES" else None,
                # Staying put (Z) is with former foster carers after 18: never at the 17th birthday (SSDA903 rule 3001).
                "accommodation": rng.choice([a for a in ACCOMMODATION if age > 17 or not a.startswith("Z")])
                if touch == "YES"
                else None,
                "version": 1,
            },
        )
