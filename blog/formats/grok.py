"""Grok data export: `prod-grok-backend.json`, `{"conversations": [{conversation, responses}]}`.

Each response is wrapped (`{"response": {...}, "share_link": ...}`) and points at the one
before it by `parent_response_id`, so a conversation is a tree: the branch shown is the
chain that ends at the newest response, and the replies or prompts it replaced stay as
alternatives of the turn they would have been. A conversation whose links do not reach
its first response (older exports leave some out) is read in time order instead.

What a response holds besides its `message`: `thinking_trace` (and an agent's
`agent_thinking_traces`) become a hidden reasoning turn; the pages it cited
(`cited_web_search_results`, else every `web_search_results`) and the X posts it quoted
(`xpost_ids`) end the reply as its sources; uploads (`file_attachments`, found in the
export's `prod-mc-asset-server/<id>/content` when it came as a zip) and images Grok
made (`generated_image_urls`) are its files; `error` is kept as a hidden note. Tool
steps and cards are counted in a warning, never silently dropped. Times are ISO strings
or MongoDB's `{"$date": {"$numberLong": ms}}`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from blog.formats.archive import AssetLookup
from blog.formats.base import (
    ImportedAttachment,
    ImportedConversation,
    ImportedTurn,
    ImportFormatError,
)
from blog.formats.block_files import guess_type
from blog.formats.blocks import as_written, chain_to, safe_url, sources_block, timestamp
from blog.formats.naming import title_from_turns
from blog.vocabulary import Role

SOURCE_KIND = "grok"
SPEAKER = "Grok"
EXPORT_FILE = "prod-grok-backend.json"
ASSET_FOLDER = "prod-mc-asset-server"
_USER_SENDERS = {"human", "user"}
# Response fields that hold material this reader does not show, by what a warning calls them.
_LEFT_OUT = {"steps": "tool step", "card_attachments_json": "card"}


def parse_grok(
    items: Iterable[object], assets: AssetLookup | None = None
) -> Iterator[ImportedConversation]:
    """Each conversation of a Grok export, as the branch that ends at its newest response."""
    for index, item in enumerate(items):
        yield _conversation(item, f"Grok conversation {index + 1}", assets)


def _conversation(item: object, where: str, assets: AssetLookup | None) -> ImportedConversation:
    if not isinstance(item, dict) or not isinstance(item.get("responses"), list):
        raise ImportFormatError("expected an object with 'conversation' and 'responses'", where)
    meta = item.get("conversation") if isinstance(item.get("conversation"), dict) else {}
    title = meta.get("title").strip() if isinstance(meta.get("title"), str) else ""
    if title:
        where = f'{where} ("{title[:60]}")'
    responses = [_unwrapped(entry) for entry in item["responses"]]
    for number, response in enumerate(responses, 1):
        sender = response.get("sender") if isinstance(response, dict) else None
        if not isinstance(sender, str) or not sender.strip():
            raise ImportFormatError(
                f"response {number} has no sender; expected 'human' or 'assistant'", where
            )
    reader = _Reader(assets)
    path, replaced, off_branch = _shown_branch(responses)
    turns: list[ImportedTurn] = []
    for response in path:
        hidden, said = reader.turns(response)
        if said is not None:
            said.alternatives = [
                text for old in replaced.get(id(response), []) if (text := reader.said(old))
            ]
        turns.extend(hidden)
        if said is not None:
            turns.append(said)
        turns.extend(reader.after(response))
    warnings = reader.warnings()
    if off_branch:
        warnings.append(
            f"{off_branch} message{'s' if off_branch > 1 else ''} on other branches of the "
            "conversation left out (the first message of each branch is kept as an alternative)"
        )
    source_id = meta.get("id") or meta.get("conversation_id")
    models = Counter(turn.model for turn in turns if turn.model)
    return ImportedConversation(
        title=title or title_from_turns(turns),
        turns=turns,
        source_kind=SOURCE_KIND,
        source_id=str(source_id) if source_id else None,
        created_at=grok_time(meta.get("create_time")),
        updated_at=grok_time(meta.get("modify_time")),
        model=models.most_common(1)[0][0] if models else None,
        warnings=warnings,
    )


def _unwrapped(entry: object) -> dict:
    """The response inside its `{"response": ..., "share_link": ...}` wrapper."""
    if isinstance(entry, dict) and isinstance(entry.get("response"), dict):
        return entry["response"]
    return entry if isinstance(entry, dict) else {}


def grok_time(value: object) -> datetime | None:
    """An ISO string, Unix time, or MongoDB's `{"$date": {"$numberLong": "<ms>"}}`."""
    if isinstance(value, dict):
        value = value.get("$date")
        if isinstance(value, dict):
            value = value.get("$numberLong")
        if isinstance(value, str) and value.isdigit():
            return datetime.fromtimestamp(int(value) / 1000, UTC)
    return timestamp(value)


def _is_user(response: dict) -> bool:
    return str(response.get("sender")).strip().lower() in _USER_SENDERS


def _shown_branch(responses: list[dict]) -> tuple[list[dict], dict[int, list[dict]], int]:
    """The responses shown, the versions each replaced (by `id()`), and how many others
    lie deeper on branches that were left."""
    if not responses:
        return [], {}, 0
    order = {id(r): position for position, r in enumerate(responses)}

    def when(response: dict) -> tuple[float, int]:
        created = grok_time(response.get("create_time"))
        return (created.timestamp() if created else float("-inf"), order[id(response)])

    by_id = {r["_id"]: r for r in responses if isinstance(r.get("_id"), str)}
    leaf = max(responses, key=when)
    path = chain_to(leaf, id, lambda r: by_id.get(r.get("parent_response_id")))
    if path[0] is not min(responses, key=when):
        return _in_time_order(sorted(responses, key=when))
    replaced: dict[int, list[dict]] = {}
    siblings: dict[object, list[dict]] = {}
    for response in responses:
        siblings.setdefault(response.get("parent_response_id"), []).append(response)
    on_path = {id(r) for r in path}
    kept = set(on_path)
    for response in path:
        others = [
            r
            for r in siblings.get(response.get("parent_response_id"), [])
            if id(r) not in on_path and _is_user(r) == _is_user(response)
        ]
        replaced[id(response)] = sorted(others, key=when)
        kept.update(id(r) for r in others)
    return path, replaced, sum(id(r) not in kept for r in responses)


def _in_time_order(responses: list[dict]) -> tuple[list[dict], dict[int, list[dict]], int]:
    """Responses without the links of a tree: a reply or prompt followed by another of the
    same sender is taken as replaced by it."""
    path: list[dict] = []
    replaced: dict[int, list[dict]] = {}
    for response in responses:
        if path and _is_user(path[-1]) == _is_user(response):
            older = path.pop()
            replaced[id(response)] = [*replaced.pop(id(older), []), older]
        path.append(response)
    return path, replaced, 0


class _Reader:
    """Turns from responses, with the counts of what was left out for the warnings."""

    def __init__(self, assets: AssetLookup | None) -> None:
        self.assets = assets
        self.left_out: Counter[str] = Counter()
        self.cut_off = 0

    def turns(self, response: dict) -> tuple[list[ImportedTurn], ImportedTurn | None]:
        """A response's hidden reasoning turns and the turn it said (None when it said nothing)."""
        user = _is_user(response)
        created = grok_time(response.get("create_time"))
        model = _model(response) if not user else None
        hidden = [
            ImportedTurn(
                Role.REASONING,
                text,
                speaker=f"{SPEAKER} (thinking)",
                created_at=created,
                hidden=True,
            )
            for text in _thinking(response)
        ]
        for field, what in _LEFT_OUT.items():
            if response.get(field):
                self.left_out[what] += _count(response[field])
        if not user and response.get("partial"):
            self.cut_off += 1
        text = self.said(response)
        attachments = self._attachments(response)
        if not text.strip() and not attachments:
            return hidden, None
        said = ImportedTurn(
            Role.USER if user else Role.ASSISTANT,
            text,
            speaker="" if user else SPEAKER,
            model=model,
            created_at=created,
            attachments=attachments,
        )
        return hidden, said

    def said(self, response: dict) -> str:
        """The visible text of a response: its message, then the sources it cited."""
        message = response.get("message") if isinstance(response.get("message"), str) else ""
        message = as_written(message)
        sources = [] if _is_user(response) else _sources(response)
        if not sources:
            return message
        return "\n\n".join(part for part in (message, sources_block(sources)) if part)

    def after(self, response: dict) -> list[ImportedTurn]:
        """The error Grok showed in place of a reply, kept hidden."""
        error = response.get("error")
        if not isinstance(error, str) or not error.strip():
            return []
        created = grok_time(response.get("create_time"))
        return [
            ImportedTurn(
                Role.SYSTEM, error.strip(), speaker="Error", created_at=created, hidden=True
            )
        ]

    def _attachments(self, response: dict) -> list[ImportedAttachment]:
        found = [
            self._upload(asset, _metadata(response, index))
            for index, asset in enumerate(_strings(response.get("file_attachments")))
        ]
        for url in [
            *_strings(response.get("image_attachments")),
            *_strings(response.get("generated_image_urls")),
        ]:
            found.append(ImportedAttachment(url, guess_type(url)))
        return found

    def _upload(self, asset: str, metadata: dict) -> ImportedAttachment:
        """An uploaded file by its asset id, with its bytes when the export holds them."""
        name = _first_string(metadata, "file_name", "fileName", "name") or asset
        mime = _first_string(metadata, "file_mime_type", "fileMimeType", "mime_type", "mimeType")
        found = self.assets.find(asset) if self.assets is not None else None
        if found is None:
            return ImportedAttachment(name, mime or guess_type(name))
        sniffed = found.mime_type if found.mime_type != "application/octet-stream" else ""
        return ImportedAttachment(name, mime or sniffed or guess_type(name), found.data)

    def warnings(self) -> list[str]:
        """What was left out or cut short, said once per kind."""
        said = [
            f"{count} {what}{'s' if count > 1 else ''} of Grok's left out (not displayed by this "
            "importer)"
            for what, count in sorted(self.left_out.items())
        ]
        if self.cut_off:
            said.append(
                f"{self.cut_off} repl{'ies' if self.cut_off > 1 else 'y'} of Grok's "
                f"{'were' if self.cut_off > 1 else 'was'} cut off before finishing"
            )
        return said


def _thinking(response: dict) -> list[str]:
    """The reasoning Grok showed folded: its own trace, then each agent's."""
    traces = [response.get("thinking_trace")]
    for agent in response.get("agent_thinking_traces") or []:
        traces.append(agent.get("thinking_trace") if isinstance(agent, dict) else agent)
    return [as_written(trace) for trace in traces if isinstance(trace, str) and trace.strip()]


def _model(response: dict) -> str | None:
    model = response.get("model")
    metadata = response.get("metadata") if isinstance(response.get("metadata"), dict) else {}
    details = metadata.get("requestModelDetails")
    if not (isinstance(model, str) and model) and isinstance(details, dict):
        model = details.get("modelId")
    return model if isinstance(model, str) and model else None


def _sources(response: dict) -> list[tuple[str, str]]:
    """The pages a reply cited (all it searched when it names none) and the X posts it quoted."""
    results = response.get("cited_web_search_results") or response.get("web_search_results")
    sources: list[tuple[str, str]] = []
    for result in results if isinstance(results, list) else []:
        if not isinstance(result, dict):
            continue
        url = safe_url(result.get("url") or result.get("URL"))
        title = result.get("title") if isinstance(result.get("title"), str) else ""
        if url and all(url != known for _, known in sources):
            sources.append((title.strip() or url, url))
    for post in _strings(response.get("xpost_ids")):
        if post.isdigit():
            sources.append((f"X post {post}", f"https://x.com/i/status/{post}"))
    return sources


def _metadata(response: dict, index: int) -> dict:
    listed = response.get("file_attachments_metadata")
    if isinstance(listed, list) and index < len(listed) and isinstance(listed[index], dict):
        return listed[index]
    return {}


def _strings(value: object) -> list[str]:
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, str) and item]


def _first_string(mapping: dict, *keys: str) -> str:
    return next((mapping[k] for k in keys if isinstance(mapping.get(k), str) and mapping[k]), "")


def _count(value: object) -> int:
    if isinstance(value, list):
        return len(value)
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return 1
        return len(parsed) if isinstance(parsed, list) else 1
    return 1
