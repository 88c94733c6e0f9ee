"""Administration pages: accounts, teams, partner agencies, API tokens, local settings."""

from __future__ import annotations

import json
import re

import pyotp
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from safeguarding.core import local_settings
from safeguarding.core.accounts import UserForm, update_user
from safeguarding.core.audit import AuditEvent
from safeguarding.core.db import Database
from safeguarding.core.security import token_digest
from safeguarding.core.users import ApiToken, Role, User, UserSession
from tests.support import PASSWORD, Factory, csrf_from, sign_in

NEW_PASSWORD = "a quite long temporary phrase"


def _events(database: Database, action: str | None = None, target_type: str | None = None) -> list[AuditEvent]:
    with database.transaction() as s:
        query = select(AuditEvent).order_by(AuditEvent.id)
        if action:
            query = query.where(AuditEvent.action == action)
        if target_type:
            query = query.where(AuditEvent.target_type == target_type)
        return list(s.scalars(query))


def _version(html: str) -> str:
    """The account's version as the edit form read it."""
    match = re.search(r'name="version" value="([0-9a-f]+)"', html)
    assert match, "the form has no version field"
    return match.group(1)


def test_administrator_sees_admin_home_and_users(client: TestClient, admin: User, factory: Factory) -> None:
    factory.user(Role.MASH_WORKER, username="mash.worker")
    sign_in(client, admin)
    home = client.get("/admin")
    assert home.status_code == 200
    assert "Local settings" in home.text
    users = client.get("/admin/users")
    assert users.status_code == 200
    assert "mash.worker" in users.text


def test_other_roles_are_refused_administration_and_the_refusal_is_audited(
    client: TestClient, factory: Factory, database: Database
) -> None:
    manager = factory.user(Role.MASH_MANAGER)
    sign_in(client, manager)
    for path in ("/admin", "/admin/users", "/admin/users/new", "/admin/organisations"):
        assert client.get(path).status_code == 403, path
    refusals = [e for e in _events(database) if e.outcome == "refused"]
    assert len(refusals) == 4
    assert all(e.actor_username == manager.username and e.target_type == "user_account" for e in refusals)


def test_create_user_with_temporary_password_then_user_must_change_it(
    client: TestClient, admin: User, factory: Factory, database: Database
) -> None:
    team = factory.team("Front Door MASH")
    token = sign_in(client, admin)
    response = client.post(
        "/admin/users/new",
        data={
            "csrf_token": token,
            "username": "new.worker",
            "full_name": "Nadia Worker",
            "email": "",
            "role": "mash_worker",
            "team_id": str(team.id),
            "agency_id": "",
            "temporary_password": NEW_PASSWORD,
        },
    )
    assert response.status_code == 303, response.text
    page = client.get(response.headers["location"])
    assert "Nadia Worker" in page.text and "temporary password" in page.text
    assert _events(database, "create", "user_account")[0].detail.count("new.worker") == 1

    # The new user signs in and is sent to choose their own password first.
    client.post("/sign-out", data={"csrf_token": csrf_from(page.text)})
    form = client.get("/sign-in")
    response = client.post(
        "/sign-in",
        data={
            "username": "new.worker",
            "password": NEW_PASSWORD,
            "csrf_token": csrf_from(form.text),
            "next": "/people",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/account/password"


def test_create_user_names_each_field_at_fault(client: TestClient, admin: User, factory: Factory) -> None:
    factory.user(Role.MASH_WORKER, username="taken")
    token = sign_in(client, admin)
    response = client.post(
        "/admin/users/new",
        data={
            "csrf_token": token,
            "username": "taken",
            "full_name": "",
            "role": "partner_practitioner",
            "team_id": "",
            "agency_id": "",
            "temporary_password": "short",
        },
    )
    assert response.status_code == 422
    assert "Username taken is already taken" in response.text
    assert "Full name must be 1 to 200 characters" in response.text
    assert "A partner practitioner must belong to a partner agency" in response.text
    assert "at least 12 characters" in response.text
    with factory.database.transaction() as s:
        assert s.scalar(select(User).where(User.full_name == "")) is None


def test_script_typed_into_a_name_is_stored_as_typed_and_shown_escaped(
    client: TestClient, admin: User, database: Database
) -> None:
    token = sign_in(client, admin)
    name = '<script>alert("x")</script> Smith'
    response = client.post(
        "/admin/users/new",
        data={
            "csrf_token": token,
            "username": "xss.test",
            "full_name": name,
            "role": "social_worker",
            "team_id": "",
            "agency_id": "",
            "temporary_password": NEW_PASSWORD,
        },
    )
    assert response.status_code == 303
    with database.transaction() as s:
        assert s.scalar(select(User.full_name).where(User.username == "xss.test")) == name
    page = client.get("/admin/users")
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Smith" in page.text


def test_edit_role_and_deactivate_ends_the_users_sessions(
    client: TestClient, admin: User, factory: Factory, database: Database, app: FastAPI
) -> None:
    worker = factory.user(Role.MASH_WORKER)
    with TestClient(app, follow_redirects=False) as other:
        sign_in(other, worker)
        assert other.get("/account").status_code == 200
        token = sign_in(client, admin)
        response = client.post(
            f"/admin/users/{worker.id}",
            data={
                "csrf_token": token,
                "full_name": "Renamed Worker",
                "email": "renamed@example.org",
                "role": "social_worker",
                "team_id": "",
                "agency_id": "",
                "active": "",
            },
        )
        assert response.status_code == 303, response.text
        assert other.get("/account").status_code == 303  # signed out
    with database.transaction() as s:
        user = s.get_one(User, worker.id)
        assert (user.full_name, user.role, user.active) == ("Renamed Worker", "social_worker", False)
    changed = json.loads(_events(database, "update", "user_account")[0].detail)["changed"]
    assert changed["role"] == {"old": "mash_worker", "new": "social_worker"}
    assert changed["active"] == {"old": True, "new": False}


def test_administrator_cannot_remove_their_own_administrator_role(client: TestClient, admin: User) -> None:
    token = sign_in(client, admin)
    response = client.post(
        f"/admin/users/{admin.id}",
        data={
            "csrf_token": token,
            "full_name": admin.full_name,
            "role": "mash_worker",
            "team_id": "",
            "agency_id": "",
            "active": "yes",
        },
    )
    assert response.status_code == 422
    assert "cannot remove your own administrator access" in response.text


def test_reset_password_unlock_and_reset_second_factor(
    client: TestClient, admin: User, factory: Factory, database: Database
) -> None:
    worker = factory.user(Role.MASH_WORKER, totp_secret=pyotp.random_base32())
    with database.transaction() as s:
        from datetime import timedelta

        from safeguarding.core.db import utcnow

        user = s.get_one(User, worker.id)
        user.failed_sign_ins = 5
        user.locked_until = utcnow() + timedelta(minutes=10)
    token = sign_in(client, admin)
    page = client.get(f"/admin/users/{worker.id}")
    assert "Locked until" in page.text
    assert client.post(f"/admin/users/{worker.id}/unlock", data={"csrf_token": token}).status_code == 303
    weak = client.post(
        f"/admin/users/{worker.id}/password", data={"csrf_token": token, "temporary_password": "aaaaaaaaaaaaaaa"}
    )
    assert weak.status_code == 422 and "one character repeated" in weak.text
    assert (
        client.post(
            f"/admin/users/{worker.id}/password", data={"csrf_token": token, "temporary_password": NEW_PASSWORD}
        ).status_code
        == 303
    )
    assert client.post(f"/admin/users/{worker.id}/second-factor/reset", data={"csrf_token": token}).status_code == 303
    with database.transaction() as s:
        user = s.get_one(User, worker.id)
        assert user.locked_until is None and user.failed_sign_ins == 0
        assert user.must_change_password and user.totp_secret is None
    actions = [e.action for e in _events(database) if e.target_type == "user_account" and e.target_id == str(worker.id)]
    assert {"unlock", "reset_password", "reset_second_factor"} <= set(actions)


def test_api_token_shown_once_listed_with_last_use_and_revoked(
    client: TestClient, admin: User, factory: Factory, database: Database
) -> None:
    partner = factory.user(Role.PARTNER_PRACTITIONER)
    token = sign_in(client, admin)
    created = client.post(f"/admin/users/{partner.id}/tokens", data={"csrf_token": token, "label": "Police RMS"})
    assert created.status_code == 200
    plain = created.text.split('<code id="new-token">')[1].split("</code>")[0]
    with database.transaction() as s:
        row = s.scalars(select(ApiToken)).one()
        assert row.token_hash == token_digest(plain) and plain not in row.token_hash
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"}).status_code == 200
    page = client.get(f"/admin/users/{partner.id}")
    assert plain not in page.text  # shown only once
    assert "Police RMS" in page.text and "Never" not in page.text  # last used is now shown
    revoke = client.post(f"/admin/users/{partner.id}/tokens/{row.id}/revoke", data={"csrf_token": token})
    assert revoke.status_code == 303
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"}).status_code == 401


def test_teams_and_agencies_created_and_edited(client: TestClient, admin: User, database: Database) -> None:
    token = sign_in(client, admin)
    assert (
        client.post(
            "/admin/teams", data={"csrf_token": token, "team_name": "Assessment East", "team_service": "assessment"}
        ).status_code
        == 303
    )
    duplicate = client.post(
        "/admin/teams", data={"csrf_token": token, "team_name": "assessment east", "team_service": "assessment"}
    )
    assert duplicate.status_code == 422 and "already one called" in duplicate.text
    bad = client.post(
        "/admin/agencies",
        data={
            "csrf_token": token,
            "agency_name": "Northshire Police",
            "agency_kind": "police",
            "agency_default_referral_source": "99",
        },
    )
    assert bad.status_code == 422 and "Choose the DfE referral source" in bad.text
    assert (
        client.post(
            "/admin/agencies",
            data={
                "csrf_token": token,
                "agency_name": "Northshire Police",
                "agency_kind": "police",
                "agency_default_referral_source": "6",
            },
        ).status_code
        == 303
    )
    from safeguarding.core.users import PartnerAgency

    with database.transaction() as s:
        agency = s.scalars(select(PartnerAgency)).one()
    edited = client.post(
        f"/admin/agencies/{agency.id}",
        data={"csrf_token": token, "name": "Northshire Constabulary", "kind": "police", "default_referral_source": "6"},
    )
    assert edited.status_code == 303
    page = client.get("/admin/organisations")
    assert "Northshire Constabulary" in page.text and "Assessment East" in page.text
    detail = json.loads(_events(database, "update", "partner_agency")[0].detail)
    assert detail["changed"]["name"] == {"old": "Northshire Police", "new": "Northshire Constabulary"}


def _settings_form(token: str, **changes: str) -> dict[str, str]:
    form = {"csrf_token": token}
    for key, definition in local_settings.DEFINITIONS.items():
        if definition.kind is bool:
            if definition.default:
                form[key] = "yes"
        elif definition.kind is list:
            form[key] = "\n".join(definition.default)
        else:
            form[key] = str(definition.default)
    form.update(changes)
    return {k: v for k, v in form.items() if v != "__omit__"}


def test_settings_page_lists_every_setting_with_its_source(client: TestClient, admin: User) -> None:
    sign_in(client, admin)
    page = client.get("/admin/settings")
    assert page.status_code == 200
    for key, definition in local_settings.DEFINITIONS.items():
        assert f'id="{key}"' in page.text
        assert definition.source.replace("'", "&#39;") in page.text
    # When a change of a timescale reaches every child's deadlines: at once (timescales.service).
    assert "applies to every open child's deadlines at once" in page.text


def test_a_change_of_a_timescale_reaches_every_childs_deadlines_at_once(
    client: TestClient, admin: User, factory: Factory, database: Database
) -> None:
    from datetime import date

    from safeguarding.timescales import store
    from safeguarding.timescales.models import Deadline, DeadlineRefresh
    from tests.timescales import records

    worker = factory.user(Role.SOCIAL_WORKER)
    with database.transaction() as s:
        child = records.child(s)
        records.open_case(s, child.id, worker.id, None, date(2025, 12, 1), route="strategy_discussion")
    store.refresh(database, today=date(2025, 12, 1))
    token = sign_in(client, admin)
    response = client.post(
        "/admin/settings", data=_settings_form(token, **{"timescales.strategy_discussion.working_days": "3"})
    )
    assert response.status_code == 303 and response.headers["location"].endswith("done=settings-timescales")
    # The response's background task ran the nightly job in a process of its own before the client got it back.
    with database.transaction() as s:
        discussion = s.scalars(
            select(Deadline).where(Deadline.person_id == child.id, Deadline.rule_id == "strategy-discussion")
        ).one()
        assert (discussion.length, discussion.due_on) == (3, date(2025, 12, 4))
        runs = list(s.scalars(select(DeadlineRefresh.kind).order_by(DeadlineRefresh.id)))
    assert runs == ["full", "full"]
    page = client.get(response.headers["location"])
    assert "derived again under the new timescales" in page.text
    # The page says when the deadlines were last brought up to date, and how.
    assert 'id="deadlines-run"' in page.text and "derived again from every event" in page.text
    # Any other setting changes nothing there.
    response = client.post(
        "/admin/settings",
        data=_settings_form(token, **{"timescales.strategy_discussion.working_days": "3", "rag.red.hours": "2"}),
    )
    assert response.headers["location"].endswith("done=settings")
    with database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(DeadlineRefresh)) == 2


def test_settings_saved_together_and_each_change_audited(client: TestClient, admin: User, database: Database) -> None:
    token = sign_in(client, admin)
    response = client.post(
        "/admin/settings",
        data=_settings_form(
            token, **{"rag.red.hours": "2", "signoff.early_help": "__omit__", "threshold.level1": "Universal plus"}
        ),
    )
    assert response.status_code == 303
    with database.transaction() as s:
        values = local_settings.get_all(s)
    assert values["rag.red.hours"] == 2.0
    assert values["signoff.early_help"] is False  # unticked box
    assert values["threshold.level1"] == "Universal plus"
    changes = {e.target_id: json.loads(e.detail) for e in _events(database, "update", "local_setting")}
    assert changes == {
        "rag.red.hours": {"old": 4.0, "new": 2.0},
        "signoff.early_help": {"old": True, "new": False},
        "threshold.level1": {"old": "Universal", "new": "Universal plus"},
    }


def test_one_invalid_setting_saves_none_of_them(client: TestClient, admin: User, database: Database) -> None:
    token = sign_in(client, admin)
    response = client.post(
        "/admin/settings",
        data=_settings_form(token, **{"rag.red.hours": "1", "rag.amber.hours": "lots", "office.opens": "25:00"}),
    )
    assert response.status_code == 422
    assert "Amber contacts: decision due within (hours) must be a number" in response.text
    assert "must be a time as HH:MM" in response.text
    with database.transaction() as s:
        assert local_settings.get(s, "rag.red.hours") == 4.0
    assert _events(database, "update", "local_setting") == []


def test_office_must_close_after_it_opens(client: TestClient, admin: User) -> None:
    token = sign_in(client, admin)
    response = client.post(
        "/admin/settings", data=_settings_form(token, **{"office.opens": "18:00", "office.closes": "9:30"})
    )
    assert response.status_code == 422
    assert "closes must be later than it opens" in response.text


def test_mash_manager_sees_settings_read_only_and_cannot_save(
    client: TestClient, factory: Factory, database: Database
) -> None:
    manager = factory.user(Role.MASH_MANAGER)
    token = sign_in(client, manager)
    page = client.get("/admin/settings")
    assert page.status_code == 200
    assert "only an administrator can change them" in page.text
    assert 'name="rag.red.hours"' not in page.text
    response = client.post("/admin/settings", data=_settings_form(token, **{"rag.red.hours": "1"}))
    assert response.status_code == 403
    with database.transaction() as s:
        assert local_settings.get(s, "rag.red.hours") == 4.0
    assert any(e.outcome == "refused" and e.target_type == "local_settings" for e in _events(database))


def test_social_worker_cannot_see_settings(client: TestClient, factory: Factory) -> None:
    worker = factory.user(Role.SOCIAL_WORKER)
    sign_in(client, worker)
    assert client.get("/admin/settings").status_code == 403


def test_users_sessions_table_unchanged_by_reading(client: TestClient, admin: User, database: Database) -> None:
    # Reading admin pages signs nobody out (the half-signed-in session before the second factor has ended).
    sign_in(client, admin)
    live = select(UserSession.id).where(UserSession.ended_at.is_(None))
    with database.transaction() as s:
        signed_in = list(s.scalars(live))
    client.get("/admin/users")
    with database.transaction() as s:
        assert list(s.scalars(live)) == signed_in and len(signed_in) == 1
    assert PASSWORD


def test_a_second_administrators_change_is_not_silently_overwritten_and_their_text_is_kept(
    client: TestClient, admin: User, factory: Factory, database: Database
) -> None:
    worker = factory.user(Role.MASH_WORKER)
    token = sign_in(client, admin)
    page = client.get(f"/admin/users/{worker.id}")
    version = _version(page.text)
    # Meanwhile another administrator renames the account, through the service (audited: who and when).
    other = factory.user(Role.ADMINISTRATOR)
    with database.transaction() as s:
        s.get_one(User, other.id).full_name = "Olive Otheradmin"
    with database.transaction() as s:
        update_user(s, database, s.get_one(User, other.id), worker.id, UserForm("Changed Elsewhere", "mash_worker"))
    form = {
        "csrf_token": token,
        "full_name": "My Change",
        "email": "my.change@example.org",
        "role": "mash_worker",
        "team_id": "",
        "agency_id": "",
        "active": "yes",
        "version": version,
    }
    stale = client.post(f"/admin/users/{worker.id}", data=form)
    assert stale.status_code == 409
    assert "Someone else changed this account" in stale.text
    with database.transaction() as s:
        assert s.get_one(User, worker.id).full_name == "Changed Elsewhere"
    # What the second administrator typed is still in the form, with the saved version beside it.
    assert 'value="My Change"' in stale.text and 'value="my.change@example.org"' in stale.text
    saved = stale.text.split('id="saved-version"', 1)[1].split("</table>", 1)[0]
    assert "Changed Elsewhere" in saved and "My Change" in saved and "Different" in saved
    assert "Olive Otheradmin saved this record" in stale.text
    # The form now carries the saved version: saving again, having compared, is a deliberate change on theirs.
    form["version"] = _version(stale.text)
    assert form["version"] != version
    assert client.post(f"/admin/users/{worker.id}", data=form).status_code == 303
    with database.transaction() as s:
        assert s.get_one(User, worker.id).full_name == "My Change"
