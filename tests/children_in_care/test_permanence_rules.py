"""The rules of permanence, each made to fire and kept quiet: the order of the steps of adoption, the adopters'
facts, the orders that end care, previous permanence and the adoption scorecard's measures."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safeguarding.children_in_care import permanence as p

CARE = date(2024, 1, 10)
DECIDED = date(2024, 5, 1)


def steps(**kw: object) -> p.AdoptionSteps:
    return p.AdoptionSteps(decided_on=kw.pop("decided_on", DECIDED), **kw)  # type: ignore[arg-type]


def test_a_decision_comes_after_care_began_and_before_the_placement_order() -> None:
    ok = p.decision_problem(DECIDED, in_care_since=CARE, earlier=[], placement_order_on=date(2024, 6, 1))
    assert ok is None
    early = p.decision_problem(date(2024, 1, 1), in_care_since=CARE, earlier=[], placement_order_on=None)
    assert early and "before the child came into care on 10 January 2024" in early
    late = p.decision_problem(DECIDED, in_care_since=CARE, earlier=[], placement_order_on=date(2024, 4, 1))
    assert late and "after the placement order of 1 April 2024" in late


def test_a_second_decision_waits_for_the_first_to_end() -> None:
    still = p.decision_problem(date(2024, 9, 1), in_care_since=CARE, earlier=[steps()], placement_order_on=None)
    assert still and "still in force" in still
    ended = steps(ceased_on=date(2024, 8, 1), reason_ceased="RD1")
    assert p.decision_problem(date(2024, 9, 1), in_care_since=CARE, earlier=[ended], placement_order_on=None) is None
    before = p.decision_problem(date(2024, 7, 1), in_care_since=CARE, earlier=[ended], placement_order_on=None)
    assert before and "before the earlier decision ended on 1 August 2024" in before


def test_matched_before_the_decision_or_after_placed_is_refused() -> None:
    assert p.match_problem(date(2024, 6, 1), steps()) is None
    before = p.match_problem(date(2024, 4, 30), steps())
    assert before and "before the decision on 1 May 2024" in before
    after = p.match_problem(date(2024, 9, 2), steps(placed_on=date(2024, 9, 1)))
    assert after and "after the child was placed for adoption on 1 September 2024" in after
    assert p.match_problem(date(2024, 6, 1), steps(ceased_on=date(2024, 5, 20), reason_ceased="RD3"))


def test_placed_before_matched_is_refused() -> None:
    matched = steps(matched_on=date(2024, 7, 1))
    kw = {"foster_carers_adopting": False, "legal_status": "E1", "current_placement": "U6"}
    assert p.placement_problem(date(2024, 7, 15), "A6", matched, **kw) == {}  # type: ignore[arg-type]
    early = p.placement_problem(date(2024, 6, 30), "A6", matched, **kw)  # type: ignore[arg-type]
    assert "before the child was matched with the adopters on 1 July 2024" in early["on"]
    unmatched = p.placement_problem(date(2024, 7, 15), "A6", steps(), **kw)  # type: ignore[arg-type]
    assert "Record the match" in unmatched["on"]


def test_the_placement_type_agrees_with_the_order_and_the_foster_carers() -> None:
    matched = steps(matched_on=date(2024, 7, 1))
    day = date(2024, 7, 15)
    no_order = p.placement_problem(
        day, "A6", matched, foster_carers_adopting=False, legal_status="C2", current_placement="U6"
    )
    assert "no placement order" in no_order["placement_type"]
    assert (
        p.placement_problem(day, "A4", matched, foster_carers_adopting=False, legal_status="C2", current_placement="U6")
        == {}
    )
    not_them = p.placement_problem(
        day, "A5", matched, foster_carers_adopting=False, legal_status="E1", current_placement="U6"
    )
    assert "not the child's foster carers" in not_them["placement_type"]
    them = p.placement_problem(
        day, "A6", matched, foster_carers_adopting=True, legal_status="E1", current_placement="U5"
    )
    assert "are the child's foster carers" in them["placement_type"]
    assert (
        p.placement_problem(day, "A5", matched, foster_carers_adopting=True, legal_status="E1", current_placement="U5")
        == {}
    )
    home = p.placement_problem(
        day, "A5", matched, foster_carers_adopting=True, legal_status="E1", current_placement="K2"
    )
    assert "not in foster care" in home["placement_type"]


def test_the_adopters_number_sex_and_legal_status_agree() -> None:
    assert p.adopters_problem(2, "MF", "L11") == {}
    assert p.adopters_problem(1, "F1", "L0") == {}
    assert "adopters_sex" in p.adopters_problem(1, "MF", "L11")
    assert "adopters_sex" in p.adopters_problem(2, "M1", "L0")
    assert "adopters_legal_status" in p.adopters_problem(2, "MM", "L11")  # rule 520
    assert "adopters_legal_status" in p.adopters_problem(2, "FF", "L3")  # rule 517
    assert "adopters_legal_status" in p.adopters_problem(1, "F1", "L2")  # rule 519


@given(st.integers(1, 2), st.sampled_from(sorted(p.ADOPTERS_SEX)), st.sampled_from(sorted(p.ADOPTERS_LEGAL_STATUS)))
def test_adopters_accepted_are_what_the_dfe_rules_accept(number: int, sex: str, status: str) -> None:
    accepted = p.adopters_problem(number, sex, status) == {}
    couple = sex in p.COUPLES
    dfe = (
        (number == 2) == couple
        and not (status == "L0" and couple)  # 514
        and not (status == "L3" and sex != "MF")  # 517
        and not (status == "L4" and sex not in ("MM", "FF"))  # 518
        and not (status == "L2" and not couple)  # 519
        and not (status == "L11" and sex != "MF")  # 520 (and a married couple is a couple)
        and not (status == "L12" and sex not in ("MM", "FF"))  # 524
    )
    assert accepted == dfe


def test_an_adoption_order_follows_the_placement_and_other_orders_follow_the_decision_ending() -> None:
    placed = steps(matched_on=date(2024, 7, 1), placed_on=date(2024, 7, 15))
    kw = {"in_care_since": CARE, "current_placement": "A6"}
    assert p.leaving_problem(date(2025, 1, 10), "E11", steps=placed, **kw) == {}  # type: ignore[arg-type]
    early = p.leaving_problem(date(2024, 7, 1), "E12", steps=placed, **kw)  # type: ignore[arg-type]
    assert "before the child was placed for adoption on 15 July 2024" in early["on"]
    unplaced = p.leaving_problem(date(2025, 1, 10), "E11", steps=steps(), **kw)  # type: ignore[arg-type]
    assert "placement for adoption first" in unplaced["reason"]
    assert "no decision in force" in p.leaving_problem(date(2025, 1, 10), "E11", steps=None, **kw)["reason"]  # type: ignore[arg-type]
    reversed_ = steps(ceased_on=date(2024, 6, 1), reason_ceased="RD1")
    assert p.leaving_problem(date(2025, 1, 10), "E12", steps=reversed_, **kw)["reason"]  # type: ignore[arg-type]  # 558
    open_decision = p.leaving_problem(date(2025, 1, 10), "E47", steps=steps(), **kw)  # type: ignore[arg-type]
    assert "still in force" in open_decision["reason"]
    assert p.leaving_problem(date(2025, 1, 10), "E47", in_care_since=CARE, current_placement="U3", steps=None) == {}


@pytest.mark.parametrize("reason", ["E13", "E4A", "E4B", "E41", "E48", "E8", "E2", "E3", "E5"])
def test_leaving_care_not_adopted_waits_for_the_decision_to_end(reason: str) -> None:
    """DfE rule 557: a child with a decision in force who leaves care any way but adoption (E13 and its
    neighbours) is refused until the decision ends; once it has, or with none, they may leave."""
    kw = {"in_care_since": CARE, "current_placement": "U6"}
    refused = p.leaving_problem(date(2025, 1, 10), reason, steps=steps(matched_on=date(2024, 7, 1)), **kw)  # type: ignore[arg-type]
    assert list(refused) == ["reason"] and "should no longer be placed for adoption first" in refused["reason"]
    ended = steps(ceased_on=date(2024, 9, 1), reason_ceased="RD3")
    assert p.leaving_problem(date(2025, 1, 10), reason, steps=ended, **kw) == {}  # type: ignore[arg-type]
    assert p.leaving_problem(date(2025, 1, 10), reason, steps=None, **kw) == {}  # type: ignore[arg-type]


def test_special_guardianship_to_former_foster_carers_needs_foster_care() -> None:
    assert p.leaving_problem(date(2025, 1, 1), "E45", in_care_since=CARE, current_placement="U1", steps=None) == {}
    refused = p.leaving_problem(date(2025, 1, 1), "E46", in_care_since=CARE, current_placement="K2", steps=None)
    assert "not in foster care" in refused["reason"]


def test_a_placement_order_follows_the_decision() -> None:
    """DfE rules 553 and 554: no placement order without a decision in force, nor one dated before it."""
    assert p.placement_order_problem(date(2024, 6, 1), steps()) is None
    assert "no decision in force" in (p.placement_order_problem(date(2024, 6, 1), None) or "")
    ended = steps(ceased_on=date(2024, 5, 20), reason_ceased="RD2")
    assert "no decision in force" in (p.placement_order_problem(date(2024, 6, 1), ended) or "")
    assert "before the decision on 1 May 2024" in (p.placement_order_problem(date(2024, 4, 1), steps()) or "")


def test_a_placement_for_adoption_needs_a_decision_in_force() -> None:
    """DfE rule 551, then the order of the steps (``placement_problem``)."""

    def placed(decision: p.AdoptionSteps | None) -> dict[str, str]:
        return p.adoption_placement_problem(
            date(2024, 7, 15), "A6", decision, foster_carers_adopting=False, legal_status="E1", current_placement="U6"
        )

    assert placed(steps(matched_on=date(2024, 7, 1))) == {}
    assert "no decision in force" in placed(None)["placement_type"]
    ended = steps(matched_on=date(2024, 7, 1), ceased_on=date(2024, 7, 10), reason_ceased="RD1")
    assert "no decision in force" in placed(ended)["placement_type"]
    assert "Record the match" in placed(steps())["on"]


def test_ceasing_a_decision_comes_after_it() -> None:
    assert p.ceasing_problem(date(2024, 6, 1), steps()) is None
    assert "before the decision on 1 May 2024" in (p.ceasing_problem(date(2024, 4, 1), steps()) or "")
    assert p.ceasing_problem(date(2024, 9, 1), steps(ceased_on=date(2024, 8, 1), reason_ceased="RD4"))


def test_previous_permanence_as_the_dfe_asks() -> None:
    since = date(2025, 5, 1)
    assert p.previous_permanence_problem("P2", "316", date(2020, 1, 1), in_care_since=since) == {}
    assert p.previous_permanence_problem("Z1", None, None, in_care_since=since) == {}
    assert set(p.previous_permanence_problem("Z1", "316", date(2020, 1, 1), in_care_since=since)) == {
        "la_code",
        "order_on",
    }  # rule 635
    assert "order_on" in p.previous_permanence_problem("P1", None, date(2025, 6, 1), in_care_since=since)  # 632
    assert "option" in p.previous_permanence_problem("P4", None, None, in_care_since=date(2015, 1, 1))  # 634


def test_the_scorecard_measures_a_childs_adoption() -> None:
    timeline = p.AdoptionTimeline(
        in_care_since=date(2024, 1, 1),
        placement_order_on=date(2024, 6, 1),
        matched_on=date(2024, 11, 1),
        placed_on=date(2024, 12, 1),
        moved_in_with_adopters_on=date(2024, 3, 1),
    )
    assert p.days_taken("A1", timeline) == 335
    assert p.days_taken("A2", timeline) == 153 and not p.within_threshold("A2", 153)
    assert p.days_taken("A10", timeline) == 60 and p.within_threshold("A10", 60)
    waiting = p.AdoptionTimeline(date(2024, 1, 1), None, None, None)
    assert p.days_taken("A1", waiting) is None and p.days_taken("A2", waiting) is None
    assert p.average_days("A1", [timeline, waiting]) == 335
    assert p.average_days("A1", [waiting]) is None


@given(st.integers(0, 2000), st.integers(0, 400))
def test_a10_is_never_longer_than_a1(placed_after: int, fostered_before: int) -> None:
    care = date(2020, 1, 1)
    placed = care + timedelta(days=placed_after)
    moved = max(care, placed - timedelta(days=fostered_before))
    timeline = p.AdoptionTimeline(care, None, None, placed, moved)
    a1, a10 = p.days_taken("A1", timeline), p.days_taken("A10", timeline)
    assert a1 is not None and a10 is not None and 0 <= a10 <= a1


def test_moving_in_with_foster_carers_who_adopt_counts_from_the_foster_placement() -> None:
    placements = [
        (date(2024, 1, 1), "U6", "Carer One"),
        (date(2024, 3, 1), "U5", "The Adopters"),
        (date(2024, 9, 1), "A5", "The Adopters"),
    ]
    assert p.moved_in_with_adopters_on(placements, date(2024, 9, 1)) == date(2024, 3, 1)
    other = [(date(2024, 1, 1), "U6", "Carer One"), (date(2024, 9, 1), "A6", "The Adopters")]
    assert p.moved_in_with_adopters_on(other, date(2024, 9, 1)) == date(2024, 9, 1)


def test_placed_for_adoption_is_the_first_adoption_placement_after_the_decision() -> None:
    placements = [(date(2024, 1, 1), "U6"), (date(2024, 4, 1), "A4"), (date(2024, 9, 1), "A6")]
    assert p.placed_for_adoption_on(placements, DECIDED) == date(2024, 9, 1)
    assert p.placed_for_adoption_on(placements, DECIDED, until=date(2024, 8, 1)) is None
    assert p.placed_for_adoption_on(placements, date(2024, 3, 1)) == date(2024, 4, 1)
