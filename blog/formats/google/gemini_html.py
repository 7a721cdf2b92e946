"""Gemini's activity as Google Takeout writes it in HTML (`MyActivity.html`), in English.

Each activity is a card: `<div class="outer-cell …">` holding a `header-cell` that names
the product ("Gemini Apps") and a `content-cell … mdl-typography--body-1` whose top-level
lines, split by `<br>`, are the title ("Prompted&nbsp;<the prompt>", its own lines kept),
the files attached ("Attached 1 file." then "- <a href="<file>">name</a>"), "1 generated
image." when the reply made one, and the time ("Jan 2, 2025, 3:04:05 PM EST", "18 Sept
2025, 12:01:52 CET", "May 19, 2026, 7:07:02 PM GMT-03:00"); after the time comes the reply
as HTML. A link to the chat
(`gemini.google.com/app/<id>`, on the prompt or beside it) names the conversation. Each card
becomes the record the JSON export holds for it, and `gemini_activity` reads the records as
it reads the JSON.

The page writes times in the account's language and time zone. English dates with a
numeric zone or one of the unambiguous abbreviations below are read; a card whose time is
written otherwise refuses the file, naming the time and asking for the JSON export
(which gives every time in UTC), rather than guessing an hour.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from html.parser import HTMLParser
from urllib.parse import unquote

from blog.formats.archive import AssetLookup
from blog.formats.base import ImportedConversation, ImportFormatError
from blog.formats.google.gemini_activity import (
    CHAT_LINK,
    GEM,
    GENERATED,
    PROMPTED,
    parse_gemini_activity,
)

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
# Abbreviations that name one zone only (IST, CST and others name several: not read).
_ZONES = {
    "UTC": 0, "GMT": 0, "WET": 0, "WEST": 1, "BST": 1, "CET": 1, "CEST": 2, "EET": 2,
    "EEST": 3, "MSK": 3, "EST": -5, "EDT": -4, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8,
    "PDT": -7, "AKST": -9, "AKDT": -8, "HST": -10, "JST": 9, "KST": 9, "HKT": 8, "SGT": 8,
    "AWST": 8, "ACST": 9.5, "ACDT": 10.5, "AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13,
    "BRT": -3, "ART": -3,
}  # fmt: skip
_CLOCK = r"(?P<h>\d{1,2}):(?P<m>\d{2}):(?P<s>\d{2})(?:\s*(?P<ampm>[AaPp]\.?[Mm]\.?))?"
_DATES = (
    re.compile(rf"(?P<mon>[A-Za-z]{{3,5}})\.? (?P<day>\d{{1,2}}), (?P<year>\d{{4}}),? {_CLOCK} (?P<zone>\S+)"),
    re.compile(rf"(?P<day>\d{{1,2}}) (?P<mon>[A-Za-z]{{3,5}})\.? (?P<year>\d{{4}}),? {_CLOCK} (?P<zone>\S+)"),
)  # fmt: skip
_OFFSET = re.compile(r"(?:GMT|UTC)(?P<sign>[+-])(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?")
_ATTACHED = re.compile(r"Attached \d+ files?\.?")
_CONTENT_CLASSES = {"content-cell", "mdl-typography--body-1"}
_VOID = {"br", "img", "hr", "wbr", "input", "meta", "link"}


def looks_like_gemini_html(text: str) -> bool:
    """Whether an HTML page's head is Takeout's activity page with Gemini's cards."""
    return "outer-cell" in text and "Gemini" in text and "content-cell" in text


def parse_gemini_html(
    text: str, assets: AssetLookup | None = None
) -> Iterator[ImportedConversation]:
    """Gemini's conversations from the activity page, read as the JSON export is."""
    cards = _Cards()
    cards.feed(text)
    cards.close()
    if not cards.records:
        raise ImportFormatError("the activity page holds no activity cards")
    records = [_record(card, number) for number, card in enumerate(cards.records, 1)]
    yield from parse_gemini_activity(records, assets)


def _record(card: dict, number: int) -> dict:
    """The JSON export's record for one card."""
    where = f"Gemini activity card {number}"
    if "gemini" not in card["header"].lower():
        # Another product's activity: counted by the reader, its time never needed.
        return {"header": card["header"] or "another product", "title": "", "products": []}
    lines = [" ".join(line.replace("\xa0", " ").split()) for line in card["lines"]]
    at = next((i for i in range(len(lines) - 1, -1, -1) if _is_time(lines[i])), None)
    if at is None:
        shown = next((line for line in reversed(lines) if line), "")
        raise ImportFormatError(
            f"its time ({shown[:60]!r}) is not written in a form this importer reads (English "
            "dates with a known time zone); in Google Takeout, choose JSON as the format of My "
            "Activity and upload MyActivity.json or the whole zip",
            where,
        )
    raw = [line.replace("\xa0", " ") for line in card["raw_lines"][:at]]
    title_lines = [line for line in raw if not _ATTACHED.fullmatch(line.strip())]
    title_lines = [line for line in title_lines if line.strip() not in card["file_labels"]]
    # "1 generated image." says the reply made an image; the reply shows it.
    title_lines = [line for line in title_lines if not GENERATED.match(line.strip())]
    # "Poet was used in this chat. Manage your Gems." is the Gem, a subtitle in the JSON.
    gems = [line.strip() for line in title_lines if GEM.match(line.strip())]
    title_lines = [line for line in title_lines if line.strip() not in gems]
    title = "\n".join(line.strip(" ") for line in title_lines).strip("\n")
    if title.startswith(PROMPTED.strip()) and not title.startswith(PROMPTED):
        title = PROMPTED + title.removeprefix(PROMPTED.strip()).lstrip()
    return {
        "header": card["header"],
        "title": title,
        "time": _time(lines[at], where).isoformat(),
        "products": [card["header"]],
        "details": [{"url": url} for url in card["chats"]],
        "safeHtmlItem": [{"html": card["reply"]}] if card["reply"].strip() else [],
        "subtitles": [
            *({"name": gem} for gem in gems),
            *({"name": f"- {name}", "url": url} for name, url in card["files"]),
        ],
    }


def _is_time(line: str) -> bool:
    return any(pattern.fullmatch(line) for pattern in _DATES)


def _time(line: str, where: str) -> datetime:
    match = next(m for pattern in _DATES if (m := pattern.fullmatch(line)))
    month = _MONTHS.get(match["mon"][:3].lower())
    hour = int(match["h"])
    if match["ampm"]:
        hour = hour % 12 + (12 if match["ampm"][0] in "Pp" else 0)
    zone = _zone(match["zone"])
    if month is None or zone is None:
        raise ImportFormatError(
            f"its time ({line!r}) names a month or time zone this importer cannot place; in "
            "Google Takeout, choose JSON as the format of My Activity (its times are UTC)",
            where,
        )
    try:
        local = datetime(
            int(match["year"]), month, int(match["day"]), hour, int(match["m"]), int(match["s"])
        )
    except ValueError as exc:
        raise ImportFormatError(f"its time ({line!r}) is not a date ({exc})", where) from exc
    return local.replace(tzinfo=zone).astimezone(UTC)


def _zone(name: str) -> timezone | None:
    if name in _ZONES:
        return timezone(timedelta(hours=_ZONES[name]))
    if offset := _OFFSET.fullmatch(name):
        minutes = int(offset["h"]) * 60 + int(offset["m"] or 0)
        return timezone(timedelta(minutes=-minutes if offset["sign"] == "-" else minutes))
    return None


class _Cards(HTMLParser):
    """The cards of the page: each one's product, top-level lines, files and reply HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.records: list[dict] = []
        self.depth = 0
        self.card_depth: int | None = None
        self.header_depth: int | None = None
        self.content_depth: int | None = None
        self.card: dict = {}
        self.in_reply = False
        self.nested = 0  # elements open inside the content cell before the reply
        self.link: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = set((dict(attrs).get("class") or "").split())
        if tag == "a" and self.card_depth is not None and not self.in_reply:
            # The card's link to its chat, on the prompt or beside it.
            href = dict(attrs).get("href") or ""
            if CHAT_LINK.match(href):
                self.card["chats"].append(href)
        if tag == "div":
            self.depth += 1
            if self.card_depth is None and "outer-cell" in classes:
                self.card_depth = self.depth
                self.card = {
                    "header": "", "lines": [""], "raw_lines": [""], "files": [],
                    "file_labels": set(), "reply": "", "chats": [],
                }  # fmt: skip
                return
            if self.card_depth is not None and self.content_depth is None:
                if "header-cell" in classes:
                    self.header_depth = self.depth
                elif classes >= _CONTENT_CLASSES and "mdl-typography--text-right" not in classes:
                    if not self.card["reply"] and self.card["lines"] == [""]:
                        self.content_depth = self.depth
                        self.in_reply = False
                    return
        if self.content_depth is None:
            return
        if self.in_reply:
            self._reply_tag(tag, attrs)
        elif tag == "br":
            self.card["lines"].append("")
            self.card["raw_lines"].append("")
        elif tag == "a" and not self.in_reply:
            self.link = dict(attrs).get("href") or ""
        elif tag not in _VOID and tag not in ("a", "span", "b", "i", "em", "strong"):
            # The first block element after the time starts the reply.
            self.in_reply = True
            self._reply_tag(tag, attrs)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.content_depth is not None and self.in_reply:
            self._reply_tag(tag, attrs)
        else:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "div":
            if self.content_depth is not None and self.depth == self.content_depth:
                self.content_depth = None
                self.in_reply = False
            elif self.header_depth is not None and self.depth == self.header_depth:
                self.header_depth = None
            elif self.card_depth is not None and self.depth == self.card_depth:
                self.card_depth = None
                self.records.append(self.card)
            self.depth = max(0, self.depth - 1)
            if self.in_reply:
                self.card["reply"] += "</div>"
            return
        if self.content_depth is None:
            return
        if self.in_reply:
            self.card["reply"] += f"</{tag}>"
        elif tag == "a" and self.link is not None:
            label = self.card["raw_lines"][-1].strip().removeprefix("-").strip()
            if self.card["raw_lines"][-1].strip().startswith("-"):
                self.card["files"].append((label, unquote(self.link)))
                self.card["file_labels"].add(self.card["raw_lines"][-1].strip())
            self.link = None

    def handle_data(self, data: str) -> None:
        if self.header_depth is not None:
            self.card["header"] += " ".join(data.split())
        elif self.content_depth is not None:
            if self.in_reply:
                self.card["reply"] += html.escape(data, quote=False)
            else:
                self.card["lines"][-1] += data
                self.card["raw_lines"][-1] += data

    def _reply_tag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        written = "".join(f' {k}="{html.escape(v or "")}"' for k, v in attrs)
        self.card["reply"] += f"<{tag}{written}>"
