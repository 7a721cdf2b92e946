"""Bring the math delimiters providers use to one convention: `$…$` inline, `$$…$$` display.

Display math is written with its `$$` delimiters on lines of their own:

    $$
    E = mc^2
    $$

Fenced code blocks and inline code spans are left exactly as they are, and a lone `$`
is only math when it follows the pandoc rule (no space after the opening `$`, none
before the closing `$`, no digit right after it), so prices such as "$5 and $10" stay
plain text.
"""

from __future__ import annotations

import re

_FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)", re.DOTALL)

# Leftmost match wins; `\\` and `\$` are matched first so escaped characters are skipped.
_MATH = re.compile(
    r"(?P<escape>\\[\\$])"
    r"|(?P<lead>[ \t]*)(?:\$\$(?P<dollars>.+?)\$\$|\\\[(?P<brackets>.+?)\\\])[ \t]*"
    r"|\\\((?P<parens>.+?)\\\)"
    r"|(?P<inline>\$(?![\s$])(?:[^$\\\n]|\\.)+?(?<!\s)\$(?!\d))",
    re.DOTALL,
)


def normalize_math(text: str) -> str:
    """Rewrite `\\( \\)`, `\\[ \\]` and `$$…$$` so inline math is `$…$` and display math is `$$…$$` on its own lines."""
    if "$" not in text and "\\" not in text:
        return text
    return "".join(
        chunk if is_code else _normalize_prose(chunk) for is_code, chunk in _split_fences(text)
    )


def _split_fences(text: str) -> list[tuple[bool, str]]:
    """Cut text into (is_code, chunk) pieces so fenced code blocks can be skipped."""
    chunks: list[tuple[bool, str]] = []
    prose: list[str] = []
    code: list[str] = []
    closing: str | None = None
    for line in text.splitlines(keepends=True):
        if closing is None:
            opened = _FENCE_OPEN.match(line)
            if opened:
                if prose:
                    chunks.append((False, "".join(prose)))
                    prose = []
                closing = opened["fence"]
                code = [line]
            else:
                prose.append(line)
            continue
        code.append(line)
        stripped = line.strip()
        if stripped.startswith(closing) and set(stripped) == {closing[0]}:
            chunks.append((True, "".join(code)))
            code, closing = [], None
    if code:  # an unclosed fence runs to the end, as Markdown renders it
        chunks.append((True, "".join(code)))
    if prose:
        chunks.append((False, "".join(prose)))
    return chunks


def _normalize_prose(text: str) -> str:
    """Normalise math in text that holds no fenced code, leaving inline code spans alone."""
    pieces: list[str] = []
    position = 0
    for span in _CODE_SPAN.finditer(text):
        pieces.append(_MATH.sub(_rewrite_math, text[position : span.start()]))
        pieces.append(span.group(0))
        position = span.end()
    pieces.append(_MATH.sub(_rewrite_math, text[position:]))
    return "".join(pieces)


def _rewrite_math(match: re.Match[str]) -> str:
    if match["escape"] or match["inline"]:
        return match.group(0)
    if match["parens"] is not None:
        body = match["parens"].strip()
        if not body or "\n\n" in body:
            return match.group(0)
        return f"${body}$"
    body = match["dollars"] if match["dollars"] is not None else match["brackets"]
    return _display(match, body)


def _display(match: re.Match[str], body: str) -> str:
    """Put display math on lines of its own, keeping the indentation of the line it starts on."""
    if not body.strip():
        return match.group(0)
    source = match.string
    line_start = source.rfind("\n", 0, match.start()) + 1
    starts_line = not source[line_start : match.start()].strip()
    indent = match["lead"] if starts_line else ""
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    block = "\n".join([f"{indent}$$", *(f"{indent}{line}" for line in lines), f"{indent}$$"])
    if not starts_line:
        block = "\n" + block
    line_end = source.find("\n", match.end())
    if source[match.end() : line_end if line_end != -1 else len(source)].strip():
        block += "\n"
    return block
