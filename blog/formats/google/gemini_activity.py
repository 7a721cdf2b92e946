"""Gemini's conversations as Google Takeout gives them: My Activity → Gemini Apps, `MyActivity.json`.

The file is a list of activity records, newest first, one per prompt:
`{"header": "Gemini Apps", "title": "Prompted <the prompt>", "time": ISO UTC,
"products": ["Gemini Apps"], "safeHtmlItem": [{"html": <the reply>}], "subtitles": [...],
"imageFile": <file name>, "attachedFiles": [...]}`. Decisions worth knowing:

- Google keeps no conversation: records are grouped by time, a prompt less than
  `GAP` (30 minutes) after the one before it belonging to the same conversation. Every
  conversation says so in its notes, with how many prompts it holds.
- The prompt is the title without its "Prompted " verb, kept as typed. A record with a reply
  but another verb (an export in another language, "Used Gemini Apps" for a spoken request)
  keeps the reply; its title is kept whole as the prompt, or, for "Used …", no prompt is
  invented. Each such case is counted in a warning.
- The reply is HTML, turned into Markdown (`html_markdown`). Several replies in one record
  are regenerated drafts: the last is shown and the earlier ones are its alternatives.
- Files: `imageFile`, `attachedFiles` and the file names the subtitles list after "Attached
  N files." are the prompt's attachments, read from the Takeout zip when it holds them. The
  Gem a chat used ("X was used in this chat.") is kept as a hidden note.
- Records of other products (a My Activity file of every product) and Gemini records that
  are not prompts (feedback, a chosen draft, a canvas created) are counted in a warning.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from blog.formats.archive import AssetLookup
from blog.formats.base import (
    ImportedAttachment,
    ImportedConversation,
    ImportedTurn,
    ImportFormatError,
)
from blog.formats.block_files import guess_type
from blog.formats.blocks import as_written, safe_url, timestamp
from blog.formats.html_markdown import html_to_markdown
from blog.formats.naming import title_from_turns
from blog.vocabulary import Role

SOURCE_KIND = "gemini"
SPEAKER = "Gemini"
# Takeout's names for the activity, in JSON or (read by `gemini_html`) as a page.
EXPORT_FILES = ("myactivity.json", "my activity.json", "myactivity.html", "my activity.html")
GAP = timedelta(minutes=30)
PROMPTED = "Prompted "
GEM = re.compile(r"^(?P<gem>.+?) was used in this chat\b")
_ATTACHED = re.compile(r"^Attached \d+ files?\.?$")


def parse_gemini_activity(
    items: Iterable[object], assets: AssetLookup | None = None
) -> Iterator[ImportedConversation]:
    """Gemini's activity records, grouped by time into conversations, oldest first."""
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
    groups: list[list[tuple[datetime, int, dict]]] = [[records[0]]]
    for record in records[1:]:
        if record[0] - groups[-1][-1][0] < GAP:
            groups[-1].append(record)
        else:
            groups.append([record])
    conversations: list[ImportedConversation] = []
    pending: list[str] = [
        f"{count} activity record{'s' if count > 1 else ''} of {product} in the same file "
        "left out (not Gemini)"
        for product, count in sorted(other_products.items())
    ]
    for group in groups:
        conversation = _Reader(assets).conversation([item for _, _, item in group])
        if not conversation.turns:
            # Activity with no prompt in it (a canvas made, feedback given): said where
            # the next conversation is, so that no empty conversation is listed.
            pending.extend(conversation.warnings[1:])
            continue
        conversation.warnings.extend(pending)
        pending = []
        conversations.append(conversation)
    if not conversations:
        raise ImportFormatError("the Gemini activity holds no prompts; " + "; ".join(pending))
    conversations[-1].warnings.extend(pending)
    yield from conversations


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
        self.no_prompt = 0
        self.whole_titles = 0
        self.details = 0

    def conversation(self, records: list[dict]) -> ImportedConversation:
        turns: list[ImportedTurn] = []
        prompts = 0
        for record in records:
            own = self.turns(record)
            prompts += any(turn.role == Role.USER for turn in own)
            turns.extend(own)
        first, last = timestamp(records[0]["time"]), timestamp(records[-1]["time"])
        grouped = (
            "Google's export does not say which prompts were one conversation: prompts less "
            f"than {GAP.seconds // 60} minutes apart were put together "
            f"({prompts} prompt{'s' if prompts != 1 else ''} here)"
        )
        return ImportedConversation(
            title=title_from_turns(turns),
            turns=turns,
            source_kind=SOURCE_KIND,
            source_id=f"gemini-activity-{first:%Y%m%dT%H%M%S.%f}" if first else None,
            created_at=first,
            updated_at=last,
            warnings=[grouped, *self.warnings()],
        )

    def turns(self, record: dict) -> list[ImportedTurn]:
        """The prompt and reply one record holds; nothing for a record that is no prompt."""
        title = record["title"]
        created = timestamp(record.get("time"))
        replies = [
            html_to_markdown(item["html"])
            for item in record.get("safeHtmlItem") or []
            if isinstance(item, dict) and isinstance(item.get("html"), str)
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
        gem, files = self._subtitles(record)
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
        if prompt.strip() or files:
            turns.append(ImportedTurn(Role.USER, prompt, created_at=created, attachments=files))
        if replies:
            turns.append(
                ImportedTurn(
                    Role.ASSISTANT,
                    replies[-1],
                    speaker=SPEAKER,
                    created_at=created,
                    alternatives=replies[:-1],
                )
            )
        return turns

    def _subtitles(self, record: dict) -> tuple[str, list[ImportedAttachment]]:
        """The Gem the chat used and the files the prompt carried."""
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
            elif _ATTACHED.match(name):
                continue
            elif name.startswith("-") and url and not safe_url(url):
                names.append(url)  # a file in the Takeout folder, its name the link
            elif name:
                self.details += 1
        unique = list(dict.fromkeys(names))
        return gem, [self._file(name) for name in unique]

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
        return said


def _listed(value: object) -> list[object]:
    return value if isinstance(value, list) else []
