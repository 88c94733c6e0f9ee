"""An index of the MASH decisions awaiting sign-off, the oldest first (a manager's queue reads them on every view)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contact_decision", schema=None) as batch_op:
        batch_op.create_index(
            "ix_contact_decision_awaiting_sign_off",
            ["decided_at"],
            unique=False,
            sqlite_where=sa.text("status = 'awaiting_sign_off'"),
            postgresql_where=sa.text("status = 'awaiting_sign_off'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("contact_decision", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_decision_awaiting_sign_off")
