"""Recording a contact that came to the MASH by phone, e-mail or in person."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from safeguarding.core import access
from safeguarding.core.access import Action, Kind
from safeguarding.core.db import Database
from safeguarding.core.errors import ValidationFailed
from safeguarding.core.form_fields import date_field, in_england, time_field
from safeguarding.core.users import User
from safeguarding.front_door.models import (
    Contact,
    SubjectRole,
)


def _text(form: Mapping[str, Any], key: str) -> str | None:
    value = form.get(key)
    text = str(value).strip() if value is not None else ""
    return text or None


MAX_CHILD_ROWS = 4
MAX_ADULT_ROWS = 3


def contact_input_from_form(form: Mapping[str, Any]) -> tuple[Any, list[str]]:
    """Turn the MASH "record a contact" form into intake's ContactInput; blank person rows are skipped.
    Also returns the form prefix of each subject, so intake's errors can be shown beside the right field.

    ``received_date`` and ``received_time`` are London local time (what the worker reads off the call log)."""
    from safeguarding.front_door import intake  # written alongside; see intake.submit_contact

    errors: dict[str, str] = {}
    received_at: datetime | None = None
    received_day = date_field(_text(form, "received_date"), "received_date", "the date the contact was received",
                              errors)
    clock = time_field(_text(form, "received_time"), "received_time", "the time the contact was received", errors)
    if received_day is not None and clock is not None:
        received_at = in_england(received_day, clock)
    subjects = []
    prefixes: list[str] = []
    for i in range(1, MAX_CHILD_ROWS + MAX_ADULT_ROWS + 1):
        prefix = f"child{i}" if i <= MAX_CHILD_ROWS else f"adult{i - MAX_CHILD_ROWS}"
        first, last = _text(form, f"{prefix}_first_name"), _text(form, f"{prefix}_last_name")
        dob_raw = _text(form, f"{prefix}_date_of_birth")
        if not (first or last or dob_raw):
            continue
        role = SubjectRole.CHILD if prefix.startswith("child") else SubjectRole(
            _text(form, f"{prefix}_role") or SubjectRole.PARENT)
        prefixes.append(prefix)
        subjects.append(intake.SubjectInput(
            role=role, first_name=first or "", last_name=last or "",
            date_of_birth=date_field(dob_raw, f"{prefix}_date_of_birth", "date of birth", errors, required=False),
            nhs_number=_text(form, f"{prefix}_nhs_number"), address=_text(form, f"{prefix}_address"),
            postcode=_text(form, f"{prefix}_postcode")))
    if errors:
        raise ValidationFailed(errors)
    from safeguarding.front_door.models import Channel, ConsentPosition, ReporterKind

    def choice(key: str, enum: Any, default: str) -> Any:
        raw = _text(form, key) or default
        try:
            return enum(raw)
        except ValueError:
            raise ValidationFailed({key: f"Choose a {key.replace('_', ' ')} from the list"}) from None

    return intake.ContactInput(
        channel=choice("channel", Channel, "phone"),
        reporter_kind=choice("reporter_kind", ReporterKind, "public"),
        referral_source=_text(form, "referral_source") or "",
        worry=str(form.get("worry") or ""),
        consent=choice("consent", ConsentPosition, "unknown"),
        subjects=tuple(subjects),
        received_at=received_at,
        reporter_name=_text(form, "reporter_name"),
        reporter_role=_text(form, "reporter_role"),
        reporter_phone=_text(form, "reporter_phone"),
        reporter_email=_text(form, "reporter_email"),
        consent_notes=_text(form, "consent_notes"),
    ), prefixes


def record_contact(session: Session, database: Database, user: User, form: Mapping[str, Any]) -> Contact:
    """A phone, e-mail or in-person contact typed in by MASH staff, through the same intake as the portal."""
    from safeguarding.front_door import intake

    access.require_role(database, user, Kind.CONTACT, Action.SCREEN)
    data, prefixes = contact_input_from_form(form)
    try:
        contact: Contact = intake.submit_contact(session, database, user, data)
    except ValidationFailed as exc:
        raise ValidationFailed({_form_field(key, prefixes): message for key, message in exc.errors.items()}) \
            from None
    return contact


def _form_field(key: str, prefixes: list[str]) -> str:
    """Intake's field names ("subjects.0.first_name", "received_at") as this form's ("child1_first_name")."""
    if key == "received_at":
        return "received_date"
    if key == "subjects":
        return "child1_first_name"
    parts = key.split(".")
    if len(parts) == 3 and parts[0] == "subjects" and parts[1].isdigit() and int(parts[1]) < len(prefixes):
        return f"{prefixes[int(parts[1])]}_{parts[2]}"
    return key
