"""Step-up from early help to children's social care, as a recorded transition (rules: ``transitions_rules``), and
the family's early help history shown beside a contact on the MASH page.

- :func:`step_up`: the lead practitioner (council staff, or a partner practitioner leading the family) steps the
  family up: the transition is recorded (reason, consent, handover meeting, the new lead) and a contact is made
  through the front door's own intake, naming the family and linked to their records, so the MASH screens it as any
  other. Without the family's agreement it goes ahead only with the reason a child is at risk.
- :func:`history_panel`: the early help episodes and transitions of the children on a contact, for the MASH page
  (front_door/history_panels.py), read within EARLY_HELP_HISTORY VIEW.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeguarding.core import access
from safeguarding.core.access import Action, Kind
from safeguarding.core.audit import record
from safeguarding.core.calendar import today_in_london
from safeguarding.core.dates import long_date
from safeguarding.core.db import Database, utcnow
from safeguarding.core.errors import ValidationFailed
from safeguarding.core.form_fields import date_field, text_field
from safeguarding.core.users import User
from safeguarding.early_help import service
from safeguarding.early_help.models import EarlyHelpEpisode, EarlyHelpFamilyMember, EpisodeStatus
from safeguarding.early_help.transitions_models import EarlyHelpTransition
from safeguarding.early_help.transitions_rules import (
    CONSENT_NOTES_MAX_CHARS,
    DIRECTION_LABELS,
    REASON_MAX_CHARS,
    Consent,
    Direction,
    Route,
    consent_problem,
    contact_terms,
)
from safeguarding.front_door import intake
from safeguarding.front_door.history_panels import Panel, PanelEntry, supply_panel
from safeguarding.front_door.models import Channel, ConsentPosition, Contact, ReporterKind

# The step-up form's fields in the order the page shows them (the error summary follows it).
STEP_UP_FIELDS = ("decided_on", "reason", "consent", "consent_reason", "handover_meeting_on")


def episode_to_step_up(session: Session, database: Database, user: User, episode_id: int) -> EarlyHelpEpisode:
    """The episode for the step-up page: its lead practitioner (a partner in the portal) or the council's early help
    staff."""
    return service.episode_for(session, database, user, episode_id, Action.UPDATE)


def view_step_up(session: Session, database: Database, user: User, episode_id: int) -> EarlyHelpEpisode:
    """The step-up page: the episode, its reading audited for each of its people."""
    episode = episode_to_step_up(session, database, user, episode_id)
    service.audit_view(session, user, episode)
    return episode


@dataclass(frozen=True)
class StepUpInput:
    decided_on: date | None
    reason: str | None
    consent: Consent | None
    consent_reason: str | None
    handover_meeting_on: date | None
    problems: Mapping[str, str]

    @classmethod
    def read(cls, form: Mapping[str, str]) -> StepUpInput:
        problems: dict[str, str] = {}
        decided = date_field(form.get("decided_on", "") or "", "decided_on", "the date of the decision", problems)
        reason = text_field(
            form.get("reason", "") or "", "reason", "why the family is stepped up", problems, limit=REASON_MAX_CHARS
        )
        raw = (form.get("consent", "") or "").strip()
        consent = Consent(raw) if raw in {c.value for c in Consent} else None
        consent_reason = text_field(
            form.get("consent_reason", "") or "",
            "consent_reason",
            "why a child is at risk",
            problems,
            limit=CONSENT_NOTES_MAX_CHARS,
            required=False,
        )
        meeting = None
        if (form.get("handover_meeting_on", "") or "").strip():
            meeting = date_field(
                form.get("handover_meeting_on", "") or "", "handover_meeting_on", "the handover meeting", problems
            )
        return cls(decided, reason, consent, consent_reason, meeting, problems)


def step_up(
    session: Session, database: Database, user: User, episode_id: int, data: StepUpInput
) -> EarlyHelpTransition:
    episode = episode_to_step_up(session, database, user, episode_id)
    errors = dict(data.problems)
    today = today_in_london()
    if episode.status != EpisodeStatus.OPEN:
        errors["decided_on"] = "Only an open early help episode can be stepped up"
    if data.decided_on is not None and "decided_on" not in errors:
        if data.decided_on > today:
            errors["decided_on"] = "The date of the decision cannot be in the future"
        elif data.decided_on < episode.started_on:
            errors["decided_on"] = "The date of the decision cannot be before the episode started"
    if data.handover_meeting_on is not None and data.handover_meeting_on < episode.started_on:
        errors["handover_meeting_on"] = "The handover meeting cannot be before the episode started"
    problem = consent_problem(Direction.UP, data.consent, data.consent_reason)
    if problem is not None:
        errors["consent_reason" if data.consent is not None else "consent"] = problem
    if not any(m.is_child for m in episode.members):
        errors["reason"] = "The family has no child named: add the child before stepping up"
    if errors:
        raise ValidationFailed({f: errors[f] for f in STEP_UP_FIELDS if f in errors} | errors)
    assert data.decided_on is not None and data.reason is not None and data.consent is not None
    contact = _contact(session, database, user, episode, data)
    first_child = next((m.person_id for m in episode.members if m.is_child and m.person_id is not None), None)
    transition = EarlyHelpTransition(
        episode_id=episode.id,
        person_id=first_child,
        direction=Direction.UP,
        route=Route.FRONT_DOOR,
        decided_on=data.decided_on,
        decided_by_id=user.id,
        reason=data.reason,
        consent=data.consent,
        consent_reason=data.consent_reason,
        handover_meeting_on=data.handover_meeting_on,
        contact_id=contact.id,
        recorded_by_id=user.id,
    )
    session.add(transition)
    session.flush()
    people: list[int | None] = [m.person_id for m in episode.members if m.person_id is not None] or [None]
    for person_id in people:
        record(
            session,
            access.actor_of(user),
            "step_up",
            "early_help_transition",
            transition.id,
            person_id=person_id,
            detail={"episode": episode.id, "contact": contact.id, "consent": str(data.consent)},
        )
    return transition


def _contact(session: Session, database: Database, user: User, episode: EarlyHelpEpisode, data: StepUpInput) -> Contact:
    """The step-up's contact, through the front door's intake, naming the family and linked to their records."""
    assert data.consent is not None and data.reason is not None
    terms = contact_terms(
        data.consent, (user.agency.default_referral_source or "") if user.is_partner and user.agency else None
    )
    worry = (f"Step-up from early help ({episode.reference}, {episode.family_name}).\n\n{data.reason}")[:20_000]
    members: list[EarlyHelpFamilyMember] = list(episode.members)
    subjects = tuple(
        intake.SubjectInput(
            role=service.MEMBER_TO_SUBJECT[str(m.role)],
            first_name=m.first_name,
            last_name=m.last_name,
            date_of_birth=m.date_of_birth,
        )
        for m in members
    )
    known = {i: m.person_id for i, m in enumerate(members) if m.person_id is not None}
    notes = data.consent_reason if data.consent != Consent.GIVEN else None
    if terms.partner:
        contact_input = intake.ContactInput(
            channel=Channel.PORTAL,
            reporter_kind=ReporterKind.PARTNER_AGENCY,
            referral_source=terms.referral_source,
            worry=worry,
            consent=ConsentPosition(terms.consent),
            subjects=subjects,
            reporter_name=user.full_name,
            consent_notes=notes,
        )
    else:
        contact_input = intake.ContactInput(
            channel=Channel.PHONE,
            reporter_kind=ReporterKind.PRACTITIONER,
            referral_source=terms.referral_source,
            worry=worry,
            consent=ConsentPosition(terms.consent),
            subjects=subjects,
            received_at=utcnow(),
            reporter_name=user.full_name,
            reporter_role="Early help lead practitioner",
            consent_notes=notes,
        )
    return intake.submit_contact(session, database, user, contact_input, known_people=known)


# --- the MASH's view: the early help history beside a contact ------------------------------------------------------


def history_panel(session: Session, database: Database, user: User, person_ids: Sequence[int]) -> dict[int, Panel]:
    """Each child's early help episodes (and their step-ups and step-downs), newest first, for roles that read early
    help history (the MASH, social care, early help staff): nothing for anyone else."""
    if not access.role_may(user, Kind.EARLY_HELP_HISTORY, Action.VIEW):
        return {}
    rows = session.execute(
        select(EarlyHelpFamilyMember.person_id, EarlyHelpEpisode)
        .join(EarlyHelpEpisode, EarlyHelpEpisode.id == EarlyHelpFamilyMember.episode_id)
        .where(EarlyHelpFamilyMember.person_id.in_(list(person_ids)))
    ).all()
    episode_ids = {episode.id for _p, episode in rows}
    transitions: dict[int, list[EarlyHelpTransition]] = {}
    if episode_ids:
        for t in session.scalars(select(EarlyHelpTransition).where(EarlyHelpTransition.episode_id.in_(episode_ids))):
            transitions.setdefault(t.episode_id, []).append(t)
    panels: dict[int, Panel] = {
        p: Panel("early-help", "Early help history", [], "No early help recorded.") for p in person_ids
    }
    for person_id, episode in rows:
        if person_id is None:
            continue
        closed = f"closed {long_date(episode.closed_on)}" if episode.closed_on else "open"
        panels[person_id].entries.append(
            PanelEntry(
                episode.started_on,
                f"Early help {episode.reference}: {episode.family_name}",
                f"{str(episode.level).replace('_', ' ').capitalize()}, {closed}",
                f"/early-help/{episode.id}",
            )
        )
        for t in transitions.get(episode.id, []):
            panels[person_id].entries.append(
                PanelEntry(t.decided_on, DIRECTION_LABELS[Direction(t.direction)], t.reason[:200])
            )
    for panel in panels.values():
        panel.entries.sort(key=lambda e: e.on, reverse=True)
    return panels


supply_panel("early-help", history_panel)
