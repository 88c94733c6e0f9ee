"""Script in a child's name, LAchildID or a value the census carries is shown escaped on the analysts' page, and the
longest name and LAchildID the record holds fit the findings table."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from safeguarding.core.db import Database
from safeguarding.core.users import Role
from safeguarding.people.models import Person
from safeguarding.returns.models import CensusFinding
from tests.returns.test_cin_census_export import build_hand_council
from tests.support import Factory, sign_in

SCRIPT = "<script>alert('x')</script>"


def test_script_in_names_and_values_is_escaped(database: Database, factory: Factory, client: TestClient) -> None:
    from safeguarding.cli import app

    ids = build_hand_council(database)
    analyst = factory.user(Role.PERFORMANCE_ANALYST)
    with database.transaction() as s:
        child = s.get_one(Person, ids["in_need"])
        assert child is not None
        child.first_name = SCRIPT + "N" * (100 - len(SCRIPT))
        child.ethnicity = "<i>"  # a code that is not a code: the message quotes it
        child.la_child_id = "<b>" + "L" * 17  # the longest LAchildID the record holds (20)
    result = CliRunner().invoke(app, ["returns", "cin-census", "check-live", "--year", "2026"])
    assert result.exit_code == 0, result.output
    with database.transaction() as s:
        stored = list(s.scalars(select(CensusFinding.la_child_id).where(CensusFinding.person_id == ids["in_need"])))
    assert stored and all(value == "<b>" + "L" * 17 for value in stored)
    sign_in(client, analyst)
    page = client.get("/returns/cin-census")
    assert page.status_code == 200
    assert SCRIPT not in page.text and "&lt;script&gt;alert" in page.text
    assert "<b>LLL" not in page.text and "&lt;b&gt;LLL" in page.text and "N" * 50 in page.text
    by_rule = client.get("/returns/cin-census", params={"rule": "4220"}).text
    assert "&lt;script&gt;" in by_rule and "&#39;&lt;i&gt;&#39; is not a DfE code" in by_rule and "<i>" not in by_rule
