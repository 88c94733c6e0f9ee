"""The demo council's disabilities, as the CIN census codes them, and its DfE LA code (the local setting the census
header and rule 1530 read: the code its UPNs carry, demo.identifiers): a stage of ``demo.council.build_council``.

Every child born by the reference moment gets at least one code (rule 8540: a born child whose episode went on to
further action must have one; NONE where there is none), NONE never beside another code (8790), no code twice
(8794). About one child in eight has a disability (a demo choice near the DfE's published share of children in
need, not a published figure); learning, communication, autism and behaviour are the commonest, and
some children have two or three, so the return uses many codes (2887Q, 2888Q).
Deterministic from the seed, with its own random stream.
"""

from __future__ import annotations

import json
import random
from datetime import timedelta
from typing import Any

from sqlalchemy import Table, select

from safeguarding.core.local_settings import LocalSetting
from safeguarding.demo.identifiers import DEMO_LA_CODE
from safeguarding.people.models import Person, PersonKind
from safeguarding.returns.models import ChildDisability

TABLES: list[Table] = [ChildDisability.__table__, LocalSetting.__table__]  # type: ignore[list-item]

DISABLED_SHARE = 0.126
# Codes with their weights among disabled children (commonest first), DfE codes (core.codes.DISABILITIES).
WEIGHTED_CODES = (
    ("LD", 30),
    ("COMM", 22),
    ("AUT", 20),
    ("BEH", 18),
    ("MOB", 6),
    ("HAND", 3),
    ("PC", 4),
    ("INC", 3),
    ("HEAR", 4),
    ("VIS", 3),
    ("CON", 2),
    ("DDA", 5),
)


def codes_for(rng: random.Random) -> list[str]:
    """One child's codes: ["NONE"], or one to three distinct disability codes."""
    if rng.random() >= DISABLED_SHARE:
        return ["NONE"]
    wanted = rng.choices((1, 2, 3), weights=(70, 22, 8))[0]
    chosen: list[str] = []
    while len(chosen) < wanted:
        code = rng.choices([c for c, _ in WEIGHTED_CODES], weights=[w for _, w in WEIGHTED_CODES])[0]
        if code not in chosen:
            chosen.append(code)
    return sorted(chosen)


def build(builder: Any, writer: Any) -> dict[str, int]:
    """Record disabilities for every born child of the council (people are written before the stages run), and
    set the council's LA code."""
    writer.add(
        LocalSetting.__table__,
        {
            "key": "returns.la_code",
            "value_json": json.dumps(int(DEMO_LA_CODE)),
            "updated_at": builder.now,
            "updated_by_id": None,
        },
    )
    rng = random.Random(f"{builder.seed}:disabilities")
    today = builder.now.date()
    children = writer.connection.execute(
        select(Person.id, Person.date_of_birth).where(Person.kind == PersonKind.CHILD.value).order_by(Person.id)
    ).all()
    table = ChildDisability.__table__
    disabled = 0
    for person_id, born in children:
        if born is None or born > today:
            continue
        chosen = codes_for(rng)
        if chosen != ["NONE"]:
            disabled += 1
        recorded_on = max(born, today - timedelta(days=365))
        for code in chosen:
            writer.add(
                table, {"person_id": person_id, "code": code, "recorded_on": recorded_on, "created_at": builder.now}
            )
        writer.maybe_flush()
    return {"children_with_disability": disabled}
