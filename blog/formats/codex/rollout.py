"""Codex CLI session logs: `~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl`, one entry a line.

Three layouts, read by the same rules (the shapes are Codex's own `RolloutLine`,
`ResponseItem` and `EventMsg`, in `codex-rs/protocol`):
- current: `{timestamp, type, payload}` entries — `session_meta`, `response_item`,
  `event_msg`, `turn_context`, `compacted`;
- 0.3x: the same envelope, without `turn_context`;
- older: a header object (`id`, `timestamp`, `instructions`), then the items at the top
  level (no `payload`) between `{"record_type": "state"}` lines.

Every kind is shown, folded (a hidden turn of its own role) or left out by a named rule;
a kind no rule names is left out with a warning in the import report, never silently.

| Entry / item / event | Rule |
|---|---|
| `session_meta`, old header line | read: the session's id and start time |
| `turn_context` | read: the model |
| `compacted` | folded: the summary that replaced the turns before it (system); its `replacement_history` repeats items already read |
| `record_type: state` (old) | left out: Codex's resume bookmark, no content |
| item `message`, role user | the prompt, when a `user_message` event says the person sent it (or, in logs without those events, unless it opens with a marker of text Codex writes in the user's place: environment, AGENTS.md, `<user_instructions>`, `<skill>`, `<user_shell_command>`, `<turn_aborted>`, the review's `<user_action>` …); otherwise folded as context |
| item `message`, role assistant | the reply; right after a review, Codex's text copy of the findings, folded; in a reviewer's own log (`source: {subagent: review}`) its JSON answer, read as the findings (the JSON folded) |
| item `message`, role developer / system | folded: instructions |
| item `reasoning` | folded: its summary (or raw content) |
| item `function_call`, `custom_tool_call`, `local_shell_call`, `web_search_call`, `tool_search_call` | folded tool call; a patch (`apply_patch`, also run through a shell command) as a `diff` fence, the call's other arguments beside it |
| item `function_call_output`, `custom_tool_call_output`, `tool_search_output` | folded tool result |
| item `ghost_snapshot` | left out: a git snapshot for `/undo`, nothing to read |
| item `compaction` | left out: the summary, encrypted |
| event `entered_review_mode` | the prompt: what `/review` was asked to look at |
| event `exited_review_mode` | the reply: the findings (or a note that the review was cut short) |
| event `turn_aborted` | shown in place: the turn was interrupted (system, not a reply) |
| event `error`, `stream_error`, `warning` | folded: said only here |
| event `thread_rolled_back` | folded: turns dropped from Codex's context |
| event `undo_completed` | folded: the files were restored |
| event `user_message` | read as the mark of a prompt a person sent (above); inside a review, the reviewer's prompt, folded |
| other events repeating the items (`agent_message`, `agent_reasoning`, `exec_command_end` …, the set `_REPEATS`) | left out — except inside a review, whose work only they record: folded there |
| bookkeeping events (`token_count`, `task_started`, `task_complete` …, the set `_BOOKKEEPING`) | left out: no content |

Images in a message are kept (`input_image`); the tags Codex writes around each one
(`<image>`, `<image name=[Image #1]>`, `</image>`, text blocks beside it) are markup for
the model, not typed, so they are left out and the image stands in their place. A post's title comes from the first prompt
a person typed: not a review's target, nor a custom prompt's expansion (a text that opens
with a heading, such as `## User Input`, whose typed arguments title it when nothing else
does).
"""

from __future__ import annotations

import json
import re
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from datetime import datetime

from blog.formats.base import (
    ImportedAttachment,
    ImportedConversation,
    ImportedTurn,
    ImportFormatError,
    version_span,
)
from blog.formats.block_files import files_of
from blog.formats.blocks import (
    append_turn,
    block_text,
    fence,
    left_out_warnings,
    timestamp,
    tool_call_text,
    tool_result_text,
)
from blog.formats.codex.review import (
    review_findings_text,
    review_request_text,
    review_was_typed,
)
from blog.formats.naming import UNTITLED, title_from_turns
from blog.vocabulary import Role
from blog.wording import counted

SOURCE_KIND = "codex"
SPEAKER = "Codex"
# Text Codex itself puts in the user's place (`ContextualUserFragment`s and older markers).
_CONTEXT_PREFIXES = (
    "<environment_context>",
    "<user_instructions>",
    "# AGENTS.md",
    "<INSTRUCTIONS>",
    "<skill>",
    "<user_shell_command>",
    "<turn_aborted>",
    "<subagent_notification>",
    "<user_action>",
)
_CALLS = {
    "function_call",
    "custom_tool_call",
    "local_shell_call",
    "web_search_call",
    "tool_search_call",
}
_OUTPUTS = {"function_call_output", "custom_tool_call_output", "tool_search_output"}
_ITEMS = {"message", "reasoning", "ghost_snapshot", "compaction"} | _CALLS | _OUTPUTS
# Items with nothing for a reader: working-tree snapshots, and encrypted summaries.
_INTERNAL = {"ghost_snapshot", "compaction", "compaction_summary"}
_NOTICES = {"error": "Error", "stream_error": "Error", "warning": "Warning"}
# Events that say again what the items say (the items are read instead).
_REPEATS = {
    "user_message",
    "agent_message",
    "agent_message_delta",
    "agent_reasoning",
    "agent_reasoning_delta",
    "agent_reasoning_raw_content",
    "agent_reasoning_raw_content_delta",
    "agent_reasoning_section_break",
    "exec_command_begin",
    "exec_command_output_delta",
    "exec_command_end",
    "terminal_interaction",
    "patch_apply_begin",
    "patch_apply_end",
    "mcp_tool_call_begin",
    "mcp_tool_call_end",
    "web_search_begin",
    "web_search_end",
    "view_image_tool_call",
    "image_generation_begin",
    "image_generation_end",
    "dynamic_tool_call_request",
    "dynamic_tool_call_response",
    "exec_approval_request",
    "apply_patch_approval_request",
    "request_user_input",
    "elicitation_request",
    "plan_update",
    "turn_diff",
    "item_started",
    "item_completed",
    "raw_response_item",
    "collab_agent_spawn_begin",
    "collab_agent_spawn_end",
    "collab_agent_interaction_begin",
    "collab_agent_interaction_end",
    "collab_waiting_begin",
    "collab_waiting_end",
    "collab_close_begin",
    "collab_close_end",
    "collab_resume_begin",
    "collab_resume_end",
}
# Events with no content: usage, lifecycle, settings, the client's own lists.
_BOOKKEEPING = {
    "token_count",
    "task_started",
    "task_complete",
    "turn_started",
    "turn_complete",
    "context_compacted",
    "session_configured",
    "mcp_startup_update",
    "mcp_startup_complete",
    "mcp_list_tools_response",
    "list_custom_prompts_response",
    "list_skills_response",
    "skills_update_available",
    "get_history_entry_response",
    "background_event",
    "deprecation_notice",
    "undo_started",
    "shutdown_complete",
    "thread_name_updated",
    "thread_goal_updated",
}
_ABORTED = {
    "interrupted": "Interrupted by the user.",
    "replaced": "Stopped: a new request replaced this turn.",
    "review_ended": "Stopped when the review ended.",
}
_PATCH_START, _PATCH_END = "*** Begin Patch", "*** End Patch"
_PATCH_MENTION = "(the patch above)"
_REVIEW_CUT_SHORT = "The review was interrupted before it finished."
_HEADING = re.compile(r"#{1,6}(\s|$)")
# How an expanded template opens: a heading (a custom prompt), or a command tag.
_TEMPLATE = re.compile(r"#{1,6}(\s|$)|<command-")
_INPUT_HEADING = re.compile(r"#{1,6}\s+(user input|input|arguments)\s*$", re.IGNORECASE)
# The text blocks Codex writes around an image it sends: `<image>` (pasted),
# `<image name=[Image #1]>` or `<image name=[Image #1] path="…">` (a local file), `</image>`.
_IMAGE_TAG = re.compile(r"</image>|<image(?: name=\[Image #\d+\][^>\n]*)?>")


# Who wrote the log, by its `originator`: the same core logs for the CLI, the IDE extension
# and the desktop app. A log without one (older ones) is the CLI's; another client is "Codex".
_AGENTS = {
    "": "Codex CLI",
    "codex_cli_rs": "Codex CLI",
    "codex-tui": "Codex CLI",
    "codex_exec": "Codex CLI",
    "codex_vscode": "Codex IDE extension",
    "Codex Desktop": "Codex app",
    "codex_work_desktop": "Codex app",
}


def parse_codex(items: Iterable[object]) -> Iterator[ImportedConversation]:
    """The session a Codex log holds, as one conversation."""
    reader = _Reader()
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise ImportFormatError("each line must be a JSON object", f"line {number}")
        reader.entry(item, number)
    reader.context_left()
    turns = reader.turns
    if not turns:
        return
    for turn in turns:
        if turn.role == Role.ASSISTANT and not turn.model:
            turn.model = reader.model
    session_id = reader.session.get("id")
    yield ImportedConversation(
        title=_title(turns, reader.chosen),
        turns=turns,
        source_kind=SOURCE_KIND,
        source_id=str(session_id) if session_id else None,
        created_at=timestamp(reader.session.get("timestamp")) or turns[0].created_at,
        updated_at=turns[-1].created_at,
        model=reader.model,
        agent=_AGENTS.get(str(reader.session.get("originator") or ""), "Codex"),
        agent_version=version_span(reader.versions),
        warnings=left_out_warnings(reader.unshown) + _unknown_warnings(reader.unknown),
    )


class _Reader:
    """One log read entry by entry, with the little state a review needs."""

    def __init__(self) -> None:
        self.session: dict = {}
        self.model: str | None = None
        self.versions: list[str] = []
        self.turns: list[ImportedTurn] = []
        self.unshown: Counter[str] = Counter()  # items of a kind no rule here reads
        self.unknown: Counter[str] = Counter()  # entries and events no rule here names
        self.in_review = False
        self.review_echo = False  # Codex's text copy of the findings is still to come
        self.chosen: list[ImportedTurn] = []  # review requests picked from a menu, not typed
        self.user_events = False  # whether this log has `user_message` events at all
        # User items no event has confirmed yet (with their place), and by their text.
        self.unconfirmed: dict[int, tuple[ImportedTurn, int]] = {}
        self.by_text: dict[str, deque[int]] = {}
        # Events no item's text matched: [text, place, still unmatched], and by their text.
        self.unmatched: list[list] = []
        self.early: dict[str, deque[list]] = {}

    def entry(self, item: dict, number: int) -> None:
        kind = item.get("type")
        payload = item.get("payload") if isinstance(item.get("payload"), dict) else None
        created = timestamp(item.get("timestamp"))
        if kind == "session_meta" and payload is not None:
            self.session = payload
            # A resumed session logs its meta again, with the version that resumed it.
            if isinstance(payload.get("cli_version"), str):
                self.versions.append(payload["cli_version"])
        elif kind == "turn_context" and payload is not None:
            if not self.model and isinstance(payload.get("model"), str):
                self.model = payload["model"]
        elif kind == "response_item" and payload is not None:
            self.item(payload, created)
        elif kind == "event_msg" and payload is not None:
            self.event(payload, created)
        elif kind == "compacted" and payload is not None:
            # The summary Codex wrote in place of the earlier turns: the model's, not a prompt.
            summary = payload.get("message") if isinstance(payload.get("message"), str) else ""
            self.fold(Role.SYSTEM, summary, "Codex (context compacted)", created)
        elif number == 1 and "instructions" in item and "id" in item:
            self.session = item  # the header of an older log
        elif payload is None and kind in _ITEMS:
            self.item(item, created)
        elif "record_type" in item and kind is None:
            pass  # an older log's resume bookmark
        else:
            self.unknown[str(kind) if kind else "(no type)"] += 1

    def item(self, item: dict, created: datetime | None) -> None:
        kind = item.get("type")
        if kind == "message":
            self.message(item, created)
        elif kind == "reasoning":
            text = block_text(item.get("summary")) or block_text(item.get("content"))
            self.fold(Role.REASONING, text, f"{SPEAKER} (reasoning)", created)
        elif kind in _CALLS:
            name = str(item.get("name") or kind.removesuffix("_call"))
            self.fold(Role.TOOL, _call_text(name, item), f"Tool call ({name})", created)
        elif kind in _OUTPUTS:
            self.fold(Role.TOOL, _output_text(item), "Tool result", created)
        elif kind not in _INTERNAL:
            self.unshown[str(kind)] += 1

    def message(self, item: dict, created: datetime | None) -> None:
        content = _without_image_tags(item.get("content"))
        text = block_text(content).strip("\n")
        files = files_of(content, self.unshown)
        role = item.get("role")
        if role == "user" and text.lstrip().startswith(_CONTEXT_PREFIXES):
            self.fold(Role.SYSTEM, text, "Codex context", created, files)
        elif role == "user":
            # A review's own items are never in this log, so a prompt means it is over.
            self.in_review = self.review_echo = False
            count = len(self.turns)
            append_turn(self.turns, Role.USER, text, "", created, attachments=files)
            if len(self.turns) > count:
                self.sent(self.turns[-1])
        elif role == "assistant" and (findings := self.reviewer_output(text)) is not None:
            # A reviewer's own log (a `/review` sub-agent): its answer is the findings as JSON.
            self.fold(Role.SYSTEM, text, "Codex (review as JSON)", created, files)
            append_turn(self.turns, Role.ASSISTANT, findings, SPEAKER, created, model=self.model)
        elif role == "assistant" and self.review_echo:
            # The findings are the review's reply; this is Codex's copy of them as text.
            self.review_echo = False
            self.fold(Role.SYSTEM, text, "Codex (review as text)", created, files)
        elif role == "assistant":
            append_turn(
                self.turns,
                Role.ASSISTANT,
                text,
                SPEAKER,
                created,
                model=self.model,
                attachments=files,
            )
        else:
            self.fold(Role.SYSTEM, text, "Codex context", created, files)

    def event(self, payload: dict, created: datetime | None) -> None:
        kind = payload.get("type")
        message = payload.get("message") if isinstance(payload.get("message"), str) else ""
        if kind == "entered_review_mode":
            self.in_review = True
            append_turn(self.turns, Role.USER, review_request_text(payload), "", created)
            if not review_was_typed(payload):
                self.chosen.append(self.turns[-1])
        elif kind == "exited_review_mode":
            self.exited_review(payload.get("review_output"), created)
        elif kind == "turn_aborted":
            reason = str(payload.get("reason") or "")
            said = _ABORTED.get(reason, f"Stopped before it finished ({reason or 'no reason'}).")
            append_turn(self.turns, Role.SYSTEM, said, SPEAKER, created)
        elif kind in _NOTICES:
            self.fold(Role.SYSTEM, message, _NOTICES[kind], created)
        elif kind == "thread_rolled_back":
            count = payload.get("num_turns")
            said = f"Codex dropped the last {counted(count, 'turn')} from its context here."
            self.fold(Role.SYSTEM, said, SPEAKER, created)
        elif kind == "undo_completed":
            said = message or "Codex restored the files changed by the last turn (/undo)."
            self.fold(Role.SYSTEM, said, SPEAKER, created)
        elif kind == "user_message" and not self.in_review:
            self.said(message, payload.get("kind"))
        elif self.in_review and kind in {"user_message", "agent_message"}:
            # The reviewer's own items are not in this log; these events are all there is.
            speaker = "Codex (review prompt)" if kind == "user_message" else "Codex (reviewer)"
            self.fold(Role.SYSTEM, message, speaker, created)
        elif self.in_review and kind in {"agent_reasoning", "agent_reasoning_raw_content"}:
            text = payload.get("text") if isinstance(payload.get("text"), str) else ""
            self.fold(Role.REASONING, text, f"{SPEAKER} (reasoning)", created)
        elif kind not in _REPEATS and kind not in _BOOKKEEPING:
            self.unknown[f"event_msg {kind}"] += 1

    def sent(self, prompt: ImportedTurn) -> None:
        """A user item: a prompt once a `user_message` event says the person sent it."""
        said = prompt.text.strip()
        early = self.early.get(said)
        if early:
            early.popleft()[2] = False  # its event came first, and names it
        else:
            self.unconfirmed[id(prompt)] = (prompt, len(self.turns) - 1)
            self.by_text.setdefault(said, deque()).append(id(prompt))

    def said(self, message: str, kind: object) -> None:
        """A `user_message` event: Codex writes one for each input a person sends."""
        said = message.strip()
        if kind not in (None, "plain") or said.startswith(_CONTEXT_PREFIXES):
            return  # an older client's event for its own context ("environment_context")
        self.user_events = True
        waiting = self.by_text.get(said, deque())
        while waiting:
            if self.unconfirmed.pop(waiting.popleft(), None):
                return
        event = [said, len(self.turns), True]
        self.unmatched.append(event)
        self.early.setdefault(said, deque()).append(event)

    def context_left(self) -> None:
        """User items no event confirms are text Codex wrote itself, in a log that has events."""
        if not self.user_events:
            return  # older logs have no such events: only the prefixes tell
        # An event no item's text matched tells the same input in other words (images,
        # tags): it confirms the nearest unconfirmed item before it.
        waiting = deque(self.unconfirmed.values())  # in the order they came
        before: list[ImportedTurn] = []
        for _, at, live in self.unmatched:
            while waiting and waiting[0][1] < at:
                before.append(waiting.popleft()[0])
            if live and before:
                self.unconfirmed.pop(id(before.pop()))
        for turn, _ in self.unconfirmed.values():
            turn.role, turn.hidden, turn.speaker = Role.SYSTEM, True, "Codex context"

    def exited_review(self, output: object, created: datetime | None) -> None:
        self.in_review = False
        self.review_echo = True
        if isinstance(output, dict):
            text = review_findings_text(output, self.cwd)
            append_turn(self.turns, Role.ASSISTANT, text, SPEAKER, created, model=self.model)
        elif not (self.turns and self.turns[-1].role == Role.SYSTEM and not self.turns[-1].hidden):
            append_turn(self.turns, Role.SYSTEM, _REVIEW_CUT_SHORT, SPEAKER, created)

    @property
    def cwd(self) -> str:
        cwd = self.session.get("cwd")
        return cwd if isinstance(cwd, str) else ""

    def reviewer_output(self, text: str) -> str | None:
        """The findings as Markdown, when this is a reviewer's log and `text` its JSON answer."""
        source = self.session.get("source")
        if not isinstance(source, dict) or source.get("subagent") != "review":
            return None
        try:
            output = json.loads(text[text.find("{") : text.rfind("}") + 1])
        except ValueError:
            return None
        if not isinstance(output, dict) or "findings" not in output:
            return None
        return review_findings_text(output, self.cwd)

    def fold(
        self,
        role: str,
        text: str,
        speaker: str,
        created: datetime | None,
        files: list[ImportedAttachment] | None = None,
    ) -> None:
        append_turn(self.turns, role, text, speaker, created, hidden=True, attachments=files)


def _without_image_tags(content: object) -> object:
    """The content less the text blocks that only tag the image block beside them."""
    if not isinstance(content, list):
        return content

    def is_image(at: int) -> bool:
        block = content[at] if 0 <= at < len(content) else None
        return isinstance(block, dict) and block.get("type") == "input_image"

    def is_tag(at: int, block: object) -> bool:
        if not isinstance(block, dict) or block.get("type") != "input_text":
            return False
        text = block.get("text")
        tag = isinstance(text, str) and _IMAGE_TAG.fullmatch(text.strip()) is not None
        return tag and (is_image(at - 1) or is_image(at + 1))

    return [block for at, block in enumerate(content) if not is_tag(at, block)]


def _call_text(name: str, item: dict) -> str:
    """A call as Markdown; a patch in a `diff` fence, so it can be shown as one."""
    arguments = item.get("arguments", item.get("input", item.get("action")))
    if isinstance(arguments, str) and arguments.lstrip().startswith(_PATCH_START):
        return f"`{name}`\n\n{fence(arguments, 'diff')}"  # the freeform tool's `input`
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except ValueError:
            return tool_call_text(name, arguments)
    patch, rest = _patch(arguments)
    if not patch:
        return tool_call_text(name, arguments)
    text = f"`{name}`\n\n{fence(patch, 'diff')}"
    if rest == {"input": _PATCH_MENTION}:
        return text
    # The call's other arguments stay, with the patch named where it was.
    return f"{text}\n\n{fence(json.dumps(rest, ensure_ascii=False, indent=2), 'json')}"


def _patch(arguments: object) -> tuple[str, object]:
    """The patch inside a call's arguments (`input`, or a shell command running
    `apply_patch`), and the arguments with the patch replaced by a mention of it."""
    if not isinstance(arguments, dict):
        return "", arguments
    for key in ("input", "command", "cmd"):
        value = arguments.get(key)
        strings = value if isinstance(value, list) else [value]
        for index, string in enumerate(strings):
            if not isinstance(string, str) or _PATCH_START not in string:
                continue
            start = string.index(_PATCH_START)
            end = string.find(_PATCH_END, start)
            if end < 0 or (key != "input" and "apply_patch" not in " ".join(map(str, strings))):
                continue
            end += len(_PATCH_END)
            mentioned = string[:start] + _PATCH_MENTION + string[end:]
            rest = {**arguments, key: mentioned}
            if isinstance(value, list):
                rest[key] = [*value[:index], mentioned, *value[index + 1 :]]
            return string[start:end], rest
    return "", arguments


def _output_text(item: dict) -> str:
    """A call's output: plain text, or the `output` of the JSON Codex wraps it in."""
    if item.get("type") == "tool_search_output":
        tools = item.get("tools") if isinstance(item.get("tools"), list) else []
        names = [str(t.get("name")) for t in tools if isinstance(t, dict) and t.get("name")]
        return "Tools found: " + ", ".join(names) if names else tool_result_text(tools)
    output = item.get("output")
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


def _title(turns: list[ImportedTurn], chosen: list[ImportedTurn]) -> str:
    """The first prompt a person typed; else a custom prompt's arguments, else its prose."""
    picked = {id(turn) for turn in chosen}
    prompts = [t for t in turns if t.role == Role.USER and not t.hidden and id(t) not in picked]
    typed = [t for t in prompts if not _TEMPLATE.match(t.text.lstrip())]
    typed_in = [ImportedTurn(Role.USER, text) for t in prompts if (text := _arguments(t.text))]
    # A template's headings ("## User Input") name the template, not the conversation.
    prose = [ImportedTurn(Role.USER, "\n".join(_unheaded(t.text))) for t in prompts]
    for candidates in (typed, typed_in, prose, chosen):
        title = title_from_turns(candidates)
        if title != UNTITLED:
            return title
    return UNTITLED


def _unheaded(text: str) -> list[str]:
    return [line for line in text.splitlines() if not _HEADING.match(line.lstrip())]


def _arguments(expansion: str) -> str:
    """What a person typed after a custom prompt's name: the text under its input heading."""
    lines = expansion.splitlines()
    for index, line in enumerate(lines):
        if _INPUT_HEADING.match(line.strip()):
            below: list[str] = []
            for rest in lines[index + 1 :]:
                if _HEADING.match(rest.strip()):
                    break
                below.append(rest)
            body = "\n".join(below).strip()
            fenced = re.match(r"(`{3,}|~{3,})[^\n]*\n(.*?)\n\1", body, re.DOTALL)
            return fenced.group(2).strip() if fenced else body
    return ""


def _unknown_warnings(unknown: dict[str, int]) -> list[str]:
    """The warning for each kind of log entry or event no rule here names, by count."""
    return [
        f"{count} Codex log entr{'ies' if count > 1 else 'y'} of a kind this importer does not "
        f'know ("{kind}") left out'
        for kind, count in sorted(unknown.items())
    ]
