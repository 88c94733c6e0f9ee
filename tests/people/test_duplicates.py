"""The queue of possible duplicates and its pages (issue 17): the duplicate check over the index with the linkage
model (twins held back), the queue most likely first with the evidence in words, restricted people's pairs shown
only to those the restriction lets in, "not the same person" never proposed again, and a merge and an unmerge made
from the pages, confirmed, with clear messages when something is missing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import count
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from safeguarding.cli import app as cli
from safeguarding.core.audit import Actor, AuditEvent
from safeguarding.core.db import Database
from safeguarding.core.restrictions import PersonRestriction, PersonRestrictionGrant
from safeguarding.core.users import Role, User
from safeguarding.people import rules, search
from safeguarding.people.duplicates import merging, queue
from safeguarding.people.duplicates.models import DuplicatePair, PairStatus, PersonMerge
from safeguarding.people.inputs import SearchQuery
from safeguarding.people.linkage import TWINS_WORDING, explain
from safeguarding.people.linkage.index import index_records
from safeguarding.people.models import Address, Person, PersonKind
from tests.support import Factory, sign_in_as

_numbers = count(1)

# Where the two records differ, the survivor's value is kept (a choice every merge must make).
KEEP = {name: merging.SURVIVOR for name, _label in merging.CHOOSABLE}


@dataclass(frozen=True)
class Found:
    left_id: int
    right_id: int
    match_weight: float
    probability: float
    evidence: list[str]


def _person(
    s: Any, first: str, last: str, born: date | None = date(2015, 3, 14), postcode: str | None = None, **kw: Any
) -> int:
    person = Person(kind=PersonKind.CHILD, first_name=first, last_name=last, date_of_birth=born, **kw)
    person.first_name_key, person.last_name_key = rules.name_key(first), rules.name_key(last)
    person.first_name_sound, person.last_name_sound = rules.sound_key(first), rules.sound_key(last)
    if postcode:
        person.addresses.append(Address(line1="4 Synthetic Row", postcode=postcode, moved_in=date(2019, 1, 1)))
    s.add(person)
    s.flush()
    return person.id


def _pair(s: Any, a: int, b: int, probability: float, *evidence: str) -> int:
    left, right = sorted((a, b))
    pair = DuplicatePair(
        left_id=left,
        right_id=right,
        match_weight=probability * 20,
        probability=probability,
        evidence="\n".join(evidence),
    )
    s.add(pair)
    s.flush()
    return pair.id


def _officer(factory: Factory) -> User:
    return factory.user(Role.DATA_QUALITY_OFFICER, username=f"dq.page{next(_numbers)}")


def _signed_in(client: TestClient, database: Database, user: User) -> str:
    return sign_in_as(client, database, user)


# --- the duplicate check -------------------------------------------------------------------------------------------


def test_the_check_proposes_a_typo_and_never_twins_without_an_agreeing_identifier(database: Database) -> None:
    with database.transaction() as s:
        original = _person(s, "Jayden", "Okafor", postcode="NB1 4QT")
        typo = _person(s, "Jayden", "Okafro", postcode="NB1 4QT")
        twin_one = _person(s, "Amara", "Whitlock", date(2016, 7, 2), postcode="NB2 7LX")
        twin_two = _person(s, "Zara", "Whitlock", date(2016, 7, 2), postcode="NB2 7LX")
    with database.transaction() as s:
        result = queue.record_pairs(s, Actor.system("test"), queue.index_pairs(s))
        pairs = {(p.left_id, p.right_id) for p in s.scalars(select(DuplicatePair))}
        assert (min(original, typo), max(original, typo)) in pairs
        assert (min(twin_one, twin_two), max(twin_one, twin_two)) not in pairs
        assert result.proposed == len(pairs)
        # The explanation of the twins says why they are held back.
        one, two = list(index_records(s, [twin_one, twin_two]))
        assert TWINS_WORDING in explain(one, two).evidence


def test_a_pair_decided_is_never_proposed_again_and_a_proposal_no_longer_made_is_withdrawn(database: Database) -> None:
    with database.transaction() as s:
        a, b, c = _person(s, "Ava", "Stone"), _person(s, "Ava", "Stoen"), _person(s, "Ava", "Ston")
        rejected = _pair(s, a, b, 0.99, "Surname: one letter different")
        s.get_one(DuplicatePair, rejected).status = PairStatus.REJECTED
        _pair(s, a, c, 0.95, "Surname: one letter missing")
    with database.transaction() as s:
        result = queue.record_pairs(s, Actor.system("test"), [Found(b, a, 14.0, 0.999, ["Date of birth agrees"])])
        assert (result.proposed, result.refreshed, result.withdrawn, result.decided) == (0, 0, 1, 1)
        statuses = {(p.left_id, p.right_id): p.status for p in s.scalars(select(DuplicatePair))}
        assert statuses == {(min(a, b), max(a, b)): PairStatus.REJECTED}


def test_other_proposals_naming_a_merged_away_record_are_parked_and_come_back_with_an_unmerge(
    database: Database, factory: Factory
) -> None:
    officer = factory.user(Role.DATA_QUALITY_OFFICER)
    with database.transaction() as s:
        a, b, c = _person(s, "Ava", "Stone"), _person(s, "Ava", "Stoen"), _person(s, "Ava", "Ston")
        merged_pair = _pair(s, a, b, 0.99, "Surname: one letter different")
        other = _pair(s, b, c, 0.95, "Surname: one letter missing")
    with database.transaction() as s:
        user = s.get_one(User, officer.id)
        merge_id = merging.merge(s, database, user, a, b, KEEP, "Synthetic: one child", pair_id=merged_pair).id
    with database.transaction() as s:
        user = s.get_one(User, officer.id)
        assert [q.pair.id for q in queue.queue(s, database, user)] == []
        # The nightly check skips the merged-away record; its parked proposal is not withdrawn.
        result = queue.record_pairs(s, Actor.system("test"), [])
        assert result.withdrawn == 0
    with database.transaction() as s:
        merging.unmerge(s, database, s.get_one(User, officer.id), merge_id, "Synthetic: two children after all")
    with database.transaction() as s:
        queued = queue.queue(s, database, s.get_one(User, officer.id))
        assert [(q.pair.id, q.pair.evidence_lines) for q in queued] == [(other, ["Surname: one letter missing"])]
        assert s.get_one(DuplicatePair, merged_pair).status == PairStatus.REJECTED


def test_the_nightly_check_runs_from_the_command_line(database: Database) -> None:
    with database.transaction() as s:
        _person(s, "Jayden", "Okafor", postcode="NB1 4QT")
        _person(s, "Jayden", "Okafro", postcode="NB1 4QT")
    result = CliRunner().invoke(cli, ["people", "duplicates", "check"])
    assert result.exit_code == 0, result.output
    assert "1 new possible duplicates" in result.output
    with database.transaction() as s:
        assert s.scalar(select(AuditEvent.actor_username).where(AuditEvent.target_type == "duplicate_pair")) == (
            "duplicate-check"
        )


# --- the queue -----------------------------------------------------------------------------------------------------


def test_the_queue_lists_the_most_likely_first_with_the_evidence_in_words(
    client: TestClient, database: Database, factory: Factory
) -> None:
    officer = _officer(factory)
    with database.transaction() as s:
        a, b = _person(s, "Ava", "Stone"), _person(s, "Ava", "Stoen")
        c, d = _person(s, "Ben", "Hart"), _person(s, "Benny", "Hart")
        _pair(s, c, d, 0.91, "First name: a short form of the other (Ben, Benny)")
        _pair(s, a, b, 0.999, "NHS number agrees", "Surname: two letters swapped")
    _signed_in(client, database, officer)
    page = client.get("/duplicates")
    assert page.status_code == 200
    text = page.text
    assert text.index("Ava Stone and Ava Stoen") < text.index("Ben Hart and Benny Hart")
    assert "100% likely" in text and "91% likely" in text
    assert "Surname: two letters swapped" in text and "First name: a short form of the other (Ben, Benny)" in text


def test_a_restricted_persons_pair_is_shown_only_to_an_officer_named_on_the_restriction(
    client: TestClient, database: Database, factory: Factory
) -> None:
    named, other = _officer(factory), _officer(factory)
    with database.transaction() as s:
        a, b = _person(s, "Rhea", "Quill"), _person(s, "Rhea", "Quil")
        pair_id = _pair(s, a, b, 0.98, "Surname: one letter missing")
        s.add(PersonRestriction(person_id=b, reason="Synthetic: a relative of a member of staff"))
        s.flush()
        s.add(PersonRestrictionGrant(person_id=b, user_id=named.id))
    _signed_in(client, database, other)
    assert "Rhea Quil" not in client.get("/duplicates").text
    assert client.get(f"/duplicates/{pair_id}").status_code == 403
    _signed_in(client, database, named)
    assert "Rhea Quill and Rhea Quil" in client.get("/duplicates").text
    assert client.get(f"/duplicates/{pair_id}").status_code == 200


def test_not_the_same_person_needs_a_reason_and_takes_the_pair_off_the_queue(
    client: TestClient, database: Database, factory: Factory
) -> None:
    officer = _officer(factory)
    with database.transaction() as s:
        pair_id = _pair(s, _person(s, "Ava", "Stone"), _person(s, "Eva", "Stone"), 0.8, "Surname agrees")
    csrf = _signed_in(client, database, officer)
    refused = client.post(f"/duplicates/{pair_id}/not-same-person", data={"reason": "", "csrf_token": csrf})
    assert refused.status_code == 422
    assert "There is a problem" in refused.text and "why these are two different people" in refused.text
    done = client.post(
        f"/duplicates/{pair_id}/not-same-person",
        data={"reason": "Twins: different first names, same birthday", "csrf_token": csrf},
    )
    assert done.status_code == 303
    assert "Ava Stone and Eva Stone" not in client.get("/duplicates").text
    with database.transaction() as s:
        pair = s.get_one(DuplicatePair, pair_id)
        assert (pair.status, pair.decided_by_id) == (PairStatus.REJECTED, officer.id)


# --- merging and unmerging from the pages --------------------------------------------------------------------------


def test_a_merge_is_previewed_confirmed_and_undone_from_the_pages(
    client: TestClient, database: Database, factory: Factory
) -> None:
    officer, worker = _officer(factory), factory.user(Role.SOCIAL_WORKER, username="sw.after.merge")
    with database.transaction() as s:
        a = _person(s, "Ava", "Stone", postcode="NB1 1AA")
        b = _person(s, "Ava", "Stoen", born=date(2015, 3, 14), postcode="NB9 9ZZ", nhs_number="9434765919")
        pair_id = _pair(s, a, b, 0.99, "NHS number agrees on one side only", "Surname: two letters swapped")
    csrf = _signed_in(client, database, officer)
    preview = client.get(f"/duplicates/{pair_id}/merge")
    assert preview.status_code == 200
    assert "Which details to keep" in preview.text
    assert "9434765919" in preview.text  # the other record's NHS number, offered
    assert "Address (1)" in preview.text  # the other record's address moves
    # Not confirmed and no reason: both named, in the form's order, nothing merged.
    refused = client.post(f"/duplicates/{pair_id}/merge", data={"survivor": str(a), "csrf_token": csrf})
    assert refused.status_code == 422
    text = refused.text
    assert (
        text.index("Choose which last name to keep")
        < text.index("Enter the reason these two records are one person")
        < text.index("Confirm that these two records are the same person")
    )
    merged = client.post(
        f"/duplicates/{pair_id}/merge",
        data={
            "survivor": str(a),
            "choice.last_name": "survivor",
            "choice.nhs_number": "merged",
            "reason": "Same child: the surname was misspelt on one",
            "confirm": "yes",
            "csrf_token": csrf,
        },
    )
    assert merged.status_code == 303, merged.text
    merge_page = client.get(merged.headers["location"])
    assert "Records merged" in merge_page.text
    assert "Address (2)" in merge_page.text  # the child's history in one record
    with database.transaction() as s:
        assert s.get_one(Person, a).nhs_number == "9434765919"
        merge_id = s.scalar(select(PersonMerge.id))
    # An old link to the merged-away record leads to the survivor.
    _signed_in(client, database, worker)
    assert client.get(f"/people/{b}").headers["location"] == f"/people/{a}"
    csrf = _signed_in(client, database, officer)
    preview = client.get(f"/merges/{merge_id}/unmerge")
    assert preview.status_code == 200 and "Going back to record" in preview.text
    undone = client.post(
        f"/merges/{merge_id}/unmerge",
        data={"reason": "Two children after all: different mothers", "confirm": "yes", "csrf_token": csrf},
    )
    assert undone.status_code == 303
    assert "Merge undone" in client.get(undone.headers["location"]).text
    with database.transaction() as s:
        assert s.get_one(Person, a).nhs_number is None
        assert s.get_one(Person, b).nhs_number == "9434765919"
        assert s.get_one(Person, b).merged_into_id is None
        assert s.get_one(DuplicatePair, pair_id).status == PairStatus.REJECTED


def test_the_survivors_audit_page_shows_the_merged_records_entries(
    client: TestClient, database: Database, factory: Factory
) -> None:
    officer, manager = _officer(factory), factory.user(Role.TEAM_MANAGER, username="tm.audit.merge")
    with database.transaction() as s:
        a, b = _person(s, "Ava", "Stone"), _person(s, "Ava", "Stoen")
        pair_id = _pair(s, a, b, 0.99, "Surname: two letters swapped")
    with database.transaction() as s:
        merging.merge(s, database, s.get_one(User, officer.id), a, b, KEEP, "Synthetic: one child", pair_id=pair_id)
    with database.transaction() as s:
        about_b = len(list(s.scalars(select(AuditEvent.id).where(AuditEvent.person_id == b))))
        about_both = len(list(s.scalars(select(AuditEvent.id).where(AuditEvent.person_id.in_([a, b])))))
    assert about_b >= 1  # the merge, recorded against the merged-away record and kept there
    _signed_in(client, database, manager)
    page = client.get(f"/audit/people/{a}")
    assert page.status_code == 200
    assert f"record {b}" in page.text
    assert f"{about_both} entries" in page.text


def test_a_search_finds_the_survivor_by_either_name_and_never_the_merged_away_record(
    database: Database, factory: Factory
) -> None:
    officer, worker = _officer(factory), factory.user(Role.SOCIAL_WORKER, username="sw.search.merge")
    with database.transaction() as s:
        a, b = _person(s, "Ava", "Stone"), _person(s, "Ava", "Stoen")
    with database.transaction() as s:
        merging.merge(s, database, s.get_one(User, officer.id), a, b, KEEP, "Synthetic: one child")
    with database.transaction() as s:
        user = s.get_one(User, worker.id)
        for last in ("Stone", "Stoen"):
            found = search.search(s, database, user, SearchQuery(first_name="Ava", last_name=last))
            assert [c.person_id for c in found] == [a], f"searching for Ava {last}"


def test_the_survivors_record_says_which_record_was_merged_into_it(
    client: TestClient, database: Database, factory: Factory
) -> None:
    officer, worker = _officer(factory), factory.user(Role.SOCIAL_WORKER, username="sw.record.merge")
    with database.transaction() as s:
        a, b = _person(s, "Ava", "Stone"), _person(s, "Ava", "Stoen")
    with database.transaction() as s:
        merging.merge(s, database, s.get_one(User, officer.id), a, b, KEEP, "Synthetic: one child")
    _signed_in(client, database, worker)
    page = client.get(f"/people/{a}")
    assert page.status_code == 200
    assert f"This record holds what was recorded on record {b}" in page.text
    assert "Ava Stoen" in page.text  # the other name, now an "also known as"
