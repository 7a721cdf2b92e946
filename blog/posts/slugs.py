"""Slugs: made from titles, kept unique across posts and the old slugs that still redirect."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from sqlalchemy import select

from ..extensions import db
from ..models import Post, SlugRedirect


def slugify(text: str) -> str:
    """A short, readable URL slug from a title."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:80].rstrip("-") or "conversation"


def first_free(base: str, taken: Callable[[str], bool]) -> str:
    """`base`, or `base-2`, `base-3`… the first one `taken` says is free."""
    candidate, n = base, 1
    while taken(candidate):
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def unique_slug(base: str, post_id: int | None = None) -> str:
    """`base` or the first numbered variant no other post (or old slug) uses."""

    def taken(candidate: str) -> bool:
        owner = db.session.scalar(select(Post.id).where(Post.slug == candidate))
        redirect = db.session.scalar(
            select(SlugRedirect.post_id).where(SlugRedirect.old_slug == candidate)
        )
        return (owner is not None and owner != post_id) or (
            redirect is not None and redirect != post_id
        )

    return first_free(base, taken)


class SlugBook:
    """Every slug in use, read once, for saving many posts without a query per slug."""

    def __init__(self, slugs: set[str]) -> None:
        self.slugs = slugs

    def claim(self, base: str) -> str:
        """The first free slug for `base`, now taken."""
        slug = first_free(base, self.slugs.__contains__)
        self.slugs.add(slug)
        return slug
