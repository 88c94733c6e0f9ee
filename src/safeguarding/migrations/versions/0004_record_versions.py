"""locking: record_version keeps a signed-off record's content before each amendment

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07

Every edited table already carries its version counter (``version``, SQLAlchemy's ``version_id_col``, 1 on every
existing row since 0001), so no data migration is needed for the second-editor check; existing records have no
amendments, so the new table starts empty.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import safeguarding.core.db

revision: str = "0004"
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('record_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_type', sa.String(length=40), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('amended_by_id', sa.Integer(), nullable=False),
    sa.Column('amended_at', safeguarding.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['amended_by_id'], ['app_user.id'], name=op.f('fk_record_version_amended_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_version'))
    )
    with op.batch_alter_table('record_version', schema=None) as batch_op:
        batch_op.create_index('ix_record_version_record', ['record_type', 'record_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('record_version', schema=None) as batch_op:
        batch_op.drop_index('ix_record_version_record')
    op.drop_table('record_version')
