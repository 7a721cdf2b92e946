"""`chat.html` from a ChatGPT export: the conversations and asset names its scripts embed."""

from __future__ import annotations

import json
import re
from html import unescape as html_unescape

import re2

from blog.formats.base import ImportFormatError

_JSON_DATA = re.compile(r"\bvar\s+jsonData\s*=\s*")
_ASSETS_JSON = re.compile(r"\bvar\s+assetsJson\s*=\s*")
# RE2: on a long unquoted run Python's backtracking retried the key at every offset.
_LOOSE_PAIR = re2.compile(
    r"""(?:"([^"]*)"|'([^']*)'|([A-Za-z_$][\w$]*))\s*:\s*(?:"([^"]*)"|'([^']*)')"""
)


def extract_chat_html(html: str, where: str = "chat.html") -> tuple[list, dict[str, str]]:
    """The conversations (`var jsonData`) and asset names (`var assetsJson`) in a `chat.html`."""
    match = _JSON_DATA.search(html)
    if match is None:
        raise ImportFormatError("this chat.html has no conversation data (var jsonData)", where)
    try:
        data, _ = json.JSONDecoder().raw_decode(html, match.end())
    except ValueError as exc:
        raise ImportFormatError(f"its conversation data is not valid JSON ({exc})", where) from exc
    except RecursionError as exc:
        raise ImportFormatError("its conversation data is nested too deeply", where) from exc
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise ImportFormatError("its conversation data is not a list of conversations", where)
    return _unescaped(data), _asset_names(html)


def _unescaped(value: object) -> object:
    """`chat.html` stores every string HTML-escaped (`&quot;`, `&#x27;`, `&lt;`): decoded once."""
    stack: list[object] = [value]
    while stack:
        current = stack.pop()
        pairs = current.items() if isinstance(current, dict) else enumerate(current)  # type: ignore[arg-type]
        for key, item in list(pairs):
            if isinstance(item, str):
                if "&" in item:
                    current[key] = html_unescape(item)  # type: ignore[index]
            elif isinstance(item, dict | list):
                stack.append(item)
    return value


def _asset_names(html: str) -> dict[str, str]:
    """`assetsJson`, which has been seen as a JS object literal rather than strict JSON."""
    match = _ASSETS_JSON.search(html)
    if match is None:
        return {}
    try:
        value, _ = json.JSONDecoder().raw_decode(html, match.end())
    except (ValueError, RecursionError):
        end = html.find("}", match.end())
        literal = html[match.end() : end if end >= 0 else len(html)]
        return {k1 or k2 or k3: v1 or v2 for k1, k2, k3, v1, v2 in _LOOSE_PAIR.findall(literal)}
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}
