"""Exports we recognise but do not read, each refused with its name and the reason.

A person who uploads one of these should learn what Colloquy took the file for and what
to do instead, not that it is "not a conversation format we know":

- Gemini's activity saved as HTML (`MyActivity.html`): its times are written in the
  account's language and zone ("18 Sept 2025, 12:01:52 CET"), which no reader can turn
  into a moment without guessing; Takeout writes the same activity as JSON on request.
- Mistral Le Chat: no published description or sample of its export was available to build
  a reader from, so its shape is unknown here; recognised by its name only.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

_GEMINI_HTML = re.compile(r"Gemini[^<]{0,40}<br|Prompted&nbsp;", re.I)
_ACTIVITY_PAGE = re.compile(r"outer-cell|My Activity", re.I)
_LE_CHAT_NAME = re.compile(r"mistral|le[-_ ]?chat", re.I)
_LE_CHAT_TEXT = re.compile(r"chat\.mistral\.ai|\"le ?chat\"", re.I)

GEMINI_HTML = (
    "this looks like Gemini's activity from Google Takeout saved as HTML (MyActivity.html); "
    "Colloquy can't read that form because its times are written in your account's "
    "language and time zone, not as times. In Takeout, choose JSON as the format of "
    "My Activity (Gemini Apps) and upload MyActivity.json or the whole zip"
)
LE_CHAT = (
    "this looks like a Mistral Le Chat export; Colloquy can't read it yet because no "
    "description or sample of Le Chat's export format was available to build a reader "
    "from. Copy the conversation from the page and paste it, or save it as Markdown"
)


def known_but_unread(text: str, filename: str = "") -> str | None:
    """The refusal for a file this head and name show to be an export we do not read."""
    if _ACTIVITY_PAGE.search(text) and _GEMINI_HTML.search(text):
        return GEMINI_HTML
    name = PurePosixPath(filename).name
    if _LE_CHAT_NAME.search(name) or _LE_CHAT_TEXT.search(text):
        return LE_CHAT
    return None
