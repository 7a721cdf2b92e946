"""What other servers send the blog: follows, likes, boosts and replies, each signed.

Decisions worth knowing:
- The signer must be the activity's actor: a server may relay only its own users' activities.
- Both signature standards are read: RFC 9421 when `Signature-Input` is sent, else draft-cavage.
- A key that no longer verifies is fetched once more (the actor may have rotated it).
- A Delete of an actor we never met is answered 202 and dropped: its key is already gone
  (Mastodon sends these to every server it knows), and we hold nothing of theirs.
- A reply is kept unapproved; an edited reply needs approving again (a rejected one stays so).
- Blocked servers and accounts are refused (403) before their signature is checked
  (`blocks.refused`): that costs one query, and verifying could mean fetching their key.
- Each server may post `FEDERATION_INBOX_PER_HOST_PER_MINUTE` activities a minute (429 and
  Retry-After beyond), counted in the database (`blog/throttle.py`), so every worker and host
  shares the count. A request is counted against its key's host once its signature verifies,
  so no one can spend another server's allowance by naming its key. A request whose key must
  first be fetched (a first contact, a rotated key) is also counted, before the fetch, in an
  allowance of its own: a forger can delay that, not the server's known accounts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from .. import throttle
from ..allowlist import sanitize
from ..extensions import db
from ..models import Post
from . import blocks, delivery, documents, identity, remote, rfc9421
from .models import Follower, Reaction, RemoteActor, RemoteComment
from .reactions import shown_changed
from .signatures import SignatureError, key_id_of, verify

MAX_COMMENT_CHARS = 20_000
REPLY_TYPES = ("Note", "Article", "Page")


class Refused(Exception):
    """The request is refused with this status and reason (400 malformed, 401 unsigned…)."""

    def __init__(self, status: int, reason: str, retry_after: int | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.retry_after = retry_after


def receive(method: str, url: str, headers: Mapping[str, str], body: bytes) -> str:
    """Verify and act on one activity posted to the inbox at `url`; what was done, or Refused.

    `headers` has lower-case names.
    """
    # Unsigned is said first, whatever the body: nothing of it is read for a stranger.
    try:
        key_id = request_key_id(headers)
    except SignatureError as exc:
        raise Refused(401, str(exc)) from exc
    activity = parse(body)
    kind, actor_uri = activity.get("type"), activity.get("actor")
    known_uri = known_actor(key_id)
    if blocks.refused(key_id, actor_uri, known_uri or "") is not None:
        raise Refused(403, "this server or account is blocked here")
    if kind == "Delete" and activity.get("object") == actor_uri and known_uri is None:
        return "ignored: deletion of an actor we never met"
    signer = signed_by(method, url, headers, body, key_id)
    if signer.uri != actor_uri:
        raise Refused(401, "the signer is not the activity's actor")
    handler = HANDLERS.get(str(kind))
    if handler is None:
        return f"ignored: {kind}"
    try:
        outcome = handler(activity, signer)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # the same activity twice at once: the first one counts
        outcome = "already recorded"
    return outcome


def parse(body: bytes) -> dict:
    try:
        activity = json.loads(body)
    except ValueError as exc:
        raise Refused(400, "the body is not JSON") from exc
    if not isinstance(activity, dict) or not isinstance(activity.get("actor"), str):
        raise Refused(400, "the body is not an activity with an actor")
    return activity


def known_actor(key_id: str) -> str | None:
    """The id of the actor we know holds this key, if we know one."""
    return db.session.scalar(select(RemoteActor.uri).where(RemoteActor.key_id == key_id))


def request_key_id(headers: Mapping[str, str]) -> str:
    """The key a request names, in RFC 9421's headers or draft-cavage's."""
    if "signature-input" in headers:
        return rfc9421.key_id(headers)
    return key_id_of(headers)


def check_signature(
    method: str, url: str, headers: Mapping[str, str], body: bytes, public_key_pem: str
) -> None:
    """Verify the request by the standard it was signed with."""
    if "signature-input" in headers:
        rfc9421.verify(method, url, headers, body, public_key_pem)
        return
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    verify(method, target, headers, body, public_key_pem)


def signed_by(
    method: str, url: str, headers: Mapping[str, str], body: bytes, key_id: str
) -> RemoteActor:
    """The actor whose key signed the request, or Refused (401; 429 past the host's limit)."""
    host = blocks.host_of(key_id)
    known = db.session.scalar(select(RemoteActor).where(RemoteActor.key_id == key_id))
    if known is not None:
        try:
            check_signature(method, url, headers, body, known.public_key_pem)
        except SignatureError as exc:
            if "does not match" not in str(exc):
                raise Refused(401, str(exc)) from exc
        else:
            within_limit(f"inbox:{host}")
            return known
    within_limit(f"inbox-fetch:{host}")
    try:
        signer = remote.actor_for_key(key_id, refresh=known is not None)
        check_signature(method, url, headers, body, signer.public_key_pem)
    except (SignatureError, remote.RemoteError) as exc:
        db.session.rollback()
        raise Refused(401, str(exc)) from exc
    db.session.commit()  # the actor's key, kept for the next request
    within_limit(f"inbox:{host}")
    return signer


def within_limit(key: str) -> None:
    """Count one request under `key`; Refused(429) past the per-minute limit."""
    limit = int(current_app.config["FEDERATION_INBOX_PER_HOST_PER_MINUTE"])
    if limit <= 0:
        return
    wait = throttle.take(key[:200], limit, 60)
    if wait:
        raise Refused(429, "too many requests from this server; try again later", wait)


def object_id(value: object) -> str:
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else ""


def follow(activity: dict, signer: RemoteActor) -> str:
    if object_id(activity.get("object")) != identity.actor_id():
        return "ignored: a follow of someone else"
    row = db.session.scalar(select(Follower).where(Follower.actor_uri == signer.uri))
    if row is None:
        row = Follower(actor_uri=signer.uri)
        db.session.add(row)
    row.inbox, row.shared_inbox = signer.inbox, signer.shared_inbox
    row.follow_id = object_id(activity)
    db.session.flush()
    delivery.queue().deliver(signer.inbox, json.dumps(documents.accept(activity)))
    return "followed"


def undo(activity: dict, signer: RemoteActor) -> str:
    inner = activity.get("object")
    inner_id = object_id(inner)
    inner_kind = inner.get("type") if isinstance(inner, dict) else None
    if inner_kind == "Follow" or (inner_id and is_follow_of(signer, inner_id)):
        db.session.execute(delete(Follower).where(Follower.actor_uri == signer.uri))
        return "unfollowed"
    if inner_kind in REACTIONS and isinstance(inner, dict):
        post_id = post_for(object_id(inner.get("object")))
        db.session.execute(
            delete(Reaction).where(
                Reaction.actor_uri == signer.uri,
                Reaction.kind == REACTIONS[inner_kind],
                Reaction.post_id == post_id,
            )
        )
        if post_id is not None:
            shown_changed(post_id)
        return f"{REACTIONS[inner_kind]} withdrawn"
    if inner_id:
        db.session.execute(
            delete(Reaction).where(
                Reaction.actor_uri == signer.uri, Reaction.activity_id == inner_id
            )
        )
    return "undone"


def is_follow_of(signer: RemoteActor, follow_id: str) -> bool:
    found = select(Follower.id).where(
        Follower.actor_uri == signer.uri, Follower.follow_id == follow_id
    )
    return db.session.scalar(found) is not None


REACTIONS = {"Like": "like", "Announce": "announce"}


def react(activity: dict, signer: RemoteActor) -> str:
    kind = REACTIONS[activity["type"]]
    post_id = post_for(object_id(activity.get("object")))
    if post_id is None:
        return f"ignored: a {kind} of something that is not a public post"
    exists = select(Reaction.id).where(
        Reaction.post_id == post_id, Reaction.actor_uri == signer.uri, Reaction.kind == kind
    )
    if db.session.scalar(exists) is None:
        db.session.add(
            Reaction(
                post_id=post_id, kind=kind, actor_uri=signer.uri, activity_id=object_id(activity)
            )
        )
        shown_changed(post_id)
    return f"{kind} counted"


def create(activity: dict, signer: RemoteActor) -> str:
    note = activity.get("object")
    # Mastodon and most servers reply with a Note; a blog (WordPress, bovine) may with the
    # type of what it answers, an Article or a Page.
    if not isinstance(note, dict) or note.get("type") not in REPLY_TYPES:
        return "ignored: not a note"
    post_id = post_for(object_id(note.get("inReplyTo")))
    uri = object_id(note)
    if post_id is None or not uri:
        return "ignored: not a reply to a public post"
    if note.get("attributedTo", signer.uri) != signer.uri:
        raise Refused(401, "the note is attributed to someone else")
    if urlsplit(uri).netloc != urlsplit(signer.uri).netloc:
        # Else one server could claim a note of another's id, and keep its author's from arriving.
        return "ignored: a note whose id is on another server than its author"
    if db.session.scalar(select(RemoteComment.id).where(RemoteComment.object_uri == uri)):
        return "already recorded"
    db.session.add(
        RemoteComment(
            post_id=post_id,
            object_uri=uri,
            actor_uri=signer.uri,
            actor_name=signer.name or signer.uri,
            url=web_address(note.get("url")) or web_address(uri),
            content_html=comment_html(note),
            approved=False,
        )
    )
    return "reply kept for moderation"


def web_address(value: object) -> str:
    """An http(s) address to link the reply by, or "" (a `javascript:` URL is never a link)."""
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, (str, dict))), None)
    if isinstance(value, dict):
        value = value.get("href")
    if isinstance(value, str) and urlsplit(value).scheme in ("http", "https"):
        return value
    return ""


def comment_html(note: dict) -> str:
    text = note.get("content")
    return sanitize(text[:MAX_COMMENT_CHARS] if isinstance(text, str) else "")


def update(activity: dict, signer: RemoteActor) -> str:
    changed = activity.get("object")
    if not isinstance(changed, dict):
        return "ignored: nothing to update"
    if changed.get("id") == signer.uri:
        try:
            remote.store_actor(changed, signer)
        except remote.RemoteError as exc:
            raise Refused(400, str(exc)) from exc
        return "profile updated"
    comment = own_comment(object_id(changed), signer)
    if comment is None:
        return "ignored: not a reply we hold"
    if comment.approved:
        shown_changed(comment.post_id)
    comment.content_html = comment_html(changed)
    comment.approved = False
    return "reply updated, back in moderation"


def own_comment(uri: str, signer: RemoteActor) -> RemoteComment | None:
    found = select(RemoteComment).where(
        RemoteComment.object_uri == uri, RemoteComment.actor_uri == signer.uri
    )
    return db.session.scalar(found)


def remove(activity: dict, signer: RemoteActor) -> str:
    target = object_id(activity.get("object"))
    if target == signer.uri:
        for table, column in (
            (Follower, Follower.actor_uri),
            (Reaction, Reaction.actor_uri),
            (RemoteComment, RemoteComment.actor_uri),
        ):
            db.session.execute(delete(table).where(column == signer.uri))
        db.session.delete(signer)
        return "actor and everything of theirs deleted"
    comment = own_comment(target, signer)
    if comment is None:
        return "ignored: not a reply we hold"
    if comment.approved:
        shown_changed(comment.post_id)
    db.session.delete(comment)
    return "reply deleted"


OBJECT_PATH = re.compile(r"/fediverse/posts/(\d{1,18})$")
PAGE_PATH = re.compile(r"/posts/([^/?#]+)$")


def post_for(uri: str) -> int | None:
    """The public post an id or page address of ours names, or None."""
    base = identity.base_url()
    if not uri.startswith(base + "/"):
        return None
    path = uri[len(base) :].split("?", 1)[0].split("#", 1)[0]
    if match := OBJECT_PATH.match(path):
        post = db.session.get(Post, int(match.group(1)))
    elif match := PAGE_PATH.match(path):
        post = db.session.scalar(select(Post).where(Post.slug == match.group(1)))
    else:
        return None
    return post.id if delivery.is_federated(post) else None


HANDLERS = {
    "Follow": follow,
    "Undo": undo,
    "Like": react,
    "Announce": react,
    "Create": create,
    "Update": update,
    "Delete": remove,
}
