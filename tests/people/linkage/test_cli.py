"""``safeguarding people link`` and ``people match`` end to end, as a data officer runs them."""

from __future__ import annotations

import csv
import importlib.util
import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from safeguarding.cli import app as cli
from safeguarding.core.audit import AuditEvent
from safeguarding.core.db import Database
from safeguarding.people.linkage import PersonRecord, clusters, link
from safeguarding.people.linkage.files import read_records
from tests.people.conftest import People, valid_nhs

runner = CliRunner()
HEADER = "record_id,source,first_name,surname,dob,sex,postcode,nhs_number\n"
NHS = valid_nhs(943476591)
FILE = HEADER + (
    f"s1,school,William,Smith,2014-03-04,M,LS8 2AB,{NHS}\n"
    "p1,police,Bill,Smith,2014-04-03,M,LS8 2AB,\n"
    "h1,health,Ella,Smith,2014-03-04,F,LS8 2AB,\n"
    "h2,health,Amy,Smith,2014-03-04,F,LS8 2AB,\n"
    "c1,social care,Amy,Smyth,2014-03-04,F,LS8 2AB,\n"
    "=cmd,housing,=1+2,Jones,1990-01-01,,M1 1AE,\n"
)


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def test_link_writes_every_record_s_person_and_the_pairs_with_their_evidence(tmp_path: Path) -> None:
    records = tmp_path / "records.csv"
    records.write_text(FILE)
    out, pairs = tmp_path / "clusters.csv", tmp_path / "pairs.csv"
    result = runner.invoke(cli, ["people", "link", str(records), "--out", str(out), "--pairs", str(pairs)])
    assert result.exit_code == 0, result.output
    found = {row["record_id"]: row["cluster_id"] for row in rows(out)}
    assert found == {"s1": "p1", "p1": "p1", "h1": "h1", "h2": "c1", "c1": "c1", "'=cmd": "'=cmd"}
    proposed = rows(pairs)
    assert {(p["left_id"], p["right_id"]) for p in proposed} == {("s1", "p1"), ("h2", "c1")}
    bill = next(p for p in proposed if p["left_id"] == "s1")
    assert "Date of birth: day and month swapped" in bill["evidence"]
    assert bill["first_name"] == "First name: a known short form (William/Bill)"
    assert bill["nhs_number"] == "not on both records" and float(bill["probability"]) >= 0.95
    assert "6 records, 2 pairs proposed, 4 people" in result.output


def test_the_same_clusters_as_the_library(tmp_path: Path) -> None:
    records = tmp_path / "records.csv"
    records.write_text(FILE)
    out = tmp_path / "clusters.csv"
    assert runner.invoke(cli, ["people", "link", str(records), "--out", str(out)]).exit_code == 0
    library = clusters(list(read_records(records)))
    assert {r["record_id"].lstrip("'"): r["cluster_id"].lstrip("'") for r in rows(out)} == library


def test_a_stricter_threshold_proposes_fewer_pairs(tmp_path: Path) -> None:
    records = tmp_path / "records.csv"
    records.write_text(FILE)
    out = tmp_path / "clusters.csv"
    assert (
        runner.invoke(cli, ["people", "link", str(records), "--out", str(out), "--threshold", "0.9999"]).exit_code == 0
    )
    assert len({row["cluster_id"] for row in rows(out)}) == 5


def test_refused_input_exits_2_names_the_line_and_writes_nothing(tmp_path: Path) -> None:
    records = tmp_path / "records.csv"
    records.write_text(HEADER + "1,s,Amy,Smith,2014-03-04,F,,\n2,s,Ella,Smith,2014-02-30,F,,\n")
    out = tmp_path / "clusters.csv"
    result = runner.invoke(cli, ["people", "link", str(records), "--out", str(out)])
    assert result.exit_code == 2
    assert "line 3: dob '2014-02-30' is not a real date" in result.output
    assert not out.exists()


def test_text_that_is_not_utf8_is_refused_by_both_commands_naming_the_line(tmp_path: Path, database: Database) -> None:
    records = tmp_path / "records.csv"
    records.write_bytes(HEADER.encode() + b"1,s,Amy,Smith,,,,\n2,s,Zo\xeb,Smith,,,,\n")
    for command in (["people", "link"], ["people", "match"]):
        out = tmp_path / "out.csv"
        result = runner.invoke(cli, [*command, str(records), "--out", str(out)])
        assert result.exit_code == 2, command
        assert "line 3: the text is not UTF-8" in result.output
        assert not out.exists()


def test_wrong_options_exit_2(tmp_path: Path) -> None:
    records = tmp_path / "records.csv"
    records.write_text(FILE)
    out = str(tmp_path / "o.csv")
    assert runner.invoke(cli, ["people", "link", str(records), "--out", out, "--engine", "excel"]).exit_code == 2
    assert runner.invoke(cli, ["people", "link", str(records), "--out", out, "--threshold", "1.5"]).exit_code == 2
    missing = runner.invoke(cli, ["people", "link", str(tmp_path / "nope.csv"), "--out", out])
    assert missing.exit_code == 2 and "cannot be read" in missing.output


def test_match_finds_each_record_s_person_in_the_index_and_writes_nothing_to_it(
    tmp_path: Path, database: Database, people: People
) -> None:
    amy = people.add("Amy", "Smith", date_of_birth=date(2014, 3, 4), postcode="LS8 2AB", sex="F")
    ella = people.add("Ella", "Smith", date_of_birth=date(2014, 3, 4), postcode="LS8 2AB", sex="F")
    records = tmp_path / "roll.csv"
    records.write_text(
        HEADER
        + "r1,school,Amy,Smyth,2014-03-04,F,LS8 2AB,\n"  # Amy with a slip in her surname
        + "r2,school,Amy,Smith,2014-03-04,F,M1 1AE,\n"  # the same name and birthday elsewhere: uncertain
        + "r3,school,Zak,Nowak,2001-01-01,M,,\n"  # nobody
    )
    out = tmp_path / "matches.csv"
    result = runner.invoke(cli, ["people", "match", str(records), "--out", str(out)])
    assert result.exit_code == 0, result.output
    found = {row["record_id"]: row for row in rows(out)}
    assert (found["r1"]["person_id"], found["r1"]["band"]) == (str(amy.id), "match")
    assert "Surname: one letter different" in found["r1"]["evidence"]
    assert (found["r2"]["person_id"], found["r2"]["band"]) == (str(amy.id), "uncertain")
    assert (found["r3"]["person_id"], found["r3"]["band"]) == ("", "none")
    assert str(ella.id) not in {row["person_id"] for row in found.values()}  # her twin sister is never suggested
    with database.transaction() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "search")).one()
        detail = json.loads(event.detail)
        assert event.actor_username == "cli" and detail["terms"] == {"file": "roll.csv", "records": 3}
        assert amy.id in detail["hit_person_ids"]


@pytest.mark.skipif(
    importlib.util.find_spec("pyspark") is None,
    reason="PySpark is not installed here (pip install -e '.[spark]'); CI installs it and runs this test",
)
def test_the_spark_engine_gives_the_same_clusters_as_the_embedded_one(tmp_path: Path) -> None:
    records = [
        PersonRecord(f"R{n}", "s", first, surname, dob, sex, postcode, nhs)
        for n, (first, surname, dob, sex, postcode, nhs) in enumerate(
            [
                ("William", "Smith", date(2014, 3, 4), "M", "LS8 2AB", NHS),
                ("Bill", "Smith", date(2014, 4, 3), "M", "LS8 2AB", None),
                ("Smith", "William", date(2014, 3, 4), "M", None, None),
                ("Ella", "Smith", date(2014, 3, 4), "F", "LS8 2AB", None),
                ("Amy", "Smith", date(2014, 3, 4), "F", "LS8 2AB", None),
                ("Amy", "Smyth", date(2014, 3, 4), "F", "LS8 2AB", None),
                ("Zoë", "Nowak", date(2001, 1, 1), None, "M1 1AE", None),
                ("Zoe", "Nowak", date(2001, 1, 1), None, "M1 1AE", None),
            ]
        )
    ]
    spark, embedded = link(records, engine="spark"), link(records)
    assert spark.cluster_ids == embedded.cluster_ids
    assert [(p.left_id, p.right_id) for p in spark.scored_pairs()] == [
        (p.left_id, p.right_id) for p in embedded.scored_pairs()
    ]
    # William twice; Amy twice; Ella; Zoë twice; and "Smith William", with the name and birthday only, proposed with
    # William but joined to no one (a name and a date of birth alone, weighed by how common the names are here).
    assert len(set(embedded.cluster_ids)) == 5
    assert embedded.cluster_ids[2] == "R2" and embedded.cluster_ids[1] == embedded.cluster_ids[0]
    assert ("R0", "R2") in {(p.left_id, p.right_id) for p in embedded.scored_pairs()}
