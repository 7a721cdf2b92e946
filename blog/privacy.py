"""The privacy and secret scan of a post's visible turns, and the author's dismissals."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from .extensions import db
from .models import Dismissal, Post, Turn
from .scan import Finding, scan_text


@dataclass(frozen=True)
class TurnFinding:
    """A finding located in one turn of a post."""

    turn: Turn
    number: int  # the turn's 1-based place among the visible turns
    finding: Finding
    dismissed_reason: str | None = None


def findings_for(post: Post) -> list[TurnFinding]:
    """Every finding in the visible turns, dismissed ones marked with their reason."""
    dismissed = {
        d.fingerprint: d.reason
        for d in db.session.scalars(select(Dismissal).where(Dismissal.post_id == post.id))
    }
    found = []
    for number, turn in enumerate(post.visible_turns, start=1):
        for finding in scan_text(turn.source):
            found.append(TurnFinding(turn, number, finding, dismissed.get(finding.fingerprint)))
    return found


def open_findings(post: Post) -> list[TurnFinding]:
    """Findings the author has neither redacted nor dismissed."""
    return [f for f in findings_for(post) if f.dismissed_reason is None]


def dismiss_finding(post: Post, fingerprint: str, kind: str, reason: str) -> None:
    """Keep a finding deliberately, recording why (the caller counts the findings and commits)."""
    reason = reason.strip()
    if not reason:
        raise ValueError("Say why this finding may stay (for example: “a public support address”).")
    existing = db.session.scalar(
        select(Dismissal).where(Dismissal.post_id == post.id, Dismissal.fingerprint == fingerprint)
    )
    if existing is None:
        db.session.add(
            Dismissal(post_id=post.id, fingerprint=fingerprint, kind=kind, reason=reason)
        )
    else:
        existing.reason = reason
