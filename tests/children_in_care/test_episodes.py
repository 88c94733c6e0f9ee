"""The SSDA903 episodes derived from the events of care (children_in_care.rules.episodes): contiguous, never
overlapping, one episode for each day something changed, the reason for the new episode (RNE) from what changed,
same-day changes combined, and the reason for a placement change on the episode that the move ends."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from safeguarding.children_in_care.rules import (
    CARER,
    LEAVE,
    LEGAL_STATUS,
    PLACEMENT,
    START,
    X1,
    CareChange,
    care_now,
    episodes,
    order_problem,
)

DAY0 = date(2025, 5, 6)


def start(on: date = DAY0, **values: object) -> CareChange:
    fields: dict[str, object] = {
        "legal_status": "V2",
        "category_of_need": "N1",
        "placement_type": "U6",
        "placement_provider": "PR1",
        "carer": "Carer A",
        "placement_postcode": "AB1 2CD",
        "home_postcode": "AB3 4EF",
    }
    fields.update(values)
    return CareChange(START, on, id=1, **fields)  # type: ignore[arg-type]


def placement(on: date, carer: str = "Carer B", place: str = "U6", reason: str = "CARPL", id: int = 10) -> CareChange:
    return CareChange(
        PLACEMENT,
        on,
        placement_type=place,
        placement_provider="PR4",
        carer=carer,
        placement_postcode="ZZ9 9ZZ",
        reason_place_change=reason,
        id=id,
    )


def test_a_child_who_comes_into_care_has_one_open_episode_started_to_be_looked_after() -> None:
    (only,) = episodes([start()])
    assert only.rne == "S" and only.decom == DAY0 and only.dec is None
    assert only.row()["PL_POST"] == "AB1 2" and only.row()["DECOM"] == "06/05/2025"


def test_a_move_ends_the_episode_before_it_with_the_reason_for_the_move() -> None:
    first, second = episodes([start(), placement(DAY0 + timedelta(days=30), reason="CHILD")])
    assert (first.dec, first.rec, first.reason_place_change) == (second.decom, X1, "CHILD")
    assert second.rne == "P" and second.reason_place_change is None


def test_a_move_with_the_same_carer_is_a_change_of_placement_only() -> None:
    _, second = episodes([start(), placement(DAY0 + timedelta(days=3), carer="Carer A", place="U4")])
    assert second.rne == "T"


def test_a_new_carer_in_the_same_placement_is_a_change_of_placement_and_carer() -> None:
    _, second = episodes([start(), CareChange(CARER, DAY0 + timedelta(days=3), carer="Carer C", id=5)])
    assert second.rne == "P" and second.place == "U6" and second.carer == "Carer C"


def test_a_legal_status_and_a_move_on_the_same_day_make_one_episode() -> None:
    day = DAY0 + timedelta(days=40)
    derived = episodes([start(), CareChange(LEGAL_STATUS, day, legal_status="C1", id=4), placement(day)])
    assert [e.rne for e in derived] == ["S", "B"]
    assert derived[1].ls == "C1" and derived[1].carer == "Carer B"
    same_carer = episodes([start(), CareChange(LEGAL_STATUS, day, legal_status="C1", id=4), placement(day, "Carer A")])
    assert [e.rne for e in same_carer] == ["S", "U"]


def test_changes_on_the_day_the_child_came_into_care_belong_to_the_first_episode() -> None:
    (only,) = episodes([start(), CareChange(LEGAL_STATUS, DAY0, legal_status="L1", id=2)])
    assert only.rne == "S" and only.ls == "L1"


def test_the_same_legal_status_again_opens_no_episode() -> None:
    assert len(episodes([start(), CareChange(LEGAL_STATUS, DAY0 + timedelta(days=9), legal_status="V2", id=2)])) == 1


def test_leaving_care_ends_the_last_episode_with_its_reason_and_a_return_starts_again() -> None:
    back = DAY0 + timedelta(days=200)
    derived = episodes(
        [start(), CareChange(LEAVE, DAY0 + timedelta(days=100), reason_ended="E4A", id=3), start(back), placement(back)]
    )
    assert [(e.rne, e.rec) for e in derived] == [("S", "E4A"), ("S", None)]
    assert derived[1].carer == "Carer B"


def test_where_the_child_is_now_and_since_when() -> None:
    moved = DAY0 + timedelta(days=20)
    now = care_now([start(), placement(moved), CareChange(LEGAL_STATUS, moved + timedelta(days=5), legal_status="C2")])
    assert now is not None
    assert (now.legal_status, now.carer, now.in_care_since, now.placed_since) == ("C2", "Carer B", DAY0, moved)


# --- the order of events ---------------------------------------------------------------------------------------


def test_a_change_before_the_child_came_into_care_is_refused_in_plain_english() -> None:
    problem = order_problem([start()], placement(DAY0 - timedelta(days=1)))
    assert problem == "The change of placement is dated 5 May 2025, before the child came into care on 6 May 2025"


def test_a_placement_cannot_end_before_it_starts() -> None:
    moved = DAY0 + timedelta(days=20)
    problem = order_problem([start(), placement(moved)], CareChange(LEAVE, moved - timedelta(days=1), id=0))
    assert problem is not None and "care cannot end before it starts" in problem
    problem = order_problem([start(), placement(moved)], placement(moved - timedelta(days=2), id=0))
    assert problem is not None and "a placement cannot end before it starts" in problem


def test_a_correction_keeps_the_event_between_its_neighbours() -> None:
    first, second = DAY0 + timedelta(days=20), DAY0 + timedelta(days=40)
    events = [start(), placement(first, id=10), placement(second, id=11)]
    assert order_problem(events, placement(second + timedelta(days=1), id=10), replacing=10) is not None
    assert order_problem(events, placement(first + timedelta(days=5), id=10), replacing=10) is None


def test_nothing_after_leaving_care() -> None:
    left = DAY0 + timedelta(days=20)
    problem = order_problem(
        [start(), CareChange(LEAVE, left, reason_ended="E13", id=2)], placement(left + timedelta(1))
    )
    assert problem is not None and "after the child left care on" in problem


# --- properties -----------------------------------------------------------------------------------------------

CHANGES = st.tuples(
    st.integers(min_value=0, max_value=60),
    st.sampled_from([LEGAL_STATUS, PLACEMENT, CARER]),
    st.sampled_from(["C1", "C2", "V2"]),
    st.sampled_from(["Carer A", "Carer B", "Carer C"]),
    st.sampled_from(["U6", "K2"]),
)


def _history(draws: list[tuple[int, str, str, str, str]], leave_after: int | None) -> list[CareChange]:
    events = [start()]
    for index, (offset, kind, ls, carer, place) in enumerate(draws, start=2):
        on = DAY0 + timedelta(days=offset)
        if kind == LEGAL_STATUS:
            events.append(CareChange(kind, on, legal_status=ls, id=index))
        elif kind == CARER:
            events.append(CareChange(kind, on, carer=carer, reason_place_change="CLOSE", id=index))
        else:
            events.append(placement(on, carer=carer, place=place, id=index))
    if leave_after is not None:
        last = max(e.on for e in events)
        events.append(CareChange(LEAVE, last + timedelta(days=leave_after), reason_ended="E13", id=999))
    return events


def _days_with_a_change(events: list[CareChange]) -> int:
    """Days after the first on which the legal status, placement or carer in force differs from the day before."""
    state: dict[str, object] = {"ls": "V2", "place": ("U6", "PR1", "AB1 2CD", None), "carer": "Carer A"}
    count = 0
    for day in sorted({e.on for e in events if e.kind != LEAVE}):
        before = dict(state)
        for e in sorted((e for e in events if e.on == day and e.kind != START), key=lambda e: e.id):
            if e.kind == LEGAL_STATUS:
                state["ls"] = e.legal_status
            elif e.kind == CARER:
                state["carer"] = e.carer
            elif e.kind == PLACEMENT:
                state["place"] = (e.placement_type, e.placement_provider, e.placement_postcode, e.urn)
                state["carer"] = e.carer
        count += day > DAY0 and state != before
    return count


@given(st.lists(CHANGES, max_size=12), st.one_of(st.none(), st.integers(min_value=0, max_value=30)))
def test_episodes_are_contiguous_never_overlap_and_each_day_of_change_opens_one(
    draws: list[tuple[int, str, str, str, str]], leave_after: int | None
) -> None:
    events = _history(draws, leave_after)
    derived = episodes(events)
    assert derived[0].rne == "S" and derived[0].decom == DAY0
    for earlier, later in pairwise(derived):
        assert earlier.dec == later.decom and earlier.rec == X1  # contiguous within the period
        assert earlier.decom < later.decom  # never two on one day, never overlapping
    for episode in derived:
        assert episode.dec is None or episode.decom <= episode.dec
    assert (derived[-1].dec is None) == (leave_after is None)
    assert len(derived) - 1 == _days_with_a_change(events)


@given(st.lists(CHANGES, max_size=12))
def test_the_reason_for_each_new_episode_says_what_changed(draws: list[tuple[int, str, str, str, str]]) -> None:
    derived = episodes(_history(draws, None))
    for earlier, later in pairwise(derived):
        ls = earlier.ls != later.ls
        place = (earlier.place, earlier.place_provider, earlier.pl_post, earlier.urn) != (
            later.place,
            later.place_provider,
            later.pl_post,
            later.urn,
        )
        carer = earlier.carer != later.carer
        assert (
            later.rne
            == {
                (True, False, False): "L",
                (True, True, False): "U",
                (True, True, True): "B",
                (True, False, True): "B",
                (False, True, False): "T",
                (False, True, True): "P",
                (False, False, True): "P",
            }[(ls, place, carer)]
        )
        # The DfE's rule 434: a change of legal status only keeps the placement's fields.
        if later.rne == "L":
            assert (earlier.place, earlier.pl_post, earlier.urn) == (later.place, later.pl_post, later.urn)
        # Rule 225: a move records its reason on the episode it ends.
        if later.rne in {"P", "T", "U", "B"}:
            assert earlier.reason_place_change is not None


@given(st.lists(CHANGES, max_size=8), st.randoms())
def test_the_order_events_are_given_in_does_not_matter(draws: list[tuple[int, str, str, str, str]], rnd) -> None:  # type: ignore[no-untyped-def]
    events = _history(draws, 3)
    shuffled = list(events)
    rnd.shuffle(shuffled)
    assert episodes(shuffled) == episodes(events)
