"""Scheduled publishing: a draft the worker publishes at a time the author chose.

Decisions worth knowing:
- Times are the site's: UTC, as every date the studio shows. The form's `datetime-local`
  value (no zone) is read as UTC and the form says so.
- The author confirms the publishing checklist when scheduling, as for Publish; the other
  gates (every visible AI turn reviewed, no open privacy finding, visible turns) are checked
  again at the time by `publish` itself, so a scheduled post passes exactly Publish's gates.
- A gate failing at that time leaves the post a draft with the reason in `schedule_problem`,
  shown in the editor and the dashboard; it is not retried every minute (fixing a gate must
  not publish the post behind the author's back): the author schedules again or publishes.
- `publish_due` takes the time as an argument, so the worker's minute check and the tests
  drive the same code.
- Several workers (on several hosts) may check at the same minute: each claims a due post
  with a conditional UPDATE (`claim_due`) in the transaction that publishes it, so exactly
  one publishes it; a plain UPDATE works alike on SQLite and PostgreSQL.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from ..extensions import db
from ..models import Post, utcnow
from ..vocabulary import Status
from .errors import ContentError, PublishBlocked
from .publishing import end_schedule, publish, publish_problems
from .queries import REACHABLE

log = logging.getLogger(__name__)

FORM_FORMAT = "%Y-%m-%dT%H:%M"


def parse_schedule_time(value: str) -> datetime:
    """A `datetime-local` form value (`2026-12-24T09:30`) read as UTC."""
    try:
        moment = datetime.fromisoformat((value or "").strip())
    except ValueError:
        raise ContentError(
            "Give the date and time to publish at, e.g. 2026-12-24 09:30 (UTC)."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


def schedule_publish(
    post: Post,
    when: datetime,
    *,
    status: str = Status.PUBLISHED,
    confirmed: bool = False,
    now: datetime | None = None,
) -> list[str]:
    """Have the worker publish this draft at `when`; returns what would block it as it stands."""
    if post.is_reachable:
        raise ContentError("This post is already on the site: there is nothing to schedule.")
    if status not in REACHABLE:
        raise ContentError("A post is published either publicly or as unlisted.")
    if not confirmed:
        raise ContentError(
            "Confirm the publishing checklist (usage policies respected, no private details "
            "of the people mentioned) to schedule the post."
        )
    now = now or utcnow()
    if when <= now:
        raise ContentError(
            f"{when:%-d %B %Y, %H:%M} UTC has passed (it is now {now:%H:%M} UTC): "
            "choose a later time, or publish now."
        )
    post.scheduled_at = when
    post.scheduled_status = status
    post.schedule_problem = ""
    db.session.commit()
    return publish_problems(post)


def cancel_schedule(post: Post) -> None:
    """Forget the post's schedule (and the reason a scheduled publish failed)."""
    end_schedule(post)
    db.session.commit()


@dataclass
class DueReport:
    """What one check of due posts did: the posts published, and those a gate held back."""

    published: list[int] = field(default_factory=list)
    blocked: dict[int, str] = field(default_factory=dict)


def due_posts(now: datetime) -> list[int]:
    """Drafts whose scheduled time has come and whose schedule has not failed, oldest first."""
    return list(
        db.session.scalars(
            select(Post.id)
            .where(
                Post.status == Status.DRAFT,
                Post.scheduled_at.is_not(None),
                Post.scheduled_at <= now,
                Post.schedule_problem == "",
            )
            .order_by(Post.scheduled_at, Post.id)
        )
    )


def claim_due(post_id: int, now: datetime) -> bool:
    """Whether this worker takes the post's due schedule: an UPDATE whose WHERE says it is
    still due, so of several workers (or hosts) checking at once exactly one matches the row.
    The claim holds until this transaction ends: a second worker's UPDATE waits for the row
    (PostgreSQL) or the write lock (SQLite), then finds the post published or held back."""
    claimed = db.session.execute(
        update(Post)
        .where(
            Post.id == post_id,
            Post.status == Status.DRAFT,
            Post.scheduled_at.is_not(None),
            Post.scheduled_at <= now,
            Post.schedule_problem == "",
        )
        .values(scheduled_status=Post.scheduled_status)
        .execution_options(synchronize_session=False)
    )
    return claimed.rowcount == 1


def publish_due(now: datetime | None = None) -> DueReport:
    """Publish every draft whose time has come, through Publish and its gates; each post in
    its own transaction, so one that is held back never holds back the others."""
    now = now or utcnow()
    report = DueReport()
    for post_id in due_posts(now):
        try:
            claimed = claim_due(post_id, now)
        except OperationalError:
            # SQLite: another worker has held the write lock past the busy timeout.
            db.session.rollback()
            log.warning("Scheduled post %s left for the next check: the database is busy", post_id)
            continue
        if not claimed:
            # Another worker has it (or has published it), or the author cancelled.
            db.session.rollback()
            continue
        post = db.session.get(Post, post_id)
        planned = post.scheduled_at
        try:
            publish(post, status=post.scheduled_status or Status.PUBLISHED, confirmed=True)
        except PublishBlocked as exc:
            reason = "; ".join(exc.reasons)
        except ContentError as exc:
            reason = str(exc)
        except Exception as exc:  # noqa: BLE001 - recorded on the post; the others still go out
            db.session.rollback()
            log.exception("Scheduled publish of post %s failed", post_id)
            reason = f"publishing stopped unexpectedly ({type(exc).__name__})"
        else:
            report.published.append(post_id)
            continue
        held = db.session.get(Post, post_id)
        held.schedule_problem = (
            f"Not published at {planned:%-d %B %Y, %H:%M} UTC as scheduled: {reason}."
        )
        db.session.commit()
        report.blocked[post_id] = held.schedule_problem
    return report
