"""Synthetic identifiers: valid, in the test ranges, never repeated (property tests over seeds)."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from safeguarding.demo.identifiers import DEMO_LA_CODE, IdentifierSource, seeded_walk
from safeguarding.people import rules as people_rules


@settings(deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32), modulus=st.integers(min_value=1, max_value=5_000))
def test_seeded_walk_visits_every_number_once(seed: int, modulus: int) -> None:
    assert sorted(seeded_walk(random.Random(seed), modulus)) == list(range(modulus))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32))
def test_nhs_numbers_are_valid_unique_and_in_the_test_range(seed: int) -> None:
    source = IdentifierSource(random.Random(seed))
    numbers = [source.nhs_number() for _ in range(500)]
    assert len(set(numbers)) == len(numbers)
    for number in numbers:
        assert len(number) == 10 and number.startswith("999")
        assert people_rules.is_valid_nhs_number(number)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32), year=st.integers(min_value=2005, max_value=2030))
def test_upns_are_valid_unique_and_carry_the_demo_la_code(seed: int, year: int) -> None:
    source = IdentifierSource(random.Random(seed))
    upns = [source.upn(year) for _ in range(300)]
    assert len(set(upns)) == len(upns)
    for upn in upns:
        assert people_rules.upn_problem(upn) is None
        assert upn[1:4] == DEMO_LA_CODE and upn[4:6] == f"{year % 100:02d}"
