"""The small demo council, built once per test database and reused while the database still holds it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from safeguarding.core.audit import AuditEvent
from safeguarding.core.db import Database
from safeguarding.demo.council import build_council
from safeguarding.demo.summary import CouncilSummary
from safeguarding.people.models import Person
from tests.conftest import _empty

# A fixed reference moment (a Wednesday afternoon in term time), so the council is the same on every run.
REFERENCE = datetime(2026, 3, 11, 15, 30, tzinfo=UTC)
SEED = 1

_loaded: dict[str, CouncilSummary] = {}


def holds_council(database: Database, seed: int, reference: datetime) -> bool:
    """Whether the database holds exactly the council of this seed and moment, untouched by other tests."""
    summary = _loaded.get(database.engine.url.render_as_string())
    if summary is None or summary.seed != seed:
        return False
    with database.transaction() as s:
        loads = list(s.scalars(select(AuditEvent).where(AuditEvent.target_type == "demo_council")))
        people = s.scalar(select(func.count()).select_from(Person))
    if len(loads) != 1:
        return False
    detail = json.loads(loads[0].detail)
    return (
        detail.get("seed") == seed
        and detail.get("reference_time") == reference.isoformat()
        and people == summary.counts["person"]
    )


def load(database: Database, seed: int = SEED, reference: datetime = REFERENCE) -> CouncilSummary:
    _empty(database)
    summary = build_council(database, size="small", seed=seed, now=reference)
    _loaded[database.engine.url.render_as_string()] = summary
    return summary


@pytest.fixture()
def council(migrated_database: Database) -> Iterator[CouncilSummary]:
    if not holds_council(migrated_database, SEED, REFERENCE):
        load(migrated_database)
    yield _loaded[migrated_database.engine.url.render_as_string()]


@pytest.fixture()
def council_client(council: CouncilSummary, migrated_database: Database) -> Iterator[TestClient]:
    from safeguarding.app.factory import create_app

    with TestClient(create_app(migrated_database), base_url="http://testserver", follow_redirects=False) as client:
        yield client
