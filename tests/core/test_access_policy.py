"""The one access policy: role, agency and restriction decide; refusals are audited."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from safeguarding.core import access, restrictions
from safeguarding.core.access import AccessSubject, Action, Kind
from safeguarding.core.audit import AuditEvent
from safeguarding.core.db import Database, utcnow
from safeguarding.core.errors import AccessDenied, ValidationFailed
from safeguarding.core.users import Role, User
from safeguarding.people.models import Person, PersonKind
from tests.support import Factory


def _person(session: Session) -> int:
    child = Person(kind=PersonKind.CHILD, first_name="Ada", last_name="Example", date_of_birth=date(2015, 3, 1))
    session.add(child)
    session.flush()
    return child.id


def _load(session: Session, user: User) -> User:
    return session.get_one(User, user.id)


@pytest.mark.parametrize("role", list(Role))
def test_only_staff_roles_may_view_a_person(session: Session, factory: Factory, role: Role) -> None:
    user = _load(session, factory.user(role))
    person_id = _person(session)
    decision = access.authorize(
        session, user, Action.VIEW, AccessSubject(Kind.PERSON, person_id, person_ids=(person_id,))
    )
    # Case-working staff, and early help staff who search the index before starting a family's episode.
    assert decision.allowed == (role in access.STAFF_CASEWORK | access.EARLY_HELP_STAFF)


def test_partner_sees_only_their_own_agencys_contacts(session: Session, factory: Factory) -> None:
    police = factory.agency("Police")
    school = factory.agency("School")
    officer_user = factory.user(Role.PARTNER_PRACTITIONER, agency_id=police.id)
    officer = _load(session, officer_user)
    own = AccessSubject(Kind.CONTACT_OUTCOME, 1, agency_id=police.id)
    other = AccessSubject(Kind.CONTACT_OUTCOME, 2, agency_id=school.id)
    assert access.authorize(session, officer, Action.VIEW, own).allowed
    refused = access.authorize(session, officer, Action.VIEW, other)
    assert not refused.allowed and "another agency" in refused.reason
    # and never the full contact or a person record, even their own agency's
    assert not access.authorize(
        session, officer, Action.VIEW, AccessSubject(Kind.CONTACT, 1, agency_id=police.id)
    ).allowed


def test_restricted_person_only_for_named_users_or_break_glass(
    session: Session, factory: Factory, database: Database
) -> None:
    named_user, other_user = factory.user(Role.SOCIAL_WORKER), factory.user(Role.SOCIAL_WORKER)
    named, other = _load(session, named_user), _load(session, other_user)
    person_id = _person(session)
    session.add(restrictions.PersonRestriction(person_id=person_id, reason="Relative of a member of staff"))
    session.flush()
    session.add(restrictions.PersonRestrictionGrant(person_id=person_id, user_id=named.id))
    session.flush()
    subject = AccessSubject(Kind.PERSON, person_id, person_ids=(person_id,))

    assert access.authorize(session, named, Action.VIEW, subject).allowed
    refused = access.authorize(session, other, Action.VIEW, subject)
    assert not refused.allowed and refused.break_glass_possible
    assert refused.restricted_person_ids == (person_id,)

    with pytest.raises(ValidationFailed) as short:
        access.break_glass(session, other, person_id, "need")
    assert short.value.field == "reason"
    access.break_glass(session, other, person_id, "Child presented at A&E out of hours; on-call decision")
    session.flush()
    assert access.authorize(session, other, Action.VIEW, subject).allowed


def test_expired_break_glass_no_longer_opens_the_record(session: Session, factory: Factory) -> None:
    worker = _load(session, factory.user(Role.MASH_WORKER))
    person_id = _person(session)
    session.add(restrictions.PersonRestriction(person_id=person_id, reason="Staff relative"))
    session.add(
        restrictions.BreakGlassAccess(
            person_id=person_id,
            user_id=worker.id,
            reason="Out of hours emergency",
            at=utcnow() - timedelta(hours=10),
            expires_at=utcnow() - timedelta(hours=2),
        )
    )
    session.flush()
    assert not access.authorize(
        session, worker, Action.VIEW, AccessSubject(Kind.PERSON, person_id, person_ids=(person_id,))
    ).allowed


def test_refusal_is_audited_even_though_the_request_fails(database: Database, factory: Factory) -> None:
    analyst = factory.user(Role.PERFORMANCE_ANALYST)
    with pytest.raises(AccessDenied), database.transaction() as s:
        user = s.get_one(User, analyst.id)
        access.require(s, database, user, Action.VIEW, AccessSubject(Kind.PERSON, 99, person_ids=(99,)))
    with database.transaction() as s:
        events = list(s.scalars(select(AuditEvent)))
    assert [(e.action, e.outcome, e.target_id) for e in events] == [("view", "refused", "99")]


def test_inactive_accounts_may_do_nothing(session: Session, factory: Factory) -> None:
    manager = _load(session, factory.user(Role.MASH_MANAGER))
    manager.active = False
    assert not access.authorize(session, manager, Action.VIEW, AccessSubject(Kind.MASH_DASHBOARD)).allowed


def test_every_permission_names_known_roles() -> None:
    for (kind, action), roles in access.PERMISSIONS.items():
        assert isinstance(kind, Kind) and isinstance(action, Action)
        assert roles and all(isinstance(r, Role) for r in roles)


def test_asking_several_questions_at_once_answers_each_as_asking_it_alone(session: Session, factory: Factory) -> None:
    """``authorize_each`` (a page's questions with the restrictions read once) gives exactly ``authorize``'s answer
    to every question: for every role, on a restricted person the user is named on, one they are not, and an
    unrestricted one, across the kinds and actions a case page asks about."""
    agency = factory.agency("Police")
    created = [factory.user(role, agency_id=agency.id if role == Role.PARTNER_PRACTITIONER else None) for role in Role]
    users = [_load(session, user) for user in created]
    named_person, locked_person, open_person = _person(session), _person(session), _person(session)
    for restricted in (named_person, locked_person):
        session.add(restrictions.PersonRestriction(person_id=restricted, reason="Relative of a member of staff"))
    session.flush()
    session.add_all(restrictions.PersonRestrictionGrant(person_id=named_person, user_id=u.id) for u in users)
    session.flush()
    kinds = (Kind.CASE, Kind.CASE_NOTE, Kind.ALLOCATION, Kind.PERSON, Kind.CONTACT_OUTCOME)
    actions = (Action.VIEW, Action.CREATE, Action.SIGN_OFF)
    asks = [
        (action, AccessSubject(kind, person_id, person_ids=people, agency_id=agency.id))
        for kind in kinds
        for action in actions
        for person_id, people in (
            (named_person, (named_person,)),
            (locked_person, (locked_person,)),
            (open_person, (open_person,)),
            (None, (open_person, locked_person)),
            (None, ()),
        )
    ]
    for user in users:
        together = access.authorize_each(session, user, asks)
        alone = [access.authorize(session, user, action, subject) for action, subject in asks]
        assert together == alone, user.role
    social_worker = next(u for u in users if u.role == Role.SOCIAL_WORKER)
    answers = access.authorize_each(session, social_worker, asks)
    assert any(d.allowed for d in answers) and any(d.reason == "restricted record" for d in answers)
