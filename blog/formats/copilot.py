"""Microsoft Copilot's activity, as the privacy dashboard exports it: CSV files, one row a message.

Account → Privacy → Copilot → "Export all activity history" gives
`copilot-activity-history.csv` (`Conversation,Time,Author,Message`) and
`copilot-chat-activity.csv` (`CreatedAt,MessageContent,Author,ChatName`), UTF-8 with a
byte-order mark, rows ended by CRLF and messages (Markdown, as Copilot wrote them) quoted with
their own line breaks. Decisions worth knowing:

- Rows are newest first, in the file and in each conversation, and a prompt and its reply
  share one time to the second, the reply's row first: the rows are read in reverse file
  order, never sorted by time, which would put each reply before its prompt.
- The export has no ids: a conversation is the rows that carry its title. Its source id is
  made from the title and the time of its first message, so importing the same file again
  finds the same posts.
- Author "Human" or "user" is the person; any other author (`AI`, `Copilot`) is Copilot.
- A time without a zone (`2026-07-26T23:20:56`) is read as UTC, and the conversation says so;
  `7/26/2026 11:20:56 PM +02:00` keeps its zone.
- `windows-apps-copilot-activity-history.csv` (`Timestamp,ClientApp,Prompt`) holds prompts
  only, no reply: refused with its reason (in a zip, skipped with it).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime

from blog.formats.base import (
    ImportedConversation,
    ImportedTurn,
    ImportFormatError,
    NotAConversationFile,
)
from blog.formats.blocks import as_written, timestamp
from blog.formats.naming import title_from_turns
from blog.vocabulary import Role

SOURCE_KIND = "copilot"
SPEAKER = "Copilot"
# The header row of each file, as lowercase names: title, time, author and message columns.
_LAYOUTS = {
    ("conversation", "time", "author", "message"): ("conversation", "time", "author", "message"),
    ("createdat", "messagecontent", "author", "chatname"): (
        "chatname",
        "createdat",
        "author",
        "messagecontent",
    ),
}
_PROMPTS_ONLY = ("timestamp", "clientapp", "prompt")
_USERS = {"human", "user", "you"}
_US_TIME = re.compile(
    r"(?P<mo>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4}),? (?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?"
    r"(?: ?(?P<ampm>[AaPp][Mm]))?(?: ?(?P<zone>[+-]\d{2}:?\d{2}|Z|UTC))?"
)
NO_ZONE = (
    "Copilot's export gives the times without a time zone; they were read as UTC and may be "
    "off by your zone's offset"
)


def header_of(text: str) -> tuple[str, ...]:
    """The first row's column names, lowercase, when the text starts as a CSV row of names."""
    first = text.lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")
    return tuple(name.strip().strip('"').lower() for name in first.split(","))


def looks_like_copilot_csv(text: str) -> bool:
    """Whether the text starts with the header row of one of Copilot's activity files."""
    header = header_of(text)
    return header in _LAYOUTS or header == _PROMPTS_ONLY


def parse_copilot(text: str) -> Iterator[ImportedConversation]:
    """Each conversation of a Copilot activity file, oldest first."""
    header = header_of(text)
    if header == _PROMPTS_ONLY:
        raise NotAConversationFile(
            "this is Copilot's Windows app activity, which holds your prompts only, not "
            "Copilot's replies; upload copilot-activity-history.csv from the same export"
        )
    if header not in _LAYOUTS:
        raise ImportFormatError("the file does not start with the header of a Copilot CSV")
    columns = _LAYOUTS[header]
    # A reply can be longer than the csv module's default field limit (128 KiB).
    csv.field_size_limit(max(csv.field_size_limit(), len(text)))
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        rows = list(reader)[1:]
    except csv.Error as exc:
        raise ImportFormatError(f"the CSV is damaged: {exc}", f"line {reader.line_num}") from exc
    by_title: dict[str, list[tuple[int, list[str]]]] = {}
    for number, row in reversed(list(enumerate(rows, 2))):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise ImportFormatError(
                f"the row has {len(row)} columns; the header names {len(header)}",
                f"line {number}",
            )
        by_title.setdefault(row[header.index(columns[0])], []).append((number, row))
    if not by_title:
        # The Microsoft 365 apps file of an account that never used them is its header alone.
        raise NotAConversationFile("the Copilot activity file has no messages")
    for title, titled in by_title.items():
        yield _conversation(title, titled, header, columns)


def _conversation(
    title: str, rows: list[tuple[int, list[str]]], header: tuple[str, ...], columns: tuple
) -> ImportedConversation:
    _, time_column, author_column, message_column = (header.index(c) for c in columns)
    turns: list[ImportedTurn] = []
    empty = 0
    zoneless = False
    for number, row in rows:
        created, had_zone = _time(row[time_column], f"line {number}")
        zoneless |= not had_zone
        text = as_written(row[message_column])
        if not text.strip():
            empty += 1
            continue
        user = row[author_column].strip().lower() in _USERS
        turns.append(
            ImportedTurn(
                Role.USER if user else Role.ASSISTANT,
                text,
                speaker="" if user else SPEAKER,
                created_at=created,
            )
        )
    if not turns:
        raise ImportFormatError("the conversation's messages are all empty", f'"{title[:60]}"')
    warnings = [NO_ZONE] if zoneless else []
    if empty:
        warnings.append(f"{empty} empty message{'s' if empty > 1 else ''} left out")
    first = turns[0].created_at
    key = f"{title}\n{first.isoformat() if first else ''}".encode()
    return ImportedConversation(
        title=title.strip() or title_from_turns(turns),
        turns=turns,
        source_kind=SOURCE_KIND,
        source_id=f"copilot-{hashlib.sha256(key).hexdigest()[:16]}",
        created_at=first,
        updated_at=turns[-1].created_at,
        warnings=warnings,
    )


def _time(value: str, where: str) -> tuple[datetime, bool]:
    """The row's time and whether the export gave its zone."""
    value = value.strip()
    if match := _US_TIME.fullmatch(value):
        hour = int(match["h"])
        if match["ampm"]:
            hour = hour % 12 + (12 if match["ampm"][0] in "Pp" else 0)
        zone = match["zone"]
        iso = (
            f"{match['y']}-{int(match['mo']):02}-{int(match['d']):02}T{hour:02}:{match['mi']}:"
            f"{match['s'] or '00'}{'' if zone is None or zone == 'UTC' else zone}"
        )
        value, had_zone = iso, zone is not None
    else:
        had_zone = bool(re.search(r"(?:Z|[+-]\d{2}:?\d{2})$", value))
    when = timestamp(value)
    if when is None:
        raise ImportFormatError(f"the time {value!r} is not a date this importer reads", where)
    return when.astimezone(UTC), had_zone
