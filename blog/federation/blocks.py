"""Blocked servers and accounts: nothing of theirs is received, counted, shown or sent to.

Decisions worth knowing:
- A server's block covers its subdomains too (blocking `example.social` blocks
  `media.example.social`), as fediverse servers block domains.
- The inbox checks a request against the blocks before verifying its signature: the host of
  the key it names, the actor it claims and the actor that key belongs to, in one query. A
  request claiming a blocked identity is refused whether or not it is really theirs, so no one
  but a blocked sender is ever refused by it.
- Blocking takes effect on what is already here too: their follows end (no more deliveries),
  their likes and boosts are no longer counted, and their replies, waiting or shown, are
  rejected. Unblocking lets them in again; it brings none of that back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import delete, or_, select

from ..extensions import db
from ..wording import counted
from . import replies
from .models import Block, Follower, Reaction, RemoteComment
from .reactions import shown_changed

DOMAIN, ACTOR = "domain", "actor"
# Host-name labels parted by dots; each label bounded, so matching stays linear.
HOST_NAME = re.compile(
    r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+"
)
MAX_TARGET = 500


class BlockError(ValueError):
    """A block that cannot be made or lifted; the message says why."""


@dataclass(frozen=True)
class Target:
    kind: str  # DOMAIN or ACTOR
    target: str

    def __str__(self) -> str:
        return f"the server {self.target}" if self.kind == DOMAIN else f"the account {self.target}"


@dataclass(frozen=True)
class BlockReport:
    """What blocking took away from what was already here."""

    target: Target
    followers: int
    reactions: int
    replies: int

    def summary(self) -> str:
        """What the block did, in one sentence."""
        return (
            f"Blocked {self.target}: {counted(self.followers, 'follower')} removed, "
            f"{counted(self.reactions, 'like or boost', 'likes and boosts')} no longer counted, "
            f"{counted(self.replies, 'reply', 'replies')} rejected."
        )


def parse_target(text: str) -> Target:
    """A server's host name, or an account's address (its actor id), as the author typed it."""
    text = text.strip()
    if not text:
        raise BlockError("Give a server's name (example.social) or an account's address.")
    if len(text) > MAX_TARGET:
        raise BlockError(f"That is longer than any address ({MAX_TARGET} characters at most).")
    if text.startswith("@"):
        raise BlockError(
            f"“{text}” is a handle: block its server by name, or the account by its address "
            "(https://server/users/name, shown beside each reply)."
        )
    if "://" not in text:
        return Target(DOMAIN, host_name(text))
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise BlockError(f"“{text}” is not an http(s) address.")
    host = host_name(parts.hostname)
    if parts.path in ("", "/") and not parts.query:
        return Target(DOMAIN, host)
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    return Target(ACTOR, urlunsplit((parts.scheme.lower(), netloc, parts.path, parts.query, "")))


def host_name(text: str) -> str:
    name = text.strip().lower().rstrip(".")
    if len(name) > 253 or not HOST_NAME.fullmatch(name):
        raise BlockError(f"“{text}” is not a server's name, such as example.social.")
    return name


def host_of(address: str) -> str:
    """The lower-case host an address is on ("" when it has none)."""
    try:
        return (urlsplit(address).hostname or "").rstrip(".")
    except ValueError:
        return ""


def covers(target: Target, actor_uri: str) -> bool:
    """Whether the block applies to this actor."""
    if target.kind == ACTOR:
        return actor_uri == target.target
    host = host_of(actor_uri)
    return host == target.target or host.endswith("." + target.target)


def domains_above(host: str) -> list[str]:
    """The host and every domain it is under: a.b.example.social → it, b.example.social, …"""
    labels = host.split(".")
    return [".".join(labels[n:]) for n in range(len(labels) - 1)] if host else []


def refused(*addresses: str) -> Block | None:
    """The block that covers any of these addresses (key ids, actor ids), if one does."""
    hosts = {host for address in addresses if (host := host_of(address))}
    domains = {domain for host in hosts for domain in domains_above(host)}
    actors = {address.split("#", 1)[0] for address in addresses if address}
    if not domains and not actors:
        return None
    return db.session.scalar(
        select(Block)
        .where(
            or_(
                (Block.kind == DOMAIN) & Block.target.in_(sorted(domains)),
                (Block.kind == ACTOR) & Block.target.in_(sorted(actors)),
            )
        )
        .limit(1)
    )


def all_blocks() -> list[Block]:
    """Every block, newest first."""
    return list(
        db.session.scalars(select(Block).order_by(Block.created_at.desc(), Block.id.desc()))
    )


def block(text: str) -> BlockReport:
    """Block a server or an account, and take away what they already have here."""
    target = parse_target(text)
    if db.session.scalar(select(Block.id).where(Block.target == target.target)) is not None:
        raise BlockError(f"{str(target).capitalize()} is already blocked.")
    db.session.add(Block(kind=target.kind, target=target.target))
    report = BlockReport(
        target,
        followers=end_follows(target),
        reactions=uncount(target),
        replies=reject_replies(target),
    )
    db.session.commit()
    return report


def unblock(text: str) -> Target:
    """Lift the block of a server or an account, named as `block` takes it."""
    target = parse_target(text)
    found = db.session.scalar(select(Block).where(Block.target == target.target))
    if found is None:
        raise BlockError(f"{str(target).capitalize()} is not blocked: nothing was changed.")
    return lift(found)


def lift(found: Block) -> Target:
    """Delete a block; what it took away stays away."""
    target = Target(found.kind, found.target)
    db.session.delete(found)
    db.session.commit()
    return target


def covered_actors(target: Target, column) -> list[str]:
    """The actors in a table's `column` that the block covers."""
    if target.kind == ACTOR:
        return [target.target]
    # Not a LIKE on the host: `covers` reads each address as a URL, so no path or user part
    # can pass for the host. A blog meets few enough actors to read them all here.
    found = db.session.scalars(select(column).distinct())
    return [uri for uri in found if covers(target, uri)]


def end_follows(target: Target) -> int:
    actors = covered_actors(target, Follower.actor_uri)
    if not actors:
        return 0
    return db.session.execute(delete(Follower).where(Follower.actor_uri.in_(actors))).rowcount


def uncount(target: Target) -> int:
    actors = covered_actors(target, Reaction.actor_uri)
    if not actors:
        return 0
    posts = set(db.session.scalars(select(Reaction.post_id).where(Reaction.actor_uri.in_(actors))))
    for post_id in posts:
        shown_changed(post_id)
    return db.session.execute(delete(Reaction).where(Reaction.actor_uri.in_(actors))).rowcount


def reject_replies(target: Target) -> int:
    actors = covered_actors(target, RemoteComment.actor_uri)
    if not actors:
        return 0
    found = db.session.scalars(
        select(RemoteComment).where(
            RemoteComment.actor_uri.in_(actors), RemoteComment.rejected_at.is_(None)
        )
    ).all()
    for reply in found:
        replies.withhold(reply)
    return len(found)
