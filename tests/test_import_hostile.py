"""Broken and hostile uploads: each is refused with ImportFormatError naming the problem."""

from __future__ import annotations

import io
import json
import os
import stat
import zipfile
from pathlib import Path

import pytest

from blog.formats.base import ImportFormatError
from blog.formats.detect import read_conversations
from blog.formats.limits import ImportLimits

FIXTURE = Path(__file__).parent / "fixtures" / "chatgpt_conversations.json"


def read_all(data: bytes | Path, name: str = "upload", **limits: int) -> list:
    return list(read_conversations(data, name, limits=ImportLimits(**limits)))


def refused(data: bytes | Path, name: str = "upload", **limits: int) -> str:
    with pytest.raises(ImportFormatError) as caught:
        read_all(data, name, **limits)
    return str(caught.value)


def chatgpt_items() -> list[dict]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def zip_with(*entries: tuple[zipfile.ZipInfo | str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in entries:
            archive.writestr(info, data)
    return buffer.getvalue()


def test_truncated_json():
    data = FIXTURE.read_bytes()[:5000]

    message = refused(data, "conversations.json")

    assert "conversations.json" in message
    assert "truncated" in message


def test_malformed_json_says_where():
    data = FIXTURE.read_bytes().replace(b'"title": "Sine wave"', b'"title": Sine wave"', 1)

    message = refused(data, "conversations.json")

    assert "malformed" in message
    assert 'near "' in message
    assert "Sine wave" in message
    assert "before byte" in message


def test_malformed_jsonl_names_the_line():
    line = json.dumps({"messages": [{"role": "user", "content": "hi"}]})
    data = f"{line}\n{line}\n{{not json}}\n".encode()

    assert "line 3" in refused(data, "train.jsonl")


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(64), "PNG image"),
        (b"\xff\xd8\xff\xe0" + bytes(64), "JPEG image"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
        (b"\x1f\x8b\x08\x00" + bytes(16), "gzip"),
        (bytes(range(256)) * 4, "binary"),
        (os.urandom(0) + b"\x00\x01\x02\x03\x04\x05\x06\x07garbage" * 20, "binary"),
    ],
)
def test_wrong_kind_of_file(data, words):
    message = refused(data, "upload.json")

    assert words in message
    assert "not a conversation export" in message or "binary" in message


def test_random_bytes():
    noise = bytes((i * 7919 + 13) % 251 for i in range(4096))

    message = refused(noise, "noise.bin")

    assert "not UTF-8" in message or "binary" in message


def test_non_utf8_text():
    data = "Du said:\nGrüße aus Köln, ça va?\n".encode("latin-1") * 10

    message = refused(data, "notes.md")

    assert "not UTF-8" in message
    assert "notes.md" in message


def test_empty_file():
    assert "empty" in refused(b"  \n", "empty.json")


def test_json_that_is_no_conversation_format():
    message = refused(json.dumps([{"name": "Alice", "email": "a@example.com"}]).encode())

    assert "not a conversation format" in message


def test_mapping_with_a_cycle():
    items = chatgpt_items()
    mapping = items[0]["mapping"]
    mapping["client-created-root"]["parent"] = "n-welcome"
    data = json.dumps(items).encode()

    message = refused(data, "conversations.json")

    assert "loops back" in message
    assert 'conversation 1 ("Capitals")' in message


def test_parent_that_names_a_missing_node():
    items = chatgpt_items()
    items[0]["mapping"]["n-thanks"]["parent"] = "ghost-node"

    message = refused(json.dumps(items).encode(), "conversations.json")

    assert "ghost-node" in message
    assert "n-thanks" in message


def test_mapping_of_the_wrong_type():
    items = chatgpt_items()
    items[0]["mapping"] = ["not", "a", "mapping"]

    assert "mapping" in refused(json.dumps(items).encode())


def test_garbage_inside_messages_does_not_escape_as_another_exception():
    items = chatgpt_items()
    node = items[0]["mapping"]["n-thanks"]
    node["message"]["content"] = {"content_type": "text", "parts": [None, 5, {"x": 1}, "Thanks!"]}
    node["message"]["metadata"] = {"content_references": "nonsense", "citations": [1, 2]}
    items[0]["mapping"]["n-welcome"]["message"]["author"] = None

    (imported, *_) = read_all(json.dumps(items).encode())

    assert imported.turns[2].text == "Thanks!"


def test_file_over_the_size_limit(tmp_path):
    path = tmp_path / "conversations.json"
    path.write_bytes(FIXTURE.read_bytes())

    message = refused(path, max_bytes=1000)

    assert "larger than the limit of 1,000 bytes" in message
    assert "larger" in refused(io.BytesIO(FIXTURE.read_bytes()), max_bytes=1000)  # type: ignore[arg-type]


def test_unseekable_stream_over_the_size_limit():
    class Pipe(io.RawIOBase):
        def __init__(self) -> None:
            self.left = 10_000

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            size = min(len(buffer), self.left)
            buffer[:size] = b" " * size
            self.left -= size
            return size

    assert "larger" in refused(Pipe(), max_bytes=5000)  # type: ignore[arg-type]


def test_zip_entry_with_parent_directory_path():
    data = zip_with(("../../etc/evil.json", b"[]"), ("conversations.json", FIXTURE.read_bytes()))

    message = refused(data, "export.zip")

    assert "../../etc/evil.json" in message
    assert "outside the archive" in message


def test_zip_entry_with_absolute_path():
    data = zip_with(("conversations.json", FIXTURE.read_bytes()))
    # zipfile strips a leading slash when writing, so patch the stored names instead.
    data = data.replace(b"conversations.json", b"/onversations.json")

    assert "outside the archive" in refused(data, "export.zip")


def test_zip_with_a_symlink_entry():
    link = zipfile.ZipInfo("conversations.json")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16

    message = refused(zip_with((link, b"/etc/passwd")), "export.zip")

    assert "symbolic link" in message


def test_encrypted_zip_entry():
    data = bytearray(zip_with(("conversations.json", FIXTURE.read_bytes())))
    # Set the "encrypted" flag bit in the local and central headers.
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        data[at + flag_offset] |= 0x1

    assert "encrypted" in refused(bytes(data), "export.zip")


def test_decompression_bomb_by_ratio():
    bomb = zip_with(("conversations.json", b"[" + b" " * (20 * 1024 * 1024) + b"]"))

    message = refused(bomb, "bomb.zip")

    assert "decompression bomb" in message
    assert len(bomb) < 100_000


def test_decompression_bomb_over_the_uncompressed_limit():
    data = zip_with(("conversations.json", FIXTURE.read_bytes()), ("padding.txt", b"x" * 50_000))

    message = refused(data, "export.zip", max_uncompressed_bytes=40_000)

    assert "more than the limit of 40,000" in message


def test_zip_headers_that_lie_about_sizes_are_caught_while_reading():
    payload = b"[" + b" " * 300_000 + b"]"
    data = bytearray(zip_with(("conversations.json", payload)))
    # Declare a tiny uncompressed size in the central directory; reading tells the truth.
    central = data.find(b"PK\x01\x02")
    data[central + 24 : central + 28] = (10).to_bytes(4, "little")

    message = refused(bytes(data), "liar.zip", max_uncompressed_bytes=100_000)

    assert "liar.zip" in message
    assert "damaged" in message


def test_too_many_zip_entries():
    entries = [(f"notes/{i}.md", b"hi") for i in range(30)]

    message = refused(zip_with(*entries), "many.zip", max_entries=20)

    assert "30 entries" in message


def test_zip_nested_two_levels_deep():
    innermost = zip_with(("a.md", b"# hi\n\n#### You:\nhi\n\n#### ChatGPT:\nhello\n"))
    middle = zip_with(("inner.zip", innermost))
    outer = zip_with(("middle.zip", middle))

    message = refused(outer, "outer.zip")

    assert "nested more than one level" in message


def test_corrupt_zip():
    data = zip_with(("conversations.json", FIXTURE.read_bytes()))

    message = refused(data[: len(data) // 2], "broken.zip")

    assert "broken.zip" in message
    assert "zip" in message


@pytest.mark.parametrize("depth", [65, 100_000])
def test_deeply_nested_json_is_refused_before_parsing(depth):
    data = b"[" * depth + b"]" * depth

    message = refused(data, "deep.json")

    assert "nested deeper than 64 levels" in message


def test_depth_bomb_inside_a_conversation():
    item = chatgpt_items()[0]
    text = json.dumps([item])
    bomb = text.replace(
        '"moderation_results": []', '"moderation_results": ' + "[" * 500 + "]" * 500
    )

    assert "nested deeper" in refused(bomb.encode(), "conversations.json")


def test_brackets_inside_strings_do_not_count_as_nesting():
    items = chatgpt_items()
    items[0]["title"] = "[" * 5000 + '\\"{' * 100
    data = json.dumps(items).encode()

    (first, *_) = read_all(data, "conversations.json")

    assert first.title.startswith("[[[")


def test_custom_depth_limit():
    data = json.dumps([{"conversations": [{"from": "human", "value": "hi"}]}]).encode()

    assert "nested deeper than 3" in refused(data, max_json_depth=3)


def test_missing_file_path(tmp_path):
    assert "cannot open" in refused(tmp_path / "nope.json")
