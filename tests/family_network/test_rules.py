"""The family network's pure rules: the order of pre-proceedings and the CIN census module 5 items derived from the
record. Property: whatever the record, items the order rules accept pass every module 5 rule of the DfE."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from safeguarding.family_network import rules
from safeguarding.returns.cin_census.census import CensusYear, Child, Episode, PreProceedings
from safeguarding.returns.cin_census.rules import RULES

YEAR = CensusYear(2027)
START, END = YEAR.period_start, YEAR.reference_date
REFERRAL = date(2026, 4, 1)


def test_a_court_application_needs_the_decision_to_apply() -> None:
    pp = rules.PreProceedingsDates(
        date(2026, 5, 1),
        date(2026, 5, 8),
        step_decided_on=date(2026, 7, 1),
        outcome="step_down",
        court_application_on=date(2026, 7, 2),
    )
    assert "court_application_on" in rules.order_problems(pp, REFERRAL, END)
    applied = rules.PreProceedingsDates(
        date(2026, 5, 1),
        date(2026, 5, 8),
        step_decided_on=date(2026, 7, 1),
        outcome="proceedings",
        court_application_on=date(2026, 7, 2),
    )
    assert rules.order_problems(applied, REFERRAL, END) == {}


def test_the_offer_is_stated_once_the_letter_is_sent_and_facilitation_once_offered() -> None:
    pp = rules.PreProceedingsDates(date(2026, 5, 1), date(2026, 5, 8))
    not_in_letter = rules.census_items(pp, [rules.Offer(date(2026, 5, 8), False)], [], START, END)
    assert not_in_letter is not None and not_in_letter["FGDMMeetingOffer"] == "0"
    assert "FGDMMeetingFac" not in not_in_letter
    offered = rules.census_items(pp, [rules.Offer(date(2026, 5, 8), True)], [], START, END)
    assert offered is not None and offered["FGDMMeetingOffer"] == "1" and offered["FGDMMeetingFac"] == "0"
    held = rules.census_items(pp, [rules.Offer(date(2026, 5, 8), True)], [date(2026, 5, 20)], START, END)
    assert held is not None and held["FGDMMeetingFac"] == "1"
    no_letter = rules.census_items(rules.PreProceedingsDates(date(2026, 5, 1)), [], [], START, END)
    assert no_letter == {"PPStartDate": "2026-05-01"}


def test_a_later_date_than_the_reference_date_has_not_happened_yet() -> None:
    pp = rules.PreProceedingsDates(date(2027, 3, 1), date(2027, 4, 3))
    assert rules.census_items(pp, [], [], START, END) == {"PPStartDate": "2027-03-01"}
    assert rules.census_items(rules.PreProceedingsDates(date(2026, 3, 31)), [], [], START, END) is None


days = st.integers(min_value=-30, max_value=400).map(lambda n: START + timedelta(days=n))
maybe = st.none() | days


@given(
    decided=days,
    letter=maybe,
    first=maybe,
    reviews=st.none() | st.integers(0, 5),
    step=maybe,
    outcome=st.none() | st.sampled_from(sorted(rules.PP_OUTCOMES)),
    court=maybe,
    issued=maybe,
    offers=st.lists(st.tuples(days, st.booleans()), max_size=3),
    meetings=st.lists(days, max_size=3),
)
def test_what_the_order_rules_accept_passes_the_dfe_module_5_rules(
    decided: date,
    letter: date | None,
    first: date | None,
    reviews: int | None,
    step: date | None,
    outcome: str | None,
    court: date | None,
    issued: date | None,
    offers: list[tuple[date, bool]],
    meetings: list[date],
) -> None:
    pp = rules.PreProceedingsDates(decided, letter, first, reviews, step, outcome, court, issued)
    if rules.order_problems(pp, START - timedelta(days=60), date(2099, 1, 1)):
        return
    items = rules.census_items(pp, [rules.Offer(d, b) for d, b in offers], meetings, START, END)
    if items is None:
        assert not START <= decided <= END
        return
    assert list(items) == [name for name in rules.CENSUS_ITEMS if name in items]
    child = Child(la_child_id="C1", episodes=[Episode(pre_proceedings=[PreProceedings(items)])])
    for code, rule in RULES.items():
        if rule.module == "PreProceedings" and rule.scope == "child":
            assert list(rule.check(child, YEAR)) == [], (code, items)  # type: ignore[arg-type]
