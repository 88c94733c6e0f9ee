"""Hostile and malformed records files: each refused with a message naming the line, or read safely; never a crash,
never a formula run, never the whole of a huge file in memory."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from safeguarding.people.linkage.files import MAX_LINE_BYTES, FileRefused, read_records

HEADER = "record_id,source,first_name,surname,dob,sex,postcode,nhs_number\n"


def write(tmp_path: Path, text: str | bytes, name: str = "records.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def refusal(path: Path, **options: int) -> FileRefused:
    with pytest.raises(FileRefused) as caught:
        list(read_records(path, **options))
    return caught.value


def test_a_good_file_is_read_with_dates_blanks_and_a_byte_order_mark(tmp_path: Path) -> None:
    path = write(tmp_path, "\ufeff" + HEADER + "1,school,Amy,Smith,2014-03-04,F,LS8 2AB,\n2,police,,Jones,,,,\n")
    first, second = read_records(path)
    assert (first.first_name, first.dob.isoformat() if first.dob else None, first.nhs_number) == (
        "Amy",
        "2014-03-04",
        None,
    )
    assert (second.first_name, second.dob, second.postcode) == (None, None, None)


def test_columns_in_another_order_and_an_upn_column_are_accepted(tmp_path: Path) -> None:
    path = write(
        tmp_path, "upn,surname,first_name,record_id,source,dob,sex,postcode,nhs_number\nA1,Smith,Amy,1,s,,,,\n"
    )
    [record] = read_records(path)
    assert (record.record_id, record.first_name, record.upn) == ("1", "Amy", "A1")


def test_wrong_columns_are_named(tmp_path: Path) -> None:
    refused = refusal(write(tmp_path, "record_id,name,dob\n1,Amy,2014-03-04\n"))
    assert refused.line == 1
    assert "missing columns source, first_name, surname, sex, postcode, nhs_number" in str(refused)
    assert "unknown column 'name'" in str(refused)


def test_a_bad_date_names_the_line_and_the_value(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "1,s,Amy,Smith,2014-03-04,F,,\n2,s,Ella,Smith,2014-13-01,F,,\n")
    assert str(refusal(path)) == "line 3: dob '2014-13-01' is not a real date"
    path = write(tmp_path, HEADER + "1,s,Amy,Smith,04/03/2014,F,,\n")
    assert str(refusal(path)).startswith("line 2: dob '04/03/2014' is not a date written as YYYY-MM-DD")


def test_text_that_is_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER.encode() + b"1,s,Amy,Smith,,,,\n2,s,Zo\xeb,Smith,,,,\n")
    refused = refusal(path)
    assert refused.line == 3 and "not UTF-8" in str(refused)


def test_control_characters_are_refused(tmp_path: Path) -> None:
    refused = refusal(write(tmp_path, HEADER + "1,s,Amy\x1b[31m,Smith,,,,\n"))
    assert str(refused) == "line 2: first_name holds a control character, which no name or code has"


def test_a_row_of_the_wrong_length_and_a_repeated_id(tmp_path: Path) -> None:
    assert str(refusal(write(tmp_path, HEADER + "1,s,Amy\n"))) == "line 2: expected 8 cells, found 3"
    refused = refusal(write(tmp_path, HEADER + "1,s,Amy,Smith,,,,\n1,s,Ella,Smith,,,,\n"))
    assert refused.line == 3 and "given twice" in str(refused)


def test_an_empty_file_and_a_header_alone(tmp_path: Path) -> None:
    assert "empty" in str(refusal(write(tmp_path, "")))
    assert "no records" in str(refusal(write(tmp_path, HEADER)))


def test_lines_are_counted_through_a_quoted_cell_that_spans_two(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + '1,s,Amy,"Smith, the\nelder",,,,\n2,s,Ella,Smith,1999-02-30,,,\n')
    refused = refusal(path)
    assert refused.line == 3 and "surname holds a control character" in str(refused)  # a line break in a name


def test_formula_cells_are_data(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + '=1+1,s,"=HYPERLINK(""http://x"")",@SUM(A1),,-,+44,\n')
    [record] = read_records(path)
    assert record.record_id == "=1+1" and record.first_name == '=HYPERLINK("http://x")'


def test_a_line_longer_than_any_record_is_refused_without_reading_on(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "1,s," + "A" * (MAX_LINE_BYTES * 4) + ",Smith,,,,\n")
    refused = refusal(path)
    assert refused.line == 2 and "longer than" in str(refused)


def test_a_huge_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with path.open("wb") as file:  # a sparse 2 GiB file: no disk used, nothing to read
        file.write(HEADER.encode())
        file.truncate(2 << 30)
    refused = refusal(path)
    assert "2.0 GiB" in str(refused) and "split it" in str(refused)


def test_too_many_records_names_the_line(tmp_path: Path) -> None:
    rows = "".join(f"{n},s,Amy,Smith,,,,\n" for n in range(5))
    refused = refusal(write(tmp_path, HEADER + rows), max_records=3)
    assert refused.line == 5 and "more than 3 records" in str(refused)


def test_records_are_streamed_not_read_whole(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "1,s,Amy,Smith,,,,\n2,s,Ella,Smith,2014-02-30,,,\n")
    reader = read_records(path)
    assert next(reader).record_id == "1"  # the first record comes before the bad second line is read
    with pytest.raises(FileRefused):
        next(reader)


def test_the_output_is_defused_for_spreadsheets(tmp_path: Path) -> None:
    from safeguarding.people.linkage.files import csv_output, safe_row

    out = tmp_path / "out.csv"
    with csv_output(out) as writer:
        writer.writerow(safe_row(["=1+1", "@SUM(A1)", "-2", "+44", "Amy"]))
    with out.open(encoding="utf-8", newline="") as file:
        assert next(csv.reader(file)) == ["'=1+1", "'@SUM(A1)", "'-2", "'+44", "Amy"]


def test_an_output_is_not_left_half_written(tmp_path: Path) -> None:
    from safeguarding.people.linkage.files import csv_output

    out = tmp_path / "out.csv"
    with pytest.raises(RuntimeError), csv_output(out) as writer:
        writer.writerow(["a"])
        raise RuntimeError("stopped halfway")
    assert list(tmp_path.iterdir()) == []
