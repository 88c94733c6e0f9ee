"""Reading an SSDA903 return from any system: the CSV tables and the XML form round-trip the typed rows, and what is
not a 903 return is refused naming the file, line and column, never a crash; the command line's exit codes."""

from __future__ import annotations

import csv
import json
import sys
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from safeguarding.cli import app
from safeguarding.returns.ssda903 import reader
from safeguarding.returns.ssda903.reader import ReturnRefused, parse_date, read_return
from safeguarding.returns.ssda903.tables import TABLES, ChildRecord, CollectionYear, DoloRow, tables_for
from safeguarding.returns.ssda903.validator import validate_path
from safeguarding.returns.ssda903.writer import write_csv, write_xml

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from ssda903_data import generate

Y = CollectionYear(2026)
TABLES_2026 = tables_for(2026)  # no DoLo table: it is 2026-27's


def _children(n: int = 60) -> tuple[list[ChildRecord], list[ChildRecord]]:
    return generate(n, 5, Y)


def _without_lines(record: ChildRecord) -> ChildRecord:
    for t in TABLES:
        for row in getattr(record, t.attribute):
            row.line = 0
    return record


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    current, _ = _children()
    write_csv(current, tmp_path / "return", TABLES_2026)
    return tmp_path / "return"


def test_the_csv_tables_read_back_as_written(tmp_path: Path) -> None:
    current, _ = _children()
    write_csv(current, tmp_path, TABLES_2026)
    read = read_return(tmp_path)
    assert read.children[current[0].child].header[0].line == 2  # the CSV line, for the findings
    assert [_without_lines(read.children[c.child]) for c in current] == current


def test_the_xml_form_reads_back_as_written(tmp_path: Path) -> None:
    current, _ = _children()
    write_xml(current, tmp_path / "return.xml")
    read = read_return(tmp_path / "return.xml")
    # The XML's HEADER carries the UASC status the CSV tables leave to the UASC row: 1 where the child has one.
    for c in current:
        header = read.children[c.child].header[0]
        assert header.uasc == ("1" if c.uasc else "0")
        header.uasc = None
    assert [_without_lines(read.children[c.child]) for c in current] == current


def _rewrite(path: Path, change: str, to: str) -> None:
    path.write_text(path.read_text(encoding="utf-8").replace(change, to, 1), encoding="utf-8")


def _refusal(path: Path) -> ReturnRefused:
    with pytest.raises(ReturnRefused) as caught:
        read_return(path)
    return caught.value


def test_a_misnamed_column_is_refused_naming_it_and_its_likely_name(folder: Path) -> None:
    _rewrite(folder / "episodes.csv", "DECOM", "DECOMM")
    refused = _refusal(folder)
    assert refused.file == "episodes.csv" and refused.line == 1
    assert "'DECOMM' is not a column of Episodes (is it DECOM?)" in refused.message


def test_missing_and_extra_columns_are_refused(folder: Path) -> None:
    _rewrite(folder / "header.csv", "CHILD,SEX,DOB", "CHILD,DOB")
    assert "missing SEX" in _refusal(folder).message
    _rewrite(folder / "header.csv", "CHILD,DOB", "CHILD,SEX,DOB,NAME")
    assert "'NAME' is not a column of Header" in _refusal(folder).message


def test_columns_in_another_order_are_read_by_name(tmp_path: Path) -> None:
    (tmp_path / "header.csv").write_text("SEX,CHILD,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n2,A1,01/02/2015,WBRI,UN5,,\n")
    (tmp_path / "episodes.csv").write_text(",".join(TABLES[1].columns) + "\n")
    header = read_return(tmp_path).children["A1"].header[0]
    assert (header.sex, header.dob) == ("2", date(2015, 2, 1))


def test_a_row_of_the_wrong_width_names_its_line(folder: Path) -> None:
    with (folder / "reviews.csv").open("a") as handle:
        handle.write("C1,01/01/2015\n")
    refused = _refusal(folder)
    assert refused.file == "reviews.csv" and refused.line is not None and refused.line > 1
    assert "2 cells where the header has 4" in refused.message


@pytest.mark.parametrize("cell", ["=HYPERLINK(1)", "+1", "-2", "@SUM(A1)"])
def test_a_formula_cell_is_refused_naming_line_and_column(tmp_path: Path, cell: str) -> None:
    (tmp_path / "header.csv").write_text(f'CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nA1,1,01/02/2015,"{cell}",UN5,,\n')
    (tmp_path / "episodes.csv").write_text(",".join(TABLES[1].columns) + "\n")
    refused = _refusal(tmp_path)
    assert (refused.file, refused.line, refused.column) == ("header.csv", 2, "ETHNIC")
    assert "formula" in refused.message


def test_bytes_that_are_not_utf8_are_refused_naming_the_line(tmp_path: Path) -> None:
    (tmp_path / "header.csv").write_bytes(
        b"CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nA1,1,01/02/2015,WBRI,UN5,,\nA\xff2,1,,,,,\n"
    )
    (tmp_path / "episodes.csv").write_text(",".join(TABLES[1].columns) + "\n")
    refused = _refusal(tmp_path)
    assert (refused.file, refused.line) == ("header.csv", 3)
    assert "not UTF-8" in refused.message


def test_a_byte_order_mark_is_allowed(tmp_path: Path) -> None:
    (tmp_path / "header.csv").write_bytes(
        b"\xef\xbb\xbfCHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nA1,1,01/02/2015,WBRI,UN5,,\n"
    )
    (tmp_path / "episodes.csv").write_text(",".join(TABLES[1].columns) + "\n")
    assert "A1" in read_return(tmp_path).children


def test_a_binary_file_is_not_a_return(tmp_path: Path) -> None:
    (tmp_path / "return.xlsx").write_bytes(b"PK\x03\x04" + bytes(range(256)))
    assert "neither an XML file nor a folder" in _refusal(tmp_path / "return.xlsx").message
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "header.csv").write_bytes(b"CHILD,SEX\x00,DOB\n")
    (tmp_path / "t" / "episodes.csv").write_text(",".join(TABLES[1].columns) + "\n")
    assert "NUL" in _refusal(tmp_path / "t").message


def test_a_folder_without_the_header_or_with_another_table_is_refused(folder: Path) -> None:
    (folder / "notes.csv").write_text("a,b\n")
    assert _refusal(folder).file == "notes.csv"
    (folder / "notes.csv").unlink()
    (folder / "header.csv").unlink()
    assert "no header.csv" in _refusal(folder).message


def _with_an_order(current: list[ChildRecord]) -> list[ChildRecord]:
    """The first child looked after under a deprivation of liberty order (a row of the DoLo table, 2026-27's)."""
    first = current[0]
    first.dolo.append(DoloRow(child=first.child, dob=first.header[0].dob, dolo_start=date(2025, 9, 1)))
    return current


def test_a_dolo_table_in_a_return_before_2026_27_is_refused_naming_it(tmp_path: Path) -> None:
    """The DoLo table is 2026-27's: in an earlier year's return, or one given the wrong year, it is refused naming
    the file (an empty one too) and the line of the XML's group, never checked silently against that year's rules."""
    current, _ = _children()
    write_csv(_with_an_order(current), tmp_path / "csv")  # every table, dolo.csv among them
    for year in (2025, 2026):
        with pytest.raises(ReturnRefused) as caught:
            read_return(tmp_path / "csv", year=year)
        assert caught.value.file == "dolo.csv"
        assert (
            "from 2026-27" in caught.value.message and f"the {year - 1}-{year % 100:02d} return" in caught.value.message
        )
    assert read_return(tmp_path / "csv", year=2027).children[current[0].child].dolo  # its own year reads it
    assert read_return(tmp_path / "csv").children[current[0].child].dolo  # no year given: nothing to check against
    write_csv(current[1:], tmp_path / "empty")  # a header line alone
    with pytest.raises(ReturnRefused) as caught:
        read_return(tmp_path / "empty", year=2026)
    assert caught.value.file == "dolo.csv"
    write_xml(current, tmp_path / "r.xml")
    with pytest.raises(ReturnRefused) as caught:
        read_return(tmp_path / "r.xml", year=2026)
    assert caught.value.file == "r.xml" and caught.value.line and "DoLo" in caught.value.message
    assert read_return(tmp_path / "r.xml", year=2027).children[current[0].child].dolo
    code, out, err = _run(str(tmp_path / "csv"), "--year", "2026", "--format", "json")
    assert code == 2 and json.loads(out)["file"] == "dolo.csv" and "from 2026-27" in err


def test_last_years_return_is_read_as_last_years(tmp_path: Path) -> None:
    """A 2026-27 return may hold the DoLo table; last year's, given with it, may not."""
    current, previous = _children()
    write_csv(current, tmp_path / "now")
    write_csv(previous, tmp_path / "last")
    with pytest.raises(ReturnRefused) as caught:
        validate_path(tmp_path / "now", CollectionYear(2027), tmp_path / "last", workers=1)
    assert caught.value.file == "dolo.csv" and "the 2025-26 return" in caught.value.message
    (tmp_path / "last" / "dolo.csv").unlink()
    validate_path(tmp_path / "now", CollectionYear(2027), tmp_path / "last", workers=1)


def test_a_table_too_large_for_a_903_return_is_refused_before_reading(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader, "MAX_TABLE_BYTES", 1000)
    refused = _refusal(folder)
    assert "larger than" in refused.message and refused.file is not None


def test_a_line_longer_than_any_row_is_refused(tmp_path: Path) -> None:
    (tmp_path / "header.csv").write_text("CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n" + "x" * 200_000 + "\n")
    (tmp_path / "episodes.csv").write_text(",".join(TABLES[1].columns) + "\n")
    refused = _refusal(tmp_path)
    assert refused.line == 2 and "longer than" in refused.message


def test_an_impossible_date_is_a_finding_under_the_dfes_rule(folder: Path) -> None:
    lines = (folder / "header.csv").read_text().splitlines()
    cells = lines[1].split(",")
    cells[2] = "31/02/2015"
    lines[1] = ",".join(cells)
    (folder / "header.csv").write_text("\n".join(lines) + "\n")
    report = validate_path(folder, Y)
    found = [f for f in report.findings if f.code == "102"]
    assert [(f.child, f.table, f.fields, f.line) for f in found] == [(cells[0], "Header", "DOB", 2)]


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE EXPSSDA903 [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<EXPSSDA903><CHILD><HEADER><CHILDID>&b;</CHILDID></HEADER></CHILD></EXPSSDA903>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE EXPSSDA903 [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<EXPSSDA903><CHILD><HEADER><CHILDID>&x;</CHILDID></HEADER></CHILD></EXPSSDA903>"""


@pytest.mark.parametrize("body", [BILLION_LAUGHS, EXTERNAL])
def test_hostile_xml_is_refused_and_nothing_is_expanded_or_fetched(tmp_path: Path, body: bytes) -> None:
    (tmp_path / "r.xml").write_bytes(body)
    refused = _refusal(tmp_path / "r.xml")
    assert "DOCTYPE" in refused.message


def test_truncated_xml_is_refused_as_cut_short(tmp_path: Path) -> None:
    current, _ = _children(5)
    write_xml(current, tmp_path / "r.xml")
    data = (tmp_path / "r.xml").read_bytes()
    (tmp_path / "r.xml").write_bytes(data[: len(data) // 2])
    refused = _refusal(tmp_path / "r.xml")
    assert "cut short" in refused.message or "not well-formed" in refused.message
    assert refused.file == "r.xml"


def test_xml_that_is_not_a_903_return_is_refused(tmp_path: Path) -> None:
    (tmp_path / "r.xml").write_bytes(b"<?xml version='1.0'?><Message><Child/></Message>")
    assert "not <EXPSSDA903>" in _refusal(tmp_path / "r.xml").message


def test_an_absurdly_large_child_element_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "MAX_CHILD_BYTES", 10_000)
    monkeypatch.setattr(reader, "CHUNK_BYTES", 4096)
    body = b"<EXPSSDA903><CHILD><HEADER><CHILDID>A</CHILDID></HEADER>" + b"<X>y</X>" * 5000 + b"</CHILD></EXPSSDA903>"
    (tmp_path / "r.xml").write_bytes(body)
    assert "larger than" in _refusal(tmp_path / "r.xml").message


# --- properties of the parser ------------------------------------------------------------------------------------


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_every_real_date_reads_in_both_forms(day: date) -> None:
    assert parse_date(day.strftime("%d/%m/%Y")) == day
    assert parse_date(day.isoformat()) == day


@given(st.text(max_size=30))
def test_no_text_makes_the_date_parser_raise(text: str) -> None:
    parsed = parse_date(text)
    assert parsed is None or isinstance(parsed, date)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=400))
def test_any_bytes_are_read_or_refused_never_a_crash(tmp_path: Path, data: bytes) -> None:
    (tmp_path / "header.csv").write_bytes(b"CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n" + data)
    (tmp_path / "episodes.csv").write_text(",".join(TABLES[1].columns) + "\n")
    try:
        read = read_return(tmp_path)
    except ReturnRefused as refused:
        assert refused.file == "header.csv" and refused.message
    else:
        assert all(c.child for c in read.children.values())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300))
def test_any_bytes_after_an_xml_start_are_read_or_refused(tmp_path: Path, data: bytes) -> None:
    (tmp_path / "r.xml").write_bytes(b"<EXPSSDA903><CHILD>" + data)
    try:
        read_return(tmp_path / "r.xml")
    except ReturnRefused as refused:
        assert refused.message


# --- the command line ------------------------------------------------------------------------------------------


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner(env={"COLUMNS": "300"}).invoke(app, ["returns", "ssda903", "validate", *args])
    return result.exit_code, result.stdout, result.stderr


def test_a_clean_return_exits_0_with_last_years(tmp_path: Path) -> None:
    current, previous = _children()
    write_csv(current, tmp_path / "now", TABLES_2026)
    write_xml(previous, tmp_path / "last.xml")
    code, out, err = _run(
        str(tmp_path / "now"), "--previous", str(tmp_path / "last.xml"), "--year", "2026", "--format", "json"
    )
    assert code == 0, out
    assert json.loads(out) == []
    assert "0 errors" in err and "comparing with last year not run" not in err


def test_errors_exit_1_with_the_rule_child_table_and_fields(folder: Path) -> None:
    _rewrite(folder / "header.csv", ",WBRI,", ",XXXX,")
    code, out, err = _run(str(folder), "--year", "2026", "--format", "csv")
    assert code == 1
    rows = list(csv.DictReader(out.splitlines()))
    assert rows[0]["code"] == "103" and rows[0]["table"] == "Header" and rows[0]["fields"] == "ETHNIC"
    assert "ethnicity code" in rows[0]["message"]
    assert "rules comparing with last year not run" in err


def test_a_refused_return_exits_2_naming_file_line_and_column(folder: Path) -> None:
    _rewrite(folder / "missing.csv", "MIS_START", "MIS_STRT")
    code, out, err = _run(str(folder), "--format", "json", "--year", "2026")
    assert code == 2
    said = json.loads(out)
    assert said["refused"] and said["file"] == "missing.csv" and said["line"] == 1
    assert "MIS_STRT" in err


def test_an_unknown_year_or_format_exits_2(folder: Path) -> None:
    assert _run(str(folder), "--year", "1999")[0] == 2
    assert _run(str(folder), "--format", "xlsx")[0] == 2


def test_the_table_names_what_a_user_reads_and_never_runs_markup(folder: Path) -> None:
    _rewrite(folder / "episodes.csv", ",N1,", ",[bold]N1,")
    code, out, _ = _run(str(folder), "--year", "2026")
    assert code == 1
    assert "[bold]N1" in out and "145" in out


def test_workers_find_the_same_as_one_process(tmp_path: Path) -> None:
    current, previous = _children(80)
    write_csv(current, tmp_path / "now", TABLES_2026)
    write_csv(previous, tmp_path / "last", tables_for(2025))
    _rewrite(tmp_path / "now" / "header.csv", ",WBRI,", ",XXXX,")
    _rewrite(tmp_path / "now" / "episodes.csv", ",N1,", ",N9,")
    alone = validate_path(tmp_path / "now", Y, tmp_path / "last", workers=1)
    shared = validate_path(tmp_path / "now", Y, tmp_path / "last", workers=2)
    assert {f.code for f in alone.findings} >= {"103", "145"}
    assert shared.findings == alone.findings
    assert shared.children == alone.children == len(current)


def test_a_refusal_in_a_worker_keeps_its_file_line_and_column(folder: Path) -> None:
    _rewrite(folder / "episodes.csv", "PLACE_PROVIDER", "PROVIDER")
    with pytest.raises(ReturnRefused) as caught:
        validate_path(folder, Y, workers=2)
    assert (caught.value.file, caught.value.line) == ("episodes.csv", 1)
    assert "'PROVIDER' is not a column of Episodes" in caught.value.message


# --- the fast reading and the line-by-line reading agree -------------------------------------------------------

_CODES = st.sampled_from(["", "C1", "C2", "C3", "S", "P", "L", "V2", "U1", "NB1 2AB", "E13", "X1", "2", "WBRI"])
_DATES = st.sampled_from(["01/04/2025", "2025-06-30", "31/02/2025", "zz/04/2020", "1/4/2025", "29/02/2024", ""])
_TEXT = st.text(alphabet=' ,"=+-@\t\r\nAZaz09/\x00é', max_size=6)
_CHILDREN = st.sampled_from([f"C{n}" for n in range(20)] + [""])
# episodes.csv: CHILD, DECOM, RNE, LS, CIN, PLACE, PLACE_PROVIDER, DEC, REC, REASON_PLACE_CHANGE, HOME_POST, PL_POST,
# URN
_CLEAN_ROW = st.tuples(_CHILDREN, _DATES, *[_CODES] * 5, _DATES, *[_CODES] * 5).map(list)
_ANY_ROW = st.lists(st.one_of(_CODES, _DATES, _TEXT), min_size=12, max_size=14)


def _outcome(table_file: str, path: Path, shard: tuple[int, int] | None, fast: bool) -> object:
    try:
        return list(reader.read_table(reader.TABLE_BY_FILE[table_file], path, shard, fast=fast))
    except ReturnRefused as exc:
        return ("refused", exc.message, exc.file, exc.line, exc.column)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(_CLEAN_ROW, max_size=12) | st.lists(st.one_of(_CLEAN_ROW, _ANY_ROW), max_size=12),
    crlf=st.booleans(),
    bom=st.booleans(),
    shard=st.sampled_from([None, (0, 2), (1, 2)]),
    block=st.sampled_from([16, 64, 1 << 16]),
)
def test_the_fast_reading_gives_the_rows_or_refusal_of_the_line_by_line_one(
    tmp_path: Path, rows: list[list[str]], crlf: bool, bom: bool, shard: tuple[int, int] | None, block: int
) -> None:
    """Any file, well formed or not (cells with formulas, quotes, spaces, line breaks, NUL bytes, impossible
    dates, rows too short or too long, blank lines): the same rows, lines and invalid dates, or the same refusal."""
    end = "\r\n" if crlf else "\n"
    lines = [",".join(TABLES[1].columns)] + [",".join(cells) for cells in rows]
    data = ("\ufeff" if bom else "") + end.join(lines) + end
    path = tmp_path / "episodes.csv"
    path.write_bytes(data.encode("utf-8"))
    old = reader.FAST_BLOCK_BYTES
    reader.FAST_BLOCK_BYTES = block
    try:
        assert _outcome("episodes.csv", path, shard, True) == _outcome("episodes.csv", path, shard, False)
    finally:
        reader.FAST_BLOCK_BYTES = old


def test_the_fast_reading_reads_a_clean_return_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    current, _ = _children()
    write_csv(current, tmp_path, TABLES_2026)
    monkeypatch.setattr(reader, "_rows", None)  # the line-by-line reading is never reached
    assert [_without_lines(read_return(tmp_path).children[c.child]) for c in current] == current
