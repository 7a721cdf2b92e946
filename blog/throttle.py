"""Requests counted under a key in the database, so every worker and host shares one count.

The sign-in throttle (`accounts.authenticate`) and the fediverse inbox (`federation/inbox.py`)
count here, in the same table (`LoginAttempt`, keyed by what is counted), by the same rule: an
attempt is recorded and committed first and only then counted, so of any number of concurrent
attempts the n-th to commit sees at least n rows, and no more than the limit get through.
"""

from __future__ import annotations

import math
from datetime import timedelta

from sqlalchemy import delete, func, select

from .extensions import db
from .models import LoginAttempt, utcnow


def recent_count(key: str, seconds: int) -> int:
    """How many attempts under `key` the last `seconds` hold."""
    since = utcnow() - timedelta(seconds=seconds)
    return db.session.scalar(
        select(func.count(LoginAttempt.id)).where(
            LoginAttempt.key == key, LoginAttempt.attempted_at >= since
        )
    )


def take(key: str, limit: int, seconds: int) -> int:
    """Count one attempt under `key`; 0 if it is within `limit` per `seconds`, else the
    seconds until there is room (the attempt is then not counted).

    A key already at its limit is refused on one read, before anything is written: a sender
    flooding past its limit costs a query per request, not a write.
    """
    if recent_count(key, seconds) >= limit:
        return wait_for_room(key, seconds)
    since = utcnow() - timedelta(seconds=seconds)
    db.session.execute(
        delete(LoginAttempt).where(LoginAttempt.key == key, LoginAttempt.attempted_at < since)
    )
    attempt = LoginAttempt(key=key)
    db.session.add(attempt)
    db.session.commit()
    if recent_count(key, seconds) <= limit:
        return 0
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.id == attempt.id))
    db.session.commit()
    return wait_for_room(key, seconds)


def wait_for_room(key: str, seconds: int) -> int:
    """Seconds until the oldest attempt in the window leaves it (at least 1)."""
    since = utcnow() - timedelta(seconds=seconds)
    oldest = db.session.scalar(
        select(LoginAttempt.attempted_at)
        .where(LoginAttempt.key == key, LoginAttempt.attempted_at >= since)
        .order_by(LoginAttempt.attempted_at)
        .limit(1)
    )
    if oldest is None:
        return 1
    left = (oldest + timedelta(seconds=seconds) - utcnow()).total_seconds()
    return max(1, math.ceil(left))
