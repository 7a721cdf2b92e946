"""Accounts: creating the owner, checking passwords, throttling guesses, first-run setup."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from functools import cache

from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from . import changes
from .extensions import db
from .models import LoginAttempt, Setting, User, utcnow
from .settings import adopt_author_name, bump_generation
from .throttle import recent_count

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
    user = new_user(username, password, display_name)
    bump_generation()  # cached pages may still invite visitors to the setup page
    db.session.commit()
    return user


def new_user(username: str, password: str, display_name: str = "") -> User:
    """Add an account with a hashed password to the session, uncommitted."""
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
    adopt_author_name(user.display_name)
    changes.site_changed()  # the mirror is rebuilt: pages no longer invite to /setup
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


def attempt_limits(account: str, address: str) -> list[tuple[str, int, int]]:
    """(key, most attempts, window in seconds) for each limit that applies to this attempt."""
    config = current_app.config
    limits = [
        (f"pair:{account}:{address}", config["LOGIN_MAX_FAILURES"], config["LOGIN_WINDOW_SECONDS"]),
        (f"addr:{address}", config["LOGIN_MAX_FAILURES"], config["LOGIN_WINDOW_SECONDS"]),
    ]
    if not known_address(account, address):
        limits.append(
            (
                f"user:{account}",
                config["LOGIN_ACCOUNT_MAX_FAILURES"],
                config["LOGIN_ACCOUNT_WINDOW_SECONDS"],
            )
        )
    return limits


def refuse_over_limit(limits: list[tuple[str, int, int]], ids: list[int]) -> None:
    """Raise TooManyAttempts, removing this attempt's rows, if any key is over its limit."""
    for key, limit, seconds in limits:
        if recent_count(key, seconds) > limit:
            db.session.execute(delete(LoginAttempt).where(LoginAttempt.id.in_(ids)))
            db.session.commit()
            minutes = max(1, seconds // 60)
            raise TooManyAttempts(
                f"Too many failed sign-ins. Wait {minutes} minutes before trying again."
            )


def authenticate(username: str, password: str, address: str) -> User:
    """The user for these credentials, or an AccountError; guesses are throttled.

    Each attempt is first recorded and committed under every key that applies to it,
    and only then are the keys counted: of any number of concurrent attempts, on any
    number of workers or hosts, the n-th to commit sees at least n rows, so no more than
    the limit ever reach the password check. Refused attempts remove their rows, so the
    counters hold the guesses that were actually checked. The keys:

    * account and address: ``LOGIN_MAX_FAILURES`` per ``LOGIN_WINDOW_SECONDS``;
    * address alone (any account): the same limit, against one host trying many names;
    * account alone: ``LOGIN_ACCOUNT_MAX_FAILURES`` per ``LOGIN_ACCOUNT_WINDOW_SECONDS``
      from every address together, bounding a guesser with many addresses. It does not
      apply to an address that signed in to this account within
      ``LOGIN_KNOWN_ADDRESS_DAYS``, so guesses from elsewhere cannot lock the owner out
      of the place they usually sign in from.

    Unknown user names take as long as known ones: the password is checked against a
    dummy hash, so timing does not tell which accounts exist.
    """
    account = username.strip().lower()
    if not account or not password:
        # A form sent half empty is no guess: nothing to count, only the rule to say.
        raise AccountError("Enter your user name and your password.")
    limits = attempt_limits(account, address)
    forget_old_attempts()
    attempts = [LoginAttempt(key=key) for key, _, _ in limits]
    db.session.add_all(attempts)
    db.session.commit()
    ids = [attempt.id for attempt in attempts]
    refuse_over_limit(limits, ids)
    user = db.session.scalar(select(User).where(User.username == username.strip()))
    if not check_password_hash(user.password_hash if user else dummy_hash(), password) or not user:
        raise AccountError("That user name and password do not match.")
    db.session.execute(
        delete(LoginAttempt).where(
            LoginAttempt.id.in_(ids)
            | (LoginAttempt.key == limits[0][0])
            | (LoginAttempt.key == f"ok:{account}:{address}")
        )
    )
    db.session.add(LoginAttempt(key=f"ok:{account}:{address}"))
    db.session.commit()
    return user


@cache
def dummy_hash() -> str:
    """A hash no password matches, checked for unknown users so they take as long."""
    return generate_password_hash(secrets.token_hex(16))


def known_address(account: str, address: str) -> bool:
    """Whether this address signed in to this account recently."""
    since = utcnow() - timedelta(days=current_app.config["LOGIN_KNOWN_ADDRESS_DAYS"])
    key = f"ok:{account}:{address}"
    found = db.session.scalar(
        select(LoginAttempt.id).where(LoginAttempt.key == key, LoginAttempt.attempted_at >= since)
    )
    return found is not None


def forget_old_attempts() -> None:
    """Drop failures past every window and successes past the known-address period."""
    config = current_app.config
    longest = max(config["LOGIN_WINDOW_SECONDS"], config["LOGIN_ACCOUNT_WINDOW_SECONDS"])
    now = utcnow()
    db.session.execute(
        delete(LoginAttempt).where(
            ~LoginAttempt.key.startswith("ok:"),
            LoginAttempt.attempted_at < now - timedelta(seconds=longest),
        )
    )
    db.session.execute(
        delete(LoginAttempt).where(
            LoginAttempt.key.startswith("ok:"),
            LoginAttempt.attempted_at < now - timedelta(days=config["LOGIN_KNOWN_ADDRESS_DAYS"]),
        )
    )


def issue_setup_token() -> str | None:
    """A new one-time setup token (its hash stored), or None once an account exists.

    A token issued before is replaced (`flask --app app setup-token` prints a new one). When
    several workers answer the first requests at once, the insert that wins issues the token
    and the others return None.
    """
    if has_users():
        return None
    token = secrets.token_urlsafe(18)
    digest = hashlib.sha256(token.encode()).hexdigest()
    row = db.session.get(Setting, SETUP_TOKEN_KEY)
    if row is None:
        db.session.add(Setting(key=SETUP_TOKEN_KEY, value=digest))
    else:
        row.value = digest
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return None
    return token


def setup_token_issued() -> bool:
    return db.session.get(Setting, SETUP_TOKEN_KEY) is not None


def complete_setup(token: str, username: str, password: str, display_name: str) -> User:
    """Create the owner with the one-time token; the token then stops working.

    The token is consumed by one conditional DELETE in the transaction that creates the
    account: of concurrent requests with the right token exactly one deletes the row
    (the others wait for its commit and delete nothing), so exactly one account exists.
    The DELETE comes first, before anything is written: a request that loses the race must
    not have inserted rows (the site's author name) that collide with the winner's.
    """
    if has_users():
        raise AccountError("Setup is already complete: sign in instead.")
    if not token.strip():
        raise AccountError("Paste the setup token printed on the server console.")
    digest = hashlib.sha256(token.strip().encode()).hexdigest()
    consumed = db.session.execute(
        delete(Setting).where(Setting.key == SETUP_TOKEN_KEY, Setting.value == digest)
    ).rowcount
    if consumed != 1:
        db.session.rollback()
        if has_users():
            raise AccountError("Setup is already complete: sign in instead.")
        raise AccountError(
            "That setup token is not right. Use the one printed on the server console."
        )
    try:
        user = new_user(username, password, display_name)
    except AccountError:
        db.session.rollback()  # the token stays valid for a corrected form
        raise
    bump_generation()  # cached pages may still invite visitors to the setup page
    db.session.commit()
    return user
