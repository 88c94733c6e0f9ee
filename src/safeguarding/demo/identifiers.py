"""Synthetic identifiers for the demo council: NHS numbers in the 999 test range and UPNs with their check letter.

Check digits and letters come from ``people.rules`` (NHS modulus 11; CIN census rule 1510), so every number the
demo writes passes the same validation a worker's typing does. Serials are walked in a seeded order that visits
each number once, so numbers never repeat within a council.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator

from safeguarding.people import rules as people_rules

# The 999 prefix: NHS test numbers, never issued to a patient.
NHS_TEST_PREFIX = "999"
# UPN characters 2-4 are the LA's DfE code (rule 1530: it must be one of core.codes.UPN_LA_CODES). The demo
# council is fictional but its census must pass the DfE's rules, so it borrows a code from the list; the serials
# are synthetic, and the NHS numbers beside them are in the 999 test range. The census export names the same code
# in its header (DEMO_LA_CODE is the demo council's LEA).
DEMO_LA_CODE = "938"


def seeded_walk(rng: random.Random, modulus: int) -> Iterator[int]:
    """Every number 0..modulus-1 once, in a seeded order (an affine permutation: i -> offset + i * step)."""
    step = rng.randrange(1, modulus) if modulus > 1 else 1
    while math.gcd(step, modulus) != 1:
        step += 1
    offset = rng.randrange(modulus)
    return ((offset + i * step) % modulus for i in range(modulus))


class IdentifierSource:
    def __init__(self, rng: random.Random) -> None:
        self._nhs = seeded_walk(rng, 1_000_000)
        self._upn = seeded_walk(rng, 1_000_000)

    def nhs_number(self) -> str:
        """The next unused valid NHS number 999 nnn nnn c (about 9 in 10 serials have a valid check digit)."""
        for serial in self._nhs:
            first_nine = f"{NHS_TEST_PREFIX}{serial:06d}"
            check = people_rules.nhs_check_digit(first_nine)
            if check is not None:
                return f"{first_nine}{check}"
        raise RuntimeError("ran out of synthetic NHS numbers")

    def upn(self, year_allocated: int) -> str:
        """A UPN: check letter, LA code, two-digit year of allocation, six-digit serial, final digit."""
        serial = next(self._upn)
        body = f"{DEMO_LA_CODE}{year_allocated % 100:02d}{serial:06d}{serial % 10}"
        return people_rules.upn_check_letter(body) + body
