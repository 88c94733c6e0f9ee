"""ssda903 checks: the SSDA903 return checked on the live record, each run with its findings (ssda903_run,
ssda903_finding), and where postcode districts lie (postcode_district), for the distance of a placement from home

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08

New tables only: no existing row changes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import safeguarding.core.db

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ssda903_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("ruleset", sa.String(length=20), nullable=False),
        sa.Column("started_at", safeguarding.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", safeguarding.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("started_by_id", sa.Integer(), nullable=True),
        sa.Column("children", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("queries", sa.Integer(), nullable=False),
        sa.Column("rules_run", sa.Integer(), nullable=False),
        sa.Column("rules_skipped", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["started_by_id"], ["app_user.id"], name=op.f("fk_ssda903_run_started_by_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ssda903_run")),
    )
    with op.batch_alter_table("ssda903_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ssda903_run_year"), ["year"], unique=False)

    op.create_table(
        "ssda903_finding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("child", sa.String(length=100), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("table_name", sa.String(length=30), nullable=False),
        sa.Column("fields", sa.String(length=200), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_ssda903_finding_person_id_person"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["ssda903_run.id"], name=op.f("fk_ssda903_finding_run_id_ssda903_run"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ssda903_finding")),
    )
    with op.batch_alter_table("ssda903_finding", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ssda903_finding_person_id"), ["person_id"], unique=False)
        batch_op.create_index("ix_ssda903_finding_run_code", ["run_id", "code"], unique=False)

    op.create_table(
        "postcode_district",
        sa.Column("district", sa.String(length=4), nullable=False),
        sa.Column("easting", sa.Integer(), nullable=False),
        sa.Column("northing", sa.Integer(), nullable=False),
        sa.Column("la_code", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("district", name=op.f("pk_postcode_district")),
    )


def downgrade() -> None:
    op.drop_table("postcode_district")
    with op.batch_alter_table("ssda903_finding", schema=None) as batch_op:
        batch_op.drop_index("ix_ssda903_finding_run_code")
        batch_op.drop_index(batch_op.f("ix_ssda903_finding_person_id"))
    op.drop_table("ssda903_finding")
    with op.batch_alter_table("ssda903_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ssda903_run_year"))
    op.drop_table("ssda903_run")
