"""Use-cases of care leavers: opening a care leaver's record and naming the personal adviser, the adviser's contacts,
the needs assessment, the pathway plan and its reviews, the OC3 facts at the birthdays, the care leaver's page and
the adviser's list.

Every call asks the access policy (``Kind.CARE_LEAVER``: a personal adviser reaches only the care leavers named to
them, ``core.access.ALLOCATED_ONLY``) and is audited; every write derives the young person's deadlines again
(``timescales.service.recompute_for_child``) in the same transaction. Fields are read with ``core.form_fields`` so
every message names its field; no question is answered for the user (yes/no and in-touch questions have no default).

The periods of care the eligibility is worked out from: ``periods_of`` reads the children-in-care record's periods
(``service.periods_of_care``) and, for care that is not on this system, the "left care" fact on the care leaver's
record (date left care, and weeks looked after since 14).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from safeguarding.children_in_care import care_leavers as rules
from safeguarding.children_in_care.care_leaver_models import (
    CONTACT_METHOD_LABELS,
    AdviserContact,
    CareLeaver,
    ContactMethod,
    NeedsAssessment,
    Oc3Record,
    PathwayPlan,
    PathwayPlanReview,
)
from safeguarding.children_in_care.care_leaver_timescale_events import ADVISER_RULES
from safeguarding.children_in_care.models import CarePeriod
from safeguarding.core import access
from safeguarding.core.access import AccessSubject, Action, Kind
from safeguarding.core.audit import record
from safeguarding.core.calendar import today_in_london
from safeguarding.core.db import Database
from safeguarding.core.errors import NotFound, ValidationFailed
from safeguarding.core.form_fields import date_field, record_id, text_field
from safeguarding.core.record_versions import check_version
from safeguarding.core.users import Role, User
from safeguarding.people.models import Person
from safeguarding.timescales.models import Deadline
from safeguarding.timescales.rules import State, state_of
from safeguarding.timescales.service import DueRow, deadlines_of_child, recompute_for_child

TEXT_LIMIT = 10_000
YES_NO = (("yes", "Yes"), ("no", "No"))


# The children-in-care record's periods of care, joined by the lead at merge (care_leavers.PeriodsOfCare). None:
# the "left care" fact on the care leaver's record is used.
def recorded_periods_of_each(session: Session, person_ids: list[int]) -> dict[int, list[rules.PeriodOfCare]]:
    """The periods of care on the children-in-care record, for several young people in one statement. Its
    ``ended_on`` is the last day looked after (``service.PeriodOfCare.looked_after_on``); a care leaver's period
    ends on the first day out of care."""
    periods: dict[int, list[rules.PeriodOfCare]] = {}
    if not person_ids:
        return periods
    rows = session.execute(
        select(CarePeriod.person_id, CarePeriod.started_on, CarePeriod.ended_on)
        .where(CarePeriod.person_id.in_(person_ids))
        .order_by(CarePeriod.person_id, CarePeriod.started_on, CarePeriod.id)
    )
    for person_id, started_on, ended_on in rows:
        end = ended_on + timedelta(days=1) if ended_on else None
        periods.setdefault(person_id, []).append(rules.PeriodOfCare(started_on, end))
    return periods


def periods_of(
    session: Session, leaver: CareLeaver, recorded: list[rules.PeriodOfCare] | None = None
) -> list[rules.PeriodOfCare]:
    """The young person's periods of care: from the children-in-care record where it holds them (``recorded``, when
    the caller read them for several at once), else the fact recorded on the care leaver's record (care that is not
    on this system: another council's, or before it)."""
    if recorded is None:
        recorded = recorded_periods_of_each(session, [leaver.person_id]).get(leaver.person_id, [])
    if recorded:
        return recorded
    born = leaver.person.date_of_birth
    if born is None:
        return []
    noted = leaver.created_at.date() if leaver.created_at else today_in_london()
    return rules.periods_from_fact(born, leaver.left_care_on, leaver.weeks_looked_after_since_14, noted)


def subject_of(leaver: CareLeaver) -> AccessSubject:
    return AccessSubject(
        Kind.CARE_LEAVER,
        leaver.id,
        person_ids=(leaver.person_id,),
        allocated_user_ids=(leaver.personal_adviser_id,) if leaver.personal_adviser_id else (),
    )


def _leaver(session: Session, leaver_id: int) -> CareLeaver:
    leaver = session.get(CareLeaver, leaver_id)
    if leaver is None:
        raise NotFound("There is no such care leaver.")
    return leaver


def care_leaver_of(session: Session, database: Database, user: User, person_id: int) -> CareLeaver:
    """The care leaver's record of a person (a deadline's page links here by the person), within access."""
    leaver = session.scalar(select(CareLeaver).where(CareLeaver.person_id == person_id))
    if leaver is None:
        raise NotFound("There is no care leaver record for this person.")
    _require(session, database, user, Action.VIEW, leaver)
    return leaver


def _require(session: Session, database: Database, user: User, action: Action, leaver: CareLeaver) -> None:
    access.require(session, database, user, action, subject_of(leaver))


def _yes_no(raw: str | None, name: str, question: str, errors: dict[str, str]) -> bool | None:
    value = (raw or "").strip()
    if value not in ("yes", "no"):
        errors[name] = f"Select yes if {question}, or no"
        return None
    return value == "yes"


def _choice(raw: str | None, name: str, options: Mapping[str, str], message: str, errors: dict[str, str]) -> str | None:
    value = (raw or "").strip()
    if value not in options:
        errors[name] = message
        return None
    return value


def advisers(session: Session) -> list[User]:
    return list(
        session.scalars(
            select(User).where(User.role == Role.PERSONAL_ADVISER.value, User.active.is_(True)).order_by(User.full_name)
        )
    )


# --- opening a care leaver's record ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenInput:
    person_id: int
    adviser_id: int
    adviser_named_on: date
    left_care_on: date | None
    weeks: int

    @classmethod
    def read(cls, form: Mapping[str, str], session: Session) -> OpenInput:
        errors: dict[str, str] = {}
        person_id = record_id(form.get("person_id"))
        if person_id is None or session.get(Person, person_id) is None:
            errors["person_id"] = "Find and choose the young person"
        adviser_id = record_id(form.get("adviser_id"))
        if adviser_id is None or adviser_id not in {u.id for u in advisers(session)}:
            errors["adviser_id"] = "Choose the personal adviser"
        named_on = date_field(
            form.get("adviser_named_on"), "adviser_named_on", "the date the adviser was named", errors
        )
        still = _yes_no(
            form.get("still_looked_after"), "still_looked_after", "the young person is still looked after", errors
        )
        left_on = None
        if still is False:
            left_on = date_field(form.get("left_care_on"), "left_care_on", "the date they left care", errors)
        weeks_text = (form.get("weeks") or "").strip()
        weeks = None
        if not weeks_text:
            errors["weeks"] = "Enter the weeks looked after since their 14th birthday"
        elif not weeks_text.isdigit() or int(weeks_text) > 600:
            errors["weeks"] = "Weeks looked after since their 14th birthday must be a whole number from 0 to 600"
        else:
            weeks = int(weeks_text)
        if errors:
            raise ValidationFailed(errors)
        assert person_id is not None and adviser_id is not None and named_on is not None and weeks is not None
        return cls(person_id, adviser_id, named_on, left_on, weeks)


def open_care_leaver(session: Session, database: Database, user: User, form: Mapping[str, str]) -> CareLeaver:
    """A team manager opens a young person's care leaver record, naming their personal adviser."""
    access.require(session, database, user, Action.CREATE, AccessSubject(Kind.CARE_LEAVER))
    data = OpenInput.read(form, session)
    person = session.get(Person, data.person_id)
    assert person is not None
    access.require(session, database, user, Action.CREATE, AccessSubject(Kind.CARE_LEAVER, person_ids=(person.id,)))
    today = today_in_london()
    errors: dict[str, str] = {}
    if session.scalar(select(CareLeaver.id).where(CareLeaver.person_id == person.id)) is not None:
        errors["person_id"] = f"{person.full_name} already has a care leaver record"
    elif person.date_of_birth is None:
        errors["person_id"] = f"Record {person.full_name}'s date of birth before opening a care leaver record"
    else:
        recorded = recorded_periods_of_each(session, [person.id]).get(person.id, [])
        periods = recorded or rules.periods_from_fact(person.date_of_birth, data.left_care_on, data.weeks, today)
        status = rules.eligibility(person.date_of_birth, periods, today)
        if not status.is_care_leaver:
            errors["weeks"] = f"{person.full_name} is not a care leaver today. {status.reason}"
        if data.left_care_on is not None and data.left_care_on < person.date_of_birth:
            errors["left_care_on"] = "The date they left care must be after their date of birth"
    if errors:
        raise ValidationFailed(errors)
    leaver = CareLeaver(
        person_id=person.id,
        personal_adviser_id=data.adviser_id,
        adviser_named_on=data.adviser_named_on,
        left_care_on=data.left_care_on,
        weeks_looked_after_since_14=data.weeks,
        created_by_id=user.id,
    )
    session.add(leaver)
    session.flush()
    record(
        session,
        access.actor_of(user),
        "create",
        "care_leaver",
        leaver.id,
        person_id=person.id,
        detail={"adviser_id": data.adviser_id},
    )
    recompute_for_child(session, person.id)
    return leaver


def change_adviser(
    session: Session, database: Database, user: User, leaver_id: int, form: Mapping[str, str]
) -> CareLeaver:
    """A team manager names another personal adviser (the version read is compared: a second editor is told)."""
    leaver = _leaver(session, leaver_id)
    _require(session, database, user, Action.MANAGE, leaver)
    errors: dict[str, str] = {}
    adviser_id = record_id(form.get("adviser_id"))
    if adviser_id is None or adviser_id not in {u.id for u in advisers(session)}:
        errors["adviser_id"] = "Choose the personal adviser"
    named_on = date_field(form.get("adviser_named_on"), "adviser_named_on", "the date the adviser was named", errors)
    if errors:
        raise ValidationFailed(errors)
    check_version(session, "care_leaver", leaver, record_id(form.get("version")))
    before = leaver.personal_adviser_id
    leaver.personal_adviser_id = adviser_id
    leaver.adviser_named_on = named_on
    session.flush()
    record(
        session,
        access.actor_of(user),
        "update",
        "care_leaver",
        leaver.id,
        person_id=leaver.person_id,
        detail={"adviser_from": before, "adviser_to": adviser_id},
    )
    recompute_for_child(session, leaver.person_id)
    return leaver


# --- the personal adviser's work -------------------------------------------------------------------------------


def record_contact(
    session: Session, database: Database, user: User, leaver_id: int, form: Mapping[str, str]
) -> AdviserContact:
    """A contact by the personal adviser: the date, whether the young person was in touch, how, and a note."""
    leaver = _leaver(session, leaver_id)
    _require(session, database, user, Action.UPDATE, leaver)
    errors: dict[str, str] = {}
    on = date_field(form.get("contact_on"), "contact_on", "the date of the contact", errors)
    in_touch = _yes_no(form.get("in_touch"), "in_touch", "you were in touch with the young person", errors)
    method = _choice(
        form.get("method"),
        "method",
        {m.value: label for m, label in CONTACT_METHOD_LABELS.items()},
        "Select how the contact was made",
        errors,
    )
    note = text_field(form.get("note"), "note", "what happened", errors, limit=TEXT_LIMIT, required=False)
    _not_in_the_future(on, "contact_on", "The date of the contact", errors)
    if errors:
        raise ValidationFailed(errors)
    assert on is not None and in_touch is not None and method is not None
    contact = AdviserContact(
        care_leaver_id=leaver.id,
        person_id=leaver.person_id,
        contact_on=on,
        in_touch=in_touch,
        method=ContactMethod(method),
        note=note,
        recorded_by_id=user.id,
    )
    session.add(contact)
    session.flush()
    _audit_change(session, user, "care_leaver_contact", contact.id, leaver)
    recompute_for_child(session, leaver.person_id)
    return contact


def record_assessment(
    session: Session, database: Database, user: User, leaver_id: int, form: Mapping[str, str]
) -> NeedsAssessment:
    leaver = _leaver(session, leaver_id)
    _require(session, database, user, Action.UPDATE, leaver)
    errors: dict[str, str] = {}
    on = date_field(form.get("completed_on"), "completed_on", "the date the assessment was completed", errors)
    views = text_field(
        form.get("young_person_views"), "young_person_views", "the young person's views", errors, limit=TEXT_LIMIT
    )
    needs = text_field(form.get("needs"), "needs", "the needs assessed", errors, limit=TEXT_LIMIT)
    _not_in_the_future(on, "completed_on", "The date the assessment was completed", errors)
    if errors:
        raise ValidationFailed(errors)
    assert on is not None and views is not None and needs is not None
    assessment = NeedsAssessment(
        care_leaver_id=leaver.id,
        person_id=leaver.person_id,
        completed_on=on,
        young_person_views=views,
        needs=needs,
        recorded_by_id=user.id,
    )
    session.add(assessment)
    session.flush()
    _audit_change(session, user, "needs_assessment", assessment.id, leaver)
    recompute_for_child(session, leaver.person_id)
    return assessment


def record_plan(
    session: Session, database: Database, user: User, leaver_id: int, form: Mapping[str, str]
) -> PathwayPlan:
    leaver = _leaver(session, leaver_id)
    _require(session, database, user, Action.UPDATE, leaver)
    errors: dict[str, str] = {}
    on = date_field(form.get("prepared_on"), "prepared_on", "the date the plan was prepared", errors)
    text = text_field(form.get("plan"), "plan", "the plan", errors, limit=TEXT_LIMIT)
    _not_in_the_future(on, "prepared_on", "The date the plan was prepared", errors)
    if on is not None and "prepared_on" not in errors and not leaver.assessments:
        errors["prepared_on"] = "Record the needs assessment first: the pathway plan is prepared from it"
    if errors:
        raise ValidationFailed(errors)
    assert on is not None and text is not None
    plan = PathwayPlan(
        care_leaver_id=leaver.id, person_id=leaver.person_id, prepared_on=on, plan=text, recorded_by_id=user.id
    )
    session.add(plan)
    session.flush()
    _audit_change(session, user, "pathway_plan", plan.id, leaver)
    recompute_for_child(session, leaver.person_id)
    return plan


def record_review(
    session: Session, database: Database, user: User, leaver_id: int, form: Mapping[str, str]
) -> PathwayPlanReview:
    """A review of the current pathway plan (the latest prepared)."""
    leaver = _leaver(session, leaver_id)
    _require(session, database, user, Action.UPDATE, leaver)
    errors: dict[str, str] = {}
    on = date_field(form.get("reviewed_on"), "reviewed_on", "the date of the review", errors)
    took_part = _yes_no(form.get("took_part"), "took_part", "the young person took part in the review", errors)
    outcome = text_field(form.get("outcome"), "outcome", "what the review decided", errors, limit=TEXT_LIMIT)
    _not_in_the_future(on, "reviewed_on", "The date of the review", errors)
    plan = leaver.plans[-1] if leaver.plans else None
    if plan is None:
        errors.setdefault("reviewed_on", "Record the pathway plan before its review")
    elif on is not None and "reviewed_on" not in errors and on < plan.prepared_on:
        errors["reviewed_on"] = "The date of the review must be on or after the day the plan was prepared"
    if errors:
        raise ValidationFailed(errors)
    assert on is not None and took_part is not None and outcome is not None and plan is not None
    review = PathwayPlanReview(
        plan_id=plan.id,
        person_id=leaver.person_id,
        reviewed_on=on,
        young_person_took_part=took_part,
        outcome=outcome,
        recorded_by_id=user.id,
    )
    session.add(review)
    session.flush()
    _audit_change(session, user, "pathway_plan_review", review.id, leaver)
    recompute_for_child(session, leaver.person_id)
    return review


def record_oc3(session: Session, database: Database, user: User, leaver_id: int, form: Mapping[str, str]) -> Oc3Record:
    """The OC3 facts at one of the 17th to 21st birthdays, as the DfE's codes: in touch, and when in touch the
    activity and the accommodation with its suitability. The day must be in the birthday's window."""
    leaver = _leaver(session, leaver_id)
    _require(session, database, user, Action.UPDATE, leaver)
    born = leaver.person.date_of_birth
    errors: dict[str, str] = {}
    age = _choice(
        form.get("age"), "age", {str(a): str(a) for a in rules.OC3_AGES}, "Select which birthday this is about", errors
    )
    on = date_field(form.get("recorded_on"), "recorded_on", "the date the information is about", errors)
    in_touch = _choice(
        form.get("oc3_in_touch"), "oc3_in_touch", rules.IN_TOUCH, "Select whether you are in touch", errors
    )
    activity = kind = suitable = None
    if in_touch == "YES":
        activity = _choice(form.get("activity"), "activity", rules.ACTIVITY, "Select what they are doing", errors)
        kind = _choice(
            form.get("accommodation"),
            "accommodation",
            {**rules.ACCOMMODATION_TYPES, rules.ACCOMMODATION_NOT_KNOWN: "No information"},
            "Select where they live",
            errors,
        )
        if kind == rules.STAYING_PUT and age == str(rules.NOT_STAYING_PUT_AT):
            errors["accommodation"] = (
                "At their 17th birthday a young person cannot be staying put with former foster carers: staying "
                "put begins at 18. Select where they live now"
            )
        elif kind not in (None, rules.ACCOMMODATION_NOT_KNOWN):
            suitable = _choice(
                form.get("suitable"),
                "suitable",
                rules.SUITABILITY,
                "Select whether the accommodation is suitable",
                errors,
            )
    _not_in_the_future(on, "recorded_on", "The date the information is about", errors)
    if age is not None and on is not None and born is not None and "recorded_on" not in errors:
        opens, closes = rules.oc3_window(born, int(age))
        if not opens <= on <= closes:
            errors["recorded_on"] = (
                f"The date the information is about must be from {opens:%-d %B %Y} to {closes:%-d %B %Y}: three "
                f"months before to a month after their {age}th birthday"
            )
    if errors:
        raise ValidationFailed(errors)
    assert age is not None and on is not None and in_touch is not None
    accommodation = None
    if kind == rules.ACCOMMODATION_NOT_KNOWN:
        accommodation = kind
    elif kind is not None and suitable is not None:
        accommodation = rules.accommodation_code(kind, suitable)
    existing = next((f for f in leaver.oc3_facts if f.age == int(age)), None)
    if existing is not None:
        # The form carries the version of each birthday's facts it showed: someone else's save since is not lost.
        check_version(session, "care_leaver_oc3", existing, record_id(form.get(f"version_{age}")))
        fact = existing
    else:
        fact = Oc3Record(care_leaver_id=leaver.id, person_id=leaver.person_id, age=int(age))
        session.add(fact)
    fact.recorded_on, fact.in_touch, fact.activity, fact.accommodation = on, in_touch, activity, accommodation
    fact.recorded_by_id = user.id
    session.flush()
    _audit_change(
        session,
        user,
        "care_leaver_oc3",
        fact.id,
        leaver,
        detail={"age": int(age)},
        action="update" if existing else "create",
    )
    return fact


def _not_in_the_future(on: date | None, name: str, noun: str, errors: dict[str, str]) -> None:
    if on is not None and name not in errors and on > today_in_london():
        errors[name] = f"{noun} must be today or in the past"


def _audit_change(
    session: Session,
    user: User,
    kind: str,
    record_id_: int,
    leaver: CareLeaver,
    detail: dict[str, object] | None = None,
    action: str = "create",
) -> None:
    record(
        session,
        access.actor_of(user),
        action,
        kind,
        record_id_,
        person_id=leaver.person_id,
        detail={"care_leaver": leaver.id, **(detail or {})},
    )


# --- reading ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Oc3Line:
    """One of the 17th to 21st birthdays: its window and what was recorded for it."""

    age: int
    birthday: date
    opens: date
    closes: date
    fact: Oc3Record | None


@dataclass(frozen=True)
class CareLeaverView:
    leaver: CareLeaver
    status: rules.Eligibility
    deadlines: list[DueRow]
    oc3: list[Oc3Line]
    adviser_name: str


def view_care_leaver(
    session: Session, database: Database, user: User, leaver_id: int, *, today: date | None = None
) -> CareLeaverView:
    leaver = _leaver(session, leaver_id)
    _require(session, database, user, Action.VIEW, leaver)
    today = today or today_in_london()
    born = leaver.person.date_of_birth
    status = (
        rules.eligibility(born, periods_of(session, leaver), today)
        if born is not None
        else rules.Eligibility(
            rules.Category.NONE, "The date of birth is not recorded.", rules.SOURCES[rules.Category.NONE]
        )
    )
    # Only the clocks of the care leaver's pathway: an adviser does not read the social worker's case deadlines.
    deadlines = [
        row
        for row in deadlines_of_child(session, user, leaver.person_id, with_history=False, today=today).open
        if row.rule.id in ADVISER_RULES
    ]
    oc3: list[Oc3Line] = []
    if born is not None:
        facts = {f.age: f for f in leaver.oc3_facts}
        for age in rules.OC3_AGES:
            opens, closes = rules.oc3_window(born, age)
            oc3.append(Oc3Line(age, rules.birthday(born, age), opens, closes, facts.get(age)))
    adviser = session.get(User, leaver.personal_adviser_id) if leaver.personal_adviser_id else None
    record(session, access.actor_of(user), "view", "care_leaver", leaver.id, person_id=leaver.person_id)
    return CareLeaverView(leaver, status, deadlines, oc3, adviser.full_name if adviser else "Not named")


@dataclass(frozen=True)
class CareLeaverLine:
    """A care leaver on the list: who, their category, the adviser, and the next visit due."""

    id: int
    name: str
    born: date | None
    category: rules.Category
    adviser: str
    visit_due: date | None
    visit_state: State | None
    last_contact: date | None


def list_care_leavers(
    session: Session, database: Database, user: User, *, today: date | None = None
) -> list[CareLeaverLine]:
    """A personal adviser's own care leavers (a team manager: every open one), the visit most overdue first."""
    access.require_role(database, user, Kind.CARE_LEAVER, Action.LIST)
    today = today or today_in_london()
    query = select(CareLeaver).where(CareLeaver.ended_on.is_(None))
    if Role(user.role) == Role.PERSONAL_ADVISER:
        query = query.where(CareLeaver.personal_adviser_id == user.id)
    leavers = list(session.scalars(query))
    ids = [leaver.person_id for leaver in leavers]
    visits = (
        dict(
            session.execute(
                select(Deadline.person_id, func.min(Deadline.due_on))
                .where(Deadline.person_id.in_(ids), Deadline.rule_id == "pa-contact", Deadline.met_on.is_(None))
                .group_by(Deadline.person_id)
            ).all()
        )
        if ids
        else {}
    )
    last = (
        dict(
            session.execute(
                select(AdviserContact.care_leaver_id, func.max(AdviserContact.contact_on))
                .where(
                    AdviserContact.care_leaver_id.in_([leaver.id for leaver in leavers]),
                    AdviserContact.in_touch.is_(True),
                )
                .group_by(AdviserContact.care_leaver_id)
            ).all()
        )
        if leavers
        else {}
    )
    locked = access.locked_for(session, user, ids)
    names = {u.id: u.full_name for u in advisers(session)}
    recorded = recorded_periods_of_each(session, [leaver.person_id for leaver in leavers])
    lines: list[CareLeaverLine] = []
    for leaver in leavers:
        born = leaver.person.date_of_birth
        periods = periods_of(session, leaver, recorded.get(leaver.person_id, []))
        status = rules.eligibility(born, periods, today) if born else None
        due = visits.get(leaver.person_id)
        hidden = leaver.person_id in locked
        lines.append(
            CareLeaverLine(
                leaver.id,
                "Restricted record" if hidden else leaver.person.full_name,
                None if hidden else born,
                status.category if status else rules.Category.NONE,
                names.get(leaver.personal_adviser_id or 0, "Not named"),
                due,
                state_of(due, None, today) if due else None,
                last.get(leaver.id),
            )
        )
    lines.sort(key=lambda line: (line.visit_due or date.max, line.name))
    record(session, access.actor_of(user), "list", "care_leaver", detail={"shown": len(lines)})
    return lines
