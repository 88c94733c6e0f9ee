"""The migration and the models cannot drift apart, and the schema can be taken down again.

Runs on the suite's database kind (SQLite by default, PostgreSQL with SAFEGUARDING_TEST_DATABASE_URL), each time
on a fresh, empty database so that it sees exactly what the migration builds.
"""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from safeguarding.cli import alembic_config, upgrade_database
from safeguarding.core.db import make_engine
from safeguarding.schema import metadata


def _differences(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_builds_exactly_the_models(empty_database_url: str) -> None:
    upgrade_database(empty_database_url)
    assert _tables(empty_database_url) == set(metadata.tables), "migration and models name different tables"
    differences = _differences(empty_database_url)
    assert differences == [], (
        "the models and the migrations differ: write a new revision for the change with `safeguarding db revision "
        '-m "what changed"` (against a database at head; never edit a released revision), review it and commit it. '
        f"Differences: {differences}"
    )


def test_downgrade_to_base_removes_every_table_and_upgrade_works_again(empty_database_url: str) -> None:
    upgrade_database(empty_database_url)
    command.downgrade(alembic_config(empty_database_url), "base")
    assert _tables(empty_database_url) == set()
    upgrade_database(empty_database_url)
    assert _differences(empty_database_url) == []
