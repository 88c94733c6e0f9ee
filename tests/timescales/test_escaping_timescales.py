"""Script typed into a child's name is shown escaped on the due pages and the deadline's explanation."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from safeguarding.core.db import Database
from safeguarding.core.users import Role
from safeguarding.timescales import service
from safeguarding.timescales.models import Deadline
from tests.support import Factory, sign_in_as
from tests.timescales import records

SCRIPT = "<script>alert('x')</script>"


def test_script_in_a_name_is_escaped(factory: Factory, database: Database, client: TestClient) -> None:
    team = factory.team(service="assessment")
    manager = factory.user(Role.TEAM_MANAGER, team_id=team.id)
    with database.transaction() as s:
        child = records.child(s, SCRIPT, "O" * 100)
        records.open_case(s, child.id, manager.id, team.id, service.today_in_london())
        service.recompute_all(s)
        deadline_id = s.scalar(select(Deadline.id).where(Deadline.person_id == child.id).limit(1))
    sign_in_as(client, database, manager)
    for path in ("/due", "/due/team", "/due/service", f"/due/deadlines/{deadline_id}"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert SCRIPT not in page.text and "&lt;script&gt;" in page.text, path
