"""Script and formulas in names cannot break out of the insight pages or the Annex A workbook; over-long text is
refused by field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select

from safeguarding.core.users import Role, User
from safeguarding.insight.models import Vacancy
from safeguarding.people.models import Person
from tests.returns import insight_council
from tests.support import sign_in_as

SCRIPT = '<script>alert("x")</script>'
FORMULA = '=HYPERLINK("http://example.invalid","click")'


def _user(database: Any, user_id: int) -> User:
    with database.transaction() as s:
        user = s.get_one(User, user_id)
        s.expunge(user)
    return user


def test_names_are_text_in_pages_and_in_the_workbook(app: Any, database: Any, factory: Any, tmp_path: Path) -> None:
    council = insight_council.build(factory)
    with database.transaction() as s:
        s.get_one(User, council.sam_id).full_name = FORMULA
        s.get_one(User, council.pat_id).full_name = SCRIPT
        s.get_one(Person, council.children["C1"]).first_name = SCRIPT
    admin = factory.user(Role.ADMINISTRATOR, username="admin.escape")

    analyst = TestClient(app)
    csrf = sign_in_as(analyst, database, _user(database, council.analyst_id))
    got = analyst.post("/returns/annex-a", data={"from": "2026-01-01", "to": "2026-03-31", "csrf_token": csrf})
    path = tmp_path / "annex.xlsx"
    path.write_bytes(got.content)
    book = load_workbook(path)
    staff_names = [row[1] for row in book["Staff"].iter_rows(min_row=2, values_only=True)]
    assert "'" + FORMULA in staff_names and FORMULA not in staff_names
    assert all(cell.data_type != "f" for row in book["Staff"].iter_rows() for cell in row)

    page = analyst.get("/returns/workforce", params={"on": "2026-03-31"})
    assert SCRIPT not in page.text and "&lt;script&gt;" in page.text

    manager = TestClient(app)
    sign_in_as(manager, database, _user(database, council.manager_id))
    drill = manager.get(
        "/returns/indicators/children",
        params={"indicator": "contacts_referrals", "from": "2026-01-01", "to": "2026-03-31"},
    )
    assert SCRIPT not in drill.text and "&lt;script&gt;" in drill.text

    as_admin = TestClient(app)
    admin_csrf = sign_in_as(as_admin, database, admin)
    long = as_admin.post(
        "/returns/workforce/vacancies",
        data={"csrf_token": admin_csrf, "title": "x" * 201, "fte": "1", "opened_on": "2026-01-01"},
    )
    assert long.status_code == 422 and "The post must be 200 characters or fewer" in long.text
    scripted = as_admin.post(
        "/returns/workforce/vacancies",
        data={"csrf_token": admin_csrf, "title": SCRIPT, "fte": "1", "opened_on": "2026-01-01"},
    )
    assert scripted.status_code == 200  # the redirect followed to the list
    assert SCRIPT not in scripted.text and "&lt;script&gt;" in scripted.text
    with database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Vacancy)) == 1
