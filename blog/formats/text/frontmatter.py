"""Front matter of a Markdown post (YAML `---`, TOML `+++` or a JSON object), read leniently.

Odd front matter never fails an import: duplicate keys keep the last value, exporter
placeholders such as `{model_name}` are dropped, and a value that is not a date is
simply not used as one.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import yaml

from blog.formats.blocks import timestamp

_PLACEHOLDER = re.compile(
    r"\{(?:title|date|timestamp|source|model|model_name|create_time|update_time)\}"
)
_LOOSE_PAIR = re.compile(r"^(?P<key>[A-Za-z_][\w-]*)\s*[:=]\s*(?P<value>.*)$")


@dataclass
class FrontMatter:
    """The front matter block as written, and the values read from it."""

    raw: str = ""  # the block exactly as it appears, delimiters and newline included
    values: dict[str, object] = field(default_factory=dict)


def split_front_matter(text: str) -> tuple[FrontMatter, str]:
    """Separate a leading front matter block from the body; text must already use `\\n` newlines."""
    for delimiter in ("---", "+++"):
        if text.startswith(delimiter + "\n"):
            end = _closing_line(text, delimiter)
            if end is not None:
                start_of_body, inner = end
                raw = text[:start_of_body]
                values = _read_yaml(inner) if delimiter == "---" else _read_toml(inner)
                return FrontMatter(raw, values), text[start_of_body:]
    if text.startswith("{"):
        try:
            values, end = json.JSONDecoder().raw_decode(text)
        except ValueError:
            return FrontMatter(), text
        if isinstance(values, dict):
            if text[end : end + 1] == "\n":
                end += 1
            return FrontMatter(text[:end], values), text[end:]
    return FrontMatter(), text


def _closing_line(text: str, delimiter: str) -> tuple[int, str] | None:
    """Where the body starts and the text between the delimiters, or None if never closed."""
    first = len(delimiter) + 1
    match = re.compile(rf"^{re.escape(delimiter)}[ \t]*(?:\n|$)", re.MULTILINE).search(text, first)
    if match is None:
        return None
    return match.end(), text[first : match.start()]


def _read_yaml(inner: str) -> dict[str, object]:
    try:
        # BaseLoader keeps every scalar a string, so dates and numbers are ours to interpret.
        values = yaml.load(inner, Loader=yaml.BaseLoader)  # noqa: S506 - BaseLoader builds no objects
    except yaml.YAMLError:
        return _read_loose(inner)
    return values if isinstance(values, dict) else _read_loose(inner)


def _read_toml(inner: str) -> dict[str, object]:
    try:
        return tomllib.loads(inner)
    except tomllib.TOMLDecodeError:
        return _read_loose(inner)


def _read_loose(inner: str) -> dict[str, object]:
    """Read `key: value` / `key = value` lines when the block is not valid YAML or TOML."""
    values: dict[str, object] = {}
    for line in inner.splitlines():
        match = _LOOSE_PAIR.match(line.strip())
        if match:
            values[match["key"]] = match["value"].strip().strip("'\"")
    return values


def text_value(values: dict[str, object], *keys: str) -> str:
    """The first of `keys` holding usable text, with exporter placeholders removed."""
    for key in keys:
        value = values.get(key)
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int | float | str):
            cleaned = _PLACEHOLDER.sub("", str(value)).strip().rstrip("-_ /").strip()
            if cleaned:
                return cleaned
    return ""


def date_value(values: dict[str, object], *keys: str) -> datetime | None:
    """The first of `keys` holding an ISO 8601 / RFC 3339 date, or None; UTC when no zone is given."""
    for key in keys:
        value = values.get(key)
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day, tzinfo=UTC)
        if isinstance(value, str) and (moment := timestamp(value.strip().strip("'\""))):
            return moment
    return None


def list_value(values: dict[str, object], key: str) -> list[str]:
    """A list of strings from a YAML/TOML list or a comma-separated string."""
    value = values.get(key)
    if isinstance(value, str):
        items: list[object] = value.split(",")
    elif isinstance(value, list):
        items = value
    else:
        return []
    return [
        str(item).strip() for item in items if isinstance(item, str | int) and str(item).strip()
    ]
