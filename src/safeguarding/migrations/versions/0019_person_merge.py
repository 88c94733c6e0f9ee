"""person merge: proposed duplicate pairs (duplicate_pair), merges with both records' snapshots (person_merge) and
every row a merge touched (person_merge_row); a merged-away record's mark (person.merged_into_id)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 17:55:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import safeguarding.core.db


revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # SQLite adds the column with its reference in place: batch mode would copy the person table, and dropping the
    # original fails while other rows refer to it (as in 0011).
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE person ADD COLUMN merged_into_id INTEGER REFERENCES person (id)")
    else:
        op.add_column(
            "person",
            sa.Column(
                "merged_into_id",
                sa.Integer(),
                sa.ForeignKey("person.id", name="fk_person_merged_into_id_person"),
                nullable=True,
            ),
        )
    op.create_index(op.f("ix_person_merged_into_id"), "person", ["merged_into_id"], unique=False)
    op.create_table(
        "duplicate_pair",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("left_id", sa.Integer(), nullable=False),
        sa.Column("right_id", sa.Integer(), nullable=False),
        sa.Column("match_weight", sa.Float(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("proposed_at", safeguarding.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", safeguarding.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("left_id < right_id", name=op.f("ck_duplicate_pair_ordered")),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["app_user.id"], name=op.f("fk_duplicate_pair_decided_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(["left_id"], ["person.id"], name=op.f("fk_duplicate_pair_left_id_person")),
        sa.ForeignKeyConstraint(["right_id"], ["person.id"], name=op.f("fk_duplicate_pair_right_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_pair")),
        sa.UniqueConstraint("left_id", "right_id", name="uq_duplicate_pair_people"),
    )
    op.create_index(
        "ix_duplicate_pair_status_probability", "duplicate_pair", ["status", "probability"], unique=False
    )
    op.create_index(op.f("ix_duplicate_pair_right_id"), "duplicate_pair", ["right_id"], unique=False)
    op.create_table(
        "person_merge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survivor_id", sa.Integer(), nullable=False),
        sa.Column("merged_id", sa.Integer(), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("merged_at", safeguarding.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("merged_by_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("choices", sa.Text(), nullable=False),
        sa.Column("survivor_snapshot", sa.Text(), nullable=False),
        sa.Column("merged_snapshot", sa.Text(), nullable=False),
        sa.Column("result_snapshot", sa.Text(), nullable=True),
        sa.Column("unmerged_at", safeguarding.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("unmerged_by_id", sa.Integer(), nullable=True),
        sa.Column("unmerge_reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["merged_by_id"], ["app_user.id"], name=op.f("fk_person_merge_merged_by_id_app_user")),
        sa.ForeignKeyConstraint(["merged_id"], ["person.id"], name=op.f("fk_person_merge_merged_id_person")),
        sa.ForeignKeyConstraint(["pair_id"], ["duplicate_pair.id"], name=op.f("fk_person_merge_pair_id_duplicate_pair")),
        sa.ForeignKeyConstraint(["survivor_id"], ["person.id"], name=op.f("fk_person_merge_survivor_id_person")),
        sa.ForeignKeyConstraint(
            ["unmerged_by_id"], ["app_user.id"], name=op.f("fk_person_merge_unmerged_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_merge")),
    )
    op.create_index(op.f("ix_person_merge_merged_id"), "person_merge", ["merged_id"], unique=False)
    op.create_index(op.f("ix_person_merge_survivor_id"), "person_merge", ["survivor_id"], unique=False)
    op.create_table(
        "person_merge_row",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("merge_id", sa.Integer(), nullable=False),
        sa.Column("table_name", sa.String(length=80), nullable=False),
        sa.Column("row_key", sa.String(length=200), nullable=False),
        sa.Column("column_name", sa.String(length=80), nullable=False),
        sa.Column("fate", sa.String(length=10), nullable=False),
        sa.Column("from_person_id", sa.Integer(), nullable=True),
        sa.Column("row_data", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["merge_id"], ["person_merge.id"], name=op.f("fk_person_merge_row_merge_id_person_merge"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_merge_row")),
    )
    op.create_index(
        "ix_person_merge_row_merge_table", "person_merge_row", ["merge_id", "table_name"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_person_merge_row_merge_table", table_name="person_merge_row")
    op.drop_table("person_merge_row")
    op.drop_index(op.f("ix_person_merge_survivor_id"), table_name="person_merge")
    op.drop_index(op.f("ix_person_merge_merged_id"), table_name="person_merge")
    op.drop_table("person_merge")
    op.drop_index(op.f("ix_duplicate_pair_right_id"), table_name="duplicate_pair")
    op.drop_index("ix_duplicate_pair_status_probability", table_name="duplicate_pair")
    op.drop_table("duplicate_pair")
    op.drop_index(op.f("ix_person_merged_into_id"), table_name="person")
    # SQLite's reference was added unnamed, in place: batch mode drops it with its column.
    with op.batch_alter_table("person", schema=None) as batch_op:
        if op.get_bind().dialect.name != "sqlite":
            batch_op.drop_constraint("fk_person_merged_into_id_person", type_="foreignkey")
        batch_op.drop_column("merged_into_id")
