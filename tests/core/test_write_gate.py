"""Page views queue for SQLite's write lock (core.db.enter_write_gate); a view that fails must not hold the queue."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from safeguarding.core.audit import Actor, AuditEvent, ChainBreak, record, record_search, verify_chain
from safeguarding.core.db import Database


def _view(database: Database, target: int) -> None:
    session = database.reading_sessionmaker()
    try:
        record(session, Actor(id=None, username="viewer", role="mash_worker"), "view", "contact", target)
        session.commit()
    finally:
        session.close()


def test_a_view_whose_audit_write_fails_does_not_block_the_next_views(database: Database) -> None:
    if not database.is_sqlite:
        pytest.skip("the write queue is for SQLite's single write lock")
    broken = database.reading_sessionmaker()
    try:
        # A search hit that is not a person number fails while the audit rows are written, after the view has
        # queued for the write lock.
        hits: list[Any] = ["not-a-number"]
        record_search(broken, Actor(id=None, username="viewer", role="mash_worker"), "person", {"q": "x"}, hits)
        with pytest.raises(ValueError):
            broken.commit()
    finally:
        broken.close()

    errors: list[BaseException] = []

    def views() -> None:
        try:
            for n in range(5):
                _view(database, n)
        except BaseException as exc:
            errors.append(exc)

    others = [threading.Thread(target=views) for _ in range(2)]
    for thread in others:
        thread.start()
    for thread in others:
        thread.join(timeout=60)  # a guard against a stuck queue, not a timing check
    assert not any(thread.is_alive() for thread in others), "views were left waiting for the write lock"
    assert errors == []
    with database.transaction() as s:
        assert s.scalar(select(func.count(AuditEvent.id))) == 10
        assert not any(isinstance(r, ChainBreak) for r in verify_chain(s))
