"""The rules every write follows, written once for the editor and the import alike:
rendering, review, clipping to the columns, turn size."""

from __future__ import annotations

from functools import cache

from flask import current_app
from sqlalchemy.orm import InstrumentedAttribute

from ..models import Turn
from ..vocabulary import AI_ROLES, Role, TextFormat
from .errors import ContentError
from .rerender import Limits, rendered_fields, unrendered_fields

UNTITLED = "Untitled conversation"


def render_limits() -> Limits:
    """The configured bounds of one turn's rendering."""
    config = current_app.config
    return Limits(max_chars=config["MAX_TURN_CHARS"], timeout=config["RENDER_TIMEOUT_SECONDS"])


def rendered(source: str, text_format: str = TextFormat.MARKDOWN) -> dict[str, str | int | None]:
    """A turn's stored forms (sanitised HTML, plain text, word count, render key): the one
    call to the renderer (a pool's processes call the same `rendered_fields`)."""
    return rendered_fields(source, text_format, **vars(render_limits()))


def unrendered(source: str) -> dict[str, str | int | None]:
    """A turn's stored forms without reading its Markdown (the source as escaped text)."""
    return unrendered_fields(source)


def render_html(source: str, text_format: str = TextFormat.MARKDOWN) -> str:
    """A turn's source → sanitised HTML, for a preview that is not stored."""
    if text_format not in (TextFormat.MARKDOWN, TextFormat.PLAIN):
        text_format = TextFormat.MARKDOWN
    return rendered(source, text_format)["html"]


def render_turn(turn: Turn) -> None:
    """Render the turn's source into its stored HTML, plain text and word count."""
    fields = rendered(turn.source, turn.text_format or TextFormat.MARKDOWN)
    turn.html, turn.text, turn.words = fields["html"], fields["text"], fields["words"]
    turn.render_key = fields["render_key"]


def needs_review(role: str) -> bool:
    """Text a model wrote (or ran) waits for the author's review before anyone reads it."""
    return role in AI_ROLES


def default_speaker(model_name: str, role: str) -> str:
    """The speaker label a new turn starts with: the post's model for a model's turn."""
    return model_name if role in (Role.ASSISTANT, Role.TOOL) else ""


def fit(column: InstrumentedAttribute, value: str | None) -> str:
    """`value` cut to what the column holds (titles, speakers, names have a length)."""
    length = column_length(column)
    text = value or ""
    return text[:length] if length else text


@cache
def column_length(column: InstrumentedAttribute) -> int | None:
    """The length a string column holds (None: any), looked up once per column: an import
    fits two of a turn's values to theirs."""
    return column.property.columns[0].type.length


def check_length(column: InstrumentedAttribute, value: str, what: str) -> None:
    """Refuse a value the author typed that is longer than its column holds, saying so."""
    length = column.property.columns[0].type.length
    if length and len(value) > length:
        raise ContentError(
            f"{what} is at most {length} characters; “{value[:40]}…” has {len(value)}."
        )


def turn_size_problem(source: str) -> str:
    """Why a turn's text is too long to keep ("" when it fits the configured limit)."""
    limit = current_app.config["MAX_TURN_CHARS"]
    if len(source) > limit:
        return f"{len(source):,} characters long; the limit is {limit:,}"
    return ""


def check_turn_size(source: str) -> None:
    """Refuse a turn longer than the configured limit."""
    problem = turn_size_problem(source)
    if problem:
        raise ContentError(f"This turn is {problem}. Split it into several turns.")
