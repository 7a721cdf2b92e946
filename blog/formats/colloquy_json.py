"""Colloquy JSON, the lossless export written by `blog.formats.writing.to_json`, read back in."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Iterator
from datetime import datetime

from blog.formats.base import (
    ROLES,
    ImportedAttachment,
    ImportedConversation,
    ImportedTurn,
    ImportFormatError,
)
from blog.formats.naming import title_from_turns
from blog.vocabulary import TEXT_FORMATS

COLLOQUY_FORMAT = "colloquy"
SUPPORTED_VERSIONS = (1,)


def parse_colloquy_json(items: Iterable[dict]) -> Iterator[ImportedConversation]:
    """Each Colloquy JSON document in `items` as a conversation."""
    for index, item in enumerate(items):
        yield from_colloquy_json(item, where=f"conversation {index + 1}")


def from_colloquy_json(obj: dict, where: str = "Colloquy JSON") -> ImportedConversation:
    """One Colloquy JSON document as a conversation; its original source_kind is kept."""
    if not isinstance(obj, dict) or obj.get("format") != COLLOQUY_FORMAT:
        raise ImportFormatError('not a Colloquy export: "format" must be "colloquy"', where)
    if obj.get("version") not in SUPPORTED_VERSIONS:
        raise ImportFormatError(
            f"unsupported Colloquy export version {obj.get('version')!r}", where
        )
    turns = obj.get("turns")
    if not isinstance(turns, list):
        raise ImportFormatError('"turns" must be a list', where)
    read = [_turn(turn, f"{where}, turn {number}") for number, turn in enumerate(turns, 1)]
    return ImportedConversation(
        title=_text(obj.get("title"), where, "title") or title_from_turns(read),
        turns=read,
        source_kind=_text(obj.get("source_kind"), where, "source_kind") or "colloquy",
        source_id=_text(obj.get("source_id"), where, "source_id") or None,
        created_at=_date(obj.get("created_at"), where, "created_at"),
        updated_at=_date(obj.get("updated_at"), where, "updated_at"),
        model=_text(obj.get("model"), where, "model") or None,
        tags=[_text(tag, where, "tags") for tag in _list(obj.get("tags"), where, "tags")],
        summary=_text(obj.get("summary"), where, "summary"),
        agent=_text(obj.get("agent"), where, "agent"),
        agent_version=_text(obj.get("agent_version"), where, "agent_version"),
    )


def _turn(turn: object, where: str) -> ImportedTurn:
    if not isinstance(turn, dict):
        raise ImportFormatError("a turn must be an object", where)
    role = turn.get("role")
    if role not in ROLES:
        raise ImportFormatError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}", where)
    return ImportedTurn(
        role=role,
        text=_text(turn.get("text"), where, "text"),
        speaker=_text(turn.get("speaker"), where, "speaker"),
        model=_text(turn.get("model"), where, "model") or None,
        created_at=_date(turn.get("created_at"), where, "created_at"),
        hidden=bool(turn.get("hidden", False)),
        # Absent: decided by the conversation's source, as for any import.
        text_format=_text_format(turn.get("text_format", ""), where),
        alternatives=[
            _text(text, where, "alternatives")
            for text in _list(turn.get("alternatives"), where, "alternatives")
        ],
        attachments=[
            _attachment(item, where)
            for item in _list(turn.get("attachments"), where, "attachments")
        ],
    )


def _text_format(value: object, where: str) -> str:
    if value != "" and value not in TEXT_FORMATS:
        raise ImportFormatError(
            f"unknown text_format {value!r}; expected one of {', '.join(TEXT_FORMATS)}", where
        )
    return str(value)


def _attachment(item: object, where: str) -> ImportedAttachment:
    if not isinstance(item, dict) or not isinstance(item.get("name"), str):
        raise ImportFormatError("an attachment must be an object with a name", where)
    data = item.get("data")
    try:
        decoded = base64.b64decode(data, validate=True) if isinstance(data, str) else None
    except binascii.Error as error:
        raise ImportFormatError(
            f"attachment {item['name']!r} has invalid base64 data", where
        ) from error
    return ImportedAttachment(
        name=item["name"],
        mime_type=_text(item.get("mime_type"), where, "mime_type") or "application/octet-stream",
        data=decoded,
        alt=_text(item.get("alt"), where, "alt"),
    )


def _text(value: object, where: str, key: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ImportFormatError(f'"{key}" must be text, not {type(value).__name__}', where)
    return value


def _list(value: object, where: str, key: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ImportFormatError(f'"{key}" must be a list', where)
    return value


def _date(value: object, where: str, key: str) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        return datetime.fromisoformat(_text(value, where, key))
    except ValueError as error:
        raise ImportFormatError(f'"{key}" is not an ISO 8601 date: {value!r}', where) from error
