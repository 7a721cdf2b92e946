"""The sitemap: every listed page in one file, or past `SITEMAP_MAX_URLS` an index of files.

The sitemap protocol allows 50,000 addresses per file. Up to `SITEMAP_MAX_URLS` of them,
`/sitemap.xml` lists them all; past it, `/sitemap.xml` is a sitemap index naming
`/sitemap-1.xml`, `/sitemap-2.xml`… and each of those lists its share.

Decisions worth knowing:
- The order is the home page and the archive, then posts oldest first, then tags by slug:
  a new post lands after every older one, so the files before it keep their bytes (and
  their ETags, and their mirrored copies) as the site grows.
- A file is read with two counts and one slice of each list, never the whole site, so a
  part costs the same on a site of any size; posts are read as two columns each.
- Only published posts and tags that published posts carry: never drafts or unlisted posts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from flask import current_app, url_for
from sqlalchemy import func, select

from . import posts as content
from .extensions import db
from .models import Post, Revision, Tag
from .vocabulary import Status

# The list pages every sitemap starts with.
LIST_PAGES = ("public.index", "public.archive")


@dataclass(frozen=True)
class Share:
    """What one file lists: its list pages, and offset/limit slices of posts and tags."""

    pages: tuple[str, ...]
    posts: tuple[int, int]
    tags: tuple[int, int]


@dataclass(frozen=True)
class Plan:
    """How many addresses there are, and how they are split into files."""

    posts: int
    tags: int
    per_file: int

    @property
    def total(self) -> int:
        return len(LIST_PAGES) + self.posts + self.tags

    @property
    def files(self) -> int:
        """Files of addresses: 1 means `/sitemap.xml` lists them itself."""
        return max(1, math.ceil(self.total / self.per_file))

    def share(self, number: int) -> Share:
        """The addresses of file `number` (from 1), as slices of the three lists in order."""
        start, end = (number - 1) * self.per_file, number * self.per_file
        pages = LIST_PAGES[start:end]
        return Share(
            pages=pages,
            posts=window(start, end, len(LIST_PAGES), self.posts),
            tags=window(start, end, len(LIST_PAGES) + self.posts, self.tags),
        )


def window(start: int, end: int, first: int, count: int) -> tuple[int, int]:
    """The offset and limit, within a list placed at `first`, of the addresses [start, end)."""
    low, high = max(start, first), min(end, first + count)
    return (low - first, high - low) if high > low else (0, 0)


def listed_tags():
    return select(Tag).where(Tag.id.in_(content.published_tag_ids())).order_by(Tag.slug)


def plan() -> Plan:
    """The site's sitemap plan, from two counts."""
    posts = db.session.scalar(
        select(func.count(Post.id)).where(
            Post.status == Status.PUBLISHED, Post.published_revision_id.is_not(None)
        )
    )
    tags = db.session.scalar(select(func.count()).select_from(listed_tags().subquery()))
    per_file = max(1, int(current_app.config["SITEMAP_MAX_URLS"]))
    return Plan(posts=posts or 0, tags=tags or 0, per_file=per_file)


def entries(share: Share) -> dict:
    """The template's data for one file: list page addresses, post views and tags."""
    offset, limit = share.posts
    posts = []
    if limit:
        # Two columns, not 2 x 50,000 ORM objects: a file of posts read as views took 3.5 s
        # and 50 MB of memory per 10,000 posts. The same fields a view gives (the post's
        # address, its published revision's time) from the same rows `published_posts` reads.
        query = (
            select(Post.slug, Revision.created_at.label("updated_at"))
            .join(Revision, Revision.id == Post.published_revision_id)
            .where(Post.status == Status.PUBLISHED)
            .order_by(Post.published_at, Post.id)
            .offset(offset)
            .limit(limit)
        )
        posts = list(db.session.execute(query))
    offset, limit = share.tags
    tags = list(db.session.scalars(listed_tags().offset(offset).limit(limit))) if limit else []
    pages = [url_for(endpoint, _external=True) for endpoint in share.pages]
    return {"pages": pages, "posts": posts, "tags": tags}


def paths() -> list[str]:
    """Every sitemap address the site answers now: `/sitemap.xml` and its parts, if any."""
    files = plan().files
    parts = [url_for("public.sitemap_part", number=n) for n in range(1, files + 1)]
    return [url_for("public.sitemap"), *(parts if files > 1 else [])]
