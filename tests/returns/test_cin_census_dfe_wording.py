"""CIN census rules that once differed from the DfE's rule text, each tested with the case that showed it.

The files are small XML fixtures (tests/returns/census_xml.py) read through the real reader and validator, so what
is checked is what a council would see on uploading the file.
"""

from __future__ import annotations

import io
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from safeguarding.returns.cin_census.census import CensusYear, Child, CinPlan, Episode
from safeguarding.returns.cin_census.rules import r4014
from safeguarding.returns.cin_census.validator import SCHEMA_CODE, Finding, validate_file
from tests.returns.census_xml import assessment, census, child, cin_plan, cpp, episode, s47


def findings(*children: str) -> list[Finding]:
    return validate_file(io.BytesIO(census(*children)), CensusYear(2026)).findings


def found(code: str, *children: str) -> list[Finding]:
    return [f for f in findings(*children) if f.code == code]


# --- 8873Q: one assessment with factor 21 needs RC8 or RC9, whether or not the episode is closed ---------------


def test_8873q_queries_an_open_episode_whose_only_assessment_found_no_factors() -> None:
    """The case: a child still open, one assessment with "21 No factors identified"; the other validator queried
    it, this one said nothing because the episode had no closure yet."""
    (query,) = found("8873Q", child(episodes=[episode(assessments=[assessment(factors=["21"])])]))
    assert query.element == "CINdetails[1]/ReasonForClosure"
    assert "no reason for closure given" in query.message


def test_8873q_queries_a_closed_episode_with_no_reason_for_closure() -> None:
    fragment = child(episodes=[episode(closed="2025-07-01", assessments=[assessment(factors=["21"])])])
    assert len(found("8873Q", fragment)) == 1


def test_8873q_is_quiet_with_rc8_or_rc9_or_more_than_one_assessment() -> None:
    for reason in ("RC8", "RC9"):
        closed = episode(closed="2025-07-01", reason=reason, assessments=[assessment(factors=["21"])])
        assert found("8873Q", child(episodes=[closed])) == []
    two = episode(assessments=[assessment(factors=["21"]), assessment("2025-06-03", "2025-06-20", ["16A"])])
    assert found("8873Q", child(episodes=[two])) == []


# --- Reviews: every <Reviews> group of a plan is read, and the file is told when there are several -------------


def _plan_with_second_reviews_group(second: str) -> str:
    plan = cpp(reviews=["2025-08-20"]).replace(
        "</ChildProtectionPlans>", f"<Reviews><CPPreviewDate>{second}</CPPreviewDate></Reviews></ChildProtectionPlans>"
    )
    return child(episodes=[episode(s47s=[s47()], cpps=[plan])])


def test_a_review_date_in_a_second_reviews_group_is_checked_not_skipped() -> None:
    """The case: the second group's review sat on the plan's start date (rule 8841); it was never read."""
    all_found = findings(_plan_with_second_reviews_group("2025-05-20"))
    (too_early,) = [f for f in all_found if f.code == "8841"]
    assert too_early.element.endswith("/Reviews/CPPreviewDate[2]")
    assert "20/05/2025" in too_early.message


def test_a_second_reviews_group_is_reported_naming_the_group_and_line() -> None:
    (told,) = [f for f in findings(_plan_with_second_reviews_group("2025-11-20")) if f.code == SCHEMA_CODE]
    assert told.element == "CINdetails[1]/ChildProtectionPlans[1]/Reviews[2]"
    assert "2 Reviews groups" in told.message and "all of them were read" in told.message
    assert told.line is not None


def test_a_review_date_that_is_not_a_date_is_a_finding_not_silently_dropped() -> None:
    fragment = child(episodes=[episode(s47s=[s47()], cpps=[cpp(reviews=["2025-08-20", "20/09/2025"])])])
    (told,) = [f for f in findings(fragment) if f.code == SCHEMA_CODE]
    assert told.element == "CINdetails[1]/ChildProtectionPlans[1]/Reviews/CPPreviewDate[2]"
    assert "20/09/2025" in told.message


# --- 4014: CIN plans overlap across all the child's episodes ----------------------------------------------------


def test_4014_finds_cin_plans_overlapping_in_two_episodes() -> None:
    """The case: a second referral opened while the first episode's CIN plan was still running, each episode with
    its own plan; the DfE compares all the child's plans."""
    first = episode(cin_plans=[cin_plan("2025-06-02", "2025-10-01")])
    second = episode(referral="2025-08-01", cin_plans=[cin_plan("2025-08-04")])
    (overlap,) = found("4014", child(episodes=[first, second]))
    assert overlap.element == "CINdetails[2]/CINPlanDates[1]/CINPlanStartDate"
    assert "04/08/2025" in overlap.message and "02/06/2025" in overlap.message


def test_4014_is_quiet_when_plans_in_two_episodes_follow_one_another() -> None:
    first = episode(closed="2025-07-01", reason="RC1", cin_plans=[cin_plan("2025-06-02", "2025-07-01")])
    second = episode(referral="2025-08-01", cin_plans=[cin_plan("2025-08-04")])
    assert found("4014", child(episodes=[first, second])) == []


START = date(2025, 4, 1)
plan_spans = st.lists(st.tuples(st.integers(0, 360), st.one_of(st.none(), st.integers(0, 120))), min_size=1, max_size=5)


@given(plan_spans, st.lists(st.integers(0, 3), min_size=5, max_size=5))
def test_4014_does_not_depend_on_which_episode_holds_each_plan(
    spans: list[tuple[int, int | None]], homes: list[int]
) -> None:
    """The same plans give the same overlaps whether one episode holds them all or they are spread over several."""
    plans = [CinPlan(START + timedelta(days=s), None if n is None else START + timedelta(days=s + n)) for s, n in spans]
    together = Child(episodes=[Episode(cin_plans=list(plans))])
    spread = Child(episodes=[Episode() for _ in range(4)])
    for plan, home in zip(plans, homes, strict=False):
        spread.episodes[home].cin_plans.append(plan)
    year = CensusYear(2026)
    assert len(list(r4014(together, year))) == len(list(r4014(spread, year)))
    overlapping = any(
        a.start is not None and b.start is not None and a.start <= b.start and (a.end is None or b.start < a.end)
        for i, a in enumerate(plans)
        for j, b in enumerate(plans)
        if i != j
    )
    assert bool(list(r4014(spread, year))) == overlapping


# --- 8565: a CP plan's start is not "activity after closure" ----------------------------------------------------


def test_8565_does_not_count_a_protection_plan_start_as_activity_after_closure() -> None:
    """The case: the DfE's list of dates (assessment start and authorisation, S47 start, initial conference, CP plan
    end, CIN plan start and end) has no CPPstartDate; a plan dated after the closure was reported as 8565."""
    ep = episode(
        closed="2025-05-20",
        reason="RC1",
        assessments=[assessment("2025-05-02", "2025-05-15")],
        s47s=[s47(icpc="2025-05-20")],
        cpps=[cpp("2025-05-21")],
    )
    assert found("8565", child(episodes=[ep])) == []


def test_8565_still_counts_a_protection_plan_end_after_closure() -> None:
    ep = episode(closed="2025-07-01", reason="RC1", s47s=[s47()], cpps=[cpp(end="2025-08-01")])
    (late,) = found("8565", child(episodes=[ep]))
    assert "01/08/2025" in late.message
