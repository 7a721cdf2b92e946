"""The renderer: Markdown features, the sanitiser's allowlist, math, and the time bound."""

from __future__ import annotations

import functools
import re
import threading
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blog.allowlist import ALLOWED_ATTRIBUTES, ALLOWED_TAGS
from blog.markdown import (
    auto_title,
    math_spans,
    parsed_with_text,
    plain_text,
    prose_paragraphs,
    render_markdown,
    render_with_text,
    word_count,
)

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
    html = render_markdown("[" * 20000, timeout=0.1)
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


# -- CommonMark structure that python-markdown got wrong ------------------------------------


def tags_of(html: str) -> list[str]:
    return [tag for tag, _ in elements_of(html)]


@pytest.mark.parametrize("indent", [2, 3])
def test_lists_nested_by_two_or_three_spaces_nest(indent):
    pad = " " * indent
    html = render_markdown(f"- one\n{pad}- inner\n{pad}{pad}- deeper\n- two")
    assert tags_of(html) == ["ul", "li", "ul", "li", "ul", "li", "li"]


def test_a_list_right_after_a_paragraph_line_is_a_list():
    html = render_markdown("Steps:\n- first\n- second")
    assert tags_of(html) == ["p", "ul", "li", "li"]


def test_a_reply_cut_off_inside_a_fence_shows_its_code_without_the_fence():
    html = render_markdown("Here is the script:\n\n```python\nimport os\nprint(os.getcwd())")
    assert "```" not in html
    assert re.search(r"<pre><code[^>]*>.*getcwd", html, re.S)


def test_a_four_backtick_fence_holds_a_three_backtick_one():
    html = render_markdown("````markdown\n```python\nx = 1\n```\n````\nafter")
    assert html.count("<pre>") == 1
    assert "```python" in html and "<p>after</p>" in html


# -- maths ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source", ["It costs $5 and $10 today.", "Between $5 and $10 each, or $ 3 $ total.", "Pay $x$5"]
)
def test_currency_stays_text(source):
    html = render_markdown(source)
    assert "<math" not in html and "$" in html


@pytest.mark.parametrize(
    ("source", "inline", "display"),
    [
        (r"so \(x^2\) grows", 1, 0),
        (r"Then \[ a^2 + b^2 = c^2 \] holds.", 0, 1),
        ("$$\n\\sum_i i\n$$", 0, 1),
        ("Sum: $$\\sum_i i$$", 0, 1),
        ("\\[\nx = 1\n\\]\n", 0, 1),
        ("- item\n\n  \\[ y \\]\n", 0, 1),
        ("Already inline: $x + y$ here.", 1, 0),
    ],
)
def test_every_delimiter_form_becomes_mathml(source, inline, display):
    html = render_markdown(source)
    assert html.count('<math display="inline">') == inline
    assert html.count('<math display="block">') == display


def test_a_formula_alone_is_a_display_block_and_one_in_a_sentence_stays_in_it():
    alone = render_markdown("\\[ x = 1 \\]")
    assert alone.startswith('<div class="math-display"><math display="block">')
    within = render_markdown("Then \\[ a \\] holds.")
    assert within.startswith("<p>Then <span") and within.endswith("holds.</p>")


@pytest.mark.parametrize(
    "source",
    [
        "Use `$x$` and `\\(y\\)` in code and ``$$a$$`` too.",
        "```latex\n\\[ x \\]\n\\(y\\)\n$z$\n```",
        "~~~\n$$q$$\n~~~",
        "    $indented$ code",
        "An escaped \\$ and \\$x\\$ stay text.",
    ],
)
def test_code_and_escapes_never_hold_maths(source):
    assert "<math" not in render_markdown(source)


def test_a_python_line_inside_a_fence_does_not_close_it():
    # The fence opened by ``` is closed only by a bare ```: "```python" is code inside it.
    source = "Example:\n\n```\nfirst\n```python\n$c$ = cost\n```\n\nAnd $d$ outside."
    html = render_markdown(source)
    assert html.count("<pre>") == 1
    code = re.search(r"<pre>.*?</pre>", html, re.S).group(0)
    assert "$c$ = cost" in code and "<math" not in code
    assert html.count("<math") == 1


def test_maths_never_lands_inside_an_attribute():
    html = render_markdown('[a](https://example.com "$x$") and ![b](/i.png "\\(y\\)")')
    assert "<math" not in html
    assert ("a", {"href": "https://example.com", "title": "$x$", "rel": ANY_REL}) in [
        (tag, {**attrs, "rel": ANY_REL} if "rel" in attrs else attrs)
        for tag, attrs in elements_of(html)
    ]


ANY_REL = object()


def test_mathml_passes_the_allowlist_and_nothing_else_from_latex_does():
    html = render_markdown(r"$\href{javascript:alert(1)}{x}$ and $\frac{a}{b}$")
    assert "javascript" not in html.replace("javascript:alert(1)}{x}", "")
    assert "<mfrac>" in html


# -- nothing breaks a page ----------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "* " * 1000 + "x",
        ">" * 10_000 + " x",
        "- a\n" + "".join(" " * (2 * i) + "- a\n" for i in range(60)),
    ],
)
def test_nesting_too_deep_to_follow_is_shown_as_escaped_text(source):
    html = render_markdown(source)
    assert html.startswith('<pre class="unrendered">')
    assert html.endswith(" x</pre>") or html.endswith("- a\n</pre>")


def test_a_closing_details_tag_cannot_leave_the_turn_or_its_fold():
    source = "word " * 2000 + "\n\n</details>\n\n</div></article>\n\n<details open>"
    html = render_markdown(source)
    assert "</details>" not in html.replace("&lt;/details&gt;", "")
    balanced = re.findall(r"</?(details|div|article)\b", html)
    assert balanced == []


def test_importer_fold_markup_is_balanced_whatever_follows():
    html = render_markdown('<details class="reasoning"><summary>Reasoning</summary>\n\nthinking')
    assert html.count("<details") == html.count("</details>") == 1
    assert "<summary>Reasoning</summary>" in html
    assert render_markdown("</details>\n\nafter") == "<p>after</p>"


@pytest.mark.parametrize(
    "source",
    [
        "<javascript:alert(1)>",
        "[x](javascript:alert(1)) and [y](<javascript:alert(1)>) and [z]: javascript:alert(1)\n\n[z]",
        "www.example.com/javascript:alert(1) https://a.example/'onmouseover='alert(1)",
        '<svg onload="alert(1)"><circle/></svg>',
        "<math><maction actiontype='statusline'>x</maction></math>",
        "![x](javascript:alert(1))",
        "[a](https://example.com \"title' onclick='alert(1)\")",
    ],
)
def test_hostile_markdown_gives_no_live_markup(source):
    html = render_markdown(source)
    for tag, attrs in elements_of(html):
        assert tag not in {"script", "svg", "style", "iframe", "maction"}
        assert not any(name.startswith("on") for name in attrs)
        assert not any(
            (value or "").strip().lower().startswith("javascript:") for value in attrs.values()
        )


def test_rendering_the_same_documents_from_eight_threads_gives_identical_output():
    docs = [
        f"# Turn {i}\n\n- [x] done {i}\n\n| a | b |\n|---|---|\n| {i} | $x_{i}$ |\n\n"
        f"```python\nvalue = {i}\n```\n\nSee www.example.com/{i} and \\(y_{i}\\)."
        for i in range(16)
    ]
    expected = [render_markdown(d) for d in docs]
    results: list[list[str]] = [[] for _ in range(8)]
    barrier = threading.Barrier(8)

    def work(slot: int) -> None:
        barrier.wait()
        results[slot] = [render_markdown(docs[(slot + i) % len(docs)]) for i in range(len(docs))]

    threads = [threading.Thread(target=work, args=(slot,)) for slot in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for slot, outputs in enumerate(results):
        assert outputs == [expected[(slot + i) % len(docs)] for i in range(len(docs))]


# -- plain text, word counts and titles --------------------------------------------------------


def test_plain_text_has_no_markdown_syntax():
    source = (
        "## A **bold** claim with `code` and \\_escaped\\_ marks\n\n"
        "See [the docs](https://example.com) and $x^2$.\n\n> quoted *words*\n\n- item one"
    )
    text = plain_text(source)
    for syntax in ("**", "`", "$", "\\_", "](", "##", "> ", "- item"):
        assert syntax not in text
    assert "A bold claim with code and _escaped_ marks" in text
    assert "See the docs and x^2." in text
    assert "quoted words" in text and "item one" in text


def test_word_count_counts_what_a_reader_sees():
    assert word_count("**One** [two](https://example.com) `three`\n\n- four") == 4


@pytest.mark.parametrize(
    ("source", "title"),
    [
        ("How do I **bake** bread?", "How do I bake bread?"),
        (
            "```python\nprint(1)\n```\n{\n}\n# Rust: ownership explained",
            "Rust: ownership explained",
        ),
        (
            'Web search results:\n\n[1] "Bread..."\nURL: https://example.com\n\n'
            "Current date: 1/1/2024\n\nInstructions: Using the provided results, reply.\n"
            "Query: Why does dough rise?",
            "Why does dough rise?",
        ),
        ('[\n  {"a": 1}\n]\n\nSummarise this JSON.', "Summarise this JSON."),
        ("word " * 40, "word word word word word word word word word word word word word word…"),
        ("```\nonly code\n```", ""),
    ],
)
def test_auto_title_takes_the_first_line_of_prose(source, title):
    assert auto_title(source) == title


def test_math_spans_lists_each_formula_once():
    assert math_spans("$a$ and \\(b\\) and `$c$`\n\n$$d$$") == ["a", "b", "d"]


# -- property: any text renders to sanitised HTML -------------------------------------------

MARKDOWN_ALPHABET = st.sampled_from(
    list("*_`$\\[]()<>!#|-+~:\n >\t1aZ")
    + ["```", "$$", "\\(", "\\)", "\\[", "\\]", "    ", "- [ ] "]
)


@settings(max_examples=150, deadline=None, database=None)
@given(st.one_of(st.text(max_size=300), st.lists(MARKDOWN_ALPHABET, max_size=120).map("".join)))
def test_any_text_renders_to_sanitised_html(source):
    html = render_markdown(source)
    for tag, attrs in elements_of(html):
        assert tag in ALLOWED_TAGS, tag
        assert set(attrs) <= ALLOWED_ATTRIBUTES.get(tag, set()) | {"rel"}, (tag, attrs)
    assert isinstance(plain_text(source), str) and isinstance(auto_title(source), str)


SAMPLE = (Path(__file__).parent / "fixtures" / "long_conversation.md").read_text(encoding="utf-8")


@settings(max_examples=60, deadline=None, database=None)
@given(
    st.lists(
        st.tuples(st.integers(0, len(SAMPLE)), st.integers(0, 200), MARKDOWN_ALPHABET), max_size=8
    )
)
def test_mutated_real_markdown_renders_to_sanitised_html(edits):
    source = SAMPLE[:6000]
    for at, cut, insert in edits:
        at %= len(source) + 1
        source = source[:at] + insert + source[at + cut :]
    html = render_markdown(source)
    for tag, attrs in elements_of(html):
        assert tag in ALLOWED_TAGS, tag
        assert set(attrs) <= ALLOWED_ATTRIBUTES.get(tag, set()) | {"rel"}, (tag, attrs)


@functools.cache
def _parsers() -> tuple[object, object]:
    """This module's parser, and one with the GFM autolink rules where the plugin puts them."""
    import blog.markdown as markdown_module

    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(markdown_module, "_www_after_text", lambda md: None)
        reference = markdown_module._build_parser()
    return markdown_module._build_parser(), reference


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="wW.:/@*_~`[]()!<>\\ \nhtpsxmailowcg-", max_size=80))
def test_www_autolinks_tried_after_text_give_the_same_html(source: str) -> None:
    ours, reference = _parsers()
    assert ours.render(source) == reference.render(source)


@pytest.mark.parametrize(
    "source",
    [
        "Visit www.commonmark.org/help for more, or www.w3.org.",
        "[www.example.com](https://example.org) and *www.example.com*",
        "a www. b wwww.example.com ww.example.com (www.example.com)",
        "[w](w) ![www.x.org](w.png) `www.example.com` ~~www.example.com~~",
        "http://www.example.com and mail wendy@www.example.com",
    ],
)
def test_www_autolinks_are_found_where_the_gfm_plugin_finds_them(source: str) -> None:
    ours, reference = _parsers()
    assert "<a " in reference.render(source)
    assert ours.render(source) == reference.render(source)


# Prose, the characters next to it that mean something to the parser, and lines that start
# or end the ways a list, a heading, a rule, indented code or a hard break would.
PROSE_NEIGHBOURS = st.lists(
    st.sampled_from(
        ["word", "Why", "42", " ", "  ", "\n", "\n\n", ",", ".", "?", "!", ";", "'", '"', "(",
         ")", "-", "--", "1.", "2)", "é", "—", "’", "\u00a0", "\u2028", "\t", "\r", "www.x.org",
         "WWW", "*", "_", "`", "#", ">", "<", "&amp;", ":", "@", "=", "===", "|", "~", "$",
         "\\", "[", "]", "^", "+", "http://a.b"]
    ),
    max_size=30,
).map("".join)  # fmt: skip


# Prose alone, lines of it started and ended every way the short way accepts.
PROSE_ONLY = st.lists(
    st.sampled_from(
        ["word", "Why", "42", " ", "\n", "\n\n", ",", ".", "?", "!", ";", "'", '"', "(", ")", "-",
         "é", "—", "’", "x-y", "A."]
    ),
    max_size=40,
).map("".join)  # fmt: skip


@settings(max_examples=1500, deadline=None)
@given(st.one_of(PROSE_ONLY, PROSE_NEIGHBOURS))
def test_prose_rendered_without_the_parser_is_what_the_parser_renders(source: str) -> None:
    if prose_paragraphs(source) is not None:
        assert render_with_text(source) == parsed_with_text(source)


def test_prose_takes_the_short_way_and_markdown_does_not() -> None:
    assert prose_paragraphs("Why is it so?\nBecause (mostly) it is.\n\nThat's all.") == [
        ["Why is it so?", "Because (mostly) it is."],
        ["That's all."],
    ]
    for markdown in ["1. first", "- item", "a *b*", "see www.x.org", "x  \ny", "    code", "#"]:
        assert prose_paragraphs(markdown) is None
