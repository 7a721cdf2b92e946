"""Publishing and its gates, taking a post back down, deleting it, re-rendering the site."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app
from sqlalchemy import func, select

from .. import changes
from ..extensions import db
from ..models import Post, Revision, Turn, utcnow
from ..privacy import TurnFinding, open_findings
from ..settings import bump_generation
from ..vocabulary import Status
from ..wording import counted
from .assets import publish_assets
from .details import touch
from .errors import ContentError, PublishBlocked
from .published import reindex
from .queries import REACHABLE, unreviewed_turns
from .render_pool import RenderPool, processes_for
from .rerender import RenderOutcome, refresh_turns
from .revisions import has_staged_changes, record, rerender_revisions
from .rules import render_limits, render_turn


def publish_problems(post: Post, findings: list[TurnFinding] | None = None) -> list[str]:
    """Everything that stands between this post and publication (`findings`: the scan, if done)."""
    problems = []
    visible = post.visible_turns
    if not visible:
        problems.append("the post has no visible turns")
    unreviewed = [n for n, t in enumerate(visible, start=1) if t.is_ai and not t.reviewed]
    if unreviewed:
        numbers = ", ".join(map(str, unreviewed))
        problems.append(f"{counted(len(unreviewed), 'AI turn')} not yet reviewed (turn {numbers})")
    if findings is None:
        findings = open_findings(post)
    else:
        findings = [f for f in findings if f.dismissed_reason is None]
    if findings:
        kinds = sorted({f.finding.label for f in findings})
        problems.append(
            f"{counted(len(findings), 'privacy finding')} still open ({', '.join(kinds)})"
        )
    return problems


def publish(
    post: Post,
    *,
    status: str | None = None,
    confirmed: bool = False,
    mark_reviewed: bool = False,
    note: str = "",
) -> Revision | None:
    """Publish the post, or Update a published one with its staged changes, once nothing blocks it.

    Either way the working copy becomes a new revision that readers see. Returns it, or None
    when the post was already published as it stands (nothing to update).
    """
    if status is None:
        status = post.status if post.is_reachable else Status.PUBLISHED
    if status not in REACHABLE:
        raise ContentError("A post is published either publicly or as unlisted.")
    if mark_reviewed:
        for turn in unreviewed_turns(post):
            turn.reviewed = True
    render_waiting(post)
    problems = publish_problems(post)
    if not confirmed:
        problems.append(
            "confirm the publishing checklist (usage policies respected, "
            "no private details of the people mentioned)"
        )
    if problems:
        db.session.rollback()
        raise PublishBlocked(problems)
    if post.status == status and not has_staged_changes(post) and post.published_revision:
        db.session.commit()
        return None
    updating = post.is_reachable
    now = utcnow()
    post.checklist_confirmed_at = now
    if post.published_at is None:
        post.published_at = now
    post.status = status
    # Published now, by hand or by the worker at its time: no schedule is left to run.
    end_schedule(post)
    touch(post)
    revision = record(post, note or ("Updated" if updating else "Published"))
    publish_assets(post)
    bump_generation()
    db.session.commit()
    return revision


def render_waiting(post: Post) -> None:
    """Render the post's turns still shown as their escaped source (an import renders them
    after saving, and past its budget leaves some): readers get rendered HTML."""
    for turn in post.turns:
        if turn.render_key is None:
            render_turn(turn)


def end_schedule(post: Post) -> None:
    """Forget the post's Publish later: its time, visibility and why it last failed."""
    post.scheduled_at = None
    post.scheduled_status = ""
    post.schedule_problem = ""


def restore_on_site(post: Post) -> Revision:
    """Undo an Unpublish: the revision readers last saw is on the site again, as it was."""
    if post.is_reachable:
        raise ContentError("The post is already on the site.")
    revision = db.session.scalar(
        db.select(Revision)
        .where(Revision.post_id == post.id, Revision.status.in_(REACHABLE))
        .order_by(Revision.number.desc())
        .limit(1)
    )
    if revision is None:
        raise ContentError("This post was never published, so there is nothing to put back.")
    post.status = revision.status
    post.published_revision = revision
    end_schedule(post)
    reindex(post, revision)
    publish_assets(post)
    touch(post)
    bump_generation()
    db.session.commit()
    return revision


def unpublish(post: Post) -> None:
    """Take the post off every public surface; it becomes a draft again."""
    was_reachable = post.is_reachable
    post.status = Status.DRAFT
    # The revisions stay, for a later Publish or a restore; readers lose the pointer.
    post.published_revision = None
    reindex(post, None)
    touch(post)
    if was_reachable:
        bump_generation()
    db.session.commit()


def delete_post(post: Post) -> None:
    """Delete the post, its turns and assets for good."""
    if post.is_reachable:
        bump_generation()
    changes.post_changed(post.id)
    reindex(post, None)
    post.published_revision = None
    db.session.flush()
    db.session.delete(post)
    db.session.commit()


def rerender_all(progress: Callable[[int, int], None] | None = None) -> RenderOutcome:
    """Bring every turn's stored HTML and plain text up to date with the renderer, on every
    core: a turn already rendered from its text by this renderer is left alone."""
    db.session.commit()  # the turns are written on a connection of their own
    config = current_app.config
    with db.engine.connect() as connection:
        total = connection.execute(select(func.count(Turn.id))).scalar_one()
        processes = processes_for(config["IMPORT_RENDER_PROCESSES"], total)
        with RenderPool(processes) as pool:
            outcome = refresh_turns(
                connection,
                render_limits(),
                pool=pool,
                progress=progress,
                commit=connection.commit,
            )
    rerender_revisions()
    db.session.commit()
    bump_generation()
    changes.site_changed()
    db.session.commit()
    return outcome
