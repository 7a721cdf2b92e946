"""What rendered HTML may hold: the one allowlist every turn, page and formula passes through (nh3).

Rendered Markdown is never trusted as it comes out of the parser: elements, attributes, URL
schemes, classes and styles are kept only when listed here, and the ids and fragment links a
turn writes get a prefix so they can never point at, or replace, the page's own.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

import nh3

from .mathml import PRESENTATION_ATTRIBUTES, PRESENTATION_ELEMENTS

# A code block's language, as a fence names it and as `data-lang` carries it.
LANGUAGE = re.compile(r"^[\w+#.-]{1,40}$")
ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "li",
    "pre", "code", "span", "div", "table", "thead", "tbody", "tr", "th", "td", "em",
    "strong", "del", "s", "a", "img", "sup", "sub", "section", "input", "details", "summary",
} | PRESENTATION_ELEMENTS | {"semantics", "annotation"}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "id"},
    "img": {"src", "alt", "title"},
    "th": {"style"},
    "td": {"style"},
    "ol": {"start"},
    "li": {"id", "class"},
    "ul": {"class"},
    "sup": {"id", "class"},
    "section": {"class"},
    "hr": {"class"},
    "div": {"class", "data-lang"},
    "span": {"class"},
    "code": {"class"},
    "pre": {"class"},
    "details": {"class"},
    "input": {"type", "checked", "disabled", "class"},
} | {name: set(PRESENTATION_ATTRIBUTES) for name in PRESENTATION_ELEMENTS}
# The TeX source travels with each formula (see mathml.with_tex_source).
ALLOWED_ATTRIBUTES["annotation"] = {"encoding"}
URL_SCHEMES = {"http", "https", "mailto"}
# Content ids and fragment links get this prefix so they can never clobber the page's own.
CONTENT_ID_PREFIX = "user-content-"
CLASS_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
ALIGNMENT = re.compile(r"^text-align:(left|right|center)$")


def sanitize(fragment: str) -> str:
    """The fragment with only what is listed here; links get rel=nofollow ugc, ids the content prefix."""
    return _CLEANER.clean(fragment)


def text_of(fragment: str) -> str:
    """The fragment's text alone, every tag dropped (for a one-line excerpt, not for a page).

    Paragraphs, lines and list items are parted by a space, so their words do not run together.
    """
    for ending in ("</p>", "<br>", "</li>"):
        fragment = fragment.replace(ending, ending + " ")
    return html.unescape(nh3.clean(fragment, tags=set(), strip_comments=True))


# The same few (tag, attribute, value) come back again and again, highlighted code's span
# classes above all: the answer is remembered instead of asked of Python every time.
@lru_cache(maxsize=4096)
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
    if attribute == "data-lang":
        return value if LANGUAGE.match(value) else None
    if attribute == "style":
        return value if ALIGNMENT.match(value) else None
    return value


# Built once: nh3.clean would build the same sanitizer on every call, at about 12× the cost.
_CLEANER = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes=URL_SCHEMES,
    link_rel="nofollow noopener noreferrer ugc",
    attribute_filter=_filter_attribute,
    set_tag_attribute_values={"input": {"type": "checkbox", "disabled": ""}},
    strip_comments=True,
)
