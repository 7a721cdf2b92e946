"""What the fediverse did not receive, in the studio: servers not answering, deliveries given up.

The worker stores both (`delivery.py`); this page says them in words ("Could not deliver the
Create of “Tides” to mastodon.example after 2 days 18 hours") and lets the author clear the
list once read.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import flash, redirect, render_template, url_for
from sqlalchemy import delete, func, select

from ..extensions import db
from ..models import Post
from ..studio import studio_blueprint
from ..wording import counted
from .models import InboxState, Undelivered

bp = studio_blueprint("fediverse_deliveries", __name__, "/studio/fediverse")
SHOWN = 200


@dataclass(frozen=True)
class GivenUp:
    """One delivery given up, said as the author reads it."""

    row: Undelivered
    title: str
    slug: str

    @property
    def server(self) -> str:
        return server_of(self.row.inbox)

    @property
    def sentence(self) -> str:
        what = f"the {self.row.activity_type or 'activity'}"
        if self.title:
            what += f" of “{self.title}”"
        tries = self.row.attempts
        if tries <= 1:
            return f"Could not deliver {what} to {self.server}: {self.row.reason}."
        span = time_in_words(self.row.gave_up_at - self.row.first_tried_at)
        return (
            f"Could not deliver {what} to {self.server} after {span} "
            f"({counted(tries, 'try', 'tries')}): {self.row.reason}."
        )


def server_of(inbox: str) -> str:
    return urlsplit(inbox).netloc or inbox


def time_in_words(span) -> str:
    """A duration as days and hours ("2 days 18 hours"), or minutes under an hour."""
    seconds = max(0, int(span.total_seconds()))
    days, hours, minutes = seconds // 86400, seconds % 86400 // 3600, seconds % 3600 // 60
    if not days and not hours:
        return counted(minutes, "minute")
    parts = [counted(days, "day")] if days else []
    return " ".join(parts + ([counted(hours, "hour")] if hours else []))


def given_up_count() -> int:
    """How many deliveries were given up and not yet cleared (for the dashboard)."""
    return db.session.scalar(select(func.count(Undelivered.id))) or 0


@bp.get("/deliveries")
def deliveries():
    """Servers not answering now, and the deliveries given up, newest first."""
    rows = db.session.execute(
        select(Undelivered, Post.title, Post.slug)
        .outerjoin(Post, Post.id == Undelivered.post_id)
        .order_by(Undelivered.gave_up_at.desc(), Undelivered.id.desc())
        .limit(SHOWN)
    ).all()
    failing = db.session.scalars(select(InboxState).order_by(InboxState.failing_since)).all()
    return render_template(
        "studio/fediverse_deliveries.html",
        given_up=[GivenUp(row, title or "", slug or "") for row, title, slug in rows],
        failing=[(server_of(state.inbox), state) for state in failing],
        total=given_up_count(),
    )


@bp.post("/deliveries/clear")
def clear():
    """Forget the deliveries given up (the author has read them)."""
    cleared = db.session.execute(delete(Undelivered)).rowcount
    db.session.commit()
    flash(f"Cleared {counted(cleared, 'delivery', 'deliveries')} given up.", "success")
    return redirect(url_for(".deliveries"))
