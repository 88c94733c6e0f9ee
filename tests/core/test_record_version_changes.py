"""What each amendment changed (core.record_versions.changes_made): each kept version against the next one, the
newest against the record as it stands, only the fields asked about."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from safeguarding.core.record_versions import Amendment, Change, changes_made

LABELS = ("Level of need", "Rationale", "Signed off by")
VALUES = st.sampled_from(["", "1: Universal", "3: Complex", "Neglect from school", "Neglect, health too", "Ann"])
STATE = st.fixed_dictionaries({label: VALUES for label in LABELS})


def amendment(before: dict[str, str], n: int) -> Amendment:
    return Amendment(datetime(2026, 11, 3, 9, n, tzinfo=UTC), "A Worker", f"Reason {n}", list(before.items()))


@given(st.lists(STATE, min_size=2, max_size=6), st.sets(st.sampled_from(LABELS)))
def test_each_amendment_shows_what_it_changed_from_the_version_it_replaced(
    states: list[dict[str, str]], compared: set[str]
) -> None:
    # states[0] is the record as first saved; amendment i replaced states[i] with states[i + 1].
    found = [amendment(states[i], i) for i in reversed(range(len(states) - 1))]  # newest first
    shown = changes_made(found, list(states[-1].items()), compared)
    assert [a for a, _ in shown] == found
    for (kept, changed), i in zip(shown, reversed(range(len(states) - 1)), strict=True):
        assert kept.reason == f"Reason {i}"
        expected = [
            Change(label, states[i][label], states[i + 1][label])
            for label in states[i]  # in the order the version kept them
            if label in compared and states[i][label] != states[i + 1][label]
        ]
        assert changed == expected


def test_a_field_the_form_no_longer_has_is_left_out() -> None:
    found = [amendment({"Old question": "Yes", "Rationale": "First"}, 1)]
    assert changes_made(found, [("Rationale", "Second")]) == [(found[0], [Change("Rationale", "First", "Second")])]
