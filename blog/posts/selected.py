"""Changes to many posts at once (the dashboard's bulk actions, the CLI, undoing an import):
each is planned first, so the author can be shown exactly what will happen, then done in one
transaction."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select, update

from .. import changes
from ..extensions import db
from ..models import Post, Series, Tag, post_tags, utcnow
from ..settings import bump_generation
from .details import tags_named
from .errors import ContentError
from .queries import REACHABLE
from .rules import check_length, fit
from .slugs import slugify

CHUNK = 500  # ids per IN (…) list, well under every driver's parameter limit
ACTIONS = ("delete", "tag", "series")


@dataclass(frozen=True)
class Listed:
    """A post named in a plan: enough to show the author which one it is."""

    id: int
    slug: str
    title: str
    status: str

    @property
    def is_reachable(self) -> bool:
        return self.status in REACHABLE


def chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def listed(ids: Iterable[int]) -> list[Listed]:
    """The posts with these ids (those that still exist), in title order."""
    found: list[Listed] = []
    for part in chunks(sorted(set(ids))):
        found += [
            Listed(*row)
            for row in db.session.execute(
                select(Post.id, Post.slug, Post.title, Post.status).where(Post.id.in_(part))
            )
        ]
    return sorted(found, key=lambda post: (post.title.casefold(), post.id))


def listed_by_slug(slugs: Iterable[str]) -> tuple[list[Listed], list[str]]:
    """The posts with these slugs, and the slugs no post has."""
    wanted = list(dict.fromkeys(slugs))
    rows = db.session.execute(
        select(Post.id, Post.slug, Post.title, Post.status).where(Post.slug.in_(wanted))
    )
    found = {row.slug: Listed(*row) for row in rows}
    return [found[s] for s in wanted if s in found], [s for s in wanted if s not in found]


def refuse_published(posts: list[Listed], include_published: bool, option: str) -> None:
    """Deleting a post readers can reach needs a second, explicit yes."""
    reachable = [post for post in posts if post.is_reachable]
    if reachable and not include_published:
        names = ", ".join(post.slug for post in reachable[:10])
        more = f" and {len(reachable) - 10} more" if len(reachable) > 10 else ""
        raise ContentError(
            f"{len(reachable)} of these posts are published or unlisted ({names}{more}): "
            f"{option} to delete them too, or unpublish them first."
        )


def delete_posts(posts: list[Listed], *, include_published: bool = False, option: str = "") -> int:
    """Delete these posts, their turns, tags and assets for good; how many were deleted."""
    refuse_published(posts, include_published, option or "tick “also delete published posts”")
    remove(posts)
    db.session.commit()
    return len(posts)


def remove(posts: list[Listed]) -> None:
    """Delete the rows (the database cascades to turns, assets, tags and redirects)."""
    if any(post.is_reachable for post in posts):
        bump_generation()
    for post in posts:
        changes.post_changed(post.id)  # as `delete_post` does: its public files go too
    for part in chunks([post.id for post in posts]):
        db.session.execute(delete(Post).where(Post.id.in_(part)))
    db.session.expire_all()


def touch_many(posts: list[Listed]) -> None:
    """Record a change to each post, as `details.touch` does for one."""
    for part in chunks([post.id for post in posts]):
        db.session.execute(
            update(Post)
            .where(Post.id.in_(part))
            .values(
                updated_at=utcnow(),
                version=Post.version + 1,
                details_version=Post.details_version + 1,
            )
        )
    if any(post.is_reachable for post in posts):
        bump_generation()
    db.session.expire_all()


def tag_posts(posts: list[Listed], name: str) -> int:
    """Add the tag called `name` (created if new) to each post; how many gained it."""
    check_length(Tag.name, name.strip(), "A tag")
    tags = tags_named([name])
    if not tags:
        raise ContentError("Give the tag a name.")
    tag = tags[0]
    db.session.flush()
    ids = {post.id for post in posts}
    has = set()
    for part in chunks(sorted(ids)):
        has.update(
            db.session.scalars(
                select(post_tags.c.post_id).where(
                    post_tags.c.tag_id == tag.id, post_tags.c.post_id.in_(part)
                )
            )
        )
    gaining = [post for post in posts if post.id not in has]
    if gaining:
        db.session.execute(
            insert(post_tags), [{"post_id": post.id, "tag_id": tag.id} for post in gaining]
        )
        touch_many(gaining)
    db.session.commit()
    return len(gaining)


def add_to_series(posts: list[Listed], title: str) -> int:
    """Put each post in the series called `title` (created if new), after its current parts."""
    check_length(Series.title, title.strip(), "A series title")
    title = fit(Series.title, title.strip())
    slug = slugify(title) if title else ""
    if not slug:
        raise ContentError("Give the series a title.")
    series = db.session.scalar(select(Series).where(Series.slug == slug))
    if series is None:
        series = Series(title=title, slug=slug)
        db.session.add(series)
        db.session.flush()
    last = db.session.scalar(
        select(func.max(Post.series_position)).where(Post.series_id == series.id)
    )
    position = last or 0
    for post in posts:
        position += 1
        db.session.execute(
            update(Post)
            .where(Post.id == post.id)
            .values(series_id=series.id, series_position=position)
        )
    touch_many(posts)
    db.session.commit()
    return len(posts)
