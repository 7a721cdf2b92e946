"""A reply an export stores as HTML (Gemini's activity in Google Takeout), as Markdown.

Decisions worth knowing:
- Structure is kept where Markdown has it (paragraphs, headings, lists, emphasis, code,
  links, tables, quotes, rules); every other element gives its text only, so no markup from
  the export reaches the page: the Markdown is rendered and sanitised like any turn's.
- Text stays as written: `<` and `&` come back as characters, and a `<` that could open a
  tag is written `&lt;` so that the Markdown reader shows it rather than reads it.
- One pass of the standard library's HTML tokenizer: linear in the size of the reply, with
  no regular expression run over the HTML itself.
- Lists nest to eight levels of indentation, deeper ones sit at the eighth.
- Links keep only http(s) addresses (`blocks.safe_url`); an image is named by its alt text
  and address as a link, never embedded, unless the caller places its file (`local_image`:
  a file the export carries beside the page, shown through the turn's attachments).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser

from blog.formats.blocks import fence, link_label, safe_url

_BLOCKS = {"p", "div", "section", "article", "header", "footer", "figure", "figcaption"}
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_SKIPPED = {"script", "style", "template", "head", "title", "button", "svg"}
_EMPHASIS = {"strong": "**", "b": "**", "em": "*", "i": "*", "s": "~~", "del": "~~"}
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_BLANK_RUNS = re.compile(r"\n{3,}")
_MAX_INDENT = 24


def html_to_markdown(html: str, local_image: Callable[[str], str | None] | None = None) -> str:
    """The Markdown for an HTML fragment, blank-line separated blocks, no trailing space.

    `local_image` gives the Markdown target of an image whose address is no web address (a
    file beside the page), or None to name it only."""
    converter = _Converter(local_image)
    converter.feed(unclosed_tags_escaped(html))
    converter.close()
    return converter.markdown()


def unclosed_tags_escaped(html: str) -> str:
    """The HTML with every `<` that no `>` closes before the next `<` written `&lt;`.

    The standard library's tokenizer looks for the end of an unclosed tag again at every
    later `<` (`<a <a <a …` took 8.7 s for 32 kB); after this pass each tag it sees is closed.
    """
    parts: list[str] = []
    start = 0
    opening = html.find("<")
    while opening != -1:
        following = html.find("<", opening + 1)
        closing = html.find(">", opening + 1, following if following != -1 else len(html))
        if closing == -1:
            parts.append(html[start:opening])
            parts.append("&lt;")
            start = opening + 1
        opening = following
    parts.append(html[start:])
    return "".join(parts)


class _Converter(HTMLParser):
    """Collects Markdown while the tokenizer walks the fragment."""

    def __init__(self, local_image: Callable[[str], str | None] | None = None) -> None:
        super().__init__(convert_charrefs=True)
        self.local_image = local_image
        self.out: list[str] = []
        self.lists: list[list] = []  # per open list: [next number or None, its indent]
        self.skipping = 0
        self.pre: list[str] | None = None
        self.pre_language = ""
        self.links: list[str] = []
        self.link_start: list[int] = []
        self.quote_start: list[int] = []
        self.table: list[list[str]] | None = None
        self.cell: list[str] | None = None
        self.in_code = 0
        self.indent = ""  # where an open list item's content starts

    # Where text goes: a table cell, a code block, or the output.
    def _write(self, text: str) -> None:
        if self.cell is not None:
            self.cell.append(text)
        elif self.pre is not None:
            self.pre.append(text)
        else:
            self.out.append(text)

    def _break(self, blank: bool = True) -> None:
        if self.cell is not None:
            self.cell.append(" ")
            return
        if self.lists:
            # Inside a list item a paragraph goes on the item's next line, not out of the list.
            if self.out and not self.out[-1].endswith((". ", "- ", "\n")):
                self.out.append("\n")
            return
        self.out.append("\n\n" if blank else "\n")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
            return
        if self.skipping:
            return
        attributes = {key: value or "" for key, value in attrs}
        if self.pre is not None:
            if tag == "code" and not self.pre_language:
                self.pre_language = _language(attributes.get("class", ""))
            return
        if tag in _BLOCKS or tag == "blockquote":
            self._break()
            if tag == "blockquote":
                self.quote_start.append(len(self.out))
        elif tag in _HEADINGS:
            self._break()
            self._write("#" * _HEADINGS[tag] + " ")
        elif tag == "br":
            self._write("  \n" if self.cell is None else " ")
        elif tag == "hr":
            self._break()
            self._write("---")
            self._break()
        elif tag in ("ul", "ol"):
            if not self.lists:
                self._break()
            self.lists.append([1 if tag == "ol" else None, self.indent])
        elif tag == "li":
            self._list_item()
        elif tag in _EMPHASIS:
            self._write(_EMPHASIS[tag])
        elif tag == "code":
            self.in_code += 1
            self._write("`")
        elif tag == "pre":
            self._break()
            self.pre = []
            self.pre_language = ""
        elif tag == "a":
            self.links.append(safe_url(attributes.get("href")))
            self.link_start.append(len(self.out))
            self._write("[")
        elif tag == "img":
            self._image(attributes)
        elif tag == "table":
            self._break()
            self.table = []
        elif tag == "tr" and self.table is not None:
            self.table.append([])
        elif tag in ("td", "th") and self.table is not None:
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
            return
        if self.skipping:
            return
        if self.pre is not None:
            if tag == "pre":
                body = "".join(self.pre)
                self.pre = None
                self._write(fence(body, self.pre_language))
                self._break()
            return
        if tag in _BLOCKS or tag in _HEADINGS:
            self._break()
        elif tag == "blockquote":
            start = self.quote_start.pop() if self.quote_start else len(self.out)
            quoted = _BLANK_RUNS.sub("\n\n", "".join(self.out[start:]).strip("\n"))
            del self.out[start:]
            self.out.append("\n".join(f"> {line}".rstrip() for line in quoted.split("\n")))
            self._break()
        elif tag in ("ul", "ol"):
            if self.lists:
                self.indent = self.lists.pop()[1]
            if not self.lists:
                self._break()
        elif tag in _EMPHASIS:
            self._write(_EMPHASIS[tag])
        elif tag == "code":
            self.in_code = max(0, self.in_code - 1)
            self._write("`")
        elif tag == "a" and self.links:
            url = self.links.pop()
            start = self.link_start.pop()
            if url and self.cell is None:
                label = link_label("".join(self.out[start + 1 :])) or url
                del self.out[start:]
                self._write(f"[{label}]({url})")
            elif self.cell is None:
                del self.out[start]
            else:
                self.cell.append(f" ({url})" if url else "")
        elif tag in ("td", "th") and self.cell is not None and self.table:
            self.table[-1].append(" ".join("".join(self.cell).split()).replace("|", "\\|"))
            self.cell = None
        elif tag == "table" and self.table is not None:
            rows = [row for row in self.table if row]
            self.table = None
            self._write(_table(rows))
            self._break()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in ("br", "hr", "img"):
            self.handle_endtag(tag)

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        if self.pre is not None:
            self.pre.append(data)
            return
        text = " ".join(data.split()) if not data.isspace() else " "
        if data[:1].isspace() and not text.startswith(" "):
            text = " " + text
        if data[-1:].isspace() and not text.endswith(" "):
            text += " "
        self._write(text if self.in_code else _TAG_START.sub("&lt;", text))

    def _list_item(self) -> None:
        counter = self.lists[-1] if self.lists else [None, ""]
        if counter[0] is None:
            marker = "- "
        else:
            marker = f"{counter[0]}. "
            counter[0] += 1
        outer = counter[1]
        # Deeper lists stop indenting: a thousand nested lists would write a million spaces.
        self.indent = (outer + " " * len(marker))[:_MAX_INDENT]
        newline = "" if self.out and self.out[-1].endswith("\n") else "\n"
        self._write(newline + outer + marker)

    def _image(self, attributes: dict[str, str]) -> None:
        url = safe_url(attributes.get("src"))
        alt = link_label(attributes.get("alt", "")) or "image"
        target = (
            None if url or self.local_image is None else self.local_image(attributes.get("src", ""))
        )
        if target:
            # Named by its file when it has no alt text, so a missing file's placeholder says which.
            named = link_label(attributes.get("alt", "")) or link_label(attributes["src"].strip())
            self._write(f"![{named}]({target})")
            return
        self._write(f"[{alt}]({url})" if url else f"[{alt}]")

    def markdown(self) -> str:
        """The collected Markdown, each line's trailing spaces kept only as hard breaks."""
        if self.pre is not None:  # a code block never closed
            self.out.append(fence("".join(self.pre), self.pre_language))
        text = "".join(self.out)
        lines = [line if line.endswith("  ") else line.rstrip() for line in text.split("\n")]
        lines = [line.lstrip(" ") if not _is_list_line(line) else line for line in lines]
        return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


def _is_list_line(line: str) -> bool:
    stripped = line.lstrip(" ")
    return stripped.startswith("- ") or bool(re.match(r"\d+\. ", stripped))


def _language(classes: str) -> str:
    for name in classes.split():
        if name.startswith("language-"):
            return name.removeprefix("language-")[:30]
    return ""


def _table(rows: list[list[str]]) -> str:
    if not rows:
        return ""
    width = max(len(row) for row in rows)
    padded = [row + [""] * (width - len(row)) for row in rows]
    lines = ["| " + " | ".join(padded[0]) + " |", "|" + " --- |" * width]
    lines += ["| " + " | ".join(row) + " |" for row in padded[1:]]
    return "\n".join(lines)
