"""Each post's count of open privacy findings, kept with the post so lists never scan.

Counted whenever a post changes (`details.touch`) or a finding is kept on purpose; imports count
from the scan they already run. Written with Core where a migration runs it too.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..extensions import db
from ..models import Dismissal, Post
from ..privacy import dismiss_finding
from ..scan import scan_text

posts = sa.table("posts", sa.column("id", sa.Integer), sa.column("findings", sa.Integer))
turns = sa.table(
    "turns",
    sa.column("post_id", sa.Integer),
    sa.column("source", sa.Text),
    sa.column("excluded", sa.Boolean),
)
dismissals = sa.table(
    "dismissals", sa.column("post_id", sa.Integer), sa.column("fingerprint", sa.String)
)


def open_count(sources: list[str], dismissed: set[str]) -> int:
    """How many findings in these visible texts the author has not dismissed."""
    return sum(
        1
        for source in sources
        for finding in scan_text(source)
        if finding.fingerprint not in dismissed
    )


def count_findings(post: Post) -> None:
    """Store the post's open findings (its visible turns as they are in the session)."""
    dismissed = set(db.session.scalars(select_fingerprints(post.id)) if post.id is not None else ())
    post.findings = open_count([turn.source for turn in post.visible_turns], dismissed)


def select_fingerprints(post_id: int):
    return sa.select(Dismissal.fingerprint).where(Dismissal.post_id == post_id)


def count_all_findings(connection: Connection, batch: int = 200) -> int:
    """Count and store every post's open findings, a batch of posts at a time; how many."""
    done, last_id = 0, 0
    while True:
        ids = (
            connection.execute(
                sa.select(posts.c.id).where(posts.c.id > last_id).order_by(posts.c.id).limit(batch)
            )
            .scalars()
            .all()
        )
        if not ids:
            return done
        sources: dict[int, list[str]] = {post_id: [] for post_id in ids}
        for post_id, source in connection.execute(
            sa.select(turns.c.post_id, turns.c.source).where(
                turns.c.post_id.in_(ids), sa.not_(turns.c.excluded)
            )
        ):
            sources[post_id].append(source or "")
        dismissed: dict[int, set[str]] = {post_id: set() for post_id in ids}
        for post_id, fingerprint in connection.execute(
            sa.select(dismissals.c.post_id, dismissals.c.fingerprint).where(
                dismissals.c.post_id.in_(ids)
            )
        ):
            dismissed[post_id].add(fingerprint)
        for post_id in ids:
            connection.execute(
                sa.update(posts)
                .where(posts.c.id == post_id)
                .values(findings=open_count(sources[post_id], dismissed[post_id]))
            )
        done += len(ids)
        last_id = ids[-1]


def keep_finding(post: Post, fingerprint: str, kind: str, reason: str) -> None:
    """Keep a finding on purpose, with the reason, and count the post's open findings again."""
    dismiss_finding(post, fingerprint, kind, reason)
    count_findings(post)
    db.session.commit()  # the kept finding and the new count together
