"""The person index's upkeep in the authorization matrix (see tests/test_authorization_matrix.py): the queue of
possible duplicates, a pair, "not the same person", merging, merges and unmerging are the data quality officer's
alone (``Kind.DUPLICATE_PAIR``, ``Kind.PERSON_MERGE``); nobody else reaches them, partners least of all."""

from __future__ import annotations

from datetime import date
from typing import Any

from safeguarding.core.users import Role
from safeguarding.people.duplicates import merging
from safeguarding.people.duplicates.models import DuplicatePair
from safeguarding.people.models import Person, PersonKind
from tests.matrix import Policy, Route, roles
from tests.support import Factory, World

R = Role
OFFICER = roles(R.DATA_QUALITY_OFFICER)
CONFIRMED = {"reason": "Synthetic: the matrix says these are one person", "confirm": "yes"}

# Where the two records differ, the survivor's value is kept (a choice every merge must make).
KEEP = {name: merging.SURVIVOR for name, _label in merging.CHOOSABLE}

EXPECTED: dict[Route, Policy] = {
    ("GET", "/duplicates"): OFFICER,
    ("POST", "/duplicates/check"): OFFICER,
    ("GET", "/duplicates/{pair_id}"): OFFICER,
    ("POST", "/duplicates/{pair_id}/not-same-person"): OFFICER,
    ("GET", "/duplicates/{pair_id}/merge"): OFFICER,
    ("POST", "/duplicates/{pair_id}/merge"): OFFICER,
    ("GET", "/merges"): OFFICER,
    ("GET", "/merges/{merge_id}"): OFFICER,
    ("GET", "/merges/{merge_id}/unmerge"): OFFICER,
    ("POST", "/merges/{merge_id}/unmerge"): OFFICER,
}
FORMS: dict[Route, dict[str, str]] = {
    ("POST", "/duplicates/{pair_id}/not-same-person"): {"reason": "Synthetic: twins with different first names"},
    ("POST", "/duplicates/{pair_id}/merge"): CONFIRMED | {f"choice.{name}": "survivor" for name in KEEP},
    ("POST", "/merges/{merge_id}/unmerge"): CONFIRMED,
}
JSON_BODIES: dict[Route, dict[str, Any]] = {}
QUERIES: dict[Route, dict[str, str]] = {}


def _person(first: str, last: str) -> Person:
    return Person(kind=PersonKind.CHILD, first_name=first, last_name=last, date_of_birth=date(2016, 2, 3))


def extend_world(factory: Factory, world: World) -> dict[str, int]:
    """The world's child proposed as the duplicate of another record, and a third record merged into the child by
    the world's officer (the child lives on as the survivor, so every other route still finds her)."""
    officer = world.users[R.DATA_QUALITY_OFFICER.value]
    with factory.database.transaction() as s:
        proposed, merged = _person("Amelia", "Testchlid"), _person("Amelia", "Testchild-Merged")
        s.add_all([proposed, merged])
        s.flush()
        pair = DuplicatePair(
            left_id=world.child.id,
            right_id=proposed.id,
            match_weight=9.5,
            probability=0.998,
            evidence="Surname: one letter different",
        )
        s.add(pair)
        s.flush()
        user = s.merge(officer)
        found = merging.merge(s, factory.database, user, world.child.id, merged.id, KEEP, "Synthetic: one child")
        return {"pair_id": pair.id, "merge_id": found.id}
