"""Property tests for the rules behind passwords, second factors, tokens and local settings."""

from __future__ import annotations

import time

import pyotp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from safeguarding.core.local_settings import DEFINITIONS, SettingDefinition, parse_value
from safeguarding.core.security import (
    COMMON_LONG_PASSWORDS,
    MIN_PASSWORD_LENGTH,
    new_token,
    password_problem,
    token_digest,
    totp_step,
    verify_totp,
)

printable = st.text(st.characters(blacklist_categories=["Cs"]), max_size=60)


@given(printable)
def test_short_passwords_are_always_refused(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        assert password_problem(password) is not None


@given(
    st.text(st.characters(blacklist_categories=["Cs"]), min_size=MIN_PASSWORD_LENGTH, max_size=200).filter(
        lambda p: len(set(p)) > 1 and p.lower() not in COMMON_LONG_PASSWORDS
    )
)
def test_long_varied_uncommon_passwords_are_accepted_without_composition_rules(password: str) -> None:
    assert password_problem(password) is None


@given(st.characters(blacklist_categories=["Cs"]), st.integers(MIN_PASSWORD_LENGTH, 80))
def test_one_repeated_character_is_refused(char: str, length: int) -> None:
    assert password_problem(char * length) is not None


@given(st.from_regex(r"[a-z]{3,12}", fullmatch=True), printable, printable)
def test_a_password_containing_the_username_is_refused(username: str, before: str, after: str) -> None:
    password = before + username.upper() + after + "x" * MIN_PASSWORD_LENGTH
    assert password_problem(password, username) is not None


@pytest.mark.parametrize("password", sorted(COMMON_LONG_PASSWORDS))
def test_common_passwords_are_refused_in_any_case(password: str) -> None:
    assert password_problem(password.upper()) is not None


@given(st.text(max_size=10))
def test_only_a_current_code_passes_the_second_factor(code: str) -> None:
    secret = pyotp.random_base32()
    totp = pyotp.TOTP(secret)
    now = time.time()
    assert verify_totp(secret, totp.at(now))
    current = totp.at(now)
    assert verify_totp(secret, f" {current[:3]} {current[3:]} ")  # spaced as some apps show it
    assert not verify_totp(secret, totp.at(now - 120))  # a code from minutes ago
    if code.strip().replace(" ", "") not in {totp.at(now + step * 30) for step in (-1, 0, 1, 2)}:
        assert not verify_totp(secret, code)


@given(st.integers(-3, 3), st.floats(min_value=1e9, max_value=4e9))
def test_the_matched_time_step_of_a_code_is_found_within_the_window(offset: int, now: float) -> None:
    secret = pyotp.random_base32()
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    code = totp.generate_otp(current + offset)
    # A code of another step in the window can be the same six digits by chance (1 in a million).
    same_digits = {step for step in range(current - 1, current + 2) if totp.generate_otp(step) == code}
    if abs(offset) <= 1:
        assert totp_step(secret, code, now) == max(same_digits)
    else:
        assert totp_step(secret, code, now) == (max(same_digits) if same_digits else None)


def test_tokens_are_long_random_and_only_a_fixed_length_digest_is_kept() -> None:
    tokens = {new_token() for _ in range(200)}
    assert len(tokens) == 200 and all(len(t) >= 43 for t in tokens)
    digests = {token_digest(t) for t in tokens}
    assert len(digests) == 200 and all(len(d) == 64 for d in digests)


numeric = [d for d in DEFINITIONS.values() if d.kind in (int, float)]
yes_no = [d for d in DEFINITIONS.values() if d.kind is bool]


@given(st.sampled_from(numeric), st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6))
def test_numbers_within_the_bounds_are_kept_and_others_refused(definition: SettingDefinition, value: float) -> None:
    raw = str(int(value)) if definition.kind is int else repr(value)
    number = definition.kind(raw)
    in_bounds = definition.minimum <= number <= definition.maximum
    if in_bounds:
        assert parse_value(definition, f" {raw} ") == number
    else:
        with pytest.raises(ValueError, match="must be at"):
            parse_value(definition, raw)


@given(st.sampled_from(numeric), st.text(st.characters(whitelist_categories=["L"]), min_size=1, max_size=10))
def test_words_are_not_numbers(definition: SettingDefinition, word: str) -> None:
    with pytest.raises(ValueError, match="must be a number"):
        parse_value(definition, word)


@given(st.sampled_from(yes_no), st.sampled_from(["yes", "YES", "on", "true", "1", " yes "]))
def test_yes_values(definition: SettingDefinition, raw: str) -> None:
    assert parse_value(definition, raw) is True


@given(
    st.sampled_from(yes_no),
    st.text(max_size=8).filter(
        lambda t: t.strip().lower() not in {"true", "yes", "on", "1", "false", "no", "off", "0", ""}
    ),
)
def test_anything_else_is_not_yes_or_no(definition: SettingDefinition, raw: str) -> None:
    with pytest.raises(ValueError, match="yes or no"):
        parse_value(definition, raw)


@given(st.integers(0, 23), st.integers(0, 59))
def test_office_hours_take_any_clock_time(hours: int, minutes: int) -> None:
    assert parse_value(DEFINITIONS["office.opens"], f"{hours:02d}:{minutes:02d}") == f"{hours:02d}:{minutes:02d}"


@given(
    st.text(max_size=8).filter(
        lambda t: (
            not (
                len(t.strip().split(":")) == 2
                and all(p.isdigit() for p in t.strip().split(":"))
                and int(t.strip().split(":")[0]) < 24
                and int(t.strip().split(":")[1]) < 60
            )
        )
    )
)
def test_anything_but_a_clock_time_is_refused_for_office_hours(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_value(DEFINITIONS["office.closes"], raw)


addresses = st.ip_addresses().map(str)


@given(st.lists(addresses, max_size=5), addresses, st.booleans())
def test_the_throttled_client_is_the_last_address_before_our_proxies(
    forwarded: list[str], peer: str, through_proxy: bool
) -> None:
    from starlette.requests import Request

    from safeguarding.web.deps import client_address

    peer = "127.0.0.1" if through_proxy else peer
    request = Request(
        {
            "type": "http",
            "client": (peer, 4000),
            "headers": [(b"x-forwarded-for", ", ".join(forwarded).encode())] if forwarded else [],
        }
    )
    trusted = {"127.0.0.1", "::1"}
    if peer not in trusted:
        assert client_address(request) == peer  # a client's own X-Forwarded-For is never believed
    else:
        untrusted = [hop for hop in forwarded if hop not in trusted]
        assert client_address(request) == (untrusted[-1] if untrusted else peer)
