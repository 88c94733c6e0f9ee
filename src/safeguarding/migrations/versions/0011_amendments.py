"""amendments: a threshold decision in effect changes only by an amendment with a reason (its version counter, an
amendment awaiting a manager's agreement); a child in need plan is authorised or returned by a team manager; a
worker asks their team manager to close an episode (closure_request)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07

Existing plans are left unauthorised: nobody authorised them, so none is marked as if someone had.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import safeguarding.core.db

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _add_user_column(table: str, column: str) -> None:
    """A nullable column naming a user (who signed off, authorised, returned). SQLite adds a column with its
    reference to ``app_user`` in place (``ALTER TABLE ... ADD COLUMN ... REFERENCES``): batch mode would copy the
    table instead, and dropping the original fails while other rows refer to it (referrals to their decision,
    reviews to their plan). Elsewhere the column and its named constraint are added."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} ADD COLUMN {column} INTEGER REFERENCES app_user (id)")
        return
    op.add_column(
        table,
        sa.Column(
            column, sa.Integer(), sa.ForeignKey("app_user.id", name=f"fk_{table}_{column}_app_user"), nullable=True
        ),
    )


def upgrade() -> None:
    with op.batch_alter_table("contact_decision", schema=None) as batch_op:
        batch_op.add_column(sa.Column("amendment_awaiting_sign_off", sa.Boolean(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("amendment_signed_off_at", safeguarding.core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
        batch_op.create_index(
            "ix_contact_decision_amendment_awaiting",
            ["decided_at"],
            unique=False,
            sqlite_where=sa.text("amendment_awaiting_sign_off = 1"),
            postgresql_where=sa.text("amendment_awaiting_sign_off"),
        )
    _add_user_column("contact_decision", "amendment_signed_off_by_id")
    with op.batch_alter_table("child_in_need_plan", schema=None) as batch_op:
        batch_op.add_column(sa.Column("authorised_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("returned_note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("returned_at", safeguarding.core.db.UTCDateTime(timezone=True), nullable=True))
    _add_user_column("child_in_need_plan", "authorised_by_id")
    _add_user_column("child_in_need_plan", "returned_by_id")
    op.create_table(
        "closure_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=3), nullable=False),
        sa.Column("note", sa.String(length=4000), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", safeguarding.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("return_note", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", safeguarding.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["answered_by_id"], ["app_user.id"], name=op.f("fk_closure_request_answered_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_closure_request_person_id_person")),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referral.id"], name=op.f("fk_closure_request_referral_id_referral")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["app_user.id"], name=op.f("fk_closure_request_requested_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_closure_request")),
    )
    with op.batch_alter_table("closure_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_closure_request_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_closure_request_referral_id"), ["referral_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("closure_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_closure_request_referral_id"))
        batch_op.drop_index(batch_op.f("ix_closure_request_person_id"))
    op.drop_table("closure_request")
    # SQLite's references were added unnamed, in place (_add_user_column): batch mode drops them with their columns.
    named = op.get_bind().dialect.name != "sqlite"
    with op.batch_alter_table("child_in_need_plan", schema=None) as batch_op:
        if named:
            batch_op.drop_constraint("fk_child_in_need_plan_returned_by_id_app_user", type_="foreignkey")
            batch_op.drop_constraint("fk_child_in_need_plan_authorised_by_id_app_user", type_="foreignkey")
        batch_op.drop_column("returned_at")
        batch_op.drop_column("returned_by_id")
        batch_op.drop_column("returned_note")
        batch_op.drop_column("authorised_by_id")
        batch_op.drop_column("authorised_on")
    with op.batch_alter_table("contact_decision", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_decision_amendment_awaiting")
        if named:
            batch_op.drop_constraint("fk_contact_decision_amendment_signed_off_by_id_app_user", type_="foreignkey")
        batch_op.drop_column("version")
        batch_op.drop_column("amendment_signed_off_at")
        batch_op.drop_column("amendment_signed_off_by_id")
        batch_op.drop_column("amendment_awaiting_sign_off")
