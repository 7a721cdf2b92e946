"""Gemini's conversations as Google Takeout gives them: My Activity → Gemini Apps, `MyActivity.json`.

The file is a list of activity records, newest first, one per prompt:
`{"header": "Gemini Apps", "title": "Prompted <the prompt>", "time": ISO UTC,
"products": ["Gemini Apps"], "details": [{"url": "https://gemini.google.com/app/<id>"}],
"safeHtmlItem": [{"html": <the reply>}], "subtitles": [...], "imageFile": <file name>,
"attachedFiles": [...]}`. Decisions worth knowing:

- A record whose `details` link to a chat (`gemini.google.com/app/<id>`, in exports since
  2026) belongs to that chat, and the chat's id is the conversation's. Older exports keep no
  conversation: their records are grouped by time, a prompt less than `GAP` (30 minutes)
  after the one before it belonging to the same conversation, and every such conversation
  says so in its notes, with how many prompts it holds. A record with no link (a canvas, a
  prompt from an older export) goes with the record before it when that is less than `GAP`
  earlier.
- The prompt is the title without its "Prompted " verb, kept as typed. A record with a reply
  but another verb (an export in another language, "Used Gemini Apps" for a spoken request)
  keeps the reply; its title is kept whole as the prompt, or, for "Used …", no prompt is
  invented. Each such case is counted in a warning.
- The reply is HTML, turned into Markdown (`html_markdown`). Several replies in one record
  are the answers to one prompt, newest first as the rest of the file (a reply after "Sorry,
  something went wrong" is the one a retry gave): the first is shown and the earlier ones
  are its alternatives.
- Files: `imageFile`, `attachedFiles` and the file names the subtitles list after "Attached
  N files." are the prompt's attachments (a prompt of files only shows them, as Markdown),
  except the images the reply shows (`<img src>` of a file beside the activity: an image
  Gemini made), which are the reply's. All are read from the Takeout zip when it holds
  them. The Gem a chat used ("X was used in this chat.") is kept as a hidden note.
- A canvas ("Created Gemini Canvas titled <name>") is a reply of its own, the document the
  export holds in its subtitle, unless the reply before it already shows the document (a
  Deep Research report is both); a canvas whose document the export does not hold is
  counted in a warning.
- Records of other products (a My Activity file of every product) and Gemini records that
  are not prompts (feedback, a chosen draft, a survey answer) are counted in a warning.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from blog.formats.archive import AssetLookup
from blog.formats.base import (
    ImportedAttachment,
    ImportedConversation,
    ImportedTurn,
    ImportFormatError,
)
from blog.formats.block_files import guess_type
from blog.formats.blocks import as_written, link_label, safe_url, timestamp
from blog.formats.html_markdown import html_to_markdown
from blog.formats.naming import title_from_turns
from blog.vocabulary import Role, TextFormat

SOURCE_KIND = "gemini"
SPEAKER = "Gemini"
# Takeout's names for the activity, in JSON or (read by `gemini_html`) as a page.
EXPORT_FILES = ("myactivity.json", "my activity.json", "myactivity.html", "my activity.html")
GAP = timedelta(minutes=30)
PROMPTED = "Prompted "
CANVAS = "Created Gemini Canvas titled "
GEM = re.compile(r"^(?P<gem>.+?) was used in this chat\b")
_ATTACHED = re.compile(r"^Attached \d+ files?\.?$")
GENERATED = re.compile(r"^\d+ generated (?:images?|videos?)\.?$")
# Where a reply embedded a video or the like, Google writes a numbered stand-in address.
_STAND_IN = re.compile(r"^https?://googleusercontent\.com/[a-z_]+/\d+$")
# A canvas whose first words the reply before it holds in the same order is that reply's.
_WORD = re.compile(r"\w+")
_SAME_OPENING = 30
CHAT_LINK = re.compile(r"^https://gemini\.google\.com/app/(?P<id>[A-Za-z0-9_-]+)(?:[?#].*)?$")


@dataclass
class _Group:
    """The records of one conversation, oldest first, and the chat id that joined them."""

    chat: str | None
    records: list[dict] = field(default_factory=list)
    last: datetime | None = None


def parse_gemini_activity(
    items: Iterable[object], assets: AssetLookup | None = None
) -> Iterator[ImportedConversation]:
    """Gemini's activity records, grouped into conversations, oldest first."""
    records: list[tuple[datetime, int, dict]] = []
    other_products: Counter[str] = Counter()
    for index, item in enumerate(items):
        where = f"Gemini activity record {index + 1}"
        if not isinstance(item, dict) or not isinstance(item.get("title"), str):
            raise ImportFormatError("expected an activity record with a 'title'", where)
        if not _is_gemini(item):
            other_products[_product(item)] += 1
            continue
        when = timestamp(item.get("time"))
        if when is None:
            raise ImportFormatError(
                f"the record has no readable 'time' ({item.get('time')!r})", where
            )
        records.append((when, index, item))
    if not records:
        listed = ", ".join(sorted(other_products)) or "nothing"
        raise ImportFormatError(
            f"this Google My Activity file holds no Gemini Apps activity (it lists {listed}); "
            "in Google Takeout, export My Activity with only 'Gemini Apps' selected"
        )
    records.sort(key=lambda record: (record[0], -record[1]))
    read: list[tuple[_Group, list[ImportedTurn], _Reader]] = []
    pending = _Reader(assets)
    for product, count in other_products.items():
        pending.other_products[product] += count
    for group in _grouped(records, pending):
        reader = _Reader(assets)
        turns = [turn for record in group.records for turn in reader.turns(record)]
        if not turns:
            # Activity with no prompt in it (feedback given, a draft chosen): said where the
            # next conversation is, so that no empty conversation is listed.
            pending.merge(reader)
            continue
        reader.merge(pending)
        pending = _Reader(assets)
        read.append((group, turns, reader))
    if not read:
        raise ImportFormatError(
            "the Gemini activity holds no prompts; " + "; ".join(pending.warnings())
        )
    read[-1][2].merge(pending)
    for group, turns, reader in read:
        yield _conversation(group, turns, reader)


def _grouped(records: list[tuple[datetime, int, dict]], notes: _Reader) -> list[_Group]:
    """The records by the chat they link to, else by time, each group oldest first."""
    groups: list[_Group] = []
    by_chat: dict[str, _Group] = {}
    previous: _Group | None = None
    for when, _, item in records:
        chats = _chats(item)
        if len(chats) > 1:
            notes.several_chats += 1
        if chats:
            group = by_chat.get(chats[0])
            if group is None:
                group = by_chat[chats[0]] = _Group(chats[0])
                groups.append(group)
        elif previous is not None and previous.last is not None and when - previous.last < GAP:
            group = previous
        else:
            group = _Group(None)
            groups.append(group)
        group.records.append(item)
        group.last = when
        previous = group
    return groups


def _chats(item: dict) -> list[str]:
    """The ids of the chats a record links to, in the order it names them."""
    links = [item.get("titleUrl")]
    links += [d.get("url") for d in _listed(item.get("details")) if isinstance(d, dict)]
    found = [m["id"] for link in links if isinstance(link, str) and (m := CHAT_LINK.match(link))]
    return list(dict.fromkeys(found))


def _conversation(
    group: _Group, turns: list[ImportedTurn], reader: _Reader
) -> ImportedConversation:
    first, last = timestamp(group.records[0]["time"]), timestamp(group.records[-1]["time"])
    warnings = reader.warnings()
    if group.chat is None:
        prompts = sum(turn.role == Role.USER for turn in turns)
        warnings.insert(
            0,
            "Google's export does not say which prompts were one conversation: prompts less "
            f"than {GAP.seconds // 60} minutes apart were put together "
            f"({prompts} prompt{'s' if prompts != 1 else ''} here)",
        )
        source_id = f"gemini-activity-{first:%Y%m%dT%H%M%S.%f}" if first else None
    else:
        source_id = f"gemini-{group.chat}"
    return ImportedConversation(
        title=title_from_turns(turns),
        turns=turns,
        source_kind=SOURCE_KIND,
        source_id=source_id,
        created_at=first,
        updated_at=last,
        warnings=warnings,
    )


def _is_gemini(item: dict) -> bool:
    products = item.get("products") if isinstance(item.get("products"), list) else []
    names = [item.get("header"), *products]
    return any(isinstance(name, str) and "gemini" in name.lower() for name in names)


def _product(item: dict) -> str:
    header = item.get("header")
    return header if isinstance(header, str) and header else "another product"


class _Reader:
    """Records of one conversation into turns, with the counts its warnings report."""

    def __init__(self, assets: AssetLookup | None) -> None:
        self.assets = assets
        self.left_out: Counter[str] = Counter()
        self.other_products: Counter[str] = Counter()
        self.no_prompt = 0
        self.whole_titles = 0
        self.details = 0
        self.empty_canvases = 0
        self.several_chats = 0
        self.last_reply = ""

    def merge(self, other: _Reader) -> None:
        """Take on the counts of records read apart from this conversation."""
        self.left_out.update(other.left_out)
        self.other_products.update(other.other_products)
        self.no_prompt += other.no_prompt
        self.whole_titles += other.whole_titles
        self.details += other.details
        self.empty_canvases += other.empty_canvases
        self.several_chats += other.several_chats

    def turns(self, record: dict) -> list[ImportedTurn]:
        """The prompt and reply one record holds; nothing for a record that is no prompt."""
        title = record["title"]
        created = timestamp(record.get("time"))
        if title.startswith(CANVAS):
            return self._canvas(record, title.removeprefix(CANVAS).strip(), created)
        reply_files: list[ImportedAttachment] = []
        pages = [
            item["html"]
            for item in _listed(record.get("safeHtmlItem"))
            if isinstance(item, dict) and isinstance(item.get("html"), str)
        ]
        replies = [
            html_to_markdown(page, self._placer(reply_files, embed=number == 0))
            for number, page in enumerate(pages)
        ]
        replies = [reply for reply in replies if reply.strip()]
        if title.startswith(PROMPTED):
            prompt = as_written(title.removeprefix(PROMPTED))
        elif not replies:
            self.left_out[title.split(" ", 1)[0] or title] += 1
            return []
        elif title.startswith("Used "):
            prompt = ""
            self.no_prompt += 1
        else:
            prompt = as_written(title)
            self.whole_titles += 1
        turns: list[ImportedTurn] = []
        gem, names = self._subtitles(record)
        shown = {file.name for file in reply_files}
        files = [self._file(name) for name in names if name not in shown]
        if gem:
            turns.append(
                ImportedTurn(
                    Role.SYSTEM,
                    f"This chat used the Gem “{gem}”.",
                    speaker="Gem",
                    created_at=created,
                    hidden=True,
                )
            )
        if prompt.strip():
            turns.append(ImportedTurn(Role.USER, prompt, created_at=created, attachments=files))
        elif files:
            # Only files were sent (Takeout writes "Prompted "): the prompt shows them.
            shown_files = "\n\n".join(
                f"{'!' if file.mime_type.startswith('image/') else ''}"
                f"[{link_label(file.name)}](attachment:{number})"
                for number, file in enumerate(files)
            )
            turns.append(
                ImportedTurn(
                    Role.USER,
                    shown_files,
                    created_at=created,
                    attachments=files,
                    text_format=TextFormat.MARKDOWN,
                )
            )
        if replies:
            self.last_reply = replies[0]
            turns.append(
                ImportedTurn(
                    Role.ASSISTANT,
                    replies[0],
                    speaker=SPEAKER,
                    created_at=created,
                    attachments=reply_files,
                    alternatives=replies[:0:-1],
                )
            )
        return turns

    def _placer(self, files: list[ImportedAttachment], *, embed: bool):
        """What `html_to_markdown` calls for an image beside the activity: the file becomes
        the reply's, and the shown reply points at it (an earlier draft names it only)."""

        def place(source: str) -> str | None:
            name = source.strip()
            if not name or "/" in name or ":" in name:
                return None
            known = next((i for i, file in enumerate(files) if file.name == name), None)
            if known is None:
                files.append(self._file(name))
                known = len(files) - 1
            return f"attachment:{known}" if embed else None

        return place

    def _canvas(self, record: dict, name: str, created: datetime | None) -> list[ImportedTurn]:
        """A canvas Gemini made, as a reply holding its document."""
        parts = [
            subtitle["name"]
            for subtitle in _listed(record.get("subtitles"))
            if isinstance(subtitle, dict)
            and isinstance(subtitle.get("name"), str)
            and subtitle["name"].strip()
            and not _STAND_IN.match(subtitle["name"].strip())
        ]
        document = as_written("\n\n".join(parts))
        if not document:
            self.empty_canvases += 1
            return []
        opening = " ".join(_WORD.findall(document)[:_SAME_OPENING])
        if opening and f" {opening} " in f" {' '.join(_WORD.findall(self.last_reply))} ":
            return []
        first_line = document.split("\n", 1)[0].lstrip("# ").strip()
        heading = f"**{name}**\n\n" if name and name != first_line else ""
        return [
            ImportedTurn(Role.ASSISTANT, heading + document, speaker=SPEAKER, created_at=created)
        ]

    def _subtitles(self, record: dict) -> tuple[str, list[str]]:
        """The Gem the chat used and the names of the files the record carried."""
        names: list[str] = []
        gem = ""
        for value in (record.get("imageFile"), *_listed(record.get("attachedFiles"))):
            if isinstance(value, str) and value.strip():
                names.append(value.strip())
            elif isinstance(value, dict):
                names.extend(
                    str(value[key]) for key in ("name", "fileName", "url") if value.get(key)
                )
        for subtitle in _listed(record.get("subtitles")):
            if not isinstance(subtitle, dict):
                continue
            name = str(subtitle.get("name") or "").strip()
            url = str(subtitle.get("url") or "").strip()
            if match := GEM.match(name):
                gem = match["gem"]
            elif _ATTACHED.match(name) or GENERATED.match(name):
                continue
            elif name.startswith("-") and url and not safe_url(url):
                names.append(url)  # a file in the Takeout folder, its name the link
            elif name:
                self.details += 1
        return gem, list(dict.fromkeys(names))

    def _file(self, name: str) -> ImportedAttachment:
        found = self.assets.find(name) if self.assets is not None else None
        if found is None:
            return ImportedAttachment(name, guess_type(name))
        return ImportedAttachment(name, found.mime_type, found.data)

    def warnings(self) -> list[str]:
        said = [
            f"{count} Gemini activity record{'s' if count > 1 else ''} that "
            f'{"are" if count > 1 else "is"} not a prompt ("{verb} …") left out'
            for verb, count in sorted(self.left_out.items())
        ]
        if self.empty_canvases:
            count = self.empty_canvases
            said.append(
                f"{count} Gemini canvas{'es' if count > 1 else ''} whose document the export "
                "does not hold left out"
            )
        if self.no_prompt:
            said.append(
                f"{self.no_prompt} repl{'ies' if self.no_prompt > 1 else 'y'} whose prompt the "
                'export does not record ("Used Gemini Apps") kept without a prompt'
            )
        if self.whole_titles:
            said.append(
                f"{self.whole_titles} prompt{'s' if self.whole_titles > 1 else ''} whose "
                'activity title does not start with "Prompted" (an export in another '
                "language?) kept with the whole title as the prompt"
            )
        if self.details:
            said.append(
                f"{self.details} activity detail{'s' if self.details > 1 else ''} "
                "(subtitles) this importer does not show left out"
            )
        if self.several_chats:
            said.append(
                f"{self.several_chats} activity record{'s' if self.several_chats > 1 else ''} "
                "linking to several chats put with the first chat named"
            )
        said += [
            f"{count} activity record{'s' if count > 1 else ''} of {product} in the same file "
            "left out (not Gemini)"
            for product, count in sorted(self.other_products.items())
        ]
        return said


def _listed(value: object) -> list[object]:
    return value if isinstance(value, list) else []
