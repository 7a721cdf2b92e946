"""The content service: the one place posts and turns are written, rendered and committed."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from .extensions import db
from .importers.base import ImportedConversation, ImportedTurn
from .licenses import LICENSES
from .models import ROLES, Post, Series, SlugRedirect, Tag, Turn, User, post_tags, utcnow
from .privacy import TurnFinding, open_findings
from .rerender import rendered_fields, rerender_turns
from .scan import redact, scan_text
from .site import bump_generation

HOW_MADE = {
    "verbatim": "a verbatim transcript",
    "edited": "an edited transcript",
    "excerpt": "an excerpt",
    "edited-excerpt": "an edited excerpt",
    "cowritten": "text co-written with AI",
}
HOW_MADE_LABELS = {
    "verbatim": "Verbatim transcript",
    "edited": "Edited transcript: the author changed some AI text",
    "excerpt": "Excerpt: some turns are left out",
    "edited-excerpt": "Edited excerpt: some turns left out, some AI text changed",
    "cowritten": "Text co-written with AI",
}


class ContentError(ValueError):
    """Something the author asked for cannot be done; the message says why."""


class StaleEdit(ContentError):
    """The thing being saved changed since the author opened it."""

    def __init__(self, message: str, current: str = "", attempted: str = "") -> None:
        super().__init__(message)
        self.current = current
        self.attempted = attempted


class PublishBlocked(ContentError):
    """Publishing is refused until the listed problems are dealt with."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("This post cannot be published yet: " + "; ".join(reasons))
        self.reasons = reasons


# -- reading -----------------------------------------------------------------


def published_posts(*, with_turns: bool = False):
    """A select of posts listed publicly, newest first (with their turns loaded in bulk)."""
    query = (
        select(Post)
        .where(Post.status == "published")
        .order_by(Post.published_at.desc(), Post.id.desc())
    )
    if with_turns:
        query = query.options(
            selectinload(Post.turns), selectinload(Post.tags), joinedload(Post.author)
        )
    return query


def get_reachable_post(slug: str) -> Post | None:
    """A published or unlisted post by slug: what anyone may read."""
    return db.session.scalar(
        select(Post).where(Post.slug == slug, Post.status.in_(("published", "unlisted")))
    )


def redirected_slug(slug: str) -> str | None:
    """The current slug of a post that used to live at `slug`, if it is reachable."""
    post = db.session.scalar(
        select(Post)
        .join(SlugRedirect, SlugRedirect.post_id == Post.id)
        .where(SlugRedirect.old_slug == slug)
    )
    return post.slug if post is not None and post.is_reachable else None


def omitted_runs(post: Post) -> dict[int, int]:
    """For each visible turn position, how many left-out turns come just before it (-1: at the end)."""
    runs: dict[int, int] = {}
    pending = 0
    for turn in post.turns:
        if turn.excluded:
            pending += 1
        elif pending:
            runs[turn.id] = pending
            pending = 0
    if pending:
        runs[-1] = pending
    return runs


def how_made(post: Post) -> str:
    """How the post was made: the author's statement, else derived from the turns."""
    if post.how_made in HOW_MADE:
        return post.how_made
    excerpt = any(turn.excluded for turn in post.turns)
    edited = any(turn.is_ai and turn.edited and not turn.excluded for turn in post.turns)
    if excerpt and edited:
        return "edited-excerpt"
    if excerpt:
        return "excerpt"
    return "edited" if edited else "verbatim"


def post_models(post: Post) -> str:
    """The AI model(s) that spoke in the post, for disclosure and attribution."""
    if post.model_name:
        return post.model_name
    names = []
    for turn in post.turns:
        label = turn.model or (turn.speaker if turn.is_ai else "")
        if label and label not in names and not turn.excluded:
            names.append(label)
    return ", ".join(names)


def unreviewed_turns(post: Post) -> list[Turn]:
    """Visible AI turns the author has not yet marked as reviewed."""
    return [t for t in post.visible_turns if t.is_ai and not t.reviewed]


def neighbours(post: Post) -> dict[str, Post | None]:
    """The previous (older) and next (newer) published posts, for links between posts."""
    if not post.is_public:
        return {"previous": None, "next": None}
    older = db.session.scalar(
        select(Post)
        .where(Post.status == "published", Post.published_at < post.published_at)
        .order_by(Post.published_at.desc())
        .limit(1)
    )
    newer = db.session.scalar(
        select(Post)
        .where(Post.status == "published", Post.published_at > post.published_at)
        .order_by(Post.published_at.asc())
        .limit(1)
    )
    return {"previous": older, "next": newer}


def published_tag_ids():
    """A select of the ids of tags used by at least one published post."""
    return (
        select(post_tags.c.tag_id)
        .join(Post, Post.id == post_tags.c.post_id)
        .where(Post.status == "published")
    )


def posts_for_dashboard() -> list[tuple[Post, int]]:
    """Every post with its number of turns, drafts first, then by last change."""
    turn_counts = (
        select(Turn.post_id, func.count(Turn.id).label("turns")).group_by(Turn.post_id).subquery()
    )
    rows = db.session.execute(
        select(Post, func.coalesce(turn_counts.c.turns, 0))
        .outerjoin(turn_counts, turn_counts.c.post_id == Post.id)
        .order_by((Post.status == "draft").desc(), Post.updated_at.desc())
    )
    return [(post, count) for post, count in rows]


# -- rendering ---------------------------------------------------------------


def render_turn(turn: Turn) -> None:
    """Render the turn's source into stored HTML, plain text and word count."""
    config = current_app.config
    fields = rendered_fields(
        turn.source,
        max_chars=config["MAX_TURN_CHARS"],
        timeout=config["RENDER_TIMEOUT_SECONDS"],
    )
    turn.html, turn.text, turn.words = fields["html"], fields["text"], fields["words"]


def ensure_rendered(post: Post) -> None:
    """Render any turn stored without HTML (imports render lazily) and save it."""
    missing = [turn for turn in post.turns if turn.html is None or turn.text is None]
    for turn in missing:
        render_turn(turn)
    if missing:
        db.session.commit()


def rerender_all(progress: Callable[[int, int], None] | None = None) -> int:
    """Rebuild the stored HTML and plain text of every turn; returns how many were rendered."""
    config = current_app.config
    count = rerender_turns(
        db.session.connection(),
        progress=progress,
        max_chars=config["MAX_TURN_CHARS"],
        timeout=config["RENDER_TIMEOUT_SECONDS"],
    )
    db.session.commit()
    bump_generation()
    db.session.commit()
    return count


# -- writing -----------------------------------------------------------------


def slugify(text: str) -> str:
    """A short, readable URL slug from a title."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:80].rstrip("-") or "conversation"


def unique_slug(base: str, post_id: int | None = None) -> str:
    """`base`, or `base-2`, `base-3`… whichever no other post (or old slug) uses."""
    candidate, n = base, 1
    while True:
        taken = db.session.scalar(select(Post.id).where(Post.slug == candidate))
        redirect = db.session.scalar(
            select(SlugRedirect.post_id).where(SlugRedirect.old_slug == candidate)
        )
        if (taken is None or taken == post_id) and (redirect is None or redirect == post_id):
            return candidate
        n += 1
        candidate = f"{base}-{n}"


def create_post(author: User | None, title: str, *, license_code: str = "") -> Post:
    """A new, empty draft."""
    title = title.strip() or "Untitled conversation"
    post = Post(
        title=title[:300],
        slug=unique_slug(slugify(title)),
        author=author,
        license=license_code,
        status="draft",
        source_kind="editor",
    )
    db.session.add(post)
    db.session.commit()
    return post


def check_version(thing: Post | Turn, expected: int | str | None, what: str) -> None:
    """Refuse a save made from a stale copy (another tab saved first)."""
    if expected in (None, ""):
        return
    if int(expected) != thing.version:
        raise StaleEdit(
            f"This {what} was changed in another window since you opened it. "
            "Your text is kept below: copy it, reload, and apply your change again."
        )


def touch(post: Post) -> None:
    """Record a change to the post and, if readers can see it, invalidate caches."""
    post.updated_at = utcnow()
    post.version += 1
    if post.is_reachable:
        bump_generation()


def update_post(post: Post, fields: dict[str, str], expected_version: int | str | None) -> None:
    """Change the post's title, slug, summary, model, license or how it was made."""
    check_version(post, expected_version, "post")
    title = fields.get("title", post.title).strip()
    if not title:
        raise ContentError("A post needs a title.")
    post.title = title[:300]
    post.summary = fields.get("summary", post.summary).strip()
    post.model_name = fields.get("model_name", post.model_name).strip()[:200]
    license_code = fields.get("license", post.license)
    if license_code and license_code not in LICENSES:
        raise ContentError("Choose a license from the list.")
    post.license = license_code
    how = fields.get("how_made", post.how_made)
    if how and how not in HOW_MADE:
        raise ContentError("Choose how the post was made from the list.")
    post.how_made = how
    if "tags" in fields:
        set_tags(post, fields["tags"])
    if "series" in fields:
        set_series(post, fields["series"], fields.get("series_position"))
    new_slug = slugify(fields.get("slug") or post.slug)
    if new_slug != post.slug:
        change_slug(post, new_slug)
    touch(post)
    db.session.commit()


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
    title = title.strip()[:200]
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


def series_posts(series: Series) -> list[Post]:
    """The published posts of a series, in reading order."""
    return list(
        db.session.scalars(
            select(Post)
            .where(Post.series_id == series.id, Post.status == "published")
            .order_by(Post.series_position, Post.published_at, Post.id)
        )
    )


def tags_named(names: Iterable[str]) -> list[Tag]:
    """The tags with these names, created where new; blanks and repeats dropped."""
    tags: list[Tag] = []
    for raw in names:
        name = str(raw).strip()[:80]
        slug = slugify(name) if name else ""
        if not slug or any(tag.slug == slug for tag in tags):
            continue
        tag = db.session.scalar(select(Tag).where(Tag.slug == slug))
        if tag is None:
            tag = Tag(name=name, slug=slug)
            db.session.add(tag)
        tags.append(tag)
    return tags


def get_turn(post: Post, turn_id: int) -> Turn:
    """The post's turn with this id."""
    for turn in post.turns:
        if turn.id == turn_id:
            return turn
    raise ContentError("That turn is not part of this post.")


def check_turn_size(source: str) -> None:
    limit = current_app.config["MAX_TURN_CHARS"]
    if len(source) > limit:
        raise ContentError(
            f"This turn is {len(source):,} characters long; the limit is {limit:,}. "
            "Split it into several turns."
        )


def save_turn(
    turn: Turn, source: str, expected_version: int | str | None, speaker: str | None = None
) -> None:
    """Store the author's new text (and speaker label) for a turn and render it."""
    check_version(turn, expected_version, "turn")
    source = source.replace("\r\n", "\n")
    check_turn_size(source)
    if speaker is not None:
        turn.speaker = speaker.strip()[:200]
    if turn.original_source is None and turn.is_ai and turn.source:
        turn.original_source = turn.source
    turn.source = source
    turn.version += 1
    render_turn(turn)
    touch(turn.post)
    db.session.commit()


def add_turn(post: Post, role: str, *, after: Turn | None = None, source: str = "") -> Turn:
    """Insert a turn after `after` (or at the end) and render it."""
    if role not in ROLES:
        raise ContentError(f"Unknown role “{role}”.")
    check_turn_size(source)
    position = after.position + 1 if after is not None else len(post.turns)
    for other in post.turns:
        if other.position >= position:
            other.position += 1
    # Written by the author in the editor: the author's own words need no review.
    turn = Turn(
        position=position,
        role=role,
        source=source,
        speaker=default_speaker(post, role),
        reviewed=role not in ("assistant", "tool"),
    )
    render_turn(turn)
    post.turns.append(turn)
    post.turns.sort(key=lambda t: t.position)
    touch(post)
    db.session.commit()
    return turn


def default_speaker(post: Post, role: str) -> str:
    if role in ("assistant", "tool"):
        return post.model_name or ""
    return ""


def delete_turn(turn: Turn) -> None:
    """Remove a turn and close the gap in positions."""
    post = turn.post
    post.turns.remove(turn)
    for index, other in enumerate(post.turns):
        other.position = index
    touch(post)
    db.session.commit()


def move_turn(turn: Turn, direction: str) -> None:
    """Swap the turn with its neighbour above or below."""
    turns = turn.post.turns
    index = turns.index(turn)
    target = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= target < len(turns):
        return
    other = turns[target]
    turn.position, other.position = other.position, turn.position
    turns.sort(key=lambda t: t.position)
    touch(turn.post)
    db.session.commit()


def set_role(turn: Turn, role: str) -> None:
    """Change who speaks a turn; an AI role needs review again."""
    if role not in ROLES:
        raise ContentError(f"Unknown role “{role}”.")
    if role == turn.role:
        return
    turn.role = role
    if turn.is_ai:
        turn.reviewed = False
    turn.version += 1
    touch(turn.post)
    db.session.commit()


def set_reviewed(turns: Iterable[Turn], reviewed: bool = True) -> int:
    """Mark AI turns as read by the author; returns how many changed."""
    changed = 0
    post = None
    for turn in turns:
        post = turn.post
        if turn.reviewed != reviewed:
            turn.reviewed = reviewed
            changed += 1
    if post is not None and changed:
        touch(post)
    db.session.commit()
    return changed


def set_excluded(turn: Turn, excluded: bool) -> None:
    """Leave a turn out of publication, or bring it back."""
    turn.excluded = excluded
    turn.version += 1
    touch(turn.post)
    db.session.commit()


def choose_alternative(turn: Turn, index: int) -> None:
    """Publish another version of the turn (a regeneration or an edited prompt)."""
    alternatives = turn.alternatives
    if not 0 <= index < len(alternatives):
        raise ContentError("That version does not exist.")
    chosen = alternatives[index]
    alternatives[index] = turn.source
    turn.alternatives_json = json.dumps(alternatives, ensure_ascii=False)
    turn.source = chosen
    turn.original_source = chosen
    turn.reviewed = not turn.is_ai
    turn.version += 1
    render_turn(turn)
    touch(turn.post)
    db.session.commit()


# -- publishing --------------------------------------------------------------


def publish_problems(post: Post, findings: list[TurnFinding] | None = None) -> list[str]:
    """Everything that stands between this post and publication (`findings`: the scan, if done)."""
    problems = []
    visible = post.visible_turns
    if not visible:
        problems.append("the post has no visible turns")
    unreviewed = [n for n, t in enumerate(visible, start=1) if t.is_ai and not t.reviewed]
    if unreviewed:
        numbers = ", ".join(map(str, unreviewed))
        problems.append(f"{len(unreviewed)} AI turn(s) not yet reviewed (turn {numbers})")
    if findings is None:
        findings = open_findings(post)
    else:
        findings = [f for f in findings if f.dismissed_reason is None]
    if findings:
        kinds = sorted({f.finding.label for f in findings})
        problems.append(f"{len(findings)} privacy finding(s) still open ({', '.join(kinds)})")
    return problems


def publish(
    post: Post,
    *,
    status: str = "published",
    confirmed: bool = False,
    mark_reviewed: bool = False,
) -> None:
    """Make the post public (or unlisted) once nothing blocks it."""
    if status not in ("published", "unlisted"):
        raise ContentError("A post is published either publicly or as unlisted.")
    if mark_reviewed:
        for turn in unreviewed_turns(post):
            turn.reviewed = True
    problems = publish_problems(post)
    if not confirmed:
        problems.append(
            "confirm the publishing checklist (usage policies respected, "
            "no private details of the people mentioned)"
        )
    if problems:
        db.session.rollback()
        raise PublishBlocked(problems)
    ensure_rendered(post)
    now = utcnow()
    post.checklist_confirmed_at = now
    if post.published_at is None:
        post.published_at = now
    post.status = status
    touch(post)
    db.session.commit()


def unpublish(post: Post) -> None:
    """Take the post off every public surface; it becomes a draft again."""
    was_reachable = post.is_reachable
    post.status = "draft"
    touch(post)
    if was_reachable:
        bump_generation()
    db.session.commit()


def delete_post(post: Post) -> None:
    """Delete the post, its turns and assets for good."""
    if post.is_reachable:
        bump_generation()
    db.session.delete(post)
    db.session.commit()


def redact_finding(turn: Turn, fingerprint: str) -> int:
    """Replace every occurrence of one finding in the turn with a visible mark."""
    matches = [f for f in scan_text(turn.source) if f.fingerprint == fingerprint]
    if not matches:
        return 0
    if turn.original_source is None:
        turn.original_source = turn.source
    turn.source = redact(turn.source, matches)
    turn.version += 1
    render_turn(turn)
    touch(turn.post)
    db.session.commit()
    return len(matches)


def as_conversation(post: Post, *, include_hidden: bool = False) -> ImportedConversation:
    """The post as plain conversation data: what readers see, or (for the author) every turn."""
    turns = post.turns if include_hidden else post.visible_turns
    return ImportedConversation(
        title=post.title,
        turns=[
            ImportedTurn(
                role=turn.role,
                text=turn.source,
                speaker=turn.speaker,
                model=turn.model or None,
                created_at=turn.created_at,
                alternatives=turn.alternatives if include_hidden else [],
                hidden=turn.excluded,
            )
            for turn in turns
        ],
        source_kind=post.source_kind,
        source_id=post.source_id,
        created_at=post.conversation_at or post.published_at or post.created_at,
        updated_at=post.updated_at,
        model=post.model_name or None,
        tags=[tag.name for tag in post.tags],
        summary=post.summary,
    )
