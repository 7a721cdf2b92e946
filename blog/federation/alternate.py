"""Where a public post's page points fediverse software: its object's address.

The page carries it twice: a `<link rel="alternate">` in the HTML, which the static mirror
keeps (nginx serves the mirror's files with the same headers for every page), and a `Link`
header, which the page cache stores with the page (`blog/caching.py`, `KEPT_HEADERS`).
"""

from __future__ import annotations

from flask import current_app

from .delivery import is_federated
from .identity import object_id

ACTIVITY_JSON = "application/activity+json"


def object_url(post) -> str:
    """The object id of a public post ("" when federation is off or the post is not public)."""
    if not current_app.config.get("FEDERATION_ENABLED") or not is_federated(post.post):
        return ""
    return object_id(post.post.id)


def link_header(post) -> str:
    """The `Link` header value naming the post's object ("" when there is none)."""
    address = object_url(post)
    return f'<{address}>; rel="alternate"; type="{ACTIVITY_JSON}"' if address else ""
