"""Rebuild every turn's stored HTML, plain text and word count from its source.

Written with SQLAlchemy Core on a plain connection so the migration that introduced the stored
plain text can run it too, whatever the ORM models look like by then.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..markdown import MAX_CHARS, TIMEOUT_SECONDS, escaped_text, plain_text, render_markdown
from ..typed_text import as_typed, render_typed
from ..vocabulary import TextFormat

turns = sa.table(
    "turns",
    sa.column("id", sa.Integer),
    sa.column("source", sa.Text),
    sa.column("text_format", sa.String),
    sa.column("html", sa.Text),
    sa.column("text", sa.Text),
    sa.column("words", sa.Integer),
)


def rendered_fields(
    source: str,
    text_format: str = TextFormat.MARKDOWN,
    *,
    max_chars: int = MAX_CHARS,
    timeout: float = TIMEOUT_SECONDS,
) -> dict[str, str | int]:
    """The stored forms of one turn's source: sanitised HTML, plain text, word count."""
    if text_format == TextFormat.PLAIN:
        source = source[:max_chars]
        text = as_typed(source)
        return {"html": render_typed(source), "text": text, "words": len(text.split())}
    text = plain_text(source, max_chars=max_chars)
    return {
        "html": render_markdown(source, max_chars=max_chars, timeout=timeout),
        "text": text,
        "words": len(text.split()),
    }


def unrendered_fields(source: str) -> dict[str, str | int]:
    """The stored forms of a turn not rendered: its source as escaped text, which is what the
    renderer shows of a turn it cannot finish in time."""
    return {"html": escaped_text(source), "text": source, "words": len(source.split())}


def rerender_turns(
    connection: Connection,
    *,
    batch: int = 200,
    progress: Callable[[int, int], None] | None = None,
    **limits: float,
) -> int:
    """Render every turn again in batches, calling `progress(done, total)`; returns the count."""
    total = connection.execute(sa.select(sa.func.count()).select_from(turns)).scalar_one()
    # Run by an early migration too, before turns had a display form: all Markdown then.
    columns = {column["name"] for column in sa.inspect(connection).get_columns("turns")}
    text_format = (
        turns.c.text_format if "text_format" in columns else sa.literal(TextFormat.MARKDOWN)
    )
    done, last_id = 0, 0
    while True:
        rows = connection.execute(
            sa.select(turns.c.id, turns.c.source, text_format)
            .where(turns.c.id > last_id)
            .order_by(turns.c.id)
            .limit(batch)
        ).all()
        if not rows:
            return done
        for turn_id, source, form in rows:
            connection.execute(
                turns.update()
                .where(turns.c.id == turn_id)
                .values(**rendered_fields(source or "", form or TextFormat.MARKDOWN, **limits))
            )
        done += len(rows)
        last_id = rows[-1][0]
        if progress:
            progress(done, total)
