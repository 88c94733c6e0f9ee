"""The validator skips a rule for a child who lacks what the rule needs (rules.NEEDS, MODULE_NEEDS): a property test
that a skipped rule would have found nothing, for children of every shape, so skipping only saves time."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from safeguarding.returns.cin_census.census import (
    Assessment,
    CensusYear,
    Child,
    CinPlan,
    Episode,
    ProtectionPlan,
    Section47,
)
from safeguarding.returns.cin_census.rules import features, rules_for

YEAR = CensusYear(2026)
days = st.none() | st.dates(min_value=date(2023, 1, 1), max_value=date(2026, 12, 31))
texts = st.none() | st.sampled_from(["", "true", "false", "RC2", "RC8", "RC9", "RC7", "N1", "2A", "XX", "UN7", "1"])

assessments = st.builds(
    Assessment,
    start=days,
    authorised=days,
    factors=st.lists(st.sampled_from(["21", "3A", "4B", "3A"]), max_size=3).map(tuple),
    factors_given=st.booleans(),
)
plans = st.builds(
    ProtectionPlan,
    start=days,
    end=days,
    initial_category=texts,
    latest_category=texts,
    previous_plans=texts,
    reviews=st.lists(days, max_size=2).map(tuple),
    reviews_given=st.booleans(),
)
episodes = st.builds(
    Episode,
    referral_date=days,
    referral_source=texts,
    primary_need=texts,
    closure_date=days,
    closure_reason=texts,
    icpc_date=days,
    referral_nfa=st.none() | st.sampled_from(["true", "false", "maybe"]),
    assessments=st.lists(assessments, max_size=2),
    cin_plans=st.lists(st.builds(CinPlan, days, days), max_size=2),
    section47s=st.lists(
        st.builds(Section47, start=days, icpc_target=days, icpc=days, icpc_not_required=texts), max_size=2
    ),
    protection_plans=st.lists(plans, max_size=2),
)
children = st.builds(
    Child,
    la_child_id=st.none() | st.just("C1"),
    upn=st.none() | st.sampled_from(["A201000000001", "bad"]),
    former_upn=st.none() | st.sampled_from(["A201000000001", "x"]),
    upn_unknown=texts,
    birth_date=days,
    expected_birth_date=days,
    sex=st.none() | st.sampled_from(["M", "F", "U"]),
    death_date=days,
    ethnicity=st.none() | st.just("WBRI"),
    disabilities=st.lists(st.sampled_from(["NONE", "LD", "AUT"]), max_size=3).map(tuple),
    episodes=st.lists(episodes, max_size=3),
)


@settings(max_examples=300, deadline=None)
@given(child=children)
def test_a_skipped_rule_would_have_found_nothing(child: Child) -> None:
    parts = features(child)
    for rule in rules_for(YEAR.year):
        if rule.scope == "child" and rule.needs is not None and rule.needs not in parts:
            assert list(rule.check(child, YEAR)) == [], (rule.code, rule.needs)  # type: ignore[arg-type]  # a child rule's check
