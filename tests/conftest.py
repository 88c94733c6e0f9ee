"""Test fixtures: a real database per test worker (SQLite by default, PostgreSQL when
SAFEGUARDING_TEST_DATABASE_URL names a server), migrated with Alembic, emptied between tests."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

# Keep argon2 quick in tests is not possible without weakening it; instead we create few users per test.
os.environ.setdefault("SAFEGUARDING_SECRET_KEY", "test-secret-key-not-for-production")

from safeguarding.cli import upgrade_database
from safeguarding.core.db import Database, set_database
from safeguarding.schema import metadata
from tests.support import Factory

# No timed assertions (a rule of this codebase): hypothesis' per-example deadline fails tests on a busy machine, so
# it is off for the whole suite. Speed is measured in bench/.
hypothesis_settings.register_profile("safeguarding", deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "safeguarding"))


def pytest_configure(config: pytest.Config) -> None:
    # Known without pytest-xdist too (e.g. `-p no:xdist`), so marking a journey never warns.
    config.addinivalue_line("markers", "xdist_group(name): run these tests on one xdist worker")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    # Keep the call's outcome on the item, so a browser journey's page fixture can screenshot a failure.
    report = yield
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]  # read by the journeys' page fixture
    return report


def _worker_id() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    admin_url = os.environ.get("SAFEGUARDING_TEST_DATABASE_URL")
    if not admin_url:
        path = Path(tmp_path_factory.mktemp("db")) / f"test-{_worker_id()}.db"
        yield f"sqlite:///{path}"
        return
    parsed = make_url(admin_url).set(drivername="postgresql+psycopg")
    name = re.sub(r"[^a-z0-9_]", "_", f"sg_test_{_worker_id()}_{os.getpid()}".lower())
    admin = create_engine(parsed, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield parsed.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@contextmanager
def _scratch_database_url(tmp_path: Path, label: str) -> Iterator[str]:
    """An empty database of the same kind as the suite's (a new SQLite file, or a new PostgreSQL database)."""
    admin_url = os.environ.get("SAFEGUARDING_TEST_DATABASE_URL")
    if not admin_url:
        yield f"sqlite:///{tmp_path / f'{label}.db'}"
        return
    parsed = make_url(admin_url).set(drivername="postgresql+psycopg")
    name = re.sub(r"[^a-z0-9_]", "_", f"sg_{label}_{_worker_id()}_{os.getpid()}".lower())
    admin = create_engine(parsed, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield parsed.set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture()
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """A fresh, unmigrated database for tests of migrations and loaders (not the shared test database)."""
    with _scratch_database_url(tmp_path, "scratch") as url:
        yield url


@pytest.fixture(scope="session")
def migrated_database(database_url: str) -> Iterator[Database]:
    upgrade_database(database_url)
    database = Database(database_url)
    set_database(database)
    yield database
    set_database(None)
    database.dispose()


def _empty(database: Database) -> None:
    with database.engine.begin() as conn:
        if database.engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(metadata.sorted_tables):
                conn.execute(table.delete())
            conn.execute(text("DELETE FROM sqlite_sequence")) if conn.execute(
                text("SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'")
            ).first() else None


@pytest.fixture()
def database(migrated_database: Database) -> Iterator[Database]:
    _empty(migrated_database)
    yield migrated_database


@pytest.fixture()
def session(database: Database) -> Iterator[Session]:
    with database.transaction() as s:
        yield s


@pytest.fixture()
def factory(database: Database) -> Factory:
    return Factory(database)


@pytest.fixture()
def app(database: Database) -> FastAPI:
    from safeguarding.app.factory import create_app

    return create_app(database)


@pytest.fixture()
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as c:
        yield c
