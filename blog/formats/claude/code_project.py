"""A Claude Code project folder in a zip: each session beside the folder of its sub-agents.

`~/.claude/projects/<project>/` holds `<session>.jsonl` and, for a session that started
sub-agents, `<session>/subagents/agent-<id>.jsonl` (at any depth below `subagents/`, e.g.
`workflows/wf_<run>/`) with `agent-<id>.meta.json` beside it (`toolUseId`: the call that
started it; `agentType`). The same folder may hold `tool-results/` (tool output too long to
keep in the log, whose start the log keeps) and workflow bookkeeping. Names only: no I/O.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from blog.formats.base import ImportedConversation
from blog.formats.claude.code_turns import SUB_AGENT_NOTE, SubAgentRun

_AGENT = re.compile(r"agent-([A-Za-z0-9_-]+)\.jsonl")
_META = re.compile(r"agent-([A-Za-z0-9_-]+)\.meta\.json")
BESIDE = "Claude Code's own record beside a session, not a conversation"
READ_WITH_SESSION = "a sub-agent's log, read with its session"
NO_LOG = "a sub-agent's description, whose log is not beside it"
NO_SESSION = "a sub-agent's description, read only with the session that started the agent"


@dataclass
class Session:
    """A session log and the sub-agent logs (with their meta files) under its folder."""

    name: str
    agents: dict[str, str] = field(default_factory=dict)  # agent id -> member name
    metas: dict[str, str] = field(default_factory=dict)  # agent id -> meta file name


@dataclass
class Layout:
    """The sessions of the project folders in an archive, and the members read with them."""

    sessions: dict[str, Session] = field(default_factory=dict)  # by the session log's name
    beside: dict[str, str] = field(default_factory=dict)  # member name -> why it is not read

    @classmethod
    def of(cls, names: list[str]) -> Layout:
        """The layout of these archive members; empty when no session has a folder."""
        layout = cls()
        present = set(names)
        for name in names:
            path = PurePosixPath(name)
            session_dir = _session_folder(path)
            log = f"{session_dir}.jsonl" if session_dir is not None else ""
            if log not in present:
                if "subagents" in path.parts and _META.fullmatch(path.name):
                    layout.beside[name] = NO_SESSION
                continue
            session = layout.sessions.setdefault(log, Session(log))
            if "subagents" in path.relative_to(session_dir).parts and (
                found := _AGENT.fullmatch(path.name)
            ):
                session.agents[found[1]] = name
                layout.beside[name] = READ_WITH_SESSION
            elif found := _META.fullmatch(path.name):
                session.metas[found[1]] = name
                layout.beside[name] = READ_WITH_SESSION
            else:
                layout.beside[name] = BESIDE
        for session in layout.sessions.values():
            for agent_id in session.metas.keys() - session.agents.keys():
                layout.beside[session.metas.pop(agent_id)] = NO_LOG
        return layout


def _session_folder(path: PurePosixPath) -> PurePosixPath | None:
    """The `<session>` folder a member sits in, if it is one (`<session>/subagents/…`,
    `<session>/tool-results/…`, `<session>/workflows/…`)."""
    parts = path.parts
    for depth in range(len(parts) - 1):
        if parts[depth + 1] in ("subagents", "tool-results", "workflows"):
            return PurePosixPath(*parts[: depth + 1])
    return None


@dataclass
class AgentMeta:
    """What `agent-<id>.meta.json` says: the call that started the agent, its type, and the
    agent that started it when it is a sub-agent's sub-agent."""

    tool_use_id: str | None = None
    agent_type: str = ""
    parent_agent: str | None = None
    depth: int = 1

    @classmethod
    def read(cls, data: bytes | None) -> AgentMeta:
        """The meta file's fields; defaults for a file that is missing or not an object."""
        try:
            found = json.loads(data) if data is not None else {}
        except ValueError:
            found = {}
        found = found if isinstance(found, dict) else {}

        def text(key: str) -> str | None:
            return found[key] if isinstance(found.get(key), str) else None

        depth = found.get("spawnDepth")
        return cls(
            text("toolUseId"),
            text("agentType") or "",
            text("parentAgentId"),
            depth if isinstance(depth, int) and not isinstance(depth, bool) else 1,
        )


def sub_agent_run(
    agent_id: str, conversation: ImportedConversation, meta: AgentMeta
) -> SubAgentRun:
    """A sub-agent's conversation and what its meta file says of the call that started it."""
    # The note that the log is a sub-agent's is answered by folding it under its call.
    notes = [w for w in conversation.warnings if not w.startswith(SUB_AGENT_NOTE)]
    return SubAgentRun(
        agent_id,
        conversation.turns,
        tool_use_id=meta.tool_use_id,
        agent_type=meta.agent_type,
        notes=notes,
    )
