"""Citations in a ChatGPT reply: markers turned into links, and the sources they name.

Replies carry their citations two ways: `content_references` (newer exports), which name the
text to replace, and `citations` (older ones), which point at `【7†source】` markers. Markers
are `【】` brackets or private-use characters the chat app draws itself: none may reach a post.
"""

from __future__ import annotations

import re

from blog.formats.blocks import link_label, safe_url

_PRIVATE_SPAN = re.compile("\ue200[^\ue200\ue201]*\ue201")
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")
# Any character the clean-up below would act on: private-use markers or a 【 citation.
_SPECIAL = re.compile("[\ue000-\uf8ff【]")
_BRACKET_MARKER = re.compile(r"【\d+(?::\d+)?(?:†[^【】\n]*)?】")
_WEB_REFERENCES = {"webpage", "webpage_extended", "grouped_webpages"}
Span = tuple[int, int, str]  # start, end, and the text that replaces what lies between


def resolve_references(
    text: str, metadata: dict, sources: list[tuple[str, str]], *, use_offsets: bool = True
) -> str:
    """Replace citation markers with links and strip private-use characters, collecting sources.

    Offsets in `content_references` are trusted only when the text at them still matches
    `matched_text`; otherwise the matched text is searched for instead.
    """
    references = [r for r in metadata.get("content_references") or [] if isinstance(r, dict)]
    plain = text.isascii() or not _SPECIAL.search(text)
    if plain and not references and not metadata.get("citations"):
        return text  # nothing to link, nothing to strip
    spans, searched = _reference_edits(text, references, metadata, sources, use_offsets)
    if not references:
        spans.extend(_citation_spans(text, metadata, sources))
    text = _with_replacements(text, spans)
    for matched, replacement in searched:
        text = text.replace(matched, replacement, 1)
    return _without_markers(text)


def _reference_edits(
    text: str,
    references: list[dict],
    metadata: dict,
    sources: list[tuple[str, str]],
    use_offsets: bool,
) -> tuple[list[Span], list[tuple[str, str]]]:
    """Each reference's replacement: at its offsets when they still hold its matched text,
    else as text to search for. Sources are collected in the order the references name them."""
    spans: list[Span] = []
    searched: list[tuple[str, str]] = []
    for reference in references:
        _collect_sources(reference, metadata, sources)
        if reference.get("type") == "sources_footnote":
            continue
        matched = reference.get("matched_text")
        if not isinstance(matched, str) or not matched:
            continue
        replacement = _reference_replacement(reference)
        offsets = _offsets_of(text, reference, matched) if use_offsets else None
        if offsets is not None:
            spans.append((*offsets, replacement))
        else:
            searched.append((matched, replacement))
    return spans, searched


def _collect_sources(reference: dict, metadata: dict, sources: list[tuple[str, str]]) -> None:
    """The sources a reference lists; a footnote that lists none means the search results."""
    kind = reference.get("type")
    if kind == "sources_footnote":
        for source in reference.get("sources") or []:
            _add_source(sources, source)
        if not reference.get("sources"):
            _add_search_results(sources, metadata)
    elif kind in _WEB_REFERENCES:
        for source in _reference_sources(reference):
            _add_source(sources, source)


def _offsets_of(text: str, reference: dict, matched: str) -> tuple[int, int] | None:
    """The reference's offsets, if the text there is still its matched text (markers aside):
    offsets go stale when the reply was edited or when it is split across several parts."""
    start, end = reference.get("start_idx"), reference.get("end_idx")
    if (
        isinstance(start, int)
        and isinstance(end, int)
        and 0 <= start < end <= len(text)
        and _PRIVATE_USE.sub("", text[start:end]) == _PRIVATE_USE.sub("", matched)
    ):
        return start, end
    return None


def _with_replacements(text: str, spans: list[Span]) -> str:
    """The spans replaced from last to first, so the offsets of those before stay true;
    a parenthesised link needs no space of its own after a space or at the start."""
    for start, end, replacement in _without_overlaps(spans):
        if replacement.startswith(" (") and (start == 0 or text[start - 1].isspace()):
            replacement = replacement[1:]
        text = text[:start] + replacement + text[end:]
    return text


def _without_markers(text: str) -> str:
    """The text with no marker spans, `【】` citations or private-use characters left."""
    text = _PRIVATE_SPAN.sub("", text)
    text = _BRACKET_MARKER.sub("", text)
    return _PRIVATE_USE.sub("", text)


def _citation_spans(text: str, metadata: dict, sources: list[tuple[str, str]]) -> list[Span]:
    """Spans of `【7†source】` markers named by the older `citations` list."""
    spans = []
    for citation in metadata.get("citations") or []:
        if not isinstance(citation, dict):
            continue
        start, end = citation.get("start_ix"), citation.get("end_ix")
        details = citation.get("metadata")
        details = details if isinstance(details, dict) else {}
        url, title = details.get("url"), details.get("title")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
            continue
        if not _BRACKET_MARKER.fullmatch(text[start:end]):
            continue
        link = _link(title, url)
        if link:
            _add_source(sources, details)
        spans.append((start, end, f" ({link})" if link else ""))
    return spans


def _without_overlaps(spans: list[Span]) -> list[Span]:
    """Spans from last to first, dropping any that overlap one already kept."""
    kept: list[Span] = []
    for span in sorted(spans, key=lambda s: (s[0], s[1]), reverse=True):
        if not kept or span[1] <= kept[-1][0]:
            kept.append(span)
    return kept


def _reference_replacement(reference: dict) -> str:
    """What a reference's marker becomes: its links, or nothing for a hidden one."""
    kind = reference.get("type")
    if kind == "hidden":
        return ""
    if kind == "image_v2":
        links = [
            _link(f"Image: {image.get('title') or 'source'}", image.get("url"))
            for image in reference.get("images") or []
            if isinstance(image, dict)
        ]
        links = [link for link in links if link]
        return " ".join(links) + "\n\n" if links else ""
    links = [_link(title, url, short=True) for title, url in _reference_sources(reference)]
    links = [link for link in links if link]
    return f" ({', '.join(links)})" if links else ""


def _reference_sources(reference: dict) -> list[tuple[object, object]]:
    """(title, url) of each page a reference cites: its `items`, else the reference itself."""
    items = reference.get("items")
    if isinstance(items, list) and items:
        return [(i.get("title"), i.get("url")) for i in items if isinstance(i, dict)]
    return [(reference.get("title"), reference.get("url"))]


def _add_source(sources: list[tuple[str, str]], source: object) -> None:
    """Add a (title, url) pair or a dict with both, once per URL, if the URL is http(s)."""
    if isinstance(source, tuple):
        title, url = source
    elif isinstance(source, dict):
        title, url = source.get("title"), source.get("url")
    else:
        return
    url = safe_url(url)
    if url and all(known != url for _, known in sources):
        sources.append((title if isinstance(title, str) and title.strip() else url, url))


def _add_search_results(sources: list[tuple[str, str]], metadata: dict) -> None:
    """Every page the reply's web searches returned."""
    for group in metadata.get("search_result_groups") or []:
        entries = group.get("entries") if isinstance(group, dict) else None
        for entry in entries or []:
            _add_source(sources, entry)


def _link(title: object, url: object, *, short: bool = False) -> str:
    """A Markdown link, labelled with the site's name when short or untitled; "" if unsafe."""
    url = safe_url(url)
    if not url:
        return ""
    if short or not isinstance(title, str) or not title.strip():
        label = re.sub(r"^www\.", "", url.split("/")[2])
    else:
        label = title
    return f"[{link_label(label)}]({url})"
