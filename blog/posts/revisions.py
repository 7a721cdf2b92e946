"""Revisions: what each Publish or Update showed readers, compared and restored.

Decisions worth knowing:
- The live `posts`/`turns` rows are the author's working copy; the editor, review flow and
  privacy scan work on them unchanged. Publish and Update copy the reader-facing state (the
  post's details and every turn with its stored HTML, plain text and flags) into a new
  `Revision` row as JSON and point `Post.published_revision_id` at it. Readers' pages read
  that one row (see `published.py`): nothing is rendered on a GET, and a half-finished edit
  is never public. Title, series and tags are also columns (and `revision_tags`) because list
  pages filter and sort by them without reading the JSON.
- Search indexes the published revision (`search_entries`, written at Publish and Update),
  not the live turns, so a staged edit is not findable either.
- Restoring loads a revision into the working copy; the author then presses Update, which
  runs the same gates as Publish. Nothing reaches readers without those gates.
- Unpublishing keeps every revision; deleting the post deletes them with it.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import undefer

from ..extensions import db
from ..models import Post, Revision, Turn, is_edited
from ..sessions import session_layout
from ..vocabulary import ROLE_LABELS
from .details import set_series, tags_named, touch
from .errors import ContentError
from .published import PublishedPost, reindex, turn_from
from .rerender import lookup, render_key
from .rules import render_limits, render_turn

# Fields of the working copy that Update publishes; the slug is the post's address and
# changes at once (with a redirect), like its status.
DETAIL_FIELDS = (
    "title",
    "summary",
    "model_name",
    "license",
    "how_made",
    "source_kind",
    "agent",
    "agent_version",
)


def snapshot_data(post, turns: Iterable, tags: Iterable, series) -> dict:
    """The reader-facing state of a post (ORM objects or database rows alike) as plain data."""
    # Rows read by an early migration lack the columns added after it (the agent).
    data = {name: getattr(post, name, None) or "" for name in DETAIL_FIELDS}
    data["conversation_at"] = iso(post.conversation_at)
    data["tags"] = [{"name": t.name, "slug": t.slug} for t in tags]
    data["series"] = (
        {"title": series.title, "slug": series.slug, "position": post.series_position or 0}
        if series is not None
        else None
    )
    data["turns"] = [
        {
            "id": t.id,
            "position": t.position,
            "role": t.role,
            "speaker": t.speaker or "",
            "model": t.model or "",
            "source": t.source or "",
            # Rows read by an early migration have no display form yet: Markdown then.
            "text_format": getattr(t, "text_format", None) or "markdown",
            "html": t.html or "",
            "text": t.text or "",
            "words": t.words or 0,
            "excluded": bool(t.excluded),
            "reviewed": bool(t.reviewed),
            "original_source": t.original_source,
            "edited": is_edited(t),
            "alternatives_json": t.alternatives_json or "[]",
            "created_at": iso(t.created_at),
        }
        for t in turns
    ]
    return data


def iso(value) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else value.isoformat()


def snapshot(post: Post) -> dict:
    """The working copy as it would be published now."""
    return snapshot_data(post, post.turns, post.tags, post.series)


def with_session(data: dict) -> dict:
    """A snapshot with its session layout (a coding agent's session: see `sessions`), which
    is worked out from its turns once, when the revision is recorded."""
    data.pop("session", None)
    turns = [turn_from(item) for item in data["turns"]]
    agent = (data.get("agent") or "", data.get("agent_version") or "")
    layout = session_layout(turns, data.get("source_kind") or "", agent)
    if layout is not None:
        data["session"] = layout
    return data


def working_view(post: Post) -> PublishedPost:
    """The working copy shown as readers would see it after Update (nothing is written)."""
    draft = Revision(
        title=post.title,
        created_at=post.updated_at,
        series_id=post.series_id,
        series_position=post.series_position,
    )
    return PublishedPost(post, draft, with_session(snapshot(post)))


def record(post: Post, note: str = "") -> Revision:
    """Keep the working copy as a new revision and make it what readers see (caller commits)."""
    data = with_session(snapshot(post))
    count = db.session.scalar(select(db.func.count()).where(Revision.post_id == post.id))
    revision = Revision(
        post_id=post.id,
        number=(count or 0) + 1,
        note=note.strip()[:500],
        status=post.status,
        title=post.title,
        series_id=post.series_id,
        series_position=post.series_position,
        data=json.dumps(data, ensure_ascii=False),
        tags=list(post.tags),
    )
    db.session.add(revision)
    db.session.flush()
    post.published_revision = revision
    reindex(post, revision, data)
    return revision


def reader_content(data: dict) -> dict:
    """The parts of a snapshot readers see (review marks and provenance are the author's)."""
    hidden = {"reviewed", "alternatives_json", "original_source", "id", "created_at"}
    # Revisions recorded before turns had a display form were all Markdown.
    turns = [
        {"text_format": "markdown"} | {k: v for k, v in t.items() if k not in hidden}
        for t in data["turns"]
    ]
    # The session layout is worked out from the turns, so it differs only when they do.
    return {k: v for k, v in data.items() if k != "session"} | {"turns": turns}


def has_staged_changes(post: Post) -> bool:
    """True when the working copy differs from what readers see."""
    published = post.published_revision
    if published is None or not post.is_reachable:
        return False
    return reader_content(snapshot(post)) != reader_content(json.loads(published.data))


def revisions_of(post: Post) -> list[Revision]:
    """The post's revisions, newest first."""
    return list(
        db.session.scalars(
            select(Revision).where(Revision.post_id == post.id).order_by(Revision.number.desc())
        )
    )


def get_revision(post: Post, revision_id: int) -> Revision:
    """One of the post's revisions."""
    revision = db.session.get(Revision, revision_id)
    if revision is None or revision.post_id != post.id:
        raise ContentError("That revision is not part of this post.")
    return revision


@dataclass(frozen=True)
class Comparison:
    """Two versions of a post as unified-diff lines."""

    before: str
    after: str
    lines: list[str]


def as_lines(data: dict) -> list[str]:
    """A version of a post as plain lines for a diff: details, then each turn's text."""
    lines = [f"Title: {data['title']}", f"Summary: {data['summary']}"]
    lines += [f"Model: {data['model_name']}", f"License: {data['license'] or 'site default'}"]
    lines.append("Tags: " + ", ".join(t["name"] for t in data["tags"]))
    series = data.get("series")
    lines.append(f"Series: {series['title']} (part {series['position']})" if series else "Series:")
    for number, turn in enumerate(data["turns"], start=1):
        label = ROLE_LABELS.get(turn["role"], turn["role"])
        shown = " (left out)" if turn["excluded"] else ""
        speaker = f" · {turn['speaker']}" if turn["speaker"] else ""
        lines += ["", f"## Turn {number}: {label}{speaker}{shown}"]
        lines += turn["source"].splitlines()
    return lines


def compare(before: tuple[str, dict], after: tuple[str, dict]) -> Comparison:
    """The changes from one version (a name and its data) to another."""
    lines = difflib.unified_diff(
        as_lines(before[1]), as_lines(after[1]), before[0], after[0], lineterm=""
    )
    return Comparison(before[0], after[0], list(lines))


def restore(post: Post, revision: Revision) -> None:
    """Load a revision into the working copy; readers see it after the author's Update."""
    if revision.post_id != post.id:
        raise ContentError("That revision is not part of this post.")
    data = json.loads(revision.data)
    for name in DETAIL_FIELDS:
        # A field recorded before revisions kept it (the agent) stays as the post has it.
        setattr(post, name, data.get(name, getattr(post, name) or ""))
    post.tags = tags_named(t["name"] for t in data["tags"])
    series = data.get("series")
    set_series(post, series["title"] if series else "", series["position"] if series else None)
    post.turns.clear()
    db.session.flush()
    for position, item in enumerate(data["turns"]):
        turn = Turn(
            position=position,
            role=item["role"],
            speaker=item["speaker"],
            model=item["model"],
            source=item["source"],
            text_format=item.get("text_format") or "markdown",
            original_source=item["original_source"],
            alternatives_json=item["alternatives_json"],
            reviewed=item["reviewed"],
            excluded=item["excluded"],
            created_at=datetime.fromisoformat(item["created_at"])
            if item.get("created_at")
            else None,
        )
        # Rendered again at this save, as every write is: the renderer may have changed.
        render_turn(turn)
        post.turns.append(turn)
    touch(post, details=True)
    db.session.commit()


def rerender_revisions() -> int:
    """Bring every revision's turns up to date with the renderer; how many were rendered.

    A turn whose text some live turn was rendered from under the current renderer (the
    usual case: the working copy holds the same text) takes that rendering.
    """
    limits = render_limits()
    count = 0
    for revision in db.session.scalars(select(Revision).options(undefer(Revision.data))):
        data = json.loads(revision.data)
        keyed = [
            (item, render_key(item["source"], item.get("text_format") or "markdown", limits))
            for item in data["turns"]
        ]
        known = lookup(db.session.connection(), {key for _, key in keyed})
        for item, key in keyed:
            fields = known.get((key, item["source"]))
            if fields is None:
                turn = Turn(
                    role=item["role"],
                    source=item["source"],
                    text_format=item.get("text_format") or "markdown",
                )
                render_turn(turn)
                fields = {"html": turn.html, "text": turn.text, "words": turn.words}
                known[(key, item["source"])] = fields
                count += 1
            item["html"], item["text"], item["words"] = (
                fields["html"],
                fields["text"],
                fields["words"],
            )
        revision.data = json.dumps(with_session(data), ensure_ascii=False)
    for post in db.session.scalars(select(Post).where(Post.published_revision_id.is_not(None))):
        reindex(post, post.published_revision)
    return count
