"""The linkage model as a worker meets it: scores and the evidence in words, the twins rule, and the properties
every score and every clustering must keep (symmetry, exact duplicates joined, a partition of the input)."""

from __future__ import annotations

import itertools
import string
from dataclasses import replace
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safeguarding.people.linkage import (
    DEFAULT_MODEL,
    PersonRecord,
    best_matches,
    clusters,
    explain,
    find_pairs,
)
from safeguarding.people.linkage.clustering import Support, cluster
from safeguarding.people.linkage.engines import compare
from safeguarding.people.linkage.linking import prepare_all
from safeguarding.people.linkage.model import weight_for
from safeguarding.people.linkage.records import prepare
from safeguarding.people.linkage.scoring import LevelsAgainst, levels_of
from safeguarding.people.linkage.short_forms import full_names
from tests.people.conftest import valid_nhs

NHS_A, NHS_B = valid_nhs(943476591), valid_nhs(401023456)


def person(
    record_id: str, first: str | None = "William", surname: str | None = "Smith", **extra: object
) -> PersonRecord:
    values: dict[str, object] = {
        "source": "school",
        "dob": date(2014, 3, 4),
        "sex": "M",
        "postcode": "LS8 2AB",
        "nhs_number": None,
    }
    values.update(extra)
    return PersonRecord(record_id, first_name=first, surname=surname, **values)  # type: ignore[arg-type]


def test_an_agreeing_nhs_number_is_said_in_words_and_outweighs_everything_else() -> None:
    pair = explain(person("a", nhs_number=NHS_A), person("b", "Liam", "Jones", postcode="M1 1AE", nhs_number=NHS_A))
    assert pair.evidence[0] == "NHS number agrees"
    assert pair.probability >= DEFAULT_MODEL.threshold


def test_the_evidence_names_each_kind_of_difference() -> None:
    swapped = explain(person("a"), person("b", dob=date(2014, 4, 3)))
    assert "Date of birth: day and month swapped" in swapped.evidence
    typo = explain(person("a"), person("b", surname="Smiht"))
    assert "Surname: two letters different" in typo.evidence
    typo = explain(person("a"), person("b", surname="Smyth"))
    assert "Surname: one letter different" in typo.evidence
    nickname = explain(person("a", "Bill"), person("b", "William"))
    assert "First name: a known short form (Bill/William)" in nickname.evidence
    district = explain(person("a"), person("b", postcode="LS8 9XY"))
    assert "Postcode: same district" in district.evidence
    sector = explain(person("a"), person("b", postcode="LS8 2XY"))
    assert "Postcode: same sector" in sector.evidence
    crossed = explain(person("a"), person("b", "Smith", "William"))
    assert crossed.evidence.count("First name and surname swapped") == 1


def test_the_most_telling_evidence_comes_first() -> None:
    pair = explain(person("a"), person("b", "Bill", postcode="M1 1AE"))
    weights = [abs(c.weight) for c in sorted(pair.contributions, key=lambda c: pair.evidence.index(c.wording))]
    assert weights == sorted(weights, reverse=True)


def test_a_missing_value_is_no_evidence_either_way() -> None:
    full = explain(person("a"), person("b"))
    without = explain(person("a"), person("b", postcode=None))
    assert not any("Postcode" in line for line in without.evidence)
    assert without.match_weight < full.match_weight


def test_a_name_and_date_of_birth_alone_elsewhere_is_not_proposed() -> None:
    # Namesakes exist: the same name and birthday in another town, with no identifier, stays a suggestion at most.
    pair = explain(person("a"), person("b", postcode="M1 1AE"))
    assert pair.probability < DEFAULT_MODEL.threshold
    assert find_pairs([person("a"), person("b", postcode="M1 1AE")]) == []


def test_twins_are_held_back_and_the_explanation_says_why() -> None:
    pair = explain(person("a", "Amy", sex="F"), person("b", "Ella", sex="F"))
    assert pair.held_back
    assert pair.evidence[0].startswith("Same surname, address and date of birth but a different first name")
    assert find_pairs([person("a", "Amy", sex="F"), person("b", "Ella", sex="F")]) == []


def test_twins_with_the_same_nhs_number_are_one_person_after_all() -> None:
    records = [person("a", "Amy", nhs_number=NHS_A), person("b", "Amelia", nhs_number=NHS_A)]
    assert not explain(records[0], records[1]).held_back
    assert [(p.left_id, p.right_id) for p in find_pairs(records)] == [("a", "b")]


def test_a_typing_slip_in_a_common_first_name_is_not_taken_for_a_twin() -> None:
    # "Olivr" is seen once where Oliver is seen 40 times: a slip, so this is Oliver. Albie and Alfie, each a name
    # people are given, one letter apart, stay twins.
    others = [person(f"o{n}", "Oliver", "Jones", dob=date(2000, 1, 1 + n % 28), postcode="M1 1AE") for n in range(40)]
    records = [
        *others,
        person("a", "Oliver", nhs_number=NHS_A),
        person("b", "Olivr"),
        person("c", "Albie"),
        person("d", "Alfie"),
    ]
    found = clusters(records)
    assert found["a"] == found["b"]
    assert found["c"] != found["d"]
    assert explain(person("a", "Oliver"), person("b", "Olivr")).held_back  # on its own, nothing says it is a slip


def test_alexander_and_alexandra_are_two_names_though_both_are_alex() -> None:
    assert explain(person("a", "Alexander"), person("b", "Alexandra", sex="F")).held_back
    assert (
        "First name: a known short form (Alex/Alexandra)"
        in explain(person("a", "Alex"), person("b", "Alexandra")).evidence
    )
    assert set(full_names("alex")) == {"alexander", "alexandra"}


def test_a_chain_of_pairs_never_joins_two_nhs_numbers_or_two_twins() -> None:
    # "William" (no NHS number) matches both records, which have different NHS numbers: only one of them joins him.
    chain = [person("a", nhs_number=NHS_A), person("b"), person("c", "Bill", nhs_number=NHS_B)]
    assert explain(chain[0], chain[2]).evidence[0] == "Different NHS numbers: two people, however much else agrees"
    assert {(p.left_id, p.right_id) for p in find_pairs(chain)} == {("a", "b"), ("b", "c")}
    found = clusters(chain)
    assert found["a"] != found["c"]
    assert found["b"] in (found["a"], found["c"])
    # Two twins and a record that says only "A. Smith" with their date of birth: it cannot join them together.
    twins = prepare_all([person("t1", "Amy", sex="F"), person("t2", "Ella", sex="F"), person("x", None, sex="F")])
    # A record with no first name, their surname, address and birthday: were it strongly proposed with each twin,
    # the second join is refused; weakly proposed with both, it joins neither (it cannot choose between them).
    joined = cluster(twins, [(0, 2, 20.0, Support.CORROBORATED), (1, 2, 19.0, Support.CORROBORATED)], DEFAULT_MODEL)
    assert joined[0] != joined[1] and joined[2] == joined[0]
    joined = cluster(twins, [(0, 2, 6.0, Support.CORROBORATED), (1, 2, 5.0, Support.CORROBORATED)], DEFAULT_MODEL)
    assert len(set(joined)) == 3


def test_a_record_that_cannot_choose_between_two_namesakes_joins_neither() -> None:
    # Two girls with the same name and birthday in two towns, each known by her NHS number; a police record with the
    # name and birthday only could be either of them.
    a = person("a", "Julia", "Wright", sex="F", postcode="LS8 2AB", nhs_number=NHS_A)
    b = person("b", "Julia", "Wright", sex="F", postcode="M1 1AE", nhs_number=NHS_B)
    b2 = replace(b, record_id="b2", source="health")
    unsure = person("r", "Julia", "Wright", sex="F", postcode=None)
    found = clusters([a, b, b2, unsure])
    assert found["b"] == found["b2"]
    assert len({found["a"], found["b"], found["r"]}) == 3
    # With one of them only, it leads to her alone, and is joined to her.
    assert clusters([a, unsure])["r"] == "a"
    assert [(p.left_id, p.right_id) for p in find_pairs([a, unsure])] == [("a", "r")]
    # With the address it is hers.
    assert clusters([a, replace(unsure, postcode="LS8 2AB")])["r"] == "a"


def test_best_matches_leaves_out_the_twin_and_ranks_the_rest() -> None:
    record = person("q", "Amy", sex="F")
    candidates = [
        person("1", "Ella", sex="F"),
        person("2", "Amy", sex="F", postcode="M1 1AE"),
        person("3", "Amy", sex="F"),
    ]
    found = best_matches(record, candidates)
    assert [p.right_id for p in found] == ["3", "2"]
    assert found[0].probability > found[1].probability


def test_every_comparisons_probabilities_add_up_to_one() -> None:
    for comparison in DEFAULT_MODEL.comparisons:
        assert abs(sum(level.m for level in comparison.levels) - 1) < 1e-9, comparison.name
        assert abs(sum(level.u for level in comparison.levels) - 1) < 1e-9, comparison.name


# --- properties ------------------------------------------------------------------------------------------------

FIRSTS = ["William", "Bill", "Will", "Liam", "Amy", "Ella", "Alex", "Alexander", "Alexandra", "Jon", "John", "Zoë"]
SURNAMES = ["Smith", "Smyth", "Smiht", "Jones", "O'Brien", "Obrien", "Nowak", "Li"]
POSTCODES = ["LS8 2AB", "LS8 2AD", "LS8 9XY", "M1 1AE", None]
DOBS = [date(2014, 3, 4), date(2014, 4, 3), date(2014, 3, 5), date(2015, 3, 4), date(1990, 1, 1), None]


@st.composite
def records(draw: st.DrawFn, record_id: str = "r") -> PersonRecord:
    return PersonRecord(
        record_id=record_id,
        source=draw(st.sampled_from(["school", "police"])),
        first_name=draw(st.sampled_from([*FIRSTS, None])),
        surname=draw(st.sampled_from([*SURNAMES, None])),
        dob=draw(st.sampled_from(DOBS)),
        sex=draw(st.sampled_from(["M", "F", None])),
        postcode=draw(st.sampled_from(POSTCODES)),
        nhs_number=draw(st.sampled_from([NHS_A, NHS_B, None, None])),
    )


@st.composite
def files(draw: st.DrawFn, max_size: int = 12) -> list[PersonRecord]:
    count = draw(st.integers(1, max_size))
    return [replace(draw(records()), record_id=f"R{n:02d}") for n in range(count)]


@given(records(), files(max_size=30))
def test_a_search_scores_its_candidates_as_each_pair_is_scored_on_its_own(
    searched: PersonRecord, candidates: list[PersonRecord]
) -> None:
    # The search works each comparison out once per distinct value among its candidates: the levels, and so the
    # ranking and the evidence, must be those of each pair scored alone, in any order and with repeats.
    mine = prepare(searched, 0)
    against = LevelsAgainst(mine)
    for n, candidate in enumerate([*candidates, *reversed(candidates)], start=1):
        theirs = prepare(candidate, n)
        assert against.of(theirs) == levels_of(mine, theirs)


@given(records(), records())
def test_scores_are_symmetric(left: PersonRecord, right: PersonRecord) -> None:
    there, back = explain(left, right), explain(right, left)
    assert abs(there.match_weight - back.match_weight) < 1e-9
    assert there.held_back == back.held_back
    assert {(c.comparison, c.level) for c in there.contributions} == {
        (c.comparison, c.level) for c in back.contributions
    }


@given(records(), st.sampled_from(FIRSTS), st.sampled_from(FIRSTS), st.sampled_from(SURNAMES))
def test_twins_are_never_proposed_without_an_agreeing_identifier(
    base: PersonRecord, first: str, other: str, surname: str
) -> None:
    a = replace(base, record_id="a", first_name=first, surname=surname, dob=date(2014, 3, 4), postcode="LS8 2AB")
    b = replace(a, record_id="b", first_name=other, nhs_number=None if a.nhs_number else NHS_B)
    pair = explain(a, b)
    same_name = first == other or set(full_names(first.lower())) & set(full_names(other.lower()))
    if not same_name:
        assert pair.held_back
        assert "treated as twins or siblings" in pair.evidence[0]
        assert find_pairs([a, b]) == []
        found = clusters([a, b])
        assert found["a"] != found["b"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files(), st.data())
def test_an_exact_duplicate_of_a_named_and_dated_record_always_joins_it(
    file: list[PersonRecord], data: st.DataObject
) -> None:
    named = [r for r in file if r.first_name and r.surname and r.dob]
    if not named:
        return
    original = data.draw(st.sampled_from(named))
    found = clusters([*file, replace(original, record_id="copy")])
    assert found["copy"] == found[original.record_id]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files())
def test_clusters_partition_the_input(file: list[PersonRecord]) -> None:
    found = clusters(file)
    assert sorted(found) == sorted(r.record_id for r in file)
    members: dict[str, list[str]] = {}
    for record_id, cluster_id in found.items():
        members.setdefault(cluster_id, []).append(record_id)
    for cluster_id, ids in members.items():
        assert cluster_id == min(ids)  # named by its smallest record id, so every engine names it alike
    pairs = find_pairs(file)
    for pair in pairs:
        assert pair.probability >= DEFAULT_MODEL.threshold and not pair.held_back


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files())
def test_the_engine_finds_exactly_the_pairs_the_python_explanation_proposes(file: list[PersonRecord]) -> None:
    # The SQL the engines run and the Python a review screen runs are two renderings of one model: they must agree.
    prepared = prepare_all(file)
    minimum = weight_for(DEFAULT_MODEL.threshold)
    expected = {}
    for left, right in itertools.combinations(prepared, 2):
        if not any(rule.holds(left, right) for rule in DEFAULT_MODEL.blocking):
            continue
        levels = tuple(c.level_of(left, right) for c in DEFAULT_MODEL.comparisons)
        if DEFAULT_MODEL.weight_of(levels) >= minimum and not DEFAULT_MODEL.holds_back(left, right):
            expected[(left.rid, right.rid)] = levels
    found = {(left, right): levels for left, right, levels in compare(prepared, DEFAULT_MODEL, minimum)}
    assert found == expected


@given(st.text(alphabet=string.ascii_letters + "éøß' -", max_size=12), st.text(max_size=12))
def test_any_names_score_without_error(first: str, surname: str) -> None:
    pair = explain(person("a", first, surname), person("b", surname, first))
    assert 0.0 <= pair.probability <= 1.0


def _others(count: int, first: str, surname: str, sex: str = "F") -> list[PersonRecord]:
    """Other people of the file: ``count`` of them with this name, each born on a different day, each elsewhere."""
    return [
        person(f"{first}{surname}{n}", first, surname, sex=sex, dob=date(1990, 1, 1) + timedelta(days=n), postcode=None)
        for n in range(count)
    ]


def _names(count: int) -> list[PersonRecord]:
    """``count`` people with names of their own (two letters apart at least), to make a file in which a name is rare."""
    letters = string.ascii_lowercase
    return [
        person(f"n{n}", "Name" + letters[n % 26] * 3, "Sur" + letters[n // 26 % 26] * 3, dob=date(1980, 1, 1))
        for n in range(count)
    ]


def test_a_name_and_a_birthday_alone_join_no_one_where_the_name_is_common_among_the_records() -> None:
    # Julia Wright known by her address and NHS number; a police record with the name and birthday only.
    a = person("a", "Julia", "Wright", sex="F", postcode="LS8 2AB", nhs_number=NHS_A)
    unsure = person("r", "Julia", "Wright", sex="F", postcode=None)
    # Among many records in which her name is rare, it is hers.
    assert clusters([a, unsure, *_names(300)])["r"] == "a"
    # Among records with many other Julia Wrights, it could as well be a namesake's: proposed, joined to no one.
    crowded = [a, unsure, *_names(300), *_others(40, "Julia", "Wright")]
    assert clusters(crowded)["r"] == "r"
    (proposed,) = [p for p in find_pairs(crowded) if (p.left_id, p.right_id) == ("a", "r")]
    assert proposed.evidence[-1] == (
        "Only the name and date of birth support this, and the name is common among these records: "
        "it could be a namesake, so it is left for a person to decide"
    )
    # The address settles it, however common the name.
    assert clusters([a, replace(unsure, postcode="LS8 2AB"), *_names(300), *_others(40, "Julia", "Wright")])["r"] == "a"


def test_two_typing_slips_of_one_name_are_not_taken_for_twins() -> None:
    # Florence's records: her name right three times, and two slips of it, each seen once. The slips differ from each
    # other by two letters, as twins' names may, but each spoils the name the file sees often.
    file = [
        *(person(f"f{n}", "Florence", "Palmer", sex="F", nhs_number=NHS_A) for n in range(3)),
        person("s1", "Floence", "Palmer", sex="F", nhs_number=NHS_A),
        person("s2", "Florencr", "Palmer", sex="F"),
        *_others(90, "Florence", "Jones"),
    ]
    found = clusters(file)
    assert found["s1"] == found["s2"] == found["f0"]
    # Twins are still twins: Albie and Alfie, both names people are given, stay apart.
    twins = [
        *(person(f"a{n}", "Albie", "Palmer", nhs_number=NHS_A) for n in range(3)),
        person("b", "Alfie", "Palmer"),
        *_others(90, "Alfie", "Jones", sex="M"),
        *_others(90, "Albie", "Brown", sex="M"),
    ]
    found = clusters(twins)
    assert found["b"] != found["a0"]


@given(
    count=st.integers(min_value=2, max_value=10_000),
    more=st.integers(min_value=1, max_value=10_000),
    records=st.integers(min_value=10_000, max_value=1_000_000),
)
def test_a_commoner_name_is_weaker_evidence(count: int, more: int, records: int) -> None:
    a, b = prepare_all([person("a"), person("b", postcode=None)])
    levels = tuple(c.level_of(a, b) for c in DEFAULT_MODEL.comparisons)

    def weighed(n: int) -> float:
        left, right = (replace(r, first_count=n, surname_count=n) for r in (a, b))
        return DEFAULT_MODEL.frequency_weight(left, right, levels, records)

    assert weighed(count + more) < weighed(count)
    # With the names different, their counts say nothing.
    c = prepare_all([person("c", "Liam", "Jones", postcode=None)])[0]
    other = tuple(comparison.level_of(a, c) for comparison in DEFAULT_MODEL.comparisons)
    assert DEFAULT_MODEL.frequency_weight(a, c, other, records) == DEFAULT_MODEL.weight_of(other)
