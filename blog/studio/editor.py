"""What the editor page and its in-place fragments share: the post and turn named by the URL,
the context the turn partials and the publish status read, and where the editor's anchors lead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from flask import Response, abort, make_response, render_template, request, url_for

from .. import posts as content
from ..extensions import db
from ..models import Post, Turn
from ..privacy import findings_for


def is_htmx() -> bool:
    """True for a request htmx sent (it then expects a fragment, not a page)."""
    return request.headers.get("HX-Request") == "true"


def load_post(post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None:
        abort(404)
    return post


def load_turn(post: Post, turn_id: int) -> Turn:
    try:
        return content.get_turn(post, turn_id)
    except content.ContentError:
        abort(404)


def editor_url(post: Post, turn: Turn | None = None, anchor: str | None = None) -> str:
    """The editor page, scrolled to a turn (or another anchor) when one is given."""
    if turn is not None:
        anchor = turn_anchor(turn)
    return url_for("studio.edit_post", post_id=post.id, _anchor=anchor)


def turn_anchor(turn: Turn) -> str:
    return f"t{turn.id}"


def turn_context(post: Post, findings: list | None = None) -> dict:
    """What the turn partials, the publish status and the staged notice need (one privacy scan)."""
    if findings is None:
        findings = findings_for(post)
    by_turn: dict[int, list] = {}
    for found in findings:
        by_turn.setdefault(found.turn.id, []).append(found)
    return {
        "post": post,
        "findings_by_turn": by_turn,
        "finding_groups": content.group_by_kind(findings),
        "numbers": {turn.id: n for n, turn in enumerate(post.visible_turns, start=1)},
        "problems": content.publish_problems(post, findings),
        "unreviewed": content.unreviewed_turns(post),
        "ai_turn_count": sum(1 for turn in post.visible_turns if turn.is_ai),
        "staged": content.has_staged_changes(post),
    }


def next_unreviewed(post: Post, after: Turn) -> Turn | None:
    """The first unreviewed AI turn after `after`, else the first one before it."""
    waiting = content.unreviewed_turns(post)
    later = [turn for turn in waiting if turn.position > after.position]
    return (later or waiting or [None])[0]


@dataclass
class Change:
    """What an action changed on the editor page, to send as fragments to htmx."""

    shown: list[Turn] = field(default_factory=list)  # turns to send again, in page order
    opened: Turn | None = None  # a new turn, sent open in its editor
    removed: list[int] = field(default_factory=list)  # turns that leave the page
    renumbered: bool = False  # the visible numbering moved: send the other turns' numbers
    whole_list: bool = False  # the change reaches every turn (a finding kept post-wide)
    status: bool = True  # send the review count and the publish status out of band
    go_to: str | None = None  # the anchor focus moves to afterwards (review and go to the next)


def fragments(post: Post, change: Change) -> Response:
    """The changed turns, and out of band the numbers, the review count and publish status."""
    html = render_template("partials/turn_change.html", change=change, **turn_context(post))
    response = make_response(html)
    if change.go_to is not None:
        event = {"studio:go-to": {"id": change.go_to}}
        response.headers["HX-Trigger-After-Settle"] = json.dumps(event)
    return response
