"""The linkage model, held as data: Fellegi-Sunter comparisons, each with levels that have an m probability (how
often the level is seen when the two records are the same person) and a u probability (how often when they are
not), a prior, and the threshold at which a pair is proposed.

Source: Fellegi and Sunter, "A theory for record linkage" (JASA, 1969), in the form Splink (UK Ministry of Justice)
uses: a level's match weight is log2(m / u); a pair's match weight is the prior's log-odds plus the weights of its
levels; its probability is 2^w / (1 + 2^w). A missing value adds nothing.

The m and u probabilities are FIXED, not trained by EM, and set by hand from the rates of each kind of difference in
multi-agency records (u from how often two different people agree by chance: first names about 1 in 120, surnames 1
in 250, a date of birth 1 in 25,000, a postcode 1 in 10,000; m from how often one person's records differ: a
surname changes in about 3 in 100, a postcode in 1 in 7, a date of birth is mistyped in 1 in 10). Why fixed:
- the same pair gets the same score in a partner's file, the nightly duplicate check and the search, so a worker's
  explanation does not change with whichever file it was trained on;
- a partner's file of a few hundred rows is too small for EM to estimate anything; and EM on a large file happily
  learns that "same name and date of birth" is a match, which is how namesakes and twins get merged;
- the engines then need no training step, so the embedded and the distributed engine agree exactly.
The parameters are checked against the synthetic ground truth in ``bench/linkage.py`` (F1, twins and namesakes).

Safeguarding choices written into the parameters: a name and a date of birth alone, with a different postcode and no
agreeing identifier, stay below the threshold (namesakes exist; a wrong merge is worse than a missed one); the
twins rule (``TWINS``) holds back any pair with the same surname, postcode and date of birth but a different first
name unless an identifier agrees (a typing slip, rare in the file, is not a different name); and two different valid
NHS numbers or UPNs hold a pair back whatever else agrees (``HELD_BACK``). Clustering keeps the same rules across
chains of pairs (``clustering``). Term frequency (Splink's adjustment: a common name agreeing is weaker evidence
than a rare one) is not in the scores, which stay the same in every file, but in clustering: a pair that nothing but
a name and a date of birth support joins two records only where it is still likely with its names weighed by how
common they are among the records (``alone_from``, ``frequency_weight``); it is proposed either way, for a person to
decide. That keeps namesakes apart (the bench: namesakes merged).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from safeguarding.people.linkage.conditions import (
    All,
    AnyOf,
    Condition,
    Crossed,
    EditsWithin,
    EitherOf,
    Missing,
    MuchRarer,
    Not,
    Same,
)


@dataclass(frozen=True)
class Level:
    """One level of a comparison. ``wording`` is what a worker reads; it may name the two values as {left} and
    {right} (the records' values, title-cased)."""

    code: str
    wording: str
    condition: Condition | None  # None: the last level, "anything else"
    m: float
    u: float

    @property
    def weight(self) -> float:
        return math.log2(self.m / self.u)


@dataclass(frozen=True)
class Comparison:
    name: str  # also the column name of its level in PAIRS.csv
    column: str  # the prepared column whose values the wording names
    missing: Condition
    levels: tuple[Level, ...]

    def level_of(self, left: object, right: object) -> int | None:
        """The index of the first level that holds, or None where a value is missing (no evidence either way)."""
        if self.missing.holds(left, right):
            return None
        for index, level in enumerate(self.levels):
            if level.condition is None or level.condition.holds(left, right):
                return index
        raise AssertionError("the last level of a comparison holds for anything")

    def sql(self) -> str:
        """A CASE giving the level's index, -1 where a value is missing."""
        whens = [f"WHEN {self.missing.sql()} THEN -1"]
        for index, level in enumerate(self.levels):
            if level.condition is None:
                whens.append(f"ELSE {index}")
            else:
                whens.append(f"WHEN {level.condition.sql()} THEN {index}")
        return "CASE " + " ".join(whens) + " END"


@dataclass(frozen=True)
class HoldBack:
    """Pairs never proposed, whatever their weight, and what a worker is told about them."""

    condition: Condition
    wording: str


@dataclass(frozen=True)
class Model:
    comparisons: tuple[Comparison, ...]
    prior: float  # the probability that two records, taken at random, are the same person
    threshold: float  # the probability at which a pair is proposed
    strong: float  # pairs at least this likely join people first; weaker ones may not choose between two people
    # A weaker pair joins two records only when one of these agrees (an identifier, the address or its area): a
    # name and a date of birth alone can be a namesake's.
    corroborating: tuple[str, ...]
    uncertain_from: float  # below the threshold and at least this: shown as uncertain, for clerical review
    # A pair that no identifier or address corroborates (a name and a date of birth alone) joins two records in
    # clustering only where it is at least this likely with its names weighed by how common they are among the
    # records (``frequency_weight``): namesakes are commoner than chance (families pass names down, communities share
    # them), and a common name with a birthday is a namesake's as often as a person's. Such a pair stays proposed.
    alone_from: float
    twins: Condition  # the twins rule (TWINS): held back, and a guard of clustering
    held_back: tuple[HoldBack, ...]  # pairs never proposed: the twins, and two different identifiers
    blocking: tuple[Condition, ...]  # which pairs are compared at all: see BLOCKING

    @cached_property
    def prior_weight(self) -> float:
        return math.log2(self.prior / (1 - self.prior))

    def holds_back(self, left: object, right: object) -> list[str]:
        """Why this pair is never proposed (empty when it may be)."""
        return [rule.wording for rule in self.held_back if rule.condition.holds(left, right)]

    def held_back_sql(self) -> str:
        return AnyOf(tuple(rule.condition for rule in self.held_back)).sql()

    def corroborated(self, levels: tuple[int | None, ...]) -> bool:
        return any(
            level is not None and comparison.name in self.corroborating and comparison.levels[level].weight > 0
            for comparison, level in zip(self.comparisons, levels, strict=True)
        )

    def weight_of(self, levels: tuple[int | None, ...]) -> float:
        total = self.prior_weight
        for comparison, level in zip(self.comparisons, levels, strict=True):
            if level is not None:
                total += comparison.levels[level].weight
        return total

    def frequency_weight(self, left: Any, right: Any, levels: tuple[int | None, ...], records: int) -> float:
        """The match weight with the names weighed by how common they are among ``records`` records (Splink's
        term-frequency adjustment): where a first name or surname agrees exactly, its u is that name's share of the
        records rather than the model's average for any name. The share is counted among the other records (the
        two agree, so either one's count serves, less their own two) and shrunk towards the model's u as if
        ``FREQUENCY_PRIOR_RECORDS`` more records had been seen (a few records say little about how common a name is).
        """
        total = self.weight_of(levels)
        for comparison, level in zip(self.comparisons, levels, strict=True):
            column = NAME_COUNTS.get(comparison.name)
            if column is None or level is None or comparison.levels[level].code != "agrees":
                continue
            u = comparison.levels[level].u
            # Other records than these two: how often someone else is seen with the name.
            others = max(getattr(left, column), getattr(right, column)) - 2
            share = (max(others, 0) + u * FREQUENCY_PRIOR_RECORDS) / (max(records - 2, 0) + FREQUENCY_PRIOR_RECORDS)
            total += math.log2(u / share)
        return total

    def weight_sql(self, level_columns: tuple[str, ...]) -> str:
        """The match weight as SQL over the level columns (each a comparison's CASE, already computed)."""
        terms = [repr(self.prior_weight)]
        for comparison, column in zip(self.comparisons, level_columns, strict=True):
            cases = " ".join(f"WHEN {i} THEN {level.weight!r}" for i, level in enumerate(comparison.levels))
            terms.append(f"(CASE {column} {cases} ELSE 0.0 END)")
        return " + ".join(terms)


# The counts the names are weighed by (``Model.frequency_weight``): the comparison, and the prepared column counting
# its value among the records.
NAME_COUNTS: dict[str, str] = {"first_name": "first_count", "surname": "surname_count"}
FREQUENCY_PRIOR_RECORDS = 1_000


def probability(weight: float) -> float:
    if weight > 60:
        return 1.0
    if weight < -60:
        return 0.0
    odds = 2.0**weight
    return odds / (1 + odds)


def weight_for(probability_: float) -> float:
    return math.log2(probability_ / (1 - probability_))


def _identifier(name: str, column: str, m_differ: float, u_agree: float) -> Comparison:
    return Comparison(
        name=name.lower().replace(" ", "_"),
        column=column,
        missing=Missing(column),
        levels=(
            Level("agrees", f"{name} agrees", Same(column), 1 - m_differ, u_agree),
            Level("differs", f"{name}s differ", None, m_differ, 1 - u_agree),
        ),
    )


def _else(code: str, wording: str, m: float, levels: list[Level]) -> Level:
    """The last level, "anything else": its u is what the other levels leave (each comparison's u adds up to 1)."""
    return Level(code, wording, None, m, 1 - sum(level.u for level in levels))


def _first_name() -> Comparison:
    column, ascii_column = "first_key", "first_ascii"
    levels = [
        Level("agrees", "First name agrees", Same(column), 0.86, 0.008),
        # Swapped names are one fact seen by both name comparisons: each counts a little less than agreeing, so a
        # swap never outweighs the names written the right way round.
        Level("swapped", "first name and surname swapped", Crossed(column, "surname_key"), 0.02, 0.00037),
        Level(
            "short_form",
            "first name: a known short form ({left}/{right})",
            EitherOf(("first_full_1", "first_full_2")),
            0.05,
            0.002,
        ),
        Level("one_letter", "first name: one letter different", EditsWithin(column, ascii_column, 1), 0.04, 0.002),
        Level("two_letters", "first name: two letters different", EditsWithin(column, ascii_column, 2), 0.01, 0.01),
        Level("sounds_alike", "first name: sounds the same ({left}/{right})", Same("first_sound"), 0.01, 0.005),
    ]
    levels.append(_else("differs", "First name differs", 0.01, levels))
    return Comparison(name="first_name", column=column, missing=Missing(column), levels=tuple(levels))


def _surname() -> Comparison:
    column, ascii_column = "surname_key", "surname_ascii"
    levels = [
        Level("agrees", "Surname agrees", Same(column), 0.88, 0.004),
        Level("swapped", "first name and surname swapped", Crossed("first_key", column), 0.02, 0.00018),
        Level("one_letter", "surname: one letter different", EditsWithin(column, ascii_column, 1), 0.05, 0.002),
        Level("two_letters", "surname: two letters different", EditsWithin(column, ascii_column, 2), 0.01, 0.008),
        Level("sounds_alike", "surname: sounds the same ({left}/{right})", Same("surname_sound"), 0.01, 0.004),
    ]
    # A surname changes more often than a first name: marriage, a step-parent's name, a double-barrelled name.
    levels.append(_else("differs", "Surname differs", 0.03, levels))
    return Comparison(name="surname", column=column, missing=Missing(column), levels=tuple(levels))


_ONE_PART_OF_DATE = AnyOf(
    (
        All((Same("dob_year"), Same("dob_month"))),
        All((Same("dob_year"), Same("dob_day"))),
        All((Same("dob_month"), Same("dob_day"))),
    )
)

COMPARISONS: tuple[Comparison, ...] = (
    _identifier("NHS number", "nhs_number", m_differ=0.005, u_agree=1e-6),
    _identifier("UPN", "upn", m_differ=0.005, u_agree=1e-6),
    _first_name(),
    _surname(),
    Comparison(
        name="date_of_birth",
        column="dob",
        missing=Missing("dob"),
        levels=(
            Level("agrees", "Date of birth agrees", Same("dob"), 0.90, 0.00004),
            Level("day_month_swapped", "date of birth: day and month swapped", Same("dob_unordered"), 0.02, 0.00004),
            Level("one_part", "date of birth: one of day, month or year different", _ONE_PART_OF_DATE, 0.05, 0.006),
            Level("differs", "Date of birth differs", None, 0.03, 1 - 0.00004 - 0.00004 - 0.006),
        ),
    ),
    Comparison(
        name="postcode",
        column="postcode",
        missing=Missing("postcode"),
        levels=(
            Level("agrees", "Postcode agrees", Same("postcode"), 0.75, 0.0001),
            Level("sector", "postcode: same sector", Same("postcode_sector"), 0.05, 0.001),
            Level("district", "postcode: same district", Same("postcode_district"), 0.05, 0.005),
            Level("differs", "Postcode differs (they may have moved)", None, 0.15, 1 - 0.0001 - 0.001 - 0.005),
        ),
    ),
    Comparison(
        name="sex",
        column="sex",
        missing=Missing("sex"),
        levels=(
            Level("agrees", "Sex agrees", Same("sex"), 0.97, 0.5),
            Level("differs", "Sex differs", None, 0.03, 0.5),
        ),
    ),
)

# The same first name for the twins rule: the same, a known short form, or a typing slip: at most two letters out and
# at least thirty times rarer among the records than the name it is close to (a slip is seen once where the name it
# spoils is seen often; twins' names are both names people are given: Albie and Alfie, Sophia and Sophie). Scored on
# its own, a pair has no counts to go by, and a name one letter out is a twin's.
TYPING_SLIP_RARITY = 30
_SAME_FIRST_NAME = AnyOf(
    (
        Same("first_key"),
        EitherOf(("first_full_1", "first_full_2")),
        All((EditsWithin("first_key", "first_ascii", 2), MuchRarer("first_count", TYPING_SLIP_RARITY))),
    )
)
_AN_IDENTIFIER_AGREES = AnyOf((Same("nhs_number"), Same("upn")))

# Twins, siblings and parents: the same surname, postcode and date of birth but a different first name (not the
# same name, nor a known short form of it) are two people unless an identifier says otherwise.
TWINS: Condition = All(
    (
        Same("surname_key"),
        Same("postcode"),
        Same("dob"),
        Not(Missing("first_key")),
        Not(_SAME_FIRST_NAME),
        Not(_AN_IDENTIFIER_AGREES),
    )
)
TWINS_WORDING = (
    "Same surname, address and date of birth but a different first name: treated as twins or siblings, "
    "not proposed unless an identifier (NHS number, UPN) agrees"
)


def _differ(column: str) -> Condition:
    return All((Not(Missing(column)), Not(Same(column))))


# Two valid NHS numbers (or UPNs) that differ are two people: a mistyped number fails its check digit, so two valid
# ones that differ are almost never one person's. Such a pair is never proposed, however much else agrees.
HELD_BACK: tuple[HoldBack, ...] = (
    HoldBack(TWINS, TWINS_WORDING),
    HoldBack(_differ("nhs_number"), "Different NHS numbers: two people, however much else agrees"),
    HoldBack(_differ("upn"), "Different UPNs: two people, however much else agrees"),
)

# Which pairs are compared at all: those that agree on at least one of these (each an equality, so every engine
# joins on it). Together they find one person's records however one field was written: a mistyped date (4-6; the
# year by the address), a mistyped first name (2, 6), a changed surname (3, 5), a move (1-4), day and month swapped
# (2, 3: the unordered date), names swapped (7). A household is one block (6): small, and where typing slips meet
# twins. The same name alone is no block: at a million records, every Oliver Smith against every other is a hundred
# million pairs.
BLOCKING: tuple[Condition, ...] = (
    Same("nhs_number"),
    All((Same("dob_unordered"), Same("surname_sound"))),
    All((Same("dob_unordered"), Same("first_block"))),
    All((Same("first_block"), Same("surname_key"), Same("dob_year"))),
    All((Same("postcode"), Same("first_block"))),
    All((Same("postcode"), Same("surname_key"))),
    Crossed("first_key", "surname_key"),
    Same("upn"),
)

DEFAULT_MODEL = Model(
    comparisons=COMPARISONS,
    prior=1e-7,
    threshold=0.95,
    strong=0.999,
    corroborating=("nhs_number", "upn", "postcode"),
    uncertain_from=0.5,
    alone_from=0.987,  # the threshold's odds (19 to 1) four times over (76 to 1)
    twins=TWINS,
    held_back=HELD_BACK,
    blocking=BLOCKING,
)
DEFAULT_THRESHOLD = DEFAULT_MODEL.threshold
