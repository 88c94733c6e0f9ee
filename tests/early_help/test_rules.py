"""Early help's local timescales and rules: the anchors, the due dates they give (hypothesis over the calendar), the
derived clocks of an episode, the council's closure reasons and the team's duplicates."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from safeguarding.core.calendar import add_working_days_quick, is_working_day, working_days_between_quick
from safeguarding.core.local_settings import DEFINITIONS, parse_value
from safeguarding.early_help import rules
from safeguarding.timescales.derive import EARLY_HELP_ASSESSMENT_ANCHOR, EARLY_HELP_MEETING_ANCHOR, derive
from safeguarding.timescales.rules import ClockEvent, Derived, EventKind, Lengths, RuleStatus, due_on, rule_for

E = EventKind
DAYS = st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31))
EPISODE = 7


def _event(kind: EventKind, on: date, source_id: int = 1, flags: frozenset[str] = frozenset()) -> ClockEvent:
    return ClockEvent(kind, on, "early_help", source_id, 99, flags, stops_source_id=EPISODE)


def _clocks(events: list[ClockEvent], settings: dict[str, object] | None = None) -> dict[str, list[Derived]]:
    found: dict[str, list[Derived]] = {}
    for item in derive(99, events, Lengths(settings or {})):
        found.setdefault(item.rule.id, []).append(item)
    return found


def test_every_early_help_rule_is_a_local_standard_with_its_setting_and_source() -> None:
    for rule_id in (
        "early-help-assessment",
        "early-help-first-meeting",
        "early-help-review",
        "early-help-reassessment",
    ):
        rule = rule_for(rule_id, date(2026, 1, 1))
        assert rule.status is RuleStatus.LOCAL_STANDARD
        assert rule.setting in DEFINITIONS and rule.source and rule.record_page == "/early-help/people/{person_id}"
        assert DEFINITIONS[rule.setting].default == rule.length


def test_the_closure_settings_name_every_reason_the_product_knows() -> None:
    assert {key for key in DEFINITIONS if key.startswith("early_help.closure.")} == {
        *(rules.closure_setting(key) for key in rules.CLOSURE_REASONS),
        rules.LOCAL_REASONS_SETTING,
    }


@given(DAYS, st.integers(min_value=1, max_value=120))
def test_the_assessment_is_due_the_nth_working_day_after_its_anchor(start: date, length: int) -> None:
    due = due_on("early-help-assessment", start, settings={"timescales.early_help.assessment.working_days": length})
    assert due == add_working_days_quick(start, length)
    assert is_working_day(due) and due > start
    if is_working_day(start):
        assert working_days_between_quick(start, due) == length


@given(DAYS, st.integers(min_value=1, max_value=26))
def test_meetings_are_due_within_n_weeks_brought_forward_off_a_non_working_day(start: date, weeks: int) -> None:
    due = due_on("early-help-review", start, settings={"timescales.early_help.review.weeks": weeks})
    raw = start + timedelta(weeks=weeks)
    assert is_working_day(due) and due <= raw and (raw - due).days < 7


@given(
    st.builds(
        rules.EpisodeDays,
        DAYS,
        st.none() | DAYS,
        st.none() | DAYS,
        st.none() | DAYS,
        st.none() | DAYS,
    ),
    st.sampled_from(
        [
            rules.Anchor.STARTED,
            rules.Anchor.CONSENT,
            rules.Anchor.NEED_IDENTIFIED,
            rules.Anchor.DECIDED,
            rules.Anchor.ASSESSMENT_COMPLETED,
        ]
    ),
)
def test_an_anchor_counts_from_its_day_or_the_start_but_never_before_consent(
    days: rules.EpisodeDays, anchor: str
) -> None:
    day = rules.anchor_day(days, anchor)
    if days.of(anchor) is not None:
        assert day == days.of(anchor)
    elif anchor in (rules.Anchor.CONSENT, rules.Anchor.ASSESSMENT_COMPLETED):
        assert day is None  # no consent yet: nothing to assess, no clock
    else:
        assert day == days.started


def test_an_unknown_anchor_setting_falls_back_and_the_setting_refuses_it() -> None:
    settings = {rules.ASSESSMENT_ANCHOR_SETTING: "whenever"}
    anchor = rules.setting_anchor(
        settings, rules.ASSESSMENT_ANCHOR_SETTING, rules.ASSESSMENT_ANCHORS, rules.DEFAULT_ASSESSMENT_ANCHOR
    )
    assert anchor == rules.Anchor.STARTED
    try:
        parse_value(DEFINITIONS[rules.ASSESSMENT_ANCHOR_SETTING], "whenever")
    except ValueError as problem:
        assert "must be one of" in str(problem)
    else:  # pragma: no cover - the test fails here
        raise AssertionError("an anchor the rules do not know was accepted")
    assert parse_value(DEFINITIONS[rules.ASSESSMENT_ANCHOR_SETTING], "consent") == "consent"


def test_an_episode_derives_its_clocks_and_meeting_them_moves_them() -> None:
    start = date(2026, 3, 2)  # a Monday
    flags = frozenset({EARLY_HELP_ASSESSMENT_ANCHOR, EARLY_HELP_MEETING_ANCHOR})
    opened = _event(E.EARLY_HELP_STARTED, start, flags=flags)
    clocks = _clocks([opened])
    assessment = clocks["early-help-assessment"][0]
    assert assessment.due == add_working_days_quick(start, 15) and assessment.met_on is None
    assert clocks["early-help-first-meeting"][0].due == date(2026, 4, 13)
    assert "early-help-review" not in clocks  # reviews count from the first meeting

    done = _event(E.EARLY_HELP_ASSESSMENT, start + timedelta(days=10), 2)
    met = _event(E.EARLY_HELP_MEETING, start + timedelta(days=30), 3)
    clocks = _clocks([opened, done, met])
    assert clocks["early-help-assessment"][0].met_on == done.on
    assert clocks["early-help-first-meeting"][0].met_on == met.on
    review = clocks["early-help-review"][0]
    assert review.start.on == met.on and review.due == due_on("early-help-review", met.on)
    assert clocks["early-help-reassessment"][0].due.year == 2027


def test_closing_the_episode_lapses_what_was_due_and_drops_what_was_not() -> None:
    start = date(2026, 3, 2)
    flags = frozenset({EARLY_HELP_ASSESSMENT_ANCHOR, EARLY_HELP_MEETING_ANCHOR})
    events = [_event(E.EARLY_HELP_STARTED, start, flags=flags), _event(E.EARLY_HELP_ENDED, start + timedelta(days=60))]
    clocks = _clocks(events)
    assert clocks["early-help-assessment"][0].lapsed
    assert clocks["early-help-first-meeting"][0].lapsed
    early = [_event(E.EARLY_HELP_STARTED, start, flags=flags), _event(E.EARLY_HELP_ENDED, start + timedelta(days=5))]
    assert _clocks(early) == {}


def test_two_episodes_keep_their_clocks_apart() -> None:
    flags = frozenset({EARLY_HELP_ASSESSMENT_ANCHOR})
    first = ClockEvent(E.EARLY_HELP_STARTED, date(2025, 1, 6), "e", 1, 99, flags, stops_source_id=1)
    closed = ClockEvent(E.EARLY_HELP_ENDED, date(2025, 6, 2), "e", 1, 99, stops_source_id=1)
    done = ClockEvent(E.EARLY_HELP_ASSESSMENT, date(2025, 1, 20), "a", 5, 99, stops_source_id=1)
    second = ClockEvent(E.EARLY_HELP_STARTED, date(2026, 2, 2), "e", 2, 99, flags, stops_source_id=2)
    clocks = _clocks([first, closed, done, second])
    by_start = {c.start.on: c for c in clocks["early-help-assessment"]}
    assert by_start[first.on].met_on == done.on
    assert by_start[second.on].met_on is None  # the first family's assessment does not meet the second's


def test_the_councils_closure_list_turns_reasons_off_and_adds_its_own() -> None:
    settings = {
        rules.closure_setting("moved_away"): False,
        rules.LOCAL_REASONS_SETTING: " Family Hub support continues ;;x",
    }
    offered = rules.closure_reasons(settings)
    assert "moved_away" not in offered and "outcomes_achieved" in offered
    assert offered["local:Family Hub support continues"] == "Family Hub support continues"
    assert rules.closure_label("local:x") == "x" and rules.closure_label("moved_away").startswith("The family moved")


NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ '-", min_size=1, max_size=40).filter(
    lambda n: any(c.isalpha() for c in n)
)


@given(NAMES, st.sampled_from(["", " ", "  "]))
def test_a_team_member_twice_is_a_duplicate_whatever_the_spacing_or_case(name: str, pad: str) -> None:
    existing = [(name, "Oak School", "class teacher")]
    assert rules.duplicate_member(existing, pad + name.swapcase() + pad, "oak  school", "head of year")
    assert not rules.duplicate_member(existing, name + "x", "Oak School", "class teacher")
    assert not rules.duplicate_member(existing, name, "Elm School", "class teacher")
