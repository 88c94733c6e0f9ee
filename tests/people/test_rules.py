"""The pure rules about people: identifiers, postcodes, names, dates and match scoring."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import assume, given, reject
from hypothesis import strategies as st

from safeguarding.people import rules

nine_digits = st.text(alphabet="0123456789", min_size=9, max_size=9)


def _with_check(first_nine: str) -> str | None:
    check = rules.nhs_check_digit(first_nine)
    return None if check is None else first_nine + str(check)


# --- NHS number ------------------------------------------------------------------------------------------------------


def test_published_example_nhs_number_is_valid_with_spaces_or_dashes() -> None:
    assert rules.is_valid_nhs_number("943 476 5919")
    assert rules.is_valid_nhs_number("943-476-5919")
    assert rules.normalise_nhs_number(" 943 476-5919 ") == "9434765919"


@pytest.mark.parametrize("raw", ["943 476 5918", "94347659", "94347659190", "943476591X", ""])
def test_wrong_nhs_numbers_are_refused_with_a_reason(raw: str) -> None:
    assert rules.nhs_number_problem(raw) is not None


@given(nine_digits)
def test_numbers_made_with_the_algorithm_are_valid(first_nine: str) -> None:
    number = _with_check(first_nine)
    if number is None:
        reject()
    assert rules.is_valid_nhs_number(number)


@given(nine_digits, st.integers(min_value=0, max_value=9), st.integers(min_value=1, max_value=9))
def test_any_single_digit_change_is_caught(first_nine: str, position: int, shift: int) -> None:
    number = _with_check(first_nine)
    if number is None:
        reject()
    changed = number[:position] + str((int(number[position]) + shift) % 10) + number[position + 1 :]
    assert not rules.is_valid_nhs_number(changed)


def test_remainder_ten_means_no_valid_number() -> None:
    # 0000000 + digits chosen so the weighted sum is 1 mod 11: 11 - 1 = 10, never issued.
    found = next(f"{n:09d}" for n in range(1000) if rules.nhs_check_digit(f"{n:09d}") is None)
    for last in "0123456789":
        assert not rules.is_valid_nhs_number(found + last)


# --- UPN -------------------------------------------------------------------------------------------------------------

upn_bodies = st.tuples(
    st.text(alphabet="0123456789", min_size=11, max_size=11), st.sampled_from("0123456789" + rules.UPN_LETTERS)
).map("".join)


@given(upn_bodies)
def test_upns_made_with_the_check_letter_are_valid_in_any_case(body: str) -> None:
    upn = rules.upn_check_letter(body) + body
    assert rules.is_valid_upn(upn)
    assert rules.is_valid_upn(upn.lower())
    assert rules.normalise_upn(upn.lower()) == upn


@given(upn_bodies, st.integers(min_value=1, max_value=11), st.integers(min_value=1, max_value=9))
def test_any_single_digit_change_in_a_upn_is_caught(body: str, position: int, shift: int) -> None:
    upn = rules.upn_check_letter(body) + body
    changed = upn[:position] + str((int(upn[position]) + shift) % 10) + upn[position + 1 :]
    assert not rules.is_valid_upn(changed)


@given(upn_bodies, st.sampled_from(rules.UPN_LETTERS))
def test_a_wrong_check_letter_is_caught(body: str, letter: str) -> None:
    assume(letter != rules.upn_check_letter(body))
    assert rules.upn_problem(letter + body) == (
        "UPN check letter does not match the rest of the UPN: check it was typed correctly"
    )


def test_upn_format_rules_1540_and_1550() -> None:
    body = "20112345678"
    good = rules.upn_check_letter(body + "A") + body + "A"
    assert rules.is_valid_upn(good)  # temporary UPN ends in a letter
    assert "characters 2 to 12" in (rules.upn_problem("A2011234567X8") or "")
    assert "character 13" in (rules.upn_problem("A20112345678I") or "")
    assert "13 characters" in (rules.upn_problem("A2011") or "")


def test_la_child_id_rules_1570_and_1580() -> None:
    assert rules.la_child_id_problem("SG00000012") is None
    assert rules.la_child_id_problem("A" * 21) is not None
    assert rules.la_child_id_problem("SG-12") is not None


# --- postcodes -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("sw1a1aa", "SW1A 1AA"),
        (" M1  1AE ", "M1 1AE"),
        ("b338th", "B33 8TH"),
        ("CR2 6XH", "CR2 6XH"),
        ("dn551pt", "DN55 1PT"),
        ("GIR0AA", "GIR 0AA"),
    ],
)
def test_postcodes_are_stored_in_one_form(raw: str, stored: str) -> None:
    assert rules.is_valid_postcode(raw)
    assert rules.normalise_postcode(raw) == stored


@pytest.mark.parametrize("raw", ["SW1A", "12345", "SW1A 1CA", "QQ1 1AAA", "", "S W"])
def test_impossible_postcodes_are_refused(raw: str) -> None:
    assert not rules.is_valid_postcode(raw)


@given(st.text(max_size=12))
def test_normalising_a_postcode_twice_changes_nothing(raw: str) -> None:
    once = rules.normalise_postcode(raw)
    assert rules.normalise_postcode(once) == once


# --- names -----------------------------------------------------------------------------------------------------------


def test_name_keys_ignore_case_accents_hyphens_and_apostrophes() -> None:
    assert rules.name_key("O'Brien") == rules.name_key("obrien") == "obrien"
    assert rules.name_key("Zoë") == rules.name_key("ZOE")
    assert rules.name_key("Mary-Jane") == rules.name_key("Mary Jane") == "maryjane"
    assert rules.name_key("Strauß") == "strauss"


def test_sound_keys_group_names_that_sound_alike() -> None:
    assert rules.sound_key("Smyth") == rules.sound_key("Smith")
    assert rules.sound_key("Jon") == rules.sound_key("John")
    assert rules.sound_key("Mohammed") == rules.sound_key("Muhammad")
    assert rules.sound_key("Smith") != rules.sound_key("Jones")


@given(st.text(max_size=40))
def test_normalising_a_name_twice_changes_nothing(name: str) -> None:
    once = rules.name_key(name)
    assert rules.name_key(once) == once
    assert len(rules.sound_key(name)) <= rules.SOUND_KEY_LENGTH


@given(st.text(max_size=40))
def test_cleaning_a_name_twice_changes_nothing(name: str) -> None:
    once = rules.clean_name(name)
    assert rules.clean_name(once) == once


# --- dates -----------------------------------------------------------------------------------------------------------

TODAY = date(2026, 1, 15)


def _problems(**kwargs: Any) -> dict[str, str]:
    base: dict[str, Any] = {
        "is_child": True,
        "date_of_birth": None,
        "expected_date_of_birth": None,
        "date_of_death": None,
        "sex": None,
        "today": TODAY,
    }
    base.update(kwargs)
    return rules.date_problems(**base)


def test_birth_not_in_the_future() -> None:
    assert "date_of_birth" in _problems(date_of_birth=TODAY + timedelta(days=1))
    assert _problems(date_of_birth=TODAY) == {}


def test_expected_birth_only_for_an_unborn_child() -> None:
    assert "expected_date_of_birth" in _problems(is_child=False, expected_date_of_birth=TODAY + timedelta(days=60))
    assert "expected_date_of_birth" in _problems(
        date_of_birth=date(2020, 1, 1), expected_date_of_birth=TODAY + timedelta(days=60)
    )
    assert "expected_date_of_birth" in _problems(expected_date_of_birth=TODAY + timedelta(days=400))
    assert _problems(expected_date_of_birth=TODAY + timedelta(days=60), sex="U") == {}
    assert "sex" in _problems(expected_date_of_birth=TODAY + timedelta(days=60), sex="F")


def test_death_not_before_birth_nor_in_the_future() -> None:
    assert "date_of_death" in _problems(date_of_birth=date(2020, 5, 1), date_of_death=date(2020, 4, 30))
    assert "date_of_death" in _problems(date_of_death=TODAY + timedelta(days=1))
    assert _problems(date_of_birth=date(2020, 5, 1), date_of_death=date(2020, 5, 1)) == {}


def test_age_sanity() -> None:
    assert "date_of_birth" in _problems(is_child=True, date_of_birth=date(1990, 1, 1))
    assert _problems(is_child=False, date_of_birth=date(1990, 1, 1)) == {}
    assert "date_of_birth" in _problems(is_child=False, date_of_birth=date(1890, 1, 1))


# --- match scoring ---------------------------------------------------------------------------------------------------


def _query(first: str = "", last: str = "", **kw: Any) -> rules.MatchQuery:
    return rules.MatchQuery(first_key=rules.name_key(first), last_key=rules.name_key(last), **kw)


def _record(first: str, last: str, **kw: Any) -> rules.MatchRecord:
    return rules.MatchRecord(first_key=rules.name_key(first), last_key=rules.name_key(last), **kw)


def test_misspelt_names_match_and_say_why() -> None:
    result = rules.score_match(_query("Jon", "Smyth"), _record("John", "Smith"))
    assert result.matched and rules.REASON_SOUNDS_LIKE in result.reasons


def test_transposed_names_match_and_say_why() -> None:
    result = rules.score_match(_query("Smith", "John"), _record("John", "Smith"))
    assert result.matched and result.reasons == (rules.REASON_TRANSPOSED,)


def test_a_different_name_is_not_a_candidate_even_with_the_same_birthday() -> None:
    result = rules.score_match(
        _query("Aisha", "Khan", date_of_birth=date(2015, 1, 1)),
        _record("John", "Smith", date_of_birth=date(2015, 1, 1)),
    )
    assert not result.matched


def test_nhs_number_outranks_names_and_a_different_one_counts_against() -> None:
    same = rules.score_match(
        _query("John", "Smith", nhs_number="9434765919"), _record("John", "Smith", nhs_number="9434765919")
    )
    other = rules.score_match(
        _query("John", "Smith", nhs_number="9434765919"), _record("John", "Smith", nhs_number="4010232137")
    )
    assert same.score > other.score
    assert rules.REASON_NHS in same.reasons


def test_alias_matches() -> None:
    result = rules.score_match(_query("Jay", "Brown"), _record("Jason", "Green", aliases=(("jay", "brown"),)))
    assert result.matched and rules.REASON_ALIAS in result.reasons


names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12)


@given(names, names)
def test_a_person_always_matches_their_own_name_exactly(first: str, last: str) -> None:
    result = rules.score_match(_query(first, last), _record(first, last))
    assert result.matched and rules.REASON_SAME_NAME in result.reasons
    assert 0 <= result.score <= 100


def test_a_lone_first_name_is_also_tried_as_a_surname() -> None:
    result = rules.score_match(_query("Smith", ""), _record("John", "Smith"))
    assert result.matched and result.reasons == (rules.REASON_TRANSPOSED,)
    assert rules.score_match(_query("John", ""), _record("John", "Smith")).reasons == (rules.REASON_SOUNDS_LIKE,)


@given(names, st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=4, max_size=14), st.data())
def test_a_surname_with_one_letter_dropped_still_matches(first: str, last: str, data: st.DataObject) -> None:
    i = data.draw(st.integers(min_value=0, max_value=len(last) - 1))
    slip = last[:i] + last[i + 1 :]
    result = rules.score_match(_query(first, slip), _record(first, last))
    assert result.matched and result.reasons[0] in (
        rules.REASON_SOUNDS_LIKE,
        rules.REASON_SAME_NAME,
        rules.REASON_TRANSPOSED,
    )
