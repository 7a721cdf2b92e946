"""Codex CLI session logs: `~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl`, one entry a line.

Current logs start with a `session_meta` entry, then `response_item` entries whose
`payload.type` is `message` (role user / assistant / developer, content blocks
`input_text` / `output_text`), `reasoning` (a `summary` list of `summary_text`),
`function_call` (name, JSON `arguments`, `call_id`) or `function_call_output`. The
`event_msg` entries repeat what the items already say and are not read again, except
errors, said only there; a `compacted` entry holds the summary that replaced the turns
before it (a hidden turn). Older logs start with a header object (`id`, `timestamp`,
`instructions`) and put the items at the top level, without `payload`. Images in a message
are kept (`input_image`); an item or block of a kind with no rule here is named in a warning.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator

from blog.formats.base import ImportedConversation, ImportedTurn, ImportFormatError
from blog.formats.block_files import files_of
from blog.formats.blocks import (
    append_turn,
    block_text,
    left_out_warnings,
    timestamp,
    tool_call_text,
    tool_result_text,
)
from blog.formats.naming import title_from_turns
from blog.vocabulary import Role

SOURCE_KIND = "codex"
SPEAKER = "Codex"
# Text Codex itself puts in the user's place: the environment and the project's instructions.
_CONTEXT_PREFIXES = ("<environment_context>", "<user_instructions>", "# AGENTS.md")
_CALLS = {"function_call", "custom_tool_call", "local_shell_call", "web_search_call"}
_OUTPUTS = {"function_call_output", "custom_tool_call_output"}
_ERRORS = {"error", "stream_error"}
# Items with nothing for a reader: Codex's own snapshots of the working tree.
_INTERNAL = {"ghost_snapshot"}


def parse_codex(items: Iterable[object]) -> Iterator[ImportedConversation]:
    """The session a Codex log holds, as one conversation."""
    session: dict = {}
    model: str | None = None
    turns: list[ImportedTurn] = []
    unshown: Counter[str] = Counter()
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise ImportFormatError("each line must be a JSON object", f"line {number}")
        kind = item.get("type")
        payload = item.get("payload") if isinstance(item.get("payload"), dict) else None
        if kind == "session_meta" and payload is not None:
            session = payload
        elif kind == "turn_context" and payload is not None:
            model = model or (
                payload.get("model") if isinstance(payload.get("model"), str) else None
            )
        elif kind == "response_item" and payload is not None:
            _add(turns, payload, timestamp(item.get("timestamp")), model, unshown)
        elif kind == "compacted" and payload is not None:
            # The summary Codex wrote in place of the earlier turns: the model's, not a prompt.
            summary = payload.get("message") if isinstance(payload.get("message"), str) else ""
            created = timestamp(item.get("timestamp"))
            append_turn(
                turns, Role.SYSTEM, summary, "Codex (context compacted)", created, hidden=True
            )
        elif kind == "event_msg" and payload is not None and payload.get("type") in _ERRORS:
            # An error is said only here, not in the items.
            message = payload.get("message") if isinstance(payload.get("message"), str) else ""
            created = timestamp(item.get("timestamp"))
            append_turn(turns, Role.SYSTEM, message, "Error", created, hidden=True)
        elif number == 1 and "instructions" in item and "id" in item:
            session = item  # the header of an older log
        elif payload is None and kind in {"message", "reasoning"} | _CALLS | _OUTPUTS:
            _add(turns, item, timestamp(item.get("timestamp")), model, unshown)
    if not turns:
        return
    for turn in turns:
        if turn.role == Role.ASSISTANT and not turn.model:
            turn.model = model
    session_id = session.get("id")
    yield ImportedConversation(
        title=title_from_turns([t for t in turns if not t.hidden]),
        turns=turns,
        source_kind=SOURCE_KIND,
        source_id=str(session_id) if session_id else None,
        created_at=timestamp(session.get("timestamp")) or turns[0].created_at,
        updated_at=turns[-1].created_at,
        model=model,
        warnings=left_out_warnings(unshown),
    )


def _add(
    turns: list[ImportedTurn], item: dict, created, model: str | None, unshown: Counter[str]
) -> None:
    kind = item.get("type")
    if kind == "message":
        text = block_text(item.get("content")).strip("\n")
        files = files_of(item.get("content"), unshown)
        role = item.get("role")
        if role == "assistant":
            append_turn(
                turns, Role.ASSISTANT, text, SPEAKER, created, model=model, attachments=files
            )
        elif role == "user" and not text.lstrip().startswith(_CONTEXT_PREFIXES):
            append_turn(turns, Role.USER, text, "", created, attachments=files)
        else:
            append_turn(
                turns, Role.SYSTEM, text, "Codex context", created, hidden=True, attachments=files
            )
    elif kind == "reasoning":
        text = block_text(item.get("summary")) or block_text(item.get("content"))
        append_turn(turns, Role.REASONING, text, f"{SPEAKER} (reasoning)", created, hidden=True)
    elif kind in _CALLS:
        name = str(item.get("name") or kind.removesuffix("_call"))
        arguments = item.get("arguments", item.get("input", item.get("action")))
        append_turn(
            turns,
            Role.TOOL,
            tool_call_text(name, arguments),
            f"Tool call ({name})",
            created,
            hidden=True,
        )
    elif kind in _OUTPUTS:
        output = item.get("output")
        append_turn(turns, Role.TOOL, _output_text(output), "Tool result", created, hidden=True)
    elif kind not in _INTERNAL:
        unshown[str(kind)] += 1


def _output_text(output: object) -> str:
    """A call's output: plain text, or the `output` of the JSON Codex wraps it in."""
    if isinstance(output, str):
        try:
            wrapped = json.loads(output)
        except ValueError:
            return output
        if isinstance(wrapped, dict) and isinstance(wrapped.get("output"), str):
            return wrapped["output"]
        return output
    if isinstance(output, dict) and "content" in output:
        return tool_result_text(output["content"])
    return tool_result_text(output)
