"""The SSDA903 rules that read reference data (``validate --reference DIR``): the council's copy of Ofsted's
provider list (providers.csv) and the postcode sectors' local authorities and centroids (postcodes.csv). Each rule
quiet on a return its reference knows, made to fire by one change (tests/returns/test_ssda903_rules.py), not run
without the file it reads; the files read strictly, a bad one refused naming the file, line and column."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from safeguarding.returns.ssda903.reader import ReturnRefused
from safeguarding.returns.ssda903.reference import Reference, load_reference, sector_of
from safeguarding.returns.ssda903.rules import RULES, Child
from safeguarding.returns.ssda903.tables import ChildRecord, CollectionYear, EpisodeRow, HeaderRow
from safeguarding.returns.ssda903.validator import Validator
from safeguarding.returns.ssda903.writer import write_csv
from tests.returns.test_ssda903_rules import baseline, reference_for

Y = CollectionYear(2026)
REFERENCE_RULES = ("164", "169", "218", "219", "221", "224")

PROVIDERS = 'URN,POSTCODE,PLACE_CODES,PROVIDER_CODES\nSC123456,NB1 2AB,K2 K3,PR4\n1234567,ZZ9 9ZZ,"U4,U6",PR1 PR4\n'
POSTCODES = (
    "SECTOR,LA,LATITUDE,LONGITUDE\n"
    "NB1 2,E09000027,51.45,-0.30\n"
    "NB3 4,E09000027,51.47,-0.28\n"
    "NB5 6,E10000002,51.80,-0.80\n"
    "LL5 5,W06000001,53.20,-4.10\n"
    "KW1 4,S12000017,58.44,-3.09\n"
)


def _folder(tmp_path: Path, providers: str | None = PROVIDERS, postcodes: str | None = POSTCODES) -> Path:
    folder = tmp_path / "reference"
    folder.mkdir(exist_ok=True)
    if providers is not None:
        (folder / "providers.csv").write_text(providers, encoding="utf-8")
    if postcodes is not None:
        (folder / "postcodes.csv").write_text(postcodes, encoding="utf-8")
    return folder


def _child(**episode: object) -> ChildRecord:
    record = ChildRecord("C1")
    record.header.append(HeaderRow(child="C1", sex="1", dob=date(2012, 5, 1), ethnic="WBRI"))
    fields: dict[str, object] = {
        "decom": date(2025, 6, 1),
        "rne": "S",
        "ls": "C2",
        "cin": "N1",
        "place": "K2",
        "place_provider": "PR4",
        "home_post": "NB3 4",
        "pl_post": "NB1 2",
        "urn": "SC123456",
    }
    fields.update(episode)
    record.episodes.append(EpisodeRow(child="C1", **fields))  # type: ignore[arg-type]
    return record


def _fires(code: str, record: ChildRecord, ref: Reference) -> bool:
    return bool(list(RULES[code].check(Child(record, None, ref), Y)))


def test_a_placement_the_reference_knows_breaks_no_reference_rule(tmp_path: Path) -> None:
    ref = load_reference(_folder(tmp_path))
    assert ref.parts == {"providers", "postcodes"}
    record = _child()
    assert not [code for code in REFERENCE_RULES if _fires(code, record, ref)]
    foster = _child(place="U4", place_provider="PR1", urn="1234567", pl_post="ZZ9 9")
    assert not _fires("219", foster, ref) and not _fires("224", foster, ref)
    assert not _fires("221", foster, ref)  # a foster placement's postcode is not the agency's


def test_each_reference_rule_fires_on_what_it_names(tmp_path: Path) -> None:
    ref = load_reference(_folder(tmp_path))
    assert _fires("164", _child(pl_post="QQ1 1"), ref)  # no such sector: no distance
    assert _fires("169", _child(pl_post="QQ1 1"), ref)  # nor LA of placement
    assert not _fires("169", _child(pl_post="QQ1 1", ls="V3"), ref)  # short breaks are not asked
    assert _fires("218", _child(urn=None), ref)
    assert not _fires("218", _child(urn="XXXXXXX"), ref)  # XXXXXXX: the council says there is none
    assert not _fires("218", _child(urn=None, pl_post="LL5 5"), ref)  # placed in Wales: Ofsted does not register
    assert not _fires("218", _child(urn=None, place="P1", place_provider="PR0"), ref)
    assert _fires("219", _child(place="R3"), ref)
    assert _fires("219", _child(urn="SC999999"), ref)  # not on the list
    assert _fires("221", _child(pl_post="NB3 4"), ref)
    assert _fires("224", _child(place_provider="PR1"), ref)


def test_a_placement_over_999_miles_away_has_no_valid_distance(tmp_path: Path) -> None:
    far = POSTCODES + "ZZ1 1,E09000027,-33.9,151.2\n"  # a centroid on the other side of the world
    ref = load_reference(_folder(tmp_path, postcodes=far))
    assert ref.distance_miles("NB1 2AB", "NB3 4") == pytest.approx(1.6, abs=0.3)
    assert _fires("164", _child(pl_post="ZZ1 1"), ref)
    uasc = _child(pl_post="ZZ1 1")
    uasc.header[0].uasc = "1"
    assert not _fires("164", uasc, ref)  # not asked of a UASC child


def test_the_synthetic_return_with_its_reference_breaks_none_but_218() -> None:
    """The generator's return with the reference it implies: only rule 218 stands, on the foster placements the
    generator gives no URN (the DfE asks the fostering service's)."""
    cur, prev = baseline(2026)
    validator = Validator(Y, True, reference_for(2026))
    found = {f.code for c in cur.values() for f in validator.child(c, prev.get(c.child))}
    assert found <= {"218"}


def test_without_a_file_its_rules_are_not_run(tmp_path: Path) -> None:
    only_providers = load_reference(_folder(tmp_path, postcodes=None))
    codes = {r.code for r in Validator(Y, True, only_providers).rules}
    assert {"219", "221", "224"} <= codes and not {"164", "169", "218"} & codes
    assert Validator(Y, True).skipped_without_reference == len(REFERENCE_RULES)


@pytest.mark.parametrize(
    ("providers", "postcodes", "said"),
    [
        ("URN,POSTCODE\nSC123456,NB1 2AB\n", None, "the columns must be"),
        ("URN,POSTCODE,PLACE_CODES,PROVIDER_CODES\n=cmd(),NB1 2AB,K2,PR4\n", None, "not a reference value"),
        ("URN,POSTCODE,PLACE_CODES,PROVIDER_CODES\n<b>12</b>,NB1 2AB,K2,PR4\n", None, "not an Ofsted URN"),
        ("URN,POSTCODE,PLACE_CODES,PROVIDER_CODES\nSC123456,NB1 2AB,K9,PR4\n", None, "K9 is not an SSDA903 code"),
        (None, "SECTOR,LA,LATITUDE,LONGITUDE\nNB1 2,Camden,51,0\n", "not the ONS code"),
        (None, "SECTOR,LA,LATITUDE,LONGITUDE\nNB1 2,E09000027,nan,0\n", "out of range"),
        (None, "SECTOR,LA,LATITUDE,LONGITUDE\nhello,E09000027,51,0\n", "not a postcode sector"),
        (None, None, "neither"),
    ],
)
def test_a_bad_reference_file_is_refused_naming_where(
    tmp_path: Path, providers: str | None, postcodes: str | None, said: str
) -> None:
    with pytest.raises(ReturnRefused) as refused:
        load_reference(_folder(tmp_path, providers, postcodes))
    assert said in refused.value.message


def test_a_reference_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    folder = _folder(tmp_path, postcodes=None)
    (folder / "providers.csv").write_bytes(b"URN,POSTCODE,PLACE_CODES,PROVIDER_CODES\nSC123456,\xff\xfe,K2,PR4\n")
    with pytest.raises(ReturnRefused, match="UTF-8"):
        load_reference(folder)


@given(st.text(max_size=12))
def test_a_sector_is_an_outward_code_and_a_digit(text: str) -> None:
    sector = sector_of(text)
    if sector is not None:
        outward, digit = sector.split(" ")
        assert digit.isdigit() and len(digit) == 1 and 2 <= len(outward) <= 4
        assert sector_of(sector) == sector


def test_the_command_line_reads_the_reference_and_says_what_it_did_not_run(tmp_path: Path) -> None:
    from safeguarding.cli import app

    folder = tmp_path / "return"
    write_csv([_child(), _child_named("C2", pl_post="QQ1 1")], folder)
    runner = CliRunner()
    without = runner.invoke(app, ["returns", "ssda903", "validate", str(folder), "--year", "2026", "--format", "csv"])
    assert "rules needing reference data not run" in without.output
    assert ",164," not in without.output
    given_ref = runner.invoke(
        app,
        [
            "returns",
            "ssda903",
            "validate",
            str(folder),
            "--year",
            "2026",
            "--format",
            "csv",
            "--reference",
            str(_folder(tmp_path)),
        ],
    )
    assert "164,error,C2" in given_ref.output and "164,error,C1" not in given_ref.output
    bad = runner.invoke(
        app, ["returns", "ssda903", "validate", str(folder), "--year", "2026", "--reference", str(tmp_path / "none")]
    )
    assert bad.exit_code == 2
    helped = runner.invoke(app, ["returns", "ssda903", "validate", "--help"])
    assert "PLACE_CODES" in helped.output and "LATITUDE" in helped.output


def _child_named(child: str, **episode: object) -> ChildRecord:
    record = _child(**episode)
    record.child = child
    record.header[0].child = child
    for e in record.episodes:
        e.child = child
    return record
