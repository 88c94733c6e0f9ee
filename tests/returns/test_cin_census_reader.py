"""The CIN census reader against hostile and malformed files, and property tests of the reader and writer."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from safeguarding.cli import app
from safeguarding.returns.cin_census import reader
from safeguarding.returns.cin_census.census import (
    Assessment,
    CensusYear,
    Child,
    CinPlan,
    Episode,
    ProtectionPlan,
    Section47,
)
from safeguarding.returns.cin_census.reader import CensusFileRefused, open_census
from safeguarding.returns.cin_census.validator import validate_file
from safeguarding.returns.cin_census.writer import write_census
from tests.returns.census_xml import census, child, upn

YEAR = CensusYear(2026)


def refusal(data: bytes, tmp_path: Path) -> CensusFileRefused:
    path = tmp_path / "census.xml"
    path.write_bytes(data)
    with pytest.raises(CensusFileRefused) as caught:
        validate_file(path, YEAR)
    return caught.value


def test_not_xml_is_refused_naming_the_line(tmp_path: Path) -> None:
    refused = refusal(b"LAchildID,UPN\nC1,Z201150000011\n", tmp_path)
    assert refused.line == 1
    assert "not well-formed XML" in str(refused)


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    assert "empty" in str(refusal(b"", tmp_path))


def test_a_truncated_file_is_refused_as_cut_short(tmp_path: Path) -> None:
    whole = census(child("C1"), child("C2", child_upn=upn(2)))
    refused = refusal(whole[: len(whole) - 60], tmp_path)
    assert "cut short" in str(refused)
    assert refused.line is not None and refused.line >= 5


def test_a_file_that_is_not_a_census_is_refused(tmp_path: Path) -> None:
    refused = refusal(b"<?xml version='1.0'?>\n<html><body>hello</body></html>", tmp_path)
    assert "not <Message>" in str(refused)
    assert refused.line == 2


def test_an_external_entity_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-VALUE")
    data = (
        f'<?xml version="1.0"?>\n<!DOCTYPE Message [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
        "<Message><Children><Child><ChildIdentifiers><LAchildID>&xxe;</LAchildID></ChildIdentifiers></Child>"
        "</Children></Message>"
    ).encode()
    refused = refusal(data, tmp_path)
    assert "DOCTYPE" in str(refused)
    assert refused.line == 3
    assert "TOPSECRET" not in str(refused)


def test_nested_entities_are_refused_without_expanding_them(tmp_path: Path) -> None:
    entities = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    data = (
        '<?xml version="1.0"?>\n<!DOCTYPE Message [' + "".join(entities) + "]>\n"
        "<Message><Children><Child><ChildIdentifiers><LAchildID>&lol9;</LAchildID></ChildIdentifiers></Child>"
        "</Children></Message>"
    ).encode()
    message = str(refusal(data, tmp_path))
    assert "DOCTYPE" in message or "entity that is not allowed" in message


def test_an_external_dtd_is_never_fetched(tmp_path: Path) -> None:
    fetched: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fetched.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'<!ENTITY x "fetched">')

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/census.dtd"
        data = (
            f'<?xml version="1.0"?>\n<!DOCTYPE Message SYSTEM "{url}">\n'
            "<Message><Children><Child><ChildIdentifiers><LAchildID>&x;</LAchildID></ChildIdentifiers>"
            "</Child></Children></Message>"
        ).encode()
        refusal(data, tmp_path)
    finally:
        server.shutdown()
    assert fetched == []


def test_a_child_with_absurdly_many_elements_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "MAX_CHILD_BYTES", 5_000)
    monkeypatch.setattr(reader, "CHUNK_BYTES", 1_000)
    flood = "".join("<Disability>MOB</Disability>" for _ in range(1000))
    data = census(child("C1"), child("C2", child_upn=upn(2)).replace("<Disability>NONE</Disability>", flood))
    refused = refusal(data, tmp_path)
    assert "larger than 5,000 bytes" in str(refused)
    assert refused.line == 5


@pytest.fixture
def small_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "MAX_OUTSIDE_CHILD_BYTES", 5_000)
    monkeypatch.setattr(reader, "MAX_CHILD_BYTES", 5_000)
    monkeypatch.setattr(reader, "CHUNK_BYTES", 1_000)


@pytest.mark.usefixtures("small_bounds")
@pytest.mark.parametrize(
    ("where", "becomes"),
    [
        ("</Header>", "</Header>{flood}"),  # before the children
        ("</Child>\n<Child>", "</Child>{flood}<Child>"),  # between two
        ("\n</Children>", "{flood}</Children>"),  # after the last
        ("</Children>", "</Children>{flood}"),  # after the children
    ],
)
def test_empty_elements_outside_children_are_refused_naming_the_first(tmp_path: Path, where: str, becomes: str) -> None:
    flood = "\n<Filler/>" + "<Filler/>" * 2000
    data = census(child("C1"), child("C2", child_upn=upn(2))).replace(
        where.encode(), becomes.format(flood=flood).encode(), 1
    )
    refused = refusal(data, tmp_path)
    assert "<Filler> is not part of a CIN census" in str(refused)
    assert "more than 5,000 bytes outside any <Child>" in str(refused)
    assert refused.line == data[: data.index(b"<Filler/>")].count(b"\n") + 1


@pytest.mark.usefixtures("small_bounds")
def test_a_header_swollen_with_elements_is_refused(tmp_path: Path) -> None:
    data = census(child("C1")).replace(b"<Source>", b"\n" + b"<Note>x</Note>" * 1000 + b"<Source>")
    refused = refusal(data, tmp_path)
    assert str(refused) == (
        "line 3: <Note> is not part of a CIN census, and the <Header> is larger than 5,000 bytes; "
        "a real one is under a kilobyte"
    )


@pytest.mark.usefixtures("small_bounds")
def test_a_few_stray_elements_between_children_are_dropped_as_read() -> None:
    """The bounds are on what is held at once: a long file, read in small chunks, with a stray element after every
    child (a real census has none; they are harmless and dropped with the child before them)."""
    data = census(*[child(f"C{i}", child_upn=upn(i)) + "<Stray/>" for i in range(1, 200)])
    assert len(data) > 20 * reader.MAX_OUTSIDE_CHILD_BYTES
    read = [r.child.la_child_id for r in open_census(io.BytesIO(data)).children()]
    assert read == [f"C{i}" for i in range(1, 200)]


def test_a_value_of_the_wrong_type_is_a_finding_not_a_refusal() -> None:
    data = census(child("C1").replace("2015-06-01", "01/06/2015"))
    report = validate_file(io.BytesIO(data), YEAR)
    (finding,) = [f for f in report.findings if f.code == "XSD"]
    assert finding.element == "ChildIdentifiers/PersonBirthDate"
    assert "01/06/2015" in finding.message


def test_children_are_cleared_as_they_are_read() -> None:
    """Streaming: once a child has been handed on, its element is gone from the tree."""
    data = census(*[child(f"C{i}", child_upn=upn(i)) for i in range(1, 50)])
    census_file = open_census(io.BytesIO(data))
    seen = 0
    for read in census_file.children():
        seen += 1
        assert read.child.la_child_id == f"C{seen}"
    assert seen == 49


# --- the command line ------------------------------------------------------------------------------------------------


def run(tmp_path: Path, data: bytes, *args: str) -> tuple[int, str, str]:
    path = tmp_path / "census.xml"
    path.write_bytes(data)
    result = CliRunner(env={"COLUMNS": "300"}).invoke(app, ["returns", "cin-census", "validate", str(path), *args])
    return result.exit_code, result.stdout, result.stderr


def test_cli_exits_1_on_errors_0_on_queries_alone_2_when_refused(tmp_path: Path) -> None:
    code, out, _ = run(tmp_path, census(child(ethnicity="XXXX")), "--format", "json")
    assert code == 1
    assert "4220" in [row["code"] for row in json.loads(out)]
    code, out, err = run(tmp_path, census(child()), "--format", "csv")
    assert code == 0  # 2887Q and 2888Q are queries
    assert out.splitlines()[0].startswith("code,severity,la_child_id,element,message")
    assert "0 errors, 2 queries" in err
    code, _, err = run(tmp_path, b"not xml at all")
    assert code == 2
    assert "line 1" in err


def test_cli_table_names_rule_child_and_element(tmp_path: Path) -> None:
    code, out, _ = run(tmp_path, census(child("K42", child_upn=None)), "--year", "2026")
    assert code == 0
    assert "8770Q" in out and "K42" in out and "ChildIdentifiers/UPN" in out


# --- properties ------------------------------------------------------------------------------------------------------

CODE = st.text(alphabet="ABCDEFGHJKLMNPQRTUVWXYZ0123456789", min_size=1, max_size=6)
DAY = st.dates(min_value=date(1995, 1, 1), max_value=date(2030, 12, 31))
MAYBE_DAY = st.none() | DAY
MAYBE_CODE = st.none() | CODE


@st.composite
def assessments(draw: st.DrawFn) -> Assessment:
    factors = tuple(draw(st.lists(CODE, max_size=3)))
    return Assessment(
        start=draw(MAYBE_DAY),
        internal_review=draw(MAYBE_DAY),
        authorised=draw(MAYBE_DAY),
        factors=factors,
        factors_given=bool(factors) or draw(st.booleans()),
    )


@st.composite
def protection_plans(draw: st.DrawFn) -> ProtectionPlan:
    reviews = tuple(draw(st.lists(DAY, max_size=3)))
    return ProtectionPlan(
        start=draw(MAYBE_DAY),
        end=draw(MAYBE_DAY),
        initial_category=draw(MAYBE_CODE),
        latest_category=draw(MAYBE_CODE),
        previous_plans=draw(MAYBE_CODE),
        reviews=reviews,
        reviews_given=bool(reviews) or draw(st.booleans()),
    )


EPISODES = st.builds(
    Episode,
    referral_date=MAYBE_DAY,
    referral_source=MAYBE_CODE,
    primary_need=MAYBE_CODE,
    closure_date=MAYBE_DAY,
    closure_reason=MAYBE_CODE,
    icpc_date=MAYBE_DAY,
    referral_nfa=st.sampled_from([None, "true", "false", "1", "0"]),
    assessments=st.lists(assessments(), max_size=2),
    cin_plans=st.lists(st.builds(CinPlan, start=MAYBE_DAY, end=MAYBE_DAY), max_size=2),
    section47s=st.lists(
        st.builds(
            Section47,
            start=MAYBE_DAY,
            icpc_target=MAYBE_DAY,
            icpc=MAYBE_DAY,
            icpc_not_required=st.sampled_from([None, "true", "false"]),
        ),
        max_size=2,
    ),
    protection_plans=st.lists(protection_plans(), max_size=2),
    pre_proceedings=st.just([]),
)


@st.composite
def children(draw: st.DrawFn) -> Child:
    disabilities = tuple(draw(st.lists(CODE, max_size=3)))
    return Child(
        la_child_id=draw(MAYBE_CODE),
        upn=draw(MAYBE_CODE),
        former_upn=draw(MAYBE_CODE),
        upn_unknown=draw(MAYBE_CODE),
        birth_date=draw(MAYBE_DAY),
        expected_birth_date=draw(MAYBE_DAY),
        sex=draw(MAYBE_CODE),
        death_date=draw(MAYBE_DAY),
        ethnicity=draw(MAYBE_CODE),
        disabilities=disabilities,
        disabilities_given=bool(disabilities) or draw(st.booleans()),
        episodes=draw(st.lists(EPISODES, max_size=3)),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(children(), min_size=1, max_size=4))
def test_any_well_formed_child_round_trips(written: list[Child]) -> None:
    out = io.BytesIO()
    write_census(out, written, YEAR, lea="201")
    read = [r.child for r in open_census(io.BytesIO(out.getvalue())).children()]
    assert [dataclasses.replace(c, line=None) for c in read] == written
    validate_file(io.BytesIO(out.getvalue()), YEAR)  # and validating any of them never crashes


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_give_findings_or_a_clear_refusal(junk: bytes) -> None:
    try:
        validate_file(io.BytesIO(junk), YEAR)
    except CensusFileRefused as refused:
        assert refused.message


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=2000), st.binary(max_size=20))
def test_a_census_cut_or_spliced_anywhere_never_crashes(cut: int, splice: bytes) -> None:
    whole = census(child("C1"), child("C2", child_upn=upn(2), disabilities=["MOB", "HAND"]))
    cut = min(cut, len(whole))
    try:
        validate_file(io.BytesIO(whole[:cut] + splice + whole[cut : cut + 5]), YEAR)
    except CensusFileRefused as refused:
        assert refused.message


def test_cli_shows_hostile_values_as_text_not_console_markup(tmp_path: Path) -> None:
    code, out, _ = run(tmp_path, census(child("C1", ethnicity="[bold red]XX[/bold red]<script>")), "--year", "2026")
    assert code == 1
    assert "[bold red]XX[/bold red]<script>" in out


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def test_cli_csv_writes_formula_cells_as_text_as_the_web_exports_do(tmp_path: Path) -> None:
    """A file from anywhere can carry `=HYPERLINK(...)` as a child's id: opened in a spreadsheet, the CSV must show
    it, never run it."""
    ids = ['=HYPERLINK("http://example.com/x","open")', "+SUM(1,1)", "-2+3", "@cmd"]
    data = census(*[child(la_child_id, child_upn=upn(n), ethnicity="XXXX") for n, la_child_id in enumerate(ids, 1)])
    code, out, _ = run(tmp_path, data, "--format", "csv")
    assert code == 1
    rows = list(csv.reader(io.StringIO(out)))
    assert {row[2] for row in rows[1:]} - {""} == {"'" + la_child_id for la_child_id in ids}  # "": the return's
    assert [cell for row in rows for cell in row if cell.startswith(FORMULA_STARTS)] == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.sampled_from(FORMULA_STARTS[:4]),
    st.text(st.characters(codec="ascii", categories=("L", "N", "P", "S", "Zs")), max_size=12),
)
def test_cli_csv_never_starts_a_cell_with_a_formula(tmp_path: Path, start: str, rest: str) -> None:
    code, out, _ = run(tmp_path, census(child(start + rest, ethnicity="XXXX")), "--format", "csv")
    assert code in (0, 1)
    assert [cell for row in csv.reader(io.StringIO(out)) for cell in row if cell.startswith(FORMULA_STARTS)] == []


def _truncated() -> bytes:
    whole = census(*[child(f"C{n}", child_upn=upn(n)) for n in range(1, 40)])
    return whole[: len(whole) - 60]


REFUSED = {
    "not XML": lambda: b"LAchildID,UPN\nC1,Z201150000011\n",
    "a DOCTYPE": lambda: b'<?xml version="1.0"?>\n<!DOCTYPE Message [<!ENTITY x "y">]>\n<Message/>',
    "cut short after findings": _truncated,
    "too large outside its children": lambda: census(child()).replace(b"</Header>", b"</Header>" + b"<x/>" * 2000),
    "not a census": lambda: b"<html><body>hello</body></html>",
}


@pytest.mark.usefixtures("small_bounds")
@pytest.mark.parametrize("kind", [*REFUSED, "missing"])
def test_cli_json_on_a_refused_file_is_json_naming_file_line_and_reason(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "census.xml"
    if kind != "missing":
        path.write_bytes(REFUSED[kind]())
    result = CliRunner().invoke(app, ["returns", "cin-census", "validate", str(path), "--format", "json"])
    assert result.exit_code == 2
    said = json.loads(result.stdout)
    assert said["refused"] is True and said["file"] == str(path)
    assert said["message"] and "line" in said
    assert kind == "missing" or isinstance(said["line"], int)
    assert said["message"] in result.stderr  # and still the plain message for whoever is watching


@pytest.mark.usefixtures("small_bounds")
@pytest.mark.parametrize("fmt", ["table", "csv"])
def test_cli_other_formats_on_a_refused_file_print_the_plain_reason_and_no_half_output(
    tmp_path: Path, fmt: str
) -> None:
    code, out, err = run(tmp_path, _truncated(), "--format", fmt)
    assert code == 2
    assert out == ""
    assert err.startswith(f"Refused: {tmp_path / 'census.xml'}: line ") and "cut short" in err
