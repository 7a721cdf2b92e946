"""Streaming a JSON upload into the items its parser reads, and JSON errors said plainly.

Uploads can be hundreds of megabytes, so a file is never loaded whole: `ijson` yields one
conversation (or one log line) at a time from where the sniffer found them.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable, Iterator
from typing import BinaryIO

import ijson

from blog.formats.base import ImportFormatError


def json_items(
    stream: BinaryIO, shape: str, fmt: str, where: str, cut_short: list[str]
) -> Iterable[object]:
    """The items a format's parser reads, by where the sniffer found the conversations.

    `shape` is an ijson prefix ("item", "", "conversations.item"), "jsonl" (one per
    line) or "whole" (the entire value is one conversation). A JSON lines file whose
    last line is cut short adds a warning to `cut_short`.
    """
    if shape == "jsonl":
        return _jsonl_items(stream, where, cut_short)
    if shape == "whole":
        return _whole_value(stream, fmt)
    return ijson.items(stream, shape, use_float=True)


def _jsonl_items(stream: BinaryIO, where: str, warnings: list[str]) -> Iterator[object]:
    """Each line's value; a last line cut short (a log still being written) is left out,
    with a warning."""
    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            # Only the last line can lack its newline; a cut can fall inside a character.
            cut = isinstance(exc, UnicodeDecodeError) or exc.msg != "Extra data"
            if cut and not line.endswith(b"\n"):
                warnings.append(
                    f"line {number}, the last, is cut short (the log may still have been "
                    "being written) and was left out"
                )
                return
            if isinstance(exc, UnicodeDecodeError):
                raise ImportFormatError(f"line {number} is not UTF-8 text", where) from exc
            raise ImportFormatError(f"line {number} is not valid JSON ({exc.msg})", where) from exc


def _whole_value(stream: BinaryIO, fmt: str) -> Iterator[object]:
    """The whole JSON value as one conversation: a bare list of messages."""
    for value in ijson.items(stream, "", use_float=True):
        yield {"conversations": value} if fmt == "sharegpt" else value


def is_premature_end(error: ijson.JSONError) -> bool:
    """Whether the parser ran out of bytes: expected in a sniffed head, truncation in a file."""
    return "premature EOF" in str(error)


def json_problem(error: ijson.JSONError) -> str:
    """The parser's complaint as a sentence for the person who uploaded the file."""
    if is_premature_end(error):
        return "the JSON ends too early; the file looks truncated or incomplete"
    lines = _error_lines(error)
    problem = f"the JSON is malformed ({lines[0].strip().rstrip('.')})"
    # The parser quotes the text around the mistake on its second line.
    if len(lines) > 2 and lines[1].strip():
        problem += f' near "{lines[1].strip()[:80]}"'
    return problem


def first_error_line(error: Exception) -> str:
    """The gist of an error whose message runs on over several lines."""
    return _error_lines(error)[0].strip().rstrip(".")


def _error_lines(error: Exception) -> list[str]:
    # A message that arrives as the repr of bytes is decoded before it is split.
    text = str(error)
    if text.startswith(("b'", 'b"')):
        try:
            text = ast.literal_eval(text).decode("utf-8", "replace")
        except (ValueError, SyntaxError, AttributeError):
            text = text[2:]
    return text.splitlines() or ["unknown error"]
