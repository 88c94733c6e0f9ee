"""Step-up and step-down rules (pure): which consent each direction may go ahead with, and the step-up's contact."""

from __future__ import annotations

import pytest

from safeguarding.early_help.transitions_rules import (
    Consent,
    Direction,
    consent_problem,
    contact_terms,
)
from safeguarding.front_door.models import ConsentPosition


def test_a_step_up_without_consent_goes_ahead_only_with_the_reason_a_child_is_at_risk() -> None:
    assert consent_problem(Direction.UP, Consent.GIVEN, None) is None
    assert consent_problem(Direction.UP, Consent.REFUSED_AT_RISK, "") == (
        "Say why a child is at risk, so the step-up goes ahead without the family's agreement"
    )
    assert consent_problem(Direction.UP, Consent.REFUSED_AT_RISK, "Bruising seen at school") is None
    assert consent_problem(Direction.UP, Consent.NOT_SOUGHT_AT_RISK, "Father would flee") is None


@pytest.mark.parametrize("direction", [Direction.DOWN, Direction.ACROSS])
def test_a_step_down_or_a_change_of_plan_needs_the_family_to_agree(direction: Direction) -> None:
    assert consent_problem(direction, Consent.GIVEN, None) is None
    assert consent_problem(direction, Consent.REFUSED_AT_RISK, "reason") is not None
    assert consent_problem(direction, None, None) == "Choose whether the family agrees"


def test_the_step_up_contact_is_5d_from_council_early_help_and_the_agency_source_from_a_partner() -> None:
    council = contact_terms(Consent.GIVEN, None)
    assert (council.partner, council.referral_source, council.consent) == (False, "5D", "consent_given")
    school = contact_terms(Consent.NOT_SOUGHT_AT_RISK, "2A")
    assert (school.partner, school.referral_source) == (True, "2A")
    assert ConsentPosition(school.consent) == ConsentPosition.NOT_INFORMED_RISK
    # A partner agency with no usual source still makes a contact from early help.
    assert contact_terms(Consent.GIVEN, "").referral_source == "5D"


def test_every_consent_maps_to_a_front_door_consent_position() -> None:
    for consent in Consent:
        ConsentPosition(contact_terms(consent, None).consent)
