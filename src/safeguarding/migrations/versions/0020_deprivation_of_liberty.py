"""deprivation of liberty orders of a child in care (deprivation_of_liberty): the SSDA903 DoLo table from 2026-27

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 21:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import safeguarding.core.db


revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deprivation_of_liberty",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", safeguarding.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "ended_on IS NULL OR ended_on >= started_on", name=op.f("ck_deprivation_of_liberty_ends_after_start")
        ),
        sa.ForeignKeyConstraint(
            ["period_id"], ["care_period.id"], name=op.f("fk_deprivation_of_liberty_period_id_care_period")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_deprivation_of_liberty_person_id_person")),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["app_user.id"], name=op.f("fk_deprivation_of_liberty_recorded_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deprivation_of_liberty")),
    )
    with op.batch_alter_table("deprivation_of_liberty", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deprivation_of_liberty_period_id"), ["period_id"], unique=False)
        batch_op.create_index("ix_deprivation_of_liberty_person", ["person_id", "started_on"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("deprivation_of_liberty", schema=None) as batch_op:
        batch_op.drop_index("ix_deprivation_of_liberty_person")
        batch_op.drop_index(batch_op.f("ix_deprivation_of_liberty_period_id"))
    op.drop_table("deprivation_of_liberty")
