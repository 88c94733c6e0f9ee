"""The benchmarks' per-request breakdown (core.timings): off unless asked for; when on, every request served writes
one line saying where its time went."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from safeguarding.app.factory import create_app
from safeguarding.core import timings
from safeguarding.core.db import Database
from tests.front_door.test_screening_helpers import Child, make_contact, make_person, staff
from tests.support import Factory, sign_in_as

FIELDS = {
    "pid",
    "at",
    "method",
    "path",
    "route",
    "status",
    "total_ms",
    "cpu_ms",
    "in_threads_ms",
    "thread_queue_ms",
    "hops",
    "queued_before_handler_ms",
    "db_ms",
    "queries",
    "chain_lock_ms",
    "write_gate_ms",
    "sqlite_lock_ms",
    "pool_ms",
    "commit_ms",
    "durable_ms",
    "loop_lag_ms",
}


def test_no_timings_are_kept_unless_asked_for(
    database: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(timings.ENVIRONMENT_VARIABLE, raising=False)
    monkeypatch.chdir(tmp_path)
    app = create_app(database)
    assert not any(m.cls is timings.RequestTimingsMiddleware for m in app.user_middleware)
    with TestClient(app) as client:
        assert client.get("/sign-in").status_code == 200
    assert list(tmp_path.iterdir()) == []


def test_a_contact_view_writes_a_line_with_its_breakdown(
    database: Database, factory: Factory, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    worker, _ = staff(factory)
    child = make_person(database, worker, "Amira", "Testchild")
    contact_id = make_contact(database, children=[Child("Amira", person_id=child)])
    lines = tmp_path / "timings.jsonl"
    monkeypatch.setenv(timings.ENVIRONMENT_VARIABLE, str(lines))
    with TestClient(create_app(database), follow_redirects=False) as client:
        sign_in_as(client, database, worker)
        assert client.get(f"/mash/contacts/{contact_id}").status_code == 200

    written = [json.loads(line) for line in lines.read_text().splitlines()]
    assert len(written) == 1
    line = written[0]
    assert set(line) == FIELDS
    assert line["route"] == "/mash/contacts/{contact_id}" and line["status"] == 200
    # The view read from the database and wrote its audit row in the commit, in threads that used CPU.
    assert line["queries"] > 0 and line["db_ms"] > 0 and line["commit_ms"] > 0 and line["cpu_ms"] > 0
    assert line["total_ms"] >= line["in_threads_ms"] >= line["db_ms"]
    if database.is_sqlite:
        assert line["chain_lock_ms"] == 0  # SQLite's chain is ordered by its write lock, timed as such
    # Outside a request nothing is counted.
    assert timings.current() is None
