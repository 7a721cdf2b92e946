"""Markdown → sanitised HTML. The only module that imports markdown and the sanitiser; pure."""

from __future__ import annotations

import html
import re
import secrets
import sys
import time
from collections.abc import Callable

import markdown
import nh3
from pygments.formatters import HtmlFormatter

from .mathml import latex_to_mathml

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "li",
    "pre", "code", "span", "div", "table", "thead", "tbody", "tr", "th", "td", "em",
    "strong", "del", "s", "a", "img", "sup", "sub", "dl", "dt", "dd", "kbd", "abbr",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "id"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
    "li": {"id"},
    "sup": {"id"},
    "abbr": {"title"},
    "div": {"class"},
    "span": {"class"},
    "code": {"class"},
    "pre": {"class"},
}
URL_SCHEMES = {"http", "https", "mailto"}
# Content ids and fragment links get this prefix so they can never clobber the page's own.
CONTENT_ID_PREFIX = "user-content-"
CLASS_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,40}$")

FENCE_LINE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
INLINE_CODE = re.compile(r"(`+)(?:.+?)\1", re.S)
DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$", re.S)
# Pandoc's rule: no space after the opening $, none before the closing $, no digit after it.
INLINE_MATH = re.compile(r"(?<![\\$])\$(?![\s$])((?:[^$\n\\]|\\.){1,1000}?)(?<!\s)\$(?!\d)")
DETAILS_OPEN = re.compile(r'^<details(?: class="(reasoning|tool-output|long-turn)")?>\s*$')
SUMMARY_LINE = re.compile(r"^<summary>([^<>]{0,200})</summary>\s*$")
DETAILS_CLOSE = re.compile(r"^</details>\s*$")
LANGUAGE_CODE = re.compile(
    r'<div class="highlight"><pre><span></span><code class="language-([\w+#.-]{1,40})">'
)


class LabelledCodeFormatter(HtmlFormatter):
    """Pygments HTML with the fence's language kept as a class on `<code>`."""

    def __init__(self, lang_str: str = "", **options):
        super().__init__(**options)
        self.lang_str = lang_str

    def _wrap_code(self, inner):
        yield 0, f'<code class="{html.escape(self.lang_str)}">' if self.lang_str else "<code>"
        yield from inner
        yield 0, "</code>"


class RenderTimeout(Exception):
    """Rendering ran past its deadline."""


def render_markdown(text: str, *, max_chars: int = 200_000, timeout: float = 1.0) -> str:
    """Render Markdown to sanitised HTML; oversized or too-slow input becomes escaped text."""
    if len(text) > max_chars:
        return escaped_text(text)
    try:
        return _with_deadline(lambda: _render(text), timeout)
    except RenderTimeout:
        return escaped_text(text)


def escaped_text(text: str) -> str:
    """The source shown as plain, escaped text: the safe fallback."""
    return f'<pre class="unrendered">{html.escape(text)}</pre>'


def _with_deadline(work: Callable[[], str], timeout: float) -> str:
    # python-markdown is pure Python and quadratic on some inputs; a per-thread
    # trace function checks the clock at each call and aborts the render. It costs
    # less than a process per turn and works in any worker thread.
    # CPU time of this thread, so a busy server does not turn a long turn into plain text.
    deadline = time.thread_time() + timeout

    def check(frame, event, arg):  # noqa: ARG001 - trace function signature
        if time.thread_time() > deadline:
            raise RenderTimeout
        return None

    previous = sys.gettrace()
    sys.settrace(check)
    try:
        return work()
    finally:
        sys.settrace(previous)


def _render(text: str) -> str:
    token = "mq" + secrets.token_hex(6)
    source, blocks = _protect(text.replace("\r\n", "\n"), token)
    md = markdown.Markdown(  # one instance per call: Markdown objects are not thread-safe
        extensions=["fenced_code", "codehilite", "tables", "sane_lists", "footnotes"],
        extension_configs={
            "codehilite": {
                "css_class": "highlight",
                "guess_lang": False,
                "pygments_formatter": LabelledCodeFormatter,
            }
        },
    )
    # Raw HTML in a turn is shown as text, never interpreted.
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    body = _sanitize(md.convert(source))
    body = LANGUAGE_CODE.sub(
        r'<div class="highlight" data-lang="\1"><pre><span></span><code class="language-\1">', body
    )
    return _restore(_external_images_as_links(body), token, blocks)


IMG_TAG = re.compile(r"<img\s[^>]*>")
ATTRIBUTE = re.compile(r'(\w+)="([^"]*)"')


def _external_images_as_links(body: str) -> str:
    """Images hosted elsewhere become links: a reader's browser never fetches them for us."""

    def replace(m: re.Match[str]) -> str:
        attributes = dict(ATTRIBUTE.findall(m.group(0)))
        src = attributes.get("src", "")
        if src.startswith("/") and not src.startswith("//"):
            return m.group(0)
        alt = attributes.get("alt") or "image"
        if not src:
            return f"[{alt}]"
        return f'<a href="{src}" rel="nofollow noopener noreferrer ugc">[image: {alt}]</a>'

    return IMG_TAG.sub(replace, body)


def _sanitize(fragment: str) -> str:
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener noreferrer ugc",
        attribute_filter=_filter_attribute,
        strip_comments=True,
    )


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "id":
        return value if value.startswith(CONTENT_ID_PREFIX) else CONTENT_ID_PREFIX + value
    if attribute == "href" and value.startswith("#"):
        fragment = value[1:]
        return (
            value if fragment.startswith(CONTENT_ID_PREFIX) else "#" + CONTENT_ID_PREFIX + fragment
        )
    if attribute == "class":
        kept = [c for c in value.split() if CLASS_PATTERN.match(c)]
        return " ".join(kept) or None
    return value


def _protect(text: str, token: str) -> tuple[str, list[str]]:
    """Swap math and the few allowed HTML block lines for placeholders, outside code."""
    blocks: list[str] = []

    def hold(rendered: str) -> str:
        blocks.append(rendered)
        return f"{token}x{len(blocks) - 1}x"

    out: list[str] = []
    prose: list[str] = []
    fence: str | None = None

    def flush() -> None:
        if prose:
            out.append(_protect_prose("\n".join(prose), hold))
            prose.clear()

    for line in text.split("\n"):
        marker = FENCE_LINE.match(line)
        if fence is not None:
            out.append(line)
            if marker and marker.group(1)[0] == fence[0] and len(marker.group(1)) >= len(fence):
                fence = None
            continue
        if marker:
            flush()
            fence = marker.group(1)
            out.append(line)
            continue
        stripped = line.strip()
        if m := DETAILS_OPEN.match(stripped):
            flush()
            css = f' class="{m.group(1)}"' if m.group(1) else ""
            out.extend(["", hold(f"<details{css}>"), ""])
        elif m := SUMMARY_LINE.match(stripped):
            flush()
            out.extend(
                ["", hold(f"<summary>{html.escape(html.unescape(m.group(1)))}</summary>"), ""]
            )
        elif DETAILS_CLOSE.match(stripped):
            flush()
            out.extend(["", hold("</details>"), ""])
        else:
            prose.append(line)
    flush()
    return "\n".join(out), blocks


def _protect_prose(text: str, hold: Callable[[str], str]) -> str:
    # Inline code spans are kept verbatim; math is taken from the text between them.
    pieces: list[str] = []
    last = 0
    for code in INLINE_CODE.finditer(text):
        pieces.append(_protect_math(text[last : code.start()], hold))
        pieces.append(code.group(0))
        last = code.end()
    pieces.append(_protect_math(text[last:], hold))
    return "".join(pieces)


def _protect_math(text: str, hold: Callable[[str], str]) -> str:
    if "$" not in text:
        return text
    text = DISPLAY_MATH.sub(
        lambda m: "\n\n" + hold(latex_to_mathml(m.group(1).strip(), display=True)) + "\n\n", text
    )
    return INLINE_MATH.sub(lambda m: hold(latex_to_mathml(m.group(1), display=False)), text)


def _restore(body: str, token: str, blocks: list[str]) -> str:
    pattern = re.compile(rf"(<p>)?{token}x(\d+)x(</p>)?")

    def put_back(m: re.Match[str]) -> str:
        block = blocks[int(m.group(2))]
        # A placeholder that stood alone in its paragraph was a block of its own.
        if m.group(1) and m.group(3):
            if block.startswith("<math"):
                return f'<div class="math-display">{block}</div>'
            return block
        return (m.group(1) or "") + block + (m.group(3) or "")

    return pattern.sub(put_back, body)
