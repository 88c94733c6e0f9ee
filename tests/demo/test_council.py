"""The synthetic demo council: it loads, it is deterministic from its seed, and its data agrees with the rules."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from safeguarding.casework.models import Allocation, Referral
from safeguarding.casework.referrals import twelve_months_before
from safeguarding.core import local_settings
from safeguarding.core.access import AccessSubject, Action, Kind, authorize
from safeguarding.core.audit import AuditEvent, ChainBreak, verify_chain
from safeguarding.core.db import Database
from safeguarding.core.restrictions import PersonRestriction, PersonRestrictionGrant
from safeguarding.core.users import AgencyKind, PartnerAgency, Role, Team, User
from safeguarding.demo.council import (
    ADMIN_TOTP_SECRET,
    DEMO_PASSWORD,
    DEMO_SIGN_INS,
    build_council,
    content_digest,
    database_is_empty,
)
from safeguarding.demo.summary import CouncilSummary
from safeguarding.front_door import rules as front_door_rules
from safeguarding.front_door.models import (
    Contact,
    ContactDecision,
    ContactStatus,
    ContactSubject,
    DecisionStatus,
    Rag,
    RagRating,
)
from safeguarding.people import rules as people_rules
from safeguarding.people.models import Address, FamilyRelationship, Person, PersonKind, RelationshipKind
from safeguarding.timescales.models import Deadline
from tests.demo.conftest import REFERENCE, load
from tests.support import sign_in

pytestmark = pytest.mark.xdist_group("demo")


def test_empty_database_is_empty(database: Database) -> None:
    assert database_is_empty(database)


def test_small_council_loads_with_every_part(council: CouncilSummary, migrated_database: Database) -> None:
    assert not database_is_empty(migrated_database)
    with migrated_database.transaction() as s:
        assert s.scalars(select(func.count()).select_from(Person)).one() >= 2_000
        assert s.scalar(select(func.count()).select_from(Contact)) == 3_000
        services = set(s.scalars(select(Team.service)))
        assert services >= {
            "mash",
            "assessment",
            "child_protection",
            "children_in_need",
            "exploitation",
            "performance",
            "admin",
        }
        kinds = Counter(s.scalars(select(PartnerAgency.kind)))
        assert kinds[AgencyKind.POLICE] >= 1 and kinds[AgencyKind.SCHOOL] >= 3 and kinds[AgencyKind.HEALTH] >= 3
        assert kinds[AgencyKind.HOUSING] >= 1 and kinds[AgencyKind.PROBATION] >= 1 and kinds[AgencyKind.EARLY_HELP] >= 1
        # Workers have managers.
        workers = list(s.scalars(select(User).where(User.role == Role.SOCIAL_WORKER)))
        assert workers and all(w.manager_id is not None for w in workers)
        statuses = Counter(s.scalars(select(Contact.status)))
        queue = statuses[ContactStatus.AWAITING_SCREENING] + statuses[ContactStatus.IN_SCREENING]
        assert 10 <= queue <= 300, "the MASH queue is a working set, not a backlog"
        assert statuses[ContactStatus.AWAITING_SIGN_OFF] >= 1
        assert statuses[ContactStatus.ROUTED_TO_ALLOCATED_WORKER] >= 1
        overdue = s.scalars(
            select(func.count())
            .select_from(Contact)
            .where(Contact.status.in_(front_door_rules.OPEN_STATUSES), Contact.due_at < REFERENCE)
        ).one()
        assert overdue >= 1
        assert s.scalars(select(func.count()).select_from(Allocation).where(Allocation.ended_at.is_(None))).one() > 0
        # Contacts run over three years up to the reference moment.
        first, last = s.execute(select(func.min(Contact.received_at), func.max(Contact.received_at))).one()
        assert last <= REFERENCE and REFERENCE - first > timedelta(days=3 * 365 - 30)
    assert council.open_contacts == queue


def test_loading_twice_is_refused_and_the_cli_skips_a_full_database(
    council: CouncilSummary, migrated_database: Database
) -> None:
    from safeguarding.cli import app

    with pytest.raises(ValueError, match="empty database"):
        build_council(migrated_database, size="small", seed=1, now=REFERENCE)
    result = CliRunner().invoke(app, ["demo", "--size", "small", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "already holds data" in result.output


def test_same_seed_same_council_and_another_seed_another(migrated_database: Database) -> None:
    other = load(migrated_database, seed=2)
    other_digest = content_digest(migrated_database)
    assert 0.15 <= other.re_referral_rate <= 0.30
    load(migrated_database, seed=1)
    first = content_digest(migrated_database)
    load(migrated_database, seed=1)
    assert content_digest(migrated_database) == first
    assert other_digest != first


def test_sources_and_outcomes_in_realistic_proportions(council: CouncilSummary, migrated_database: Database) -> None:
    with migrated_database.transaction() as s:
        sources = Counter(s.scalars(select(Contact.referral_source)))
        outcomes = Counter(s.scalars(select(ContactDecision.outcome)))
        referrals = list(s.scalars(select(Referral)))
    total = sum(sources.values())
    top_two = [code for code, _n in sources.most_common(2)]
    assert top_two == ["6", "2A"], "police, then schools, are the largest sources (DfE 2025: 28% and 21%)"
    assert 0.22 <= sources["6"] / total <= 0.35
    assert 0.15 <= sources["2A"] / total <= 0.28
    decided = sum(outcomes.values())
    to_social_care = sum(outcomes[o] for o in front_door_rules.REFERRAL_OUTCOMES)
    assert 0.2 <= to_social_care / decided <= 0.45
    rate = sum(r.is_re_referral for r in referrals) / len(referrals)
    assert 0.15 <= rate <= 0.30
    assert council.re_referral_rate == pytest.approx(rate)


def test_re_referral_flags_agree_with_casework_semantics(council: CouncilSummary, migrated_database: Database) -> None:
    """Each flag is what casework.referrals.record_referral would set: the latest earlier referral of the same
    child dated on or after twelve months before."""
    with migrated_database.transaction() as s:
        referrals = list(s.scalars(select(Referral).order_by(Referral.referral_date, Referral.id)))
        decisions = {d.id: d for d in s.scalars(select(ContactDecision))}
    latest: dict[int, Referral] = {}
    for referral in referrals:
        previous = latest.get(referral.person_id)
        expected = previous is not None and previous.referral_date >= twelve_months_before(referral.referral_date)
        assert referral.is_re_referral == expected, referral.id
        assert referral.previous_referral_id == (previous.id if expected and previous else None)
        latest[referral.person_id] = referral
        assert referral.decision_id is not None, referral.id
        decision = decisions[referral.decision_id]
        assert decision.status == DecisionStatus.IN_EFFECT
        assert decision.outcome in front_door_rules.REFERRAL_OUTCOMES


def test_deadlines_agree_with_the_rules(council: CouncilSummary, migrated_database: Database) -> None:
    with migrated_database.transaction() as s:
        settings = local_settings.get_all(s)
        contacts = {c.id: c for c in s.scalars(select(Contact))}
        ratings: dict[int, list[RagRating]] = defaultdict(list)
        for rating in s.scalars(select(RagRating).order_by(RagRating.rated_at, RagRating.id)):
            ratings[rating.contact_id].append(rating)
        decisions = list(s.scalars(select(ContactDecision)))
    for contact in contacts.values():
        history = ratings.get(contact.id, [])
        for rating in history:
            assert rating.due_at == front_door_rules.rag_deadline(contact.received_at, Rag(rating.rating), settings)
            assert rating.rated_at >= contact.received_at
        final = Rag(history[-1].rating) if history else None
        assert contact.rag == (final.value if final else None)
        assert contact.due_at == front_door_rules.rag_deadline(contact.received_at, final, settings), contact.id
    for decision in decisions:
        contact = contacts[decision.contact_id]
        assert decision.within_deadline == (decision.decided_at <= contact.due_at)
        assert decision.decided_at >= contact.received_at
        if decision.signed_off_at is not None:
            assert decision.signed_off_by_id != decision.decided_by_id


def test_identifiers_and_search_keys_are_valid(council: CouncilSummary, migrated_database: Database) -> None:
    with migrated_database.transaction() as s:
        people = list(s.scalars(select(Person)))
        postcodes = list(s.scalars(select(Address.postcode)))
        subjects = [n for n in s.scalars(select(ContactSubject.nhs_number)) if n is not None]
    numbers = [p.nhs_number for p in people if p.nhs_number]
    assert len(numbers) > 0.8 * len(people)
    for number in numbers + subjects:
        assert number.startswith("999"), "synthetic NHS numbers stay in the 999 test range"
        assert people_rules.is_valid_nhs_number(number), number
    upns = [p.upn for p in people if p.upn]
    assert upns and all(people_rules.is_valid_upn(u) for u in upns)
    assert len(set(upns)) == len(upns)
    assert all(pc is not None and people_rules.is_valid_postcode(pc) for pc in postcodes)
    for person in people:
        assert person.first_name_key == people_rules.name_key(person.first_name)
        assert person.last_name_key == people_rules.name_key(person.last_name)
        assert person.first_name_sound == people_rules.sound_key(person.first_name)
        assert person.last_name_sound == people_rules.sound_key(person.last_name)
        if person.kind == PersonKind.CHILD and person.date_of_birth:
            assert people_rules.age_on(person.date_of_birth, REFERENCE.date()) < 18
            assert (person.upn is None) != (person.upn_unknown is None)


def test_families_have_half_siblings_shared_adults_and_address_history(
    council: CouncilSummary, migrated_database: Database
) -> None:
    with migrated_database.transaction() as s:
        kinds = Counter(s.scalars(select(FamilyRelationship.kind)))
        assert kinds[RelationshipKind.PARENT] and kinds[RelationshipKind.SIBLING]
        assert kinds[RelationshipKind.HALF_SIBLING] and kinds[RelationshipKind.CARER]
        assert s.scalars(select(func.count()).select_from(Address).where(Address.moved_out.is_not(None))).one() > 0
        # An adult who is parent of children living at two different current addresses.
        current = dict(
            s.execute(
                select(Address.person_id, Address.line1 + Address.postcode).where(Address.moved_out.is_(None))
            ).all()
        )
        homes: dict[int, set[str]] = defaultdict(set)
        for parent, child in s.execute(
            select(FamilyRelationship.from_person_id, FamilyRelationship.to_person_id).where(
                FamilyRelationship.kind == RelationshipKind.PARENT
            )
        ):
            homes[parent].add(current[child])
    assert any(len(places) >= 2 for places in homes.values())


def test_restricted_records_open_only_to_named_users(council: CouncilSummary, migrated_database: Database) -> None:
    assert council.restricted_people
    with migrated_database.transaction() as s:
        person_id = council.restricted_people[0]
        restriction = s.get_one(PersonRestriction, person_id)
        assert restriction is not None and "member of staff" in restriction.reason
        named = set(
            s.scalars(select(PersonRestrictionGrant.user_id).where(PersonRestrictionGrant.person_id == person_id))
        )
        by_name = {u.username: u for u in s.scalars(select(User))}
        subject = AccessSubject(Kind.PERSON, person_id, person_ids=(person_id,))
        assert by_name["mash.manager"].id in named
        assert authorize(s, by_name["mash.manager"], Action.VIEW, subject).allowed
        refused = authorize(s, by_name["mash.worker"], Action.VIEW, subject)
        assert not refused.allowed and refused.break_glass_possible


def test_every_demo_sign_in_works_with_the_printed_password(
    council: CouncilSummary, council_client: TestClient, migrated_database: Database
) -> None:
    described = council.describe()
    assert DEMO_PASSWORD in described and ADMIN_TOTP_SECRET in described
    with migrated_database.transaction() as s:
        users = {u.username: u for u in s.scalars(select(User))}
        for u in users.values():
            s.expunge(u)
    roles = {users[username].role for username, _role, _name in DEMO_SIGN_INS}
    assert roles == set(Role), "one demo sign-in per role"
    for username, _role, _name in DEMO_SIGN_INS:
        assert username in described
        council_client.cookies.clear()
        user = users[username]
        if user.role == Role.ADMINISTRATOR:
            assert user.totp_secret == ADMIN_TOTP_SECRET
        sign_in(council_client, user, password=DEMO_PASSWORD)
        assert council_client.get("/account").status_code == 200


def test_audit_chain_is_whole_with_one_load_row(council: CouncilSummary, migrated_database: Database) -> None:
    with migrated_database.transaction() as s:
        results = list(verify_chain(s))
        loads = list(s.scalars(select(AuditEvent).where(AuditEvent.target_type == "demo_council")))
    assert results and not any(isinstance(r, ChainBreak) for r in results)
    assert len(loads) == 1 and loads[0].reason == "demo council loaded"
    assert json.loads(loads[0].detail)["rows"]["contact"] == 3_000


def test_new_rows_after_the_load_get_fresh_ids(council: CouncilSummary, migrated_database: Database) -> None:
    """Ids were written explicitly; the database's own id sequence must still hand out unused ids."""
    with migrated_database.transaction() as s:
        before = s.scalars(select(func.max(Team.id))).one()
        team = Team(name="Leaving care team (test)", service="children_in_need")
        s.add(team)
        s.flush()
        assert before is not None and team.id > before
        s.rollback()


def test_mash_worker_sees_the_queue_and_a_contact(
    council: CouncilSummary, council_client: TestClient, migrated_database: Database
) -> None:
    with migrated_database.transaction() as s:
        worker = s.scalars(select(User).where(User.username == "mash.worker")).one()
        s.expunge(worker)
        waiting = s.scalars(
            select(Contact).where(Contact.status == ContactStatus.AWAITING_SCREENING).order_by(Contact.due_at).limit(1)
        ).one()
        reference, worry = waiting.reference, waiting.worry
    sign_in(council_client, worker, password=DEMO_PASSWORD)
    queue = council_client.get("/mash/queue")
    assert queue.status_code == 200
    page = council_client.get(f"/mash/contacts/{waiting.id}")
    assert page.status_code == 200
    assert reference in page.text
    assert worry.split("'")[0][:40] in page.text


def test_the_due_pages_show_the_councils_drift_from_the_first_sign_in(
    council: CouncilSummary, council_client: TestClient, migrated_database: Database
) -> None:
    """The stages write case events in bulk; the load then derives every open child's deadlines once."""
    with migrated_database.transaction() as s:
        manager = s.scalars(select(User).where(User.username == "team.manager")).one()
        s.expunge(manager)
        by_status = dict(s.execute(select(Deadline.status, func.count()).group_by(Deadline.status)).all())
    assert by_status.get("overdue", 0) > 0 and by_status.get("met", 0) > 0, by_status
    sign_in(council_client, manager, password=DEMO_PASSWORD)
    page = council_client.get("/due/team")
    assert page.status_code == 200
    assert "Nothing is due" not in page.text and 'data-rule="' in page.text


def test_open_cases_are_held_by_social_workers_near_the_national_caseload(
    council: CouncilSummary, migrated_database: Database
) -> None:
    """Open allocations go to social workers only, about 15 each (DfE average caseload 15.2 in 2025)."""
    with migrated_database.transaction() as s:
        holders = Counter(
            s.scalars(
                select(User.role).join(Allocation, Allocation.worker_id == User.id).where(Allocation.ended_at.is_(None))
            )
        )
        workers = s.scalars(select(func.count()).select_from(User).where(User.role == Role.SOCIAL_WORKER)).one()
    assert set(holders) == {Role.SOCIAL_WORKER}
    assert 8 <= sum(holders.values()) / workers <= 25


def test_routed_contacts_go_to_a_worker_allocated_the_child_at_the_time(
    council: CouncilSummary, migrated_database: Database
) -> None:
    with migrated_database.transaction() as s:
        routed = list(s.scalars(select(Contact).where(Contact.status == ContactStatus.ROUTED_TO_ALLOCATED_WORKER)))
        allocations: dict[int, list[Allocation]] = defaultdict(list)
        for allocation in s.scalars(select(Allocation)):
            allocations[allocation.person_id].append(allocation)
        assert routed
        for contact in routed:
            assert contact.routed_to_id is not None, contact.reference
            children = [c.person_id for c in contact.children if c.person_id is not None]
            assert any(
                a.worker_id == contact.routed_to_id
                and a.started_at <= contact.received_at
                and (a.ended_at is None or a.ended_at > contact.received_at)
                for child in children
                for a in allocations[child]
            ), contact.reference
