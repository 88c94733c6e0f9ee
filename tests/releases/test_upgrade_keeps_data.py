"""A council's database at an earlier release keeps all its data through `safeguarding db upgrade`.

For each release's demo council (tests/releases/<revision>_demo_council.jsonl.gz, written by make_fixture.py with
that release's code): build a database at that revision with Alembic, load the rows as that release wrote them,
upgrade to head, and check that every row is still there with every column that still exists unchanged, that the
audit chain still verifies, and that a worker can still sign in and open a child's page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import select

from safeguarding.cli import alembic_config, upgrade_database
from safeguarding.core.audit import ChainBreak, verify_chain
from safeguarding.core.db import Database
from safeguarding.core.users import User
from safeguarding.demo.council import DEMO_PASSWORD
from tests.releases.council_dump import HERE, encode, load, read, reflected, revision_of
from tests.releases.test_released_revisions import released
from tests.support import sign_in

FIXTURES = sorted(HERE.glob("*_demo_council.jsonl.gz"))


def test_the_latest_release_has_its_demo_council() -> None:
    assert revision_of(FIXTURES[-1]) == released()[-1].revision, (
        "the latest released revision has no demo council: run `.venv/bin/python -m tests.releases.make_fixture`"
    )


def _key(row: dict[str, Any], key_columns: list[str]) -> tuple[Any, ...]:
    return tuple(encode(row[c]) for c in key_columns)


def _lost_or_changed(database: Database, fixture: Path) -> tuple[int, list[str]]:
    """Rows checked, and a line for each table whose rows went missing or whose values changed."""
    problems: list[str] = []
    checked = 0
    with database.engine.connect() as connection:
        now = reflected(connection)
        for name, columns, rows in read(fixture):
            if name not in now.tables:
                problems.append(f"table {name} ({len(rows)} rows) is gone")
                continue
            table = now.tables[name]
            kept = [c for c in columns if c in table.c]
            key_columns = [c.name for c in table.primary_key.columns] or kept
            stored = {_key(dict(r._mapping), key_columns): r._mapping for r in connection.execute(select(table))}
            missing = [row for row in rows if _key(row, key_columns) not in stored]
            changed = [
                (row, column)
                for row in rows
                if _key(row, key_columns) in stored
                for column in kept
                if encode(stored[_key(row, key_columns)][column]) != encode(row[column])
            ]
            if missing:
                problems.append(f"{name}: {len(missing)} of {len(rows)} rows missing, e.g. {missing[0]}")
            if changed:
                row, column = changed[0]
                problems.append(
                    f"{name}: {len(changed)} values changed, e.g. {column} of {_key(row, key_columns)}: "
                    f"{row[column]!r} -> {stored[_key(row, key_columns)][column]!r}"
                )
            checked += len(rows)
    return checked, problems


@pytest.mark.parametrize("fixture", FIXTURES, ids=[path.name.split("_")[0] for path in FIXTURES])
def test_upgrading_a_released_database_keeps_every_row(fixture: Path, empty_database_url: str) -> None:
    command.upgrade(alembic_config(empty_database_url), revision_of(fixture))
    database = Database(empty_database_url)
    try:
        with database.engine.begin() as connection:
            loaded = load(connection, fixture)
        assert loaded["person"] > 1000 and loaded["audit_event"] > 0

        upgrade_database(empty_database_url)

        checked, problems = _lost_or_changed(database, fixture)
        assert problems == [], "the upgrade lost or changed data:\n" + "\n".join(problems)
        assert checked == sum(loaded.values())
        with database.transaction() as session:
            walked = list(verify_chain(session))
        assert not any(isinstance(step, ChainBreak) for step in walked), walked[-1]
        assert len(walked) == loaded["audit_event"]

        _a_worker_signs_in_and_opens_a_child(database)
    finally:
        database.dispose()


def _a_worker_signs_in_and_opens_a_child(database: Database) -> None:
    from safeguarding.app.factory import create_app
    from safeguarding.people.models import Person

    with database.transaction() as session:
        worker = session.scalar(select(User).where(User.username == "mash.worker"))
        assert worker is not None
        session.expunge(worker)
        child = session.execute(select(Person.id, Person.first_name, Person.last_name).order_by(Person.id)).first()
        assert child is not None
    with TestClient(create_app(database), base_url="http://testserver", follow_redirects=False) as client:
        sign_in(client, worker, DEMO_PASSWORD)
        page = client.get(f"/people/{child.id}")
    assert page.status_code == 200, page.text[:500]
    assert child.last_name in page.text
