"""Scoring one pair in Python, with the evidence in words: for a review screen, the search, and the pairs the
engines found (which they return as levels; the words are put to them here)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields, is_dataclass
from operator import attrgetter

from safeguarding.people.linkage.model import DEFAULT_MODEL, Model, probability
from safeguarding.people.linkage.records import COLUMNS, PersonRecord, Prepared, prepare


@dataclass(frozen=True)
class Contribution:
    comparison: str  # the comparison's name ("first_name")
    level: str  # the level's code ("short_form")
    weight: float
    wording: str


@dataclass(frozen=True)
class ScoredPair:
    """Two records scored by the model: the match weight (log2 odds), the probability, and the evidence in words,
    most telling first. ``held_back`` is set where a rule keeps the pair from being proposed (twins, different NHS
    numbers): the evidence then starts with why."""

    left_id: str
    right_id: str
    match_weight: float
    probability: float
    evidence: list[str]
    contributions: tuple[Contribution, ...] = ()
    held_back: bool = False
    levels: tuple[int | None, ...] = field(default=(), repr=False)


def _shown(value: object) -> str:
    return str(value).title() if isinstance(value, str) else str(value)


def contributions_of(
    left: Prepared, right: Prepared, levels: tuple[int | None, ...], model: Model = DEFAULT_MODEL
) -> tuple[Contribution, ...]:
    found = []
    for comparison, index in zip(model.comparisons, levels, strict=True):
        if index is None:
            continue
        level = comparison.levels[index]
        wording = level.wording.format(
            left=_shown(getattr(left, comparison.column)), right=_shown(getattr(right, comparison.column))
        )
        found.append(Contribution(comparison.name, level.code, level.weight, wording[:1].upper() + wording[1:]))
    return tuple(found)


def levels_of(left: Prepared, right: Prepared, model: Model = DEFAULT_MODEL) -> tuple[int | None, ...]:
    return tuple(c.level_of(left, right) for c in model.comparisons)


def _columns_read(node: object) -> set[str]:
    """The prepared columns a condition (or a comparison's conditions) names: conditions read a record only through
    the columns their fields name."""
    if isinstance(node, str):
        return {node} if node in COLUMNS else set()
    if isinstance(node, tuple | list):
        return set().union(*(_columns_read(item) for item in node))
    if is_dataclass(node) and not isinstance(node, type):
        return set().union(*(_columns_read(getattr(node, f.name)) for f in fields(node)))
    return set()


class LevelsAgainst:
    """The levels of many records against one (a search against its candidates), each comparison's level worked
    out once for each distinct value of the columns it reads: the candidates a search gathers share surnames, first
    names and dates of birth, so most comparisons are a dictionary look-up. Gives what :func:`levels_of` gives."""

    def __init__(self, left: Prepared, model: Model = DEFAULT_MODEL) -> None:
        self.left = left
        self.model = model
        self._keys = [
            attrgetter(*sorted(_columns_read((c.missing, *(level.condition for level in c.levels)))))
            for c in model.comparisons
        ]
        self._known: list[dict[object, int | None]] = [{} for _ in model.comparisons]

    def of(self, right: Prepared) -> tuple[int | None, ...]:
        levels: list[int | None] = []
        for comparison, key_of, known in zip(self.model.comparisons, self._keys, self._known, strict=True):
            key = key_of(right)
            if key in known:
                levels.append(known[key])
            else:
                level = known[key] = comparison.level_of(self.left, right)
                levels.append(level)
        return tuple(levels)


def agrees_throughout(levels: tuple[int | None, ...], needed: str, model: Model = DEFAULT_MODEL) -> bool:
    """Whether the comparison named ``needed`` is made and every comparison made adds weight (none disagrees)."""
    made = False
    for comparison, index in zip(model.comparisons, levels, strict=True):
        if index is None:
            continue
        made = made or comparison.name == needed
        if comparison.levels[index].weight <= 0:
            return False
    return made


def scored(
    left: Prepared,
    right: Prepared,
    levels: tuple[int | None, ...],
    held_back: list[str],
    model: Model = DEFAULT_MODEL,
) -> ScoredPair:
    weight = model.weight_of(levels)
    parts = contributions_of(left, right, levels, model)
    # Most telling first: the largest contributions either way lead the explanation. Names swapped are one fact
    # that both name comparisons see: said once.
    evidence = list(dict.fromkeys(c.wording for c in sorted(parts, key=lambda c: -abs(c.weight))))
    evidence[:0] = held_back
    return ScoredPair(
        left_id=left.record_id,
        right_id=right.record_id,
        match_weight=weight,
        probability=probability(weight),
        evidence=evidence,
        contributions=parts,
        held_back=bool(held_back),
        levels=levels,
    )


def score_prepared(left: Prepared, right: Prepared, model: Model = DEFAULT_MODEL) -> ScoredPair:
    return scored(left, right, levels_of(left, right, model), model.holds_back(left, right), model)


def explain(left: PersonRecord, right: PersonRecord, model: Model = DEFAULT_MODEL) -> ScoredPair:
    """One pair scored, with each field's contribution in words (for a review screen)."""
    return score_prepared(prepare(left, 0), prepare(right, 1), model)


def best_matches(
    record: PersonRecord,
    candidates: Iterable[PersonRecord],
    limit: int = 5,
    model: Model = DEFAULT_MODEL,
) -> list[ScoredPair]:
    """The candidates most likely to be this record's person, most likely first (ties by id), at most ``limit``.
    Candidates held back (a twin or sibling of the record, a different NHS number) are left out: they are someone
    else. No
    threshold is applied: compare ``probability`` with the model's ``threshold`` and ``uncertain_from``."""
    mine = prepare(record, 0)
    found = [score_prepared(mine, prepare(candidate, 1), model) for candidate in candidates]
    found = [pair for pair in found if not pair.held_back]
    found.sort(key=lambda pair: (-pair.match_weight, pair.right_id))
    return found[:limit]
