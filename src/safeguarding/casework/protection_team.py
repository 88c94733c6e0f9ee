"""The multi-agency child protection team (MACPT) of a section 47 enquiry: its lead child protection practitioner
and its members from police, health and education, with the dates each joined and left.

Source: Children's Wellbeing and Schools Act 2026 s3 (new s16EA Children Act 2004): the safeguarding partners'
arrangements establish multi-agency child protection teams to support the council's section 47 duties, with at
least a social worker and an education professional (council-nominated), a registered health professional
(ICB-nominated) and a police officer or employee. WT2023: the lead practitioner for a child protection enquiry is
always a social worker, so the lead child protection practitioner is recorded from children's social care.

Every call asks the access policy through ``case_access`` (the case's policy, then the allocation scope) and is
audited; an edit loaded at an older version is refused with the saved version (``EditConflict``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeguarding.casework.case_access import audit, case_subject, flush, may, person_of, require
from safeguarding.casework.models import ProtectionTeamMember, Section47Enquiry
from safeguarding.core.access import Action
from safeguarding.core.calendar import today_in_london
from safeguarding.core.dates import long_date
from safeguarding.core.db import Database
from safeguarding.core.errors import NotFound, ValidationFailed
from safeguarding.core.form_fields import date_field, record_id, text_field
from safeguarding.core.record_versions import SavedField, check_version
from safeguarding.core.users import User
from safeguarding.people.models import Person

AGENCIES: Final = MappingProxyType(
    {
        "social_care": "Children's social care",
        "police": "Police",
        "health": "Health",
        "education": "Education",
    }
)
LEAD_AGENCY: Final = "social_care"
NAME_MAX: Final = 200
FIELDS = (
    ("name", "Name"),
    ("agency", "Agency"),
    ("role", "Role"),
    ("is_lead", "Lead child protection practitioner"),
    ("joined_on", "Date they joined the team"),
    ("left_on", "Date they left the team"),
)


@dataclass(frozen=True)
class Team:
    person: Person
    enquiry: Section47Enquiry
    members: list[ProtectionTeamMember]
    may_write: bool

    @property
    def lead(self) -> ProtectionTeamMember | None:
        return next((m for m in self.members if m.is_lead and m.left_on is None), None)

    def missing_agencies(self) -> list[str]:
        """The agencies the Act asks for that have no current member."""
        present = {m.agency for m in self.members if m.left_on is None}
        return [label for code, label in AGENCIES.items() if code not in present]


def _enquiry(session: Session, person_id: int, section47_id: int) -> Section47Enquiry:
    enquiry = session.get(Section47Enquiry, section47_id)
    if enquiry is None or enquiry.person_id != person_id:
        raise NotFound("There is no such section 47 enquiry for this child.")
    return enquiry


def members_of_each(session: Session, section47_ids: list[int]) -> dict[int, list[ProtectionTeamMember]]:
    """Each enquiry's members in one statement (the case page's list), the lead first, then by the date joined."""
    found: dict[int, list[ProtectionTeamMember]] = {}
    if not section47_ids:
        return found
    rows = session.scalars(
        select(ProtectionTeamMember)
        .where(ProtectionTeamMember.section47_id.in_(section47_ids))
        .order_by(ProtectionTeamMember.is_lead.desc(), ProtectionTeamMember.joined_on, ProtectionTeamMember.id)
    )
    for row in rows:
        found.setdefault(row.section47_id, []).append(row)
    return found


def team(session: Session, database: Database, user: User, person_id: int, section47_id: int) -> Team:
    person = person_of(session, person_id)
    subject = case_subject(session, person_id)
    require(session, database, user, Action.VIEW, subject)
    enquiry = _enquiry(session, person_id, section47_id)
    members = members_of_each(session, [enquiry.id]).get(enquiry.id, [])
    audit(session, user, "view", "protection_team", enquiry.id, person_id)
    return Team(person, enquiry, members, may(session, user, Action.UPDATE, subject))


def member_of(session: Session, enquiry: Section47Enquiry, member_id: int) -> ProtectionTeamMember:
    member = session.get(ProtectionTeamMember, member_id)
    if member is None or member.section47_id != enquiry.id:
        raise NotFound("There is no such member of this enquiry's team.")
    return member


def member_values(member: ProtectionTeamMember) -> dict[str, str]:
    return {
        "version": str(member.version),
        "name": member.name,
        "agency": member.agency,
        "role": member.role,
        "is_lead": "yes" if member.is_lead else "no",
        "joined_on": member.joined_on.isoformat(),
        "left_on": member.left_on.isoformat() if member.left_on else "",
    }


def save_member(
    session: Session,
    database: Database,
    user: User,
    person_id: int,
    section47_id: int,
    form: Mapping[str, str],
    member_id: int | None = None,
) -> ProtectionTeamMember:
    """Add a member to the enquiry's team, or change one (the date they left, most often)."""
    person_of(session, person_id)
    require(session, database, user, Action.UPDATE if member_id else Action.CREATE, case_subject(session, person_id))
    enquiry = _enquiry(session, person_id, section47_id)
    member = member_of(session, enquiry, member_id) if member_id is not None else None
    if member is not None:
        values = member_values(member)
        saved = [
            SavedField(
                n,
                label,
                values[n],
                dict(AGENCIES) if n == "agency" else {"yes": "Yes", "no": "No"} if n == "is_lead" else {},
                n.endswith("_on"),
            )
            for n, label in FIELDS
        ]
        check_version(session, "protection_team_member", member, record_id(form.get("version")), saved)
    errors: dict[str, str] = {}
    name = text_field(form.get("name"), "name", "their name", errors, limit=NAME_MAX)
    agency = (form.get("agency") or "").strip()
    if agency not in AGENCIES:
        errors["agency"] = "Select their agency"
    role = text_field(form.get("role"), "role", "their role", errors, limit=NAME_MAX)
    lead_answer = (form.get("is_lead") or "").strip()
    if lead_answer not in ("yes", "no"):
        errors["is_lead"] = "Select yes if they are the lead child protection practitioner, or no"
    joined = date_field(form.get("joined_on"), "joined_on", "the date they joined the team", errors)
    left = date_field(form.get("left_on"), "left_on", "the date they left the team", errors, required=False)
    today = today_in_london()
    is_lead = lead_answer == "yes"
    if is_lead and agency in AGENCIES and agency != LEAD_AGENCY:
        errors["is_lead"] = "The lead child protection practitioner is a social worker from children's social care"
    if joined is not None and "joined_on" not in errors:
        if joined > today:
            errors["joined_on"] = "The date they joined the team must be today or in the past"
        elif joined < enquiry.started_on:
            errors["joined_on"] = (
                f"The date they joined the team must be on or after the enquiry started on "
                f"{long_date(enquiry.started_on)}"
            )
    if left is not None and "left_on" not in errors:
        if left > today:
            errors["left_on"] = "The date they left the team must be today or in the past"
        elif joined is not None and left < joined:
            errors["left_on"] = "The date they left the team must be on or after the date they joined"
    if is_lead and left is None and "is_lead" not in errors:
        others = [
            m
            for m in members_of_each(session, [enquiry.id]).get(enquiry.id, [])
            if m.is_lead and m.left_on is None and m.id != member_id
        ]
        if others:
            errors["is_lead"] = (
                f"{others[0].name} is the lead child protection practitioner: record the date they left first"
            )
    if errors:
        raise ValidationFailed(errors)
    assert name is not None and role is not None and joined is not None
    if member is None:
        member = ProtectionTeamMember(person_id=person_id, section47_id=enquiry.id, recorded_by_id=user.id)
        session.add(member)
    member.name, member.agency, member.role, member.is_lead = name, agency, role, is_lead
    member.joined_on, member.left_on = joined, left
    flush(session)
    audit(
        session,
        user,
        "update" if member_id else "create",
        "protection_team_member",
        member.id,
        person_id,
        section47=enquiry.id,
        agency=agency,
        lead=is_lead,
    )
    return member
