"""Editing a post's turns: each save is checked, rendered once, stored and committed."""

from __future__ import annotations

import json
from collections.abc import Iterable

from ..extensions import db
from ..models import Post, Turn
from ..scan import redact, scan_text
from ..vocabulary import ROLES, TEXT_FORMATS
from .details import check_version, touch
from .errors import ContentError
from .rules import check_turn_size, default_speaker, fit, needs_review, render_turn


def get_turn(post: Post, turn_id: int) -> Turn:
    """The post's turn with this id."""
    for turn in post.turns:
        if turn.id == turn_id:
            return turn
    raise ContentError("That turn is not part of this post.")


def save_turn(
    turn: Turn,
    source: str,
    expected_version: int | str | None,
    speaker: str | None = None,
    text_format: str | None = None,
) -> None:
    """Store the author's new text (speaker label, display form) for a turn and render it."""
    check_version(turn, expected_version, "turn")
    source = source.replace("\r\n", "\n")
    check_turn_size(source)
    if text_format:
        if text_format not in TEXT_FORMATS:
            raise ContentError("Choose how the turn is shown from the list.")
        turn.text_format = text_format
    if speaker is not None:
        turn.speaker = fit(Turn.speaker, speaker.strip())
    if turn.original_source is None and turn.is_ai and turn.source:
        turn.original_source = turn.source
    turn.source = source
    turn.version += 1
    render_turn(turn)
    touch(turn.post)
    db.session.commit()


def add_turn(post: Post, role: str, *, after: Turn | None = None, source: str = "") -> Turn:
    """Insert a turn after `after` (or at the end) and render it."""
    check_role(role)
    check_turn_size(source)
    position = after.position + 1 if after is not None else len(post.turns)
    for other in post.turns:
        if other.position >= position:
            other.position += 1
    turn = Turn(
        position=position,
        role=role,
        source=source,
        speaker=default_speaker(post.model_name, role),
        reviewed=not needs_review(role),
    )
    render_turn(turn)
    post.turns.append(turn)
    post.turns.sort(key=lambda t: t.position)
    touch(post)
    db.session.commit()
    return turn


def check_role(role: str) -> None:
    if role not in ROLES:
        raise ContentError(f"Unknown role “{role}”.")


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
    check_role(role)
    if role == turn.role:
        return
    turn.role = role
    if needs_review(role):
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


def set_role_excluded(post: Post, role: str, excluded: bool) -> int:
    """Leave out, or bring back, every turn of one role at once (a session's hundreds of
    tool calls), as one change to the post; how many turns changed."""
    changed = [turn for turn in post.turns if turn.role == role and turn.excluded != excluded]
    for turn in changed:
        turn.excluded = excluded
        turn.version += 1
    if changed:
        touch(post)
    db.session.commit()
    return len(changed)


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
    turn.reviewed = not needs_review(turn.role)
    turn.version += 1
    render_turn(turn)
    touch(turn.post)
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
