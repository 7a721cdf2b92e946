"""Exports we recognise but do not read, each refused with its name and the reason.

A person who uploads one of these should learn what Colloquy took the file for and what
to do instead, not that it is "not a conversation format we know":

- Mistral Le Chat: no published description or sample of its export was available to build
  a reader from, so its shape is unknown here; recognised by its name only.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

_LE_CHAT_NAME = re.compile(r"mistral|le[-_ ]?chat", re.I)
_LE_CHAT_TEXT = re.compile(r"chat\.mistral\.ai|\"le ?chat\"", re.I)

LE_CHAT = (
    "this looks like a Mistral Le Chat export; Colloquy can't read it yet because no "
    "description or sample of Le Chat's export format was available to build a reader "
    "from. Copy the conversation from the page and paste it, or save it as Markdown"
)


def known_but_unread(text: str, filename: str = "") -> str | None:
    """The refusal for a file this head and name show to be an export we do not read."""
    name = PurePosixPath(filename).name
    if _LE_CHAT_NAME.search(name) or _LE_CHAT_TEXT.search(text):
        return LE_CHAT
    return None
