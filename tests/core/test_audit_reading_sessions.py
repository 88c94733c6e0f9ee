"""Page views read without the write lock, yet their audit rows always extend one unbroken chain."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from safeguarding.core.audit import Actor, AuditEvent, ChainBreak, record, verify_chain
from safeguarding.core.db import Database, rollback_keeping_survivors
from safeguarding.core.users import Role, User
from tests.support import Factory


def _views(database: Database, worker: int, count: int, errors: list[BaseException]) -> None:
    try:
        for i in range(count):
            session = database.reading_sessionmaker()
            try:
                session.execute(select(func.count(User.id))).scalar()
                record(session, Actor(id=None, username=f"viewer{worker}", role="social_worker"), "view", "person", i)
                session.commit()
            finally:
                session.close()
    except BaseException as exc:
        errors.append(exc)


def test_concurrent_views_and_changes_keep_the_chain_whole(database: Database) -> None:
    errors: list[BaseException] = []
    threads = [threading.Thread(target=_views, args=(database, n, 40, errors)) for n in range(3)]

    def _changes() -> None:
        try:
            for i in range(40):
                with database.transaction() as s:
                    record(s, Actor.system(), "update", "local_setting", i)
        except BaseException as exc:
            errors.append(exc)

    threads.append(threading.Thread(target=_changes))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with database.transaction() as s:
        results = list(verify_chain(s))
        assert not any(isinstance(r, ChainBreak) for r in results)
        assert len(results) == 160
        assert s.scalar(select(func.count(AuditEvent.id))) == 160


def test_refusal_survives_the_rollback_but_the_work_does_not(database: Database, factory: Factory) -> None:
    user = factory.user(Role.SOCIAL_WORKER)
    session = database.sessionmaker()
    try:
        row = session.get_one(User, user.id)
        assert row is not None
        row.full_name = "Changed then rolled back"
        record(session, Actor.system(), "update", "user_account", user.id)
        record(session, Actor.system(), "view", "person", 7, outcome="refused", reason="test", survive_rollback=True)
        rollback_keeping_survivors(session)
    finally:
        session.close()
    with database.transaction() as s:
        events = [(e.action, e.outcome) for e in s.scalars(select(AuditEvent))]
        assert events == [("view", "refused")]
        assert s.get_one(User, user.id).full_name != "Changed then rolled back"
