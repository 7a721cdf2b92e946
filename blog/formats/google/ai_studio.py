"""Google AI Studio prompt file (saved in Drive, JSON without an extension).

`{"runSettings": {"model": "models/…"}, "systemInstruction": {"text" | "parts"},
"chunkedPrompt": {"chunks": [...], "pendingInputs": [...]}}`. A chunk is one piece of a
turn, `role` "user" or "model": its `text` (the same text is split in `parts` as it was
streamed), or a file (`driveImage`, `driveDocument`, `driveVideo`, `driveAudio` by Drive
id; `inlineImage`, `inlineFile`, `inlineData` with the bytes; `youtubeVideo`), or code
Gemini ran and its result. Consecutive chunks of one role are one turn. A chunk marked
`isThought` is the model's thinking, kept as a hidden reasoning turn; the pages a reply
was grounded on (`grounding.groundingSources`) end it as its sources. Text typed in the
prompt box but never sent (`pendingInputs`) is not part of the conversation: a warning
says it was left out.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
from collections import Counter
from collections.abc import Iterable, Iterator

from blog.formats.base import (
    ImportedAttachment,
    ImportedConversation,
    ImportedTurn,
    ImportFormatError,
)
from blog.formats.block_files import guess_type
from blog.formats.blocks import (
    as_written,
    fence,
    left_out_warnings,
    safe_url,
    sources_block,
    timestamp,
)
from blog.formats.naming import title_from_turns
from blog.vocabulary import Role

SOURCE_KIND = "ai-studio"
SPEAKER = "Gemini"
_ROLES = {"user": Role.USER, "model": Role.ASSISTANT}
_DRIVE_FILES = {
    "driveImage": "image",
    "driveDocument": "document",
    "driveVideo": "video",
    "driveAudio": "audio",
}
_INLINE_FILES = ("inlineImage", "inlineFile", "inlineData")
# Chunk fields read here, or holding nothing a reader sees (counts, signatures, settings).
_KNOWN_FIELDS = {
    "text", "role", "parts", "isThought", "thinkingBudget", "thoughtSignatures", "tokenCount",
    "createTime", "timestamp", "finishReason", "grounding", "safetyRatings", "id", "isEdited",
    "branchParent", "branchChildren", "errorMessage", "youtubeVideo", "executableCode",
    "codeExecutionResult", "model", *_DRIVE_FILES, *_INLINE_FILES,
}  # fmt: skip
_PART_FIELDS = {"text", "thought", "thoughtSignature", "executableCode", "codeExecutionResult"}


def parse_ai_studio(items: Iterable[object]) -> Iterator[ImportedConversation]:
    """Each Google AI Studio prompt (a file holds one) as a conversation."""
    for index, item in enumerate(items):
        yield _conversation(item, "Google AI Studio prompt" + (f" {index + 1}" if index else ""))


def model_id(value: object) -> str | None:
    """The model's id as AI Studio names it, without the API's `models/` prefix."""
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().removeprefix("models/")


def _conversation(item: object, where: str) -> ImportedConversation:
    prompt = item.get("chunkedPrompt") if isinstance(item, dict) else None
    if not isinstance(prompt, dict) or not isinstance(prompt.get("chunks"), list):
        raise ImportFormatError(
            "a Google AI Studio file needs a 'chunkedPrompt' holding a 'chunks' list", where
        )
    chunks = prompt["chunks"]
    for number, chunk in enumerate(chunks, 1):
        role = chunk.get("role") if isinstance(chunk, dict) else None
        if role not in _ROLES:
            raise ImportFormatError(
                f"chunk {number} has role {role!r}; expected 'user' or 'model'", where
            )
    settings = item.get("runSettings") if isinstance(item.get("runSettings"), dict) else {}
    model = model_id(settings.get("model"))
    builder = _Builder(model)
    system = _instruction_text(item.get("systemInstruction"))
    if system:
        builder.turns.append(
            ImportedTurn(Role.SYSTEM, system, speaker="System instructions", hidden=True)
        )
    start = 0
    for end in range(1, len(chunks) + 1):
        if end == len(chunks) or chunks[end]["role"] != chunks[start]["role"]:
            builder.add_group(chunks[start:end])
            start = end
    times = [t for t in (timestamp(c.get("createTime")) for c in chunks) if t is not None]
    title = next((item[k] for k in ("title", "displayName") if isinstance(item.get(k), str)), "")
    return ImportedConversation(
        title=title.strip() or title_from_turns(builder.turns),
        turns=builder.turns,
        source_kind=SOURCE_KIND,
        created_at=min(times) if times else None,
        updated_at=max(times) if times else None,
        model=model,
        warnings=builder.warnings() + _unsent(prompt.get("pendingInputs")),
    )


def _instruction_text(instruction: object) -> str:
    """The system instructions: `{"text": …}` as AI Studio saves them, or `{"parts": […]}`."""
    if not isinstance(instruction, dict):
        return ""
    if isinstance(instruction.get("text"), str):
        return as_written(instruction["text"])
    parts = instruction.get("parts") if isinstance(instruction.get("parts"), list) else []
    texts = [p["text"] for p in parts if isinstance(p, dict) and isinstance(p.get("text"), str)]
    return "\n\n".join(as_written(t) for t in texts if t.strip())


def _unsent(pending: object) -> list[str]:
    """A warning for text left in the prompt box: typed, never sent, so not imported."""
    texts = [
        p["text"].strip()
        for p in (pending if isinstance(pending, list) else [])
        if isinstance(p, dict) and isinstance(p.get("text"), str) and p["text"].strip()
    ]
    if not texts:
        return []
    shown = " ".join(" / ".join(texts).split())
    shown = shown if len(shown) <= 80 else shown[:79] + "…"
    return [f'text typed in the prompt box but never sent was left out ("{shown}")']


class _Builder:
    """Turns from groups of chunks, with the counts of what was left out."""

    def __init__(self, model: str | None) -> None:
        self.model = model
        self.turns: list[ImportedTurn] = []
        self.unshown: Counter[str] = Counter()
        self.stopped: list[str] = []

    def add_group(self, chunks: list[dict]) -> None:
        """Consecutive chunks of one role: their hidden pieces, then the one turn they say."""
        user = chunks[0]["role"] == "user"
        created = next((t for c in chunks if (t := timestamp(c.get("createTime")))), None)
        hidden: list[tuple[str, str, str]] = []
        texts: list[str] = []
        files: list[ImportedAttachment] = []
        sources: list[tuple[str, str]] = []
        for chunk in chunks:
            self.unshown.update(k for k in chunk if k not in _KNOWN_FIELDS and chunk[k])
            if _is_thought(chunk):
                hidden.append((Role.REASONING, f"{SPEAKER} (thinking)", _chunk_text(chunk, True)))
                continue
            hidden.extend(_code_pieces(chunk))
            for part in chunk.get("parts") or []:
                if isinstance(part, dict):
                    self.unshown.update(k for k in part if k not in _PART_FIELDS and part[k])
                    hidden.extend(_code_pieces(part))
            texts.append(_chunk_text(chunk, False))
            files.extend(_files(chunk, len(files)))
            sources.extend(s for s in _grounding(chunk) if s not in sources)
            if not user:
                self._note_finish(chunk)
            if isinstance(chunk.get("errorMessage"), str) and chunk["errorMessage"].strip():
                hidden.append((Role.SYSTEM, "Error", chunk["errorMessage"].strip()))
        for role, speaker, text in _joined(hidden):
            self.turns.append(
                ImportedTurn(role, text, speaker=speaker, created_at=created, hidden=True)
            )
        text = "\n\n".join(as_written(t) for t in texts if t.strip())
        if sources:
            text = "\n\n".join(p for p in (text, sources_block(sources)) if p)
        if text or files:
            self.turns.append(
                ImportedTurn(
                    Role.USER if user else Role.ASSISTANT,
                    text,
                    speaker="" if user else SPEAKER,
                    model=None if user else self.model,
                    created_at=created,
                    attachments=files,
                )
            )

    def _note_finish(self, chunk: dict) -> None:
        reason = chunk.get("finishReason")
        if isinstance(reason, str) and reason not in ("STOP", "FINISH_REASON_UNSPECIFIED"):
            self.stopped.append(reason)

    def warnings(self) -> list[str]:
        """What was left out or cut short, said once per kind."""
        said = left_out_warnings(dict(self.unshown))
        for reason, count in sorted(Counter(self.stopped).items()):
            said.append(
                f"{count} repl{'ies' if count > 1 else 'y'} of Gemini's stopped before "
                f"finishing (finish reason {reason})"
            )
        return said


def _is_thought(chunk: dict) -> bool:
    if chunk.get("isThought") is True:
        return True
    parts = [p for p in chunk.get("parts") or [] if isinstance(p, dict) and p.get("text")]
    return bool(parts) and all(p.get("thought") is True for p in parts)


def _chunk_text(chunk: dict, thought: bool) -> str:
    """A chunk's text; when it has none, its parts joined as they were streamed."""
    if isinstance(chunk.get("text"), str) and chunk["text"].strip():
        return as_written(chunk["text"])
    parts = [p for p in chunk.get("parts") or [] if isinstance(p, dict)]
    pieces = [
        p["text"]
        for p in parts
        if isinstance(p.get("text"), str) and bool(p.get("thought")) == thought
    ]
    return as_written("".join(pieces))


def _code_pieces(holder: dict) -> list[tuple[str, str, str]]:
    """Code Gemini ran (`executableCode`) and what it printed (`codeExecutionResult`)."""
    pieces: list[tuple[str, str, str]] = []
    code = holder.get("executableCode")
    if isinstance(code, dict) and isinstance(code.get("code"), str) and code["code"].strip():
        language = str(code.get("language") or "").lower().replace("language_unspecified", "")
        pieces.append((Role.CODE, "Code", fence(code["code"], language)))
    result = holder.get("codeExecutionResult")
    if isinstance(result, dict):
        output = result.get("output") if isinstance(result.get("output"), str) else ""
        outcome = result.get("outcome") if isinstance(result.get("outcome"), str) else ""
        if output.strip() or outcome:
            shown = fence(output) if output.strip() else f"({outcome})"
            pieces.append((Role.OUTPUT, "Output", shown))
    return pieces


def _joined(pieces: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Adjacent hidden pieces of the same kind as one turn (thinking streamed in chunks)."""
    joined: list[tuple[str, str, str]] = []
    for role, speaker, text in pieces:
        if not text.strip():
            continue
        if joined and joined[-1][0] == role and role == Role.REASONING:
            joined[-1] = (role, speaker, f"{joined[-1][2]}\n\n{text}")
        else:
            joined.append((role, speaker, text))
    return joined


def _files(chunk: dict, before: int) -> list[ImportedAttachment]:
    """The files a chunk carries: Drive files by id (not in the file), inline ones whole;
    `before` is how many files its turn already has, for the names of unnamed ones."""
    found: list[ImportedAttachment] = []
    for key, kind in _DRIVE_FILES.items():
        spec = chunk.get(key)
        spec = {"id": spec} if isinstance(spec, str) else spec
        if isinstance(spec, dict):
            name = spec.get("name") or spec.get("title") or f"Drive {kind} {spec.get('id') or ''}"
            name = str(name).strip()
            found.append(ImportedAttachment(name, str(spec.get("mimeType") or guess_type(name))))
    for key in _INLINE_FILES:
        spec = chunk.get(key)
        if isinstance(spec, dict):
            found.append(_inline(spec, before + len(found) + 1))
    video = chunk.get("youtubeVideo")
    if isinstance(video, dict) and isinstance(video.get("id"), str):
        found.append(
            ImportedAttachment(f"https://www.youtube.com/watch?v={video['id']}", "video/*")
        )
    return found


def _inline(spec: dict, number: int) -> ImportedAttachment:
    """A file AI Studio saved inside the prompt, as base64."""
    mime = str(spec.get("mimeType") or "application/octet-stream")
    stem = "image" if mime.startswith("image/") else "file"
    unnamed = f"{stem}-{number}{mimetypes.guess_extension(mime) or ''}"
    name = str(spec.get("name") or spec.get("displayName") or unnamed)
    try:
        data = base64.b64decode(str(spec.get("data") or ""), validate=True) or None
    except (binascii.Error, ValueError):
        data = None  # named all the same, as a file the export did not hold whole
    return ImportedAttachment(name, mime, data)


def _grounding(chunk: dict) -> list[tuple[str, str]]:
    """The pages a reply was grounded on: AI Studio's `groundingSources`, or the API's
    `groundingChunks`."""
    grounding = chunk.get("grounding") if isinstance(chunk.get("grounding"), dict) else {}
    listed = [s for s in grounding.get("groundingSources") or [] if isinstance(s, dict)]
    listed += [
        c["web"] for c in grounding.get("groundingChunks") or []
        if isinstance(c, dict) and isinstance(c.get("web"), dict)
    ]  # fmt: skip
    sources: list[tuple[str, str]] = []
    for source in listed:
        url = safe_url(source.get("uri") or source.get("url"))
        title = source.get("title") if isinstance(source.get("title"), str) else ""
        if url and all(url != known for _, known in sources):
            sources.append((title.strip() or url, url))
    return sources
