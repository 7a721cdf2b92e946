"""Images and files inside content blocks, in the shapes the OpenAI APIs and Codex write them.

Seen: `{"type": "input_image", "image_url": str}` (Responses API, Codex logs),
`{"type": "image_url", "image_url": {"url": str} | str}` (Chat Completions),
`{"type": "input_file", "filename": str, "file_data": str}` and
`{"type": "file", "file": {"filename", "file_data"}}`. A `data:` URL carries the bytes;
any other address only names a file the export does not hold.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
import re
from collections import Counter

from blog.formats.base import ImportedAttachment, ImportedTurn
from blog.formats.blocks import as_written, is_text_block
from blog.vocabulary import Role

FILE_BLOCKS = {"input_image", "image_url", "input_file", "file"}
IMAGE_TOKEN = "<image>"
_MIME = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}")


def place_image_paths(turns: list[ImportedTurn], paths: list[str]) -> None:
    """Multimodal datasets (LLaVA, LLaMA-Factory) list image paths beside the messages, the
    n-th standing for the n-th `<image>` token: each is attached where its token stood, any
    left over with the first prompt. The files themselves are not in the JSON."""
    left = list(reversed(paths))
    for turn in turns:
        pieces = turn.text.split(IMAGE_TOKEN)  # one pass: a file of many tokens stays linear
        taken = min(len(pieces) - 1, len(left))
        if taken:
            kept = "".join(pieces[: taken + 1])
            turn.text = as_written(IMAGE_TOKEN.join([kept, *pieces[taken + 1 :]]))
            turn.attachments += [_named(left.pop()) for _ in range(taken)]
    first = next((turn for turn in turns if turn.role == Role.USER), None)
    if first is not None:
        first.attachments += [_named(path) for path in reversed(left)]


def _named(path: str) -> ImportedAttachment:
    return ImportedAttachment(path, guess_type(path))


def files_of(content: object, unshown: Counter[str]) -> list[ImportedAttachment]:
    """The files a list of blocks carries, counting in `unshown` each block that is
    neither text nor a file."""
    found: list[ImportedAttachment] = []
    for block in content if isinstance(content, list) else []:
        if not isinstance(block, dict) or is_text_block(block):
            continue
        file = block_file(block, len(found) + 1) if block.get("type") in FILE_BLOCKS else None
        if file is None:
            unshown[str(block.get("type"))] += 1
        else:
            found.append(file)
    return found


def block_file(block: dict, number: int) -> ImportedAttachment | None:
    """The file an image or file block carries, or None when it names none."""
    kind = block.get("type")
    if kind in ("input_image", "image_url"):
        spec = block.get("image_url")
        url = spec.get("url") if isinstance(spec, dict) else spec
        return _from_url(url, f"image-{number}") if isinstance(url, str) and url else None
    if kind in ("input_file", "file"):
        spec = block.get("file") if isinstance(block.get("file"), dict) else block
        name = spec.get("filename") if isinstance(spec.get("filename"), str) else ""
        for key in ("file_data", "file_url", "file_id"):
            if isinstance(spec.get(key), str) and spec[key]:
                return _from_url(spec[key], name or f"file-{number}", keep_name=bool(name))
    return None


def _from_url(url: str, stem: str, keep_name: bool = False) -> ImportedAttachment:
    if not url.startswith("data:"):
        name = stem if keep_name else url
        return ImportedAttachment(name, guess_type(name))
    header, _, payload = url.partition(",")
    declared = header[5:].split(";")[0].strip().lower()
    mime = declared if _MIME.fullmatch(declared) else "application/octet-stream"
    try:
        data = base64.b64decode(payload, validate=True) if ";base64" in header else None
    except binascii.Error:
        data = None  # named all the same, as a file the export did not hold whole
    name = stem if keep_name else stem + (mimetypes.guess_extension(mime) or "")
    return ImportedAttachment(name, mime, data)


def guess_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"
