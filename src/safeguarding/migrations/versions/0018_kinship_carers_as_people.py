"""kinship carers as people: kinship_arrangement.carer_person_id names the carer in the person index; existing
arrangements are linked where their carer's name names exactly one person

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 17:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The carer among the people the child is related to in the index, else among every adult; exactly one, or none
# (the arrangement keeps its name and the page asks for the carer to be chosen).
RELATED = sa.text(
    "SELECT DISTINCT p.id FROM person p JOIN family_relationship r"
    " ON (r.from_person_id = p.id AND r.to_person_id = :child)"
    " OR (r.to_person_id = p.id AND r.from_person_id = :child)"
    " WHERE p.id <> :child AND lower(p.first_name || ' ' || p.last_name) = :name"
)
ADULTS = sa.text(
    "SELECT id FROM person WHERE kind = 'adult' AND lower(first_name || ' ' || last_name) = :name AND id <> :child"
)


def upgrade() -> None:
    with op.batch_alter_table("kinship_arrangement", schema=None) as batch_op:
        batch_op.add_column(sa.Column("carer_person_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_kinship_arrangement_carer_person_id"), ["carer_person_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_kinship_arrangement_carer_person_id_person"), "person", ["carer_person_id"], ["id"]
        )
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, person_id, carer_name FROM kinship_arrangement")).all()
    for arrangement_id, child_id, carer_name in rows:
        name = " ".join(str(carer_name).split()).lower()
        if not name:
            continue
        for query in (RELATED, ADULTS):
            found = [r[0] for r in conn.execute(query, {"child": child_id, "name": name})]
            if len(found) == 1:
                conn.execute(
                    sa.text("UPDATE kinship_arrangement SET carer_person_id = :carer WHERE id = :id"),
                    {"carer": found[0], "id": arrangement_id},
                )
                break
            if found:
                break  # more than one of that name: left for a worker to choose


def downgrade() -> None:
    with op.batch_alter_table("kinship_arrangement", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_kinship_arrangement_carer_person_id_person"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_kinship_arrangement_carer_person_id"))
        batch_op.drop_column("carer_person_id")
