"""Every DfE rule of the CIN census, both ways: a minimal file that makes it fire, and one that keeps it quiet.

Each case is a list of child fragments (tests/returns/census_xml.py) read through the real XML reader and
validator. A rule in the registry without both cases fails the suite (test_every_rule_has_both_cases).
"""

from __future__ import annotations

import io
from typing import Any

import pytest

from safeguarding.returns.cin_census.census import CensusYear
from safeguarding.returns.cin_census.rules import RULES, Severity, rules_for
from safeguarding.returns.cin_census.validator import validate_file
from tests.returns.census_xml import (
    NFA,
    assessment,
    census,
    child,
    cin_plan,
    cpp,
    episode,
    s47,
    upn,
)

E = episode
# A section 47, its conference on 2025-05-20 and a plan from it.
CP_EPISODE: dict[str, Any] = dict(s47s=[s47()], cpps=[cpp()])
EIGHT = ["MOB", "HAND", "PC", "INC", "COMM", "LD", "HEAR", "VIS"]


def kids(*fragments: str) -> list[str]:
    return list(fragments)


def ep_child(**episode_fields: Any) -> list[str]:
    return [child(episodes=[E(**episode_fields)])]


# code: (children that make it fire, children that keep it quiet); a header case names its reference date.
CASES: dict[str, tuple[list[str], list[str]]] = {
    # --- Header
    "100": (kids(child()), kids(child())),  # the header is set per case below
    # --- ChildIdentifiers
    "1510": (kids(child(child_upn="A" + upn()[1:])), kids(child())),
    "1520": (kids(child("C1"), child("C2")), kids(child("C1"), child("C2", child_upn=upn(2)))),
    "1530": (kids(child(child_upn=upn(la="999"))), kids(child())),
    "1540": (kids(child(child_upn="Z2011500A0011")), kids(child())),
    "1550": (kids(child(child_upn="Z20115000001I")), kids(child())),
    "1560Q": (kids(child(former_upn="X12")), kids(child(former_upn="A123456789012"))),
    "1570": (kids(child("A" * 21)), kids(child("A" * 20))),
    "1580": (kids(child("C-1")), kids(child("C1"))),
    "2886Q": (kids(child(sex=None)), kids(child())),
    "4008": (
        kids(child(death="2025-07-01", episodes=[E(cin_plans=[cin_plan("2025-08-01")])])),
        kids(child(death="2025-09-01", episodes=[E(cin_plans=[cin_plan("2025-06-02", "2025-08-01")])])),
    ),
    "4009Q": (
        kids(child(death="2025-09-01", episodes=[E(cin_plans=[cin_plan("2025-06-02", "2025-10-01")])])),
        kids(child(death="2025-09-01", episodes=[E(cin_plans=[cin_plan("2025-06-02", "2025-08-31")])])),
    ),
    "4180": (kids(child(sex="X")), kids(child(sex="M"))),
    "8500": (kids(child(None)), kids(child())),
    "8510": (kids(child("C1"), child("C1", child_upn=upn(2))), kids(child("C1"), child("C2", child_upn=upn(2)))),
    "8520": (kids(child(birth="2026-04-01")), kids(child())),
    "8525Q": (kids(child(expected="2026-05-01")), kids(child())),
    "8530Q": (
        kids(child(birth=None, expected="2027-06-01", sex="U", child_upn=None)),
        kids(child(birth=None, expected="2026-05-01", sex="U", child_upn=None)),
    ),
    "8535Q": (kids(child(death="2014-01-01")), kids(child(death="2025-09-01"))),
    "8545Q": (kids(child(death="2025-03-01")), kids(child(death="2025-09-01"))),
    "8590": (kids(child(episodes=[])), kids(child())),
    "8750": (
        kids(child(birth=None, expected="2026-05-01", sex="F", child_upn=None)),
        kids(child(birth=None, expected="2026-05-01", sex="U", child_upn=None)),
    ),
    "8770Q": (kids(child(child_upn=None)), kids(child(child_upn=None, upn_unknown="UN2"))),
    "8772": (
        kids(child(child_upn=None, upn_unknown="UN7")),
        kids(child(child_upn=None, upn_unknown="UN7", episodes=[NFA])),
    ),
    "8775Q": (kids(child(birth="1999-01-01")), kids(child(birth="2005-01-01"))),
    # --- ChildCharacteristics and Disabilities
    "4220": (kids(child(ethnicity="XXXX")), kids(child())),
    "8540": (kids(child(disabilities=None)), kids(child())),
    "2887Q": (
        kids(child()),
        [child(f"C{i}", child_upn=upn(i), disabilities=[code]) for i, code in enumerate(EIGHT, start=1)],
    ),
    "2888Q": (kids(child()), kids(child(disabilities=["MOB", "HAND"]))),
    "8790": (kids(child(disabilities=["NONE", "MOB"])), kids(child(disabilities=["MOB"]))),
    "8794": (kids(child(disabilities=["MOB", "MOB"])), kids(child(disabilities=["MOB", "HAND"]))),
    # --- CINdetails
    "2990": (
        ep_child(closed="2025-07-01", reason="RC8", cin_plans=[cin_plan("2025-06-02", "2025-07-01")]),
        ep_child(closed="2025-07-01", reason="RC8"),
    ),
    "2991Q": (
        ep_child(assessments=[], s47s=[s47(not_required="true", icpc=None)]),
        ep_child(s47s=[s47(not_required="true", icpc=None)]),
    ),
    "8555Q": (kids(child(death="2025-04-10")), kids(child(death="2025-09-01"))),
    "8568": (ep_child(nfa="maybe"), ep_child(nfa="false")),
    "8569Q": (
        kids(
            child(
                episodes=[
                    E(referral="2025-03-01", nfa="true", need=None, assessments=(), closed="2025-04-10", reason="RC8")
                ]
            )
        ),
        kids(
            child(
                episodes=[
                    E(referral="2025-04-02", nfa="true", need=None, assessments=(), closed="2025-04-10", reason="RC8")
                ]
            )
        ),
    ),
    "8585Q": (
        ep_child(closed="2025-07-01", reason="RC2"),
        kids(child(death="2025-06-30", episodes=[E(closed="2025-07-01", reason="RC2")])),
    ),
    "8600": (ep_child(referral="2026-04-05"), ep_child()),
    "8606": (
        kids(child(birth=None, expected="2026-03-01", sex="U", child_upn=None)),
        kids(child(birth=None, expected="2026-01-01", sex="U", child_upn=None)),
    ),
    "8610": (ep_child(need=None), ep_child()),
    "8620": (ep_child(closed="2026-04-10", reason="RC7"), ep_child(closed="2025-07-01", reason="RC7")),
    "8630": (ep_child(closed="2025-04-20", reason="RC7", assessments=()), ep_child(closed="2025-07-01", reason="RC7")),
    "8640": (ep_child(closed="2025-07-01", reason="RC99"), ep_child(closed="2025-07-01", reason="RC7")),
    "8650": (ep_child(need="N11"), ep_child(need="N1")),
    "8805": (ep_child(closed="2025-07-01"), ep_child(closed="2025-07-01", reason="RC7")),
    "8810": (ep_child(reason="RC7"), ep_child(closed="2025-07-01", reason="RC7")),
    "8815": (
        kids(child(episodes=[E(), E(referral="2025-09-01", assessments=[assessment("2025-09-02", "2025-10-01")])])),
        kids(
            child(
                episodes=[
                    E(closed="2025-08-01", reason="RC7"),
                    E(referral="2025-09-01", assessments=[assessment("2025-09-02", "2025-10-01")]),
                ]
            )
        ),
    ),
    "8816": (
        kids(
            child(
                episodes=[
                    E(),
                    E(
                        referral="2025-09-01",
                        closed="2025-10-01",
                        reason="RC7",
                        assessments=[assessment("2025-09-02", "2025-10-01")],
                    ),
                ]
            )
        ),
        kids(
            child(
                episodes=[
                    E(closed="2025-08-01", reason="RC7"),
                    E(referral="2025-09-01", assessments=[assessment("2025-09-02", "2025-10-01")]),
                ]
            )
        ),
    ),
    "8820": (
        kids(
            child(
                episodes=[
                    E(closed="2025-09-01", reason="RC7"),
                    E(
                        referral="2025-06-01",
                        closed="2025-07-01",
                        reason="RC7",
                        assessments=[assessment("2025-06-02", "2025-06-20")],
                    ),
                ]
            )
        ),
        kids(
            child(
                episodes=[
                    E(closed="2025-09-01", reason="RC7"),
                    E(referral="2025-09-01", assessments=[assessment("2025-09-02", "2025-10-01")]),
                ]
            )
        ),
    ),
    "8825Q": (ep_child(closed="2025-07-01", reason="RC8", assessments=()), ep_child(closed="2025-07-01", reason="RC8")),
    "8831": (ep_child(nfa="true", closed="2025-07-01", reason="RC8"), kids(child(episodes=[NFA]))),
    "8866": (ep_child(source="ZZ"), ep_child(source="2A")),
    "8867": (
        ep_child(closed="2025-07-01", reason="RC8", assessments=[assessment(auth=None, factors=None)]),
        ep_child(closed="2025-07-01", reason="RC8"),
    ),
    "8868": (
        ep_child(closed="2025-07-01", reason="RC7", s47s=[s47(icpc=None)]),
        ep_child(closed="2025-07-01", reason="RC7", s47s=[s47(icpc=None, not_required="true")]),
    ),
    "8890": (
        ep_child(s47s=[s47("2025-05-05", icpc=None), s47("2025-06-01", icpc=None)]),
        ep_child(s47s=[s47("2025-05-05", icpc="2025-05-20"), s47("2025-06-01", icpc=None)]),
    ),
    # --- Assessments
    "1103": (ep_child(assessments=[assessment("2025-04-20")]), ep_child()),
    "8608": (ep_child(assessments=[assessment("2025-05-02", "2025-05-01")]), ep_child()),
    "8614": (ep_child(assessments=[assessment(auth=None)]), ep_child()),
    "8670Q": (
        ep_child(assessments=[assessment(auth=None, factors=None)]),
        ep_child(referral="2026-03-19", assessments=[assessment("2026-03-20", auth=None, factors=None)]),
    ),
    "8696": (ep_child(assessments=[assessment(auth="2026-04-10")]), ep_child()),
    "8736": (
        ep_child(referral="2025-03-01", assessments=[assessment("2025-03-20", auth=None, factors=None)]),
        ep_child(referral="2026-03-19", assessments=[assessment("2026-03-20", auth=None, factors=None)]),
    ),
    "8863Q": (
        ep_child(assessments=[assessment(), assessment("2025-05-10", "2025-06-10")]),
        ep_child(assessments=[assessment(), assessment("2025-06-03", "2025-06-10")]),
    ),
    "8869": (
        ep_child(assessments=[assessment(factors=["21", "16A"])]),
        ep_child(assessments=[assessment(factors=["21"])]),
    ),
    "8873Q": (
        ep_child(closed="2025-07-01", reason="RC7", assessments=[assessment(factors=["21"])]),
        ep_child(closed="2025-07-01", reason="RC8", assessments=[assessment(factors=["21"])]),
    ),
    "8896": (
        ep_child(assessments=[assessment(auth=None, factors=None), assessment("2025-05-10", None, None)]),
        ep_child(assessments=[assessment(), assessment("2026-03-20", None, None)]),
    ),
    "8897Q": (ep_child(assessments=[assessment(factors=None)]), ep_child()),
    "8898": (
        ep_child(assessments=[assessment(factors=["16A", "16A"])]),
        ep_child(assessments=[assessment(factors=["16A", "17A"])]),
    ),
    "8945Q": (ep_child(assessments=[assessment(factors=["18A"])]), ep_child(assessments=[assessment(factors=["18B"])])),
    "8950Q": (ep_child(assessments=[assessment(factors=["19A"])]), ep_child(assessments=[assessment(factors=["19C"])])),
    # --- CINplanDates
    "4000": (
        kids(child(episodes=[E(nfa="true", need=None, assessments=(), cin_plans=[cin_plan()])])),
        ep_child(cin_plans=[cin_plan()]),
    ),
    "4001": (
        ep_child(cin_plans=[cin_plan("2025-09-01")], **CP_EPISODE),
        ep_child(cin_plans=[cin_plan("2025-05-02", "2025-05-20")], **CP_EPISODE),
    ),
    "4004": (ep_child(cin_plans=[cin_plan(), cin_plan("2025-07-01")]), ep_child(cin_plans=[cin_plan()])),
    "4010": (ep_child(cin_plans=[cin_plan("2026-04-05")]), ep_child(cin_plans=[cin_plan()])),
    "4011": (
        ep_child(cin_plans=[cin_plan("2025-06-02", "2025-06-01")]),
        ep_child(cin_plans=[cin_plan("2025-06-02", "2025-08-01")]),
    ),
    "4012Q": (
        ep_child(cin_plans=[cin_plan("2025-06-02", "2025-06-02")]),
        ep_child(cin_plans=[cin_plan("2025-06-02", "2025-06-03")]),
    ),
    "4013": (
        ep_child(cin_plans=[cin_plan("2025-06-02", "2026-04-10")]),
        ep_child(cin_plans=[cin_plan("2025-06-02", "2025-10-01")]),
    ),
    "4014": (
        ep_child(cin_plans=[cin_plan("2025-06-02", "2025-09-01"), cin_plan("2025-07-01")]),
        ep_child(cin_plans=[cin_plan("2025-06-02", "2025-09-01"), cin_plan("2025-09-01")]),
    ),
    "4015": (ep_child(cin_plans=[cin_plan("2025-04-20")]), ep_child(cin_plans=[cin_plan()])),
    "4016": (
        ep_child(s47s=[s47()], cpps=[cpp()], cin_plans=[cin_plan("2025-07-01")]),
        ep_child(s47s=[s47()], cpps=[cpp(end="2025-09-01")], cin_plans=[cin_plan("2025-09-01")]),
    ),
    "4017": (
        ep_child(s47s=[s47()], cpps=[cpp()], cin_plans=[cin_plan("2025-05-02")]),
        ep_child(s47s=[s47()], cpps=[cpp()], cin_plans=[cin_plan("2025-05-02", "2025-05-20")]),
    ),
    # --- Section47
    "1104": (ep_child(s47s=[s47("2025-04-20", "2025-04-28")], cpps=[cpp("2025-04-28")]), ep_child(**CP_EPISODE)),
    "2884": (ep_child(icpc="2025-05-20", **CP_EPISODE), ep_child(**CP_EPISODE)),
    "2889": (ep_child(s47s=[s47("2025-04-20")], cpps=[cpp()]), ep_child(**CP_EPISODE)),
    "8615": (ep_child(s47s=[s47("2025-05-25")], cpps=[cpp()]), ep_child(**CP_EPISODE)),
    "8675Q": (
        ep_child(s47s=[s47("2025-05-05", icpc=None)]),
        ep_child(
            referral="2026-03-24",
            assessments=[assessment("2026-03-24", "2026-03-25")],
            s47s=[s47("2026-03-25", icpc=None)],
        ),
    ),
    "8715": (ep_child(icpc="2026-04-07"), ep_child(**CP_EPISODE)),
    "8740": (
        ep_child(
            referral="2025-03-01",
            assessments=[assessment("2025-03-02", "2025-04-02")],
            s47s=[s47("2025-03-20", icpc=None)],
        ),
        ep_child(
            referral="2026-03-24",
            assessments=[assessment("2026-03-24", "2026-03-25")],
            s47s=[s47("2026-03-25", icpc=None)],
        ),
    ),
    "8839": (
        ep_child(s47s=[s47("2025-05-05", icpc=None), s47("2025-06-01", icpc=None)]),
        ep_child(s47s=[s47("2025-05-05", icpc=None, not_required="true"), s47("2025-06-01", icpc=None)]),
    ),
    "8870Q": (
        ep_child(s47s=[s47(target="2025-05-24")], cpps=[cpp()]),
        ep_child(s47s=[s47(target="2025-05-23")], cpps=[cpp()]),
    ),
    "8875": (ep_child(s47s=[s47(icpc="2025-05-24")], cpps=[cpp("2025-05-24")]), ep_child(**CP_EPISODE)),
    # --- ChildProtectionPlans
    "1105": (ep_child(cpps=[cpp("2025-04-20")]), ep_child(**CP_EPISODE)),
    "2883": (ep_child(cpps=[cpp()]), ep_child(**CP_EPISODE)),
    "2885": (ep_child(s47s=[s47()], cpps=[cpp("2025-05-21")]), ep_child(**CP_EPISODE)),
    "8565": (
        ep_child(closed="2025-07-01", reason="RC7", cin_plans=[cin_plan("2025-08-01")]),
        ep_child(closed="2025-09-01", reason="RC7", cin_plans=[cin_plan("2025-06-02", "2025-09-01")]),
    ),
    "8720": (ep_child(s47s=[s47()], cpps=[cpp(None)]), ep_child(**CP_EPISODE)),
    "8730": (ep_child(s47s=[s47()], cpps=[cpp(previous="-1")]), ep_child(**CP_EPISODE)),
    "8832": (kids(child(episodes=[E(nfa="true", need=None, assessments=(), cpps=[cpp()])])), ep_child(**CP_EPISODE)),
    "8840": (
        ep_child(s47s=[s47()], cpps=[cpp(end="2025-05-20")]),
        ep_child(s47s=[s47()], cpps=[cpp(end="2025-05-21")]),
    ),
    "8841": (
        ep_child(s47s=[s47()], cpps=[cpp(reviews=["2025-05-20"])]),
        ep_child(s47s=[s47()], cpps=[cpp(reviews=["2025-08-20"])]),
    ),
    "8905": (ep_child(s47s=[s47()], cpps=[cpp(initial="XXX")]), ep_child(**CP_EPISODE)),
    "8910": (ep_child(s47s=[s47()], cpps=[cpp(latest="XXX")]), ep_child(**CP_EPISODE)),
    "8915": (
        kids(child(death="2025-05-10", episodes=[E(**CP_EPISODE)])),
        kids(child(death="2025-12-01", episodes=[E(s47s=[s47()], cpps=[cpp(end="2025-11-01")])])),
    ),
    "8920": (
        kids(child(death="2025-09-01", episodes=[E(s47s=[s47()], cpps=[cpp(end="2025-10-01")])])),
        kids(child(death="2025-09-01", episodes=[E(s47s=[s47()], cpps=[cpp(end="2025-08-01")])])),
    ),
    "8925": (
        ep_child(s47s=[s47()], cpps=[cpp(end="2025-05-01")]),
        ep_child(s47s=[s47()], cpps=[cpp(end="2025-08-01")]),
    ),
    "8930": (
        ep_child(s47s=[s47()], cpps=[cpp(end="2026-04-10")]),
        ep_child(s47s=[s47()], cpps=[cpp(end="2025-08-01")]),
    ),
    "8935": (
        ep_child(s47s=[s47(), s47("2025-06-02", "2025-06-10")], cpps=[cpp(), cpp("2025-06-10")]),
        ep_child(s47s=[s47(), s47("2025-09-01", "2025-09-10")], cpps=[cpp(end="2025-09-01"), cpp("2025-09-10")]),
    ),
    "8940": (
        ep_child(s47s=[s47(), s47("2025-06-02", "2025-06-10")], cpps=[cpp(end="2025-09-01"), cpp("2025-06-10")]),
        ep_child(s47s=[s47(), s47("2025-09-01", "2025-09-10")], cpps=[cpp(end="2025-09-01"), cpp("2025-09-10")]),
    ),
    # --- Reviews
    "4003": (
        ep_child(
            s47s=[s47()],
            cpps=[cpp(end="2025-09-01", reviews=["2025-08-20"])],
            cin_plans=[cin_plan("2025-08-01", "2025-10-01")],
        ),
        ep_child(
            s47s=[s47()], cpps=[cpp(end="2025-09-01", reviews=["2025-08-20"])], cin_plans=[cin_plan("2025-09-01")]
        ),
    ),
    "8842Q": (
        ep_child(s47s=[s47()], cpps=[cpp(reviews=[])]),
        ep_child(s47s=[s47()], cpps=[cpp(reviews=["2025-08-20"])]),
    ),
}


def codes_found(children: list[str], code: str, reference_date: str | None = None) -> list[str]:
    report = validate_file(io.BytesIO(census(*children, reference_date=reference_date)), CensusYear(2026))
    return [f.code for f in report.findings if f.code == code]


def test_every_rule_has_both_cases() -> None:
    # Module 5 (pre-proceedings and FGDM, from 2026-27) has its cases in test_cin_census_pre_proceedings.py.
    module_5 = {code for code, rule in RULES.items() if rule.module == "PreProceedings"}
    assert set(CASES) | module_5 == set(RULES), set(RULES) ^ (set(CASES) | module_5)


def test_the_ruleset_is_the_dfe_count() -> None:
    """cin2025_26: 109 rules, 83 errors and 26 queries; every Q code is a query and every query has a Q."""
    rules = rules_for(2026)
    assert len(rules) == 109
    assert sum(r.severity is Severity.QUERY for r in rules) == 26
    assert all((r.severity is Severity.QUERY) == r.code.endswith("Q") for r in rules)
    assert all(r.text for r in rules)


@pytest.mark.parametrize("code", sorted(CASES))
def test_rule_fires(code: str) -> None:
    firing, _ = CASES[code]
    assert codes_found(firing, code, "2026-03-30" if code == "100" else None), f"{code} did not fire"


@pytest.mark.parametrize("code", sorted(CASES))
def test_rule_stays_quiet(code: str) -> None:
    _, quiet = CASES[code]
    assert codes_found(quiet, code) == [], f"{code} fired on a file that keeps it"


def test_a_clean_child_has_no_findings_but_the_return_level_queries() -> None:
    report = validate_file(io.BytesIO(census(child())), CensusYear(2026))
    assert sorted(f.code for f in report.findings) == ["2887Q", "2888Q"]


def test_findings_name_the_child_element_and_line() -> None:
    report = validate_file(
        io.BytesIO(census(child("C1"), child("K9", child_upn=upn(2), ethnicity="XXXX"))), CensusYear(2026)
    )
    (finding,) = [f for f in report.findings if f.code == "4220"]
    assert finding.la_child_id == "K9"
    assert finding.element == "ChildCharacteristics/Ethnicity"
    assert "XXXX" in finding.message
    assert finding.line == 5
    assert finding.severity is Severity.ERROR


def test_queries_keep_their_q() -> None:
    report = validate_file(io.BytesIO(census(child(child_upn=None))), CensusYear(2026))
    (finding,) = [f for f in report.findings if f.code == "8770Q"]
    assert finding.severity is Severity.QUERY


def test_un1_is_acceptable_for_a_school_age_child_only_before_2024_25() -> None:
    fragment = child(child_upn=None, upn_unknown="UN1")
    assert "8770Q" in [f.code for f in validate_file(io.BytesIO(census(fragment)), CensusYear(2026)).findings]
    older = census(
        child(
            child_upn=None,
            upn_unknown="UN1",
            sex=None,
            gender="2",
            episodes=[E(referral="2023-05-01", assessments=[assessment("2023-05-02", "2023-06-02")])],
        ),
        year=2024,
    )
    assert "8770Q" not in [f.code for f in validate_file(io.BytesIO(older), CensusYear(2024)).findings]


def test_rules_new_in_2024_25_do_not_apply_before() -> None:
    older = {r.code for r in rules_for(2024)}
    assert {"1570", "1580", "8945Q", "8950Q"}.isdisjoint(older)
    assert len(older) == 105


def test_sex_replaces_gender_from_2024_25() -> None:
    old = census(
        child(
            sex=None,
            gender="2",
            episodes=[E(referral="2023-05-01", assessments=[assessment("2023-05-02", "2023-06-02")])],
        ),
        year=2024,
    )
    assert "4180" not in [f.code for f in validate_file(io.BytesIO(old), CensusYear(2024)).findings]
    new = census(child(sex=None, gender="2"))
    assert "4180" in [f.code for f in validate_file(io.BytesIO(new), CensusYear(2026)).findings]


def test_the_year_defaults_to_the_files_own() -> None:
    report = validate_file(io.BytesIO(census(child(), year=2025)))
    assert report.year == CensusYear(2025)
