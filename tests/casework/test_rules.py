"""Property tests of the case work order rules (casework.rules): each refusal names its rule, and events in the
order the law sets are never refused."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from safeguarding.casework import rules
from safeguarding.casework.rules import Episode, Span

TODAY = date(2026, 11, 26)
days = st.integers(min_value=0, max_value=300)


def weekday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def ids(refusals: list[rules.Refusal]) -> set[str]:
    return {r.rule_id for r in refusals}


def test_every_rule_has_a_message_and_a_source() -> None:
    for rule in rules.RULES.values():
        assert rule.message and rule.source
        assert rules.message(rule.id) and f"(rule {rule.id})" not in rules.message(rule.id)


@given(referral=days, offset=st.integers(min_value=-60, max_value=400))
def test_no_event_before_the_referral_or_in_the_future(referral: int, offset: int) -> None:
    referral_date = TODAY - timedelta(days=referral)
    day = referral_date + timedelta(days=offset)
    found = ids(
        rules.check_visit(Episode(referral_date), visited_on=day, child_seen=True, seen_alone=False, today=TODAY)
    )
    assert ("after-referral" in found) == (day < referral_date)
    assert ("no-future-date" in found) == (day > TODAY)


@given(gap=st.integers(min_value=-20, max_value=20), start=st.integers(min_value=30, max_value=200))
def test_an_initial_conference_needs_an_earlier_strategy_discussion_and_s47(gap: int, start: int) -> None:
    referral_date = TODAY - timedelta(days=start)
    conference = weekday(referral_date + timedelta(days=25))
    if conference > TODAY:
        return
    discussion = referral_date + timedelta(days=max(0, 25 + gap))
    episode = Episode(
        referral_date,
        strategy_discussions=(Span(1, discussion, None, "section47"),),
        section47s=(Span(2, discussion, discussion, "icpc"),),
    )
    found = ids(rules.check_conference(episode, kind="initial", held_on=conference, plan_id=None, today=TODAY))
    assert ("icpc-needs-strategy" in found) == (discussion > conference)
    assert ("icpc-needs-s47" in found) == (discussion > conference)


@given(length=st.integers(min_value=-30, max_value=200))
def test_a_plan_ends_after_it_starts(length: int) -> None:
    referral_date = TODAY - timedelta(days=300)
    start = referral_date + timedelta(days=20)
    end = start + timedelta(days=length)
    episode = Episode(referral_date)
    found = ids(
        rules.check_cp_plan(
            episode,
            plan_id=None,
            conference_date=start,
            started_on=start,
            ended_on=end,
            end_reason="moved_la",
            today=TODAY,
        )
    )
    assert ("plan-ends-after-start" in found) == (end <= start)
    found = ids(rules.check_cin_plan(episode, plan_id=None, started_on=start, ended_on=end, today=TODAY))
    assert ("plan-ends-after-start" in found) == (end <= start)


@given(
    plan_start=st.integers(min_value=0, max_value=100),
    meeting=st.integers(min_value=-20, max_value=150),
    plan_days=st.one_of(st.none(), st.integers(min_value=1, max_value=120)),
)
def test_core_groups_and_reviews_need_an_open_plan(plan_start: int, meeting: int, plan_days: int | None) -> None:
    referral_date = TODAY - timedelta(days=200)
    start = referral_date + timedelta(days=plan_start)
    end = start + timedelta(days=plan_days) if plan_days is not None else None
    held = start + timedelta(days=meeting)
    if held < referral_date or held > TODAY:
        return
    episode = Episode(referral_date, cp_plans=(Span(7, start, end),))
    open_then = start <= held and (end is None or held <= end)
    assert ("core-group-needs-plan" in ids(rules.check_core_group(episode, plan_id=7, held_on=held, today=TODAY))) == (
        not open_then
    )
    assert "core-group-needs-plan" in ids(rules.check_core_group(episode, plan_id=None, held_on=held, today=TODAY))
    if held.weekday() < 5:
        review = ids(rules.check_conference(episode, kind="review", held_on=held, plan_id=7, today=TODAY))
        assert ("review-needs-plan" in review) == (not open_then or held <= start)


@given(
    cp_open=st.booleans(),
    cin_open=st.booleans(),
    assessment_open=st.booleans(),
    s47_open=st.booleans(),
    reason=st.sampled_from(["RC1", "RC7", "RC8", "", "XX"]),
)
def test_closure_is_refused_while_anything_is_open(
    cp_open: bool, cin_open: bool, assessment_open: bool, s47_open: bool, reason: str
) -> None:
    referral_date = TODAY - timedelta(days=200)
    d = referral_date + timedelta(days=10)
    episode = Episode(
        referral_date,
        cp_plans=(Span(1, d, None if cp_open else d + timedelta(days=30)),),
        cin_plans=(Span(2, d + timedelta(days=31), None if cin_open else d + timedelta(days=60)),),
        assessments=(Span(3, d, None if assessment_open else d + timedelta(days=5)),),
        section47s=(Span(4, d, d, None if s47_open else "icpc"),),
    )
    found = ids(rules.check_closure(episode, closed_on=TODAY, reason=reason, today=TODAY))
    assert ("closure-open-cp-plan" in found) == cp_open
    assert ("closure-open-cin-plan" in found) == cin_open
    assert ("closure-open-assessment" in found) == assessment_open
    assert ("closure-open-s47" in found) == s47_open
    assert ("closure-reason-required" in found) == (reason not in ("RC1", "RC7", "RC8"))
    assert ("closure-rc8-rc9" in found) == (reason == "RC8")
    everything_closed = not (cp_open or cin_open or assessment_open or s47_open)
    assert (not found) == (everything_closed and reason in ("RC1", "RC7"))


@given(st.lists(st.sampled_from(["16A", "3B", "21", "18A", "19C", "4B"]), max_size=4, unique=True), st.booleans())
def test_assessment_factors(factors: list[str], authorised: bool) -> None:
    found = ids(rules.check_factors(factors, authorised=authorised))
    assert ("factor-21-alone" in found) == ("21" in factors and len(factors) > 1)
    assert ("legacy-factor" in found) == ("18A" in factors)
    assert ("factors-only-authorised" in found) == (bool(factors) and not authorised)
    assert ("factors-required" in found) == (authorised and not factors)


@given(due=st.integers(min_value=-30, max_value=30), reason=st.sampled_from(["", "  ", "Family moved away"]))
def test_a_late_authorisation_needs_a_reason(due: int, reason: str) -> None:
    authorised = TODAY - timedelta(days=40)
    found = ids(
        rules.check_authorisation(
            authorised_on=authorised, due_on=authorised + timedelta(days=due), late_reason=reason, factors=["16A"]
        )
    )
    assert ("late-reason-required" in found) == (due < 0 and not reason.strip())


@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20)), max_size=12))
def test_a_genogram_puts_each_parent_above_their_child(pairs: list[tuple[int, int]]) -> None:
    people = [rules.GenogramPerson(i, f"P{i}", "child", None, 1980 + i) for i in range(21)]
    ties = [rules.GenogramTie(a, b) for a, b in pairs if a < b]  # parents have lower ids: no cycles
    drawn = rules.layout_genogram(people, ties)
    y = {p.person.id: p.y for p in drawn.people}
    assert len(y) == len(people)
    for tie in ties:
        assert tie.parent_id is not None and tie.child_id is not None
        assert y[tie.parent_id] < y[tie.child_id]
    positions = {(p.x, p.y) for p in drawn.people}
    assert len(positions) == len(people), "no two people drawn on one spot"
