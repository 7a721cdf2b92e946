"""Reading a zip's members: which hold conversations, and why each of the others was skipped.

An export is read by its `conversations.json` files (ChatGPT, Claude), its
`prod-grok-backend.json` (Grok, with the uploads beside it) or its `chat.html`
(ChatGPT saved as a page); any other zip member by member, each sniffed like an upload of
its own, one nested zip deep; a Claude Code session with the logs of its sub-agents beside
it is read with them. A member left out is listed in the run's notes with the reason, so the
person importing sees what was not read and why.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Iterator
from functools import partial
from pathlib import PurePosixPath
from typing import BinaryIO, Protocol

from blog.formats.archive import AssetLookup, SafeZip
from blog.formats.base import (
    ACCOUNT_DATA,
    ImportedConversation,
    ImportFormatError,
    NotAConversationFile,
)
from blog.formats.chatgpt.conversations import extract_chat_html
from blog.formats.claude.code import SubAgentRun, parse_claude_code
from blog.formats.claude.code_project import (
    READ_WITH_SESSION,
    AgentMeta,
    Layout,
    Session,
    sub_agent_run,
)
from blog.formats.google.gemini_activity import EXPORT_FILES as GEMINI_FILES
from blog.formats.google.gemini_html import parse_gemini_html
from blog.formats.grok import ASSET_FOLDER, EXPORT_FILE
from blog.formats.limits import ImportLimits
from blog.formats.sniff import (
    HEAD_BYTES,
    JSON_FORMATS,
    JSON_SUFFIXES,
    LONG_HEAD_BYTES,
    Sniffed,
    is_account_file,
    sniff,
)


class FileReader(Protocol):
    """What a zip walk needs from the reader that sent it (`detect.Reader`): its dispatch,
    limits and notes. Named here so that this module never imports `detect`, which imports it.
    """

    limits: ImportLimits
    notes: list[str]

    def guard(
        self, conversations: Iterator[ImportedConversation], where: str
    ) -> Iterator[ImportedConversation]: ...

    def decode(self, data: bytes, where: str) -> str: ...

    def parser(
        self, fmt: str, assets: AssetLookup | None, skipped: list[str] | None = None
    ) -> Callable[[Iterable[object]], Iterator[ImportedConversation]]: ...

    def read_json(
        self,
        stream: BinaryIO,
        sniffed: Sniffed,
        where: str,
        assets: AssetLookup | None = None,
        *,
        max_bytes: int,
        parse: Callable[[Iterable[object]], Iterator[ImportedConversation]] | None = None,
    ) -> Iterator[ImportedConversation]: ...

    def read_text(
        self, text: str, fmt: str, filename: str, where: str
    ) -> Iterator[ImportedConversation]: ...


_TEXT_SUFFIXES = {".md", ".markdown", ".txt", ".text"}


class ZipWalk:
    """One archive read for a FileReader, whose dispatch, limits and notes it shares."""

    def __init__(self, reader: FileReader, archive: SafeZip) -> None:
        self.reader = reader
        self.archive = archive

    def conversations(self) -> Iterator[ImportedConversation]:
        """Every conversation in the archive; ImportFormatError when it holds none."""
        conversation_files = self.archive.conversation_files()
        chat_html = self.archive.find_file("chat.html")
        grok_export = self.archive.find_file(EXPORT_FILE)
        gemini_activity = self._gemini_activity()
        if conversation_files:
            yield from self._read_export(conversation_files)
        elif grok_export is not None:
            yield from self._read_export([grok_export], self._grok_assets())
        elif gemini_activity is not None and gemini_activity.lower().endswith(".html"):
            where = self.archive.describe(gemini_activity)
            text = self.reader.decode(self.archive.read(gemini_activity), where)
            assets = self._gemini_assets(gemini_activity)
            yield from self.reader.guard(parse_gemini_html(text, assets), where)
        elif gemini_activity is not None:
            yield from self._read_export([gemini_activity], self._gemini_assets(gemini_activity))
        elif chat_html is not None:
            yield from self._read_chat_html(chat_html)
        else:
            found = yield from self._read_loose_files()
            if not found:
                raise ImportFormatError(
                    "no conversations found in this zip: expected a ChatGPT or Claude export "
                    "(conversations.json) or Markdown / JSON conversation files",
                    self.archive.where,
                )

    def _read_export(
        self, conversation_files: list[str], assets: AssetLookup | None = None
    ) -> Iterator[ImportedConversation]:
        """An export's conversation files, whose messages may point at the images beside them."""
        assets = assets or self.archive.assets()
        for name in conversation_files:
            yield from self._read_member(name, assets)
        self._note_account_files()

    def _grok_assets(self) -> AssetLookup:
        """Grok's uploads, each kept as `prod-mc-asset-server/<asset id>/content`."""
        named: dict[str, str] = {}
        for name in self.archive.names():
            parts = PurePosixPath(name).parts
            if len(parts) >= 3 and parts[-3] == ASSET_FOLDER and parts[-1] == "content":
                named[parts[-2]] = name
        return self.archive.assets(named)

    def _gemini_activity(self) -> str | None:
        """Google Takeout's Gemini activity (`My Activity/Gemini Apps/MyActivity.json`)."""
        found = [
            name
            for name in self.archive.names()
            if PurePosixPath(name).name.lower() in GEMINI_FILES and "gemini" in name.lower()
        ]
        # The JSON, when Takeout wrote both: its times need no reading of a language.
        return (
            min(found, key=lambda name: (name.endswith(".html"), name.count("/")))
            if found
            else None
        )

    def _gemini_assets(self, activity: str) -> AssetLookup:
        """The files beside the activity, by the names its records give them."""
        folder = PurePosixPath(activity).parent
        named = {
            PurePosixPath(name).name: name
            for name in self.archive.names()
            if PurePosixPath(name).parent == folder and name != activity
        }
        return self.archive.assets(named)

    def _read_chat_html(self, name: str) -> Iterator[ImportedConversation]:
        """A ChatGPT export saved as a page: the conversations are JSON inside the HTML."""
        where = self.archive.describe(name)
        text = self.reader.decode(self.archive.read(name), where)
        data, asset_names = extract_chat_html(text, where)
        parse = self.reader.parser("chatgpt", self.archive.assets(asset_names))
        yield from self.reader.guard(parse(data), where)
        self._note_account_files()

    def _read_loose_files(self) -> Generator[ImportedConversation, None, bool]:
        """Each member that could hold conversations, read on its own; whether any did."""
        found = False
        projects = Layout.of(self.archive.names())
        for name in self.archive.names():
            session = projects.sessions.get(name)
            if session is not None and session.agents:
                found = (yield from self._read_session(session)) or found
            elif name in projects.beside:
                if projects.beside[name] != READ_WITH_SESSION:
                    self._skip(name, projects.beside[name])
            elif is_account_file(name):
                self._skip(name, ACCOUNT_DATA)
            elif _worth_reading(name):
                found = (yield from self._read_loose_file(name)) or found
            else:
                self._skip(name, "not a conversation file")
        return found

    def _read_loose_file(
        self,
        name: str,
        parse: Callable[[Iterable[object]], Iterator[ImportedConversation]] | None = None,
    ) -> Generator[ImportedConversation, None, bool]:
        """One member's conversations, or a note saying why it gave none; whether it gave any."""
        yielded = 0
        try:
            for conversation in self._read_member(name, None, parse):
                yielded += 1
                yield conversation
        except NotAConversationFile as skipped:
            self._skip(name, skipped.reason)
            return False
        if not yielded:
            self._skip(name, "no conversations in it")
        return yielded > 0

    def _read_session(self, session: Session) -> Generator[ImportedConversation, None, bool]:
        """A Claude Code session, each sub-agent's own log folded under the call that started
        it: in the session, or in the log of the sub-agent that started it."""
        metas = {
            agent: AgentMeta.read(
                self.archive.read(meta) if (meta := session.metas.get(agent)) else None
            )
            for agent in session.agents
        }
        runs: dict[str, SubAgentRun] = {}
        # The deepest first, so that each agent's log is read with the runs it started.
        for agent in sorted(session.agents, key=lambda a: -metas[a].depth):
            started = [runs.pop(a) for a in list(runs) if metas[a].parent_agent == agent]
            name = session.agents[agent]
            try:
                parse = partial(parse_claude_code, runs=started)
                for conversation in self._read_member(name, None, parse):
                    runs[agent] = sub_agent_run(agent, conversation, metas[agent])
            except NotAConversationFile as skipped:
                self._skip(name, skipped.reason)
            if agent not in runs:  # its log held nothing: the runs it started stay the session's
                runs.update((run.agent_id, run) for run in started)
        in_order = [runs[agent] for agent in session.agents if agent in runs]
        return (
            yield from self._read_loose_file(
                session.name, partial(parse_claude_code, runs=in_order)
            )
        )

    def _read_member(
        self,
        name: str,
        assets: AssetLookup | None,
        parse: Callable[[Iterable[object]], Iterator[ImportedConversation]] | None = None,
    ) -> Iterator[ImportedConversation]:
        """One member, sniffed like an upload: a nested zip, JSON or text (through `parse`
        when given)."""
        archive, reader = self.archive, self.reader
        where = archive.describe(name)
        with archive.open(name) as entry:
            head = entry.read(HEAD_BYTES)
        if head.startswith(b"PK\x03\x04"):
            yield from reader.guard(ZipWalk(reader, archive.nested(name)).conversations(), where)
            return
        sniffed = sniff(head, where, complete=len(head) < HEAD_BYTES, filename=name)
        if sniffed.format == "json-unknown":
            with archive.open(name) as entry:
                head = entry.read(LONG_HEAD_BYTES)
            sniffed = sniff(
                head, where, complete=len(head) < LONG_HEAD_BYTES, filename=name, final=True
            )
        if sniffed.format == "empty":
            return
        if sniffed.format == "account":
            raise NotAConversationFile(ACCOUNT_DATA, where)
        if sniffed.format in JSON_FORMATS:
            with archive.open(name) as entry:
                conversations = reader.read_json(
                    entry,
                    sniffed,
                    where,
                    assets,
                    max_bytes=reader.limits.max_uncompressed_bytes,
                    parse=parse if sniffed.format == "claude-code" else None,
                )
                yield from reader.guard(conversations, where)
        else:
            text = reader.decode(archive.read(name), where)
            basename = PurePosixPath(name).name
            yield from reader.guard(reader.read_text(text, sniffed.format, basename, where), where)

    def _note_account_files(self) -> None:
        """List the account files that ship beside an export's conversations as skipped."""
        for name in self.archive.names():
            if is_account_file(name):
                self._skip(name, ACCOUNT_DATA)

    def _skip(self, name: str, reason: str) -> None:
        self.reader.notes.append(f"{self.archive.describe(name)}: skipped ({reason})")


def _worth_reading(name: str) -> bool:
    """Whether a file in a zip of exports could hold conversations."""
    path = PurePosixPath(name)
    suffix = path.suffix.lower()
    if suffix == ".csv":  # Copilot's activity files; other tables hold no conversation
        return "copilot" in path.name.lower()
    return suffix in _TEXT_SUFFIXES | JSON_SUFFIXES | {".zip"}
