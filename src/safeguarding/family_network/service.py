"""Use-cases of the family network: the FGDM offer and the family network meeting with its family plan,
pre-proceedings in the child's episode of need, kinship arrangements and the support offered from the kinship local
offer, and the page that shows them on the child's record.

Every call asks the access policy through case work (``casework.case_access``: the case's policy, then the
allocation scope, so a social worker changes only the children allocated to them) and is audited; services never
commit. Fields are read with ``core.form_fields`` so every message names its field; no fact question has an answer
set for the user (yes/no and the answer to an offer are radios that start unanswered). Edits carry the version the
form was read at: a second editor is told and keeps what they typed (``core.record_versions``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeguarding.casework.case_access import (
    audit,
    case_subject,
    flush,
    may_each,
    person_of,
    require,
)
from safeguarding.casework.episode import latest_referral
from safeguarding.casework.models import Referral
from safeguarding.core import access, local_settings
from safeguarding.core.access import Action
from safeguarding.core.audit import record
from safeguarding.core.calendar import today_in_london
from safeguarding.core.dates import long_date
from safeguarding.core.db import Database
from safeguarding.core.errors import NotFound, ValidationFailed
from safeguarding.core.form_fields import date_field, record_id, text_field
from safeguarding.core.record_versions import SavedField, check_version
from safeguarding.core.users import User
from safeguarding.family_network import rules
from safeguarding.family_network.models import (
    FamilyNetworkMeeting,
    FgdmOffer,
    KinshipArrangement,
    KinshipSupport,
    PreProceedings,
)
from safeguarding.people.family import add_relationship
from safeguarding.people.models import FamilyRelationship, Person, RelationshipKind
from safeguarding.people.records import may_open

LOCAL_OFFER_SETTING = "kinship.local_offer"


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


def _not_future(day: date | None, name: str, noun: str, errors: dict[str, str]) -> None:
    if day is not None and name not in errors and day > today_in_london():
        errors[name] = f"{noun} must be today or in the past"


def _require_write(session: Session, database: Database, user: User, person_id: int, action: Action) -> Person:
    person = person_of(session, person_id)
    require(session, database, user, action, case_subject(session, person_id))
    return person


def may_write(session: Session, database: Database, user: User, person_id: int) -> Person:
    """The forms' pages: whoever may record on the child's case (refusals audited). A form shows the child and what
    is recorded about them, so opening one is audited as a read of the child's record."""
    person = _require_write(session, database, user, person_id, Action.CREATE)
    record(session, access.actor_of(user), "view", "family_network_form", person_id, person_id=person_id)
    return person


def local_offer(session: Session) -> list[str]:
    """The items of the council's kinship local offer (local setting ``kinship.local_offer``)."""
    return list(local_settings.get(session, LOCAL_OFFER_SETTING))


# --- the page ------------------------------------------------------------------------------------------------------


@dataclass
class FamilyNetworkView:
    person: Person
    offers: list[FgdmOffer]
    meetings: list[FamilyNetworkMeeting]
    pre_proceedings: list[PreProceedings]
    arrangements: list[KinshipArrangement]
    may_write: bool
    open_episode: bool
    offer_words: dict[int, str] = field(default_factory=dict)


def family_network(session: Session, database: Database, user: User, person_id: int) -> FamilyNetworkView:
    person = person_of(session, person_id)
    subject = case_subject(session, person_id)
    require(session, database, user, Action.VIEW, subject)
    writable = may_each(session, user, [(Action.CREATE, subject)])[0]
    offers = list(
        session.scalars(
            select(FgdmOffer).where(FgdmOffer.person_id == person_id).order_by(FgdmOffer.offered_on, FgdmOffer.id)
        )
    )
    meetings = list(
        session.scalars(
            select(FamilyNetworkMeeting)
            .where(FamilyNetworkMeeting.person_id == person_id)
            .order_by(FamilyNetworkMeeting.held_on, FamilyNetworkMeeting.id)
        )
    )
    pre = list(
        session.scalars(
            select(PreProceedings)
            .where(PreProceedings.person_id == person_id)
            .order_by(PreProceedings.decided_on, PreProceedings.id)
        )
    )
    arrangements = list(
        session.scalars(
            select(KinshipArrangement)
            .where(KinshipArrangement.person_id == person_id)
            .order_by(KinshipArrangement.started_on, KinshipArrangement.id)
        )
    )
    current = latest_referral(session, person_id)
    audit(session, user, "view", "family_network", person_id, person_id)
    return FamilyNetworkView(
        person,
        offers,
        meetings,
        pre,
        arrangements,
        writable,
        current is not None and current.closed_date is None,
        {o.id: f"offered {long_date(o.offered_on)}" for o in offers},
    )


# --- the FGDM offer and the family network meeting -------------------------------------------------------------------


def record_offer(
    session: Session, database: Database, user: User, person_id: int, form: Mapping[str, str]
) -> FgdmOffer:
    """An FGDM meeting offered to the parents or those with parental responsibility, with their answer."""
    _require_write(session, database, user, person_id, Action.CREATE)
    errors: dict[str, str] = {}
    offered_on = date_field(form.get("offered_on"), "offered_on", "the date of the offer", errors)
    offered_to = text_field(form.get("offered_to"), "offered_to", "who the meeting was offered to", errors, limit=500)
    in_letter = _yes_no(
        form.get("in_letter_before_proceedings"),
        "in_letter_before_proceedings",
        "the offer was made in the letter before proceedings",
        errors,
    )
    response = _choice(
        form.get("response"), "response", rules.OFFER_RESPONSES, "Select the family's answer to the offer", errors
    )
    reason = text_field(
        form.get("declined_reason"),
        "declined_reason",
        "why the family declined",
        errors,
        limit=rules.TEXT_MAX,
        required=response == "declined",
    )
    _not_future(offered_on, "offered_on", "The date of the offer", errors)
    if errors:
        raise ValidationFailed(errors)
    assert offered_on is not None and offered_to is not None and in_letter is not None and response is not None
    offer = FgdmOffer(
        person_id=person_id,
        offered_on=offered_on,
        offered_to=offered_to,
        in_letter_before_proceedings=in_letter,
        response=response,
        declined_reason=reason if response == "declined" else None,
        recorded_by_id=user.id,
    )
    session.add(offer)
    flush(session)
    audit(session, user, "create", "fgdm_offer", offer.id, person_id, response=response)
    return offer


def accepted_offers(session: Session, person_id: int) -> dict[str, str]:
    """The offers a meeting may be arranged from, as form options (id: words)."""
    rows = session.scalars(
        select(FgdmOffer)
        .where(FgdmOffer.person_id == person_id, FgdmOffer.response == "accepted")
        .order_by(FgdmOffer.offered_on)
    )
    return {str(o.id): f"Offer of {long_date(o.offered_on)} to {o.offered_to}" for o in rows}


def record_meeting(
    session: Session, database: Database, user: User, person_id: int, form: Mapping[str, str]
) -> FamilyNetworkMeeting:
    """A family network meeting held: who came and the family plan it made."""
    _require_write(session, database, user, person_id, Action.CREATE)
    errors: dict[str, str] = {}
    held_on = date_field(form.get("held_on"), "held_on", "the date of the meeting", errors)
    offers = accepted_offers(session, person_id)
    offer_text = (form.get("offer_id") or "").strip()
    offer_id = None
    if offer_text:
        if offer_text not in offers:
            errors["offer_id"] = "Select an accepted offer, or leave it blank"
        else:
            offer_id = int(offer_text)
    who_came = text_field(form.get("who_came"), "who_came", "who came", errors, limit=rules.TEXT_MAX)
    plan = text_field(form.get("family_plan"), "family_plan", "the family plan", errors, limit=rules.TEXT_MAX)
    _not_future(held_on, "held_on", "The date of the meeting", errors)
    if offer_id is not None and held_on is not None and "held_on" not in errors:
        offer = session.get(FgdmOffer, offer_id)
        if offer is not None and held_on < offer.offered_on:
            errors["held_on"] = f"The meeting must be on or after the offer of {long_date(offer.offered_on)}"
    if errors:
        raise ValidationFailed(errors)
    assert held_on is not None and who_came is not None and plan is not None
    meeting = FamilyNetworkMeeting(
        person_id=person_id,
        offer_id=offer_id,
        held_on=held_on,
        who_came=who_came,
        family_plan=plan,
        recorded_by_id=user.id,
    )
    session.add(meeting)
    flush(session)
    audit(session, user, "create", "family_network_meeting", meeting.id, person_id)
    return meeting


# --- pre-proceedings -----------------------------------------------------------------------------------------------

PP_FIELDS = (
    ("decided_on", "Date of the decision to start pre-proceedings"),
    ("letter_sent_on", "Date the letter before proceedings was sent"),
    ("first_meeting_on", "Date of the first pre-proceedings meeting"),
    ("review_meetings", "Review meetings held after the first meeting"),
    ("step_decided_on", "Date of the decision to step up or down"),
    ("outcome", "Outcome"),
    ("court_application_on", "Date of the court application"),
    ("proceedings_letter_on", "Date of the letter saying care proceedings are issued"),
    ("notes", "Notes"),
)
PP_DATES = frozenset(name for name, _ in PP_FIELDS if name.endswith("_on"))


def pre_proceedings_of(session: Session, person_id: int, pp_id: int) -> PreProceedings:
    row = session.get(PreProceedings, pp_id)
    if row is None or row.person_id != person_id:
        raise NotFound("There is no such pre-proceedings record for this child.")
    return row


def pp_values(row: PreProceedings) -> dict[str, str]:
    """A saved pre-proceedings as its form's fields."""
    values: dict[str, str] = {"version": str(row.version)}
    for name, _ in PP_FIELDS:
        value: Any = getattr(row, name)
        values[name] = "" if value is None else value.isoformat() if isinstance(value, date) else str(value)
    return values


def _pp_saved(row: PreProceedings) -> list[SavedField]:
    values = pp_values(row)
    return [
        SavedField(name, label, values[name], dict(rules.PP_OUTCOMES) if name == "outcome" else {}, name in PP_DATES)
        for name, label in PP_FIELDS
    ]


def _review_meetings(raw: str | None, errors: dict[str, str]) -> int | None:
    text = (raw or "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or int(text) > rules.REVIEW_MEETINGS_MAX:
        errors["review_meetings"] = f"Review meetings must be a whole number from 0 to {rules.REVIEW_MEETINGS_MAX}"
        return None
    return int(text)


def record_pre_proceedings(
    session: Session,
    database: Database,
    user: User,
    person_id: int,
    form: Mapping[str, str],
    pp_id: int | None = None,
) -> PreProceedings:
    """Start pre-proceedings in the child's open episode, or add what happened since (``pp_id``): the letter, the
    meetings, the decision to step up or down and its outcome, the application and the letter that follows it."""
    _require_write(session, database, user, person_id, Action.UPDATE if pp_id else Action.CREATE)
    row = pre_proceedings_of(session, person_id, pp_id) if pp_id is not None else None
    if row is not None:
        check_version(session, "pre_proceedings", row, record_id(form.get("version")), _pp_saved(row))
        referral = session.get(Referral, row.referral_id)
    else:
        referral = latest_referral(session, person_id)
        if referral is None or referral.closed_date is not None:
            raise ValidationFailed(
                {"decided_on": "This child has no open episode of need: pre-proceedings start in an open episode"}
            )
    assert referral is not None
    errors: dict[str, str] = {}
    decided = date_field(
        form.get("decided_on"), "decided_on", "the date of the decision to start pre-proceedings", errors
    )

    def optional(name: str, label: str) -> date | None:
        return date_field(form.get(name), name, label, errors, required=False)

    letter = optional("letter_sent_on", "the date the letter before proceedings was sent")
    first = optional("first_meeting_on", "the date of the first pre-proceedings meeting")
    reviews = _review_meetings(form.get("review_meetings"), errors)
    step = optional("step_decided_on", "the date of the decision to step up or down")
    outcome_text = (form.get("outcome") or "").strip()
    outcome = None
    if outcome_text:
        outcome = _choice(outcome_text, "outcome", rules.PP_OUTCOMES, "Select the outcome of pre-proceedings", errors)
    court = optional("court_application_on", "the date of the court application")
    issued = optional("proceedings_letter_on", "the date of the letter saying care proceedings are issued")
    notes = text_field(form.get("notes"), "notes", "notes", errors, limit=rules.TEXT_MAX, required=False)
    if decided is not None and not errors:
        dates = rules.PreProceedingsDates(decided, letter, first, reviews, step, outcome, court, issued)
        errors.update(rules.order_problems(dates, referral.referral_date, today_in_london()))
    if errors:
        raise ValidationFailed(errors)
    assert decided is not None
    if row is None:
        row = PreProceedings(person_id=person_id, referral_id=referral.id, decided_on=decided, recorded_by_id=user.id)
        session.add(row)
    row.decided_on, row.letter_sent_on, row.first_meeting_on = decided, letter, first
    row.review_meetings, row.step_decided_on, row.outcome = reviews, step, outcome
    row.court_application_on, row.proceedings_letter_on, row.notes = court, issued, notes
    flush(session)
    audit(session, user, "update" if pp_id else "create", "pre_proceedings", row.id, person_id, outcome=outcome)
    return row


# --- kinship arrangements and the local offer ------------------------------------------------------------------------

KINSHIP_FIELDS = (
    ("carer_person_id", "The kinship carer"),
    ("carer_relationship", "Their relationship to the child"),
    ("kind", "Type of arrangement"),
    ("started_on", "Date the arrangement started"),
    ("ended_on", "Date the arrangement ended"),
)


def arrangement_of(session: Session, person_id: int, arrangement_id: int) -> KinshipArrangement:
    row = session.get(KinshipArrangement, arrangement_id)
    if row is None or row.person_id != person_id:
        raise NotFound("There is no such kinship arrangement for this child.")
    return row


def arrangement_values(row: KinshipArrangement) -> dict[str, str]:
    values: dict[str, str] = {"version": str(row.version)}
    for name, _ in KINSHIP_FIELDS:
        value: Any = getattr(row, name)
        values[name] = "" if value is None else value.isoformat() if isinstance(value, date) else str(value)
    return values


def _kinship_choices(
    session: Session, user: User, row: KinshipArrangement, name: str, form: Mapping[str, str]
) -> dict[str, str]:
    """How a field reads to a second editor, saved and typed: a code by its label, a carer by their name (never by
    their record number)."""
    if name == "kind":
        return dict(rules.KINSHIP_ARRANGEMENTS)
    if name != "carer_person_id":
        return {}
    carers = {str(row.carer_person_id): row.carer_name} if row.carer_person_id is not None else {}
    typed = record_id(form.get(name))
    chosen = session.get(Person, typed) if typed is not None else None
    if chosen is not None and may_open(session, user, chosen.id):
        carers[str(chosen.id)] = chosen.full_name
    return carers


def _carer(session: Session, user: User, child: Person, raw: str | None, errors: dict[str, str]) -> Person | None:
    """The kinship carer chosen with the person picker: someone in the index this user may open, not the child."""
    carer_id = record_id(raw)
    carer = session.get(Person, carer_id) if carer_id is not None else None
    if carer is None or not may_open(session, user, carer.id):
        errors["carer_person_id"] = "Find and choose the kinship carer: type their name, choose Find, then choose them"
        return None
    if carer.id == child.id:
        errors["carer_person_id"] = "Choose the kinship carer, not the child"
        return None
    return carer


def _carer_tie(session: Session, database: Database, user: User, child: Person, carer: Person, started: date) -> None:
    """The child's family in the person index shows the carer: a carer tie is added unless one is recorded."""
    tie = select(FamilyRelationship.id).where(
        FamilyRelationship.kind == RelationshipKind.CARER,
        FamilyRelationship.from_person_id == carer.id,
        FamilyRelationship.to_person_id == child.id,
        FamilyRelationship.ended.is_(None),
    )
    if session.scalar(tie) is not None:
        return
    try:
        add_relationship(session, database, user, child.id, carer.id, "carer", started)
    except ValidationFailed as problem:  # the index already says otherwise (e.g. the child cares for them)
        raise ValidationFailed(
            {"carer_person_id": f"{carer.full_name}: {next(iter(problem.errors.values()))}"}
        ) from problem


def record_arrangement(
    session: Session,
    database: Database,
    user: User,
    person_id: int,
    form: Mapping[str, str],
    arrangement_id: int | None = None,
) -> KinshipArrangement:
    """A kinship arrangement the child lives in (or a change to it: its end), with the carer chosen from the person
    index. A current arrangement adds the carer to the child's family in the index (a tie ended there, on the
    person's record, as any other)."""
    person = _require_write(session, database, user, person_id, Action.UPDATE if arrangement_id else Action.CREATE)
    row = arrangement_of(session, person_id, arrangement_id) if arrangement_id is not None else None
    if row is not None:
        values = arrangement_values(row)
        saved = [
            SavedField(n, label, values[n], _kinship_choices(session, user, row, n, form), n.endswith("_on"))
            for n, label in KINSHIP_FIELDS
        ]
        check_version(session, "kinship_arrangement", row, record_id(form.get("version")), saved)
    errors: dict[str, str] = {}
    carer = _carer(session, user, person, form.get("carer_person_id"), errors)
    relationship = text_field(
        form.get("carer_relationship"),
        "carer_relationship",
        "their relationship to the child",
        errors,
        limit=rules.NAME_MAX,
    )
    kind = _choice(
        form.get("kind"), "kind", rules.KINSHIP_ARRANGEMENTS, "Select the type of kinship arrangement", errors
    )
    started = date_field(form.get("started_on"), "started_on", "the date the arrangement started", errors)
    ended = date_field(form.get("ended_on"), "ended_on", "the date the arrangement ended", errors, required=False)
    _not_future(started, "started_on", "The date the arrangement started", errors)
    _not_future(ended, "ended_on", "The date the arrangement ended", errors)
    born = person.date_of_birth
    if started is not None and born is not None and "started_on" not in errors and started < born:
        errors["started_on"] = f"The arrangement must start on or after the child's birth on {long_date(born)}"
    if started is not None and ended is not None and "ended_on" not in errors and ended < started:
        errors["ended_on"] = "The date the arrangement ended must be on or after the date it started"
    if errors:
        raise ValidationFailed(errors)
    assert carer is not None and relationship is not None and kind is not None and started is not None
    if row is None:
        row = KinshipArrangement(person_id=person_id, recorded_by_id=user.id)
        session.add(row)
    # The name as it is now, kept for the page and for a second editor (two names can be longer than the column).
    row.carer_person_id, row.carer_name = carer.id, carer.full_name[: rules.NAME_MAX]
    row.carer_relationship = relationship
    row.kind, row.started_on, row.ended_on = kind, started, ended
    flush(session)
    if ended is None:
        _carer_tie(session, database, user, person, carer, started)
    audit(session, user, "update" if arrangement_id else "create", "kinship_arrangement", row.id, person_id, kind=kind)
    return row


def record_support(
    session: Session,
    database: Database,
    user: User,
    person_id: int,
    arrangement_id: int,
    form: Mapping[str, str],
) -> KinshipSupport:
    """An item of the kinship local offer offered to the arrangement's carer, and whether they took it up."""
    _require_write(session, database, user, person_id, Action.UPDATE)
    arrangement = arrangement_of(session, person_id, arrangement_id)
    items = local_offer(session)
    errors: dict[str, str] = {}
    item = _choice(
        form.get("item"), "item", {i: i for i in items}, "Select what was offered from the kinship local offer", errors
    )
    offered_on = date_field(form.get("offered_on"), "offered_on", "the date it was offered", errors)
    taken_up = _yes_no(form.get("taken_up"), "taken_up", "the carer took it up", errors)
    note = text_field(form.get("note"), "note", "the note", errors, limit=rules.TEXT_MAX, required=False)
    _not_future(offered_on, "offered_on", "The date it was offered", errors)
    if offered_on is not None and "offered_on" not in errors and offered_on < arrangement.started_on:
        errors["offered_on"] = (
            f"The date it was offered must be on or after the arrangement started on "
            f"{long_date(arrangement.started_on)}"
        )
    if errors:
        raise ValidationFailed(errors)
    assert item is not None and offered_on is not None and taken_up is not None
    support = KinshipSupport(
        arrangement_id=arrangement.id,
        person_id=person_id,
        item=item,
        offered_on=offered_on,
        taken_up=taken_up,
        note=note,
        recorded_by_id=user.id,
    )
    session.add(support)
    flush(session)
    audit(session, user, "create", "kinship_support", support.id, person_id, arrangement=arrangement.id)
    return support
