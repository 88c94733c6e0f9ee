"""Supporting Families: significant and sustained progress under the council's rules (pure)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from safeguarding.early_help.outcomes_rules import (
    HEADLINE_OUTCOMES,
    FamilyProgress,
    NeedProgress,
    Progress,
    Standing,
    SustainRules,
    judge,
)

A = Progress.ACHIEVED
RULES = SustainRules(minimum_needs=3, sustain_months=6, contact_breaks=True)


def need(headline: str, *reviews: tuple[date, Progress, str]) -> NeedProgress:
    return NeedProgress(headline, date(2025, 9, 1), reviews)


def family(**changes: object) -> FamilyProgress:
    values: dict[str, object] = {
        "needs": [
            need("education", (date(2026, 1, 10), A, "Attendance 96% over two terms (school register)")),
            need("housing", (date(2026, 1, 12), A, "Tenancy secured (housing officer)")),
            need("finance", (date(2025, 12, 1), Progress.WORSE, "Rent arrears"), (date(2026, 1, 20), A, "Debt plan")),
        ],
        "has_lead_practitioner": True,
        "assessed_on": date(2025, 9, 20),
        "has_plan": True,
        "closed_on": date(2026, 2, 1),
    }
    values.update(changes)
    return FamilyProgress(**values)  # type: ignore[arg-type]


def test_ten_headline_outcomes_as_the_framework_names_them() -> None:
    assert len(HEADLINE_OUTCOMES) == 10
    assert HEADLINE_OUTCOMES["education"] == "Getting a good education"
    assert HEADLINE_OUTCOMES["finance"] == "Financial stability"


def test_sustained_six_months_after_closure_with_every_need_achieved() -> None:
    assert judge(family(), RULES, date(2026, 7, 31)).standing == Standing.SUSTAINING
    verdict = judge(family(), RULES, date(2026, 8, 1))
    assert verdict.sustained and verdict.sustained_from == date(2026, 8, 1) and verdict.reasons == ()


def test_still_sustaining_says_until_when() -> None:
    verdict = judge(family(), RULES, date(2026, 3, 1))
    assert verdict.standing == Standing.SUSTAINING
    assert verdict.reasons == ("Sustained if nothing changes until 1 August 2026",)


def test_open_episode_is_not_yet_counting_the_months() -> None:
    verdict = judge(family(closed_on=None), RULES, date(2027, 1, 1))
    assert verdict.standing == Standing.SUSTAINING and "when the early help closes" in verdict.reasons[0]


def test_fewer_needs_than_the_council_requires() -> None:
    two = family(needs=family().needs[:2])
    verdict = judge(two, RULES, date(2027, 1, 1))
    assert verdict.standing == Standing.NOT_YET
    assert verdict.reasons[0] == "2 of the framework's needs identified; at least 3 are needed"
    assert judge(two, SustainRules(minimum_needs=2), date(2027, 1, 1)).sustained


def test_a_need_that_fell_back_is_not_achieved() -> None:
    fell = need(
        "health", (date(2026, 1, 1), A, "GP engaged"), (date(2026, 3, 1), Progress.WORSE, "Missed appointments")
    )
    verdict = judge(family(needs=[*family().needs, fell]), RULES, date(2027, 1, 1))
    assert verdict.standing == Standing.NOT_YET
    assert verdict.reasons == ("Outcome not yet achieved: Improved mental and physical health",)


def test_an_achievement_without_evidence_is_not_claimed() -> None:
    bare = need("crime", (date(2026, 1, 1), A, "  "))
    verdict = judge(family(needs=[*family().needs, bare]), RULES, date(2027, 1, 1))
    assert verdict.reasons == ("No evidence recorded for: Crime prevention and tackling crime",)


def test_a_contact_to_social_care_inside_the_months_breaks_it_where_the_council_says_so() -> None:
    contacted = family(social_care_since_closure=[date(2026, 5, 3)])
    verdict = judge(contacted, RULES, date(2027, 1, 1))
    assert verdict.standing == Standing.NOT_YET
    assert verdict.reasons == (
        "Contact with children's social care on 3 May 2026, within 6 months of the early help closing",
    )
    assert judge(contacted, SustainRules(contact_breaks=False), date(2027, 1, 1)).sustained
    assert judge(family(social_care_since_closure=[date(2026, 9, 1)]), RULES, date(2027, 1, 1)).sustained


def test_lead_practitioner_assessment_and_plan_are_required() -> None:
    verdict = judge(family(has_lead_practitioner=False, assessed_on=None, has_plan=False), RULES, date(2027, 1, 1))
    assert verdict.reasons == (
        "No lead practitioner is recorded",
        "The whole-family assessment is not completed",
        "There is no family plan",
    )


def test_needs_outside_the_framework_do_not_count() -> None:
    verdict = judge(family(needs=[need("not-a-code", (date(2026, 1, 1), A, "x"))]), RULES, date(2027, 1, 1))
    assert verdict.reasons[0].startswith("No needs are mapped to the national headline outcomes")


progress = st.sampled_from(list(Progress))


@given(
    st.lists(st.tuples(st.integers(0, 400), progress), min_size=1, max_size=6),
    st.integers(1, 24),
    st.integers(0, 900),
)
def test_sustained_only_when_the_latest_review_is_achieved_and_the_months_have_run(
    reviews: list[tuple[int, Progress]], months: int, after: int
) -> None:
    start = date(2025, 1, 1)
    one = NeedProgress("housing", start, [(start + timedelta(days=d), p, "evidence") for d, p in reviews])
    closed = date(2026, 6, 1)
    rules = SustainRules(minimum_needs=1, sustain_months=months)
    verdict = judge(family(needs=[one], closed_on=closed), rules, closed + timedelta(days=after))
    latest = sorted(one.reviews, key=lambda r: r[0])[-1][1]  # reviews of one day: the last recorded stands
    if verdict.sustained:
        assert latest == A and verdict.sustained_from is not None
        assert closed + timedelta(days=after) >= verdict.sustained_from > closed
    if latest != A:
        assert verdict.standing == Standing.NOT_YET
