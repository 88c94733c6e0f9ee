"""routed contacts: when routed, acknowledge-by day, and the worker's recorded response

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import safeguarding.core.db

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('routed_at', safeguarding.core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('acknowledge_by', sa.Date(), nullable=True))
    with op.batch_alter_table('contact_note', schema=None) as batch_op:
        batch_op.add_column(sa.Column('response', sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('contact_note', schema=None) as batch_op:
        batch_op.drop_column('response')
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_column('acknowledge_by')
        batch_op.drop_column('routed_at')
