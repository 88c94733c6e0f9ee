"""Many staff opening records at the same moment: every view's audit rows are written, the chain stays whole, the
signed checkpoints taken meanwhile still verify, and (PostgreSQL) a view's rows are on disk before it is answered."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from safeguarding.core import audit_checkpoint
from safeguarding.core.audit import (
    Actor,
    AuditEvent,
    AuditSearchHit,
    ChainBreak,
    record,
    record_search,
    record_view,
    verify_chain,
)
from safeguarding.core.db import Database
from safeguarding.core.users import User

VIEWERS = 24
VIEWS_EACH = 8
KEY = "c" * 16 + "a-synthetic-checkpoint-key-for-tests"


def test_many_simultaneous_viewers_leave_the_chain_whole_and_lose_no_row(database: Database) -> None:
    start = threading.Barrier(VIEWERS + 2)
    errors: list[BaseException] = []
    checkpoints: list[audit_checkpoint.Head] = []

    def viewer(n: int) -> None:
        try:
            start.wait(timeout=30)
            for i in range(VIEWS_EACH):
                session = database.reading_sessionmaker()
                try:
                    session.execute(select(func.count(User.id))).scalar()
                    # A contact page shows two children: one row each.
                    record_view(
                        session,
                        Actor(id=None, username=f"viewer{n}", role="mash_worker"),
                        "contact",
                        n * 100 + i,
                        [n * 1000 + 2 * i, n * 1000 + 2 * i + 1],
                    )
                    session.commit()
                finally:
                    session.close()
        except BaseException as exc:
            errors.append(exc)

    def changes_and_checkpoints() -> None:
        try:
            start.wait(timeout=30)
            for i in range(VIEWS_EACH):
                with database.transaction() as s:
                    record(s, Actor.system(), "update", "local_setting", i)
                with database.transaction() as s:
                    checkpoints.append(audit_checkpoint.write(s, KEY.encode()))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=viewer, args=(n,)) for n in range(VIEWERS)]
    threads.append(threading.Thread(target=changes_and_checkpoints))
    for thread in threads:
        thread.start()
    start.wait(timeout=30)
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []

    expected = VIEWERS * VIEWS_EACH * 2 + VIEWS_EACH
    with database.transaction() as s:
        verified = list(verify_chain(s))
        assert not any(isinstance(r, ChainBreak) for r in verified)
        assert len(verified) == expected
        viewed = set(
            s.execute(
                select(AuditEvent.actor_username, AuditEvent.target_id, AuditEvent.person_id).where(
                    AuditEvent.action == "view"
                )
            )
        )
        assert viewed == {
            (f"viewer{n}", str(n * 100 + i), n * 1000 + 2 * i + k)
            for n in range(VIEWERS)
            for i in range(VIEWS_EACH)
            for k in (0, 1)
        }
        report = audit_checkpoint.check(s, KEY.encode())
    assert len(checkpoints) == VIEWS_EACH
    assert report.problems == [], report.problems


def test_a_views_audit_row_is_on_disk_when_its_commit_returns(database: Database) -> None:
    if database.is_sqlite:
        pytest.skip("PostgreSQL's asynchronous commit of the chain; SQLite commits under its write lock")
    written: list[str] = []

    def after_the_rows(session: Session) -> None:
        # Runs after the audit rows' INSERT (core.audit's hook was registered first): the WAL position past them.
        written.append(session.execute(text("SELECT pg_current_wal_insert_lsn()::text")).scalar_one())

    event.listen(Session, "before_commit", after_the_rows)
    try:
        for i in range(20):
            session = database.reading_sessionmaker()
            try:
                record(session, Actor(id=None, username="viewer", role="mash_worker"), "view", "person", i)
                session.commit()
            finally:
                session.close()
            with database.engine.connect() as connection:
                on_disk = connection.execute(
                    text("SELECT pg_current_wal_flush_lsn() >= CAST(:lsn AS pg_lsn)"), {"lsn": written[-1]}
                ).scalar_one()
            assert on_disk, f"view {i}: commit() returned before its audit row reached the disk"
    finally:
        event.remove(Session, "before_commit", after_the_rows)
    with database.transaction() as s:
        assert s.scalar(select(func.count(AuditEvent.id))) == 20


def test_any_text_in_an_audit_row_is_stored_as_given_and_chained(database: Database) -> None:
    awkward = 'O\'Brien \\ "q" 100% %s %(x)s {b}; COMMIT; -- Zoë 𝔘\tt\nn'  # within target_id's 64
    with database.transaction() as s:
        record(
            s,
            Actor(id=7, username=awkward, role="mash_worker"),
            "view",
            "person",
            awkward,
            person_id=3,
            reason=awkward,
            detail={"note": awkward, awkward: [1, "2", None]},
        )
    session = database.reading_sessionmaker()
    try:
        record_search(
            session, Actor(id=None, username="searcher", role="mash_worker"), "person", {"q": awkward}, [5, 3]
        )
        session.commit()
    finally:
        session.close()
    with database.transaction() as s:
        verified = list(verify_chain(s))
        assert not any(isinstance(r, ChainBreak) for r in verified) and len(verified) == 2
        first, second = s.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        assert (first.actor_username, first.target_id, first.reason) == (awkward, awkward, awkward)
        assert json.loads(first.detail)["note"] == awkward and second.prev_hash == first.hash
        hits = set(s.execute(select(AuditSearchHit.event_id, AuditSearchHit.person_id)))
    assert hits == {(second.id, 3), (second.id, 5)}
