"""The pieces of a ChatGPT conversation's visible path gathered into turns.

One reply is often several messages (a tool call, its output, the answer that follows), and a
tool's images belong with the reply after them; the builders here decide which piece joins
which turn, and give each image and uploaded file its attachment.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from urllib.parse import unquote

from blog.formats.archive import AssetLookup, asset_id
from blog.formats.base import ImportedAttachment, ImportedTurn
from blog.formats.blocks import as_written, link_label, missing_files_turn, sources_block
from blog.formats.chatgpt.parts import ImageBlock, Piece
from blog.formats.text.speaker_layout import outside_fences
from blog.vocabulary import Role

# The export says "You" for the person; a reader takes that as themselves, so the person's
# turns carry no label here and are shown under the author's name.
USER_SPEAKER = ""
ASSISTANT_NAME = "ChatGPT"
# A link to a file the model wrote in its sandbox: `[report.csv](sandbox:/mnt/data/report.csv)`.
# The label and path are bounded, and the label holds no bracket, so each "[" is tried over a
# few hundred characters at most: linear time on any text.
_SANDBOX_LINK = re.compile(r"!?\[(?P<label>[^\[\]\n]{0,300})\]\(sandbox:(?P<path>[^()\s]{1,300})\)")


class TurnBuilder:
    """Accumulates the blocks of one turn; images become `attachment:N` placeholders."""

    def __init__(self, role: str, piece: Piece, hidden: bool = False) -> None:
        self.role = role
        self.hidden = hidden
        self.speaker = piece.speaker
        self.model = piece.model
        self.created_at = piece.created_at
        self.blocks: list[str] = []
        self.images: list[ImageBlock] = []
        self.sources: list[tuple[str, str]] = []
        self.files: list[dict] = []
        self.continues = False

    def add(self, piece: Piece) -> None:
        self.model = self.model or piece.model
        self.created_at = self.created_at or piece.created_at
        for block in piece.blocks:
            if isinstance(block, ImageBlock):
                self.blocks.append(f"![{link_label(block.alt)}](attachment:{len(self.images)})")
                self.images.append(block)
                self.continues = False
            elif self.continues and self.blocks:
                self.blocks[-1] += block
                self.continues = False
            else:
                self.blocks.append(block)
        # A reply cut off at the token limit goes on mid-sentence in the next message.
        self.continues = piece.continued
        self.sources.extend(s for s in piece.sources if s not in self.sources)
        self.files.extend(piece.files)

    def build(self, assets: AssetLookup | None) -> ImportedTurn:
        """The turn: its blocks, then the sources its reply cited, with its attachments."""
        blocks = [as_written(block) for block in self.blocks]
        blocks = [block for block in blocks if block]
        if self.sources:
            blocks.append(sources_block(self.sources))
        text = "\n\n".join(blocks)
        if self.role in (Role.USER, Role.ASSISTANT):
            text = sandbox_links_as_text(text)
        return ImportedTurn(
            role=self.role,
            text=text,
            speaker=self._speaker(),
            model=self.model if self.role != Role.USER else None,
            created_at=self.created_at,
            attachments=self._attachments(assets),
            hidden=self.hidden,
        )

    def _attachments(self, assets: AssetLookup | None) -> list[ImportedAttachment]:
        """The images in the turn, then the files uploaded with it that no image already is."""
        attachments = [_attachment(image, assets) for image in self.images]
        if self.files:
            referenced = {asset_id(image.pointer) for image in self.images}
            attachments.extend(
                _uploaded_file(meta, assets)
                for meta in self.files
                if meta.get("id") not in referenced
            )
        return attachments

    def _speaker(self) -> str:
        if self.speaker:
            return self.speaker
        if self.role == Role.USER:
            return USER_SPEAKER
        return f"{ASSISTANT_NAME} ({self.model})" if self.model else ASSISTANT_NAME


class ConversationBuilder:
    """Turns the pieces of the visible path into turns, merging one reply's messages."""

    def __init__(self, assets: AssetLookup | None) -> None:
        self.assets = assets
        self.builders: list[TurnBuilder] = []
        self.open: TurnBuilder | None = None
        self.pending: list[Piece] = []
        self.turn_of_node: dict[str, int] = {}

    def add(self, node_id: str, piece: Piece | None) -> None:
        if piece is None:
            return
        if piece.kind == "tool_images":
            if self.open is not None and self.open.role == Role.ASSISTANT:
                self.open.add(piece)
            else:
                self.pending.append(piece)
            return
        if piece.kind == "hidden":
            self._close()
            self.builders.append(TurnBuilder(piece.role, piece, hidden=True))
            self.builders[-1].add(piece)
            self.turn_of_node[node_id] = len(self.builders) - 1
            if piece.then is not None:
                self.add(node_id, piece.then)
            return
        if piece.kind == Role.USER:
            self._flush_pending()
            self._close()
        if self.open is None or self.open.role != piece.kind:
            self._close()
            self.open = TurnBuilder(piece.kind, piece)
            self.builders.append(self.open)
            for pending in self.pending:
                self.open.add(pending)
            self.pending = []
        self.open.add(piece)
        self.turn_of_node[node_id] = len(self.builders) - 1

    def _close(self) -> None:
        self.open = None

    def _flush_pending(self) -> None:
        """Images a tool made with no reply after them still get a turn of their own."""
        if not self.pending:
            return
        builder = TurnBuilder(Role.ASSISTANT, self.pending[0])
        for piece in self.pending:
            builder.add(piece)
        self.builders.append(builder)
        self.pending = []
        self.open = None

    def finish(self) -> tuple[list[ImportedTurn], dict[str, int]]:
        """The turns, each prompt followed by a folded list of the files it named but the
        export does not hold, and where each node's turn ended up."""
        self._flush_pending()
        turns: list[ImportedTurn] = []
        moved: dict[int, int] = {}
        for index, builder in enumerate(self.builders):
            moved[index] = len(turns)
            turn = builder.build(self.assets)
            turns.append(turn)
            listed = missing_files_turn(turn)
            if listed is not None:
                turns.append(listed)
        return turns, {node: moved[index] for node, index in self.turn_of_node.items()}


def sandbox_links_as_text(text: str) -> str:
    """Links to files in ChatGPT's sandbox as their text, with a note that the file is not in
    the export: the sandbox is gone and the export never holds its files, so the link led
    nowhere (and the allowlist would have dropped its address without a word)."""
    if "](sandbox:" not in text:
        return text
    lines = text.split("\n")
    outside = outside_fences(lines)
    return "\n".join(
        _SANDBOX_LINK.sub(_sandbox_file, line) if out else line
        for line, out in zip(lines, outside, strict=True)
    )


def _sandbox_file(link: re.Match[str]) -> str:
    name = unquote(PurePosixPath(link["path"]).name or link["path"])
    label = link["label"].strip()
    where = "a file in ChatGPT's sandbox, not included in the export"
    if label and name not in label:
        return f"{label} ({name}: {where})"
    return f"{label or name} ({where})"


def _attachment(image: ImageBlock, assets: AssetLookup | None) -> ImportedAttachment:
    """The image's file from the export, or a named stand-in when the export lacks it."""
    asset = assets.find(image.pointer) if assets is not None else None
    if asset is None:
        return ImportedAttachment(
            name=asset_id(image.pointer),
            mime_type="application/octet-stream",
            data=None,
            alt=f"{image.alt} (image not included in the export)",
        )
    return ImportedAttachment(
        name=asset.name, mime_type=asset.mime_type, data=asset.data, alt=image.alt
    )


def _uploaded_file(meta: dict, assets: AssetLookup | None) -> ImportedAttachment:
    """A file uploaded with a prompt, from the export when it is there; the export's own
    type wins unless it only knows the file as octet-stream."""
    name = meta.get("name") if isinstance(meta.get("name"), str) else str(meta.get("id", "file"))
    mime = meta.get("mime_type") if isinstance(meta.get("mime_type"), str) else ""
    file_id = meta.get("id")
    asset = assets.find(file_id) if assets is not None and isinstance(file_id, str) else None
    return ImportedAttachment(
        name=name,
        mime_type=(
            asset.mime_type if asset and asset.mime_type != "application/octet-stream" else mime
        )
        or "application/octet-stream",
        data=asset.data if asset else None,
        alt=name,
    )
