"""Module 5 of the CIN census (pre-proceedings and FGDM), from 2026-27: each rule both ways on a file of that year,
none of them in an earlier year, and the export of the live record carrying the module only in the years that have
it."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest

from safeguarding.casework.models import Referral
from safeguarding.family_network.models import FamilyNetworkMeeting, FgdmOffer, PreProceedings
from safeguarding.people.models import Person, PersonKind
from safeguarding.returns.cin_census.census import CensusYear
from safeguarding.returns.cin_census.export import children_in_scope
from safeguarding.returns.cin_census.rules import RULES, rules_for
from safeguarding.returns.cin_census.validator import validate_file
from tests.returns.census_xml import _leaves, census, child, episode
from tests.support import Factory

YEAR = 2027  # 1 April 2026 to 31 March 2027
GOOD: dict[str, str] = {
    "PPStartDate": "2026-06-01",
    "LBPSentDate": "2026-06-10",
    "FGDMMeetingOffer": "1",
    "FGDMMeetingFac": "1",
    "InitialPPMeetingDate": "2026-06-24",
    "ReviewMeetingsCount": "1",
    "StepDecisionDate": "2026-09-01",
    "PPOutcome": "B",
    "CourtAppDate": "2026-09-08",
    "LetterInitCPDate": "2026-09-09",
}


def block(**changes: str | None) -> str:
    items = {**GOOD, **changes}
    return "<PreProceedingsandFGDM>" + _leaves(items.items()) + "</PreProceedingsandFGDM>"


def kid(*blocks: str) -> str:
    return child(episodes=[episode(referral="2026-05-01", cpps=list(blocks))])


CASES: dict[str, tuple[list[str], list[str]]] = {
    "8995Q": ([kid()], [kid(block())]),
    "9000Q": ([kid(block(PPStartDate=None))], [kid(block())]),
    "9005": ([kid(block(PPStartDate="2026-03-30", LBPSentDate=None))], [kid(block())]),
    "9006": ([kid(block(LBPSentDate="2026-05-30"))], [kid(block())]),
    "9007": ([kid(block(FGDMMeetingOffer=None, FGDMMeetingFac=None))], [kid(block(FGDMMeetingOffer="0"))]),
    "9008": ([kid(block(InitialPPMeetingDate="2027-04-02"))], [kid(block())]),
    "9009": ([kid(block(StepDecisionDate="2026-05-20"))], [kid(block())]),
    "9010Q": ([kid(block(FGDMMeetingFac=None))], [kid(block(FGDMMeetingOffer="0", FGDMMeetingFac=None))]),
    "9011": ([kid(block(PPOutcome="D"))], [kid(block(PPOutcome=None))]),
    "9012": ([kid(block(CourtAppDate="2026-08-30"))], [kid(block())]),
    "9013": ([kid(block(LetterInitCPDate="2026-09-07"))], [kid(block())]),
    "9015Q": ([kid(block(ReviewMeetingsCount=None))], [kid(block(ReviewMeetingsCount="0"))]),
}


def codes_found(children: list[str], code: str, year: int = YEAR) -> list[str]:
    report = validate_file(io.BytesIO(census(*children, year=year)), CensusYear(year))
    return [f.code for f in report.findings if f.code == code]


def test_every_module_5_rule_has_both_cases() -> None:
    assert set(CASES) == {code for code, rule in RULES.items() if rule.module == "PreProceedings"}


@pytest.mark.parametrize("code", sorted(CASES))
def test_rule_fires(code: str) -> None:
    assert codes_found(CASES[code][0], code), f"{code} did not fire"


@pytest.mark.parametrize("code", sorted(CASES))
def test_rule_stays_quiet(code: str) -> None:
    assert codes_found(CASES[code][1], code) == [], f"{code} fired on a file that keeps it"


@pytest.mark.parametrize("code", sorted(CASES))
def test_no_module_5_rule_before_2026_27(code: str) -> None:
    """2025-26 carries the block through unchecked (the D2I sample file has it): the rules start with 2026-27."""
    assert RULES[code] not in rules_for(2026)
    assert codes_found(CASES[code][0], code, year=2026) == []


@pytest.mark.parametrize(("offer", "facilitated"), [("true", "false"), ("TRUE", "1"), ("0", None), ("false", None)])
def test_the_fgdm_flags_are_the_dfes_yes_no_values(offer: str, facilitated: str | None) -> None:
    """FGDMMeetingOffer and FGDMMeetingFac are yes/no items (9010Q: "present and equals true"): true and false are
    as good as 1 and 0, and an offer answered no asks nothing about the meeting."""
    children = [kid(block(FGDMMeetingOffer=offer, FGDMMeetingFac=facilitated))]
    assert codes_found(children, "9007") == []
    assert codes_found(children, "9010Q") == []


@pytest.mark.parametrize("code", ["9007", "9010Q"])
def test_a_flag_that_is_not_yes_or_no_is_found(code: str) -> None:
    item = "FGDMMeetingOffer" if code == "9007" else "FGDMMeetingFac"
    assert codes_found([kid(block(**{item: "maybe"}))], code) == [code]


def test_the_2026_27_ruleset_adds_the_module_to_the_109() -> None:
    assert len(rules_for(2026)) == 109
    assert len(rules_for(YEAR)) == 109 + len(CASES)


def _child_in_pre_proceedings(factory: Factory, referral_on: date, decided_on: date) -> int:
    with factory.database.transaction() as s:
        person = Person(
            kind=PersonKind.CHILD,
            first_name="Casey",
            last_name="Testpre",
            sex="F",
            date_of_birth=date(2016, 2, 3),
            ethnicity="WBRI",
            la_child_id="PP1",
        )
        s.add(person)
        s.flush()
        referral = Referral(
            person_id=person.id,
            referral_date=referral_on,
            referral_source="2A",
            primary_need="N1",
            route="referral_for_assessment",
        )
        s.add(referral)
        s.flush()
        letter = decided_on + timedelta(days=7)
        s.add_all(
            [
                PreProceedings(
                    person_id=person.id,
                    referral_id=referral.id,
                    decided_on=decided_on,
                    letter_sent_on=letter,
                    first_meeting_on=letter + timedelta(days=10),
                    review_meetings=2,
                    step_decided_on=letter + timedelta(days=100),
                    outcome="step_down",
                ),
                FgdmOffer(
                    person_id=person.id,
                    offered_on=letter,
                    offered_to="Mother",
                    in_letter_before_proceedings=True,
                    response="accepted",
                ),
                FamilyNetworkMeeting(
                    person_id=person.id, held_on=letter + timedelta(days=5), who_came="Mother, aunt", family_plan="P"
                ),
            ]
        )
        return person.id


def test_the_live_record_reports_module_5_from_2026_27_only(factory: Factory) -> None:
    person_id = _child_in_pre_proceedings(factory, date(2026, 4, 20), date(2026, 5, 4))
    with factory.database.transaction() as s:
        (child_2027,) = [c for c in children_in_scope(s, CensusYear(YEAR)) if c.person_id == person_id]
        (pp,) = child_2027.episodes[0].pre_proceedings
        assert pp.items == {
            "PPStartDate": "2026-05-04",
            "LBPSentDate": "2026-05-11",
            "FGDMMeetingOffer": "1",
            "FGDMMeetingFac": "1",
            "InitialPPMeetingDate": "2026-05-21",
            "ReviewMeetingsCount": "2",
            "StepDecisionDate": "2026-08-19",
            "PPOutcome": "A",
        }
        assert list(pp.items) == [name for name in GOOD if name in pp.items]  # the specification's order


def test_pre_proceedings_of_another_year_are_not_this_years(factory: Factory) -> None:
    """Every module 5 date must fall in the year (9005): pre-proceedings begun the year before are left out."""
    person_id = _child_in_pre_proceedings(factory, date(2026, 1, 5), date(2026, 2, 2))
    with factory.database.transaction() as s:
        for year in (2026, YEAR):
            (found,) = [c for c in children_in_scope(s, CensusYear(year)) if c.person_id == person_id]
            assert found.episodes[0].pre_proceedings == []


def test_a_council_corrects_the_pp_outcome_letters_without_a_release(factory: Factory) -> None:
    """Which outcome each CS131 letter stands for was not published where the project could read it: a council
    that reads code set CS131 sets the letters (local settings), and the census reports its letters."""
    from safeguarding.core import local_settings
    from safeguarding.core.audit import Actor

    person_id = _child_in_pre_proceedings(factory, date(2026, 4, 20), date(2026, 5, 4))  # stepped down
    with factory.database.transaction() as s:
        changes = local_settings.validate(
            s,
            {
                "returns.cin_census.pp_outcome.step_down": "C",
                "returns.cin_census.pp_outcome.other": "A",
            },
        )
        local_settings.apply_changes(s, changes, Actor.system("test"), None)
    with factory.database.transaction() as s:
        (child_2027,) = [c for c in children_in_scope(s, CensusYear(YEAR)) if c.person_id == person_id]
        assert child_2027.episodes[0].pre_proceedings[0].items["PPOutcome"] == "C"


def test_two_outcomes_cannot_share_a_pp_outcome_letter(factory: Factory) -> None:
    from safeguarding.core import local_settings
    from safeguarding.core.errors import ValidationFailed

    with factory.database.transaction() as s:
        with pytest.raises(ValidationFailed) as refused:
            local_settings.validate(s, {"returns.cin_census.pp_outcome.step_down": "B"})
        (message,) = refused.value.errors.values()
        assert "must not be B" in message and "stepped up" in message
        with pytest.raises(ValidationFailed) as refused:
            local_settings.validate(s, {"returns.cin_census.pp_outcome.other": "D"})
        assert "must be one of: A, B, C" in next(iter(refused.value.errors.values()))
    with factory.database.transaction() as s:
        assert local_settings.get(s, "returns.cin_census.pp_outcome.step_down") == "A"
