"""Find private data and secrets in conversation text before it is published.

Pure functions over strings: no Flask, no database. Every detector aims for
precision over recall on ordinary prose and code, because a warning that fires on
every version number teaches authors to ignore warnings.

Decisions worth knowing:

* Email addresses at reserved documentation domains (example.com, *.test, ...),
  ``git@github.com``-style SSH remotes and ``name@2x.png`` asset names are not
  reported. URL user-info (``https://user@host``) is not an email address.
* IP addresses are reported only when publicly routable: loopback, private
  (10/8, 172.16/12, 192.168/16), link-local, documentation, multicast and
  reserved ranges identify nobody, and neither do a handful of well-known public
  DNS resolvers (8.8.8.8, 1.1.1.1, ...). Dotted quads in version context
  (``v1.2.3.4``, ``version 2.0.0.1``, ``2.0.0.1-beta``, ``pkg==1.2.3.4``) are
  skipped. IPv6 addresses are reported only inside global unicast (2000::/3).
* Stripe publishable keys (``pk_live_``, ``pk_test_``) are meant to be public and
  are not reported; ``sk_test_`` keys still are, since they grant API access.
* Generic secrets are only reported when assigned to a secret-sounding name (or
  sent as a ``Bearer`` token) and the value looks random: at least 20 characters,
  letters and digits, high Shannon entropy, not made of words. UUIDs are treated
  as identifiers and never reported; hex strings such as git SHAs are only
  reported when assigned to a secret-sounding name, never in prose.
* Placeholders (``YOUR_API_KEY``, ``sk-...``, ``xxxx``, ``<token>``,
  ``${TOKEN}``, ``os.environ[...]``, AWS's ``...EXAMPLE`` keys, the jwt.io
  sample token) are never reported.
* Connection-string passwords equal to the user name (``postgres:postgres``)
  are demo defaults and are not reported.
* SSNs are reported with dashes, or without them only right after "SSN" or
  "social security number"; 123-45-6789 is a well-known sample and is skipped.
* Every pattern runs on RE2 (``matching.py``), so scanning takes time linear in the
  text whatever an imported conversation holds; the lookarounds RE2 lacks are written
  as consumed neighbours or as small checks after the match.

Detectors live by family: ``personal.py`` (data about a person) and ``secrets.py``
(keys, tokens, passwords).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator

from .findings import LABELS, PRIORITY, Finding
from .matching import compile_re, core, matches
from .personal import GATES as PERSONAL_GATES
from .personal import (
    detect_addresses,
    detect_cards,
    detect_emails,
    detect_ibans,
    detect_ips,
    detect_phones,
    detect_ssns,
)
from .secrets import GATES as SECRET_GATES
from .secrets import (
    detect_assignments,
    detect_bearer_tokens,
    detect_jwts,
    detect_passwords,
    detect_private_keys,
    detect_tokens,
)

__all__ = [
    "LABELS",
    "Finding",
    "mask",
    "redact",
    "redaction_mark",
    "scan_every_detector",
    "scan_text",
]

# Shorter words for the inline mark, e.g. "[email redacted]".
_MARK_WORDS: dict[str, str] = {
    **LABELS,
    "email": "email",
    "address": "address",
    "jwt": "JWT",
    "card": "card number",
    "ssn": "SSN",
}


def redaction_mark(kind: str) -> str:
    """Return the visible mark that replaces a finding of this kind."""
    return f"[{_MARK_WORDS.get(kind, kind.replace('_', ' '))} redacted]"


def mask(value: str) -> str:
    """Return value with its middle hidden: the first 4 and last 2 characters stay."""
    if len(value) < 12:
        # Keeping six characters of a short value would give most of it away.
        return value[:1] + "…" if value else ""
    return f"{value[:4]}…{value[-2:]}"


def redact(text: str, findings: Iterable[Finding]) -> str:
    """Replace each finding in text with its redaction mark."""
    pieces: list[str] = []
    position = len(text)
    last_start = len(text) + 1
    for finding in sorted(findings, key=lambda f: f.start, reverse=True):
        if finding.end > last_start:
            continue  # overlaps a finding already replaced
        pieces.append(text[finding.end : position])
        pieces.append(redaction_mark(finding.kind))
        position = last_start = finding.start
    pieces.append(text[:position])
    return "".join(reversed(pieces))


Detector = Callable[[str], Iterator[Finding]]

_DETECTORS: tuple[Detector, ...] = (
    detect_private_keys,
    detect_tokens,
    detect_jwts,
    detect_cards,
    detect_ibans,
    detect_ssns,
    detect_emails,
    detect_ips,
    detect_phones,
    detect_addresses,
    detect_assignments,
    detect_bearer_tokens,
    detect_passwords,
)
_MARK_RE = compile_re(r"\[[A-Za-z][A-Za-z ]{0,40} redacted\]")
# Every finding holds a match of its family's gates, so text that matches none (most prose)
# is clean after one linear pass, not one pass per pattern.
# The automata for them all together take more than RE2's default 8 MB: they are built as
# text needs them, so this is a bound, not an allocation.
_ANY_GATE = compile_re(
    "|".join(f"(?:{core(gate)})" for gate in PERSONAL_GATES + SECRET_GATES), max_mem=32 << 20
)


def scan_text(text: str) -> list[Finding]:
    """Return the private data and secrets in text, sorted by start offset."""
    if not text or _ANY_GATE.search(text.encode("utf-8")) is None:
        return []
    return scan_every_detector(text)


def scan_every_detector(text: str) -> list[Finding]:
    """`scan_text` without the gate: every detector run over the text."""
    marks = [hit.span(0) for hit in matches(_MARK_RE, text)] if " redacted]" in text else []
    candidates: list[Finding] = []
    for detector in _DETECTORS:
        for finding in detector(text):
            if marks and _overlaps_any(finding, marks):
                continue
            candidates.append(finding)
    return _resolve_overlaps(candidates)


def _overlaps_any(finding: Finding, spans: list[tuple[int, int]]) -> bool:
    index = bisect_left(spans, (finding.end, -1))
    return any(
        start < finding.end and finding.start < end
        for start, end in spans[max(0, index - 1) : index + 1]
    )


def _resolve_overlaps(candidates: list[Finding]) -> list[Finding]:
    ordered = sorted(candidates, key=lambda f: (-PRIORITY[f.kind], -(f.end - f.start), f.start))
    kept_starts: list[int] = []
    kept: list[Finding] = []
    for finding in ordered:
        index = bisect_left(kept_starts, finding.start)
        if index > 0 and kept[index - 1].end > finding.start:
            continue
        if index < len(kept) and kept[index].start < finding.end:
            continue
        kept_starts.insert(index, finding.start)
        kept.insert(index, finding)
    return kept
