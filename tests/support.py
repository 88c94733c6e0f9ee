"""Test helpers: build users, agencies and teams quickly, and sign a test client in as any of them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import count
from typing import TYPE_CHECKING, Any

import pyotp
from fastapi.testclient import TestClient

from safeguarding.core.db import Database
from safeguarding.core.security import hash_password
from safeguarding.core.users import AgencyKind, ApiToken, PartnerAgency, Role, Team, User, UserSession

if TYPE_CHECKING:  # the world's records, typed; build_world imports them when it runs
    from safeguarding.casework.models import Referral
    from safeguarding.core.access import BreakGlassAccess
    from safeguarding.front_door.models import Contact, ContactDecision, ContactNote, PartnerCheck
    from safeguarding.people.models import FamilyRelationship, Person, PersonAlias

PASSWORD = "correct horse battery staple"
_seq = count(1)


@lru_cache(maxsize=1)
def _password_hash() -> str:
    # argon2id is slow by design; hash the shared test password once.
    return hash_password(PASSWORD)


@dataclass
class Factory:
    database: Database

    def agency(
        self, name: str | None = None, kind: AgencyKind = AgencyKind.POLICE, referral_source: str = "6"
    ) -> PartnerAgency:
        with self.database.transaction() as s:
            agency = PartnerAgency(
                name=name or f"Agency {next(_seq)}", kind=kind, default_referral_source=referral_source
            )
            s.add(agency)
            s.flush()
            s.expunge(agency)
            return agency

    def team(self, name: str | None = None, service: str = "mash") -> Team:
        with self.database.transaction() as s:
            team = Team(name=name or f"Team {next(_seq)}", service=service)
            s.add(team)
            s.flush()
            s.expunge(team)
            return team

    def user(
        self,
        role: Role,
        *,
        username: str | None = None,
        agency_id: int | None = None,
        team_id: int | None = None,
        totp_secret: str | None = None,
    ) -> User:
        if role == Role.PARTNER_PRACTITIONER and agency_id is None:
            agency_id = self.agency().id
        with self.database.transaction() as s:
            user = User(
                username=username or f"{role.value}{next(_seq)}",
                full_name=f"Test {role.label}",
                role=role,
                agency_id=agency_id,
                team_id=team_id,
                password_hash=_password_hash(),
                totp_secret=totp_secret,
            )
            s.add(user)
            s.flush()
            s.refresh(user)
            s.expunge(user)
            return user


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def authenticator(user: User) -> pyotp.TOTP:
    """The authenticator app of a user made with a second factor (``factory.user(..., totp_secret=...)``)."""
    assert user.totp_secret is not None, f"{user.username} has no second factor"
    return pyotp.TOTP(user.totp_secret)


def unused_totp_code(secret: str, last_used_step: int | None) -> tuple[str, int]:
    """A code the service accepts now and has not seen (a code signs in once), and its time step: the current
    step or the next (the window allows one either side) past the last used; waits when both are used."""
    import time

    totp = pyotp.TOTP(secret)
    last = -1 if last_used_step is None else last_used_step
    while True:
        now = time.time()
        current = totp.timecode(now)
        step = next((s for s in (current, current + 1) if s > last), None)
        if step is not None:
            return totp.generate_otp(step), step
        time.sleep(totp.interval - now % totp.interval + 0.05)


def sign_in(client: TestClient, user: User, password: str = PASSWORD) -> str:
    """Sign the client in (passing the second factor if the user has one); returns the session's CSRF token."""
    page = client.get("/sign-in")
    response = client.post(
        "/sign-in",
        data={"username": user.username, "password": password, "csrf_token": csrf_from(page.text), "next": "/"},
    )
    assert response.status_code == 303, response.text
    if "second-factor" in response.headers["location"]:
        from sqlalchemy import select

        assert user.totp_secret, "administrators need a TOTP secret in tests"
        with client.app.state.database.transaction() as s:  # type: ignore[attr-defined]  # the app, not any ASGI app
            last_used = s.scalar(select(User.totp_last_step).where(User.id == user.id))
        page = client.get(response.headers["location"])
        response = client.post(
            "/sign-in/second-factor",
            data={
                "code": unused_totp_code(user.totp_secret, last_used)[0],
                "csrf_token": csrf_from(page.text),
                "next": "/",
            },
        )
        assert response.status_code == 303, response.text
    return csrf_from(client.get("/account").text)


def sign_in_as(client: TestClient, database: Database, user: User) -> str:
    """Give the client a signed-in session for ``user`` without the sign-in form (and its deliberately slow
    password check); returns the CSRF token. For tests about what a signed-in user may do, not about signing in."""
    import secrets

    from safeguarding.web.deps import SESSION_COOKIE, sign_session_id

    with database.transaction() as s:
        user_session = UserSession(
            id=secrets.token_urlsafe(32),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            awaiting_second_factor=False,
        )
        s.add(user_session)
    client.cookies.set(SESSION_COOKIE, sign_session_id(user_session.id))
    return user_session.csrf_token


# Principals of the authorization matrix: the eight roles, plus a partner from another agency, plus nobody.
OTHER_AGENCY_PARTNER = "partner_other_agency"
ANONYMOUS = "anonymous"
PRINCIPALS: tuple[str, ...] = (*(r.value for r in Role), OTHER_AGENCY_PARTNER, ANONYMOUS)


@dataclass
class World:
    """A small council with one of everything, so every route's path ids exist.

    Agency ``agency`` (police) made ``contact`` about ``child`` and was asked ``check``; ``other_agency`` (a
    school) has nothing to do with it. ``users`` holds one user per principal (not ``anonymous``).
    """

    agency: PartnerAgency
    other_agency: PartnerAgency
    team: Team
    users: dict[str, User]
    child: Person
    contact: Contact
    check: PartnerCheck
    decision: ContactDecision
    referral: Referral
    note: ContactNote
    token: ApiToken
    alias: PersonAlias
    break_glass: BreakGlassAccess
    relationship: FamilyRelationship  # the child's carer, a family tie (people routes)
    # Path ids that capabilities add with their own ``extend_world`` (tests/<capability>/authorization.py).
    extra_ids: dict[str, int] = field(default_factory=dict)

    @property
    def path_ids(self) -> dict[str, int]:
        ids = {
            "contact_id": self.contact.id,
            "person_id": self.child.id,
            "child_id": self.child.id,
            "check_id": self.check.id,
            "decision_id": self.decision.id,
            "referral_id": self.referral.id,
            "note_id": self.note.id,
            "agency_id": self.agency.id,
            "team_id": self.team.id,
            "user_id": self.users[Role.MASH_WORKER.value].id,
            "token_id": self.token.id,
            "subject_id": self.contact.subjects[0].id,
            "alias_id": self.alias.id,
            "access_id": self.break_glass.id,
            "relationship_id": self.relationship.id,
            **self.extra_ids,
        }
        return ids


def build_world(
    factory: Factory,
    *,
    child_first: str = "Amelia",
    child_last: str = "Testchild",
    worry: str = "Synthetic worry: child arrived at school with an unexplained bruise.",
) -> World:
    """Rows written directly (not through services), so the matrix does not depend on any one service's API."""
    from datetime import date, timedelta

    from safeguarding.casework.models import Referral
    from safeguarding.core.db import utcnow
    from safeguarding.core.restrictions import BreakGlassAccess
    from safeguarding.front_door.models import (
        Channel,
        CheckConsent,
        ConsentPosition,
        Contact,
        ContactDecision,
        ContactNote,
        ContactStatus,
        ContactSubject,
        DecisionStatus,
        LawfulBasis,
        NoteKind,
        Outcome,
        PartnerCheck,
        ReporterKind,
        SubjectRole,
    )
    from safeguarding.people import rules as people_rules
    from safeguarding.people.models import FamilyRelationship, Person, PersonAlias, PersonKind, RelationshipKind

    agency = factory.agency(kind=AgencyKind.POLICE, referral_source="5A")
    other_agency = factory.agency(kind=AgencyKind.SCHOOL, referral_source="3A")
    team = factory.team(service="mash")
    users: dict[str, User] = {}
    for role in Role:
        users[role.value] = factory.user(
            role,
            agency_id=agency.id if role == Role.PARTNER_PRACTITIONER else None,
            team_id=None if role == Role.PARTNER_PRACTITIONER else team.id,
            totp_secret="JBSWY3DPEHPK3PXP" if role == Role.ADMINISTRATOR else None,
        )
    users[OTHER_AGENCY_PARTNER] = factory.user(Role.PARTNER_PRACTITIONER, agency_id=other_agency.id)
    now = utcnow()
    worker = users[Role.MASH_WORKER.value]
    with factory.database.transaction() as s:
        child = Person(
            kind=PersonKind.CHILD,
            first_name=child_first,
            last_name=child_last,
            date_of_birth=date(2015, 3, 14),
            # The search keys people.records keeps on every write, so searches find her.
            first_name_key=people_rules.name_key(child_first),
            last_name_key=people_rules.name_key(child_last),
            first_name_sound=people_rules.sound_key(child_first),
            last_name_sound=people_rules.sound_key(child_last),
        )
        s.add(child)
        s.flush()
        contact = Contact(
            received_at=now - timedelta(hours=2),
            channel=Channel.PORTAL,
            reporter_kind=ReporterKind.PARTNER_AGENCY,
            reporting_agency_id=agency.id,
            submitted_by_id=users[Role.PARTNER_PRACTITIONER.value].id,
            reporter_name="PC Synthetic",
            referral_source="5A",
            worry=worry,
            consent=ConsentPosition.CONSENT_GIVEN,
            status=ContactStatus.AWAITING_SIGN_OFF,
            due_at=now + timedelta(days=1),
            routed_to_id=users[Role.SOCIAL_WORKER.value].id,
        )
        contact.subjects.append(
            ContactSubject(
                role=SubjectRole.CHILD,
                first_name=child_first,
                last_name=child_last,
                date_of_birth=date(2015, 3, 14),
                person_id=child.id,
            )
        )
        s.add(contact)
        s.flush()
        check = PartnerCheck(
            contact_id=contact.id,
            agency_id=agency.id,
            question="Any police history?",
            lawful_basis=LawfulBasis.PUBLIC_TASK,
            consent=CheckConsent.NOT_SOUGHT,
            consent_reason="Seeking consent could place the child at risk",
            requested_by_id=worker.id,
            due_at=now + timedelta(days=1),
        )
        decision = ContactDecision(
            contact_id=contact.id,
            level_of_need=3,
            outcome=Outcome.REFERRAL_FOR_ASSESSMENT,
            rationale="Synthetic rationale",
            decided_by_id=worker.id,
            working_hours_to_decision=2.0,
            within_deadline=True,
            status=DecisionStatus.AWAITING_SIGN_OFF,
        )
        note = ContactNote(contact_id=contact.id, kind=next(iter(NoteKind)), text="Synthetic note", author_id=worker.id)
        s.add_all([check, decision, note])
        s.flush()
        referral = Referral(
            person_id=child.id,
            contact_id=contact.id,
            decision_id=decision.id,
            referral_date=now.date(),
            referral_source="5A",
            route=Outcome.REFERRAL_FOR_ASSESSMENT,
        )
        s.add(referral)
        s.flush()
        token = ApiToken(user_id=worker.id, token_hash=f"{next(_seq):064d}", label="a worker's script")
        alias = PersonAlias(person_id=child.id, first_name=child_first, last_name="Oldname")
        glass = BreakGlassAccess(
            person_id=child.id,
            user_id=worker.id,
            reason="Synthetic emergency out of hours",
            expires_at=now - timedelta(hours=1),
        )
        carer = Person(
            kind=PersonKind.ADULT,
            first_name="Synthetic",
            last_name="Carerworld",
            date_of_birth=date(1980, 1, 1),
            first_name_key="synthetic",
            last_name_key="carerworld",
            first_name_sound=people_rules.sound_key("Synthetic"),
            last_name_sound=people_rules.sound_key("Carerworld"),
        )
        s.add_all([token, alias, glass, carer])
        s.flush()
        tie = FamilyRelationship(
            from_person_id=carer.id, to_person_id=child.id, kind=RelationshipKind.CARER, recorded_by_id=worker.id
        )
        s.add(tie)
        s.flush()
        contact.subjects[0].id  # load before detaching  # noqa: B018
        for row in (child, contact, check, decision, note, referral, token, alias, glass, carer, tie):
            s.expunge(row)
    return World(
        agency=agency,
        other_agency=other_agency,
        team=team,
        users=users,
        child=child,
        contact=contact,
        check=check,
        decision=decision,
        referral=referral,
        note=note,
        token=token,
        alias=alias,
        break_glass=glass,
        relationship=tie,
    )


def statements_sent(client: TestClient, url: str) -> tuple[list[str], str]:
    """The SQL statements the app sent to the database while serving ``url`` (a 200), and the page."""
    from sqlalchemy import event

    database = client.app.state.database  # type: ignore[attr-defined]
    sent: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    event.listen(database.engine, "before_cursor_execute", note)
    try:
        page = client.get(url)
    finally:
        event.remove(database.engine, "before_cursor_execute", note)
    assert page.status_code == 200, url
    return sent, page.text
