"""A team manager authorises (completes) an assessment: factors, outcome, and the reason when it is late."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from safeguarding.casework import events, rules
from safeguarding.casework.case_access import (
    assessment_due_on,
    audit,
    case_subject,
    check_version,
    flush,
    person_of,
    recompute,
    require,
)
from safeguarding.casework.episode import episode_facts
from safeguarding.casework.models import Assessment, AssessmentFactor
from safeguarding.casework.recording import event_of, refuse_locked, row_referral
from safeguarding.core import codes
from safeguarding.core.access import Action, Kind
from safeguarding.core.calendar import today_in_london
from safeguarding.core.db import Database
from safeguarding.core.errors import ValidationFailed
from safeguarding.core.form_fields import date_field, text_field
from safeguarding.core.users import User
from safeguarding.people.models import Person

# --- assessment authorisation -----------------------------------------------------------------------------------------


@dataclass
class AuthorisationForm:
    person: Person
    assessment: Assessment
    due_on: date
    values: dict[str, Any]


def authorisation_form(
    session: Session, database: Database, user: User, person_id: int, assessment_id: int
) -> AuthorisationForm:
    person = person_of(session, person_id)
    require(session, database, user, Action.SIGN_OFF, case_subject(session, person_id, Kind.CASE, assessment_id))
    assessment = event_of(session, events.KINDS["assessments"], person_id, assessment_id)
    if assessment.authorised_on is not None:
        raise refuse_locked(events.KINDS["assessments"], person_id, assessment)
    referral = row_referral(session, assessment)
    audit(session, user, "view", "assessment", assessment.id, person_id)
    return AuthorisationForm(
        person,
        assessment,
        assessment_due_on(referral.referral_date),
        {
            "authorised_on": (assessment.authorised_on or today_in_london()).isoformat(),
            "factors": [f.code for f in assessment.factors],
            "late_reason": assessment.late_reason or "",
            "outcome": assessment.outcome or "",
        },
    )


@dataclass(frozen=True)
class AuthorisationInput:
    """The authorisation form read: the date, the outcome, the factors ticked, the reason for lateness, and what
    was wrong with them (raised by the service once it has checked the user may authorise)."""

    authorised_on: date | None
    outcome: str
    factors: tuple[str, ...]
    late_reason: str | None
    problems: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, form: Mapping[str, str], factors: Sequence[str]) -> AuthorisationInput:
        problems: dict[str, str] = {}
        authorised_on = date_field(
            form.get("authorised_on", "") or "",
            "authorised_on",
            "the date of authorisation",
            problems,
            noun="date of authorisation",
        )
        outcome = (form.get("outcome", "") or "").strip()
        if outcome not in rules.ASSESSMENT_OUTCOMES:
            problems["outcome"] = "Choose the outcome of the assessment"
        unknown = [c for c in factors if c not in codes.ASSESSMENT_FACTORS]
        if unknown:
            problems["factors"] = f"Unknown factor code {unknown[0]}: choose from the list"
        late_reason = text_field(
            form.get("late_reason", "") or "",
            "late_reason",
            "the reason for lateness",
            problems,
            limit=rules.REASON_MAX,
            required=False,
        )
        return cls(authorised_on, outcome, tuple(factors), late_reason, problems)


def authorise_assessment(
    session: Session,
    database: Database,
    user: User,
    person_id: int,
    assessment_id: int,
    data: AuthorisationInput,
    *,
    expected_version: int | None,
    now: date | None = None,
) -> Assessment:
    """A team manager authorises (completes) the assessment with its factors and outcome; when authorised after
    the 45-working-day due date the late reason is required. Recomputes the child's deadlines."""
    person_of(session, person_id)
    require(session, database, user, Action.SIGN_OFF, case_subject(session, person_id, Kind.CASE, assessment_id))
    assessment: Assessment = event_of(session, events.KINDS["assessments"], person_id, assessment_id)
    if assessment.authorised_on is not None:
        # Authorised by someone else since this form was loaded, or authorised before: either way the authorised
        # record changes only by an amendment with a reason.
        raise refuse_locked(events.KINDS["assessments"], person_id, assessment)
    check_version(session, "assessment", assessment, expected_version)
    day = now or today_in_london()
    if data.problems:
        raise ValidationFailed(dict(data.problems))
    authorised_on, outcome, factors, late_reason = (
        data.authorised_on,
        data.outcome,
        list(data.factors),
        data.late_reason,
    )
    assert authorised_on is not None
    referral = row_referral(session, assessment)
    episode = episode_facts(session, referral)
    refusals = [
        r
        for r in rules.check_assessment(
            episode.without("assessments", assessment.id),
            assessment_id=assessment.id,
            started_on=assessment.started_on,
            authorised_on=authorised_on,
            today=day,
        )
        if r.field != "started_on"
    ]
    refusals += rules.check_authorisation(
        authorised_on=authorised_on,
        due_on=assessment_due_on(referral.referral_date),
        late_reason=late_reason,
        factors=factors,
    )
    if refusals:
        raise ValidationFailed(rules.as_errors(refusals))
    assessment.authorised_on = authorised_on
    assessment.authorised_by_id = user.id
    assessment.outcome = outcome
    assessment.late_reason = late_reason
    if sorted(f.code for f in assessment.factors) != sorted(set(factors)):
        assessment.factors = [AssessmentFactor(code=c) for c in sorted(set(factors))]
    flush(session)
    recompute(session, person_id)
    audit(
        session,
        user,
        "authorise",
        "assessment",
        assessment.id,
        person_id,
        factors=sorted(set(factors)),
        late=authorised_on > assessment_due_on(referral.referral_date),
    )
    return assessment
