"""The hash-chained audit log: whole under concurrent writers, and any edit or deletion is found."""

from __future__ import annotations

import threading

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from safeguarding.core.audit import GENESIS_HASH, Actor, AuditEvent, ChainBreak, record, verify_chain
from safeguarding.core.db import Database

PER_THREAD = 50


def _verify(database: Database) -> list[int | ChainBreak]:
    with database.transaction() as s:
        return list(verify_chain(s))


def test_two_threads_writing_fifty_audited_transactions_each_keep_the_chain_whole(database: Database) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def writer(name: str, reading: bool) -> None:
        try:
            start.wait()
            for n in range(PER_THREAD):
                # One thread commits ordinary transactions, the other the page-view (reading) sessions.
                session = (database.reading_sessionmaker if reading else database.sessionmaker)()
                try:
                    record(session, Actor.system(name), "view", "contact", n, detail={"n": n})
                    session.commit()
                finally:
                    session.close()
        except BaseException as exc:  # reported below: a thread's failure must fail the test
            errors.append(exc)

    threads = [
        threading.Thread(target=writer, args=("writer-a", False)),
        threading.Thread(target=writer, args=("writer-b", True)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    result = _verify(database)
    assert not any(isinstance(item, ChainBreak) for item in result)
    assert len(result) == 2 * PER_THREAD
    with database.transaction() as s:
        rows = list(s.execute(select(AuditEvent.actor_username, AuditEvent.prev_hash)))
        assert sum(1 for name, _ in rows if name == "writer-a") == PER_THREAD
        assert sum(1 for name, _ in rows if name == "writer-b") == PER_THREAD
        # No fork: every row follows a different predecessor, and only the first follows the genesis.
        assert len({prev for _, prev in rows}) == len(rows)
        assert s.scalar(select(func.count()).where(AuditEvent.prev_hash == GENESIS_HASH)) == 1


def test_nothing_is_chained_for_work_that_rolled_back(database: Database) -> None:
    try:
        with database.transaction() as s:
            record(s, Actor.system("t"), "update", "contact", 1)
            raise RuntimeError("the form failed half-way")
    except RuntimeError:
        pass
    with database.transaction() as s:
        assert s.scalar(select(func.count(AuditEvent.id))) == 0


def _write(database: Database, count: int) -> None:
    for n in range(count):
        with database.transaction() as s:
            record(s, Actor.system("t"), "view", "person", n, person_id=n, detail={"n": n})


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_altered_or_removed_row_is_found_at_that_row(database: Database, data: st.DataObject) -> None:
    with database.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_event"))
    _write(database, 6)
    with database.transaction() as s:
        ids = list(s.scalars(select(AuditEvent.id).order_by(AuditEvent.id)))
    victim = data.draw(st.sampled_from(ids[:-1]), label="row")
    column = data.draw(st.sampled_from(["detail", "actor_username", "action", "reason", "delete"]), label="edit")
    with database.engine.begin() as conn:
        if column == "delete":
            conn.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": victim})
        else:
            conn.execute(text(f"UPDATE audit_event SET {column} = 'tampered' WHERE id = :id"), {"id": victim})
    breaks = [item for item in _verify(database) if isinstance(item, ChainBreak)]
    expected = ids[ids.index(victim) + 1] if column == "delete" else victim
    assert [b.row_id for b in breaks] == [expected]
