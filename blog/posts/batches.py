"""Import batches: what each import did, and undoing one (its created posts deleted, nothing
else)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..extensions import db
from ..models import ImportBatch, Post, utcnow
from .errors import ContentError
from .selected import Listed, listed, refuse_published, remove


@dataclass(frozen=True)
class UndoPlan:
    """What undoing a batch would do, for the confirmation."""

    batch: ImportBatch
    deleted: list[Listed]  # the posts the batch created that still exist
    kept: list[Listed]  # the posts it updated: they stay as they are
    changed_since: int  # of the deleted, how many the author changed after the import

    @property
    def published(self) -> list[Listed]:
        return [post for post in self.deleted if post.is_reachable]


def recent_batches(limit: int = 100) -> list[ImportBatch]:
    """The latest import batches, newest first."""
    return list(
        db.session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(limit))
    )


def get_batch(batch_id: int) -> ImportBatch:
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None:
        raise ContentError(
            f"There is no import batch {batch_id}: `flask --app app imports` lists them."
        )
    return batch


def undo_plan(batch: ImportBatch) -> UndoPlan:
    """The posts undoing `batch` would delete and those it would leave."""
    created = db.session.execute(
        select(Post.id, Post.slug, Post.title, Post.status, Post.version).where(
            Post.import_batch_id == batch.id
        )
    ).all()
    deleted = sorted(
        (Listed(row.id, row.slug, row.title, row.status) for row in created),
        key=lambda post: (post.title.casefold(), post.id),
    )
    created_ids = {row.id for row in created}
    kept = [post for post in listed(batch.updated_ids) if post.id not in created_ids]
    # An import writes version 1; any later change (an edit, a re-import) counts it up.
    changed = sum(1 for row in created if row.version > 1)
    return UndoPlan(batch=batch, deleted=deleted, kept=kept, changed_since=changed)


def undo_import(
    batch: ImportBatch, *, include_published: bool = False, option: str = ""
) -> UndoPlan:
    """Delete exactly the posts `batch` created; published ones need `include_published`."""
    plan = undo_plan(batch)
    refuse_published(
        plan.deleted, include_published, option or "tick “also delete published posts”"
    )
    remove(plan.deleted)
    batch.undone_at = utcnow()
    db.session.commit()
    return plan
