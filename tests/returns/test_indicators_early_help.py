"""The early help indicators on a small hand-made world: episodes started and open, assessments in time, referrals to
social care after early help closed, step-ups and step-downs, outcomes, and front-door decisions taken up."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from safeguarding.insight import indicators
from safeguarding.insight.period import Period

PERIOD = Period(date(2026, 1, 1), date(2026, 3, 31))
TODAY = date(2026, 4, 10)


def world() -> indicators.Facts:
    return indicators.Facts(
        # child 1: started in January, still open; child 2: started December, closed 15 February;
        # child 3: started in March; child 4: started April (after the period).
        eh_episodes=[
            (1, date(2026, 1, 12), None),
            (2, date(2025, 12, 1), date(2026, 2, 15)),
            (3, date(2026, 3, 2), None),
            (4, date(2026, 4, 2), None),
            (None, date(2026, 2, 2), date(2026, 2, 20)),  # a family not yet matched to a person record
        ],
        # Monday 5 January 2026 to Friday 16 January: 9 working days; to Monday 26 January: 15.
        eh_assessments=[
            (1, date(2026, 1, 5), date(2026, 1, 16), 10),
            (2, date(2026, 1, 5), date(2026, 1, 26), 10),
            (3, date(2025, 12, 1), date(2025, 12, 5), 10),  # completed before the period: not counted
        ],
        eh_closures=[
            (2, date(2026, 2, 15), (date(2026, 3, 1),)),  # referred two weeks after closing
            (5, date(2026, 1, 20), (date(2025, 11, 1),)),  # a referral before the closure does not count
            (6, date(2026, 3, 10), (date(2027, 5, 1),)),  # after 12 months, and after today
        ],
        eh_transitions=[
            (1, date(2026, 1, 20), "up"),
            (2, date(2026, 2, 1), "down"),
            (3, date(2026, 2, 3), "down"),
            (3, date(2026, 3, 3), "across"),
            (4, date(2026, 4, 3), "up"),  # after the period
        ],
        eh_need_outcomes=[
            (2, date(2026, 2, 15), "improved"),
            (2, date(2026, 2, 15), "improved"),
            (2, date(2026, 2, 15), "worse"),
            (5, date(2026, 1, 20), "no_change"),
        ],
        eh_decided=[
            (1, date(2026, 1, 8), date(2026, 1, 12)),
            (7, date(2026, 1, 9), None),
            (8, date(2026, 2, 9), None),
            (9, date(2025, 12, 9), date(2025, 12, 20)),  # before the period
        ],
    )


def figures() -> dict[str, indicators.Figure]:
    keys = [i.key for i in indicators.INDICATORS if i.key.startswith(("early_help", "steps"))]
    return {f.indicator.key: f for f in indicators.compute(world(), PERIOD, TODAY, keys)}


def test_episodes_started_by_month_and_open_at_the_end_of_the_period() -> None:
    f = figures()["early_help_episodes"]
    assert f.totals == {"Started": 3, "Open at month end": 2}  # children 1 and 3 open on 31 March
    started = {p.month: p.numerator for p in f.points if p.series == "Started"}
    assert started == {"2026-01": 1, "2026-02": 1, "2026-03": 1}
    open_ = {p.month: p.numerator for p in f.points if p.series == "Open at month end"}
    # 31 January: children 1 and 2; 28 February: child 1 (2 and the unmatched family closed); 31 March: 1 and 3.
    assert open_ == {"2026-01": 2, "2026-02": 1, "2026-03": 2}
    assert f.shown == "Started 3, Open at month end 2"


def test_assessments_are_counted_in_working_days_from_the_local_anchor() -> None:
    f = figures()["early_help_assessments"]
    assert (f.numerator, f.denominator) == (1, 2)
    assert [c.what for c in f.counted] == [
        "Assessment completed 16 January 2026: 9 working days (the standard is 10)",
        "Assessment completed 26 January 2026: 15 working days (the standard is 10)",
    ]


def test_referrals_after_early_help_count_only_within_12_months_after_closing_and_up_to_today() -> None:
    f = figures()["early_help_re_referrals"]
    assert (f.numerator, f.denominator) == (1, 3)
    assert f.shown == "33.3%"
    assert "referred 1 March 2026" in next(c.what for c in f.counted if c.person_id == 2)


def test_steps_up_and_down_are_counted_by_direction_in_the_period() -> None:
    f = figures()["steps_up_and_down"]
    assert f.totals == {"Step-ups": 1, "Step-downs": 2, "Family Help changes of plan": 1}


def test_outcomes_improved_of_all_needs_given_an_outcome() -> None:
    f = figures()["early_help_outcomes"]
    assert (f.numerator, f.denominator) == (2, 4)


def test_contacts_decided_early_help_that_became_an_episode() -> None:
    f = figures()["early_help_taken_up"]
    assert (f.numerator, f.denominator) == (1, 3)
    assert f.counted[1].what == "Decided early help 9 January 2026, no episode"


def test_the_team_filter_keeps_each_early_help_row_of_its_children() -> None:
    kept = indicators.keep_children(world(), {2})
    assert [row[0] for row in kept.eh_episodes] == [2]
    assert kept.eh_transitions == [(2, date(2026, 2, 1), "down")]
    assert [row[0] for row in kept.eh_need_outcomes] == [2, 2, 2]


def test_every_early_help_indicator_says_why_there_is_no_national_figure() -> None:
    for key in figures():
        indicator = indicators.BY_KEY[key]
        assert indicator.national is None and indicator.no_national and indicator.definition


days = st.dates(min_value=date(2025, 6, 1), max_value=date(2026, 6, 30))


@given(
    st.lists(st.tuples(st.integers(1, 9), days, st.one_of(st.none(), st.integers(0, 300))), max_size=20),
    st.lists(st.tuples(st.integers(1, 9), days, st.lists(days, max_size=3)), max_size=20),
)
def test_open_episodes_never_exceed_those_started_by_then_and_rates_are_shares(
    spans: list[tuple[int, date, int | None]], closures: list[tuple[int, date, list[date]]]
) -> None:
    facts = indicators.Facts(
        eh_episodes=[(p, d, None if n is None else d + timedelta(days=n)) for p, d, n in spans],
        eh_closures=[(p, d, tuple(r)) for p, d, r in closures],
    )
    keys = ["early_help_episodes", "early_help_re_referrals"]
    (episodes, re_referred) = indicators.compute(facts, PERIOD, TODAY, keys)
    for point in episodes.points:
        if point.series == "Open at month end":
            month_end = date(int(point.month[:4]), int(point.month[5:]), 1)
            assert point.numerator <= sum(1 for _p, d, _n in spans if d <= month_end + timedelta(days=31))
    assert 0 <= re_referred.numerator <= re_referred.denominator
    assert re_referred.denominator == sum(1 for _p, d, _r in closures if PERIOD.start <= d <= PERIOD.end)
