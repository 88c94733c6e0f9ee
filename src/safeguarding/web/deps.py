"""Request plumbing shared by every capability's routes: the request's transaction, who is signed in, CSRF.

Capabilities import these (they are the web's public surface for routes), never the app itself.
"""

from __future__ import annotations

import functools
import hmac
import inspect
from collections.abc import AsyncIterator, Callable, Coroutine
from contextvars import ContextVar
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, Path, Request, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from safeguarding.core.db import Database, rollback_keeping_survivors, utcnow
from safeguarding.core.errors import AccessDenied, NotFound, TooManyAttempts
from safeguarding.core.form_fields import RECORD_ID_MAX, record_id
from safeguarding.core.security import new_token, token_digest
from safeguarding.core.settings import get_settings
from safeguarding.core.sign_in import count_client_failure, throttle_wait_seconds
from safeguarding.core.timings import timed
from safeguarding.core.users import ApiToken, User, UserSession

# Every record number in a path ({person_id}, {contact_id}, ...): a number no record can have (0, -1, 10**20, past
# the database's integer) is refused before any query, and the app answers 404 (see app/factory.py).
RecordId = Annotated[int, Path(ge=1, le=RECORD_ID_MAX)]


def path_record_id(request: Request, name: str) -> int:
    """A record number in the path read by its name, for routes made in a loop (one per kind or per form) whose
    parameter is named at run time; bounded like ``RecordId``: 10**20 or -1 names no record (404)."""
    number = record_id(request.path_params.get(name))
    if number is None:
        raise NotFound("There is no such record.")
    return number


SESSION_COOKIE = "sg_session"
PRE_SESSION_COOKIE = "sg_pre"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class SignInRequired(Exception):
    """No valid session: pages redirect to sign-in, the API answers 401."""


# The request's session, for a page's handler to commit in its own thread (``TransactionalRoute``).
_request_session: ContextVar[Session | None] = ContextVar("safeguarding_request_session", default=None)
# Set in a session's info by a handler that committed it: the route has nothing left to commit.
_COMMITTED_KEY = "committed_by_handler"


def _committing(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """A page's handler that commits the request's session in the thread it ran in, once it has its response.

    Each hop between the event loop and the thread pool waits for the GIL twice; under load, with every thread
    busy, a hop cost milliseconds at p95 (issue 12). A page's response is complete when its handler returns
    (the template is rendered), so its commit joins the handler's hop rather than taking one of its own. Handlers
    that return data (the API) are still committed after FastAPI has serialised it, as before.
    """

    @functools.wraps(endpoint)
    def run(*args: Any, **kwargs: Any) -> Any:
        result = endpoint(*args, **kwargs)
        session = _request_session.get()
        if session is not None and isinstance(result, Response):
            _commit(session)
            session.info[_COMMITTED_KEY] = True
        return result

    return run


class TransactionalRoute(APIRoute):
    """Commits the request's session after the handler returns and before the response is sent.

    So a page is never shown as saved when its commit failed, and every view's audit row is written.
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = _committing(endpoint)
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                response = await original(request)
            except BaseException:
                session: Session | None = getattr(request.state, "db", None)
                if session is not None:
                    # Keeps (and commits) the audit row of a refused access; drops everything else.
                    await run_in_threadpool(rollback_keeping_survivors, session)
                    # The rollback expired the signed-in user; reload it so the error page can still say who is
                    # signed in after the session closes.
                    await run_in_threadpool(_reload_signed_in, request, session)
                raise
            session = getattr(request.state, "db", None)
            if session is not None and not session.info.pop(_COMMITTED_KEY, False):
                await run_in_threadpool(_commit, session)
            return response

        return handler


def _commit(session: Session) -> None:
    with timed("commit"):
        session.commit()


def _reload_signed_in(request: Request, session: Session) -> None:
    # The request's session may already be closed (dependency exit): attach, load, and close again.
    for name in ("user_session", "user"):
        obj = getattr(request.state, name, None)
        if obj is not None:
            if obj not in session:
                session.add(obj)
            session.refresh(obj)
    session.close()


def database_of(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


async def get_database(request: Request) -> Database:
    return database_of(request)


async def get_session(request: Request) -> AsyncIterator[Session]:
    # On the event loop, not in a thread: making a session sends nothing (a connection is taken at its first
    # statement), and closing one that its route committed gives nothing back (see ``_committing``).
    database = database_of(request)
    # Page views read side by side; anything that changes state takes the write lock for its whole transaction.
    maker = database.reading_sessionmaker if request.method in ("GET", "HEAD") else database.sessionmaker
    session = maker()
    request.state.db = session
    _request_session.set(session)
    try:
        yield session
    finally:
        _request_session.set(None)
        if session.in_transaction():
            await run_in_threadpool(session.close)  # a connection to give back (an error, or an unfinished read)
        else:
            session.close()


DbSession = Annotated[Session, Depends(get_session)]
Db = Annotated[Database, Depends(get_database)]


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(get_settings().secret_key, salt="session")


def sign_session_id(session_id: str) -> str:
    return _serializer().dumps(session_id)


def unsign_session_id(value: str) -> str | None:
    try:
        loaded = _serializer().loads(value)
    except BadSignature:
        return None
    return loaded if isinstance(loaded, str) else None


def load_user_session(
    request: Request, db: Session, *, allow_pending_second_factor: bool = False
) -> UserSession | None:
    raw = request.cookies.get(SESSION_COOKIE)
    session_id = unsign_session_id(raw) if raw else None
    if session_id is None:
        return None
    user_session = db.get(UserSession, session_id)
    if user_session is None or user_session.ended_at is not None or not user_session.user.active:
        return None
    now = utcnow()
    settings = get_settings()
    # Idle for too long, or signed in too long ago however busy (the absolute lifetime): sign in again.
    if now - user_session.last_seen_at > timedelta(
        minutes=settings.idle_timeout_minutes
    ) or now - user_session.created_at > timedelta(hours=settings.session_max_hours):
        user_session.ended_at = now
        db.commit()
        return None
    if user_session.awaiting_second_factor and not allow_pending_second_factor:
        return None
    # Refresh the idle clock at most once a minute, so reads do not rewrite the row every time.
    if now - user_session.last_seen_at > timedelta(seconds=60):
        user_session.last_seen_at = now
    return user_session


def start_session(db: Session, user: User, *, awaiting_second_factor: bool) -> UserSession:
    user_session = UserSession(
        id=new_token(), user_id=user.id, csrf_token=new_token(), awaiting_second_factor=awaiting_second_factor
    )
    db.add(user_session)
    return user_session


def renew_session(request: Request, db: Session, user_session: UserSession) -> UserSession:
    """The same signed-in session under a new id and CSRF token; the old id stops working at once.

    Called when a session gains power (the second factor passed, the glass broken), so an id that anyone saw or
    planted before (session fixation) is worth nothing after. The sign-in time is kept: renewing never extends
    the absolute lifetime.
    """
    now = utcnow()
    renewed = UserSession(
        id=new_token(),
        user_id=user_session.user_id,
        csrf_token=new_token(),
        created_at=user_session.created_at,
        last_seen_at=now,
        awaiting_second_factor=user_session.awaiting_second_factor,
    )
    user_session.ended_at = now
    db.add(renewed)
    db.flush()
    request.state.user_session = renewed
    return renewed


def set_session_cookie(response: Response, user_session: UserSession) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        sign_session_id(user_session.id),
        httponly=True,
        samesite="lax",
        secure=get_settings().secure_cookies,
        path="/",
    )


def client_address(request: Request) -> str:
    """The address the throttle counts failures against: the peer, or behind a trusted proxy the client it names.

    X-Forwarded-For is read from the right: the last address that is not one of our proxies is the one that
    connected to them (whatever a client writes further left is its own say, so it is not believed).
    """
    peer = request.client.host if request.client else "unknown"
    trusted = {p.strip() for p in get_settings().trusted_proxies.split(",") if p.strip()}
    if peer not in trusted:
        return peer
    hops = [h.strip() for h in ",".join(request.headers.getlist("x-forwarded-for")).split(",") if h.strip()]
    return next((hop for hop in reversed(hops) if hop not in trusted), peer)[:64]


def refuse_if_throttled(db: Session, request: Request) -> None:
    wait = throttle_wait_seconds(db, client_address(request))
    if wait is not None:
        minutes = max(1, -(-wait // 60))
        raise TooManyAttempts(
            "There have been too many failed attempts to sign in from your network. Wait "
            f"{minutes} minute{'s' if minutes != 1 else ''}, then try again.",
            retry_after=wait,
        )


class PasswordChangeRequired(Exception):
    """The user still has a temporary password set by an administrator: pages send them to choose their own."""


# What a user with a temporary password may still reach: the password form, their account page, signing out.
PASSWORD_CHANGE_PATHS = frozenset({"/account", "/account/password", "/sign-out"})


def current_session(request: Request, db: DbSession) -> UserSession:
    user_session = load_user_session(request, db)
    if user_session is None:
        raise SignInRequired()
    request.state.user_session = user_session
    request.state.user = user_session.user
    if user_session.user.must_change_password and request.url.path not in PASSWORD_CHANGE_PATHS:
        raise PasswordChangeRequired()
    return user_session


async def current_user(user_session: Annotated[UserSession, Depends(current_session)]) -> User:
    # On the event loop: the session's user was loaded with it (``load_user_session``).
    return user_session.user


CurrentUser = Annotated[User, Depends(current_user)]


async def csrf_protect(request: Request, db: DbSession) -> None:
    """Every unsafe request from a browser carries the session's CSRF token (form field or htmx header)."""
    if request.method not in UNSAFE_METHODS:
        return
    expected: str | None = None
    user_session: UserSession | None = getattr(request.state, "user_session", None)
    if user_session is None:
        user_session = await run_in_threadpool(load_user_session, request, db, allow_pending_second_factor=True)
    expected = user_session.csrf_token if user_session is not None else request.cookies.get(PRE_SESSION_COOKIE)
    supplied = request.headers.get(CSRF_HEADER)
    if supplied is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        supplied = value if isinstance(value, str) else None
    if not expected or not supplied or not hmac.compare_digest(expected, supplied):
        raise AccessDenied(
            "The form has expired or did not come from this service. Go back, reload the page and try again.",
            field=CSRF_FIELD,
        )


# Declares the bearer scheme in the OpenAPI document (``safeguarding tokens create USERNAME`` makes a token); a
# missing or malformed header is ours to refuse, with the API's error body.
_bearer = HTTPBearer(
    auto_error=False, scheme_name="bearer", description="An API token: `safeguarding tokens create USERNAME`"
)


def api_user(
    request: Request, db: DbSession, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> User:
    token = credentials.credentials.strip() if credentials else ""
    if not token:
        raise SignInRequired()
    row = db.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(token), ApiToken.revoked_at.is_(None)))
    if row is None or not row.user.active:
        # Only a wrong token costs a throttle query: tokens are 256 random bits, so the throttle is there to
        # slow a flood of guesses, not to hide whether one was right.
        refuse_if_throttled(db, request)
        db.rollback()  # this request's transaction (on SQLite perhaps holding the write lock) ends here
        with database_of(request).transaction() as failures:
            count_client_failure(failures, client_address(request))
        raise SignInRequired()
    # At most once a minute (it is shown to the minute): a partner's clients share one token, and each update of its
    # row is held, locked, until the request commits, so concurrent submissions queued on it.
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > timedelta(seconds=60):
        row.last_used_at = now
    request.state.user = row.user
    return row.user


ApiUser = Annotated[User, Depends(api_user)]
