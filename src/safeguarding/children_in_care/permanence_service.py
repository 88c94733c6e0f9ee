"""Use-cases of permanence, one transaction each: the decision that a child should be placed for adoption, the
match, the placement for adoption, the decision that the child should no longer be placed, the order that ends care
(adoption, special guardianship, child arrangements), the permanence plan and previous permanence; and the
prospective adopters. Every read and change asks the access policy (the care record's, through ``service``) and is
audited; services never commit.

The placement for adoption and the order are recorded through the care record's own use-case
(``service.record_change``: a change of placement to A3-A6, leaving care with its REC reason), so the SSDA903
episodes, the clocks and this record say the same thing. Events out of order are refused naming what is wrong
(``permanence``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from safeguarding.casework.case_access import may_each as case_may_each
from safeguarding.children_in_care import adoption_timeline, service
from safeguarding.children_in_care import permanence as rules
from safeguarding.children_in_care import rules as care_rules
from safeguarding.children_in_care.models import CareEvent, CarePeriod
from safeguarding.children_in_care.permanence_models import (
    Adopter,
    AdoptionDecision,
    AdoptiveFamily,
    PermanencePlan,
    PreviousPermanence,
)
from safeguarding.core import access, audit, codes, record_versions
from safeguarding.core.access import Action, Kind
from safeguarding.core.dates import long_date
from safeguarding.core.db import Database
from safeguarding.core.errors import NotFound, ValidationFailed
from safeguarding.core.form_fields import record_id, text_field
from safeguarding.core.record_versions import SavedField
from safeguarding.core.users import User
from safeguarding.people.models import Person

K = Kind.CARE_RECORD
_LA_CODE: Final = 9  # an ONS code (E09000027) or the DfE's three-digit council number


def _day(
    form: Mapping[str, str], name: str, label: str, problems: dict[str, str], *, required: bool = True
) -> date | None:
    return service._day(form, name, label, problems, required=required)


def _choice(
    form: Mapping[str, str], name: str, codes_: Mapping[str, str], message: str, problems: dict[str, str]
) -> str:
    return service._choice(form, name, codes_, message, problems)


def _yes_no(form: Mapping[str, str], name: str, message: str, problems: dict[str, str]) -> bool | None:
    return service._yes_no(form, name, message, problems)


# --- the forms ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DecisionInput:
    on: date | None
    problems: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, form: Mapping[str, str]) -> DecisionInput:
        problems: dict[str, str] = {}
        on = _day(form, "on", "the date of the decision", problems)
        return cls(on, problems)


@dataclass(frozen=True)
class MatchInput:
    """The match with adopters: the AD1 facts. Nothing is assumed: every question is asked."""

    on: date | None
    family_id: int | None
    adopters_number: int | None
    adopters_sex: str
    adopters_legal_status: str
    foster_carers_adopting: bool | None
    problems: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, form: Mapping[str, str]) -> MatchInput:
        problems: dict[str, str] = {}
        on = _day(form, "on", "the date of the match", problems)
        family_text = (form.get("family_id", "") or "").strip()
        family_id = record_id(family_text) if family_text else None
        if family_text and family_id is None:
            problems["family_id"] = "Choose the adoptive family from the list"
        number_text = (form.get("adopters_number", "") or "").strip()
        number = {"1": 1, "2": 2}.get(number_text)
        if number is None:
            problems["adopters_number"] = "Select one adopter or two"
        sex = _choice(form, "adopters_sex", rules.ADOPTERS_SEX, "Choose who the adopters are", problems)
        status = _choice(
            form, "adopters_legal_status", rules.ADOPTERS_LEGAL_STATUS, "Choose the adopters' legal status", problems
        )
        foster = _yes_no(
            form, "foster_carers_adopting", "Select yes if the adopters are the child's foster carers, or no", problems
        )
        for name, message in rules.adopters_problem(number, sex, status).items():
            problems.setdefault(name, message)
        return cls(on, family_id, number, sex, status, foster, problems)


@dataclass(frozen=True)
class CeaseInput:
    on: date | None
    reason: str
    problems: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, form: Mapping[str, str]) -> CeaseInput:
        problems: dict[str, str] = {}
        on = _day(form, "on", "the date of the decision", problems)
        reason = _choice(
            form, "reason", rules.REASONS_NO_LONGER_PLACED, "Choose why the child should no longer be placed", problems
        )
        return cls(on, reason, problems)


ORDER_REASONS: Final = {
    code: f"{rules.ORDERS[order]}: {text[0].lower()}{text[1:]}"
    for order, reasons in rules.REASONS_BY_ORDER.items()
    for code, text in reasons.items()
}


@dataclass(frozen=True)
class OrderInput:
    """An order that ends care: which order and kind (the reason care ended, REC), and its date."""

    reason: str
    on: date | None
    problems: Mapping[str, str] = field(default_factory=dict)

    @property
    def order(self) -> str | None:
        return rules.ORDER_OF_REASON.get(self.reason)

    @classmethod
    def read(cls, form: Mapping[str, str]) -> OrderInput:
        problems: dict[str, str] = {}
        reason = _choice(form, "reason", ORDER_REASONS, "Choose the order the court made", problems)
        on = _day(form, "on", "the date of the order", problems)
        return cls(reason, on, problems)


@dataclass(frozen=True)
class PlanInput:
    on: date | None
    plan: str
    problems: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, form: Mapping[str, str]) -> PlanInput:
        problems: dict[str, str] = {}
        plan = _choice(form, "plan", rules.PERMANENCE_PLANS, "Choose the plan for permanence", problems)
        on = _day(form, "on", "the date of the plan", problems)
        return cls(on, plan, problems)


@dataclass(frozen=True)
class PreviousInput:
    option: str
    la_code: str | None
    order_on: date | None
    problems: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, form: Mapping[str, str]) -> PreviousInput:
        problems: dict[str, str] = {}
        option = _choice(
            form, "option", rules.PREVIOUS_PERMANENCE, "Choose the child's permanence before this care", problems
        )
        la = text_field(
            form.get("la_code", ""), "la_code", "the council's code", problems, limit=_LA_CODE, required=False
        )
        if la and not la.isalnum():
            problems["la_code"] = "The council's code is letters and numbers only, like 316"
        order_on = _day(form, "order_on", "the date of the previous order", problems, required=False)
        return cls(option, la.upper() if la else None, order_on, problems)


# --- reading the record -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """A decision as the record shows it, with the steps that followed it."""

    row: AdoptionDecision
    steps: rules.AdoptionSteps
    placement_order_on: date | None
    family: AdoptiveFamily | None


@dataclass(frozen=True)
class Permanence:
    """What the child's permanence page shows."""

    person: Person
    period: CarePeriod | None  # the latest period of care
    decisions: list[Decision]
    plans: list[PermanencePlan]
    previous: PreviousPermanence | None
    scorecard: list[tuple[rules.ScorecardMeasure, int | None]]
    may_change: bool

    @property
    def latest(self) -> Decision | None:
        return self.decisions[-1] if self.decisions else None

    @property
    def plan(self) -> PermanencePlan | None:
        return self.plans[-1] if self.plans else None

    @property
    def in_care(self) -> bool:
        return self.period is not None and self.period.ended_on is None


def _events(session: Session, period_id: int) -> list[CareEvent]:
    return list(
        session.scalars(
            select(CareEvent).where(CareEvent.period_id == period_id).order_by(CareEvent.occurred_on, CareEvent.id)
        )
    )


def _latest_period(session: Session, person_id: int) -> CarePeriod | None:
    return session.scalar(
        select(CarePeriod)
        .where(CarePeriod.person_id == person_id)
        .order_by(CarePeriod.started_on.desc(), CarePeriod.id.desc())
        .limit(1)
    )


def permanence_record(session: Session, database: Database, user: User, person_id: int) -> Permanence:
    """The child's permanence: the decisions and what followed, the plan, previous permanence, and the scorecard's
    measures for the latest decision. A view of the child's record, audited."""
    person = service._person(session, person_id)
    subject = service._require(session, database, user, Action.VIEW, person_id)
    period = _latest_period(session, person_id)
    decisions: list[Decision] = []
    plans: list[PermanencePlan] = []
    previous = None
    scorecard: list[tuple[rules.ScorecardMeasure, int | None]] = []
    if period is not None:
        events = _events(session, period.id)
        rows = list(session.scalars(select(AdoptionDecision).where(AdoptionDecision.period_id == period.id)))
        order_on = adoption_timeline.placement_order_on(events)
        for row, steps in adoption_timeline.steps_of(rows, events):
            family = session.get(AdoptiveFamily, row.family_id) if row.family_id else None
            decisions.append(Decision(row, steps, order_on, family))
        plans = list(
            session.scalars(
                select(PermanencePlan)
                .where(PermanencePlan.period_id == period.id)
                .order_by(PermanencePlan.decided_on, PermanencePlan.id)
            )
        )
        previous = session.scalar(select(PreviousPermanence).where(PreviousPermanence.period_id == period.id))
        if decisions:
            latest = decisions[-1].steps
            moved = None
            if latest.placed_on is not None:
                moved = rules.moved_in_with_adopters_on(
                    [(e.occurred_on, e.placement_type, e.carer) for e in events if e.placement_type], latest.placed_on
                )
            timeline = rules.AdoptionTimeline(period.started_on, order_on, latest.matched_on, latest.placed_on, moved)
            scorecard = [(m, rules.days_taken(m.code, timeline)) for m in rules.SCORECARD]
    may = case_may_each(session, user, [(Action.CREATE, subject)])[0]
    service._audit(session, user, "view", "permanence", person_id, person_id)
    return Permanence(person, period, decisions, plans, previous, scorecard, may)


# --- recording ----------------------------------------------------------------------------------------------------


def _in_care(
    session: Session, database: Database, user: User, person_id: int, action: Action = Action.CREATE
) -> CarePeriod:
    service._person(session, person_id)
    service._require(session, database, user, action, person_id)
    period = _latest_period(session, person_id)
    if period is None or period.ended_on is not None:
        raise ValidationFailed({"on": "The child is not in care: permanence is recorded while they are"})
    return period


def _decisions(session: Session, period: CarePeriod) -> list[tuple[AdoptionDecision, rules.AdoptionSteps]]:
    rows = list(session.scalars(select(AdoptionDecision).where(AdoptionDecision.period_id == period.id)))
    return adoption_timeline.steps_of(rows, _events(session, period.id))


def _open_decision(
    session: Session, period: CarePeriod, name: str = "on"
) -> tuple[AdoptionDecision, rules.AdoptionSteps]:
    found = _decisions(session, period)
    if not found or not found[-1][1].open:
        raise ValidationFailed({name: "There is no decision in force that the child should be placed for adoption"})
    return found[-1]


def record_decision(
    session: Session, database: Database, user: User, person_id: int, data: DecisionInput
) -> AdoptionDecision:
    """The agency decision maker's decision that the child should be placed for adoption."""
    period = _in_care(session, database, user, person_id)
    problems = dict(data.problems)
    if data.on is not None and "on" not in problems:
        problem = rules.decision_problem(
            data.on,
            in_care_since=period.started_on,
            earlier=[s for _, s in _decisions(session, period)],
            placement_order_on=adoption_timeline.placement_order_on(_events(session, period.id)),
        )
        if problem:
            problems["on"] = problem
    service._fail(problems)
    assert data.on is not None
    row = AdoptionDecision(period_id=period.id, person_id=person_id, decided_on=data.on, recorded_by_id=user.id)
    session.add(row)
    session.flush()
    service._audit(session, user, "create", "adoption_decision", row.id, person_id)
    return row


def match_fields(row: AdoptionDecision, families: Mapping[str, str]) -> list[SavedField]:
    """The match as saved, field by field, for the second of two editors."""
    return [
        SavedField("on", "Date of the match", row.matched_on.isoformat() if row.matched_on else "", is_date=True),
        SavedField("family_id", "Adoptive family", str(row.family_id or ""), families),
        SavedField("adopters_number", "Number of adopters", str(row.adopters_number or ""), {"1": "One", "2": "Two"}),
        SavedField("adopters_sex", "Adopters", row.adopters_sex or "", rules.ADOPTERS_SEX),
        SavedField(
            "adopters_legal_status",
            "Adopters' legal status",
            row.adopters_legal_status or "",
            rules.ADOPTERS_LEGAL_STATUS,
        ),
        SavedField(
            "foster_carers_adopting",
            "The adopters are the child's foster carers",
            {True: "yes", False: "no", None: ""}[row.foster_carers_adopting],
            {"yes": "Yes", "no": "No"},
        ),
    ]


def match_form(row: AdoptionDecision) -> dict[str, str]:
    """The match as its form first shows it (empty until one is recorded: nothing answered in advance)."""
    return {
        "version": str(row.version),
        "on": row.matched_on.isoformat() if row.matched_on else "",
        "family_id": str(row.family_id or ""),
        "adopters_number": str(row.adopters_number or ""),
        "adopters_sex": row.adopters_sex or "",
        "adopters_legal_status": row.adopters_legal_status or "",
        "foster_carers_adopting": {True: "yes", False: "no", None: ""}[row.foster_carers_adopting],
    }


def open_decision(session: Session, database: Database, user: User, person_id: int) -> AdoptionDecision:
    """The decision in force, for the match's form (refused when the user may not change the record)."""
    period = _in_care(session, database, user, person_id)
    return _open_decision(session, period)[0]


def record_match(
    session: Session,
    database: Database,
    user: User,
    person_id: int,
    data: MatchInput,
    *,
    expected_version: int | None,
) -> AdoptionDecision:
    """The match with adopters, or its correction. Someone else's change saved since the form was loaded is not
    overwritten: the second editor is shown it beside what they typed."""
    period = _in_care(session, database, user, person_id)
    row, steps = _open_decision(session, period)
    families = adoptive_families(session)
    record_versions.check_version(session, "adoption_decision", row, expected_version, match_fields(row, families))
    problems = dict(data.problems)
    if data.family_id is not None and str(data.family_id) not in families:
        problems["family_id"] = "Choose the adoptive family from the list"
    if data.on is not None and "on" not in problems:
        problem = rules.match_problem(data.on, steps)
        if problem:
            problems["on"] = problem
    service._fail(problems)
    row.matched_on, row.family_id = data.on, data.family_id
    row.adopters_number, row.adopters_sex = data.adopters_number, data.adopters_sex
    row.adopters_legal_status, row.foster_carers_adopting = data.adopters_legal_status, data.foster_carers_adopting
    try:
        session.flush()
    except StaleDataError as exc:
        raise record_versions.conflict(session, "adoption_decision", row, match_fields(row, families)) from exc
    service._audit(session, user, "update", "adoption_decision", row.id, person_id, matched=True)
    return row


def record_placed(
    session: Session, database: Database, user: User, person_id: int, data: service.ChangeInput
) -> CareEvent:
    """The child placed for adoption: a change of placement to A3-A6 on the care record, refused before the match,
    under a placement order the child does not have, or with foster carers the match says are not adopting (the
    adoption timeline's checks, which the care record's own change of placement makes too)."""
    _in_care(session, database, user, person_id, Action.UPDATE)
    placement = data.placement
    if placement is not None and placement.placement_type and placement.placement_type not in rules.ADOPTION_PLACEMENTS:
        raise ValidationFailed({**data.problems, "placement_type": "Choose one of the placements for adoption"})
    return service.record_change(session, database, user, person_id, data)


def record_ceased(
    session: Session, database: Database, user: User, person_id: int, data: CeaseInput
) -> AdoptionDecision:
    """The decision that the child should no longer be placed for adoption, with its reason (RD1-RD4)."""
    period = _in_care(session, database, user, person_id)
    problems = dict(data.problems)
    row, steps = _open_decision(session, period)
    if data.on is not None and "on" not in problems:
        problem = rules.ceasing_problem(data.on, steps)
        if problem:
            problems["on"] = problem
    service._fail(problems)
    row.ceased_on, row.reason_ceased = data.on, data.reason
    session.flush()
    service._audit(session, user, "update", "adoption_decision", row.id, person_id, ceased=data.reason)
    return row


def record_order(session: Session, database: Database, user: User, person_id: int, data: OrderInput) -> CareEvent:
    """An adoption, special guardianship or child arrangements order: the child leaves care with its reason (REC),
    refused out of order by the care record's own leaving (``adoption_timeline``: ``permanence.leaving_problem``)."""
    _in_care(session, database, user, person_id)
    service._fail(data.problems)
    change = service.ChangeInput(care_rules.LEAVE, data.on, reason_ended=data.reason)
    try:
        return service.record_change(session, database, user, person_id, change)
    except ValidationFailed as exc:  # this form's field is ``reason``, the care record's ``reason_ended``
        raise ValidationFailed(
            {("reason" if name == "reason_ended" else name): message for name, message in exc.errors.items()}
        ) from exc


def record_plan(session: Session, database: Database, user: User, person_id: int, data: PlanInput) -> PermanencePlan:
    """The plan for the child's permanence (Annex A list 8)."""
    period = _in_care(session, database, user, person_id)
    problems = dict(data.problems)
    if data.on is not None and "on" not in problems and data.on < period.started_on:
        problems["on"] = (
            f"The plan is dated {long_date(data.on)}, before the child came into care on {long_date(period.started_on)}"
        )
    service._fail(problems)
    assert data.on is not None
    row = PermanencePlan(
        period_id=period.id, person_id=person_id, decided_on=data.on, plan=data.plan, recorded_by_id=user.id
    )
    session.add(row)
    session.flush()
    service._audit(session, user, "create", "permanence_plan", row.id, person_id, plan=data.plan)
    return row


def previous_fields(row: PreviousPermanence) -> list[SavedField]:
    return [
        SavedField("option", "Permanence before this care", row.option, rules.PREVIOUS_PERMANENCE),
        SavedField("la_code", "Council that arranged it", row.la_code or ""),
        SavedField("order_on", "Date of the order", row.order_on.isoformat() if row.order_on else "", is_date=True),
    ]


def previous_of(session: Session, database: Database, user: User, person_id: int) -> PreviousPermanence | None:
    """The previous permanence of the current period, for its form."""
    period = _in_care(session, database, user, person_id)
    return session.scalar(select(PreviousPermanence).where(PreviousPermanence.period_id == period.id))


def record_previous(
    session: Session,
    database: Database,
    user: User,
    person_id: int,
    data: PreviousInput,
    *,
    expected_version: int | None,
) -> PreviousPermanence:
    """The permanence the child had before this period of care (SSDA903 PrevPerm), or its correction."""
    period = _in_care(session, database, user, person_id)
    row = session.scalar(select(PreviousPermanence).where(PreviousPermanence.period_id == period.id))
    if row is not None:
        record_versions.check_version(session, "previous_permanence", row, expected_version, previous_fields(row))
    problems = dict(data.problems)
    if data.option in rules.PREVIOUS_PERMANENCE:
        for name, message in rules.previous_permanence_problem(
            data.option, data.la_code, data.order_on, in_care_since=period.started_on
        ).items():
            problems.setdefault(name, message)
    service._fail(problems)
    if row is None:
        row = PreviousPermanence(period_id=period.id, person_id=person_id, recorded_by_id=user.id)
        session.add(row)
    row.option, row.la_code, row.order_on = data.option, data.la_code, data.order_on
    try:
        session.flush()
    except StaleDataError as exc:
        raise record_versions.conflict(session, "previous_permanence", row, previous_fields(row)) from exc
    service._audit(session, user, "update", "previous_permanence", row.id, person_id, option=data.option)
    return row


# --- prospective adopters -----------------------------------------------------------------------------------------

FAMILY_DATES: Final = (
    ("enquiry_on", "Date the enquiry was received"),
    ("stage_one_started_on", "Date stage 1 started"),
    ("stage_one_ended_on", "Date stage 1 ended"),
    ("stage_two_started_on", "Date stage 2 started"),
    ("stage_two_ended_on", "Date stage 2 ended"),
    ("applied_on", "Date the application was submitted"),
    ("approved_on", "Date the application was approved"),
    ("left_on", "Date the adopters left the process"),
)
# Each date comes on or after the one named beside it (the stages in their order).
_AFTER: Final = {
    "stage_one_started_on": "enquiry_on",
    "stage_one_ended_on": "stage_one_started_on",
    "stage_two_started_on": "stage_one_ended_on",
    "stage_two_ended_on": "stage_two_started_on",
    "applied_on": "stage_one_started_on",
    "approved_on": "applied_on",
    "left_on": "enquiry_on",
}


@dataclass(frozen=True)
class FamilyInput:
    """Prospective adopters: the assessment's dates, fostering for adoption, and each adopter (one or two)."""

    dates: Mapping[str, date | None]
    fostering_for_adoption: bool | None
    reason_left: str | None
    adopters: Sequence[tuple[str, str | None, bool | None]]
    problems: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, form: Mapping[str, str]) -> FamilyInput:
        problems: dict[str, str] = {}
        dates: dict[str, date | None] = {}
        adopters: list[tuple[str, str | None, bool | None]] = []
        for n in ("1", "2"):
            gender = (form.get(f"gender_{n}", "") or "").strip()
            ethnicity = (form.get(f"ethnicity_{n}", "") or "").strip() or None
            disabled_text = (form.get(f"disabled_{n}", "") or "").strip()
            if n == "2" and not (gender or ethnicity or disabled_text):
                continue  # one adopter
            if gender not in rules.ADOPTER_GENDER:
                problems[f"gender_{n}"] = f"Choose the gender of adopter {n}"
            if ethnicity is not None and ethnicity not in codes.ETHNICITIES:
                problems[f"ethnicity_{n}"] = f"Choose the ethnicity of adopter {n} from the list"
            disabled = _yes_no(form, f"disabled_{n}", f"Select yes if adopter {n} has a disability, or no", problems)
            adopters.append((gender, ethnicity, disabled))
        fostering = _yes_no(
            form, "fostering_for_adoption", "Select yes if the adopters are fostering for adoption, or no", problems
        )
        for name, label in FAMILY_DATES:
            dates[name] = _day(
                form, name, label.lower().replace("date ", "the date ", 1), problems, required=name == "enquiry_on"
            )
        for name, before in _AFTER.items():
            day, earlier = dates.get(name), dates.get(before)
            if day is not None and earlier is not None and day < earlier and name not in problems:
                problems[name] = (
                    f"{dict(FAMILY_DATES)[name]} ({long_date(day)}) is before the "
                    f"{dict(FAMILY_DATES)[before].lower()} ({long_date(earlier)})"
                )
        reason = (form.get("reason_left", "") or "").strip() or None
        if dates.get("left_on") is not None and reason not in rules.REASONS_LEFT_PROCESS:
            problems["reason_left"] = "Choose why the adopters left the process"
        elif dates.get("left_on") is None and reason is not None:
            problems["left_on"] = "Enter the date the adopters left the process"
        return cls(dates, fostering, reason, adopters, problems)


def adoptive_families(session: Session) -> dict[str, str]:
    """The families a match may name: {id: reference}, the approved first."""
    return {
        str(f.id): f.reference
        for f in session.scalars(
            select(AdoptiveFamily).order_by(AdoptiveFamily.approved_on.is_(None), AdoptiveFamily.reference)
        )
    }


@dataclass(frozen=True)
class FamilyRow:
    family: AdoptiveFamily
    adopters: int
    children_matched: int


def families(session: Session, database: Database, user: User) -> list[FamilyRow]:
    """Every prospective adoptive family, those still in the process first. Audited as a list."""
    access.require_role(database, user, Kind.ADOPTERS, Action.LIST)
    counts = dict(session.execute(select(Adopter.family_id, func.count()).group_by(Adopter.family_id)).all())
    matched = dict(
        session.execute(
            select(AdoptionDecision.family_id, func.count())
            .where(AdoptionDecision.family_id.is_not(None))
            .group_by(AdoptionDecision.family_id)
        ).all()
    )
    rows = [
        FamilyRow(f, counts.get(f.id, 0), matched.get(f.id, 0))
        for f in session.scalars(
            select(AdoptiveFamily).order_by(AdoptiveFamily.left_on.is_not(None), AdoptiveFamily.reference)
        )
    ]
    audit.record(session, access.actor_of(user), "list", str(Kind.ADOPTERS), detail={"count": len(rows)})
    return rows


def family(
    session: Session, database: Database, user: User, family_id: int, action: Action = Action.VIEW
) -> AdoptiveFamily:
    access.require_role(database, user, Kind.ADOPTERS, action)
    row = session.get(AdoptiveFamily, family_id)
    if row is None:
        raise NotFound("There is no such adoptive family.")
    return row


def family_fields(row: AdoptiveFamily) -> list[SavedField]:
    return [
        SavedField(name, label, getattr(row, name).isoformat() if getattr(row, name) else "", is_date=True)
        for name, label in FAMILY_DATES
    ]


def family_form(session: Session, row: AdoptiveFamily) -> dict[str, str]:
    form = {"version": str(row.version)}
    for name, _label in FAMILY_DATES:
        value = getattr(row, name)
        form[name] = value.isoformat() if value else ""
    form["fostering_for_adoption"] = {True: "yes", False: "no", None: ""}[row.fostering_for_adoption]
    form["reason_left"] = row.reason_left or ""
    adopters = session.scalars(select(Adopter).where(Adopter.family_id == row.id).order_by(Adopter.id)).all()
    for n, a in enumerate(adopters, start=1):
        form[f"gender_{n}"] = a.gender
        form[f"ethnicity_{n}"] = a.ethnicity or ""
        form[f"disabled_{n}"] = {True: "yes", False: "no", None: ""}[a.disabled]
    return form


def _next_reference(session: Session) -> str:
    latest = session.scalar(select(func.max(AdoptiveFamily.id))) or 0
    return f"AF{latest + 1:05d}"


def save_family(
    session: Session,
    database: Database,
    user: User,
    data: FamilyInput,
    *,
    family_id: int | None = None,
    expected_version: int | None = None,
) -> AdoptiveFamily:
    """A new family of prospective adopters, or a change to one (its dates, its adopters). The second of two editors
    is told and keeps what they typed."""
    if family_id is None:
        access.require_role(database, user, Kind.ADOPTERS, Action.CREATE)
        row = AdoptiveFamily(reference=_next_reference(session), recorded_by_id=user.id)
    else:
        row = family(session, database, user, family_id, Action.UPDATE)
        record_versions.check_version(session, "adoptive_family", row, expected_version, family_fields(row))
    service._fail(data.problems)
    for name, _label in FAMILY_DATES:
        setattr(row, name, data.dates.get(name))
    row.fostering_for_adoption, row.reason_left = data.fostering_for_adoption, data.reason_left
    if family_id is None:
        session.add(row)
    try:
        session.flush()
    except StaleDataError as exc:
        raise record_versions.conflict(session, "adoptive_family", row, family_fields(row)) from exc
    for old in session.scalars(select(Adopter).where(Adopter.family_id == row.id)):
        session.delete(old)
    for gender, ethnicity, disabled in data.adopters:
        session.add(Adopter(family_id=row.id, gender=gender, ethnicity=ethnicity, disabled=disabled))
    session.flush()
    audit.record(session, access.actor_of(user), "create" if family_id is None else "update", "adoptive_family", row.id)
    return row
