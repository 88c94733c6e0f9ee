"""Step-down from children's social care to early help, and (under Family Help) a change of plan inside one episode,
as recorded transitions (rules: ``transitions_rules``).

- :func:`step_down`: a team manager steps a child down. In one transaction the social care episode closes through
  case work's own closure (``casework.closure.close_episode``): after an assessment with the CIN census reason RC9;
  from a child in need plan at the plan's review, which is recorded on the child's case (``casework.recording``,
  the review's notes say the step-down was agreed there), the plan ending that day and the episode closing RC7. The
  family's open early help episode continues (the new lead practitioner taking over) or a new one opens (source
  "step-down"), with the family's consent to the assessment and, where the lead is a partner, to sharing with their
  agency; the transition keeps the decision, the reason, the handover meeting and the new lead practitioner.
- :func:`change_plan`: an early help manager moves a Family Help episode between targeted help and child in need work:
  the episode's level and plan change and the lead practitioner with them, recorded as a transition "across", not a
  transfer (the episode, its assessment, team and history stay).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeguarding.casework import closure, recording
from safeguarding.casework.case_access import case_subject, person_of, require
from safeguarding.casework.episode import episode_facts, latest_referral
from safeguarding.casework.models import ChildInNeedPlan, ChildInNeedReview, Referral
from safeguarding.core import access
from safeguarding.core.access import Action
from safeguarding.core.audit import record
from safeguarding.core.calendar import today_in_london
from safeguarding.core.dates import long_date
from safeguarding.core.db import Database, utcnow
from safeguarding.core.errors import ValidationFailed
from safeguarding.core.form_fields import date_field, record_id, text_field
from safeguarding.core.record_versions import check_version
from safeguarding.core.users import User
from safeguarding.early_help import rules, service
from safeguarding.early_help.models import (
    ConsentScope,
    EarlyHelpConsent,
    EarlyHelpEpisode,
    EarlyHelpFamilyMember,
    EarlyHelpLeadPractitioner,
    EpisodeLevel,
    EpisodeSource,
    EpisodeStatus,
    FamilyMemberRole,
    FamilyPlan,
)
from safeguarding.early_help.transitions_models import EarlyHelpTransition
from safeguarding.early_help.transitions_rules import (
    FAMILY_HELP_LEVELS,
    PLAN_LABELS,
    REASON_MAX_CHARS,
    STEP_DOWN_CLOSURES,
    Consent,
    Direction,
    PlanKind,
    Route,
    SocialCareEpisode,
    consent_problem,
    other_plan,
    plan_of_level,
    step_down_blockers,
    step_down_route,
)
from safeguarding.people.models import Person
from safeguarding.timescales.service import recompute_for_child

COUNCIL_ORGANISATION = "The council's early help service"
# The step-down form's fields in the order the page shows them (the error summary follows it).
STEP_DOWN_FIELDS = (
    "decided_on",
    "reason",
    "consent",
    "handover_meeting_on",
    "lead_practitioner_id",
    "family_name",
    "level",
    "confirm",
)
CHANGE_FIELDS = ("to_plan", "decided_on", "reason", "consent", "handover_meeting_on", "lead_practitioner_id")
AGREES = (("yes", "Yes"), ("no", "No"))


def _ordered(errors: Mapping[str, str], fields: tuple[str, ...]) -> dict[str, str]:
    return {
        **{f: errors[f] for f in fields if f in errors},
        **{f: m for f, m in errors.items() if f not in fields},
    }


def _agrees(raw: str | None, direction: Direction, errors: dict[str, str]) -> None:
    """The family's agreement, a yes/no question left unanswered until answered: a step-down or a change of plan is
    voluntary help and goes ahead only with it."""
    value = (raw or "").strip()
    if value == "yes":
        return
    problem = consent_problem(direction, Consent.REFUSED_AT_RISK if value == "no" else None, None)
    if problem is not None:
        errors["consent"] = problem


def _lead(session: Session, raw: str | None, errors: dict[str, str]) -> User | None:
    lead_id = record_id(raw)
    lead = next((u for u in service.lead_practitioners(session) if u.id == lead_id), None)
    if lead is None:
        errors["lead_practitioner_id"] = "Choose the new lead practitioner"
    return lead


def _organisation(lead: User) -> str:
    return lead.agency.name if lead.agency is not None else COUNCIL_ORGANISATION


def _take_over(session: Session, user: User, episode: EarlyHelpEpisode, lead: User, on: date, reason: str) -> None:
    """The new lead practitioner takes over from ``on``; the history keeps the one before."""
    if episode.lead_practitioner_id == lead.id:
        return
    for spell in session.scalars(
        select(EarlyHelpLeadPractitioner).where(
            EarlyHelpLeadPractitioner.episode_id == episode.id, EarlyHelpLeadPractitioner.to_on.is_(None)
        )
    ):
        spell.to_on = on
    episode.lead_practitioner_id = lead.id
    session.add(
        EarlyHelpLeadPractitioner(
            episode_id=episode.id,
            user_id=lead.id,
            name=lead.full_name,
            agency_id=lead.agency_id,
            organisation=_organisation(lead),
            from_on=on,
            reason=reason[:4000],
            recorded_by_id=user.id,
            recorded_at=utcnow(),
        )
    )


def _share_with_lead(session: Session, user: User, episode: EarlyHelpEpisode, lead: User, on: date) -> None:
    """A partner lead reaches the episode only while the family's consent to share with their agency stands: the
    family agreed to the step-down or change of plan with this lead, so the consent is recorded for their agency."""
    if lead.agency_id is None:
        return
    standing = session.scalar(
        select(EarlyHelpConsent.id).where(
            EarlyHelpConsent.episode_id == episode.id,
            EarlyHelpConsent.scope == ConsentScope.SHARING.value,
            EarlyHelpConsent.agency_id == lead.agency_id,
            EarlyHelpConsent.withdrawn_on.is_(None),
        )
    )
    if standing is not None:
        return
    session.add(
        EarlyHelpConsent(
            episode_id=episode.id,
            scope=ConsentScope.SHARING,
            agency_id=lead.agency_id,
            given_by_name="The family",
            given_on=on,
            recorded_by_id=user.id,
        )
    )


def _audit(session: Session, user: User, action: str, transition: EarlyHelpTransition, **detail: object) -> None:
    episode = session.get_one(EarlyHelpEpisode, transition.episode_id)
    people: list[int | None] = [m.person_id for m in episode.members if m.person_id is not None] or [None]
    for person_id in people:
        record(
            session,
            access.actor_of(user),
            action,
            "early_help_transition",
            transition.id,
            person_id=person_id,
            detail={"episode": episode.id, **detail},
        )


def _recompute(session: Session, episode: EarlyHelpEpisode) -> None:
    session.flush()
    for member in episode.members:
        if member.person_id is not None and member.is_child:
            recompute_for_child(session, member.person_id)


# --- step-down ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepDownForm:
    """What the step-down page shows: the child, their open social care episode (None: nothing to step down), how
    it steps down, what stops it, the family's open early help episode it continues, and who may lead."""

    person: Person
    referral: Referral | None
    route: Route | None
    blockers: list[str]
    plan: ChildInNeedPlan | None
    continues: EarlyHelpEpisode | None
    leads: list[User]


def _facts(session: Session, referral: Referral) -> SocialCareEpisode:
    episode = episode_facts(session, referral)
    return SocialCareEpisode(
        assessments_completed=sum(1 for a in episode.assessments if a.end is not None),
        assessments_open=sum(1 for a in episode.assessments if a.end is None),
        open_cin_plan=any(p.end is None for p in episode.cin_plans),
        had_cin_plan=bool(episode.cin_plans),
        open_cp_plan=any(p.end is None for p in episode.cp_plans),
        had_protection=bool(episode.section47s or episode.initial_conferences or episode.cp_plans),
        open_section47=any(s.outcome is None for s in episode.section47s),
    )


def open_episode_of(session: Session, person_id: int) -> EarlyHelpEpisode | None:
    """The child's open early help episode, which a step-down continues (the newest, should there be two)."""
    return session.scalar(
        select(EarlyHelpEpisode)
        .join(EarlyHelpFamilyMember, EarlyHelpFamilyMember.episode_id == EarlyHelpEpisode.id)
        .where(EarlyHelpFamilyMember.person_id == person_id, EarlyHelpEpisode.status == EpisodeStatus.OPEN.value)
        .order_by(EarlyHelpEpisode.started_on.desc(), EarlyHelpEpisode.id.desc())
        .limit(1)
    )


def step_down_form(session: Session, database: Database, user: User, person_id: int) -> StepDownForm:
    """The step-down page for the child's case: only a team manager, who closes the episode, may step it down."""
    person = person_of(session, person_id)
    require(session, database, user, Action.SIGN_OFF, case_subject(session, person_id))
    referral = latest_referral(session, person_id)
    if referral is None or referral.closed_date is not None:
        referral = None
    leads = service.lead_practitioners(session)
    if referral is None:
        record(session, access.actor_of(user), "view", "person", person_id, person_id=person_id)
        return StepDownForm(person, None, None, [], None, open_episode_of(session, person_id), leads)
    facts = _facts(session, referral)
    route = step_down_route(facts)
    plan = (
        session.scalar(
            select(ChildInNeedPlan)
            .where(ChildInNeedPlan.referral_id == referral.id, ChildInNeedPlan.ended_on.is_(None))
            .order_by(ChildInNeedPlan.started_on.desc())
            .limit(1)
        )
        if route == Route.CIN_REVIEW
        else None
    )
    record(session, access.actor_of(user), "view", "referral", referral.id, person_id=person_id)
    return StepDownForm(
        person, referral, route, step_down_blockers(facts), plan, open_episode_of(session, person_id), leads
    )


def step_down(
    session: Session, database: Database, user: User, person_id: int, form: Mapping[str, str]
) -> EarlyHelpTransition:
    """Step the child down to early help (see the module's docstring). Nothing is written when anything is refused."""
    shown = step_down_form(session, database, user, person_id)
    errors: dict[str, str] = {}
    if shown.referral is None or shown.route is None:
        raise ValidationFailed({"decided_on": "This child has no open social care episode to step down from"})
    referral, route = shown.referral, shown.route
    if shown.blockers:
        errors["decided_on"] = shown.blockers[0]
    noun = "the date of the child in need review" if route == Route.CIN_REVIEW else "the date of the decision"
    decided = date_field(form.get("decided_on"), "decided_on", noun, errors)
    today = today_in_london()
    if decided is not None and "decided_on" not in errors:
        if decided > today:
            errors["decided_on"] = f"{noun.capitalize()} must be today or in the past"
        elif decided < referral.referral_date:
            errors["decided_on"] = (
                f"{noun.capitalize()} must be on or after the referral ({long_date(referral.referral_date)})"
            )
        elif shown.plan is not None and decided < shown.plan.started_on:
            errors["decided_on"] = f"{noun.capitalize()} must be on or after the plan started"
    reason = text_field(form.get("reason"), "reason", "why the child steps down", errors, limit=REASON_MAX_CHARS)
    _agrees(form.get("consent"), Direction.DOWN, errors)
    meeting = date_field(
        form.get("handover_meeting_on"), "handover_meeting_on", "the date of the step-down meeting", errors
    )
    if meeting is not None and "handover_meeting_on" not in errors:
        if meeting > today:
            errors["handover_meeting_on"] = "The date of the step-down meeting must be today or in the past"
        elif meeting < referral.referral_date:
            errors["handover_meeting_on"] = "The date of the step-down meeting must be on or after the referral"
    lead = _lead(session, form.get("lead_practitioner_id"), errors)
    episode = shown.continues
    family_name = level = None
    if episode is None:
        family_name = text_field(
            form.get("family_name"), "family_name", "how the family is known", errors, limit=service.LINE_LIMIT
        )
        level = (form.get("level") or "").strip()
        if level not in rules.LEVELS:
            errors["level"] = "Select the level of early help"
    if (form.get("confirm") or "").strip() != "yes":
        errors["confirm"] = "Confirm that the social care episode closes as the child steps down"
    if errors:
        raise ValidationFailed(_ordered(errors, STEP_DOWN_FIELDS))
    assert decided is not None and reason is not None and lead is not None

    review: ChildInNeedReview | None = None
    if route == Route.CIN_REVIEW and shown.plan is not None:
        plan = shown.plan
        review = _agreed_at_review(session, database, user, person_id, plan, decided, reason, errors)
        if not errors:
            try:
                recording.save_event(
                    session,
                    database,
                    user,
                    person_id,
                    "cin-plans",
                    recording.EventInput.read(
                        {
                            "started_on": plan.started_on.isoformat(),
                            "ended_on": decided.isoformat(),
                            "notes": plan.notes or "",
                        }
                    ),
                    event_id=plan.id,
                    expected_version=plan.version,
                )
            except ValidationFailed as refused:
                errors["decided_on"] = next(iter(refused.errors.values()))
    if not errors:
        try:
            closure.close_episode(
                session,
                database,
                user,
                person_id,
                closure.ClosureInput(
                    decided, STEP_DOWN_CLOSURES[route], f"Stepped down to early help. {reason}"[:4000]
                ),
                expected_version=referral.version,
            )
        except ValidationFailed as refused:
            errors["decided_on"] = next(iter(refused.errors.values()))
    if errors:
        raise ValidationFailed(errors)

    if episode is None:
        assert family_name is not None and level is not None
        episode = EarlyHelpEpisode(
            family_name=family_name,
            level=EpisodeLevel(level),
            source=EpisodeSource.STEP_DOWN,
            status=EpisodeStatus.OPEN,
            decided_on=decided,
            started_on=decided,
            need_identified_on=decided,
            lead_practitioner_id=lead.id,
            organisation=_organisation(lead),
            request_reason=reason,
            recorded_by_id=user.id,
        )
        child = shown.person
        episode.members.append(
            EarlyHelpFamilyMember(
                role=FamilyMemberRole.CHILD,
                first_name=child.first_name,
                last_name=child.last_name,
                date_of_birth=child.date_of_birth,
                person_id=child.id,
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
                organisation=_organisation(lead),
                from_on=decided,
                reason="Stepped down from children's social care",
                recorded_by_id=user.id,
                recorded_at=utcnow(),
            )
        )
        session.add(
            EarlyHelpConsent(
                episode_id=episode.id,
                scope=ConsentScope.ASSESSMENT,
                given_by_name="The family",
                given_on=decided,
                recorded_by_id=user.id,
            )
        )
        record(
            session,
            access.actor_of(user),
            "create",
            "early_help_episode",
            episode.id,
            person_id=person_id,
            detail={"episode": episode.id, "source": EpisodeSource.STEP_DOWN.value, "lead": lead.id},
        )
    else:
        _take_over(session, user, episode, lead, decided, "Stepped down from children's social care")
    _share_with_lead(session, user, episode, lead, decided)
    transition = EarlyHelpTransition(
        episode_id=episode.id,
        person_id=person_id,
        direction=Direction.DOWN,
        route=route,
        decided_on=decided,
        decided_by_id=user.id,
        reason=reason,
        consent=Consent.GIVEN,
        handover_meeting_on=meeting,
        lead_practitioner_id=lead.id,
        lead_practitioner_name=lead.full_name,
        to_level=str(episode.level),
        referral_id=referral.id,
        cin_review_id=review.id if review is not None else None,
        recorded_by_id=user.id,
    )
    session.add(transition)
    session.flush()
    _audit(
        session,
        user,
        "step_down",
        transition,
        route=str(route),
        referral=referral.id,
        closure=STEP_DOWN_CLOSURES[route],
        continued=shown.continues is not None,
    )
    _recompute(session, episode)
    return transition


def _agreed_at_review(
    session: Session,
    database: Database,
    user: User,
    person_id: int,
    plan: ChildInNeedPlan,
    held_on: date,
    reason: str,
    errors: dict[str, str],
) -> ChildInNeedReview | None:
    """The child in need review the step-down was agreed at, recorded on the child's case: the plan's review held that
    day if one is recorded, else recorded now, its notes saying the step-down was agreed there."""
    agreed = f"Step-down to early help agreed at this review. {reason}"[:10_000]
    existing = session.scalar(
        select(ChildInNeedReview)
        .where(ChildInNeedReview.plan_id == plan.id, ChildInNeedReview.held_on == held_on)
        .order_by(ChildInNeedReview.id)
        .limit(1)
    )
    try:
        if existing is not None:
            notes = f"{existing.notes}\n\n{agreed}" if existing.notes else agreed
            return recording.save_event(
                session,
                database,
                user,
                person_id,
                "cin-reviews",
                recording.EventInput.read(
                    {"plan_id": str(plan.id), "held_on": held_on.isoformat(), "notes": notes[:10_000]}
                ),
                event_id=existing.id,
                expected_version=existing.version,
            )
        return recording.save_event(
            session,
            database,
            user,
            person_id,
            "cin-reviews",
            recording.EventInput.read({"plan_id": str(plan.id), "held_on": held_on.isoformat(), "notes": agreed}),
        )
    except ValidationFailed as refused:
        errors["decided_on"] = next(iter(refused.errors.values()))
        return None


# --- Family Help: a change of plan inside the episode ---------------------------------------------------------------


def episode_for_change(session: Session, database: Database, user: User, episode_id: int) -> EarlyHelpEpisode:
    return service.episode_for(session, database, user, episode_id, Action.MANAGE)


def view_change(session: Session, database: Database, user: User, episode_id: int) -> EarlyHelpEpisode:
    """The change of plan page: the episode, its reading audited for each of its people."""
    episode = episode_for_change(session, database, user, episode_id)
    service.audit_view(session, user, episode)
    return episode


def change_plan(
    session: Session, database: Database, user: User, episode_id: int, form: Mapping[str, str]
) -> EarlyHelpTransition:
    """Move a Family Help episode between targeted help and child in need work: the plan and the lead practitioner
    change inside the one episode (its assessment, team and history stay with it), recorded as a transition."""
    episode = episode_for_change(session, database, user, episode_id)
    errors: dict[str, str] = {}
    current = plan_of_level(str(episode.level))
    if episode.status != EpisodeStatus.OPEN.value:
        errors["to_plan"] = "This early help episode is closed: its plan cannot change"
    elif current is None:
        errors["to_plan"] = (
            "This episode is targeted early help, not Family Help: step the family up to social care instead"
        )
    raw = (form.get("to_plan") or "").strip()
    to_plan = PlanKind(raw) if raw in {k.value for k in PlanKind} else None
    if "to_plan" not in errors:
        if to_plan is None:
            errors["to_plan"] = "Select the plan the family moves to"
        elif to_plan == current:
            errors["to_plan"] = f"The family's plan is already {PLAN_LABELS[to_plan].lower()}"
    decided = date_field(form.get("decided_on"), "decided_on", "the date of the decision", errors)
    if decided is not None and "decided_on" not in errors:
        if decided > today_in_london():
            errors["decided_on"] = "The date of the decision must be today or in the past"
        elif decided < episode.started_on:
            errors["decided_on"] = "The date of the decision must be on or after the start of the early help"
    reason = text_field(form.get("reason"), "reason", "why the plan changes", errors, limit=REASON_MAX_CHARS)
    _agrees(form.get("consent"), Direction.ACROSS, errors)
    meeting = date_field(
        form.get("handover_meeting_on"), "handover_meeting_on", "the handover meeting", errors, required=False
    )
    if meeting is not None and "handover_meeting_on" not in errors and meeting > today_in_london():
        errors["handover_meeting_on"] = "The date of the handover meeting must be today or in the past"
    lead = _lead(session, form.get("lead_practitioner_id"), errors)
    if errors:
        raise ValidationFailed(_ordered(errors, CHANGE_FIELDS))
    assert to_plan is not None and decided is not None and reason is not None and lead is not None and current
    check_version(session, "early_help_episode", episode, record_id(form.get("version")))
    before = str(episode.level)
    episode.level = EpisodeLevel(FAMILY_HELP_LEVELS[to_plan])
    session.add(FamilyPlan(episode_id=episode.id, agreed_on=decided, level=episode.level, recorded_by_id=user.id))
    _take_over(session, user, episode, lead, decided, f"Change of plan: {PLAN_LABELS[to_plan]}. {reason}")
    _share_with_lead(session, user, episode, lead, decided)
    first_child = next((m.person_id for m in episode.members if m.is_child and m.person_id is not None), None)
    transition = EarlyHelpTransition(
        episode_id=episode.id,
        person_id=first_child,
        direction=Direction.ACROSS,
        route=Route.FAMILY_HELP,
        decided_on=decided,
        decided_by_id=user.id,
        reason=reason,
        consent=Consent.GIVEN,
        handover_meeting_on=meeting,
        lead_practitioner_id=lead.id,
        lead_practitioner_name=lead.full_name,
        from_level=before,
        to_level=str(episode.level),
        recorded_by_id=user.id,
    )
    session.add(transition)
    session.flush()
    _audit(session, user, "change_plan", transition, from_level=before, to_level=str(episode.level), lead=lead.id)
    _recompute(session, episode)
    return transition


def plan_choices(episode: EarlyHelpEpisode) -> list[tuple[str, str]]:
    """The plan the episode may move to (the other one of Family Help), for the form's radios."""
    current = plan_of_level(str(episode.level))
    if current is None:
        return []
    target = other_plan(current)
    return [(target.value, PLAN_LABELS[target])]


__all__ = [
    "AGREES",
    "StepDownForm",
    "change_plan",
    "episode_for_change",
    "open_episode_of",
    "plan_choices",
    "step_down",
    "step_down_form",
]
