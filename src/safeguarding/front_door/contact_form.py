"""The contact form, read one way for both pages that show it: the MASH's "record a contact" (a call, e-mail or visit)
and the partner portal's.

Each person on the form is a block of boxes named ``subjects.N.<field>``. ``ContactForm.send`` turns the form into
intake's ``ContactInput`` and refuses with every problem at once, each beside the box it is about: the form's own
(a date that is not a date, a choice that was not offered) and intake's (which name people by their position among
those filled in, and ``received_at`` for the two boxes the MASH types it in).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import TypeVar

from safeguarding.core.errors import ValidationFailed
from safeguarding.core.form_fields import date_field, date_parts_field, in_england, time_field
from safeguarding.front_door import rules
from safeguarding.front_door.intake import IDEMPOTENCY_FIELD, ContactInput, SubjectInput
from safeguarding.front_door.models import Channel, ConsentPosition, ReporterKind, SubjectRole

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)

MAX_BLOCKS = rules.MAX_SUBJECTS
# The MASH page shows a fixed set of blocks; the portal's grows with "Add another child" (no JavaScript needed).
MASH_CHILD_BLOCKS = 4
MASH_ADULT_BLOCKS = 3
# A person's boxes. The MASH page takes a date of birth in one date box, the portal in the three GOV.UK boxes.
SUBJECT_FIELDS = (
    "first_name",
    "last_name",
    "nhs_number",
    "address",
    "postcode",
    "date_of_birth",
    "date_of_birth-day",
    "date_of_birth-month",
    "date_of_birth-year",
)
CONTACT_FIELDS = (
    "channel",
    "received_date",
    "received_time",
    "reporter_kind",
    "referral_source",
    "reporter_name",
    "reporter_role",
    "reporter_phone",
    "reporter_email",
    "worry",
    "consent",
    "consent_notes",
    "idempotency_key",
)
# Where intake's messages that name no box of their own are shown.
_SHOWN_AT = {
    "subjects": "subjects.0.first_name",  # "name at least one child": at the first child's name
    "received_at": "received_date",
    IDEMPOTENCY_FIELD: "worry",
}


@dataclass
class Block:
    """One person's block on the form, by its position on the page."""

    index: int
    role: str
    values: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    @property
    def prefix(self) -> str:
        return f"subjects.{self.index}."

    @property
    def is_child(self) -> bool:
        return self.role == SubjectRole.CHILD.value

    @property
    def is_empty(self) -> bool:
        return not any(self.values.get(name, "").strip() for name in SUBJECT_FIELDS)

    @property
    def date_of_birth_text(self) -> str:
        parts = [self.get("date_of_birth-day"), self.get("date_of_birth-month"), self.get("date_of_birth-year")]
        return "/".join(parts) if any(p.strip() for p in parts) else self.get("date_of_birth")

    def date_of_birth(self, errors: dict[str, str]) -> date | None:
        name = self.prefix + "date_of_birth"
        if self.get("date_of_birth").strip():
            return date_field(self.get("date_of_birth"), name, "date of birth", errors, required=False)
        return date_parts_field(
            self.get("date_of_birth-day"),
            self.get("date_of_birth-month"),
            self.get("date_of_birth-year"),
            name,
            "date of birth",
            errors,
            required=False,
        )

    def subject(self, errors: dict[str, str]) -> SubjectInput:
        try:
            role = SubjectRole(self.role)
        except ValueError:
            role = SubjectRole.OTHER_ADULT
            errors[self.prefix + "role"] = "Choose who this person is"
        return SubjectInput(
            role=role,
            first_name=self.get("first_name"),
            last_name=self.get("last_name"),
            date_of_birth=self.date_of_birth(errors),
            nhs_number=self.get("nhs_number"),
            address=self.get("address"),
            postcode=self.get("postcode"),
        )


@dataclass
class ContactForm:
    """The contact form as posted (or as first shown): its boxes by name, and its people's blocks."""

    values: dict[str, str]
    blocks: list[Block]

    @classmethod
    def posted(cls, form: Mapping[str, str], *, children: int, adults: int) -> ContactForm:
        blocks: list[Block] = []
        for index in range(min(children + adults, MAX_BLOCKS)):
            prefix = f"subjects.{index}."
            role = SubjectRole.CHILD.value if index < children else form.get(prefix + "role", SubjectRole.PARENT.value)
            blocks.append(Block(index, role, {name: form.get(prefix + name, "") for name in SUBJECT_FIELDS}))
        return cls({name: form.get(name, "") for name in CONTACT_FIELDS}, blocks)

    @classmethod
    def mash(cls, form: Mapping[str, str]) -> ContactForm:
        return cls.posted(form, children=MASH_CHILD_BLOCKS, adults=MASH_ADULT_BLOCKS)

    @classmethod
    def portal(cls, form: Mapping[str, str]) -> ContactForm:
        """The portal's blocks: as many as the form says it shows (at least one child)."""
        return cls.posted(
            form,
            children=_count(form.get("children_count", "1"), 1, 1),
            adults=_count(form.get("adults_count", "1"), 1, 0),
        )

    @property
    def children(self) -> list[Block]:
        return [b for b in self.blocks if b.is_child]

    @property
    def adults(self) -> list[Block]:
        return [b for b in self.blocks if not b.is_child]

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    def contact_input(self, *, staff: bool) -> tuple[ContactInput, dict[str, str]]:
        """Intake's input, and the form's own problems by box. Empty blocks are left out.

        Staff say how and when the contact came in (``received_date`` and ``received_time`` in London time, what
        the worker reads off the call log); a partner's contact comes through the portal, received when sent.
        """
        errors: dict[str, str] = {}
        channel, reporter_kind, received_at = Channel.PORTAL, ReporterKind.PARTNER_AGENCY, None
        if staff:
            channel = _choice(self.get("channel") or Channel.PHONE, Channel, "channel", errors)
            reporter_kind = _choice(
                self.get("reporter_kind") or ReporterKind.PUBLIC, ReporterKind, "reporter_kind", errors
            )
            received_at = self._received_at(errors)
        subjects = tuple(block.subject(errors) for block in self.blocks if not block.is_empty)
        try:
            # The MASH page starts at "not known"; a partner chooses.
            consent = ConsentPosition(self.get("consent") or (ConsentPosition.UNKNOWN if staff else ""))
        except ValueError:
            consent = ConsentPosition.UNKNOWN
            errors["consent"] = "Choose whether the family knows about this contact"
        data = ContactInput(
            channel=channel,
            reporter_kind=reporter_kind,
            referral_source=self.get("referral_source"),
            worry=self.get("worry"),
            consent=consent,
            subjects=subjects,
            received_at=received_at,
            reporter_name=self.get("reporter_name"),
            reporter_role=self.get("reporter_role"),
            reporter_phone=self.get("reporter_phone"),
            reporter_email=self.get("reporter_email"),
            consent_notes=self.get("consent_notes"),
            idempotency_key=self.get("idempotency_key") or None,
        )
        return data, errors

    def _received_at(self, errors: dict[str, str]) -> datetime | None:
        day = date_field(self.get("received_date"), "received_date", "the date the contact was received", errors)
        clock = time_field(self.get("received_time"), "received_time", "the time the contact was received", errors)
        return in_england(day, clock) if day is not None and clock is not None else None

    def send(self, *, staff: bool, to: Callable[[ContactInput], T], check: Callable[[ContactInput], object]) -> T:
        """Send the contact the form describes ``to`` intake, or raise ValidationFailed with every problem beside
        its box.

        When the form has problems of its own, intake only ``check``s it (nothing is written), so its messages
        show with the form's.
        """
        data, problems = self.contact_input(staff=staff)
        try:
            if not problems:
                return to(data)
            check(data)
        except ValidationFailed as refused:
            raise ValidationFailed(self.on_page(refused.errors, problems)) from None
        raise ValidationFailed(problems)

    def on_page(self, errors: Mapping[str, str], problems: Mapping[str, str] | None = None) -> dict[str, str]:
        """Intake's messages beside the boxes they are about, with the form's own ``problems``; intake's message
        about a value the form could not read (a time received that is not a time) is left out."""
        filled = [b.index for b in self.blocks if not b.is_empty]
        problems = problems or {}
        shown: dict[str, str] = {}
        for key, message in errors.items():
            parts = key.split(".", 2)
            if len(parts) == 3 and parts[0] == "subjects" and parts[1].isdigit() and int(parts[1]) < len(filled):
                key = f"subjects.{filled[int(parts[1])]}.{parts[2]}"
            elif key == "received_at" and ({"received_date", "received_time"} & problems.keys()):
                continue
            shown[_SHOWN_AT.get(key, key)] = message
        return {**problems, **{key: message for key, message in shown.items() if key not in problems}}


def _count(raw: str, default: int, least: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        return default
    return min(max(least, value), MAX_BLOCKS)


def _choice(raw: str, kind: type[E], name: str, errors: dict[str, str]) -> E:
    try:
        return kind(raw)
    except ValueError:
        errors[name] = f"Choose a {name.replace('_', ' ')} from the list"
        return next(iter(kind))
