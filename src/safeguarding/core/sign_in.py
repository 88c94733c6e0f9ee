"""Signing in and a user's own account: the account lockout, security codes used once, the client throttle,
sessions ended, a user's own password and second factor. Every change is recorded in the audit log."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from safeguarding.core.access import actor_of
from safeguarding.core.audit import record
from safeguarding.core.db import utcnow
from safeguarding.core.errors import ValidationFailed
from safeguarding.core.security import hash_password, new_totp_secret, password_problem, totp_step, verify_password
from safeguarding.core.settings import get_settings
from safeguarding.core.users import SignInFailure, User, UserSession


def end_sessions(session: Session, user_id: int, *, keep_session_id: str | None = None) -> int:
    now = utcnow()
    ended = 0
    for user_session in session.scalars(
        select(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
    ):
        if user_session.id != keep_session_id:
            user_session.ended_at = now
            ended += 1
    return ended


def is_locked(user: User, now: datetime | None = None) -> bool:
    return user.locked_until is not None and user.locked_until > (now or utcnow())


# --- signing in: the account lockout, security codes used once, the client throttle ------------------------------
#
# Two defences with different keys. The account lockout (settings.lockout_threshold failures, then
# lockout_minutes) bounds the guesses at one account however many addresses an attacker uses; its price is that
# anyone who knows a username can lock that account for a while. The client throttle bounds the guesses from one
# address across every account (password spraying) and slows it, without touching the accounts: it never stops a
# real user signing in from another address.

# Locks for wrong security codes double each time, up to this many doublings (15 minutes grows to 16 hours).
MAX_LOCK_DOUBLINGS = 6


def count_wrong_password(session: Session, user: User) -> bool:
    """Count a wrong password towards the account's lockout; True when this failure locked the account."""
    settings = get_settings()
    session.flush()  # a reset of the count made just before is written first, then counted from
    # Incremented in the database, so guesses sent side by side cannot overwrite each other's count.
    user.failed_sign_ins = User.failed_sign_ins + 1
    session.flush()
    if user.failed_sign_ins >= settings.lockout_threshold:
        user.locked_until = utcnow() + timedelta(minutes=settings.lockout_minutes)
        return True
    return False


def count_wrong_code(session: Session, user: User) -> bool:
    """Count a wrong (or already used) security code; True when this failure locked the account.

    A right password does not reset this count, only a right code. Whoever is typing codes already has the
    password, so each further lock lasts twice as long as the one before.
    """
    settings = get_settings()
    session.flush()
    user.failed_second_factors = User.failed_second_factors + 1
    session.flush()
    failures = user.failed_second_factors
    threshold = max(settings.lockout_threshold, 1)
    if failures % threshold == 0:
        doublings = min(failures // threshold - 1, MAX_LOCK_DOUBLINGS)
        user.locked_until = utcnow() + timedelta(minutes=settings.lockout_minutes * 2**doublings)
        return True
    return False


def use_second_factor_code(session: Session, user: User, code: str) -> bool:
    """True when the code is right for the user's second factor now and newer than the last one accepted.

    The code's time step is kept, so the same code (or an older one still inside the accepted window) is refused.
    """
    if user.totp_secret is None:
        return False
    step = totp_step(user.totp_secret, code)
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        return False
    # A conditional update: of two requests racing with one code, only one finds the step still unused.
    claimed = session.execute(
        update(User)
        .where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return False
    set_committed_value(user, "totp_last_step", step)
    user.failed_second_factors = 0
    return True


def throttle_wait_seconds(session: Session, client: str, now: datetime | None = None) -> int | None:
    """Seconds until this client address may try to sign in again, or None when it may try now."""
    settings = get_settings()
    now = now or utcnow()
    window = timedelta(minutes=settings.sign_in_throttle_minutes)
    limit = max(settings.sign_in_throttle_failures, 1)
    latest = list(
        session.scalars(
            select(SignInFailure.failed_at)
            .where(SignInFailure.client == client[:64], SignInFailure.failed_at > now - window)
            .order_by(SignInFailure.failed_at.desc())
            .limit(limit)
        )
    )
    if len(latest) < limit:
        return None
    # Fewer than `limit` failures are left in the window once the oldest of the latest `limit` leaves it.
    return max(1, math.ceil((latest[-1] + window - now).total_seconds()))


def count_client_failure(session: Session, client: str, now: datetime | None = None) -> None:
    """Note a failed sign-in from this client address (and forget failures older than the window)."""
    now = now or utcnow()
    window = timedelta(minutes=get_settings().sign_in_throttle_minutes)
    session.execute(delete(SignInFailure).where(SignInFailure.failed_at <= now - window))
    session.add(SignInFailure(client=client[:64], failed_at=now))


# --- a user's own account ----------------------------------------------------------------------------------------


def change_own_password(
    session: Session, user: User, *, current: str, new: str, confirm: str, keep_session_id: str | None
) -> None:
    """The user changes their password: the current one is required; other sessions end."""
    errors: dict[str, str] = {}
    if not verify_password(user.password_hash, current):
        errors["current_password"] = "Enter your current password correctly"  # noqa: S105
        # Guessing the current password from a borrowed session counts towards the lockout like sign-in does.
        if count_wrong_password(session, user):
            end_sessions(session, user.id)
    if problem := password_problem(new, user.username):
        errors["new_password"] = problem
    elif verify_password(user.password_hash, new):
        errors["new_password"] = "Choose a password different from your current one"  # noqa: S105
    if new != confirm and "new_password" not in errors:
        errors["confirm_password"] = "The two new passwords do not match"  # noqa: S105
    if errors:
        record(
            session,
            actor_of(user),
            "change_password",
            "user_account",
            user.id,
            outcome="refused",
            reason=", ".join(sorted(errors)),
        )
        raise ValidationFailed(errors)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.failed_sign_ins = 0
    end_sessions(session, user.id, keep_session_id=keep_session_id)
    record(session, actor_of(user), "change_password", "user_account", user.id)


def begin_second_factor(session: Session, user: User) -> str:
    """A new secret to show the user; it replaces their second factor only once they confirm it with a code."""
    if user.pending_totp_secret is None:
        user.pending_totp_secret = new_totp_secret()
        record(session, actor_of(user), "second_factor_begin", "user_account", user.id)
    return user.pending_totp_secret


def confirm_second_factor(session: Session, user: User, code: str) -> None:
    if user.pending_totp_secret is None:
        raise ValidationFailed({"code": "Start setting up your second factor again"})
    step = totp_step(user.pending_totp_secret, code)
    if step is None:
        record(
            session,
            actor_of(user),
            "second_factor_confirm",
            "user_account",
            user.id,
            outcome="refused",
            reason="wrong code",
        )
        raise ValidationFailed({"code": "Enter the 6-digit code your authenticator app shows for this key"})
    replaced = user.totp_secret is not None
    user.totp_secret = user.pending_totp_secret
    user.pending_totp_secret = None
    # The confirming code is used up like any other (steps of the old key say nothing about the new one).
    user.totp_last_step = step
    record(session, actor_of(user), "second_factor_confirm", "user_account", user.id, detail={"replaced": replaced})
