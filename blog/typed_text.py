"""A turn shown as the chat app showed it: plain text, every line break and space as typed.

ChatGPT, Claude and the coding agents show a person's message as typed, not as Markdown, so
a pasted two-line snippet stays two lines and `*` stays a star. Such a turn is escaped, its
web addresses made links, and its lines kept with `<br>` (which a feed reader keeps too);
the page's `white-space: pre-wrap` keeps the spaces. Pure.
"""

from __future__ import annotations

import html
import re

from .allowlist import sanitize

# Linear: one character class, no nesting; a trailing full stop or bracket is left outside.
WEB_ADDRESS = re.compile(r"https?://[^\s<>\"'`]+")
TRAILING = ".,;:!?)]}'\""


def as_typed(source: str) -> str:
    """The text as written, less the blank lines around it (line endings made `\\n`)."""
    text = source.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(line.rstrip() for line in lines)


def linked(line: str) -> str:
    """One line escaped, with its web addresses as links."""
    out: list[str] = []
    start = 0
    for match in WEB_ADDRESS.finditer(line):
        kept = trimmed(match.group(0))
        out.append(html.escape(line[start : match.start()]))
        out.append(f'<a href="{html.escape(kept)}">{html.escape(kept)}</a>')
        start = match.start() + len(kept)
    out.append(html.escape(line[start:]))
    return "".join(out)


def trimmed(address: str) -> str:
    """The address less the punctuation that ends the sentence around it.

    A closing bracket stays when it closes one the address opened (Wikipedia's addresses).
    """
    opened, closed = address.count("("), address.count(")")
    end = len(address)
    while end and address[end - 1] in TRAILING:
        if address[end - 1] == ")":
            if opened >= closed:
                break
            closed -= 1
        end -= 1
    return address[:end]


def render_typed(source: str) -> str:
    """Sanitised HTML of a turn shown as typed."""
    text = as_typed(source)
    if not text:
        return ""
    body = "<br>".join(linked(line) for line in text.split("\n"))
    return sanitize(f'<div class="typed">{body}</div>')
