"""safety first: a rationale for lowering a screening band; what a threshold decision needs (primary need, the reason
to go on with partner checks unanswered)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('exploitation_screening', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lowering_rationale', sa.Text(), nullable=True))
    with op.batch_alter_table('contact_decision', schema=None) as batch_op:
        batch_op.add_column(sa.Column('primary_need', sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column('open_checks_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('sign_off_open_checks_reason', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('contact_decision', schema=None) as batch_op:
        batch_op.drop_column('sign_off_open_checks_reason')
        batch_op.drop_column('open_checks_reason')
        batch_op.drop_column('primary_need')
    with op.batch_alter_table('exploitation_screening', schema=None) as batch_op:
        batch_op.drop_column('lowering_rationale')
