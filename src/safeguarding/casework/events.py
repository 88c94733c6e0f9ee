"""The events of a child's case as data: for each kind, its table, its form fields and its order rule.

One description per kind drives the form (``templates/casework/event_form.html``), the parsing of what was typed
(field errors name the field) and the checks of ``casework.rules`` that the service runs before it writes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from safeguarding.casework import rules
from safeguarding.casework.models import (
    Assessment,
    CaseNote,
    ChildInNeedPlan,
    ChildInNeedReview,
    ChildProtectionConference,
    ChildProtectionPlan,
    CoreGroupMeeting,
    Section47Enquiry,
    StrategyDiscussion,
    Visit,
)
from safeguarding.core import codes
from safeguarding.core.calendar import LONDON
from safeguarding.core.form_fields import date_field, text_field, time_field

PARTICIPANT_ROWS = 6


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    # text | textarea | date | time | select | radios | checkbox | yesno | participants. A "yesno" is a fact asked as
    # two radios that start unanswered (issue 14: no answer is pre-set on a fact question).
    type: str = "text"
    # For a yesno: asked only when this other yesno field is answered yes ("seen alone" only if "seen").
    asked_if: str | None = None
    required: bool = False
    options: Mapping[str, str] | None = None
    # Options that depend on the child's episode (plans, discussions): filled by the service when the form is shown.
    dynamic: str | None = None
    limit: int = rules.TEXT_MAX
    hint: str | None = None
    # Only on the form when editing (an end date, an outcome recorded later).
    on_edit_only: bool = False


@dataclass(frozen=True)
class EventKind:
    slug: str  # in the URL
    label: str  # "assessment"
    model: type[Any]
    date_field: str  # the event's own date (chronology, future/referral checks)
    fields: tuple[Field, ...]
    # Audit target name and chronology kind.
    target: str
    chronology_kind: str
    summary: Callable[[Any], str] = field(default=lambda row: "")


def _assessment_summary(row: Assessment) -> str:
    outcome = rules.ASSESSMENT_OUTCOMES.get(row.outcome or "", "")
    if row.authorised_on:
        return f"Assessment authorised{': ' + outcome if outcome else ''}"
    return "Assessment started"


KINDS: dict[str, EventKind] = {
    k.slug: k
    for k in (
        EventKind(
            "assessments",
            "assessment",
            Assessment,
            "started_on",
            (
                Field("started_on", "Date the assessment started", "date", required=True),
                Field("summary", "Summary of the assessment so far", "textarea"),
                Field(
                    "outcome",
                    "Recommended outcome",
                    "select",
                    options=rules.ASSESSMENT_OUTCOMES,
                    hint="A team manager authorises the assessment, which completes it",
                ),
            ),
            "assessment",
            "assessment",
            _assessment_summary,
        ),
        EventKind(
            "strategy-discussions",
            "strategy discussion",
            StrategyDiscussion,
            "held_on",
            (
                Field("held_on", "Date of the strategy discussion", "date", required=True),
                Field("decision", "Decision", "radios", required=True, options=rules.STRATEGY_DECISIONS),
                Field(
                    "participants",
                    "Who took part",
                    "participants",
                    hint="Agency, name and role of each person (police and health at least)",
                ),
                Field("notes", "Discussion and reasons", "textarea"),
            ),
            "strategy_discussion",
            "strategy_discussion",
            lambda r: f"Strategy discussion: {rules.STRATEGY_DECISIONS.get(r.decision, r.decision)}",
        ),
        EventKind(
            "section-47s",
            "section 47 enquiry",
            Section47Enquiry,
            "started_on",
            (
                Field(
                    "strategy_discussion_id",
                    "Strategy discussion that started it",
                    "select",
                    required=True,
                    dynamic="strategy_discussions",
                ),
                Field("started_on", "Date the enquiry started", "date", required=True),
                Field("completed_on", "Date the enquiry was completed", "date"),
                Field("outcome", "Outcome", "select", options=rules.SECTION47_OUTCOMES),
                Field("notes", "Findings", "textarea"),
            ),
            "section47_enquiry",
            "section47",
            lambda r: (
                "Section 47 enquiry "
                + (f"completed: {rules.SECTION47_OUTCOMES.get(r.outcome, r.outcome)}" if r.outcome else "started")
            ),
        ),
        EventKind(
            "conferences",
            "child protection conference",
            ChildProtectionConference,
            "held_on",
            (
                Field("kind", "Conference", "radios", required=True, options=rules.CONFERENCE_KINDS),
                Field("held_on", "Date of the conference", "date", required=True),
                Field("plan_id", "Plan reviewed (review conferences)", "select", dynamic="cp_plans"),
                Field("outcome", "Decision", "radios", required=True, options=rules.CONFERENCE_OUTCOMES),
                Field("chair", "Chair", "text", limit=rules.NAME_MAX),
                Field("notes", "Notes", "textarea"),
            ),
            "child_protection_conference",
            "conference",
            lambda r: f"{rules.CONFERENCE_KINDS.get(r.kind, r.kind)}: {'plan' if r.outcome == 'plan' else 'no plan'}",
        ),
        EventKind(
            "cp-plans",
            "child protection plan",
            ChildProtectionPlan,
            "started_on",
            (
                Field(
                    "conference_id",
                    "Initial conference that decided on the plan",
                    "select",
                    required=True,
                    dynamic="initial_conferences",
                ),
                Field(
                    "started_on",
                    "Date the plan started",
                    "date",
                    required=True,
                    hint="The date of the initial child protection conference",
                ),
                Field(
                    "initial_category",
                    "Initial category of abuse",
                    "select",
                    required=True,
                    options=codes.CATEGORIES_OF_ABUSE,
                ),
                Field(
                    "latest_category",
                    "Latest category of abuse",
                    "select",
                    options=codes.CATEGORIES_OF_ABUSE,
                    hint="Leave blank to use the initial category",
                ),
                Field("ended_on", "Date the plan ended", "date", on_edit_only=True),
                Field(
                    "end_reason", "Why the plan ended", "select", options=codes.CP_PLAN_END_REASONS, on_edit_only=True
                ),
            ),
            "child_protection_plan",
            "cp_plan",
            # At the plan's start date (its end is a chronology entry of its own).
            lambda r: f"Child protection plan started ({codes.label(codes.CATEGORIES_OF_ABUSE, r.initial_category)})",
        ),
        EventKind(
            "core-groups",
            "core group meeting",
            CoreGroupMeeting,
            "held_on",
            (
                Field("plan_id", "Child protection plan", "select", required=True, dynamic="cp_plans"),
                Field("held_on", "Date of the meeting", "date", required=True),
                Field("notes", "Notes", "textarea"),
            ),
            "core_group_meeting",
            "core_group",
            lambda r: "Core group meeting",
        ),
        EventKind(
            "visits",
            "visit",
            Visit,
            "visited_on",
            (
                Field("kind", "Kind of visit", "radios", required=True, options=rules.VISIT_KINDS),
                Field("visited_on", "Date of the visit", "date", required=True),
                Field("child_seen", "Was the child seen?", "yesno", required=True),
                Field("seen_alone", "Was the child seen alone?", "yesno", required=True, asked_if="child_seen"),
                Field("notes", "What was seen and heard", "textarea"),
            ),
            "visit",
            "visit",
            lambda r: (
                f"{rules.VISIT_KINDS.get(r.kind, 'Visit')}: "
                + ("child seen alone" if r.seen_alone else "child seen" if r.child_seen else "child not seen")
            ),
        ),
        EventKind(
            "cin-plans",
            "child in need plan",
            ChildInNeedPlan,
            "started_on",
            (
                Field("started_on", "Date the plan started", "date", required=True),
                Field("ended_on", "Date the plan ended", "date", on_edit_only=True),
                Field("notes", "Plan", "textarea"),
            ),
            "child_in_need_plan",
            "cin_plan",
            lambda r: "Child in need plan started",
        ),
        EventKind(
            "cin-reviews",
            "child in need review",
            ChildInNeedReview,
            "held_on",
            (
                Field("plan_id", "Child in need plan", "select", required=True, dynamic="cin_plans"),
                Field("held_on", "Date of the meeting or review", "date", required=True),
                Field("notes", "Notes", "textarea"),
            ),
            "child_in_need_review",
            "cin_review",
            lambda r: "Child in need review",
        ),
        EventKind(
            "notes",
            "case note",
            CaseNote,
            "occurred_at",
            (
                Field("kind", "Kind of note", "select", required=True, options=rules.NOTE_KINDS),
                Field("occurred_on", "Date", "date", required=True),
                Field("occurred_time", "Time", "time", hint="For example 14:30"),
                Field("text", "Note", "textarea", required=True),
            ),
            "case_note",
            "note",
            lambda r: rules.NOTE_KINDS.get(r.kind, "Note"),
        ),
    )
}

# Kinds whose rows belong to an episode (referral) and whose dates the timescales read.
EPISODE_KINDS = frozenset(k for k in KINDS if k != "notes")


def event_date(kind: EventKind, row: Any) -> date:
    value = getattr(row, kind.date_field)
    if isinstance(value, datetime):
        return value.astimezone(LONDON).date()
    assert isinstance(value, date)
    return value


# A yes/no answer as posted (older forms and API callers sent a checkbox's "1"); empty is unanswered.
YES_NO = {"yes": True, "1": True, "true": True, "on": True, "no": False, "0": False, "false": False}


def parse(
    kind: EventKind, form: Mapping[str, Any], *, editing: bool, options: Mapping[str, Mapping[str, str]]
) -> tuple[dict[str, Any], dict[str, str]]:
    """What was typed, as typed values; and the field errors (each naming its field)."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for f in kind.fields:
        if f.on_edit_only and not editing:
            continue
        raw = form.get(f.name)
        raw_text = raw.strip() if isinstance(raw, str) else ""
        label = f.label
        if f.type == "date":
            values[f.name] = date_field(
                raw_text, f.name, f"the {label[0].lower()}{label[1:]}", errors, required=f.required, noun=label
            )
        elif f.type == "time":
            clock = time_field(raw_text, f.name, label, errors, required=False)
            values[f.name] = clock or time(12, 0)  # a visit's time is often not known: noon keeps its day
        elif f.type == "checkbox":
            values[f.name] = raw_text in ("1", "on", "true", "yes")
        elif f.type == "yesno":
            answer = YES_NO.get(raw_text.lower())
            values[f.name] = bool(answer)
            asked = f.asked_if is None or values.get(f.asked_if)
            if answer is None and (raw_text or (f.required and asked)):
                errors[f.name] = f"Select yes or no: {label[0].lower()}{label[1:]}"
        elif f.type in ("select", "radios"):
            choices = options.get(f.dynamic, {}) if f.dynamic else (f.options or {})
            if not raw_text:
                values[f.name] = None
                if f.required:
                    errors[f.name] = f"Choose the {label[0].lower()}{label[1:]}"
            elif raw_text not in choices:
                errors[f.name] = f"Choose the {label[0].lower()}{label[1:]} from the list"
            else:
                values[f.name] = int(raw_text) if f.dynamic else raw_text
        elif f.type == "participants":
            rows: list[tuple[str, str, str]] = []
            for i in range(PARTICIPANT_ROWS):
                agency = str(form.get(f"participants.{i}.agency", "") or "").strip()
                name = str(form.get(f"participants.{i}.name", "") or "").strip()
                role = str(form.get(f"participants.{i}.role", "") or "").strip()
                if not (agency or name or role):
                    continue
                for part, value in (("agency", agency), ("name", name), ("role", role)):
                    text_field(
                        value,
                        f"participants.{i}.{part}",
                        f"participant {i + 1} {part}",
                        errors,
                        limit=rules.NAME_MAX,
                        required=False,
                    )
                if not agency or not name:
                    errors[f"participants.{i}.name"] = f"Give participant {i + 1}'s agency and name"
                rows.append((agency, name, role))
            values[f.name] = rows
        else:
            text_field(raw_text, f.name, label.lower(), errors, limit=f.limit, required=f.required)
            values[f.name] = raw_text or None
    return values, errors


def form_values(kind: EventKind, row: Any) -> dict[str, str]:
    """A saved row as the strings its form shows."""
    shown: dict[str, str] = {}
    for f in kind.fields:
        if f.type == "participants":
            for i, p in enumerate(getattr(row, "participants", [])):
                shown[f"participants.{i}.agency"] = p.agency
                shown[f"participants.{i}.name"] = p.name
                shown[f"participants.{i}.role"] = p.role or ""
            continue
        if f.name in ("occurred_on", "occurred_time"):
            local = row.occurred_at.astimezone(LONDON)
            shown["occurred_on"] = local.date().isoformat()
            shown["occurred_time"] = local.strftime("%H:%M")
            continue
        if f.name == "conference_id":
            continue  # filled by the service from the conference that names the plan
        value = getattr(row, f.name, None)
        if f.type == "yesno":
            shown[f.name] = "yes" if value else "no"
        elif isinstance(value, bool):
            shown[f.name] = "1" if value else ""
        elif isinstance(value, date):
            shown[f.name] = value.isoformat()
        else:
            shown[f.name] = "" if value is None else str(value)
    return shown
