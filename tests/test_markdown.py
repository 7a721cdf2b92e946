"""The renderer: Markdown features, the sanitiser's allowlist, math, and the time bound."""

from __future__ import annotations

import re
import threading
from html.parser import HTMLParser

import pytest

from blog.markdown import render_markdown

HOSTILE = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<a href="#" onclick="alert(1)">x</a>',
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<div hx-get="/studio/" hx-trigger="load">x</div>',
    '<div data-hx-post="/logout">x</div>',
    '<p style="position:fixed">x</p>',
    "<iframe src=//evil.example></iframe>",
    '![x](x" onerror="alert(1))',
    "<details open ontoggle=alert(1)>",
]


class ElementCollector(HTMLParser):
    """The real elements and attributes a browser would build from the HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def elements_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    collector = ElementCollector()
    collector.feed(html)
    return collector.elements


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_markup_is_inert(source):
    for tag, attrs in elements_of(render_markdown(source)):
        assert tag not in {"script", "svg", "math", "style", "iframe", "object", "embed"}
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert not name.startswith(("hx-", "data-hx-")), (tag, name)
            assert name != "style", tag
            if name in {"href", "src"} and value:
                assert not value.strip().lower().startswith(("javascript:", "data:", "vbscript:"))


def test_script_tag_is_shown_as_text():
    html = render_markdown("Look: <script>alert(1)</script>")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_fenced_code_is_highlighted_and_labelled():
    html = render_markdown("```python\ndef f():\n    return 1\n```")
    assert 'class="highlight" data-lang="python"' in html
    assert '<span class="k">def</span>' in html


def test_tables_lists_and_links():
    html = render_markdown(
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n- one\n- two\n\n[site](https://example.org)"
    )
    assert "<table>" in html and "<td>1</td>" in html
    assert "<li>one</li>" in html
    assert 'href="https://example.org"' in html and 'rel="nofollow noopener noreferrer ugc"' in html


def test_content_ids_are_prefixed():
    html = render_markdown("Text[^1]\n\n[^1]: note")
    ids = re.findall(r'id="([^"]+)"', html)
    assert ids and all(i.startswith("user-content-") for i in ids)
    # Each footnote link points at one of those prefixed ids.
    fragments = re.findall(r'href="#([^"]+)"', html)
    assert len(fragments) == 2 and set(fragments) <= set(ids)


def test_math_becomes_mathml_and_content_math_is_not_passed_through():
    html = render_markdown(r"Euler: $e^{i\pi}+1=0$ and $$\frac{a}{b}$$ but <math><mi>x</mi></math>")
    assert html.count("<math") == 2
    assert "<mfrac>" in html
    assert "&lt;math&gt;" in html


def test_currency_is_not_math():
    assert "<math" not in render_markdown("It costs $5 and $10 today.")


def test_math_inside_code_is_left_alone():
    html = render_markdown("`$x$` and\n\n```\n$$y$$\n```")
    assert "<math" not in html


def test_pathological_input_falls_back_to_escaped_text_quickly():
    html = render_markdown("[" * 20000, timeout=0.5)
    assert html.startswith('<pre class="unrendered">')


def test_oversized_turn_is_shown_escaped():
    html = render_markdown("<b>x</b>" * 100, max_chars=50)
    assert html.startswith('<pre class="unrendered">') and "&lt;b&gt;" in html


def test_rendering_is_correct_under_threads():
    docs = [f"# Title {i}\n\n*item* `{i}`\n\n```python\nx = {i}\n```\n\n$x_{i}$" for i in range(40)]
    expected = [render_markdown(d) for d in docs]
    results: dict[int, str] = {}

    def work(index: int) -> None:
        results[index] = render_markdown(docs[index])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(docs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [results[i] for i in range(len(docs))] == expected


def test_external_images_become_links_and_local_ones_stay():
    html = render_markdown("![chart](https://cdn.example.com/c.png) ![plot](/assets/3/plot.png)")
    assert '<a href="https://cdn.example.com/c.png"' in html and "[image: chart]" in html
    assert ("img", {"src": "/assets/3/plot.png", "alt": "plot"}) in elements_of(html)
