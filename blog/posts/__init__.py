"""The content service: the only code that writes posts, turns, tags and assets.

Every turn is rendered when it is saved (in the editor or by an import), so readers' pages
only ever read stored HTML. Callers use the names below (`from blog import posts`).
"""

from __future__ import annotations

from .assets import placeholders
from .batches import UndoPlan, get_batch, recent_batches, undo_import, undo_plan
from .bulk import DUPLICATE_CHOICES, ImportReport, ImportSave, KnownPosts, SavedPost
from .details import (
    change_slug,
    check_version,
    create_post,
    details_form_values,
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
from .findings import count_findings, keep_finding
from .images import ImageRefused, store_image
from .listing import Filters, PageNotFound, dashboard_page, filter_choices
from .published import PublishedPost, PublishedTurn, published_view
from .publishing import (
    delete_post,
    publish,
    publish_problems,
    rerender_all,
    restore_on_site,
    unpublish,
)
from .queries import (
    as_conversation,
    get_reachable_post,
    neighbours,
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
from .selected import (
    ACTIONS,
    Listed,
    add_to_series,
    delete_posts,
    listed,
    listed_by_slug,
    tag_posts,
)
from .sharing import (
    create_preview_link,
    post_for_preview,
    preview_links,
    revoke_preview_link,
)
from .slugs import slugify, unique_slug
from .titles import TitleWarning, title_warning

__all__ = [
    "ACTIONS",
    "Comparison",
    "PublishedPost",
    "PublishedTurn",
    "compare",
    "create_preview_link",
    "post_for_preview",
    "preview_links",
    "revoke_preview_link",
    "get_revision",
    "has_staged_changes",
    "published_view",
    "published_with_tag",
    "restore",
    "revisions_of",
    "snapshot",
    "working_view",
    "ContentError",
    "ImageRefused",
    "DUPLICATE_CHOICES",
    "Filters",
    "ImportReport",
    "ImportSave",
    "KnownPosts",
    "Listed",
    "PageNotFound",
    "PublishBlocked",
    "SavedPost",
    "StaleEdit",
    "TitleWarning",
    "UndoPlan",
    "add_to_series",
    "add_turn",
    "as_conversation",
    "change_slug",
    "check_turn_size",
    "check_version",
    "choose_alternative",
    "count_findings",
    "create_post",
    "dashboard_page",
    "delete_post",
    "delete_posts",
    "delete_turn",
    "filter_choices",
    "get_batch",
    "get_reachable_post",
    "get_turn",
    "keep_finding",
    "listed",
    "listed_by_slug",
    "move_turn",
    "needs_review",
    "neighbours",
    "publish",
    "publish_problems",
    "published_posts",
    "published_tag_ids",
    "recent_batches",
    "redact_finding",
    "redirected_slug",
    "render_html",
    "render_turn",
    "rerender_all",
    "save_turn",
    "placeholders",
    "series_posts",
    "set_excluded",
    "set_reviewed",
    "set_role",
    "set_series",
    "set_tags",
    "slugify",
    "store_image",
    "tag_posts",
    "tags_named",
    "title_warning",
    "touch",
    "undo_import",
    "undo_plan",
    "unique_slug",
    "restore_on_site",
    "unpublish",
    "unreviewed_turns",
    "details_form_values",
    "update_post",
]
