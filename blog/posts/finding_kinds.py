"""Privacy findings a kind at a time: every street address (or phone number, email…) of a post,
or of many posts, redacted or kept with one reason.

A real archive holds a conversation with a hundred addresses; one click per finding is no
review. The plan (`redaction_plan`) is what the confirmation page shows, occurrence by
occurrence, before `redact_kind` changes anything; both read the same scan, so the page shows
exactly what the POST does. Findings the author already kept are left alone by both.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import not_, select

from ..extensions import db
from ..models import Dismissal, Post, Turn
from ..privacy import TurnFinding, dismiss_finding, findings_for
from ..scan import LABELS, Finding, redact, redaction_mark, scan_text
from .details import touch
from .errors import ContentError
from .findings import count_findings
from .rules import render_turn

CONTEXT = 40  # characters shown either side of an occurrence in the preview


@dataclass
class KindGroup:
    """A post's findings of one kind: those still open and how many were kept."""

    kind: str
    label: str
    open: list[TurnFinding] = field(default_factory=list)
    kept: int = 0

    @property
    def turns(self) -> int:
        """How many turns the open findings are spread over."""
        return len({found.turn.id for found in self.open})

    @property
    def summary(self) -> str:
        """“133 street addresses in 40 turns”, or “Street addresses: none open”."""
        if not self.open:
            return f"{plural_label(self.kind).capitalize()}: none open"
        turns = self.turns
        return f"{counted(len(self.open), self.kind)} in {turns} turn{'' if turns == 1 else 's'}"


@dataclass(frozen=True)
class Occurrence:
    """One finding as the preview shows it: where, the text around it, and its mark."""

    post: Post
    turn: Turn
    number: int
    before: str
    text: str
    after: str
    mark: str


def check_kind(kind: str) -> str:
    """The kind, if the scanner knows it; else a refusal a person understands."""
    if kind not in LABELS:
        raise ContentError("Choose a kind of finding from the list.")
    return kind


def plural_label(kind: str) -> str:
    """The kind's label in the plural (“street addresses”)."""
    label = LABELS[kind]
    return label + ("es" if label.endswith(("s", "sh", "ch", "x")) else "s")


def counted(count: int, kind: str) -> str:
    """“1 street address”, “133 street addresses”."""
    return f"{count} {LABELS[kind] if count == 1 else plural_label(kind)}"


def group_by_kind(findings: Iterable[TurnFinding]) -> list[KindGroup]:
    """Findings grouped by kind, the kinds with the most open findings first."""
    groups: dict[str, KindGroup] = {}
    for found in findings:
        kind = found.finding.kind
        group = groups.setdefault(kind, KindGroup(kind, found.finding.label))
        if found.dismissed_reason is None:
            group.open.append(found)
        else:
            group.kept += 1
    return sorted(groups.values(), key=lambda group: (-len(group.open), group.label))


def open_of_kind(post: Post, kind: str) -> list[TurnFinding]:
    """The post's open findings of one kind, in turn order."""
    return [
        found
        for found in findings_for(post)
        if found.finding.kind == kind and found.dismissed_reason is None
    ]


def kind_counts(post_ids: list[int], kind: str) -> dict[int, int]:
    """How many open findings of `kind` each of these posts has (posts with none left out)."""
    if not post_ids:
        return {}
    dismissed: dict[int, set[str]] = {}
    for post_id, fingerprint in db.session.execute(
        select(Dismissal.post_id, Dismissal.fingerprint).where(Dismissal.post_id.in_(post_ids))
    ):
        dismissed.setdefault(post_id, set()).add(fingerprint)
    counts: dict[int, int] = {}
    for post_id, source in db.session.execute(
        select(Turn.post_id, Turn.source).where(Turn.post_id.in_(post_ids), not_(Turn.excluded))
    ):
        kept = dismissed.get(post_id, set())
        found = sum(
            1
            for finding in scan_text(source or "")
            if finding.kind == kind and finding.fingerprint not in kept
        )
        if found:
            counts[post_id] = counts.get(post_id, 0) + found
    return counts


def occurrence(found: TurnFinding, post: Post) -> Occurrence:
    """One open finding with the text around it, for the preview."""
    source, finding = found.turn.source, found.finding
    start, end = max(0, finding.start - CONTEXT), min(len(source), finding.end + CONTEXT)
    # Whole words either side: the cut falls on the nearest space inside the window.
    if start > 0 and (space := source.find(" ", start, finding.start)) >= 0:
        start = space + 1
    if end < len(source) and (space := source.rfind(" ", finding.end, end)) >= 0:
        end = space
    return Occurrence(
        post=post,
        turn=found.turn,
        number=found.number,
        before=("…" if start > 0 else "") + source[start : finding.start],
        text=finding.text,
        after=source[finding.end : end] + ("…" if end < len(source) else ""),
        mark=redaction_mark(finding.kind),
    )


def redaction_plan(posts: Iterable[Post], kind: str) -> list[Occurrence]:
    """Every open finding of `kind` in these posts, as redacting them would change it."""
    check_kind(kind)
    return [occurrence(found, post) for post in posts for found in open_of_kind(post, kind)]


def redact_kind(posts: Iterable[Post], kind: str) -> int:
    """Replace every open finding of `kind` in these posts with its mark; how many."""
    check_kind(kind)
    done = 0
    for post in posts:
        by_turn: dict[int, list[Finding]] = {}
        turns: dict[int, Turn] = {}
        for found in open_of_kind(post, kind):
            by_turn.setdefault(found.turn.id, []).append(found.finding)
            turns[found.turn.id] = found.turn
        for turn_id, found in by_turn.items():
            turn = turns[turn_id]
            if turn.original_source is None:
                turn.original_source = turn.source
            turn.source = redact(turn.source, found)
            turn.version += 1
            render_turn(turn)
            done += len(found)
        if by_turn:
            touch(post)
    db.session.commit()  # every post's redactions together, or none
    return done


def keep_kind(posts: Iterable[Post], kind: str, reason: str) -> int:
    """Keep every open finding of `kind` in these posts, with one reason; how many."""
    check_kind(kind)
    if not reason.strip():
        raise ContentError(
            "Say why these findings may stay (for example: “addresses of public places”)."
        )
    done = 0
    for post in posts:
        found = open_of_kind(post, kind)
        for fingerprint in dict.fromkeys(item.finding.fingerprint for item in found):
            dismiss_finding(post, fingerprint, kind, reason)
        db.session.flush()
        count_findings(post)
        done += len(found)
    db.session.commit()
    return done


def posts_with_ids(ids: Iterable[int]) -> list[Post]:
    """The posts with these ids that still exist, in title order."""
    wanted = sorted(set(ids))
    if not wanted:
        return []
    found = db.session.scalars(select(Post).where(Post.id.in_(wanted))).all()
    return sorted(found, key=lambda post: (post.title.casefold(), post.id))
