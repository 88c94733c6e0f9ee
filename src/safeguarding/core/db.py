"""Database engine, declarative base and transactions.

SQLite (the embedded default) runs with WAL and foreign keys on. A transaction that changes things begins
IMMEDIATE, so writers queue for the one write lock instead of failing half-way. A page view (a *reading* session)
reads without holding that lock, so views run side by side; what it must write (its audit rows) is written
atomically at commit in a short IMMEDIATE transaction of its own (see ``core.audit``). PostgreSQL runs through
psycopg 3 with its ordinary transactions.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from safeguarding.core.settings import get_settings

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
        self.reading_sessionmaker = sessionmaker(self.engine.execution_options(**{READING: True}),
                                                 expire_on_commit=False, info={READING: True})

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
