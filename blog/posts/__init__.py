"""The content service: the only code that writes posts, turns, tags and assets.

Every turn is rendered when it is saved (in the editor or by an import), so readers' pages
only ever read stored HTML. Callers use the names below (`from blog import posts`).
"""

from __future__ import annotations

from .bulk import DUPLICATE_CHOICES, ImportReport, ImportSave, KnownPosts, SavedPost
from .details import (
    change_slug,
    check_version,
    create_post,
    set_series,
    set_tags,
    tags_named,
    touch,
    update_post,
)
from .editing import (
    add_turn,
    choose_alternative,
    delete_turn,
    get_turn,
    move_turn,
    redact_finding,
    save_turn,
    set_excluded,
    set_reviewed,
    set_role,
)
from .errors import ContentError, PublishBlocked, StaleEdit
from .published import PublishedPost, PublishedTurn, published_view
from .publishing import delete_post, publish, publish_problems, rerender_all, unpublish
from .queries import (
    as_conversation,
    get_reachable_post,
    neighbours,
    posts_for_dashboard,
    published_posts,
    published_tag_ids,
    published_with_tag,
    redirected_slug,
    series_posts,
    unreviewed_turns,
)
from .revisions import (
    Comparison,
    compare,
    get_revision,
    has_staged_changes,
    restore,
    revisions_of,
    snapshot,
    working_view,
)
from .rules import check_turn_size, needs_review, render_html, render_turn
from .slugs import slugify, unique_slug

__all__ = [
    "Comparison",
    "PublishedPost",
    "PublishedTurn",
    "compare",
    "get_revision",
    "has_staged_changes",
    "published_view",
    "published_with_tag",
    "restore",
    "revisions_of",
    "snapshot",
    "working_view",
    "DUPLICATE_CHOICES",
    "ContentError",
    "ImportReport",
    "ImportSave",
    "KnownPosts",
    "PublishBlocked",
    "SavedPost",
    "StaleEdit",
    "add_turn",
    "as_conversation",
    "change_slug",
    "check_turn_size",
    "check_version",
    "choose_alternative",
    "create_post",
    "delete_post",
    "delete_turn",
    "get_reachable_post",
    "get_turn",
    "move_turn",
    "needs_review",
    "neighbours",
    "posts_for_dashboard",
    "publish",
    "publish_problems",
    "published_posts",
    "published_tag_ids",
    "redact_finding",
    "redirected_slug",
    "render_html",
    "render_turn",
    "rerender_all",
    "save_turn",
    "series_posts",
    "set_excluded",
    "set_reviewed",
    "set_role",
    "set_series",
    "set_tags",
    "slugify",
    "tags_named",
    "touch",
    "unique_slug",
    "unpublish",
    "unreviewed_turns",
    "update_post",
]
