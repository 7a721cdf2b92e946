"""A post's own details: creating it, its title, slug, license, tags and series."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import select

from .. import changes
from ..disclosure import STATED_KINDS
from ..extensions import db
from ..licenses import LICENSES
from ..models import Post, Series, SlugRedirect, Tag, Turn, User, utcnow
from ..settings import bump_generation
from ..vocabulary import Status
from .errors import ContentError, StaleEdit
from .findings import count_findings
from .rules import UNTITLED, check_length, fit
from .slugs import slugify, unique_slug

SLUG_PATTERN = re.compile(r"[a-z0-9-]+")  # as the details form's pattern attribute


def create_post(author: User | None, title: str, *, license_code: str = "") -> Post:
    """A new, empty draft."""
    title = title.strip() or UNTITLED
    check_length(Post.title, title, "A title")
    post = Post(
        title=fit(Post.title, title),
        slug=unique_slug(slugify(title)),
        author=author,
        license=license_code,
        status=Status.DRAFT,
        source_kind="editor",
        findings=0,
    )
    db.session.add(post)
    db.session.commit()
    return post


def is_stale(expected: int | str | None, current: int) -> bool:
    """True when a form's version is not the one stored (no version given: not stale)."""
    if expected in (None, ""):
        return False
    try:
        return int(expected) != current
    except ValueError:
        return True


def check_version(thing: Post | Turn, expected: int | str | None, what: str) -> None:
    """Refuse a save made from a stale copy (another tab saved first)."""
    if is_stale(expected, thing.version):
        raise StaleEdit(
            f"This {what} was changed in another window since you opened it. "
            "Your text is kept below: copy it, reload, and apply your change again."
        )


def check_details_version(post: Post, expected: int | str | None) -> None:
    """Refuse a details save made from a page older than another details save."""
    if is_stale(expected, post.details_version):
        raise StaleEdit(
            "These details were changed in another window since you opened this page. "
            "Your values are kept in the form: check them and press Save details again."
        )


def touch(post: Post, *, details: bool = False) -> None:
    """Record a change to the post and, if readers can see it, invalidate caches.

    `details` says the details form's fields changed too: only then is a Save details made
    from an older page stale, so turn actions never refuse the author's typed title.
    """
    post.updated_at = utcnow()
    post.version += 1
    if details:
        post.details_version += 1
    count_findings(post)
    changes.post_changed(post.id)
    if post.is_reachable:
        bump_generation()


def details_form_values(post: Post) -> dict[str, str]:
    """The details form's fields as the post holds them now."""
    return {
        "title": post.title,
        "slug": post.slug,
        "summary": post.summary or "",
        "model_name": post.model_name or "",
        "license": post.license or "",
        "how_made": post.how_made or "",
        "tags": ", ".join(tag.name for tag in post.tags),
        "series": post.series.title if post.series else "",
        "series_position": str(post.series_position or 0),
    }


def update_post(post: Post, fields: dict[str, str], expected_version: int | str | None) -> None:
    """Change the post's title, slug, summary, model, license or how it was made."""
    check_details_version(post, expected_version)
    check_details(fields)
    title = fields.get("title", post.title).strip()
    if not title:
        raise ContentError("A post needs a title.")
    post.title = fit(Post.title, title)
    post.summary = fields.get("summary", post.summary).strip()
    post.model_name = fit(Post.model_name, fields.get("model_name", post.model_name).strip())
    license_code = fields.get("license", post.license)
    if license_code and license_code not in LICENSES:
        raise ContentError("Choose a license from the list.")
    post.license = license_code
    how = fields.get("how_made", post.how_made)
    if how and how not in STATED_KINDS:
        raise ContentError("Choose how the post was made from the list.")
    post.how_made = how
    if "tags" in fields:
        set_tags(post, fields["tags"])
    if "series" in fields:
        set_series(post, fields["series"], fields.get("series_position"))
    new_slug = slugify(fields.get("slug") or post.slug)
    if new_slug != post.slug:
        change_slug(post, new_slug)
    touch(post, details=True)
    db.session.commit()


def check_details(fields: dict[str, str]) -> None:
    """Refuse what the details form's rules forbid, with the reason: the browser checks them
    too, but a value it let through (or a client that is no browser) must not be cut or
    rewritten in silence."""
    check_length(Post.title, fields.get("title", "").strip(), "A title")
    check_length(Post.model_name, fields.get("model_name", "").strip(), "A model name")
    check_length(Series.title, fields.get("series", "").strip(), "A series title")
    for name in fields.get("tags", "").split(","):
        check_length(Tag.name, name.strip(), "A tag")
    slug = fields.get("slug", "").strip()
    if slug and not SLUG_PATTERN.fullmatch(slug):
        raise ContentError(
            f"A slug is lower-case letters, digits and hyphens: “{slug[:80]}” is not one "
            f"(“{slugify(slug)}” would be)."
        )
    position = fields.get("series_position", "").strip()
    if position and not position.isdigit():
        raise ContentError("The part number in a series is a whole number, 0 or more.")


def change_slug(post: Post, new_slug: str) -> None:
    """Move the post to a new slug; the old one keeps redirecting."""
    if unique_slug(new_slug, post.id) != new_slug:
        raise ContentError(f"The slug “{new_slug}” is already used by another post.")
    if post.published_at is not None:
        db.session.add(SlugRedirect(old_slug=post.slug, post_id=post.id))
    stale = db.session.scalar(select(SlugRedirect).where(SlugRedirect.old_slug == new_slug))
    if stale is not None:
        db.session.delete(stale)
    post.slug = new_slug


def set_tags(post: Post, text: str) -> None:
    """Replace the post's tags with the comma-separated names in `text`."""
    post.tags = tags_named(text.split(","))


def set_series(post: Post, title: str, position: str | int | None = None) -> None:
    """Put the post in the series called `title` (created if new), or in none when empty."""
    title = fit(Series.title, title.strip())
    if not title:
        post.series = None
        return
    slug = slugify(title)
    series = db.session.scalar(select(Series).where(Series.slug == slug))
    if series is None:
        series = Series(title=title, slug=slug)
        db.session.add(series)
    post.series = series
    try:
        post.series_position = int(position) if position not in (None, "") else post.series_position
    except ValueError as exc:
        raise ContentError("The part number in a series must be a whole number.") from exc


def tags_named(names: Iterable[str]) -> list[Tag]:
    """The tags with these names, created where new; blanks and repeats dropped."""
    tags: list[Tag] = []
    for raw in names:
        name = fit(Tag.name, str(raw).strip())
        slug = slugify(name) if name else ""
        if not slug or any(tag.slug == slug for tag in tags):
            continue
        tag = db.session.scalar(select(Tag).where(Tag.slug == slug))
        if tag is None:
            tag = Tag(name=name, slug=slug)
            db.session.add(tag)
        tags.append(tag)
    return tags
