"""Math delimiter normalisation."""

from __future__ import annotations

import pytest

from blog.importers.mathnorm import normalize_math


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (r"so \(x^2\) grows", "so $x^2$ grows"),
        (r"so \( x^2 \) grows", "so $x^2$ grows"),
        (r"Then \[ a^2 + b^2 = c^2 \] holds.", "Then\n$$\na^2 + b^2 = c^2\n$$\nholds."),
        ("Sum: $$\\sum_i i$$", "Sum:\n$$\n\\sum_i i\n$$"),
        ("\\[\nx = 1\n\\]\n", "$$\nx = 1\n$$\n"),
        ("- item\n  \\[ y \\]\n", "- item\n  $$\n  y\n  $$\n"),
    ],
)
def test_provider_delimiters_become_dollar_math(text, expected):
    assert normalize_math(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "It costs $5 and $10.",
        "Between $5 and $10 each, or $ 3 $ total.",
        "Already inline: $x + y$ here.",
        "$$\nE = mc^2\n$$",
        "```latex\n\\[ x \\]\n\\(y\\)\n```",
        "Use `\\(x\\)` in code and ``$$a$$`` too.",
        "An escaped \\$ and \\\\[2pt] spacing.",
        "Plain text without any math.",
    ],
)
def test_currency_code_and_normalised_math_are_left_alone(text):
    assert normalize_math(text) == text


def test_a_dollar_pair_is_not_math_when_a_digit_follows():
    text = "Pay $x$5 later"
    assert normalize_math(text) == text


def test_display_math_inside_a_tilde_fence_is_untouched_but_after_it_is_converted():
    text = "~~~\n\\[ a \\]\n~~~\nthen \\(b\\)"
    assert normalize_math(text) == "~~~\n\\[ a \\]\n~~~\nthen $b$"


@pytest.mark.parametrize("text", [r"\(x\) and \[y\]", "a $$b$$ c", "```\n$$q$$\n```\n\\(z\\)"])
def test_normalising_twice_changes_nothing_more(text):
    once = normalize_math(text)
    assert normalize_math(once) == once
