"""Kinship carers are people in the person index: chosen with the person picker (found by name, never by a typed
number), linked to the child's family as the child's carer, named on the arrangement; a carer must be chosen, the
child cannot be their own carer, and a restricted record the worker may not open cannot be chosen. Arrangements
recorded before are linked by migration 0018 where their carer's name names exactly one person."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from safeguarding.cli import alembic_config, upgrade_database
from safeguarding.core.calendar import today_in_london
from safeguarding.core.db import Database, make_engine
from safeguarding.core.users import Role
from safeguarding.family_network.models import KinshipArrangement
from safeguarding.people import restriction
from safeguarding.people.models import FamilyRelationship, RelationshipKind
from tests.family_network.conftest import Family, add_adult
from tests.family_network.test_pages import boxes, post
from tests.support import Factory, sign_in


def _arrangement(carer: str, **more: str) -> dict[str, str]:
    started = today_in_london() - timedelta(days=20)
    return {"carer_person_id": carer, "carer_relationship": "Maternal grandmother", "kind": "informal"} | {
        **boxes("started_on", started),
        **more,
    }


def test_the_carer_is_found_by_name_chosen_and_becomes_the_childs_carer(client: TestClient, family: Family) -> None:
    nan = add_adult(family.database, "Maureen", "Testkin")
    csrf = sign_in(client, family.worker)
    base = f"/cases/{family.child_id}"
    # Without JavaScript, Find posts the form: it comes back unsaved with the people found to choose from.
    found = post(
        client,
        csrf,
        f"{base}/kinship/new",
        {"pick_search": "carer_person_id", "carer_person_id.q": "Maureen Testkin", "carer_relationship": "Nan"},
    )
    assert found.status_code == 200 and f'value="{nan}"' in found.text and "Maureen Testkin" in found.text
    with family.database.transaction() as s:
        assert s.scalars(select(KinshipArrangement)).all() == []

    saved = post(client, csrf, f"{base}/kinship/new", _arrangement(str(nan)))
    assert saved.status_code == 303, saved.text
    page = client.get(f"{base}/family-network").text
    assert f'href="/people/{nan}">Maureen Testkin</a> (Maternal grandmother)' in page
    with family.database.transaction() as s:
        arrangement = s.scalars(select(KinshipArrangement)).one()
        assert (arrangement.carer_person_id, arrangement.carer_name) == (nan, "Maureen Testkin")
        arrangement_id, version = arrangement.id, arrangement.version
        ties = s.scalars(select(FamilyRelationship).where(FamilyRelationship.to_person_id == family.child_id)).all()
        assert [(t.from_person_id, t.kind) for t in ties] == [(nan, RelationshipKind.CARER)]
    record = client.get(f"/people/{family.child_id}").text
    assert "Maureen Testkin" in record and "carer of" in record

    # Saving the arrangement again (its relationship reworded) adds no second tie.
    edit = f"{base}/kinship/{arrangement_id}/edit"
    again = post(client, csrf, edit, _arrangement(str(nan), carer_relationship="Nan", version=str(version)))
    assert again.status_code == 303, again.text
    with family.database.transaction() as s:
        assert len(s.scalars(select(FamilyRelationship)).all()) == 1
        assert s.get(KinshipArrangement, arrangement_id).carer_relationship == "Nan"  # type: ignore[union-attr]


def test_a_carer_must_be_chosen_and_cannot_be_the_child(client: TestClient, family: Family) -> None:
    csrf = sign_in(client, family.worker)
    base = f"/cases/{family.child_id}"
    for chosen in ("", "not-a-number", "999999", str(family.child_id)):
        refused = post(client, csrf, f"{base}/kinship/new", _arrangement(chosen))
        assert refused.status_code == 422, chosen
        assert "Find and choose the kinship carer" in refused.text or "not the child" in refused.text
    with family.database.transaction() as s:
        assert s.scalars(select(KinshipArrangement)).all() == []


def test_a_restricted_person_the_worker_may_not_open_cannot_be_chosen(
    client: TestClient, family: Family, factory: Factory
) -> None:
    hidden = add_adult(family.database, "Quinn", "Testhidden")
    manager = factory.user(Role.MASH_MANAGER)
    with family.database.transaction() as s:
        restriction.restrict(s, family.database, manager, hidden, "A council employee", [])
    csrf = sign_in(client, family.worker)
    refused = post(client, csrf, f"/cases/{family.child_id}/kinship/new", _arrangement(str(hidden)))
    assert refused.status_code == 422 and "Find and choose the kinship carer" in refused.text
    assert "Quinn" not in refused.text


# --- migration 0018: arrangements recorded with a name only -------------------------------------------------------


def _sql(url: str, statement: str, **values: Any) -> list[Any]:
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(statement), values)
            return list(result) if result.returns_rows else []
    finally:
        engine.dispose()


def test_migration_links_the_carers_their_names_name_once(empty_database_url: str) -> None:
    command.upgrade(alembic_config(empty_database_url), "0017")
    person = (
        "INSERT INTO person (id, kind, first_name, last_name, first_name_key, last_name_key, first_name_sound, "
        "last_name_sound, version, created_at) VALUES (:id, :kind, :first, :last, '', '', '', '', 1, :at)"
    )
    at = "2026-01-01 00:00:00"
    for pid, kind, first, last in (
        (1, "child", "Casey", "Testchild"),
        (2, "adult", "Joan", "Testgran"),  # related to the child: found first
        (3, "adult", "Joan", "Testgran"),  # the same name, unrelated
        (4, "adult", "Ray", "Testuncle"),  # the only one of that name in the index
        (5, "adult", "Sam", "Testtwin"),
        (6, "adult", "Sam", "Testtwin"),  # two of that name, neither related: left for a worker
    ):
        _sql(empty_database_url, person, id=pid, kind=kind, first=first, last=last, at=at)
    _sql(
        empty_database_url,
        "INSERT INTO family_relationship (id, from_person_id, to_person_id, kind, recorded_at) "
        "VALUES (1, 2, 1, 'household_member', :at)",
        at=at,
    )
    for aid, name in ((1, " joan  TESTGRAN "), (2, "Ray Testuncle"), (3, "Sam Testtwin"), (4, "Nobody Known")):
        _sql(
            empty_database_url,
            "INSERT INTO kinship_arrangement (id, person_id, carer_name, carer_relationship, kind, started_on, "
            "version, created_at) VALUES (:id, 1, :name, 'Relative', 'informal', :day, 1, :at)",
            id=aid,
            name=name,
            day=date(2025, 5, 1).isoformat(),
            at=at,
        )
    upgrade_database(empty_database_url)
    rows = _sql(empty_database_url, "SELECT id, carer_person_id, carer_name FROM kinship_arrangement ORDER BY id")
    assert [(r[0], r[1]) for r in rows] == [(1, 2), (2, 4), (3, None), (4, None)]
    assert rows[0][2] == " joan  TESTGRAN "  # the name as recorded is kept
    database = Database(empty_database_url)
    try:
        with database.transaction() as s:
            assert s.get(KinshipArrangement, 2).carer_person_id == 4  # type: ignore[union-attr]
    finally:
        database.engine.dispose()
