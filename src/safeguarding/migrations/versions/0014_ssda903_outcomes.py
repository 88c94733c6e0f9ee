"""ssda903 outcomes: the OC2 facts of a child looked after for 12 months (care_health_outcomes), the day a child
stopped being an unaccompanied asylum-seeking child (care_period.unaccompanied_until), why a child's social worker
changed (allocation.change_reason) and a social worker's Social Work England registration number
(app_user.registration_number), for the SSDA903 return's OC2, UASC and social worker episode tables

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07

Existing rows keep None in the new columns: nobody recorded why an earlier change of worker happened, so none is
marked as if someone had (the return gives OTHERS for it).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import safeguarding.core.db

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "care_health_outcomes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("sdq_score", sa.Integer(), nullable=True),
        sa.Column("sdq_reason", sa.String(length=4), nullable=True),
        sa.Column("convicted", sa.Boolean(), nullable=True),
        sa.Column("health_check", sa.Boolean(), nullable=True),
        sa.Column("immunisations", sa.Boolean(), nullable=True),
        sa.Column("teeth_check", sa.Boolean(), nullable=True),
        sa.Column("health_assessment", sa.Boolean(), nullable=True),
        sa.Column("substance_misuse", sa.Boolean(), nullable=True),
        sa.Column("intervention_received", sa.Boolean(), nullable=True),
        sa.Column("intervention_offered", sa.Boolean(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", safeguarding.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "sdq_score IS NULL OR (sdq_score >= 0 AND sdq_score <= 40)",
            name=op.f("ck_care_health_outcomes_sdq_score_0_to_40"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_care_health_outcomes_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["app_user.id"], name=op.f("fk_care_health_outcomes_recorded_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_health_outcomes")),
        sa.UniqueConstraint("person_id", "year", name="uq_care_health_outcomes_year"),
    )
    with op.batch_alter_table("care_health_outcomes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_care_health_outcomes_person_id"), ["person_id"], unique=False)
    # Plain ADD COLUMN (no batch copy: other tables refer to these rows).
    op.add_column("care_period", sa.Column("unaccompanied_until", sa.Date(), nullable=True))
    op.add_column("allocation", sa.Column("change_reason", sa.String(length=6), nullable=True))
    op.add_column("app_user", sa.Column("registration_number", sa.String(length=12), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_column("registration_number")
    with op.batch_alter_table("allocation", schema=None) as batch_op:
        batch_op.drop_column("change_reason")
    with op.batch_alter_table("care_period", schema=None) as batch_op:
        batch_op.drop_column("unaccompanied_until")
    with op.batch_alter_table("care_health_outcomes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_care_health_outcomes_person_id"))
    op.drop_table("care_health_outcomes")
