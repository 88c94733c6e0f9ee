"""The children-in-care and care leaver indicators, each a pure function over the facts of the record, counted on a
small hand-made world; then the same facts loaded from the database (placements derived from the events, distances
from the postcode districts, clocks from the timescales rules, care leavers' birthdays) and the page beside the
national figures."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time

from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from safeguarding.children_in_care.care_leaver_models import CareLeaver, Oc3Record
from safeguarding.children_in_care.models import HealthAssessment, LookedAfterReview
from safeguarding.children_in_care.rules import Episode
from safeguarding.core import local_settings
from safeguarding.core.calendar import LONDON
from safeguarding.core.db import Database
from safeguarding.core.users import Role
from safeguarding.exploitation.models import MissingEpisode, MissingKind
from safeguarding.insight import care
from safeguarding.insight.care_facts import CareFacts, load_care_facts
from safeguarding.insight.distance import district_of, far_from_home, miles_between
from safeguarding.insight.indicators import (
    BY_KEY,
    Facts,
    care_leavers_eet,
    care_leavers_in_touch,
    care_leavers_suitable,
    care_starts,
    cla_missing,
    cla_reviews_in_time,
    cla_visits_in_time,
    figure_of,
    health_assessments_in_time,
    health_assessments_up_to_date,
    long_term_stability,
    looked_after,
    peps_in_time,
    placed_far,
    three_placements,
)
from safeguarding.insight.models import PostcodeDistrict
from safeguarding.insight.period import Period
from tests.returns.test_cin_census_export import person
from tests.returns.test_ssda903_export import _in_care
from tests.support import Factory, sign_in_as

YEAR = Period(date(2025, 4, 1), date(2026, 3, 31))
TODAY = date(2026, 4, 10)
END = YEAR.end


def _facts(**care_rows: object) -> Facts:
    facts = Facts(population=10_000, population_source="synthetic")
    facts.care = CareFacts(**care_rows)  # type: ignore[arg-type]
    return facts


def _headline(measure: object, facts: Facts) -> tuple[int, int]:
    key = next(k for k, i in BY_KEY.items() if i.measure is measure)
    f = figure_of(BY_KEY[key], BY_KEY[key].measure(facts, YEAR, TODAY), YEAR, TODAY, facts)
    return f.numerator, f.denominator


# --- each indicator on a hand-made world ---------------------------------------------------------------------------


def test_children_looked_after_per_10000_on_the_last_day_leaving_out_short_breaks() -> None:
    facts = _facts(
        periods=[
            (1, date(2024, 1, 1), None, False),  # in care throughout
            (2, date(2025, 6, 1), date(2026, 3, 31), False),  # the day care ended is still looked after
            (3, date(2025, 6, 1), date(2026, 1, 1), False),  # left before the end
            (4, date(2025, 6, 1), None, True),  # short breaks only
            (5, date(2026, 4, 1), None, False),  # after the period
        ]
    )
    assert _headline(looked_after, facts) == (2, 2)
    f = figure_of(BY_KEY["looked_after"], looked_after(facts, YEAR, TODAY), YEAR, TODAY, facts)
    assert f.shown == "2.0 per 10,000 children"


def test_starts_count_each_period_begun_in_the_year() -> None:
    facts = _facts(
        periods=[
            (1, date(2025, 3, 31), None, False),
            (2, date(2025, 4, 1), date(2025, 5, 1), False),
            (2, date(2025, 9, 1), None, False),  # a second period: a second start
            (3, date(2026, 3, 31), None, False),
            (4, date(2025, 7, 1), None, True),
        ]
    )
    counted = care_starts(facts, YEAR, TODAY)
    assert sorted((c.person_id, c.on) for c in counted) == [
        (2, date(2025, 4, 1)),
        (2, date(2025, 9, 1)),
        (3, date(2026, 3, 31)),
    ]


def test_three_or_more_placements_in_the_year_to_the_last_day() -> None:
    in_care = [(p, date(2024, 1, 1), None, False) for p in (1, 2, 3)]
    facts = _facts(
        periods=in_care,
        placements=[
            (1, date(2024, 1, 1), date(2025, 5, 1), "U6", False, False),  # open at the year's start: counts
            (1, date(2025, 5, 1), date(2025, 9, 1), "U6", False, False),
            (1, date(2025, 9, 1), None, "K2", False, False),
            (2, date(2024, 1, 1), date(2025, 3, 1), "U6", False, False),  # ended before the 12 months
            (2, date(2025, 3, 1), date(2026, 1, 1), "U6", False, False),
            (2, date(2026, 1, 1), None, "U4", False, False),
            (3, date(2024, 1, 1), None, "U4", False, False),
        ],
    )
    assert _headline(three_placements, facts) == (1, 3)


def test_long_term_stability_under_16_in_care_two_and_a_half_years() -> None:
    facts = _facts(
        periods=[
            (1, date(2022, 1, 1), None, False),
            (2, date(2022, 1, 1), None, False),
            (3, date(2024, 1, 1), None, False),  # in care under 2.5 years: not in the cohort
            (4, date(2022, 1, 1), None, False),  # 16 by the last day: not in the cohort
            (5, date(2022, 1, 1), None, False),  # placed for adoption with the foster carers
        ],
        born=[
            (1, date(2015, 1, 1)),
            (2, date(2015, 1, 1)),
            (3, date(2015, 1, 1)),
            (4, date(2010, 1, 1)),
            (5, date(2020, 1, 1)),
        ],
        placements=[
            (1, date(2022, 1, 1), None, "U4", False, False),  # the same placement for over four years
            (2, date(2022, 1, 1), date(2025, 1, 1), "U6", False, False),
            (2, date(2025, 1, 1), None, "U4", False, False),  # moved 15 months before the end
            (3, date(2024, 1, 1), None, "U4", False, False),
            (4, date(2022, 1, 1), None, "U4", False, False),
            (5, date(2022, 1, 1), date(2025, 6, 1), "U5", False, False),
            (5, date(2025, 6, 1), None, "A5", False, False),
        ],
    )
    counted = long_term_stability(facts, YEAR, TODAY)
    last = {c.person_id: c.met for c in counted if c.on == END}
    assert last == {1: True, 2: False, 5: True}


def test_new_placements_more_than_20_miles_counting_unknown_distances() -> None:
    facts = _facts(
        placements=[
            (1, date(2025, 5, 1), None, "U6", True, False),
            (2, date(2025, 6, 1), None, "U6", False, False),
            (3, date(2025, 7, 1), None, "K2", None, False),  # distance not known: in the base, not the figure
            (4, date(2025, 3, 1), None, "K2", True, False),  # before the period
        ]
    )
    assert _headline(placed_far, facts) == (1, 3)


def test_reviews_visits_health_assessments_and_peps_in_time_from_their_clocks() -> None:
    facts = _facts(
        clocks=[
            (1, "cla-review-first", date(2025, 5, 1), date(2025, 4, 30)),
            (1, "cla-review", date(2025, 11, 1), date(2025, 11, 5)),  # late
            (1, "cla-visit-first", date(2025, 6, 1), date(2025, 6, 1)),
            (1, "cla-visit", date(2025, 7, 13), None),  # not made
            (2, "health-assessment-initial", date(2025, 8, 1), date(2025, 7, 20)),
            (2, "health-assessment-review", date(2026, 3, 1), None),
            (2, "pep-initial", date(2025, 8, 1), date(2025, 8, 1)),
            (2, "cla-review", date(2026, 4, 5), None),  # due after the period
        ]
    )
    assert _headline(cla_reviews_in_time, facts) == (1, 2)
    assert _headline(cla_visits_in_time, facts) == (1, 2)
    assert _headline(health_assessments_in_time, facts) == (1, 2)
    assert _headline(peps_in_time, facts) == (1, 1)


def test_health_assessments_up_to_date_for_children_in_care_a_year() -> None:
    facts = _facts(
        periods=[
            (1, date(2024, 1, 1), None, False),
            (2, date(2024, 1, 1), None, False),
            (3, date(2025, 9, 1), None, False),  # in care less than 12 months: not in the cohort
        ],
        health=[(1, date(2025, 6, 1)), (2, date(2025, 3, 1)), (3, date(2025, 9, 20))],
    )
    assert _headline(health_assessments_up_to_date, facts) == (1, 2)


def test_children_in_care_who_went_missing_in_the_year() -> None:
    facts = _facts(
        periods=[
            (1, date(2024, 1, 1), None, False),
            (2, date(2024, 1, 1), date(2025, 6, 1), False),  # left in June: still in the year's base
            (3, date(2025, 10, 1), None, False),
        ],
        missing=[
            (1, date(2025, 8, 1)),
            (1, date(2025, 9, 1)),
            (3, date(2025, 9, 1)),  # before coming into care: not from care
        ],
    )
    assert _headline(cla_missing, facts) == (1, 3)


def test_care_leavers_in_touch_in_education_and_suitably_housed_at_their_birthdays() -> None:
    facts = _facts(
        birthdays=[
            (1, 19, date(2025, 5, 1), "YES", "F1", "U1"),
            (2, 20, date(2025, 8, 1), "YES", "G5", "S2"),
            (3, 21, date(2025, 12, 1), "NO", "0", "0"),
            (4, 19, date(2026, 1, 1), None, None, None),  # nothing recorded at the birthday
            (5, 19, date(2025, 3, 1), "YES", "F2", "B1"),  # the birthday before the period
        ]
    )
    assert _headline(care_leavers_in_touch, facts) == (2, 4)
    assert _headline(care_leavers_eet, facts) == (1, 4)
    assert _headline(care_leavers_suitable, facts) == (1, 4)
    shown = {c.person_id: c.what for c in care_leavers_in_touch(facts, YEAR, TODAY)}
    assert shown[4] == "19th birthday 1 January 2026: nothing recorded"
    assert shown[3] == "21st birthday 1 December 2025: in touch"


def test_the_team_filter_keeps_its_children_only() -> None:
    facts = _facts(periods=[(1, date(2024, 1, 1), None, False), (2, date(2024, 1, 1), None, False)])
    assert [row[0] for row in facts.care.only({2}).periods] == [2]


# --- placements and distances, pure -----------------------------------------------------------------------------


def _episode(decom: date, rne: str, dec: date | None, place: str = "U6", ls: str = "C2") -> Episode:
    return Episode(decom, rne, ls, "N1", place, "PR1", "NB1 2AB", "NB3 4CD" if rne == "S" else None, None, dec)


def test_a_change_of_legal_status_alone_is_not_a_new_placement() -> None:
    episodes = [
        _episode(date(2025, 1, 1), "S", date(2025, 2, 1), ls="C1"),
        _episode(date(2025, 2, 1), "L", date(2025, 5, 1)),
        _episode(date(2025, 5, 1), "P", None, place="U4"),
    ]
    found = care.placements(episodes)
    assert [(p.start, p.end, p.place) for p in found] == [
        (date(2025, 1, 1), date(2025, 5, 1), "U6"),
        (date(2025, 5, 1), None, "U4"),
    ]
    assert all(p.home_postcode == "NB3 4CD" for p in found)
    assert care.legal_status_since(episodes, date(2025, 6, 1)) == date(2025, 2, 1)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from("PTUBL"), max_size=8), st.integers(1, 60))
def test_placements_never_outnumber_episodes_and_join_end_to_start(reasons: list[str], gap: int) -> None:
    day = date(2024, 1, 1)
    episodes = []
    for rne in ["S", *reasons]:
        episodes.append((day, rne))
        day = date.fromordinal(day.toordinal() + gap)
    rows = [
        _episode(d, rne, episodes[i + 1][0] if i + 1 < len(episodes) else None) for i, (d, rne) in enumerate(episodes)
    ]
    found = care.placements(rows)
    assert len(found) == 1 + sum(1 for r in reasons if r != "L")
    assert all(a.end == b.start for a, b in itertools.pairwise(found))


def test_distance_between_postcode_districts() -> None:
    grid = {"NB3": (430_000, 433_000), "NB6": (432_000, 435_000), "ZZ1": (430_000, 400_000)}
    assert district_of("nb3 4cd") == "NB3" and district_of("NB3 4") == "NB3" and district_of("not one") is None
    assert miles_between("NB3 4CD", "NB3 1AB", grid) == 0
    assert round(miles_between("NB3 4CD", "ZZ1 1AB", grid) or 0, 1) == 20.5
    assert far_from_home("NB3 4CD", "ZZ1 1AB", grid) is True
    assert far_from_home("NB3 4CD", "NB6 1AB", grid) is False
    assert far_from_home("NB3 4CD", "QQ9 9QQ", grid) is None and far_from_home(None, "NB6 1AB", grid) is None


# --- loaded from the record, and on the page ----------------------------------------------------------------------


def _record(database: Database) -> None:
    factory = Factory(database)
    worker = factory.user(Role.SOCIAL_WORKER)
    with database.transaction() as s:
        for district, east, north in (("NB3", 430_000, 433_000), ("NB1", 431_000, 433_000), ("NB5", 431_000, 470_000)):
            s.add(PostcodeDistrict(district=district, easting=east, northing=north, la_code=938, source="synthetic"))
        moved = person(s, 2)
        period = _in_care(s, moved, date(2025, 6, 2), None, moves=(date(2025, 9, 1),))  # to NB5: about 23 miles
        s.add(LookedAfterReview(period_id=period, person_id=moved.id, held_on=date(2025, 6, 20), participation="PN1"))
        s.add(HealthAssessment(period_id=period, person_id=moved.id, kind="initial", assessed_on=date(2025, 7, 15)))
        s.add(
            MissingEpisode(
                person_id=moved.id,
                kind=MissingKind.MISSING,
                went_missing_at=datetime.combine(date(2025, 10, 3), time(21, 0), LONDON).astimezone(UTC),
                recorded_by_id=worker.id,
            )
        )
        leaver = person(s, 9)
        leaver.date_of_birth = date(2006, 5, 1)
        s.flush()
        record = CareLeaver(person_id=leaver.id, left_care_on=date(2024, 5, 1), weeks_looked_after_since_14=150)
        s.add(record)
        s.flush()
        s.add(
            Oc3Record(
                care_leaver_id=record.id,
                person_id=leaver.id,
                age=19,
                recorded_on=date(2025, 5, 3),
                in_touch="YES",
                activity="F5",
                accommodation="U1",
            )
        )
        local_settings.put(s, "population.children_under_18", 20_000, None)


def test_the_facts_loaded_from_the_record(database: Database) -> None:
    _record(database)
    with database.transaction() as s:
        facts = load_care_facts(s, YEAR, TODAY)
    assert [(r[1], r[2], r[3], r[4]) for r in facts.placements] == [
        (date(2025, 6, 2), date(2025, 9, 1), "U3", False),
        (date(2025, 9, 1), None, "U1", True),
    ]
    assert [(r[1], r[2]) for r in facts.periods] == [(date(2025, 6, 2), None)]
    assert [r[1] for r in facts.missing] == [date(2025, 10, 3)]
    rules = {r[1]: r for r in facts.clocks}
    assert rules["cla-review-first"][3] == date(2025, 6, 20)  # held within 20 working days
    assert rules["health-assessment-initial"][3] == date(2025, 7, 15)
    assert [(r[1], r[2], r[3], r[4], r[5]) for r in facts.birthdays] == [(19, date(2025, 5, 1), "YES", "F5", "U1")]


def test_the_page_shows_each_indicator_beside_its_national_figure(database: Database, client: TestClient) -> None:
    _record(database)
    leader = Factory(database).user(Role.SERVICE_LEADER)
    sign_in_as(client, database, leader)
    page = client.get("/returns/indicators", params={"from": "2025-04-01", "to": "2026-03-31"})
    assert page.status_code == 200
    html = page.text
    for key in ("looked_after", "three_placements", "long_term_stability", "placed_far", "care_leavers_suitable"):
        assert f'data-indicator="{key}"' in html
    assert "1 children looked after of 20,000 children under 18" in html
    assert "England: <strong>67.0 per 10,000 children</strong>" in html
    assert "The DfE does not publish how many looked-after reviews are held in time." in html
    drill = client.get("/returns/indicators/children", params={"indicator": "placed_far", "from": "2025-04-01"})
    assert drill.status_code == 200 and "more than 20 miles from home" in drill.text


def test_the_demo_councils_children_in_care_give_a_figure_for_every_indicator(migrated_database: Database) -> None:
    """Neither nothing nor everything: each children-in-care and care leaver figure of the demo council counts some
    children in and some out (the counts apart, which have no base), so each can be read and drilled into."""
    from safeguarding.insight.indicators import CARE_KEYS, compute, load_facts
    from tests.demo.conftest import REFERENCE, SEED, holds_council, load

    if not holds_council(migrated_database, SEED, REFERENCE):
        load(migrated_database)
    today = REFERENCE.astimezone(LONDON).date()
    year = Period(date(today.year - 1, today.month, today.day + 1), today)
    with migrated_database.transaction() as s:
        figures = {
            f.indicator.key: f for f in compute(load_facts(s, year, None, today), year, today, sorted(CARE_KEYS))
        }
    assert set(figures) == CARE_KEYS
    for key, f in figures.items():
        if f.indicator.kind == "count":
            assert sum(f.totals.values()) > 0, key
        elif f.indicator.kind == "per_10000":
            assert f.numerator > 0 and f.population, key
        else:
            assert 0 < f.numerator < f.denominator, (key, f.numerator, f.denominator)
