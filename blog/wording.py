"""Counts said as people say them: "1 draft", "2 drafts", never "draft(s)". Pure."""

from __future__ import annotations


def counted(count: int, one: str, many: str | None = None) -> str:
    """The count with its noun, singular for exactly one (`many` for an irregular plural)."""
    noun = one if count == 1 else (many or one + "s")
    return f"{count:,} {noun}"
