"""Code highlighting stays inside the render deadline, whatever lexer a fence names."""

from __future__ import annotations

import time

import pytest
from pygments.lexers import get_all_lexers

from blog.allowlist import LANGUAGE
from blog.markdown import MAX_HIGHLIGHT_CHARS, TIMEOUT_SECONDS, render_markdown

# What a render may cost in CPU time: its deadline plus room for the sanitiser and a busy
# machine. A lexer that escaped the deadline took 8 s and more on these inputs.
BOUND = 3.0

# Inputs some Pygments lexers take quadratic time on (about 8 kB each): C#, Java and friends
# rescan the rest of the block from every line; AutoIt and SAS from every space; delegating
# lexers (html+ng2) read the whole block with their inner lexer first.
PATHOLOGICAL = {
    "lines": "a\n" * 4000,
    "spaces": " " * 8000,
    "quotes": '"a ' * 2700,
    "brackets": "([" * 4000,
    "comments": "/*" * 4000,
    "tags": "<a " * 2700,
}


def cpu_seconds(source: str) -> tuple[float, str]:
    started = time.process_time()
    html = render_markdown(source)
    return time.process_time() - started, html


def fenced(language: str, body: str) -> str:
    return f"```{language}\n{body}\n```\n"


def test_a_quadratic_lexer_stops_at_the_deadline_and_the_turn_still_renders() -> None:
    source = "Before *this*.\n\n" + fenced("csharp", "a\n" * 4000) + "\nAfter **that**.\n"
    elapsed, html = cpu_seconds(source)
    assert elapsed < BOUND
    # Only the code lost its colours: the prose around it is rendered, the code shown plain.
    assert html.startswith("<p>Before <em>this</em>.</p>")
    assert "<p>After <strong>that</strong>.</p>" in html
    assert '<code class="language-csharp">a\na\n' in html


def test_a_delegating_lexer_is_checked_inside_too() -> None:
    # html+ng2 reads the whole block with its inner lexer before its first token: 1.7 s.
    elapsed, html = cpu_seconds(fenced("html+ng2", "([" * 4000))
    assert elapsed < TIMEOUT_SECONDS + 0.5
    assert "([([" in html


def test_ordinary_code_is_still_highlighted() -> None:
    html = render_markdown(fenced("python", 'x = "<a>"'))
    assert '<span class="o">=</span>' in html and "&lt;a&gt;" in html


def test_a_block_past_the_highlighting_size_is_shown_plain() -> None:
    body = "x = 1\n" * (MAX_HIGHLIGHT_CHARS // 6 + 1)
    html = render_markdown(fenced("python", body))
    assert '<code class="language-python">x = 1\nx = 1\n' in html
    assert '<span class="o">' not in html


def test_code_after_a_block_that_ran_out_of_time_is_plain_too() -> None:
    source = fenced("csharp", "a\n" * 4000) + fenced("python", "y = 2")
    elapsed, html = cpu_seconds(source)
    assert elapsed < BOUND
    assert '<code class="language-python">y = 2\n</code>' in html


def reachable_lexers() -> list[str]:
    """One fence name for every Pygments lexer a turn can ask for (names the allowlist keeps)."""
    names = []
    for _name, aliases, *_ in get_all_lexers():
        alias = next((alias for alias in aliases if LANGUAGE.match(alias)), None)
        if alias:
            names.append(alias)
    return names


def test_the_screen_covers_the_lexers() -> None:
    assert len(reachable_lexers()) > 500
    assert TIMEOUT_SECONDS < BOUND


@pytest.mark.slow
@pytest.mark.parametrize("language", reachable_lexers())
def test_every_lexer_renders_pathological_input_within_the_bound(language: str) -> None:
    for kind, body in PATHOLOGICAL.items():
        elapsed, _ = cpu_seconds(fenced(language, body))
        assert elapsed < BOUND, f"{language} on {kind}: {elapsed:.2f} s"
