"""Accounts: creating the owner, checking passwords, throttling guesses, first-run setup."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from . import changes
from .extensions import db
from .models import LoginAttempt, Setting, User, utcnow
from .site import bump_generation

MIN_PASSWORD_LENGTH = 10
SETUP_TOKEN_KEY = "setup_token_sha256"


class AccountError(ValueError):
    """An account request that cannot be granted; the message says why."""


class TooManyAttempts(AccountError):
    """Sign-in is paused after repeated failures."""


def has_users() -> bool:
    """True once the owner account exists."""
    return db.session.scalar(select(func.count(User.id))) > 0


def create_user(username: str, password: str, display_name: str = "") -> User:
    """Create an account with a hashed password."""
    username = username.strip()
    if not username or len(username) > 80:
        raise AccountError("A user name of 1 to 80 characters is needed.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Use a password of at least {MIN_PASSWORD_LENGTH} characters.")
    if db.session.scalar(select(User).where(User.username == username)):
        raise AccountError(f"There is already a user called “{username}”.")
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        password_hash=generate_password_hash(password),
        session_token=secrets.token_hex(16),
    )
    db.session.add(user)
    bump_generation()  # cached pages may still invite visitors to the setup page
    changes.site_changed()
    db.session.commit()
    return user


def load_user(user_id: str) -> User | None:
    """The user for a session id `id:token`; None once the token was rotated."""
    ident, _, token = user_id.partition(":")
    if not ident.isdigit() or not token:
        return None
    user = db.session.get(User, int(ident))
    if user is None or not hmac.compare_digest(user.session_token, token):
        return None
    return user


def end_sessions(user: User) -> None:
    """Invalidate every session cookie ever issued for this user."""
    user.session_token = secrets.token_hex(16)
    db.session.commit()


def authenticate(username: str, password: str, address: str) -> User:
    """The user for these credentials, or an AccountError; failures are throttled."""
    keys = [f"user:{username.strip().lower()}", f"addr:{address}"]
    check_throttle(keys)
    user = db.session.scalar(select(User).where(User.username == username.strip()))
    if user is None or not check_password_hash(user.password_hash, password):
        for key in keys:
            db.session.add(LoginAttempt(key=key))
        db.session.commit()
        raise AccountError("That user name and password do not match.")
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.key == keys[0]))
    db.session.commit()
    return user


def check_throttle(keys: list[str]) -> None:
    """Refuse sign-in while any key has too many recent failures (shared by all workers)."""
    config = current_app.config
    window = timedelta(seconds=config["LOGIN_WINDOW_SECONDS"])
    since = utcnow() - window
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at < since))
    for key in keys:
        failures = db.session.scalar(
            select(func.count(LoginAttempt.id)).where(
                LoginAttempt.key == key, LoginAttempt.attempted_at >= since
            )
        )
        if failures >= config["LOGIN_MAX_FAILURES"]:
            db.session.commit()
            minutes = max(1, int(window.total_seconds() // 60))
            raise TooManyAttempts(
                f"Too many failed sign-ins. Wait {minutes} minutes before trying again."
            )
    db.session.commit()


def issue_setup_token() -> str | None:
    """A new one-time setup token (its hash stored), or None once an account exists."""
    if has_users():
        return None
    token = secrets.token_urlsafe(18)
    digest = hashlib.sha256(token.encode()).hexdigest()
    row = db.session.get(Setting, SETUP_TOKEN_KEY)
    if row is None:
        db.session.add(Setting(key=SETUP_TOKEN_KEY, value=digest))
    else:
        row.value = digest
    db.session.commit()
    return token


def setup_token_issued() -> bool:
    return db.session.get(Setting, SETUP_TOKEN_KEY) is not None


def complete_setup(token: str, username: str, password: str, display_name: str) -> User:
    """Create the owner with the one-time token; the token then stops working."""
    if has_users():
        raise AccountError("Setup is already complete: sign in instead.")
    row = db.session.get(Setting, SETUP_TOKEN_KEY)
    digest = hashlib.sha256(token.strip().encode()).hexdigest()
    if row is None or not hmac.compare_digest(row.value, digest):
        raise AccountError(
            "That setup token is not right. Use the one printed on the server console."
        )
    user = create_user(username, password, display_name)
    db.session.delete(row)
    db.session.commit()
    return user
