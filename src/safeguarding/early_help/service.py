"""Use-cases of early help and Family Help: starting an episode (from a front-door decision "early help", a partner's
request through the portal, or the council's own early help staff), the family's consent and its withdrawal, the
assessment, the family plan and its needs, the team around the family and its meetings, the lead practitioner, and
closure with a reason from the council's list and an outcome for each need; an episode's page, the lists, and a
person's early help history for the MASH and social care.

Every call asks the access policy (``Kind.EARLY_HELP``; a partner reaches only the episodes they lead, and only while
the family's consent to share with their agency stands: ``subject_of``) and is audited; every write derives the
children's deadlines again in the same transaction. Fields are read with ``core.form_fields`` so every message names
its field; no question is answered for the user.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeguarding.core import access, local_settings
from safeguarding.core.access import AccessSubject, Action, Kind
from safeguarding.core.audit import record
from safeguarding.core.calendar import LONDON, today_in_london
from safeguarding.core.db import Database
from safeguarding.core.errors import NotFound, ValidationFailed
from safeguarding.core.form_fields import date_field, record_id, text_field
from safeguarding.core.record_versions import check_version
from safeguarding.core.users import PartnerAgency, Role, User
from safeguarding.early_help import rules
from safeguarding.early_help.models import (
    ConsentScope,
    EarlyHelpAssessment,
    EarlyHelpConsent,
    EarlyHelpEpisode,
    EarlyHelpFamilyMember,
    EarlyHelpLeadPractitioner,
    EpisodeLevel,
    EpisodeSource,
    EpisodeStatus,
    FamilyMemberRole,
    FamilyNeed,
    FamilyPlan,
    MeetingKind,
    NeedOutcome,
    TeamAroundFamilyMeeting,
    TeamAroundFamilyMember,
    WithdrawalResponse,
)
from safeguarding.early_help.timescale_events import CHILD_ROLES, EARLY_HELP_RULES
from safeguarding.front_door import intake
from safeguarding.front_door.models import (
    Channel,
    ConsentPosition,
    Contact,
    DecisionStatus,
    Outcome,
    ReporterKind,
    SubjectRole,
)
from safeguarding.people.models import Person
from safeguarding.people.search import exact_matches
from safeguarding.timescales.models import Deadline
from safeguarding.timescales.service import DuePage, held_for, recompute_for_child

TEXT_LIMIT = 10_000
NAME_LIMIT = 100
LINE_LIMIT = 200
MEMBER_ROWS = 6  # family members the start form offers
YES_NO = (("yes", "Yes"), ("no", "No"))
EARLY_HELP_STAFF = (Role.EARLY_HELP_PRACTITIONER.value, Role.EARLY_HELP_MANAGER.value)
MEMBER_TO_SUBJECT = {
    FamilyMemberRole.CHILD.value: SubjectRole.CHILD,
    FamilyMemberRole.UNBORN_CHILD.value: SubjectRole.CHILD,
    FamilyMemberRole.PARENT.value: SubjectRole.PARENT,
    FamilyMemberRole.CARER.value: SubjectRole.CARER,
    FamilyMemberRole.OTHER_ADULT.value: SubjectRole.HOUSEHOLD_MEMBER,
}
SUBJECT_TO_MEMBER = {
    SubjectRole.CHILD.value: FamilyMemberRole.CHILD,
    SubjectRole.PARENT.value: FamilyMemberRole.PARENT,
    SubjectRole.CARER.value: FamilyMemberRole.CARER,
}


# --- access ------------------------------------------------------------------------------------------------------


def withdrawn_agencies(session: Session, episode_id: int) -> set[int]:
    """The agencies the family has withdrawn their consent to share with (and not given it again)."""
    rows = session.execute(
        select(EarlyHelpConsent.agency_id, EarlyHelpConsent.withdrawn_on).where(
            EarlyHelpConsent.episode_id == episode_id,
            EarlyHelpConsent.scope == ConsentScope.SHARING.value,
            EarlyHelpConsent.agency_id.is_not(None),
        )
    ).all()
    withdrawn = {agency for agency, on in rows if on is not None}
    standing = {agency for agency, on in rows if on is None}
    return {agency for agency in withdrawn - standing if agency is not None}


def subject_of(session: Session, episode: EarlyHelpEpisode) -> AccessSubject:
    """The episode for the policy: its linked people, and its lead practitioner -- a partner only while the family
    has not withdrawn their consent to share with the partner's agency (withdrawn, the partner loses access at
    once; a partner who started the episode holds what their agency asked for until then)."""
    lead: tuple[int, ...] = ()
    if episode.lead_practitioner_id is not None:
        leader = session.get(User, episode.lead_practitioner_id)
        if leader is not None and not (
            leader.is_partner and leader.agency_id in withdrawn_agencies(session, episode.id)
        ):
            lead = (leader.id,)
    return AccessSubject(
        Kind.EARLY_HELP,
        episode.id,
        person_ids=tuple(m.person_id for m in episode.members if m.person_id is not None),
        allocated_user_ids=lead,
    )


def _require(session: Session, database: Database, user: User, action: Action, episode: EarlyHelpEpisode) -> None:
    access.require(session, database, user, action, subject_of(session, episode))


def episode_for(session: Session, database: Database, user: User, episode_id: int, action: Action) -> EarlyHelpEpisode:
    """The episode a page or form names, if this user may do ``action`` to it (refusals audited): the one load and
    check of every early help use-case on an episode (its pages, forms, step-up, change of plan, outcomes)."""
    episode = session.get(EarlyHelpEpisode, episode_id)
    if episode is None:
        raise NotFound("There is no such early help episode.")
    _require(session, database, user, action, episode)
    return episode


def audit_view(session: Session, user: User, episode: EarlyHelpEpisode) -> None:
    """A page's reading of the episode, recorded for each of its people (one row when none is linked)."""
    people: list[int | None] = [m.person_id for m in episode.members if m.person_id is not None] or [None]
    for person_id in people:
        record(session, access.actor_of(user), "view", "early_help_episode", episode.id, person_id=person_id)


def _audit(
    session: Session,
    user: User,
    action: str,
    target_type: str,
    target: int,
    episode: EarlyHelpEpisode,
    **detail: object,
) -> None:
    people: list[int | None] = [m.person_id for m in episode.members if m.person_id is not None] or [None]
    for person_id in people:
        record(
            session,
            access.actor_of(user),
            action,
            target_type,
            target,
            person_id=person_id,
            detail={"episode": episode.id, **detail},
        )


def _recompute(session: Session, episode: EarlyHelpEpisode) -> None:
    session.flush()
    for member in episode.members:
        if member.person_id is not None and member.role in CHILD_ROLES:
            recompute_for_child(session, member.person_id)


def _open(episode: EarlyHelpEpisode, errors: dict[str, str], field: str) -> None:
    if episode.status != EpisodeStatus.OPEN.value:
        errors[field] = "This early help episode is closed: nothing more can be recorded on it"


# --- reading fields ----------------------------------------------------------------------------------------------


def _choice(raw: str | None, name: str, options: Mapping[str, str], message: str, errors: dict[str, str]) -> str | None:
    value = (raw or "").strip()
    if value not in options:
        errors[name] = message
        return None
    return value


def _yes_no(raw: str | None, name: str, question: str, errors: dict[str, str]) -> bool | None:
    value = (raw or "").strip()
    if value not in ("yes", "no"):
        errors[name] = f"Select yes if {question}, or no"
        return None
    return value == "yes"


def _past(on: date | None, name: str, noun: str, errors: dict[str, str]) -> None:
    if on is not None and name not in errors and on > today_in_london():
        errors[name] = f"{noun} must be today or in the past"


def _not_before(on: date | None, name: str, noun: str, earliest: date, what: str, errors: dict[str, str]) -> None:
    if on is not None and name not in errors and on < earliest:
        errors[name] = f"{noun} must be on or after {what} ({earliest:%-d %B %Y})"


def lead_practitioners(session: Session) -> list[User]:
    """Who may lead: the council's early help staff, and partner practitioners (a school, a health visitor)."""
    return list(
        session.scalars(
            select(User)
            .where(User.active.is_(True), User.role.in_([*EARLY_HELP_STAFF, Role.PARTNER_PRACTITIONER.value]))
            .order_by(User.full_name)
        )
    )


def agencies(session: Session) -> list[PartnerAgency]:
    return list(session.scalars(select(PartnerAgency).order_by(PartnerAgency.name)))


def lead_label(user: User) -> str:
    return f"{user.full_name} ({user.agency.name})" if user.agency is not None else f"{user.full_name} (council)"


# --- starting an episode -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberInput:
    role: str
    first_name: str
    last_name: str
    date_of_birth: date | None
    person_id: int | None = None


def _members_from_form(form: Mapping[str, str], errors: dict[str, str]) -> list[MemberInput]:
    members: list[MemberInput] = []
    for n in range(MEMBER_ROWS):
        p = f"member{n}_"
        first_raw, last_raw = (form.get(p + "first_name") or "").strip(), (form.get(p + "last_name") or "").strip()
        role_raw = (form.get(p + "role") or "").strip()
        born_raw = (form.get(p + "date_of_birth") or "").strip()
        if not (first_raw or last_raw or role_raw or born_raw):
            continue
        who = f"family member {n + 1}"
        role = _choice(role_raw, p + "role", rules.MEMBER_ROLES, f"Select who {who} is in the family", errors)
        first = text_field(first_raw, p + "first_name", f"the first name of {who}", errors, limit=NAME_LIMIT)
        last = text_field(last_raw, p + "last_name", f"the last name of {who}", errors, limit=NAME_LIMIT)
        born = date_field(
            born_raw,
            p + "date_of_birth",
            f"the date of birth of {who}",
            errors,
            required=False,
            noun=f"Date of birth of {who}",
        )
        if role != FamilyMemberRole.UNBORN_CHILD.value:
            _past(born, p + "date_of_birth", f"Date of birth of {who}", errors)
        if role and first and last:
            members.append(MemberInput(role, first, last, born))
    if not members and not errors:
        errors["member0_first_name"] = "Enter at least one child in the family"
    elif members and not any(m.role in CHILD_ROLES for m in members):
        errors.setdefault(
            "member0_role", "Name at least one child in the family: early help is for families with children"
        )
    return members


def _contact_members(session: Session, contact: Contact) -> list[MemberInput]:
    return [
        MemberInput(
            SUBJECT_TO_MEMBER.get(str(s.role), FamilyMemberRole.OTHER_ADULT).value,
            s.first_name,
            s.last_name,
            s.date_of_birth if isinstance(s.date_of_birth, date) else None,
            s.person_id,
        )
        for s in contact.subjects
    ]


def _early_help_contact(session: Session, reference: str, errors: dict[str, str]) -> Contact | None:
    """The contact named by its reference (CON-0000123) whose decision in effect is "early help"."""
    text = reference.strip().upper().removeprefix("CON-")
    contact = session.get(Contact, int(text)) if text.isdigit() and len(text) <= 9 else None
    decision = contact.current_decision if contact is not None else None
    if contact is None:
        errors["contact_reference"] = "Contact reference must be a contact's reference, like CON-0000123"
        return None
    if decision is None or decision.status != DecisionStatus.IN_EFFECT or decision.outcome != Outcome.EARLY_HELP:
        errors["contact_reference"] = f"{contact.reference} was not decided as early help"
        return None
    if session.scalar(select(EarlyHelpEpisode.id).where(EarlyHelpEpisode.contact_id == contact.id)) is not None:
        errors["contact_reference"] = f"An early help episode has already started from {contact.reference}"
        return None
    return contact


def start_episode(session: Session, database: Database, user: User, form: Mapping[str, str]) -> EarlyHelpEpisode:
    """Start an episode. A partner practitioner starts one for a family they will lead (their agency's request,
    registered with the council); the council's early help staff from a contact the front door decided as early help
    (its people come with it) or directly, naming the lead practitioner."""
    access.require(session, database, user, Action.CREATE, AccessSubject(Kind.EARLY_HELP))
    errors: dict[str, str] = {}
    family = text_field(form.get("family_name"), "family_name", "how the family is known", errors, limit=LINE_LIMIT)
    level = _choice(form.get("level"), "level", rules.LEVELS, "Select the level of help", errors)
    started = date_field(form.get("started_on"), "started_on", "the date the early help started", errors)
    identified = date_field(
        form.get("need_identified_on"), "need_identified_on", "the date the need was identified", errors, required=False
    )
    decided = date_field(
        form.get("decided_on"), "decided_on", "the date of the decision to provide early help", errors, required=False
    )
    _past(started, "started_on", "The date the early help started", errors)
    _past(identified, "need_identified_on", "The date the need was identified", errors)
    _past(decided, "decided_on", "The date of the decision to provide early help", errors)
    if started is not None and identified is not None and "need_identified_on" not in errors and identified > started:
        errors["need_identified_on"] = "The date the need was identified must be on or before the start"
    reason = text_field(
        form.get("request_reason"), "request_reason", "why the family needs early help", errors, limit=TEXT_LIMIT
    )
    contact: Contact | None = None
    lead: User | None = None
    if user.is_partner:
        source, lead = EpisodeSource.PARTNER_REQUEST, user
        members = _members_from_form(form, errors)
    else:
        reference = (form.get("contact_reference") or "").strip()
        if reference:
            source = EpisodeSource.FRONT_DOOR
            contact = _early_help_contact(session, reference, errors)
            members = _contact_members(session, contact) if contact is not None else []
            if contact is not None and not any(m.role in CHILD_ROLES for m in members):
                errors["contact_reference"] = f"{contact.reference} names no child"
        else:
            source = EpisodeSource.COUNCIL
            members = _members_from_form(form, errors)
        lead_id = record_id(form.get("lead_practitioner_id"))
        lead = next((u for u in lead_practitioners(session) if u.id == lead_id), None)
        if lead is None:
            errors["lead_practitioner_id"] = "Choose the lead practitioner"
    if errors:
        raise ValidationFailed(errors)
    assert family is not None and level is not None and started is not None and lead is not None
    organisation = lead.agency.name if lead.agency is not None else "The council's early help service"
    episode = EarlyHelpEpisode(
        family_name=family,
        level=EpisodeLevel(level),
        source=source,
        status=EpisodeStatus.OPEN,
        contact_id=contact.id if contact is not None else None,
        requested_by_agency_id=user.agency_id if user.is_partner else None,
        requested_by_id=user.id if user.is_partner else None,
        request_reason=reason,
        need_identified_on=identified,
        # A front-door decision's day in London (it is stored in UTC).
        decided_on=decided
        or (
            contact.current_decision.decided_at.astimezone(LONDON).date()
            if contact and contact.current_decision
            else None
        ),
        started_on=started,
        lead_practitioner_id=lead.id,
        organisation=organisation,
        recorded_by_id=user.id,
    )
    for m in members:
        person_id = m.person_id if m.person_id is not None else _match(session, m)
        episode.members.append(
            EarlyHelpFamilyMember(
                role=FamilyMemberRole(m.role),
                first_name=m.first_name,
                last_name=m.last_name,
                date_of_birth=m.date_of_birth,
                person_id=person_id,
            )
        )
    session.add(episode)
    session.flush()
    session.add(
        EarlyHelpLeadPractitioner(
            episode_id=episode.id,
            user_id=lead.id,
            name=lead.full_name,
            agency_id=lead.agency_id,
            organisation=organisation,
            from_on=started,
            recorded_by_id=user.id,
        )
    )
    _audit(session, user, "create", "early_help_episode", episode.id, episode, source=source.value, lead=lead.id)
    _recompute(session, episode)
    return episode


def _match(session: Session, member: MemberInput) -> int | None:
    """The one person in the index these details match exactly (names and date of birth), or none: a name alone is
    never enough, and more than one match is left for the council to decide."""
    if member.date_of_birth is None:
        return None
    ids = {
        p.id
        for p in exact_matches(
            session, first_name=member.first_name, last_name=member.last_name, date_of_birth=member.date_of_birth
        )
    }
    return ids.pop() if len(ids) == 1 else None


def match_members(
    session: Session, database: Database, user: User, episode_id: int, form: Mapping[str, str]
) -> EarlyHelpEpisode:
    """The council's early help staff match the family members not yet linked (someone added to the person index
    since): each exact match is linked."""
    episode = episode_for(session, database, user, episode_id, Action.MANAGE)
    linked = 0
    for member in episode.members:
        if member.person_id is None:
            member.person_id = _match(
                session, MemberInput(member.role, member.first_name, member.last_name, member.date_of_birth)
            )
            linked += member.person_id is not None
    _audit(session, user, "update", "early_help_episode", episode.id, episode, matched=linked)
    _recompute(session, episode)
    return episode


# --- consent -----------------------------------------------------------------------------------------------------


def record_consent(
    session: Session, database: Database, user: User, episode_id: int, form: Mapping[str, str]
) -> EarlyHelpConsent:
    """The family's consent to the assessment, or to sharing with one agency: who gave it and when."""
    episode = episode_for(session, database, user, episode_id, Action.UPDATE)
    errors: dict[str, str] = {}
    _open(episode, errors, "scope")
    scope = _choice(form.get("scope"), "scope", rules.CONSENT_SCOPES, "Select what the family agreed to", errors)
    agency_id: int | None = None
    agency_name: str | None = None
    if scope == ConsentScope.SHARING.value:
        agency_id = record_id(form.get("agency_id"))
        agency_name = text_field(
            form.get("agency_name"), "agency_name", "the agency", errors, limit=LINE_LIMIT, required=False
        )
        if agency_id is not None and session.get(PartnerAgency, agency_id) is None:
            errors["agency_id"] = "Choose an agency from the list"
        elif agency_id is None and not agency_name and "agency_name" not in errors:
            errors["agency_id"] = "Choose the agency the family agreed to share with, or name it"
    members = {str(m.id): m for m in episode.members}
    given_by = (form.get("given_by_member_id") or "").strip()
    given_name = text_field(
        form.get("given_by_name"), "given_by_name", "who gave consent", errors, limit=LINE_LIMIT, required=False
    )
    if given_by and given_by not in members:
        errors["given_by_member_id"] = "Choose who gave consent from the family"
    elif not given_by and not given_name and "given_by_name" not in errors:
        errors["given_by_member_id"] = "Choose who gave consent, or enter their name"
    given_on = date_field(form.get("given_on"), "given_on", "the date consent was given", errors)
    _past(given_on, "given_on", "The date consent was given", errors)
    if errors:
        raise ValidationFailed(errors)
    assert scope is not None and given_on is not None
    consent = EarlyHelpConsent(
        episode_id=episode.id,
        scope=ConsentScope(scope),
        agency_id=agency_id,
        agency_name=None if agency_id is not None else agency_name,
        given_by_member_id=int(given_by) if given_by else None,
        given_by_name=given_name if not given_by else None,
        given_on=given_on,
        recorded_by_id=user.id,
    )
    session.add(consent)
    session.flush()
    _audit(session, user, "create", "early_help_consent", consent.id, episode, scope=scope, agency=agency_id)
    _recompute(session, episode)
    return consent


def withdraw_consent(
    session: Session, database: Database, user: User, episode_id: int, form: Mapping[str, str]
) -> EarlyHelpConsent:
    """The family withdraws consent: recorded with the day and why, and what the worker does -- end the early help
    (it is voluntary), carry on without sharing with that agency, or, where a safeguarding concern overrides the
    family's wish, tell the front door (a contact, with the early help history beside it)."""
    episode = episode_for(session, database, user, episode_id, Action.UPDATE)
    errors: dict[str, str] = {}
    _open(episode, errors, "consent_id")
    consent_id = record_id(form.get("consent_id"))
    consent = session.get(EarlyHelpConsent, consent_id) if consent_id is not None else None
    if consent is None or consent.episode_id != episode.id or consent.withdrawn_on is not None:
        errors["consent_id"] = "Choose the consent the family withdrew"
        consent = None
    on = date_field(form.get("withdrawn_on"), "withdrawn_on", "the date consent was withdrawn", errors)
    _past(on, "withdrawn_on", "The date consent was withdrawn", errors)
    if consent is not None:
        _not_before(
            on, "withdrawn_on", "The date consent was withdrawn", consent.given_on, "the day it was given", errors
        )
    reason = text_field(
        form.get("withdrawal_reason"), "withdrawal_reason", "why consent was withdrawn", errors, limit=TEXT_LIMIT
    )
    response = _choice(
        form.get("withdrawal_response"),
        "withdrawal_response",
        rules.WITHDRAWAL_RESPONSES,
        "Select what happens now consent is withdrawn",
        errors,
    )
    if (
        consent is not None
        and response == WithdrawalResponse.CONTINUE_WITHOUT_SHARING.value
        and consent.scope == ConsentScope.ASSESSMENT.value
    ):
        errors["withdrawal_response"] = (
            "Without consent to the assessment early help cannot carry on: end it, or tell the front door"
        )
    if errors:
        raise ValidationFailed(errors)
    assert consent is not None and on is not None and reason is not None and response is not None
    check_version(session, "early_help_consent", consent, record_id(form.get("version")))
    consent.withdrawn_on, consent.withdrawal_reason = on, reason
    consent.withdrawal_response = WithdrawalResponse(response)
    consent.withdrawn_recorded_by_id = user.id
    if response == WithdrawalResponse.END_EPISODE.value:
        episode.status, episode.closed_on, episode.closure_reason = EpisodeStatus.CLOSED, on, "consent_withdrawn"
        episode.closure_note, episode.closed_by_id = reason, user.id
        _end_lead(session, episode, on)
    elif response == WithdrawalResponse.SAFEGUARDING_CONSIDERATION.value:
        consent.safeguarding_contact_id = _tell_the_front_door(session, database, user, episode, reason).id
    session.flush()
    _audit(
        session,
        user,
        "update",
        "early_help_consent",
        consent.id,
        episode,
        withdrawn=True,
        response=response,
        contact=consent.safeguarding_contact_id,
    )
    _recompute(session, episode)
    return consent


def _tell_the_front_door(
    session: Session, database: Database, user: User, episode: EarlyHelpEpisode, reason: str
) -> Contact:
    """A contact to the front door made through its own intake (the MASH screens it as any other), naming the
    family; a partner's through the portal on behalf of their agency, the council's early help staff's as a
    practitioner's, referral source 5D (LA services - early help)."""
    worry = (
        f"Safeguarding consideration from early help ({episode.reference}, {episode.family_name}): the family "
        f"withdrew their consent and the lead practitioner considers a safeguarding concern overrides it.\n\n{reason}"
    )[:20_000]
    subjects = tuple(
        intake.SubjectInput(
            role=MEMBER_TO_SUBJECT[str(m.role)],
            first_name=m.first_name,
            last_name=m.last_name,
            date_of_birth=m.date_of_birth,
        )
        for m in episode.members
    )
    if user.is_partner:
        data = intake.ContactInput(
            channel=Channel.PORTAL,
            reporter_kind=ReporterKind.PARTNER_AGENCY,
            referral_source=user.agency.default_referral_source if user.agency is not None else "",
            worry=worry,
            consent=ConsentPosition.AWARE_NOT_CONSENTED,
            subjects=subjects,
            reporter_name=user.full_name,
        )
    else:
        from safeguarding.core.db import utcnow

        data = intake.ContactInput(
            channel=Channel.PHONE,
            reporter_kind=ReporterKind.PRACTITIONER,
            referral_source="5D",
            worry=worry,
            consent=ConsentPosition.AWARE_NOT_CONSENTED,
            subjects=subjects,
            received_at=utcnow(),
            reporter_name=user.full_name,
            reporter_role="Early help lead practitioner",
        )
    contact = intake.submit_contact(session, database, user, data)
    # The people the episode has linked are the contact's people (its intake matched only by exact details).
    by_name = {(m.first_name, m.last_name, m.date_of_birth): m.person_id for m in episode.members}
    for subject in contact.subjects:
        if subject.person_id is None:
            subject.person_id = by_name.get((subject.first_name, subject.last_name, subject.date_of_birth))
    return contact


# --- assessment, plan and needs ----------------------------------------------------------------------------------


def _consented(episode_id: int, session: Session) -> date | None:
    return session.scalar(
        select(EarlyHelpConsent.given_on)
        .where(
            EarlyHelpConsent.episode_id == episode_id,
            EarlyHelpConsent.scope == ConsentScope.ASSESSMENT.value,
            EarlyHelpConsent.withdrawn_on.is_(None),
        )
        .order_by(EarlyHelpConsent.given_on)
        .limit(1)
    )


def record_assessment(
    session: Session, database: Database, user: User, episode_id: int, form: Mapping[str, str]
) -> EarlyHelpAssessment:
    """An early help assessment of the whole family (started, and completed when it is), with what it found. The
    family's consent to the assessment must stand: early help is voluntary."""
    episode = episode_for(session, database, user, episode_id, Action.UPDATE)
    errors: dict[str, str] = {}
    _open(episode, errors, "assessment_started_on")
    started = date_field(
        form.get("assessment_started_on"), "assessment_started_on", "the date the assessment started", errors
    )
    completed = date_field(
        form.get("assessment_completed_on"),
        "assessment_completed_on",
        "the date the assessment was completed",
        errors,
        required=False,
    )
    summary = text_field(
        form.get("summary"),
        "summary",
        "what the assessment found",
        errors,
        limit=TEXT_LIMIT,
        required=completed is not None,
    )
    _past(started, "assessment_started_on", "The date the assessment started", errors)
    _past(completed, "assessment_completed_on", "The date the assessment was completed", errors)
    if started is not None and completed is not None and "assessment_completed_on" not in errors:
        _not_before(
            completed, "assessment_completed_on", "The date the assessment was completed", started, "its start", errors
        )
    if "assessment_started_on" not in errors and _consented(episode.id, session) is None:
        errors["assessment_started_on"] = "Record the family's consent to the assessment first: early help is voluntary"
    if errors:
        raise ValidationFailed(errors)
    assert started is not None
    assessment = EarlyHelpAssessment(
        episode_id=episode.id,
        reassessment=session.scalar(
            select(EarlyHelpAssessment.id).where(EarlyHelpAssessment.episode_id == episode.id).limit(1)
        )
        is not None,
        started_on=started,
        completed_on=completed,
        summary=summary,
        organisation=episode.organisation,
        assessed_by_id=user.id,
        recorded_by_id=user.id,
    )
    session.add(assessment)
    session.flush()
    _audit(session, user, "create", "early_help_assessment", assessment.id, episode, completed=completed is not None)
    _recompute(session, episode)
    return assessment


def complete_assessment(
    session: Session, database: Database, user: User, episode_id: int, form: Mapping[str, str]
) -> EarlyHelpAssessment:
    episode = episode_for(session, database, user, episode_id, Action.UPDATE)
    errors: dict[str, str] = {}
    _open(episode, errors, "completed_on")
    assessment_id = record_id(form.get("assessment_id"))
    assessment = session.get(EarlyHelpAssessment, assessment_id) if assessment_id is not None else None
    if assessment is None or assessment.episode_id != episode.id or assessment.completed_on is not None:
        errors["completed_on"] = "There is no assessment in progress to complete"
        assessment = None
    on = date_field(form.get("completed_on"), "completed_on", "the date the assessment was completed", errors)
    summary = text_field(
        form.get("completion_summary"), "completion_summary", "what the assessment found", errors, limit=TEXT_LIMIT
    )
    _past(on, "completed_on", "The date the assessment was completed", errors)
    if assessment is not None:
        _not_before(
            on, "completed_on", "The date the assessment was completed", assessment.started_on, "its start", errors
        )
    if errors:
        raise ValidationFailed(errors)
    assert assessment is not None and on is not None
    check_version(session, "early_help_assessment", assessment, record_id(form.get("version")))
    assessment.completed_on, assessment.summary = on, summary
    session.flush()
    _audit(session, user, "update", "early_help_assessment", assessment.id, episode, completed=True)
    _recompute(session, episode)
    return assessment


def record_plan(
    session: Session, database: Database, user: User, episode_id: int, form: Mapping[str, str]
) -> FamilyPlan:
    """The family plan agreed with the family (again, after a review that rewrites it), at a level of help: under
    Family Help a move between targeted help and child-in-need work is a new plan in the same episode."""
    episode = episode_for(session, database, user, episode_id, Action.UPDATE)
    errors: dict[str, str] = {}
    _open(episode, errors, "agreed_on")
    on = date_field(form.get("agreed_on"), "agreed_on", "the date the plan was agreed", errors)
    level = _choice(
        form.get("plan_level"), "plan_level", rules.LEVELS, "Select the level of help the plan is at", errors
    )
    _past(on, "agreed_on", "The date the plan was agreed", errors)
    _not_before(
        on, "agreed_on", "The date the plan was agreed", episode.started_on, "the start of the early help", errors
    )
    if errors:
        raise ValidationFailed(errors)
    assert on is not None and level is not None
    plan = FamilyPlan(episode_id=episode.id, agreed_on=on, level=EpisodeLevel(level), recorded_by_id=user.id)
    session.add(plan)
    if episode.level != level:
        episode.level = EpisodeLevel(level)
    session.flush()
    # The needs not yet met carry over to the new plan.
    for need in session.scalars(
        select(FamilyNeed).where(FamilyNeed.episode_id == episode.id, FamilyNeed.outcome.is_(None))
    ):
        need.plan_id = plan.id
    _audit(session, user, "create", "early_help_family_plan", plan.id, episode, level=level)
    return plan


def record_need(
    session: Session, database: Database, user: User, episode_id: int, form: Mapping[str, str]
) -> FamilyNeed:
    episode = episode_for(session, database, user, episode_id, Action.UPDATE)
    errors: dict[str, str] = {}
    _open(episode, errors, "description")
    description = text_field(form.get("description"), "description", "the need", errors, limit=2000)
    intended = text_field(
        form.get("intended_outcome"), "intended_outcome", "what the plan aims for", errors, limit=TEXT_LIMIT
    )
    on = date_field(form.get("identified_on"), "identified_on", "the date the need was identified", errors)
    _past(on, "identified_on", "The date the need was identified", errors)
    member_raw = (form.get("member_id") or "").strip()
    members = {str(m.id) for m in episode.members}
    if member_raw and member_raw not in members:
        errors["member_id"] = "Choose whose need it is from the family, or the whole family"
    if errors:
        raise ValidationFailed(errors)
    assert description is not None and on is not None
    plan = session.scalar(
        select(FamilyPlan)
        .where(FamilyPlan.episode_id == episode.id)
        .order_by(FamilyPlan.agreed_on.desc(), FamilyPlan.id.desc())
        .limit(1)
    )
    latest = session.scalar(
        select(EarlyHelpAssessment.id)
        .where(EarlyHelpAssessment.episode_id == episode.id)
        .order_by(EarlyHelpAssessment.started_on.desc())
        .limit(1)
    )
    need = FamilyNeed(
        episode_id=episode.id,
        plan_id=plan.id if plan else None,
        assessment_id=latest,
        member_id=int(member_raw) if member_raw else None,
        description=description,
        intended_outcome=intended,
        identified_on=on,
        recorded_by_id=user.id,
    )
    session.add(need)
    session.flush()
    _audit(session, user, "create", "early_help_family_need", need.id, episode)
    return need


# --- the team around the family ----------------------------------------------------------------------------------


def add_team_member(
    session: Session, database: Database, user: User, episode_id: int, form: Mapping[str, str]
) -> TeamAroundFamilyMember:
    """A member of the team around the family from any agency, with their role; the same person from the same
    agency twice is refused."""
    episode = episode_for(session, database, user, episode_id, Action.UPDATE)
    errors: dict[str, str] = {}
    _open(episode, errors, "member_name")
    name = text_field(form.get("member_name"), "member_name", "the team member's name", errors, limit=LINE_LIMIT)
    agency_id = record_id(form.get("member_agency_id"))
    agency_name = text_field(
        form.get("member_agency_name"), "member_agency_name", "their agency", errors, limit=LINE_LIMIT, required=False
    )
    agency = session.get(PartnerAgency, agency_id) if agency_id is not None else None
    if agency_id is not None and agency is None:
        errors["member_agency_id"] = "Choose an agency from the list"
    elif agency is None and not agency_name and "member_agency_name" not in errors:
        errors["member_agency_id"] = "Choose the team member's agency, or name it"
    role = text_field(form.get("member_role"), "member_role", "their role in the team", errors, limit=LINE_LIMIT)
    joined = date_field(form.get("joined_on"), "joined_on", "the date they joined the team", errors)
    _past(joined, "joined_on", "The date they joined the team", errors)
    current = session.scalars(
        select(TeamAroundFamilyMember).where(
            TeamAroundFamilyMember.episode_id == episode.id, TeamAroundFamilyMember.left_on.is_(None)
        )
    ).all()
    agency_label = agency.name if agency is not None else agency_name
    if (
        name
        and "member_name" not in errors
        and rules.duplicate_member([(m.name, m.agency_name, m.role) for m in current], name, agency_label, role or "")
    ):
        errors["member_name"] = f"{name} from {agency_label or 'that agency'} is already in the team around the family"
    if errors:
        raise ValidationFailed(errors)
    assert name is not None and role is not None and joined is not None
    member = TeamAroundFamilyMember(
        episode_id=episode.id,
        name=name,
        agency_id=agency.id if agency is not None else None,
        agency_name=agency_label,
        role=role,
        joined_on=joined,
        recorded_by_id=user.id,
    )
    session.add(member)
    session.flush()
    _audit(session, user, "create", "early_help_taf_member", member.id, episode)
    return member


def record_meeting(
    session: Session, database: Database, user: User, episode_id: int, form: Mapping[str, str]
) -> TeamAroundFamilyMeeting:
    episode = episode_for(session, database, user, episode_id, Action.UPDATE)
    errors: dict[str, str] = {}
    _open(episode, errors, "meeting_kind")
    kind = _choice(
        form.get("meeting_kind"), "meeting_kind", rules.MEETING_KINDS, "Select what kind of meeting it was", errors
    )
    held = date_field(form.get("held_on"), "held_on", "the date of the meeting", errors)
    _past(held, "held_on", "The date of the meeting", errors)
    _not_before(held, "held_on", "The date of the meeting", episode.started_on, "the start of the early help", errors)
    attended = _yes_no(form.get("family_attended"), "family_attended", "the family took part", errors)
    attendees = text_field(form.get("attendees"), "attendees", "who attended", errors, limit=TEXT_LIMIT, required=False)
    summary = text_field(
        form.get("meeting_summary"), "meeting_summary", "what the meeting agreed", errors, limit=TEXT_LIMIT
    )
    if errors:
        raise ValidationFailed(errors)
    assert kind is not None and held is not None
    meeting = TeamAroundFamilyMeeting(
        episode_id=episode.id,
        kind=MeetingKind(kind),
        held_on=held,
        family_attended=attended,
        attendees=attendees,
        summary=summary,
        recorded_by_id=user.id,
    )
    session.add(meeting)
    session.flush()
    _audit(session, user, "create", "early_help_taf_meeting", meeting.id, episode, kind=kind)
    _recompute(session, episode)
    return meeting


# --- lead practitioner and closure -------------------------------------------------------------------------------


def _end_lead(session: Session, episode: EarlyHelpEpisode, on: date) -> None:
    for spell in session.scalars(
        select(EarlyHelpLeadPractitioner).where(
            EarlyHelpLeadPractitioner.episode_id == episode.id, EarlyHelpLeadPractitioner.to_on.is_(None)
        )
    ):
        spell.to_on = on


def change_lead(
    session: Session, database: Database, user: User, episode_id: int, form: Mapping[str, str]
) -> EarlyHelpEpisode:
    """An early help manager names another lead practitioner, from a day, with the reason; the history is kept."""
    episode = episode_for(session, database, user, episode_id, Action.MANAGE)
    errors: dict[str, str] = {}
    _open(episode, errors, "lead_practitioner_id")
    lead_id = record_id(form.get("lead_practitioner_id"))
    lead = next((u for u in lead_practitioners(session) if u.id == lead_id), None)
    if lead is None:
        errors["lead_practitioner_id"] = "Choose the lead practitioner"
    elif lead.id == episode.lead_practitioner_id:
        errors["lead_practitioner_id"] = f"{lead.full_name} already leads this family's early help"
    on = date_field(form.get("lead_from"), "lead_from", "the date they take over", errors)
    _not_before(on, "lead_from", "The date they take over", episode.started_on, "the start of the early help", errors)
    reason = text_field(
        form.get("lead_reason"), "lead_reason", "why the lead practitioner changes", errors, limit=TEXT_LIMIT
    )
    if errors:
        raise ValidationFailed(errors)
    assert lead is not None and on is not None
    check_version(session, "early_help_episode", episode, record_id(form.get("version")))
    before = episode.lead_practitioner_id
    _end_lead(session, episode, on)
    episode.lead_practitioner_id = lead.id
    session.add(
        EarlyHelpLeadPractitioner(
            episode_id=episode.id,
            user_id=lead.id,
            name=lead.full_name,
            agency_id=lead.agency_id,
            organisation=lead.agency.name if lead.agency is not None else "The council's early help service",
            from_on=on,
            reason=reason,
            recorded_by_id=user.id,
        )
    )
    session.flush()
    _audit(session, user, "update", "early_help_episode", episode.id, episode, lead_from=before, lead_to=lead.id)
    _recompute(session, episode)
    return episode


def close_episode(
    session: Session, database: Database, user: User, episode_id: int, form: Mapping[str, str]
) -> EarlyHelpEpisode:
    """Close the episode: the day, a reason from the council's list, and an outcome for each need (improved, no
    change, worse). Confirmed: a closed episode takes nothing more."""
    episode = episode_for(session, database, user, episode_id, Action.UPDATE)
    errors: dict[str, str] = {}
    _open(episode, errors, "closed_on")
    on = date_field(form.get("closed_on"), "closed_on", "the date the early help ended", errors)
    _past(on, "closed_on", "The date the early help ended", errors)
    _not_before(on, "closed_on", "The date the early help ended", episode.started_on, "its start", errors)
    reasons = rules.closure_reasons(local_settings.get_all(session))
    reason = _choice(
        form.get("closure_reason"), "closure_reason", reasons, "Select why the early help is ending", errors
    )
    note = text_field(
        form.get("closure_note"), "closure_note", "a note on the closure", errors, limit=TEXT_LIMIT, required=False
    )
    needs = list(session.scalars(select(FamilyNeed).where(FamilyNeed.episode_id == episode.id).order_by(FamilyNeed.id)))
    outcomes: dict[int, str] = {}
    for number, need in enumerate(needs, start=1):
        value = _choice(
            form.get(f"outcome_{need.id}"),
            f"outcome_{need.id}",
            rules.NEED_OUTCOMES,
            f"Select the outcome for need {number}: improved, no change or worse",
            errors,
        )
        if value is not None:
            outcomes[need.id] = value
    if (form.get("confirm") or "").strip() != "yes":
        errors["confirm"] = "Confirm that the family's early help ends: nothing more can be recorded on it"
    if errors:
        raise ValidationFailed(errors)
    assert on is not None and reason is not None
    check_version(session, "early_help_episode", episode, record_id(form.get("version")))
    for need in needs:
        need.outcome, need.outcome_on = NeedOutcome(outcomes[need.id]), on
    episode.status, episode.closed_on, episode.closure_reason = EpisodeStatus.CLOSED, on, reason
    episode.closure_note, episode.closed_by_id = note, user.id
    _end_lead(session, episode, on)
    session.flush()
    _audit(session, user, "update", "early_help_episode", episode.id, episode, closed=True, reason=reason)
    _recompute(session, episode)
    return episode


# --- reading -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EpisodeView:
    episode: EarlyHelpEpisode
    consents: list[EarlyHelpConsent]
    assessments: list[EarlyHelpAssessment]
    plans: list[FamilyPlan]
    needs: list[FamilyNeed]
    team: list[TeamAroundFamilyMember]
    meetings: list[TeamAroundFamilyMeeting]
    leads: list[EarlyHelpLeadPractitioner]
    deadlines: list[Deadline]
    lead_name: str
    agency_names: dict[int, str]
    member_names: dict[int, str]


def view_episode(session: Session, database: Database, user: User, episode_id: int) -> EpisodeView:
    episode = episode_for(session, database, user, episode_id, Action.VIEW)

    def rows(model: Any, order: Any) -> list[Any]:
        return list(session.scalars(select(model).where(model.episode_id == episode.id).order_by(order, model.id)))

    children = [m.person_id for m in episode.members if m.person_id is not None and m.role in CHILD_ROLES]
    deadlines = (
        list(
            session.scalars(
                select(Deadline)
                .where(
                    Deadline.person_id.in_(children), Deadline.rule_id.in_(EARLY_HELP_RULES), Deadline.met_on.is_(None)
                )
                .order_by(Deadline.due_on, Deadline.id)
            )
        )
        if children and episode.status == EpisodeStatus.OPEN.value
        else []
    )
    # One line a clock: the family's children share the episode's dates.
    seen: set[tuple[str, date]] = set()
    unique = [d for d in deadlines if (d.rule_id, d.due_on) not in seen and not seen.add((d.rule_id, d.due_on))]  # type: ignore[func-returns-value]
    lead = session.get(User, episode.lead_practitioner_id) if episode.lead_practitioner_id else None
    _audit(session, user, "view", "early_help_episode", episode.id, episode)
    return EpisodeView(
        episode,
        rows(EarlyHelpConsent, EarlyHelpConsent.given_on),
        rows(EarlyHelpAssessment, EarlyHelpAssessment.started_on),
        rows(FamilyPlan, FamilyPlan.agreed_on),
        rows(FamilyNeed, FamilyNeed.identified_on),
        rows(TeamAroundFamilyMember, TeamAroundFamilyMember.joined_on),
        rows(TeamAroundFamilyMeeting, TeamAroundFamilyMeeting.held_on),
        rows(EarlyHelpLeadPractitioner, EarlyHelpLeadPractitioner.from_on),
        unique,
        lead_label(lead) if lead else "Not named",
        {a.id: a.name for a in agencies(session)},
        {m.id: m.full_name for m in episode.members},
    )


@dataclass(frozen=True)
class EpisodeLine:
    id: int
    reference: str
    family_name: str
    level: str
    status: str
    started_on: date
    lead: str
    next_due: date | None
    overdue: bool


def list_episodes(session: Session, database: Database, user: User, *, show: str = "open") -> list[EpisodeLine]:
    """The council's early help staff: every episode (open, or all); a partner: the families they lead."""
    access.require_role(database, user, Kind.EARLY_HELP, Action.LIST)
    query = select(EarlyHelpEpisode).order_by(EarlyHelpEpisode.started_on.desc(), EarlyHelpEpisode.id.desc())
    if show != "all":
        query = query.where(EarlyHelpEpisode.status == EpisodeStatus.OPEN.value)
    if user.is_partner:
        query = query.where(EarlyHelpEpisode.lead_practitioner_id == user.id)
    episodes = list(session.scalars(query.limit(500)))
    if user.is_partner:
        episodes = [e for e in episodes if access.authorize(session, user, Action.VIEW, subject_of(session, e)).allowed]
    leads = {u.id: u.full_name for u in lead_practitioners(session)}
    today = today_in_london()
    children = {
        m.person_id: e.id for e in episodes for m in e.members if m.person_id is not None and m.role in CHILD_ROLES
    }
    due: dict[int, date] = {}
    if children:
        for person_id, due_on in session.execute(
            select(Deadline.person_id, Deadline.due_on).where(
                Deadline.person_id.in_(list(children)),
                Deadline.rule_id.in_(EARLY_HELP_RULES),
                Deadline.met_on.is_(None),
            )
        ):
            episode_id = children[person_id]
            due[episode_id] = min(due.get(episode_id, due_on), due_on)
    lines = [
        EpisodeLine(
            e.id,
            e.reference,
            e.family_name,
            rules.LEVELS.get(str(e.level), str(e.level)),
            rules.STATUSES.get(str(e.status), str(e.status)),
            e.started_on,
            leads.get(e.lead_practitioner_id or 0, "Not named"),
            due.get(e.id) if e.status == EpisodeStatus.OPEN.value else None,
            due.get(e.id) is not None and e.status == EpisodeStatus.OPEN.value and due[e.id] < today,
        )
        for e in episodes
    ]
    record(session, access.actor_of(user), "list", "early_help_episode", detail={"shown": len(lines)})
    return lines


def lead_due(session: Session, database: Database, user: User) -> DuePage:
    """What is due for the families this user leads: the early help clocks (assessment, first team around the family
    meeting, reviews, reassessment) of the children in the open episodes they lead and may open -- a partner lead
    practitioner's due page in the portal, nothing of any other family and nothing of social care's (LEAD_SCOPED)."""
    access.require(session, database, user, Action.LIST, AccessSubject(Kind.EARLY_HELP))
    led = session.scalars(
        select(EarlyHelpEpisode).where(
            EarlyHelpEpisode.lead_practitioner_id == user.id, EarlyHelpEpisode.status == EpisodeStatus.OPEN.value
        )
    )
    children = {
        m.person_id
        for e in led
        if access.authorize(session, user, Action.VIEW, subject_of(session, e)).allowed
        for m in e.members
        if m.person_id is not None and m.role in CHILD_ROLES and m.left_on is None
    }
    page = held_for(session, user, children, EARLY_HELP_RULES)
    shown = len(page.rows) + len(page.forecast)
    record(session, access.actor_of(user), "list", "due_work", user.id, detail={"page": "early_help", "shown": shown})
    return page


def episode_of_person(session: Session, database: Database, user: User, person_id: int) -> EarlyHelpEpisode:
    """A person's open early help episode (a deadline's page links here by the person), within access."""
    episode = session.scalar(
        select(EarlyHelpEpisode)
        .join(EarlyHelpFamilyMember, EarlyHelpFamilyMember.episode_id == EarlyHelpEpisode.id)
        .where(EarlyHelpFamilyMember.person_id == person_id)
        .order_by((EarlyHelpEpisode.status == EpisodeStatus.OPEN.value).desc(), EarlyHelpEpisode.started_on.desc())
        .limit(1)
    )
    if episode is None:
        raise NotFound("There is no early help episode for this person.")
    _require(session, database, user, Action.VIEW, episode)
    return episode


@dataclass(frozen=True)
class HistoryLine:
    reference: str
    family_name: str
    level: str
    status: str
    started_on: date
    closed_on: date | None
    closure: str
    lead: str
    organisation: str
    assessment_completed_on: date | None


def person_history(
    session: Session, database: Database, user: User, person_id: int
) -> tuple[Person, list[HistoryLine]]:
    """A person's early help episodes, newest first, for the MASH screening a contact and social care: the dates,
    level, lead practitioner and closure -- not the family's plan or notes."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound("There is no such person.")
    access.require(
        session, database, user, Action.VIEW, AccessSubject(Kind.EARLY_HELP_HISTORY, person_id, person_ids=(person_id,))
    )
    episodes = list(
        session.scalars(
            select(EarlyHelpEpisode)
            .join(EarlyHelpFamilyMember, EarlyHelpFamilyMember.episode_id == EarlyHelpEpisode.id)
            .where(EarlyHelpFamilyMember.person_id == person_id)
            .order_by(EarlyHelpEpisode.started_on.desc(), EarlyHelpEpisode.id.desc())
        ).unique()
    )
    leads = {u.id: u.full_name for u in lead_practitioners(session)}
    lines = []
    for e in episodes:
        completed = session.scalar(
            select(EarlyHelpAssessment.completed_on)
            .where(EarlyHelpAssessment.episode_id == e.id, EarlyHelpAssessment.completed_on.is_not(None))
            .order_by(EarlyHelpAssessment.completed_on)
            .limit(1)
        )
        lines.append(
            HistoryLine(
                e.reference,
                e.family_name,
                rules.LEVELS.get(str(e.level), str(e.level)),
                rules.STATUSES.get(str(e.status), str(e.status)),
                e.started_on,
                e.closed_on,
                rules.closure_label(e.closure_reason),
                leads.get(e.lead_practitioner_id or 0, "Not named"),
                e.organisation or "",
                completed,
            )
        )
    record(session, access.actor_of(user), "view", "early_help_history", person_id, person_id=person_id)
    return person, lines
