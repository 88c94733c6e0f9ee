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
from safeguarding.returns.ssda903.tables import ChildRecord, CollectionYear, EpisodeRow, HeaderRow, tables_for
from safeguarding.returns.ssda903.validator import Validator
from safeguarding.returns.ssda903.writer import write_csv
from tests.returns.test_ssda903_rules import baseline, reference_with_authority

Y = CollectionYear(2026)
REFERENCE_RULES = (
    *("164", "169", "218", "219", "221", "224"),
    *("392a", "406", "452", "453", "454", "503G", "503H", "503J", "1015", "227", "228", "229", "241", "243", "420"),
)

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


def _fires(code: str, record: ChildRecord, ref: Reference | None) -> bool:
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


def test_the_synthetic_return_with_its_reference_breaks_no_rule() -> None:
    """The generator's return with the reference it implies and the council's own code: every rule reading them runs
    and none fires (its foster placements carry their fostering service's URN, as the DfE asks: rule 218)."""
    cur, prev = baseline(2026)
    validator = Validator(Y, True, reference_with_authority(2026))
    assert set(REFERENCE_RULES) <= {r.code for r in validator.rules}
    found = [(f.code, f.child, f.message) for c in cur.values() for f in validator.child(c, prev.get(c.child))]
    assert found == []


def _last_year(record: ChildRecord, **episode: object) -> ChildRecord:
    last = _child(**episode)
    last.child = record.child
    return last


def test_the_distance_and_la_rules_read_the_postcodes_and_the_councils_code(tmp_path: Path) -> None:
    ref = load_reference(_folder(tmp_path), "e09000027")
    assert ref.authority == "E09000027" and ref.parts == {"providers", "postcodes", "authority"}
    here = _child()
    for code in ("392a", "392c", "406", "454", "1015"):
        assert not _fires(code, here, ref), code
    assert _fires("392a", _child(home_post="QQ1 1"), ref)  # no distance can be found
    assert not _fires("392a", _child(home_post="QQ1 1", place="T1", pl_post=None), ref)  # rule 214's: no location
    assert _fires("392c", _child(pl_post="QQ1 1"), ref) and _fires("392c", _child(pl_post="PLACE"), None)
    assert not _fires("392c", _child(pl_post="QQ1 1"), Reference())  # its form is a postcode's; no list given
    uasc = _child()
    uasc.header[0].uasc = "1"
    assert _fires("406", uasc, ref)
    uasc.episodes[0].home_post = None
    assert not _fires("406", uasc, ref)
    assert _fires("454", _child(pl_post="KW1 4"), ref)  # Caithness from south-west London: about 500 miles
    own_home_away = _child(place_provider="PR1", pl_post="NB5 6")  # the council's own children's home, elsewhere
    assert _fires("1015", own_home_away, ref)
    assert not _fires("1015", _child(place="U4", place_provider="PR1", pl_post="NB5 6", urn=None), ref)  # fostering
    assert not _fires("1015", own_home_away, load_reference(_folder(tmp_path)))  # no --la: in or out not known


def test_the_first_episode_is_compared_with_last_years_open_one(tmp_path: Path) -> None:
    ref = load_reference(_folder(tmp_path), "E09000027")
    this = _child()

    def fires(code: str, **last: object) -> bool:
        return bool(list(RULES[code].check(Child(this, _last_year(this, **last), ref), Y)))

    for code in ("452", "453", "503G", "503H", "503J"):
        assert not fires(code), code
    assert fires("452", pl_post="NB5 6") and fires("503H", pl_post="NB5 6") and fires("503J", pl_post="NB5 6")
    assert not fires("503J", pl_post="NB3 4")  # another sector, the same LA: still in the council's area
    assert fires("453", home_post="NB5 6") and fires("503G", home_post="NB5 6")
    assert not fires("452", pl_post="NB5 6", dec=date(2025, 3, 1), rec="X1")  # ended last year: not the same one


def test_the_register_dates_and_the_list_are_checked(tmp_path: Path) -> None:
    providers = (
        "URN,POSTCODE,PLACE_CODES,PROVIDER_CODES,REG_START,REG_END\n"
        "SC123456,NB1 2AB,K2 K3,PR4,01/01/2020,\n"
        "SC654321,NB1 2AB,K2,PR4 PR1 PR2,01/07/2025,30/09/2025\n"
    )
    ref = load_reference(_folder(tmp_path, providers=providers), "E09000027")
    assert not any(_fires(code, _child(), ref) for code in ("227", "228", "229", "1008"))
    assert _fires("227", _child(urn="SC654321"), ref)  # placed on 1 June, registered on 1 July
    assert _fires("228", _child(urn="SC654321"), ref)  # still there at 31 March, closed on 30 September
    assert not _fires("228", _child(urn="SC654321", decom=date(2025, 7, 1), dec=date(2025, 9, 1), rec="E13"), ref)
    assert _fires("229", _child(urn="SC654321", place_provider="PR2"), ref)  # another LA's home, in our own LA
    assert not _fires("229", _child(urn="SC654321", place_provider="PR1"), ref)
    assert _fires("1008", _child(urn="SC999999"), ref) and not _fires("1008", _child(urn="SC999999"), Reference())
    with pytest.raises(ReturnRefused, match="DD/MM/YYYY"):
        load_reference(_folder(tmp_path, providers=providers.replace("30/09/2025", "31/09/2025")))
    with pytest.raises(ReturnRefused, match="ONS code"):
        load_reference(_folder(tmp_path), "Camden")


def test_without_a_file_its_rules_are_not_run(tmp_path: Path) -> None:
    only_providers = load_reference(_folder(tmp_path, postcodes=None))
    codes = {r.code for r in Validator(Y, True, only_providers).rules}
    assert {"219", "221", "224", "227", "228"} <= codes and not {"164", "169", "218", "229", "1015"} & codes
    no_la = {r.code for r in Validator(Y, True, load_reference(_folder(tmp_path))).rules}
    assert {"392a", "453", "503H"} <= no_la and not {"503J", "1015", "229"} & no_la
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
    children = [_child(), _child_named("C2", pl_post="QQ1 1"), _child_named("C3", place_provider="PR1")]
    write_csv(children, folder, tables_for(2026))
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
    assert ",1015," not in given_ref.output  # no --la: not run
    checked = ["returns", "ssda903", "validate", str(folder), "--year", "2026"]
    # as if the council were NB5 6's: C3's own home (PR1) is then outside its area
    with_la = runner.invoke(
        app, [*checked, "--format", "csv", "--reference", str(_folder(tmp_path)), "--la", "E10000002"]
    )
    assert "1015,error,C3" in with_la.output
    la_alone = runner.invoke(
        app, ["returns", "ssda903", "validate", str(folder), "--year", "2026", "--la", "E09000027"]
    )
    assert la_alone.exit_code == 2 and "--la needs --reference" in la_alone.output
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
