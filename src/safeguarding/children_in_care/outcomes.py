"""The health and outcomes of a child looked after for 12 months (what the SSDA903 OC2 table asks), one record a
collection year: reading the form (pure), and the use-cases (asked of the access policy and audited).

Which questions the DfE asks depends on the child's age (the DfE's SSDA903 validation rules 186, 188, 189, 542, 545,
546, 192, 193; domain note ``ssda903.md`` section 3.13):

- the Strengths and Difficulties Questionnaire score (0 to 40) or the reason there is none: for a child aged 4 or
  over at 31 March and under 17 on 1 April (rule 188 forbids it under 4 at the end of the year, 189 from 17 at the
  start);
- convictions, final warnings and reprimands in the year: aged 10 or over at 31 March (rules 542, 543);
- development checks (health check): aged under 5 at 31 March (rules 545, 546);
- immunisations up to date, teeth checked by a dentist, the annual health assessment, a substance misuse problem: for
  every child;
- whether an intervention for substance misuse was received, and (when it was not) offered and refused: only when a
  problem was identified (rules 192, 193).

Nothing is answered by default: a question left unanswered is named in the error summary, in the form's order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeguarding.children_in_care.models import HealthOutcomes
from safeguarding.children_in_care.service import _audit, _fail, _person, _require
from safeguarding.core.access import Action
from safeguarding.core.calendar import today_in_london
from safeguarding.core.db import Database
from safeguarding.core.errors import NotFound
from safeguarding.core.form_fields import record_id
from safeguarding.core.record_versions import check_version
from safeguarding.core.users import User
from safeguarding.people.models import Person

# The DfE's SSDA903 SDQ_REASON codes: why a child in the OC2 cohort has no SDQ score.
SDQ_REASONS: Final = MappingProxyType(
    {
        "SDQ1": "No score: the child was under 4 or over 16 at the latest assessment",
        "SDQ2": "No score: the carer refused to complete the questionnaire",
        "SDQ3": "No score: not possible because of the severity of the child's disability",
        "SDQ4": "No score: another reason",
        "SDQ5": "No score: the young person refused to complete the questionnaire",
    }
)
SDQ_SCORED = "score"
SDQ_CHOICES: Final = MappingProxyType({SDQ_SCORED: "A score was recorded", **SDQ_REASONS})
SDQ_MAX = 40
# The first collection year with a record here: 2023-24, the first SSDA903 year this system returns.
FIRST_YEAR = 2024

YES_NO: Final = MappingProxyType({"yes": True, "no": False})


def collection_year_of(day: date) -> int:
    """The SSDA903 collection year (named by its end, 1 April to 31 March) that ``day`` falls in."""
    return day.year + 1 if day.month >= 4 else day.year


def year_span(year: int) -> tuple[date, date]:
    return date(year - 1, 4, 1), date(year, 3, 31)


def year_name(year: int) -> str:
    """A collection year as a reader says it: "1 April 2026 to 31 March 2027"."""
    return f"1 April {year - 1} to 31 March {year}"


def _age(born: date | None, on: date) -> int | None:
    if born is None:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


@dataclass(frozen=True)
class Questions:
    """Which OC2 questions the DfE asks of this child in this year (by their age on 1 April and 31 March; a child
    with no date of birth is asked every question, and the return's checks say which answers it did not want)."""

    sdq: bool
    convictions: bool
    health_check: bool

    @classmethod
    def of(cls, born: date | None, year: int) -> Questions:
        start, end = year_span(year)
        at_start, at_end = _age(born, start), _age(born, end)
        if at_start is None or at_end is None:
            return cls(True, True, True)
        return cls(sdq=at_end >= 4 and at_start < 17, convictions=at_end >= 10, health_check=at_end < 5)


@dataclass(frozen=True)
class OutcomesInput:
    """The outcomes form read and checked: each answer None where the question was not asked (or not answerable:
    the intervention questions without a substance misuse problem). ``problems`` in the form's order."""

    sdq_score: int | None = None
    sdq_reason: str | None = None
    convicted: bool | None = None
    health_check: bool | None = None
    immunisations: bool | None = None
    teeth_check: bool | None = None
    health_assessment: bool | None = None
    substance_misuse: bool | None = None
    intervention_received: bool | None = None
    intervention_offered: bool | None = None
    problems: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, form: Mapping[str, str], questions: Questions) -> OutcomesInput:
        problems: dict[str, str] = {}

        def yes_no(name: str, message: str) -> bool | None:
            value = (form.get(name, "") or "").strip()
            if value not in YES_NO:
                problems[name] = message
                return None
            return YES_NO[value]

        score: int | None = None
        reason: str | None = None
        if questions.sdq:
            choice = (form.get("sdq", "") or "").strip()
            if choice not in SDQ_CHOICES:
                problems["sdq"] = "Select whether a Strengths and Difficulties Questionnaire score was recorded"
            elif choice == SDQ_SCORED:
                text = (form.get("sdq_score", "") or "").strip()
                if not text:
                    problems["sdq_score"] = "Enter the Strengths and Difficulties Questionnaire score"
                elif not (text.isascii() and text.isdigit() and len(text) <= 2 and int(text) <= SDQ_MAX):
                    problems["sdq_score"] = f"The score must be a whole number from 0 to {SDQ_MAX}"
                else:
                    score = int(text)
            else:
                reason = choice
        convicted = (
            yes_no("convicted", "Select whether the child was convicted, or given a final warning or reprimand")
            if questions.convictions
            else None
        )
        health_check = (
            yes_no("health_check", "Select whether the child's development checks are up to date")
            if questions.health_check
            else None
        )
        immunisations = yes_no("immunisations", "Select whether the child's immunisations are up to date")
        teeth = yes_no("teeth_check", "Select whether the child's teeth were checked by a dentist")
        assessment = yes_no("health_assessment", "Select whether the child had their annual health assessment")
        misuse = yes_no(
            "substance_misuse", "Select whether the child was identified as having a substance misuse problem"
        )
        received = offered = None
        if misuse:
            received = yes_no("intervention_received", "Select whether the child received an intervention")
            if received is False:
                offered = yes_no("intervention_offered", "Select whether an intervention was offered and refused")
        return cls(
            score,
            reason,
            convicted,
            health_check,
            immunisations,
            teeth,
            assessment,
            misuse,
            received,
            offered,
            problems,
        )


# --- use-cases ----------------------------------------------------------------------------------------------------


def _year(year: int) -> int:
    if not FIRST_YEAR <= year <= collection_year_of(today_in_london()):
        raise NotFound("There is no such collection year.")
    return year


def _existing(session: Session, person_id: int, year: int) -> HealthOutcomes | None:
    return session.scalar(
        select(HealthOutcomes).where(HealthOutcomes.person_id == person_id, HealthOutcomes.year == year)
    )


@dataclass(frozen=True)
class OutcomesForm:
    person: Person
    year: int
    questions: Questions
    saved: HealthOutcomes | None


def outcomes_form(session: Session, database: Database, user: User, person_id: int, year: int) -> OutcomesForm:
    """The form for one collection year, with what is saved (a view of the child's record, audited)."""
    person = _person(session, person_id)
    _require(session, database, user, Action.CREATE, person_id)
    year = _year(year)
    saved = _existing(session, person_id, year)
    _audit(session, user, "view", "care_health_outcomes", saved.id if saved else person_id, person_id, year=year)
    return OutcomesForm(person, year, Questions.of(person.date_of_birth, year), saved)


def _answer(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def form_of(saved: HealthOutcomes) -> dict[str, str]:
    """The saved answers as the form's fields (to edit them)."""
    sdq = SDQ_SCORED if saved.sdq_score is not None else (saved.sdq_reason or "")
    return {
        "version": str(saved.version),
        "sdq": sdq,
        "sdq_score": "" if saved.sdq_score is None else str(saved.sdq_score),
        **{
            name: _answer(getattr(saved, name))
            for name in (
                "convicted",
                "health_check",
                "immunisations",
                "teeth_check",
                "health_assessment",
                "substance_misuse",
                "intervention_received",
                "intervention_offered",
            )
        },
    }


def record_outcomes(
    session: Session,
    database: Database,
    user: User,
    person_id: int,
    year: int,
    form: Mapping[str, str],
) -> HealthOutcomes:
    """Record (or correct) the child's OC2 facts for the collection year. A second editor of the same year's record
    is told (``EditConflict``) and keeps what they typed."""
    person = _person(session, person_id)
    _require(session, database, user, Action.CREATE, person_id)
    year = _year(year)
    data = OutcomesInput.read(form, Questions.of(person.date_of_birth, year))
    existing = _existing(session, person_id, year)
    if existing is not None:
        check_version(session, "care_health_outcomes", existing, record_id(form.get("version")))
    _fail(dict(data.problems))
    row = existing or HealthOutcomes(person_id=person_id, year=year)
    row.sdq_score = data.sdq_score
    row.sdq_reason = data.sdq_reason
    row.convicted = data.convicted
    row.health_check = data.health_check
    row.immunisations = data.immunisations
    row.teeth_check = data.teeth_check
    row.health_assessment = data.health_assessment
    row.substance_misuse = data.substance_misuse
    row.intervention_received = data.intervention_received
    row.intervention_offered = data.intervention_offered
    row.recorded_by_id = user.id
    if existing is None:
        session.add(row)
    session.flush()
    _audit(session, user, "update" if existing else "create", "care_health_outcomes", row.id, person_id, year=year)
    return row


def outcomes_of(session: Session, person_id: int) -> list[HealthOutcomes]:
    """The child's recorded outcomes, latest year first (no access check: for the care record, which asked)."""
    return list(
        session.scalars(
            select(HealthOutcomes).where(HealthOutcomes.person_id == person_id).order_by(HealthOutcomes.year.desc())
        )
    )
