"""Preview links: private addresses at which a post's working copy can be read before Publish.

Decisions worth knowing:
- A link shows the working copy as it is when opened (later edits included), read through
  `working_view` like the author's own "Preview as a reader": stored HTML only.
- A link is its token alone (256 random bits); revoking deletes the row, so the address
  answers 404 at once, and deleting the post deletes its links.
- Making or revoking a link changes nothing readers of the site see: no version bump, no
  cache generation, nothing for the mirror.
- A draft's files are not public, so the page at a link addresses them under the link
  (`/preview/<link>/assets/<token>/<name>`): the stored HTML's `/assets/<token>/` prefixes
  of the post's own files are swapped for it, a string substitution, not a render.
"""

from __future__ import annotations

from sqlalchemy import select

from ..assets import find_file
from ..extensions import db
from ..models import Asset, Post, PreviewLink
from .errors import ContentError
from .published import PublishedPost
from .revisions import working_view

# Far more than an author shares one draft with; a bound so a loop of clicks cannot fill a table.
MAX_LINKS_PER_POST = 20


def preview_links(post: Post) -> list[PreviewLink]:
    """The post's preview links, oldest first."""
    return list(
        db.session.scalars(
            select(PreviewLink)
            .where(PreviewLink.post_id == post.id)
            .order_by(PreviewLink.created_at, PreviewLink.id)
        )
    )


def create_preview_link(post: Post) -> PreviewLink:
    """A new private link to the post's working copy."""
    if len(preview_links(post)) >= MAX_LINKS_PER_POST:
        raise ContentError(
            f"This post already has {MAX_LINKS_PER_POST} preview links: revoke one first."
        )
    link = PreviewLink(post_id=post.id)
    db.session.add(link)
    db.session.commit()
    return link


def revoke_preview_link(post: Post, link_id: int) -> None:
    """Delete one of the post's links: its address stops working at once."""
    link = db.session.get(PreviewLink, link_id)
    if link is None or link.post_id != post.id:
        raise ContentError("That preview link no longer exists.")
    db.session.delete(link)
    db.session.commit()


def post_for_preview(token: str) -> Post | None:
    """The post a preview link shows, or None when no such link exists (revoked or never made)."""
    if not token or len(token) > 64:
        return None
    link = db.session.scalar(select(PreviewLink).where(PreviewLink.token == token))
    return link.post if link is not None else None


def shared_view(post: Post, files_at: str) -> PublishedPost:
    """The working copy as read at a preview link, the post's files addressed under `files_at`
    (the link's address followed by `/assets/`)."""
    view = working_view(post)
    tokens = list(db.session.scalars(select(Asset.token).where(Asset.post_id == post.id)))
    if tokens:
        for turn in view.data["turns"]:
            html = turn.get("html") or ""
            for token in tokens:
                html = html.replace(f'="/assets/{token}/', f'="{files_at}{token}/')
            turn["html"] = html
    return view


def shared_file(post: Post, token: str, name: str):
    """One of the post's files, as addressed from its preview link, or None."""
    found = find_file(token, name)
    return found if found is not None and found.post_id == post.id else None
