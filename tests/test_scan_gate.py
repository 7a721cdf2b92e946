"""The scan's gate: text that none of the detectors' cores matches is passed at once, so the
gate must never hide a finding that running every detector would report."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blog.scan import scan_every_detector, scan_text
from tests.fixtures.scan_corpus import NEGATIVES, POSITIVES

CORPUS = [case.text for case in POSITIVES] + [case.text for case in NEGATIVES]
# Pieces of every kind of finding and of their look-alikes, cut at random and joined, so the
# generated texts sit near the edges of what each detector accepts.
PIECES = [piece for text in CORPUS for piece in text.split()] + [
    " ",
    "\n",
    ":",
    "=",
    "@",
    "-",
    ".",
    "://",
    "my password is ",
    "ssn ",
    "Bearer ",
    "-----BEGIN PRIVATE KEY-----\n",
    "12 Main Street",
    "+44 ",
    "0",
    "9",
]


@pytest.mark.parametrize("text", CORPUS, ids=lambda text: repr(text[:30]))
def test_the_gate_hides_nothing_in_the_corpus(text: str) -> None:
    assert scan_text(text) == scan_every_detector(text)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.sampled_from(PIECES), st.integers(0, 40), st.integers(0, 40)),
        min_size=1,
        max_size=12,
    )
)
def test_the_gate_hides_nothing_in_pieces_joined(cuts: list[tuple[str, int, int]]) -> None:
    text = "".join(piece[start : len(piece) - end] for piece, start, end in cuts)
    assert scan_text(text) == scan_every_detector(text)


def test_prose_passes_the_gate_and_a_finding_in_it_does_not() -> None:
    prose = "Could you explain why the model answers the second question first? " * 20
    assert scan_text(prose) == []
    assert [f.kind for f in scan_text(prose + "Mail me at dana.whitfield@fastmail.com")] == [
        "email"
    ]
