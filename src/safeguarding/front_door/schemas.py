"""Pydantic models of the front door's JSON API: what partner systems send and what they get back.

Types and lengths are checked here, so a malformed request is refused with the field named before any service
runs; the domain rules (DfE codes, NHS check digits, dates against the time received) are the service's.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from safeguarding.core.codes import REFERRAL_SOURCES
from safeguarding.core.dates import BirthDate, EventMoment
from safeguarding.core.form_fields import PlainInput
from safeguarding.front_door import rules
from safeguarding.front_door.models import (
    Channel,
    CheckStatus,
    ConsentPosition,
    ContactStatus,
    DecisionStatus,
    Outcome,
    Rag,
    ReporterKind,
    SubjectRole,
)
from safeguarding.web.api_errors import FieldError, Problem

__all__ = ["FieldError", "Problem"]  # the API's error body, named here for the front door's routes

# The DfE CIN census ReferralSource codes, listed in the OpenAPI document as an enumeration.
ReferralSource = Literal[tuple(REFERRAL_SOURCES)]  # type: ignore[valid-type]

_strict = ConfigDict(extra="forbid")


class SubjectIn(PlainInput):
    """A child or adult the contact is about, as the referrer knows them."""

    model_config = _strict
    role: SubjectRole
    first_name: str = Field(min_length=1, max_length=rules.NAME_MAX_CHARS)
    last_name: str = Field(min_length=1, max_length=rules.NAME_MAX_CHARS)
    date_of_birth: BirthDate | None = None
    nhs_number: str | None = Field(
        default=None, max_length=20, description="10 digits with a valid modulus-11 check digit; spaces allowed"
    )
    address: str | None = Field(default=None, max_length=rules.ADDRESS_MAX_CHARS)
    postcode: str | None = Field(default=None, max_length=10, description="A UK postcode")


class ContactIn(PlainInput):
    """A new contact. Partner systems leave ``channel``, ``reporter_kind`` and ``received_at`` out: a partner's
    contact is from its own agency, through the API, received when sent. MASH staff recording a call give all
    three."""

    model_config = _strict
    referral_source: ReferralSource | None = Field(  # type: ignore[valid-type]
        default=None, description="DfE CIN census ReferralSource code; a partner's agency default when left out"
    )
    worry: str = Field(min_length=1, max_length=rules.WORRY_MAX_CHARS, description="What the referrer is worried about")
    consent: ConsentPosition = Field(description="Whether the family knows of and agrees to the contact")
    consent_notes: str | None = Field(default=None, max_length=rules.CONSENT_NOTES_MAX_CHARS)
    subjects: list[SubjectIn] = Field(
        min_length=1, max_length=rules.MAX_SUBJECTS, description="At least one child; siblings and adults may be added"
    )
    reporter_name: str | None = Field(default=None, max_length=rules.REPORTER_TEXT_MAX_CHARS)
    reporter_role: str | None = Field(default=None, max_length=rules.REPORTER_TEXT_MAX_CHARS)
    reporter_phone: str | None = Field(default=None, max_length=40)
    reporter_email: str | None = Field(default=None, max_length=254)
    channel: Channel | None = None
    reporter_kind: ReporterKind | None = None
    received_at: EventMoment | None = Field(default=None, description="MASH staff only: when the contact came in")


class ContactCreated(BaseModel):
    id: int
    reference: str
    status: str = Field(
        description="For partners: received / being_considered / decided. For staff: the contact's working status"
    )
    due_at: datetime = Field(description="When the decision on the contact is due")


class SubjectOut(BaseModel):
    # The response models read the service's views and the ORM rows by attribute: no field-by-field copies.
    model_config = ConfigDict(from_attributes=True)

    role: SubjectRole
    first_name: str
    last_name: str
    date_of_birth: date | None
    nhs_number: str | None
    address: str | None
    postcode: str | None


class ContactOutcomeOut(BaseModel):
    """A contact as its referrer may know it: what they sent, its progress, and its outcome once in effect."""

    model_config = ConfigDict(from_attributes=True)

    view: Literal["outcome"] = "outcome"
    id: int
    reference: str
    received_at: datetime
    channel: Channel
    referral_source: str
    reporter_name: str | None
    reporter_role: str | None
    reporter_phone: str | None
    reporter_email: str | None
    worry: str
    consent: ConsentPosition
    consent_notes: str | None
    subjects: list[SubjectOut]
    status: rules.PartnerStatus
    outcome: Outcome | None
    outcome_label: str | None
    outcome_at: datetime | None


class LinkedSubjectOut(SubjectOut):
    person_id: int | None


class DecisionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    level_of_need: int
    outcome: Outcome
    status: DecisionStatus
    decided_at: datetime
    took_effect_at: datetime | None


class ContactOut(BaseModel):
    """A contact in full, for staff."""

    model_config = ConfigDict(from_attributes=True)

    view: Literal["full"] = "full"
    id: int
    reference: str
    received_at: datetime
    channel: Channel
    reporter_kind: ReporterKind
    reporting_agency_id: int | None
    reporter_name: str | None
    reporter_role: str | None
    reporter_phone: str | None
    reporter_email: str | None
    referral_source: str
    worry: str
    consent: ConsentPosition
    consent_notes: str | None
    status: ContactStatus
    rag: Rag | None
    due_at: datetime
    routed_to_id: int | None
    subjects: list[LinkedSubjectOut]
    # Read from the contact's current decision (Contact.current_decision).
    decision: DecisionOut | None = Field(validation_alias=AliasChoices("decision", "current_decision"))


class ContactPage(BaseModel):
    items: list[ContactOutcomeOut]
    page: int
    size: int
    total: int


class CheckOut(BaseModel):
    """A partner check addressed to the caller's agency."""

    id: int
    version: int = Field(description="Send this back with the answer")
    contact_reference: str
    question: str
    lawful_basis: str
    consent: str
    consent_reason: str | None
    requested_at: datetime
    due_at: datetime
    status: CheckStatus
    response: str | None
    responded_at: datetime | None
    children: list[ChildNamed]


class ChildNamed(BaseModel):
    name: str
    date_of_birth: date | None


class CheckPage(BaseModel):
    items: list[CheckOut]
    page: int
    size: int
    total: int


class CheckResponseIn(PlainInput):
    model_config = _strict
    response: str = Field(min_length=1, max_length=rules.CHECK_RESPONSE_MAX_CHARS)
    version: int = Field(description="The check's version as read (from GET /checks)")


CheckOut.model_rebuild()
