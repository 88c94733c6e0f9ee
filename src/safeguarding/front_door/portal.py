"""The partner portal: an agency's practitioners make contacts, follow their outcome and answer the MASH's checks.

Every page asks the services in ``intake`` (which ask ``core.access``); nothing here decides who sees what. The
contact form works without JavaScript: "Add another child" posts the form back with one more block, and the
answers are checked on a "Check your answers" page before anything is recorded.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from safeguarding.core import codes
from safeguarding.core.errors import ValidationFailed
from safeguarding.core.form_fields import date_parts_field, record_id
from safeguarding.core.users import User
from safeguarding.front_door import intake, rules
from safeguarding.front_door.intake import ContactInput, DuplicateSubmission, SubjectInput
from safeguarding.front_door.models import Channel, CheckStatus, ConsentPosition, ReporterKind, SubjectRole
from safeguarding.web.deps import CurrentUser, Db, DbSession, RecordId, TransactionalRoute, csrf_protect
from safeguarding.web.templating import render

router = APIRouter(route_class=TransactionalRoute, dependencies=[Depends(csrf_protect)])

MAX_BLOCKS = rules.MAX_SUBJECTS
# Record ids are 32-bit integers in both databases; anything else cannot name a record.

CONSENT_OPTIONS: list[tuple[str, str]] = [
    (ConsentPosition.CONSENT_GIVEN.value, "Yes, they know and agree to this contact"),
    (ConsentPosition.AWARE_NOT_CONSENTED.value, "They know but do not agree"),
    (ConsentPosition.NOT_INFORMED_RISK.value, "No: telling them could put the child at risk"),
    (ConsentPosition.NOT_INFORMED_OTHER.value, "No, for another reason (say why below)"),
    (ConsentPosition.UNKNOWN.value, "I do not know"),
]
CONSENT_LABELS = dict(CONSENT_OPTIONS)
ADULT_ROLES: list[tuple[str, str]] = [
    (SubjectRole.PARENT.value, "Parent"),
    (SubjectRole.CARER.value, "Carer"),
    (SubjectRole.HOUSEHOLD_MEMBER.value, "Lives in the household"),
    (SubjectRole.ALLEGED_PERPETRATOR.value, "Person alleged to have caused harm"),
    (SubjectRole.OTHER_ADULT.value, "Other adult"),
]
ROLE_LABELS = {SubjectRole.CHILD.value: "Child", **dict(ADULT_ROLES)}
LAWFUL_BASIS_LABELS = {
    "public_task": "Public task (UK GDPR Article 6(1)(e))",
    "legal_obligation": "Legal obligation (UK GDPR Article 6(1)(c))",
    "vital_interests": "Vital interests (UK GDPR Article 6(1)(d))",
}
SUBJECT_FIELDS = ("first_name", "last_name", "nhs_number", "address", "postcode",
                  "date_of_birth-day", "date_of_birth-month", "date_of_birth-year")


async def _form(request: Request) -> dict[str, str]:
    """The posted form as text fields (csrf_protect has already read it, so this is cached)."""
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


FormData = Annotated[dict[str, str], Depends(_form)]


@dataclass
class Block:
    """One person's block on the form, by its position on the page."""

    index: int
    role: str
    values: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    @property
    def is_child(self) -> bool:
        return self.role == SubjectRole.CHILD.value

    @property
    def is_empty(self) -> bool:
        return not any(self.values.get(name, "").strip() for name in SUBJECT_FIELDS)

    @property
    def date_of_birth_text(self) -> str:
        parts = [self.get("date_of_birth-day"), self.get("date_of_birth-month"), self.get("date_of_birth-year")]
        return "/".join(parts) if any(p.strip() for p in parts) else ""


@dataclass
class ContactForm:
    """The contact form as posted (or as first shown), with what it parsed to."""

    values: dict[str, str]
    blocks: list[Block]

    @property
    def children(self) -> list[Block]:
        return [b for b in self.blocks if b.is_child]

    @property
    def adults(self) -> list[Block]:
        return [b for b in self.blocks if not b.is_child]

    def get(self, name: str) -> str:
        return self.values.get(name, "")


def _count(raw: str, default: int, least: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        return default
    return min(max(least, value), MAX_BLOCKS)


def _read_form(data: dict[str, str]) -> ContactForm:
    children = _count(data.get("children_count", "1"), 1, 1)
    adults = _count(data.get("adults_count", "1"), 1, 0)
    blocks: list[Block] = []
    for index in range(min(children + adults, MAX_BLOCKS)):
        prefix = f"subjects.{index}."
        role = SubjectRole.CHILD.value if index < children else data.get(prefix + "role", SubjectRole.PARENT.value)
        blocks.append(Block(index, role, {name: data.get(prefix + name, "") for name in SUBJECT_FIELDS}))
    keep = ("referral_source", "reporter_name", "reporter_role", "reporter_phone", "reporter_email", "worry",
            "consent", "consent_notes", "idempotency_key")
    return ContactForm({k: data.get(k, "") for k in keep}, blocks)


def _to_input(form: ContactForm) -> tuple[ContactInput, dict[str, str]]:
    """The service's input from the form, and the form's own errors (dates that are not dates) by field.

    Empty person blocks are skipped; service errors name subjects by their position in the input, so they are
    renamed here to the block on the page (see :func:`_rename`).
    """
    errors: dict[str, str] = {}
    subjects: list[SubjectInput] = []
    for block in form.blocks:
        if block.is_empty:
            continue
        born = date_parts_field(block.get("date_of_birth-day"), block.get("date_of_birth-month"),
                                block.get("date_of_birth-year"), f"subjects.{block.index}.date_of_birth",
                                "date of birth", errors, required=False)
        try:
            role = SubjectRole(block.role)
        except ValueError:
            role = SubjectRole.OTHER_ADULT
            errors[f"subjects.{block.index}.role"] = "Choose who this person is"
        subjects.append(SubjectInput(role=role, first_name=block.get("first_name"),
                                     last_name=block.get("last_name"), date_of_birth=born,
                                     nhs_number=block.get("nhs_number"), address=block.get("address"),
                                     postcode=block.get("postcode")))
    consent_raw = form.get("consent")
    try:
        consent = ConsentPosition(consent_raw)
    except ValueError:
        consent = ConsentPosition.UNKNOWN
        errors["consent"] = "Choose whether the family knows about this contact"
    data = ContactInput(
        channel=Channel.PORTAL, reporter_kind=ReporterKind.PARTNER_AGENCY,
        referral_source=form.get("referral_source"), worry=form.get("worry"), consent=consent,
        subjects=tuple(subjects), reporter_name=form.get("reporter_name"), reporter_role=form.get("reporter_role"),
        reporter_phone=form.get("reporter_phone"), reporter_email=form.get("reporter_email"),
        consent_notes=form.get("consent_notes"), idempotency_key=form.get("idempotency_key") or None)
    return data, errors


def _rename(form: ContactForm, errors: dict[str, str]) -> dict[str, str]:
    """Service errors name ``subjects.N`` by position among the filled-in blocks; the page names blocks."""
    filled = [b.index for b in form.blocks if not b.is_empty]
    renamed: dict[str, str] = {}
    for key, message in errors.items():
        parts = key.split(".", 2)
        if len(parts) == 3 and parts[0] == "subjects" and parts[1].isdigit() and int(parts[1]) < len(filled):
            key = f"subjects.{filled[int(parts[1])]}.{parts[2]}"
        elif key == "subjects":
            key = "subjects.0.first_name"  # "name at least one child": point at the first child's name
        elif key == intake.IDEMPOTENCY_FIELD:
            key = "worry"
        renamed[key] = message
    return renamed


def _render_form(request: Request, form: ContactForm, errors: dict[str, str] | None = None,
                 status_code: int = 200) -> Response:
    return render(request, "front_door/portal_contact_form.html", status_code=status_code,
                  title=("Error: " if errors else "") + "Tell us about a child you are worried about",
                  form=form, errors=errors or {}, consent_options=CONSENT_OPTIONS, adult_roles=ADULT_ROLES,
                  # Only the codes a professional's contact can carry (rules.source_fits_reporter).
                  sources=sorted(((code, text) for code, text in codes.REFERRAL_SOURCES.items()
                                  if rules.source_fits_reporter(ReporterKind.PARTNER_AGENCY, code)),
                                 key=lambda kv: _source_order(kv[0])))


def _source_order(code: str) -> tuple[int, str]:
    digits = "".join(c for c in code if c.isdigit())
    return int(digits or 0), code


# --- pages ------------------------------------------------------------------------------------------------------


@router.get("/portal", include_in_schema=False)
def portal_home(request: Request, db: DbSession, database: Db, user: CurrentUser, page: int = 1) -> Response:
    contacts = intake.agency_contacts(db, database, user, page=page)
    checks = intake.agency_checks(db, database, user, awaiting_only=True, size=50)
    return render(request, "front_door/portal_home.html", title="Your agency's contacts", contacts=contacts,
                  checks=checks, status_labels=rules.PARTNER_STATUS_LABELS,
                  flash=_flash(request.query_params.get("answered")))


def _flash(answered: str | None) -> str | None:
    return "Your answer has been sent to the MASH." if answered else None


@router.get("/portal/contacts/new", include_in_schema=False)
def new_contact_page(request: Request, db: DbSession, database: Db, user: CurrentUser) -> Response:
    defaults = intake.portal_defaults(db, database, user)
    form = _read_form({})
    form.values.update(referral_source=defaults.referral_source, reporter_name=defaults.reporter_name,
                       reporter_email=defaults.reporter_email,
                       # A fresh key per form: a double-click or a resubmitted page records one contact.
                       idempotency_key=secrets.token_urlsafe(18))
    return _render_form(request, form)


@router.post("/portal/contacts/new", include_in_schema=False)
def new_contact(request: Request, db: DbSession, database: Db, user: CurrentUser, data: FormData) -> Response:
    intake.portal_defaults(db, database, user)  # the portal is the partners' door; staff record at /mash
    form = _read_form(data)
    action = data.get("action", "check")
    if action in ("add_child", "add_adult", "change"):
        if action != "change" and len(form.blocks) < MAX_BLOCKS:
            if action == "add_child":
                # Children come first on the page: shift the adults' blocks down by one.
                adults = form.adults
                new_child = Block(len(form.children), SubjectRole.CHILD.value)
                form.blocks = [*form.children, new_child, *adults]
            else:
                form.blocks.append(Block(len(form.blocks), SubjectRole.PARENT.value))
            for index, block in enumerate(form.blocks):
                block.index = index
        return _render_form(request, form)
    contact_input, form_errors = _to_input(form)
    try:
        if action == "submit" and not form_errors:
            contact = intake.submit_contact(db, database, user, contact_input)
            return RedirectResponse(f"/portal/contacts/{contact.id}?sent=1", status_code=303)
        intake.check_contact(db, database, user, contact_input)
    except DuplicateSubmission as exc:
        # The same form sent twice (a double-click, the back button): show the contact already made.
        return RedirectResponse(f"/portal/contacts/{exc.contact_id}?sent=1", status_code=303)
    except ValidationFailed as exc:
        return _render_form(request, form, {**form_errors, **_rename(form, exc.errors)}, status_code=422)
    if form_errors:
        return _render_form(request, form, form_errors, status_code=422)
    return render(request, "front_door/portal_contact_check.html", title="Check your answers before sending",
                  form=form, data=data, consent_labels=CONSENT_LABELS, role_labels=ROLE_LABELS,
                  source_label=codes.label(codes.REFERRAL_SOURCES, contact_input.referral_source or
                                           (user.agency.default_referral_source if user.agency else None)))


@router.get("/portal/contacts/{contact_id}", include_in_schema=False)
def contact_page(request: Request, contact_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    contact = intake.contact_outcome(db, database, user, contact_id)
    sent = request.query_params.get("sent")
    return render(request, "front_door/portal_contact.html", title=f"Contact {contact.reference}",
                  contact=contact, consent_labels=CONSENT_LABELS, role_labels=ROLE_LABELS,
                  status_labels=rules.PARTNER_STATUS_LABELS,
                  flash=f"Your contact has been sent. Its reference is {contact.reference}." if sent else None)


def _render_check(request: Request, user: User, check: intake.CheckForAgency, errors: dict[str, str] | None = None,
                  response_text: str = "", status_code: int = 200) -> Response:
    return render(request, "front_door/portal_check.html", status_code=status_code,
                  title=("Error: " if errors else "") + f"Check for {check.contact_reference}", check=check,
                  errors=errors or {}, response_text=response_text, lawful_basis_labels=LAWFUL_BASIS_LABELS,
                  awaiting=check.status == CheckStatus.REQUESTED)


@router.get("/portal/checks/{check_id}", include_in_schema=False)
def check_page(request: Request, check_id: RecordId, db: DbSession, database: Db, user: CurrentUser) -> Response:
    return _render_check(request, user, intake.view_check(db, database, user, check_id))


@router.post("/portal/checks/{check_id}", include_in_schema=False)
def answer_check(request: Request, check_id: RecordId, db: DbSession, database: Db, user: CurrentUser,
                 data: FormData) -> Response:
    version = record_id(data.get("version")) or -1  # a form without its version is treated as stale
    try:
        intake.respond_to_check(db, database, user, check_id, data.get("response", ""), version)
    except ValidationFailed as exc:
        check = intake.view_check(db, database, user, check_id)
        return _render_check(request, user, check, exc.errors, data.get("response", ""), status_code=422)
    return RedirectResponse("/portal?answered=1", status_code=303)
