"""CIN census findings of a mid-year run that are not wrong yet: they become errors or queries at the census date

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('cin_census_finding', schema=None) as batch_op:
        batch_op.add_column(sa.Column('by_census_date', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('cin_census_finding', schema=None) as batch_op:
        batch_op.drop_column('by_census_date')
