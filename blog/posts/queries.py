"""Reading posts: what readers may reach, lists, neighbours, and a post as plain data."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload, undefer

from ..extensions import db
from ..formats.base import ImportedConversation, ImportedTurn
from ..formats.text.speakers import person_name
from ..models import Post, Revision, Series, SlugRedirect, Turn, revision_tags
from ..vocabulary import Role, Status
from .published import PublishedPost, published_view

REACHABLE = (Status.PUBLISHED, Status.UNLISTED)


def published_posts(*, with_turns: bool = False):
    """A select of posts listed publicly, newest first, with their published revisions
    (and, `with_turns`, the revisions' content and the authors, loaded in bulk)."""
    revision = selectinload(Post.published_revision)
    if with_turns:
        revision = revision.options(undefer(Revision.data))
    query = (
        select(Post)
        .where(Post.status == Status.PUBLISHED, Post.published_revision_id.is_not(None))
        .order_by(Post.published_at.desc(), Post.id.desc())
        .options(revision)
    )
    if with_turns:
        query = query.options(joinedload(Post.author))
    return query


def published_with_tag(tag_id: int):
    """A select of public posts whose published revision carries this tag."""
    return published_posts(with_turns=True).join(
        revision_tags,
        (revision_tags.c.revision_id == Post.published_revision_id)
        & (revision_tags.c.tag_id == tag_id),
    )


def get_reachable_post(slug: str) -> Post | None:
    """A published or unlisted post by slug: what anyone may read."""
    return db.session.scalar(
        select(Post).where(
            Post.slug == slug,
            Post.status.in_(REACHABLE),
            Post.published_revision_id.is_not(None),
        )
    )


def redirected_slug(slug: str) -> str | None:
    """The current slug of a post that used to live at `slug`, if it is reachable."""
    post = db.session.scalar(
        select(Post)
        .join(SlugRedirect, SlugRedirect.post_id == Post.id)
        .where(SlugRedirect.old_slug == slug)
    )
    return post.slug if post is not None and post.is_reachable else None


def unreviewed_turns(post: Post) -> list[Turn]:
    """Visible AI turns the author has not yet marked as reviewed."""
    return [t for t in post.visible_turns if t.is_ai and not t.reviewed]


def neighbours(post: Post) -> dict[str, PublishedPost | None]:
    """The previous (older) and next (newer) published posts, for links between posts."""
    if not post.is_public:
        return {"previous": None, "next": None}
    listed = select(Post).where(
        Post.status == Status.PUBLISHED, Post.published_revision_id.is_not(None)
    )
    older = db.session.scalar(
        listed.where(Post.published_at < post.published_at)
        .order_by(Post.published_at.desc())
        .limit(1)
    )
    newer = db.session.scalar(
        listed.where(Post.published_at > post.published_at)
        .order_by(Post.published_at.asc())
        .limit(1)
    )
    return {
        "previous": published_view(older) if older else None,
        "next": published_view(newer) if newer else None,
    }


def published_tag_ids():
    """A select of the ids of tags used by at least one published post."""
    return (
        select(revision_tags.c.tag_id)
        .join(Post, Post.published_revision_id == revision_tags.c.revision_id)
        .where(Post.status == Status.PUBLISHED)
    )


def series_posts(series: Series) -> list[PublishedPost]:
    """The published posts of a series (as their published revisions place them), in order."""
    found = db.session.scalars(
        select(Post)
        .join(Revision, Revision.id == Post.published_revision_id)
        .where(Revision.series_id == series.id, Post.status == Status.PUBLISHED)
        .order_by(Revision.series_position, Post.published_at, Post.id)
        .options(selectinload(Post.published_revision))
    )
    return [published_view(post) for post in found]


def as_conversation(
    post: Post | PublishedPost, *, include_hidden: bool = False
) -> ImportedConversation:
    """The post as plain conversation data: what readers see, or (for the author) every turn."""
    turns = post.turns if include_hidden else post.visible_turns
    return ImportedConversation(
        title=post.title,
        turns=[
            ImportedTurn(
                role=turn.role,
                text=turn.source,
                speaker=person_name(turn.speaker) if turn.role == Role.USER else turn.speaker,
                model=turn.model or None,
                created_at=turn.created_at,
                alternatives=turn.alternatives if include_hidden else [],
                hidden=turn.excluded,
                text_format=turn.text_format or "markdown",
            )
            for turn in turns
        ],
        source_kind=post.source_kind,
        source_id=post.source_id,
        created_at=post.conversation_at or post.published_at or post.created_at,
        updated_at=post.updated_at,
        model=post.model_name or None,
        tags=[tag.name for tag in post.tags],
        summary=post.summary,
        agent=post.agent,
        agent_version=post.agent_version,
    )
