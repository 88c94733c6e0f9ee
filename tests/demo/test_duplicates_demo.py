"""The demo council's duplicates (issue 17): the data quality officer's queue has work (each planted slip proposed)
and the planted twins are not in it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from safeguarding.core.db import Database
from safeguarding.demo.summary import CouncilSummary
from safeguarding.people.duplicates.demo import TWINS
from safeguarding.people.duplicates.models import DuplicatePair
from safeguarding.people.models import Person

pytestmark = pytest.mark.xdist_group("demo")


def test_the_planted_duplicates_are_proposed_and_the_twins_are_not(
    council: CouncilSummary, migrated_database: Database
) -> None:
    (twin_one, twin_two), surname = TWINS
    with migrated_database.transaction() as s:
        pairs = {(p.left_id, p.right_id) for p in s.scalars(select(DuplicatePair))}
        planted = list(s.scalars(select(Person.id).where(Person.upn_unknown == "UN4", Person.last_name != surname)))
        twins = sorted(
            s.scalars(select(Person.id).where(Person.last_name == surname, Person.first_name.in_([twin_one, twin_two])))
        )
    assert len(planted) >= 3 or council.counts["person"] < 100
    proposed = {i for pair in pairs for i in pair}
    missing = [p for p in planted if p not in proposed]
    assert not missing, f"planted duplicates not proposed: {missing}"
    assert len(twins) == 2 and tuple(twins) not in pairs
