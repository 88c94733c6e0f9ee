"""People from pairs: connected components over the proposed pairs, strongest first, with a guard. A cluster never
joins two records that the twins rule separates, nor two records with different valid NHS numbers (or UPNs), however
a chain of pairs would lead there: the join that would do so is skipped."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import Enum

from safeguarding.people.linkage.conditions import EditsWithin
from safeguarding.people.linkage.model import TYPING_SLIP_RARITY, Model, weight_for
from safeguarding.people.linkage.records import Prepared

Household = tuple[str, str, str]  # surname key, postcode, date of birth: where the twins rule can apply


def _household(record: Prepared) -> Household | None:
    if record.surname_key is None or record.postcode is None or record.dob is None:
        return None
    return (record.surname_key, record.postcode, record.dob)


_SLIP = EditsWithin("first_key", "first_ascii", 2)


class Support(Enum):
    """What stands behind a pair besides its weight."""

    CORROBORATED = "an identifier or the address agrees"  # ``Model.corroborating``
    ALONE = "a name and a date of birth, uncommon enough among the records"  # ``Model.alone_from``
    NAMESAKES = "a name and a date of birth, too common among the records to tell a namesake"


def _given(records: list[Prepared]) -> list[Prepared]:
    """One household's records in one cluster, less those whose first name is a typing slip of another's there (at
    most two letters out and ``TYPING_SLIP_RARITY`` times rarer): the cluster already holds the slip as that name, so
    two slips of one name (Floence, Florencr) are not taken for twins; the name they spoil still is."""
    if len(records) < 2:
        return records
    return [
        record
        for record in records
        if not any(
            record.first_count * TYPING_SLIP_RARITY <= other.first_count and _SLIP.holds(record, other)
            for other in records
        )
    ]


class Clusters:
    def __init__(self, records: Sequence[Prepared], model: Model) -> None:
        self.records = records
        self.model = model
        self.parent = list(range(len(records)))
        self.size = [1] * len(records)
        self.nhs: dict[int, str] = {r.rid: r.nhs_number for r in records if r.nhs_number}
        self.upn: dict[int, str] = {r.rid: r.upn for r in records if r.upn}
        self.households: dict[int, dict[Household, list[Prepared]]] = {}
        for record in records:
            key = _household(record)
            if key is not None:
                self.households[record.rid] = {key: [record]}

    def root(self, rid: int) -> int:
        parent = self.parent
        while parent[rid] != rid:
            parent[rid] = parent[parent[rid]]
            rid = parent[rid]
        return rid

    def _conflict(self, a: int, b: int) -> bool:
        for ids in (self.nhs, self.upn):
            if a in ids and b in ids and ids[a] != ids[b]:
                return True
        mine, theirs = self.households.get(a), self.households.get(b)
        if not mine or not theirs:
            return False
        if len(mine) > len(theirs):
            mine, theirs = theirs, mine
        twins = self.model.twins
        for key, records in mine.items():
            others = theirs.get(key)
            if not others:
                continue
            for other in _given(others):
                if any(twins.holds(record, other) for record in _given(records)):
                    return True
        return False

    def apart(self, roots: set[int]) -> bool:
        """Whether any two of these clusters are people the guard keeps apart."""
        ordered = sorted(roots)
        return any(self._conflict(a, b) for n, a in enumerate(ordered) for b in ordered[n + 1 :])

    def join(self, left: int, right: int) -> bool:
        """Join the two records' clusters unless that would put together two people the guard keeps apart."""
        a, b = self.root(left), self.root(right)
        if a == b:
            return True
        if self._conflict(a, b):
            return False
        if self.size[a] < self.size[b]:
            a, b = b, a
        self.parent[b] = a
        self.size[a] += self.size[b]
        for ids in (self.nhs, self.upn):
            if b in ids:
                ids[a] = ids.pop(b)
        theirs = self.households.pop(b, None)
        if theirs:
            mine = self.households.setdefault(a, {})
            for key, records in theirs.items():
                mine.setdefault(key, []).extend(records)
        return True

    def cluster_ids(self) -> list[str]:
        """Each record's cluster id: the smallest record id in its cluster (the same whichever engine found the
        pairs), by rid."""
        smallest: dict[int, str] = {}
        for record in self.records:
            root = self.root(record.rid)
            if root not in smallest or record.record_id < smallest[root]:
                smallest[root] = record.record_id
        return [smallest[self.root(record.rid)] for record in self.records]


def _same_details(record: Prepared) -> tuple[object, ...] | None:
    """Everything a comparison reads, for a record with a first name, surname and date of birth (fewer details do
    not make a person: two records that say only "Jo" are not one)."""
    if record.first_key is None or record.surname_key is None or record.dob is None:
        return None
    return (
        record.first_key,
        record.surname_key,
        record.dob,
        record.sex,
        record.postcode,
        record.nhs_number,
        record.upn,
    )


def cluster(records: Sequence[Prepared], pairs: Iterable[tuple[int, int, float, Support]], model: Model) -> list[str]:
    """Cluster ids by rid, from (rid, rid, weight, support) pairs.

    Records with the very same details are joined first (a record sent twice is one person whatever else it
    resembles); then the strong pairs (at or above the model's ``strong`` probability), strongest first (ties by
    rid); then the weaker ones, except for a record whose weaker pairs lead to two people the guard keeps apart
    (different NHS numbers, twins): a record that says too little to choose between them joins neither, and is left
    for a person to decide. A weaker pair that no identifier or address corroborates (``Model.corroborating``: a
    name and a date of birth alone) joins only a record that leads to one person alone, and only where the name is
    uncommon enough among the records to tell the person from a namesake (``Model.alone_from``). Pairs left out stay
    proposed, for review."""
    clusters = Clusters(records, model)
    first_seen: dict[tuple[object, ...], int] = {}
    for record in records:
        details = _same_details(record)
        if details is not None:
            clusters.join(first_seen.setdefault(details, record.rid), record.rid)
    strong = weight_for(model.strong)
    weak: list[tuple[int, int, Support]] = []
    for left, right, weight, support in sorted(pairs, key=lambda p: (-p[2], p[0], p[1])):
        if weight >= strong:
            clusters.join(left, right)
        else:
            weak.append((left, right, support))
    led_to: dict[int, set[int]] = {}
    for left, right, _support in weak:
        led_to.setdefault(left, set()).add(clusters.root(right))
        led_to.setdefault(right, set()).add(clusters.root(left))

    def others(rid: int) -> set[int]:
        return led_to[rid] - {clusters.root(rid)}

    # A record whose weaker pairs lead to two people kept apart joins neither; one whose pair says no more than a
    # name and a date of birth joins only where it leads to one person alone, by a name not too common to tell.
    apart = {rid for rid in led_to if clusters.apart(others(rid))}
    several = {rid for rid in led_to if len(others(rid)) > 1}
    for left, right, support in weak:
        if left in apart or right in apart:
            continue
        if support is not Support.CORROBORATED and (
            support is Support.NAMESAKES or left in several or right in several
        ):
            continue
        clusters.join(left, right)
    return clusters.cluster_ids()
