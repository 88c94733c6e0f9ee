"""search before create reads the people of a name nearest in date of birth: the name and sound indexes of person
end with the date of birth (ix_person_names_birth, ix_person_sound_birth replace ix_person_search_names and
ix_person_sound, which they serve as well)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-08 00:40:00.000000
"""

from collections.abc import Sequence

from alembic import op


revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.create_index(
            "ix_person_names_birth", ["last_name_key", "first_name_key", "date_of_birth"], unique=False
        )
        batch_op.create_index(
            "ix_person_sound_birth", ["last_name_sound", "first_name_sound", "date_of_birth"], unique=False
        )
        batch_op.drop_index("ix_person_search_names")
        batch_op.drop_index("ix_person_sound")


def downgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.create_index("ix_person_sound", ["last_name_sound", "first_name_sound"], unique=False)
        batch_op.create_index("ix_person_search_names", ["last_name_key", "first_name_key"], unique=False)
        batch_op.drop_index("ix_person_sound_birth")
        batch_op.drop_index("ix_person_names_birth")
