"""The improvement plan: items with actions and the live evidence beside them on one page; bad input named and
nothing half-written; action states and progress as pure rules."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from safeguarding.core.users import User
from safeguarding.insight import improvement
from safeguarding.insight.models import ImprovementAction, ImprovementItem
from tests.returns import insight_council
from tests.support import sign_in_as


def test_action_states_and_progress() -> None:
    today = date(2026, 4, 15)
    assert improvement.action_state(date(2026, 4, 1), None, today) == "overdue"
    assert improvement.action_state(date(2026, 4, 15), None, today) == "due"
    assert improvement.action_state(date(2026, 4, 1), date(2026, 3, 30), today) == "done"
    assert improvement.progress(0.70, 0.90, "higher") == "improving"
    assert improvement.progress(0.30, 0.20, "lower") == "improving"
    assert improvement.progress(0.30, 0.40, "lower") == "worsening"
    assert improvement.progress(0.5, 0.5, "higher") == "unchanged"
    assert improvement.progress(None, 0.5, "higher") == "not known"


def _user(database: Any, user_id: int) -> User:
    with database.transaction() as s:
        user = s.get_one(User, user_id)
        s.expunge(user)
    return user


def test_the_board_sees_plan_and_evidence_on_one_page(app: Any, database: Any, factory: Any) -> None:
    council = insight_council.build(factory)
    client = TestClient(app)
    csrf = sign_in_as(client, database, _user(database, council.analyst_id))
    made = client.post(
        "/returns/improvement/items",
        data={
            "csrf_token": csrf,
            "kind": "priority_action",
            "source": "Monitoring visit letter",
            "reported_on": "2026-01-31",
            "text": "Children wait too long for their first visit <script>x</script>",
            "indicators": ["re_referrals", "unallocated"],
        },
        follow_redirects=False,
    )
    assert made.status_code == 303
    with database.transaction() as s:
        item_id = s.scalars(select(ImprovementItem.id)).one()
    client.post(
        f"/returns/improvement/items/{item_id}/actions",
        data={
            "csrf_token": csrf,
            "description": "Duty rota reviewed weekly",
            "owner": "Head of service",
            "due_on": "2026-02-28",
        },
    )
    client.post(
        f"/returns/improvement/items/{item_id}/actions",
        data={
            "csrf_token": csrf,
            "description": "Recruit two social workers",
            "owner": "Service manager",
            "due_on": "2030-12-31",
        },
    )
    with database.transaction() as s:
        first = s.scalars(select(ImprovementAction).order_by(ImprovementAction.due_on)).first()
        assert first is not None
        first_id, version = first.id, first.version
    done = client.post(
        f"/returns/improvement/actions/{first_id}/done",
        data={"csrf_token": csrf, "done_on": "2026-02-20", "version": str(version)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    page = client.get("/returns/improvement")
    assert page.status_code == 200
    assert "&lt;script&gt;" in page.text and "<script>x" not in page.text
    assert "Area for priority action: Monitoring visit letter, 31 January 2026" in page.text
    assert "1 of 2 actions done" in page.text and 'data-action-state="done"' in page.text
    # Evidence: re-referrals in the six months to 31 January 2026 (C1's January referral, not a re-referral:
    # 0 of 1) beside the figure since (C2's re-referral in February and C4's March referral: 1 of 2).
    assert 'data-evidence="re_referrals"' in page.text
    row = page.text.split('data-evidence="re_referrals"')[1].split("</tr>")[0]
    assert "0.0%" in row and "50.0%" in row and "Worsening" in row and "22.6%" in row


def test_bad_input_is_named_and_nothing_is_written(app: Any, database: Any, factory: Any) -> None:
    council = insight_council.build(factory)
    client = TestClient(app)
    csrf = sign_in_as(client, database, _user(database, council.manager_id))
    bad = client.post(
        "/returns/improvement/items",
        data={
            "csrf_token": csrf,
            "kind": "gossip",
            "source": "",
            "reported_on": "2026-13-01",
            "text": "x" * 4001,
            "indicators": ["nonsense"],
        },
    )
    assert bad.status_code == 422
    for message in (
        "Choose finding, recommendation or area for priority action",
        "Enter where it comes from",
        "The date of the letter or report must be a real date",
        "The finding or recommendation as written must be 4,000 characters or fewer",
        "Choose indicators from the list",
    ):
        assert message in bad.text
    with database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(ImprovementItem)) == 0
    assert (
        client.post(
            "/returns/improvement/items/999999/actions",
            data={"csrf_token": csrf, "description": "x", "owner": "y", "due_on": "2026-01-01"},
        ).status_code
        == 404
    )
