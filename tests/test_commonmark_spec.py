"""The CommonMark 0.31.2 and GFM extension examples through the full pipeline (render + sanitise).

Both sides are reduced to their structure: elements, text with whitespace collapsed, link hrefs
and image srcs. What we change on purpose is normalised out, each for a stated reason:
- raw HTML is shown as text (so examples that hold raw HTML tags are left out, as are the
  "Raw HTML" and "HTML blocks" sections);
- code blocks carry Pygments' highlighting wrappers, classes and a language label;
- images hosted elsewhere become links ("[image: alt]"), so a reader's browser never fetches them;
- links with a scheme outside the sanitiser's allowlist (http, https, mailto) lose their href,
  and fragment links point at the `user-content-` ids the sanitiser gives content.
The GFM autolink extension is on, so the CommonMark examples showing bare URLs and addresses as
text (and `<https://a b>`, where GFM links the URL inside) differ: that is the GFM behaviour.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

from blog.allowlist import CONTENT_ID_PREFIX, URL_SCHEMES
from blog.markdown import render_markdown

SPEC = Path(__file__).parent / "fixtures" / "markdown-spec"
RAW_HTML_SECTIONS = {"Raw HTML", "HTML blocks"}
# An HTML tag, comment, processing instruction or declaration: not an autolink like <https://…>.
RAW_HTML = re.compile(r"<(?:/?[A-Za-z][A-Za-z0-9-]*(?:[\s/>]|$)|!--|\?|![A-Z]|!\[CDATA\[)")
TRANSPARENT = {"div", "span"}  # highlighting and maths wrappers only; the spec emits neither
URL_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]{1,31}):")
VOID = {"br", "hr", "img", "input"}


class Structure(HTMLParser):
    """Elements with their meaningful attributes, and text with whitespace collapsed."""

    def __init__(self, *, expected: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.expected = expected
        self.items: list[tuple] = []
        self.text = ""
        self.links = 0

    def flush(self) -> None:
        text = " ".join(self.text.split())
        if text:
            self.items.append(("text", text))
        self.text = ""

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in TRANSPARENT:
            return
        tag = "del" if tag == "s" else tag  # both strike text through
        if tag == "img" and self.expected and not (attributes.get("src") or "").startswith("/"):
            alt = f"[image: {attributes.get('alt') or 'image'}]"
            if self.links:  # inside a link it is only its label: links do not nest
                self.handle_data(alt)
                return
            self.handle_starttag("a", [("href", attributes.get("src"))])
            self.handle_data(alt)
            self.handle_endtag("a")
            return
        self.flush()
        self.links += tag == "a"
        kept = {k: attributes.get(k) for k in ("href", "src") if k in attributes}
        if self.expected and "href" in kept and expected_href(kept["href"] or "") is None:
            del kept["href"]
        elif self.expected and "href" in kept:
            kept["href"] = expected_href(kept["href"] or "")
        if tag == "input":
            kept = {"checked": "checked" in attributes}
        self.items.append(("start", tag, tuple(sorted(kept.items()))))
        if tag in VOID:
            self.items.append(("end", tag))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag in TRANSPARENT or tag in VOID:
            return
        tag = "del" if tag == "s" else tag
        self.flush()
        self.links -= tag == "a"
        self.items.append(("end", tag))

    def handle_data(self, data):
        self.text += data


def expected_href(href: str) -> str | None:
    """The href the sanitiser lets through: allowed schemes only, fragments made ours."""
    scheme = URL_SCHEME.match(href)
    if scheme and scheme.group(1).lower() not in URL_SCHEMES:
        return None
    return "#" + CONTENT_ID_PREFIX + href[1:] if href.startswith("#") else href


def structure(fragment: str, *, expected: bool) -> list[tuple]:
    parser = Structure(expected=expected)
    parser.feed(fragment)
    parser.close()
    parser.flush()
    return parser.items


def examples(name: str) -> list[dict]:
    chosen = []
    for example in json.loads((SPEC / name).read_text(encoding="utf-8")):
        if example["section"] in RAW_HTML_SECTIONS or RAW_HTML.search(example["markdown"]):
            continue
        chosen.append(example)
    return chosen


def failures(chosen: list[dict]) -> list[int]:
    return [
        example["example"]
        for example in chosen
        if structure(render_markdown(example["markdown"]), expected=False)
        != structure(example["html"], expected=True)
    ]


def test_commonmark_examples_match_the_spec():
    chosen = examples("commonmark-spec-0.31.2.json")
    failed = failures(chosen)
    share = 1 - len(failed) / len(chosen)
    message = f"CommonMark 0.31.2: {len(chosen) - len(failed)} of {len(chosen)} examples match ({share:.1%}); differing: {failed}"
    print(message)
    assert len(chosen) > 550
    assert share >= 0.99, message


def test_gfm_extension_examples_match_the_spec():
    chosen = examples("gfm-extensions-0.29.json")
    failed = failures(chosen)
    message = f"GFM extensions: {len(chosen) - len(failed)} of {len(chosen)} examples match; differing: {failed}"
    print(message)
    assert len(chosen) == 22
    assert len(chosen) - len(failed) >= 20, message
