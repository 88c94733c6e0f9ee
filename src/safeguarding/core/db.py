"""Database engine, declarative base and transactions.

SQLite (the embedded default) runs with WAL and foreign keys on. A transaction that changes things begins
IMMEDIATE, so writers queue for the one write lock instead of failing half-way. A page view (a *reading* session)
reads without holding that lock, so views run side by side; what it must write (its audit rows) is written
atomically at commit in a short IMMEDIATE transaction of its own (see ``core.audit``). PostgreSQL runs through
psycopg 3 with its ordinary transactions.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.sql import ClauseElement
from sqlalchemy.types import TypeDecorator

from safeguarding.core.settings import get_settings
from safeguarding.core.timings import timed

try:
    import fcntl
except ImportError:  # Windows: threads in one process still queue; processes fall back to SQLite's own retry
    fcntl = None  # type: ignore[assignment]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored as UTC and always returned timezone-aware, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


def utcnow() -> datetime:
    return datetime.now(UTC)


# Execution option marking a reading session's connection (SQLite only changes behaviour on it).
READING = "safeguarding_reading"


def is_reading_sqlite(session: Session) -> bool:
    """True for a reading session on SQLite, whose writes must take the write lock explicitly."""
    bind = session.get_bind()
    return bind.dialect.name == "sqlite" and bool(session.info.get(READING))


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Read pages through a memory map (shared by every connection, no copy per read) and keep a larger page
        # cache per connection: a big council's pages are read at random, and reads were mostly system calls.
        cursor.execute("PRAGMA mmap_size=1073741824")
        cursor.execute("PRAGMA cache_size=-16384")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Reading sessions run each statement on its own (no BEGIN): they never hold the write lock.
        if not conn.get_execution_options().get(READING):
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    url = url or get_settings().database_url
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    if parsed.drivername == "postgresql":
        url = str(parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False))
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, **kwargs)


class Database:
    """One engine and its session factory; the app and the CLI each hold one."""

    def __init__(self, url: str | None = None) -> None:
        self.engine = make_engine(url)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        # For page views: on SQLite it reads without the write lock; elsewhere it is an ordinary session.
        # No autoflush: on SQLite a change flushed mid-request (a session's idle clock) would write outside a
        # transaction and wait on the write lock by sleep-and-retry, behind every queued view; instead it is
        # written at commit, inside the queued write (core.audit._write_pending).
        self.reading_sessionmaker = sessionmaker(
            self.engine.execution_options(**{READING: True}),
            expire_on_commit=False,
            autoflush=False,
            info={READING: True},
        )

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commits on success, rolls everything back on any error.

        What must outlive a failure (the audit row of a refused access) is committed after the rollback.
        """
        session = self.sessionmaker()
        try:
            yield session
            session.commit()
        except BaseException:
            rollback_keeping_survivors(session)
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


def rollback_keeping_survivors(session: Session) -> None:
    """Roll back, then commit whatever was marked to survive a rollback (refusal audit rows)."""
    session.rollback()
    if session.info.get(SURVIVORS_KEY):
        session.commit()


# Session.info key under which core.audit queues rows that must be written even when the work rolls back.
SURVIVORS_KEY = "audit_survivors"


class _WriteGate:
    """A queue for SQLite's write lock among page views, shared by the threads and processes using one file.

    SQLite makes a writer that finds the lock taken sleep and retry (1, 2, 5, 10 ... 100 ms): under 50 users the
    audit rows of page views waited up to seconds at p99 though each holds the lock for about a millisecond. Views
    first queue here (a thread lock, then ``flock`` on a file beside the database), so each wakes as soon as the one
    before has committed. Only reading sessions take it, always before the SQLite lock and never while holding it,
    so it cannot deadlock with ordinary write transactions (which still wait on SQLite's own lock).
    """

    def __init__(self, path: str | None) -> None:
        self.thread_lock = threading.Lock()
        self.path = path
        self.fd: int | None = None
        self.pid = os.getpid()

    def acquire(self) -> None:
        self.thread_lock.acquire()
        try:
            if self.path and fcntl is not None:
                if self.fd is None or self.pid != os.getpid():  # a forked child must not share the parent's lock
                    self.fd, self.pid = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600), os.getpid()
                fcntl.flock(self.fd, fcntl.LOCK_EX)
        except BaseException:
            self.thread_lock.release()
            raise

    def release(self) -> None:
        try:
            if self.fd is not None and fcntl is not None:
                fcntl.flock(self.fd, fcntl.LOCK_UN)
        finally:
            self.thread_lock.release()


_GATE_KEY = "sqlite_write_gate"
_gates: dict[str | None, _WriteGate] = {}
_gates_lock = threading.Lock()


def enter_write_gate(session: Session) -> None:
    """Queue for the database's write lock (SQLite reading sessions); left when the session's transaction ends."""
    if _GATE_KEY in session.info:
        return
    database = session.get_bind().engine.url.database
    path = f"{database}-writelock" if database and database != ":memory:" else None
    with _gates_lock:
        gate = _gates.setdefault(path, _WriteGate(path))
    with timed("write_gate"):
        gate.acquire()
    session.info[_GATE_KEY] = gate


@event.listens_for(Session, "after_transaction_end")
def _leave_write_gate(session: Session, transaction: Any) -> None:
    # After the COMMIT or ROLLBACK of the outermost transaction, so the next view finds SQLite's lock free.
    if transaction.parent is None:
        gate: _WriteGate | None = session.info.pop(_GATE_KEY, None)
        if gate is not None:
            gate.release()


_default: Database | None = None


def get_database() -> Database:
    global _default
    if _default is None:
        _default = Database()
    return _default


def set_database(database: Database | None) -> None:
    """Point the process at another database (tests, the CLI's --database option)."""
    global _default
    _default = database


def driver_rows(connection: Connection, statement: ClauseElement) -> list[tuple[Any, ...]]:
    """A query's rows as the driver gives them: plain tuples, no result processing (dates are ISO text on SQLite).

    For bulk reads of hundreds of thousands of rows, where SQLAlchemy's row objects and type conversion cost more
    than the query. Only for statements whose values are the code's own (ids, dates, names): they are rendered
    into the SQL text."""
    compiled = statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
    cursor = connection.connection.cursor()
    try:
        # Drivers with format parameters (psycopg) get the text with its percent signs escaped: give them an
        # empty set of parameters, so that they read it as such.
        cursor.execute(str(compiled), {} if connection.dialect.paramstyle in ("format", "pyformat") else ())
        return list(cursor.fetchall())
    finally:
        cursor.close()
