"""Linking a set of records: the proposed pairs (through an engine) and the people they make (clusters)."""

from __future__ import annotations

import importlib.util
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from safeguarding.people.linkage.clustering import Support, cluster
from safeguarding.people.linkage.engines import ENGINES, EngineUnavailable, Levels, compare
from safeguarding.people.linkage.model import DEFAULT_MODEL, DEFAULT_THRESHOLD, Model, weight_for
from safeguarding.people.linkage.records import PersonRecord, Prepared, prepare
from safeguarding.people.linkage.scoring import ScoredPair, scored


@dataclass(frozen=True)
class Linked:
    records: Sequence[Prepared]  # by rid
    pairs: list[tuple[int, int, Levels, float]]  # (rid, rid, levels, weight), strongest first
    cluster_ids: list[str]  # by rid
    # Pairs that a name and a date of birth alone support, with a name too common among the records to tell a
    # namesake: proposed, never joined by clustering.
    namesakes: frozenset[tuple[int, int]] = frozenset()

    def scored_pairs(self, model: Model = DEFAULT_MODEL) -> Iterable[ScoredPair]:
        for left, right, levels, _weight in self.pairs:
            pair = scored(self.records[left], self.records[right], levels, [], model)
            if (left, right) in self.namesakes:
                pair = replace(pair, evidence=[*pair.evidence, NAMESAKES_WORDING])
            yield pair


NAMESAKES_WORDING = (
    "Only the name and date of birth support this, and the name is common among these records: "
    "it could be a namesake, so it is left for a person to decide"
)


def check_engine(engine: str) -> None:
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}")
    if engine == "spark" and importlib.util.find_spec("pyspark") is None:
        raise EngineUnavailable(
            "The spark engine needs PySpark: install the package with its spark extra "
            "(pip install 'safeguarding[spark]') and Java 17"
        )


def prepare_all(records: Iterable[PersonRecord]) -> list[Prepared]:
    """The records' columns, with how often each first name and surname is seen among them (the twins rule tells a
    typing slip, rare, from a sibling's name, common, by it; clustering weighs a name by how common it is). Records
    are prepared as they come, so a million of them are never held twice over."""
    prepared: list[Prepared] = []
    counts: Counter[str | None] = Counter()
    surnames: Counter[str | None] = Counter()
    seen: set[str] = set()
    for rid, record in enumerate(records):
        if record.record_id in seen:
            raise ValueError(f"record id {record.record_id!r} is given twice")
        seen.add(record.record_id)
        row = prepare(record, rid)
        counts[row.first_key] += 1
        surnames[row.surname_key] += 1
        prepared.append(row)
    for row in prepared:
        # The counts are known only once every record is read; the record is not shared with anyone yet.
        if row.first_key is not None:
            object.__setattr__(row, "first_count", counts[row.first_key])
        if row.surname_key is not None:
            object.__setattr__(row, "surname_count", surnames[row.surname_key])
    return prepared


def link_prepared(
    prepared: Sequence[Prepared],
    threshold: float = DEFAULT_THRESHOLD,
    engine: str = "embedded",
    model: Model = DEFAULT_MODEL,
) -> Linked:
    if not 0 < threshold < 1:
        raise ValueError("the threshold is a probability between 0 and 1")
    check_engine(engine)
    minimum = weight_for(threshold)
    pairs = []
    for left, right, levels in compare(prepared, model, minimum, engine):
        weight = model.weight_of(levels)
        if weight >= minimum:
            pairs.append((left, right, levels, weight))
    pairs.sort(key=lambda p: (-p[3], p[0], p[1]))
    alone = weight_for(model.alone_from)

    def support(left: int, right: int, levels: Levels) -> Support:
        if model.corroborated(levels):
            return Support.CORROBORATED
        if model.frequency_weight(prepared[left], prepared[right], levels, len(prepared)) >= alone:
            return Support.ALONE
        return Support.NAMESAKES

    joins = [(left, right, weight, support(left, right, levels)) for left, right, levels, weight in pairs]
    namesakes = frozenset((left, right) for left, right, _weight, kind in joins if kind is Support.NAMESAKES)
    return Linked(prepared, pairs, cluster(prepared, joins, model), namesakes)


def link(
    records: Iterable[PersonRecord],
    threshold: float = DEFAULT_THRESHOLD,
    engine: str = "embedded",
    model: Model = DEFAULT_MODEL,
) -> Linked:
    return link_prepared(prepare_all(records), threshold, engine, model)


def find_pairs(
    records: Iterable[PersonRecord],
    threshold: float = DEFAULT_THRESHOLD,
    engine: str = "embedded",
    model: Model = DEFAULT_MODEL,
) -> list[ScoredPair]:
    """Every pair of records the model proposes (probability at or above ``threshold``, not held back by the twins
    rule or different identifiers), most likely first, with the evidence in words."""
    return list(link(records, threshold, engine, model).scored_pairs(model))


def clusters(
    records: Iterable[PersonRecord],
    threshold: float = DEFAULT_THRESHOLD,
    engine: str = "embedded",
    model: Model = DEFAULT_MODEL,
) -> dict[str, str]:
    """record id -> cluster id (the smallest record id of the person's records), for every record."""
    linked = link(records, threshold, engine, model)
    return {record.record_id: cluster_id for record, cluster_id in zip(linked.records, linked.cluster_ids, strict=True)}
