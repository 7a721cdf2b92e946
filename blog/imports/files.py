"""Importing a file: list its conversations, and save the chosen ones through the posts service."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from flask import current_app

from ..collector import collecting_less
from ..extensions import db
from ..formats.base import ImportedConversation, ImportFormatError
from ..formats.detect import ImportLimits, read_conversations
from ..models import User
from ..posts import DUPLICATE_CHOICES, ImportReport, ImportSave, KnownPosts, SavedPost


def import_limits() -> ImportLimits:
    """The configured limits on what an upload may contain."""
    config = current_app.config
    return ImportLimits(
        max_bytes=config.get("IMPORT_MAX_BYTES", config["MAX_CONTENT_LENGTH"]),
        max_uncompressed_bytes=config.get("IMPORT_MAX_UNCOMPRESSED_BYTES", 2 * 1024**3),
        max_entries=config.get("IMPORT_MAX_ENTRIES", 10_000),
        max_json_depth=config.get("IMPORT_MAX_JSON_DEPTH", 64),
        max_asset_bytes=config["ASSET_MAX_BYTES"],
    )


def import_file(
    source: bytes | BinaryIO | str | Path,
    filename: str,
    author: User | None,
    *,
    on_duplicate: str = "skip",
    chosen: set[str] | None = None,
    progress: Callable[[ImportedConversation], None] | None = None,
    saved: Callable[[ImportReport, int], None] | None = None,
    rendering: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import every conversation in one file, in one transaction: all of it or none; then
    render the drafts' turns on every core.

    The file is read and scanned first; the write transaction opens only after. Once it has
    committed, `saved(report, turns to render)` is told (the drafts are listed from then on)
    and `rendering(done, total)` follows the rendering.
    """
    scan_budget = current_app.config.get("IMPORT_SCAN_MAX_TURNS", 5000)
    with collecting_less(), ImportSave(author, on_duplicate, scan_budget, filename) as save:
        try:
            notes: list[str] = []
            read = 0
            for index, conversation in enumerate(
                read_conversations(source, filename, limits=import_limits(), notes=notes)
            ):
                read += 1
                if chosen is not None and conversation_key(conversation, index) not in chosen:
                    continue
                save.prepare(conversation)
                if progress is not None:
                    progress(conversation)
            if not read:
                reasons = "; ".join(notes)
                raise ImportFormatError(
                    "no conversations found in it" + (f" ({reasons})" if reasons else ""),
                    filename or "the upload",
                )
            save.report.skipped.extend(notes)
        except BaseException:
            db.session.rollback()
            raise
        report = save.write()
        if saved is not None:
            saved(report, save.to_render)
        save.render(rendering)
        return report


class CountingReader(io.RawIOBase):
    """A read-only file wrapper that reports the bytes read, for progress bars."""

    def __init__(self, raw: BinaryIO, advance: Callable[[int], None]) -> None:
        self.raw = raw
        self.advance = advance

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = self.raw.readinto(buffer)
        self.advance(count or 0)
        return count

    def seekable(self) -> bool:
        return self.raw.seekable()

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.raw.seek(offset, whence)

    def tell(self) -> int:
        return self.raw.tell()


def conversation_key(conversation: ImportedConversation, index: int) -> str:
    """How the import page names a conversation in a file: its source id, else its place."""
    return conversation.source_id or f"#{index}"


__all__ = [
    "DUPLICATE_CHOICES",
    "ImportFormatError",
    "ImportReport",
    "KnownPosts",
    "SavedPost",
    "conversation_key",
    "import_file",
]
