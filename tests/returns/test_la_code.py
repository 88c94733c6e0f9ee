"""The council's DfE LA code is a local setting (returns.la_code): the CIN census header carries it, the UPN check
(rule 1530) accepts the council's own code beside the DfE list, and an invalid code is refused naming the field."""

from __future__ import annotations

import io
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from safeguarding.core import local_settings
from safeguarding.core.audit import Actor
from safeguarding.core.db import Database
from safeguarding.core.errors import ValidationFailed
from safeguarding.people.models import Person
from safeguarding.returns.cin_census import service
from safeguarding.returns.cin_census.census import CensusYear, Header
from safeguarding.returns.cin_census.reader import open_census
from safeguarding.returns.cin_census.validator import validate_file, year_of
from tests.returns.census_xml import upn
from tests.returns.test_cin_census_export import build_hand_council

YEAR = CensusYear(2026)
KEY = "returns.la_code"
NOT_LISTED = "944"  # three digits, not (yet) on the DfE list held in core/codes.py


def _set(database: Database, value: Any) -> None:
    with database.transaction() as s:
        local_settings.apply_changes(s, local_settings.validate(s, {KEY: value}), Actor.system("test"), None)


def _lea(xml: bytes) -> str | None:
    census = open_census(io.BytesIO(xml))
    list(census.children())
    assert census.header is not None
    return census.header.lea


def test_the_exported_header_carries_the_setting(database: Database) -> None:
    build_hand_council(database)
    out = io.BytesIO()
    with database.transaction() as s:
        service.export_census(s, YEAR, out, lea=None)
    assert _lea(out.getvalue()) == "999"  # not set yet
    _set(database, "938")
    out = io.BytesIO()
    with database.transaction() as s:
        assert local_settings.get(s, KEY) == 938
        service.export_census(s, YEAR, out)
    assert _lea(out.getvalue()) == "938"
    given = io.BytesIO()
    with database.transaction() as s:
        service.export_census(s, YEAR, given, lea="201")  # the command line's --lea still wins
    assert _lea(given.getvalue()) == "201"


def test_the_export_command_reads_the_setting(database: Database, tmp_path: Any) -> None:
    from safeguarding.cli import app

    build_hand_council(database)
    _set(database, "938")
    out = tmp_path / "census.xml"
    result = CliRunner().invoke(app, ["returns", "cin-census", "export", "--year", "2026", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert _lea(out.read_bytes()) == "938"


@pytest.mark.parametrize("value", ["93", "1000", "abc", "", "012", "200"])
def test_an_invalid_code_is_refused_naming_the_field(database: Database, value: str) -> None:
    with database.transaction() as s, pytest.raises(ValidationFailed) as refused:
        local_settings.validate(s, {KEY: value})
    assert set(refused.value.errors) == {KEY}
    assert refused.value.errors[KEY].startswith("DfE local authority code")
    with database.transaction() as s:
        assert local_settings.get(s, KEY) == 999


def test_the_settings_page_shows_and_saves_the_code(client: Any, factory: Any, database: Database) -> None:
    import pyotp

    from safeguarding.core.users import Role
    from tests.support import sign_in_as

    admin = factory.user(Role.ADMINISTRATOR, totp_secret=pyotp.random_base32())
    token = sign_in_as(client, database, admin)
    page = client.get("/admin/settings")
    assert page.status_code == 200 and f'id="{KEY}"' in page.text and "DfE local authority code" in page.text
    form = {"csrf_token": token}
    for key, definition in local_settings.DEFINITIONS.items():
        if definition.kind is not bool or definition.default:
            form[key] = (
                "yes"
                if definition.kind is bool
                else "\n".join(definition.default)
                if definition.kind is list
                else str(definition.default)
            )
    refused = client.post("/admin/settings", data={**form, KEY: "9381"})
    assert refused.status_code == 422 and "DfE local authority code (three digits) must be at most 999" in refused.text
    saved = client.post("/admin/settings", data={**form, KEY: "938"})
    assert saved.status_code == 303
    with database.transaction() as s:
        assert local_settings.get(s, KEY) == 938


def test_rule_1530_accepts_the_councils_own_code(database: Database) -> None:
    ids = build_hand_council(database)
    with database.transaction() as s:
        s.get_one(Person, ids["in_need"]).upn = upn(3, la=NOT_LISTED)

    def upn_findings() -> list[str]:
        with database.transaction() as s:
            report = service.validate_live(s, YEAR)
        return [f.message for f in report.findings if f.code == "1530"]

    assert upn_findings() == [f"UPN {upn(3, la=NOT_LISTED)}: {NOT_LISTED} is not a local authority code"]
    _set(database, NOT_LISTED)
    assert upn_findings() == []
    with database.transaction() as s:
        assert s.scalar(select(Person.upn).where(Person.id == ids["in_need"])) == upn(3, la=NOT_LISTED)


def test_a_files_header_names_the_council_making_the_return(database: Database, tmp_path: Any) -> None:
    ids = build_hand_council(database)
    with database.transaction() as s:
        s.get_one(Person, ids["in_need"]).upn = upn(3, la=NOT_LISTED)
    out = tmp_path / "census.xml"
    with database.transaction() as s:
        service.export_census(s, YEAR, out, lea="201")
    assert [f.code for f in validate_file(out).findings if f.code == "1530"] == ["1530"]
    with database.transaction() as s:
        service.export_census(s, YEAR, out, lea=NOT_LISTED)
    assert [f.code for f in validate_file(out).findings if f.code == "1530"] == []
    assert [f.code for f in validate_file(out, YEAR).findings if f.code == "1530"] == []
    assert year_of(Header(year="2026", lea="999")).la_code is None
    assert year_of(Header(year="2026", lea="x38")).la_code is None
    assert CensusYear(2026, "938").upn_la_codes == CensusYear(2026).upn_la_codes
