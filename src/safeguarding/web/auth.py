"""Sign-in with argon2id passwords, TOTP second factor (required for administrators), lockout, sign-out."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select

from safeguarding.core.access import actor_of
from safeguarding.core.audit import Actor, record
from safeguarding.core.db import utcnow
from safeguarding.core.security import new_totp_secret, totp_uri, verify_password, verify_totp
from safeguarding.core.settings import get_settings
from safeguarding.core.users import Role, User, UserSession
from safeguarding.web.deps import (
    PRE_SESSION_COOKIE,
    SESSION_COOKIE,
    CurrentUser,
    DbSession,
    TransactionalRoute,
    csrf_protect,
    load_user_session,
    sign_session_id,
)
from safeguarding.web.templating import render

router = APIRouter(route_class=TransactionalRoute, dependencies=[Depends(csrf_protect)])


def _safe_next(target: str | None) -> str:
    # Only same-site paths: never an open redirect.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _set_cookie(response: Response, name: str, value: str) -> None:
    response.set_cookie(name, value, httponly=True, samesite="lax", secure=get_settings().secure_cookies,
                        path="/")


@router.get("/sign-in", include_in_schema=False)
def sign_in_page(request: Request, next: str | None = None) -> Response:
    token = request.cookies.get(PRE_SESSION_COOKIE) or secrets.token_urlsafe(32)
    request.state.pre_csrf = token
    response = render(request, "web/sign_in.html", title="Sign in", next=_safe_next(next), csrf_token=token)
    _set_cookie(response, PRE_SESSION_COOKIE, token)
    return response


@router.post("/sign-in", include_in_schema=False)
def sign_in(
    request: Request,
    db: DbSession,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    settings = get_settings()
    user = db.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    now = utcnow()
    problem: str | None = None
    if user is None or not user.active:
        problem = "unknown or inactive user"
    elif user.locked_until and user.locked_until > now:
        problem = "account locked"
    elif not verify_password(user.password_hash, password):
        user.failed_sign_ins += 1
        problem = "wrong password"
        if user.failed_sign_ins >= settings.lockout_threshold:
            user.locked_until = now + timedelta(minutes=settings.lockout_minutes)
            problem = "wrong password; account now locked"
    if problem is not None:
        who = actor_of(user) if user else Actor(id=None, username=username.strip()[:80] or "-", role="-")
        record(db, who, "sign_in", "user_account", user.id if user else None, outcome="refused", reason=problem)
        locked = user is not None and user.locked_until is not None and user.locked_until > now
        message = (f"This account is locked after {settings.lockout_threshold} failed attempts. Try again in "
                   f"{settings.lockout_minutes} minutes or ask an administrator." if locked
                   else "Enter a correct username and password.")
        return render(request, "web/sign_in.html", status_code=401, title="Sign in", next=_safe_next(next),
                      errors={"username": message}, username=username)
    assert user is not None
    user.failed_sign_ins = 0
    user.locked_until = None
    needs_second_factor = user.totp_secret is not None or user.role == Role.ADMINISTRATOR
    user_session = UserSession(id=secrets.token_urlsafe(32), user_id=user.id, csrf_token=secrets.token_urlsafe(32),
                               awaiting_second_factor=needs_second_factor)
    db.add(user_session)
    record(db, actor_of(user), "sign_in", "user_account", user.id,
           detail={"second_factor_pending": needs_second_factor})
    target = f"/sign-in/second-factor?next={_safe_next(next)}" if needs_second_factor else _safe_next(next)
    response = RedirectResponse(target, status_code=303)
    _set_cookie(response, SESSION_COOKIE, sign_session_id(user_session.id))
    response.delete_cookie(PRE_SESSION_COOKIE, path="/")
    return response


def _pending_session(request: Request, db: DbSession) -> UserSession | None:
    user_session = load_user_session(request, db, allow_pending_second_factor=True)
    if user_session is not None:
        request.state.user_session = user_session
    return user_session


@router.get("/sign-in/second-factor", include_in_schema=False)
def second_factor_page(request: Request, db: DbSession, next: str | None = None) -> Response:
    user_session = _pending_session(request, db)
    if user_session is None or not user_session.awaiting_second_factor:
        return RedirectResponse("/sign-in", status_code=303)
    user = user_session.user
    setup_uri = None
    if user.totp_secret is None:
        # Administrators must set up a second factor at their first sign-in.
        user.totp_secret = new_totp_secret()
        setup_uri = totp_uri(user.totp_secret, user.username)
        record(db, actor_of(user), "second_factor_enrol", "user_account", user.id)
    return render(request, "web/second_factor.html", title="Enter your security code", next=_safe_next(next),
                  setup_uri=setup_uri, setup_secret=user.totp_secret if setup_uri else None)


@router.post("/sign-in/second-factor", include_in_schema=False)
def second_factor(
    request: Request,
    db: DbSession,
    code: Annotated[str, Form(max_length=20)] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    user_session = _pending_session(request, db)
    if user_session is None or not user_session.awaiting_second_factor or user_session.user.totp_secret is None:
        return RedirectResponse("/sign-in", status_code=303)
    user = user_session.user
    if not verify_totp(user.totp_secret or "", code):
        user.failed_sign_ins += 1
        settings = get_settings()
        if user.failed_sign_ins >= settings.lockout_threshold:
            user.locked_until = utcnow() + timedelta(minutes=settings.lockout_minutes)
            user_session.ended_at = utcnow()
        record(db, actor_of(user), "second_factor", "user_account", user.id, outcome="refused",
               reason="wrong code")
        return render(request, "web/second_factor.html", status_code=401, title="Enter your security code",
                      next=_safe_next(next), errors={"code": "Enter the 6-digit code from your authenticator app"})
    user.failed_sign_ins = 0
    user_session.awaiting_second_factor = False
    record(db, actor_of(user), "second_factor", "user_account", user.id)
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/sign-out", include_in_schema=False)
def sign_out(request: Request, db: DbSession) -> Response:
    user_session = load_user_session(request, db, allow_pending_second_factor=True)
    if user_session is not None:
        user_session.ended_at = utcnow()
        record(db, actor_of(user_session.user), "sign_out", "user_account", user_session.user_id)
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/account", include_in_schema=False)
def account(request: Request, user: CurrentUser) -> Response:
    return render(request, "web/account.html", title="Your account")
