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
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import json
import math
import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

LABELS: dict[str, str] = {
    "email": "email address",
    "phone": "phone number",
    "address": "street address",
    "ip": "IP address",
    "openai_key": "OpenAI API key",
    "anthropic_key": "Anthropic API key",
    "aws_key": "AWS access key",
    "github_token": "GitHub token",
    "google_key": "Google API key",
    "slack_token": "Slack token",
    "stripe_key": "Stripe secret key",
    "jwt": "JSON Web Token",
    "private_key": "private key",
    "secret": "secret",
    "card": "payment card number",
    "iban": "IBAN",
    "ssn": "US Social Security number",
    "password": "password",
}

# Shorter words for the inline mark, e.g. "[email redacted]".
_MARK_WORDS: dict[str, str] = {
    **LABELS,
    "email": "email",
    "address": "address",
    "jwt": "JWT",
    "card": "card number",
    "ssn": "SSN",
}

# When findings overlap, the more specific detector wins.
_PRIORITY: dict[str, int] = {
    "private_key": 100,
    "anthropic_key": 95,
    "openai_key": 90,
    "aws_key": 90,
    "github_token": 90,
    "google_key": 90,
    "slack_token": 90,
    "stripe_key": 90,
    "jwt": 85,
    "card": 80,
    "iban": 80,
    "ssn": 80,
    "email": 70,
    "ip": 60,
    "phone": 50,
    "address": 50,
    "password": 40,
    "secret": 30,
}


@dataclass(frozen=True)
class Finding:
    """One piece of private data or secret found in a text."""

    kind: str
    label: str
    start: int
    end: int
    text: str

    @property
    def fingerprint(self) -> str:
        """Return a stable hash of kind and text, independent of position."""
        return hashlib.sha256(f"{self.kind}\0{self.text}".encode()).hexdigest()


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
    result = text
    last_start = len(text) + 1
    for finding in sorted(findings, key=lambda f: f.start, reverse=True):
        if finding.end > last_start:
            continue  # overlaps a finding already replaced
        result = result[: finding.start] + redaction_mark(finding.kind) + result[finding.end :]
        last_start = finding.start
    return result


def scan_text(text: str) -> list[Finding]:
    """Return the private data and secrets in text, sorted by start offset."""
    if not text:
        return []
    marks = [(m.start(), m.end()) for m in _MARK_RE.finditer(text)]
    candidates: list[Finding] = []
    for detector in _DETECTORS:
        for finding in detector(text):
            if marks and _overlaps_any(finding, marks):
                continue
            candidates.append(finding)
    return _resolve_overlaps(candidates)


# --------------------------------------------------------------------------- helpers


_MARK_RE = re.compile(r"\[[A-Za-z][A-Za-z ]{0,40} redacted\]")


def _finding(kind: str, text: str, start: int, end: int) -> Finding:
    return Finding(kind=kind, label=LABELS[kind], start=start, end=end, text=text[start:end])


def _overlaps_any(finding: Finding, spans: list[tuple[int, int]]) -> bool:
    index = bisect_left(spans, (finding.end, -1))
    return any(
        start < finding.end and finding.start < end
        for start, end in spans[max(0, index - 1) : index + 1]
    )


def _resolve_overlaps(candidates: list[Finding]) -> list[Finding]:
    ordered = sorted(candidates, key=lambda f: (-_PRIORITY[f.kind], -(f.end - f.start), f.start))
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


def _shannon_entropy(value: str) -> float:
    counts = Counter(value)
    total = len(value)
    return -sum(n / total * math.log2(n / total) for n in counts.values())


_PLACEHOLDER_WORDS = re.compile(
    r"your|example|sample|placeholder|dummy|redacted|changeme|change_me|replace|insert"
    r"|here|xxx|\*\*\*|\.\.\.|…|<|>|\{\{|\$\{|%\(|1234567|abcdefg|fake|notreal|not_a_real",
    re.IGNORECASE,
)
_REPEATED_RUN = re.compile(r"(.)\1{4,}")


def _is_placeholder(value: str) -> bool:
    """Say whether a key-shaped value is obviously a stand-in rather than a secret."""
    if _PLACEHOLDER_WORDS.search(value) or _REPEATED_RUN.search(value):
        return True
    return value[:1] in "$%{<[(" or value.lower().startswith(("env(", "env.", "process.env"))


# An identifier segment: words in any case, digits only as a short suffix (user_v2, Value2).
_IDENTIFIER_SEGMENT = re.compile(r"(?:[A-Z]?[a-z]+|[A-Z]+(?![a-z]))*\d{0,4}")
_SEGMENT_SEPARATORS = re.compile(r"[_.\-/:]+")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HEX = re.compile(r"[0-9a-fA-F]+")


def _looks_random(value: str) -> bool:
    """Say whether value looks like generated key material rather than a word or id."""
    if len(value) < 20 or _UUID.fullmatch(value) or _is_placeholder(value):
        return False
    if not (any(c.isdigit() for c in value) and any(c.isalpha() for c in value)):
        return False
    threshold = 2.8 if _HEX.fullmatch(value) else 3.5
    if _shannon_entropy(value) < threshold:
        return False
    segments = [segment for segment in _SEGMENT_SEPARATORS.split(value) if segment]
    # Random key material puts digits anywhere; names like cache_key_v2_2024 do not.
    return not all(_IDENTIFIER_SEGMENT.fullmatch(segment) for segment in segments)


def _line_before(text: str, index: int, width: int = 40) -> str:
    start = max(0, index - width)
    chunk = text[start:index]
    newline = chunk.rfind("\n")
    return chunk[newline + 1 :] if newline >= 0 else chunk


# ------------------------------------------------------------------------ detectors

Detector = Callable[[str], Iterator[Finding]]

_RESERVED_EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "localhost")
_RESERVED_EMAIL_SUFFIXES = (".example", ".test", ".invalid", ".localhost", ".local")
_ASSET_EXTENSIONS = frozenset(
    [
        "png",
        "jpg",
        "jpeg",
        "gif",
        "svg",
        "webp",
        "ico",
        "bmp",
        "css",
        "js",
        "mjs",
        "ts",
        "tsx",
        "jsx",
        "json",
        "map",
        "html",
        "htm",
    ]
)
_EMAIL_RE = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,8}[A-Za-z]{2,24}(?![\w-]|\.[A-Za-z0-9])"
)


def _detect_emails(text: str) -> Iterator[Finding]:
    if "@" not in text:
        return
    for match in _EMAIL_RE.finditer(text):
        local, _, domain = match.group().lower().rpartition("@")
        if domain in _RESERVED_EMAIL_DOMAINS or domain.endswith(_RESERVED_EMAIL_SUFFIXES):
            continue
        if domain.rsplit(".", 1)[-1] in _ASSET_EXTENSIONS:
            continue  # icon@2x.png
        if local == "git" or domain.startswith(("your", "domain.")):
            continue
        token_start = max(text.rfind(" ", 0, match.start()), text.rfind("\n", 0, match.start()))
        if "://" in text[token_start + 1 : match.start()]:
            continue  # user-info in a URL, not a mailbox
        yield _finding("email", text, match.start(), match.end())


_PHONE_INTERNATIONAL = re.compile(
    r"(?<![\w)+\]])\+[1-9]\d{0,2}(?:[ .-]?\(\d{1,4}\))?(?:[ .-]?+\d{1,5}+){1,6}+(?![\w]|[.\-/]\d)"
)
_PHONE_NANP = re.compile(
    r"(?<![\w+.\-/])(?:1[ .-]?)?(?:\([2-9]\d{2}\)[ ]?|[2-9]\d{2}(?P<sep>[ .-]))"
    r"[2-9]\d{2}(?(sep)(?P=sep)|[ .-])\d{4}(?![\w]|[.\-/]\d)"
)
_PHONE_NATIONAL = re.compile(
    r"(?<![\w+.\-/])(?:\(0\d{1,4}\)[ ]?|0\d{1,4}[ /.-])\d{2,8}(?P<sep>[ .-])?"
    r"(?(sep)\d{2,8}(?:(?P=sep)\d{2,8}){0,3})(?![\w]|[.\-/]\d)"
)
_PHONE_VETO = re.compile(
    r"(?i)(?:isbn(?:-1[03])?|order|invoice|ticket|tracking|ref(?:erence)?|serial|sku|part|"
    r"case|id|build|version|#|no\.)\s*(?:number|no\.?|#)?\s*[:#]?\s*$"
)
_DATE_LIKE = re.compile(r"\d{1,4}([./-])\d{1,2}\1\d{1,4}")


def _detect_phones(text: str) -> Iterator[Finding]:
    for pattern, min_digits, max_digits in (
        (_PHONE_INTERNATIONAL, 8, 15),
        (_PHONE_NANP, 10, 11),
        (_PHONE_NATIONAL, 9, 12),
    ):
        for match in pattern.finditer(text):
            value = match.group()
            digits = sum(c.isdigit() for c in value)
            if not min_digits <= digits <= max_digits:
                continue
            if pattern is _PHONE_INTERNATIONAL and digits < 10 and not re.search(r"[ .()-]", value):
                continue  # "+12345678" reads as a signed number
            if _DATE_LIKE.fullmatch(value) or _PHONE_VETO.search(_line_before(text, match.start())):
                continue
            yield _finding("phone", text, match.start(), match.end())


_STREET_TYPES = (
    r"(?:Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Boulevard|Blvd|Drive|Dr|Court|Ct|Place|Pl"
    r"|Terrace|Way|Parkway|Pkwy|Highway|Hwy|Circle|Cir|Square|Sq|Trail|Crescent|Close|Alley|Plaza)"
)
_ADDRESS_EN = re.compile(
    r"(?<![\w.,/-])\d{1,6}[A-Za-z]?(?:-\d{1,4})?\s+"
    r"(?:(?:North|South|East|West|[NSEW]\.?)\s+)?"
    r"(?!(?:The|A|An|This|That|My|Our|Your|Of|In|On|At|To|For|And|Or)\s)"
    r"(?:(?:[A-Z][a-z'’]+|\d{1,3}(?:st|nd|rd|th))\s+){1,3}" + _STREET_TYPES + r"\b\.?"
    r"(?:\s+(?:NW|NE|SW|SE|N|S|E|W)\b)?"
    r"(?:,?\s+(?:Apt|Apartment|Suite|Ste|Unit|#)\.?\s*[\w-]{1,6})?"
    r"(?:,\s*[A-Z][a-z]+(?:[ -][A-Z][a-z]+){0,2})?"
    r"(?:,?\s*(?:[A-Z]{2}\s+\d{5}(?:-\d{4})?|[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b|[A-Z]{2}\b|\d{5}\b))?"
)
_ADDRESS_DE = re.compile(
    r"(?<![\w-])(?:[A-ZÄÖÜ][a-zäöüß]+(?:-[A-ZÄÖÜ][a-zäöüß]+)*(?:straße|strasse|str\.|weg|gasse|allee|platz)"
    r"|[A-ZÄÖÜ][a-zäöüß]+\s(?:Straße|Strasse|Str\.|Weg|Gasse|Allee|Platz))"
    r"\s\d{1,4}\s?[a-z]?\b(?:,\s*\d{5}\s[A-ZÄÖÜ][a-zäöüß]+)?"
)
_ADDRESS_FR = re.compile(
    r"(?<![\w.,/-])\d{1,4}(?:\s?(?:bis|ter))?,?\s(?:rue|avenue|boulevard|bd|allée|impasse|chemin|quai)\s"
    r"(?:(?:de la|de l'|de l’|du|des|de|d'|d’|la|le|les)\s?)?[A-ZÉÈ][\w'’-]+(?:\s[A-ZÉÈ][\w'’-]+){0,3}"
    r"(?:,\s*\d{5}\s[A-ZÉ][\w-]+)?"
)

_ADDRESS_PATTERNS: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = (
    (re.compile(_STREET_TYPES + r"\b"), _ADDRESS_EN),
    (re.compile(r"(?i)stra(?:ß|ss)e|str\.|weg|gasse|allee|platz"), _ADDRESS_DE),
    (re.compile(r"rue|avenue|boulevard|bd|allée|impasse|chemin|quai"), _ADDRESS_FR),
)


def _detect_addresses(text: str) -> Iterator[Finding]:
    for hint, pattern in _ADDRESS_PATTERNS:
        if not hint.search(text):
            continue
        for match in pattern.finditer(text):
            yield _finding("address", text, match.start(), match.end())


_IPV4_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4_RE = re.compile(rf"(?<![\w.])(?:{_IPV4_OCTET}\.){{3}}{_IPV4_OCTET}(?![\w]|\.\d)")
_IPV6_RE = re.compile(
    r"(?<![\w:.])(?=[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:)[0-9A-Fa-f:]{3,39}(?![\w:]|\.\d)"
)
_VERSION_BEFORE = re.compile(
    r"(?i)(?:\b(?:v|ver|version|versions|release|rel|build|python|node|firmware|kernel|"
    r"update|upgrade|tag|sdk)\.?|==|>=|<=|~=|!=|\^|~)\s*[:=]?\s*$"
)
_VERSION_AFTER = re.compile(r"^(?:[-+~][0-9A-Za-z]|[a-z])")
_WELL_KNOWN_RESOLVERS = frozenset(
    {"8.8.8.8", "8.8.4.4", "1.1.1.1", "1.0.0.1", "9.9.9.9", "149.112.112.112",
     "208.67.222.222", "208.67.220.220", "2001:4860:4860::8888", "2001:4860:4860::8844",
     "2606:4700:4700::1111", "2606:4700:4700::1001"}
)  # fmt: skip
_GLOBAL_UNICAST_V6 = ipaddress.IPv6Network("2000::/3")


@lru_cache(maxsize=4096)
def _is_public_ipv4(value: str) -> bool:
    address = ipaddress.IPv4Address(value)
    return address.is_global and not address.is_multicast and value not in _WELL_KNOWN_RESOLVERS


@lru_cache(maxsize=4096)
def _is_public_ipv6(value: str) -> bool:
    try:
        address = ipaddress.IPv6Address(value)
    except ValueError:
        return False
    return (
        address in _GLOBAL_UNICAST_V6
        and address.is_global
        and str(address) not in _WELL_KNOWN_RESOLVERS
    )


def _detect_ips(text: str) -> Iterator[Finding]:
    for match in _IPV4_RE.finditer(text) if "." in text else ():
        if not _is_public_ipv4(match.group()):
            continue
        if _VERSION_BEFORE.search(_line_before(text, match.start(), 24)):
            continue
        if _VERSION_AFTER.match(text[match.end() : match.end() + 2]):
            continue
        yield _finding("ip", text, match.start(), match.end())
    for match in _IPV6_RE.finditer(text) if ":" in text else ():
        if _is_public_ipv6(match.group()):
            yield _finding("ip", text, match.start(), match.end())


# (kind, literal the key must contain, pattern)
_TOKEN_PATTERNS: list[tuple[str, str, re.Pattern[str]]] = [
    ("anthropic_key", "sk-", re.compile(r"sk-(?<![\w-]sk-)ant-[A-Za-z0-9_-]{20,}")),
    (
        "openai_key",
        "sk-",
        re.compile(r"sk-(?<![\w-]sk-)(?!ant-)(?:(?:proj|svcacct|admin)-)?[A-Za-z0-9_-]{20,}"),
    ),
    ("aws_key", "A", re.compile(r"A(?<![A-Za-z0-9]A)(?:KIA|SIA)[A-Z0-9]{16}(?![A-Za-z0-9])")),
    ("github_token", "gh", re.compile(r"gh(?<!\wgh)[pousr]_[A-Za-z0-9]{36,255}(?!\w)")),
    (
        "github_token",
        "github_pat_",
        re.compile(r"github_pat_(?<!\wgithub_pat_)[A-Za-z0-9_]{50,255}(?!\w)"),
    ),
    ("google_key", "AIza", re.compile(r"AIza(?<![\w-]AIza)[0-9A-Za-z_-]{35}(?![\w-])")),
    ("slack_token", "xox", re.compile(r"xox(?<![\w-]xox)[baprs]-[A-Za-z0-9-]{10,250}")),
    (
        "slack_token",
        "hooks.slack",
        re.compile(
            r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]{20,200}"
        ),
    ),
    ("stripe_key", "k_", re.compile(r"[sr]k_(?<!\w[sr]k_)(?:live|test)_[A-Za-z0-9]{16,247}(?!\w)")),
    ("stripe_key", "whsec_", re.compile(r"whsec_(?<!\wwhsec_)[A-Za-z0-9]{24,}(?!\w)")),
]


def _detect_tokens(text: str) -> Iterator[Finding]:
    for kind, hint, pattern in _TOKEN_PATTERNS:
        if hint not in text:
            continue
        for match in pattern.finditer(text):
            value = match.group()
            body = value.split("_", 2)[-1] if kind == "stripe_key" else value
            if _is_placeholder(body.rstrip("-_")) or not any(c.isdigit() for c in body):
                continue
            yield _finding(kind, text, match.start(), match.end())


_JWT_RE = re.compile(r"eyJ(?<![\w-]eyJ)[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")
# The sample token shown on jwt.io and copied into countless tutorials.
_JWT_IO_SIGNATURE = "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"


def _b64url_json(segment: str) -> object:
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        return json.loads(raw)
    except (binascii.Error, ValueError):
        return None


def _detect_jwts(text: str) -> Iterator[Finding]:
    if "eyJ" not in text:
        return
    for match in _JWT_RE.finditer(text):
        header_segment, _, signature = match.group().split(".", 2)
        header = _b64url_json(header_segment)
        if not isinstance(header, dict) or "alg" not in header:
            continue
        if signature == _JWT_IO_SIGNATURE:
            continue
        yield _finding("jwt", text, match.start(), match.end())


_KEY_BEGIN = re.compile(r"-----BEGIN ((?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?)-----")
_KEY_BODY_LINES = re.compile(r"\r?\n(?:[A-Za-z0-9+/=:, \t-]*+\r?\n)*[A-Za-z0-9+/=]*")


def _detect_private_keys(text: str) -> Iterator[Finding]:
    position = 0
    missing_markers: set[str] = set()  # once absent after one header, absent after later ones
    while match := _KEY_BEGIN.search(text, position):
        end_marker = f"-----END {match.group(1)}-----"
        end = -1 if end_marker in missing_markers else text.find(end_marker, match.end())
        if end >= 0:
            end += len(end_marker)
        else:
            missing_markers.add(end_marker)
            # A truncated block still leaks the key material that is there.
            body = _KEY_BODY_LINES.match(text, match.end())
            end = body.end() if body else match.end()
            while end > match.end() and text[end - 1].isspace():
                end -= 1
        body = text[match.end() : end]
        if sum(c.isalnum() or c in "+/" for c in body) >= 64 and "..." not in body:
            yield _finding("private_key", text, match.start(), end)
        position = max(end, match.end())


_CARD_RE = re.compile(r"(?<![\w.-])\d(?:[ -]?\d){12,18}(?![\w]|[.-]\d)")


def _luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _card_brand_accepts(digits: str) -> bool:
    length = len(digits)
    prefix2, prefix4 = int(digits[:2]), int(digits[:4])
    if digits[0] == "4":
        return length in (16, 19)  # Visa (13-digit Visa numbers are long gone)
    if 51 <= prefix2 <= 55 or 2221 <= prefix4 <= 2720:
        return length == 16  # Mastercard
    if prefix2 in (34, 37):
        return length == 15  # American Express
    if digits.startswith("6011") or 644 <= int(digits[:3]) <= 649 or prefix2 == 65:
        return 16 <= length <= 19  # Discover
    if 3528 <= prefix4 <= 3589:
        return 16 <= length <= 19  # JCB
    if 300 <= int(digits[:3]) <= 305 or prefix2 in (36, 38, 39):
        return 14 <= length <= 19  # Diners Club
    if prefix2 == 62:
        return 16 <= length <= 19  # UnionPay
    return False


def _detect_cards(text: str) -> Iterator[Finding]:
    for match in _CARD_RE.finditer(text):
        value = match.group()
        separators = {c for c in value if not c.isdigit()}
        if len(separators) > 1:
            continue
        digits = "".join(c for c in value if c.isdigit())
        if separators:
            groups = [len(g) for g in re.split(r"[ -]", value)]
            if any(size < 4 for size in groups[:-1]) or groups[-1] < 3:
                continue
        if _card_brand_accepts(digits) and _luhn_valid(digits):
            yield _finding("card", text, match.start(), match.end())


_IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18,
    "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
    "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24,
    "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip
_IBAN_RE = re.compile(r"(?<![\w-])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{1,4}){3,8}")


def _iban_valid(compact: str) -> bool:
    rearranged = compact[4:] + compact[:4]
    numeric = "".join(str(int(c, 36)) for c in rearranged)
    return int(numeric) % 97 == 1


def _detect_ibans(text: str) -> Iterator[Finding]:
    for match in _IBAN_RE.finditer(text):
        value = match.group()
        expected = _IBAN_LENGTHS.get(value[:2])
        if expected is None:
            continue
        # The pattern may run into the next word; cut at the country's exact length.
        seen = 0
        cut = None
        for index, char in enumerate(value):
            if char != " ":
                seen += 1
                if seen == expected:
                    cut = index + 1
                    break
        if cut is None or (cut < len(value) and value[cut] != " "):
            continue
        compact = value[:cut].replace(" ", "")
        if _iban_valid(compact):
            yield _finding("iban", text, match.start(), match.start() + cut)


_SSN_DASHED = re.compile(r"(?<![\w-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w]|-\d)")
_SSN_CONTEXT = re.compile(
    r"(?i)\b(?:ssn|social security(?: number| no\.?)?|ss#)\s*(?:#|no\.?|number)?\s*[:=]?\s*"
    r"(?P<ssn>(?!000|666|9\d\d)\d{3}([ -]?)(?!00)\d{2}\2(?!0000)\d{4})(?!\w)"
)
_SSN_HINT = re.compile(r"(?i)ss|social")
_SAMPLE_SSNS = frozenset({"123456789", "078051120"})


def _detect_ssns(text: str) -> Iterator[Finding]:
    for match in _SSN_DASHED.finditer(text) if "-" in text else ():
        if match.group().replace("-", "") not in _SAMPLE_SSNS:
            yield _finding("ssn", text, match.start(), match.end())
    for match in _SSN_CONTEXT.finditer(text) if _SSN_HINT.search(text) else ():
        if match.group("ssn").replace("-", "").replace(" ", "") not in _SAMPLE_SSNS:
            yield _finding("ssn", text, match.start("ssn"), match.end("ssn"))


# name = value, name: value, "name": "value", name => value, NAME=value, --name=value
_ASSIGNMENT_RE = re.compile(
    r"(?<![\w.-])-{0,2}(?P<name>[A-Za-z_][\w.-]{0,63}+)[\"']?[ \t]*(?::=|=>|=|:)[ \t]*"
    r"(?:(?P<quote>[\"'`])(?P<quoted>[^\"'`\s]{1,512})(?P=quote)|(?P<bare>[^\s\"'`,;]{1,512}))"
)
_NAME_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_PASSWORD_WORDS = frozenset({"password", "passwd", "pwd", "pass", "passphrase", "passcode"})
_SECRET_WORDS = frozenset(
    {"key", "secret", "token", "apikey", "credential", "credentials", "auth", "bearer", "pat",
     "privatekey", "accesskey"}
)  # fmt: skip
_NOT_SECRET_NAME_WORDS = frozenset(
    {"hash", "hashed", "digest", "length", "len", "min", "max", "field", "label", "placeholder",
     "hint", "policy", "pattern", "regex", "reset", "prompt", "strength", "validator", "form",
     "input", "type", "id", "ids", "name", "names", "path", "file", "url", "uri", "endpoint",
     "count", "size", "header", "env", "var", "format", "prefix", "expiry", "expires", "ttl",
     "enabled", "required", "limit", "limits", "usage", "tokens", "fingerprint", "algorithm",
     "alg", "kind", "version", "public", "pub", "cache", "sort", "primary", "foreign", "map",
     "button", "text", "message", "error"}
)  # fmt: skip
_COMMON_PASSWORD_STANDINS = frozenset(
    {"password", "passwd", "pass", "pwd", "secret", "changeme", "mypassword", "pa55word",
     "string", "none", "null", "true", "false", "required", "optional", "hidden", "masked"}
)  # fmt: skip
_PATH_OR_URL = re.compile(
    r"^(?:[a-z][a-z0-9+.-]*://|[~./\\]|[A-Za-z]:\\)|\.(?:pem|key|json|txt|crt|p12|env|ya?ml|ini|cfg|toml)$"
)
_BARE_TOKEN = re.compile(r"[A-Za-z0-9+/=_.~-]+")
_AWS_SECRET_VALUE = re.compile(r"[A-Za-z0-9/+]{40}")


def _name_words(name: str) -> set[str]:
    return {word.lower() for word in _NAME_WORDS.findall(name)}


def _password_value_ok(value: str, quoted: bool) -> bool:
    if len(value) < 4 or len(value) > 128 or value.lower() in _COMMON_PASSWORD_STANDINS:
        return False
    if _is_placeholder(value) or _PATH_OR_URL.search(value) or "(" in value or "[" in value:
        return False
    if quoted:
        return True
    # Bare letters are usually identifiers and types in code: password: str, pwd = user.pwd
    return any(c.isdigit() or not (c.isalpha() or c in "._") for c in value)


def _detect_assignments(text: str) -> Iterator[Finding]:
    if "=" not in text and ":" not in text:
        return
    for match in _ASSIGNMENT_RE.finditer(text):
        words = _name_words(match.group("name"))
        if not words or words & _NOT_SECRET_NAME_WORDS:
            continue
        group = "quoted" if match.group("quoted") is not None else "bare"
        value = match.group(group)
        start, end = match.span(group)
        if words & _PASSWORD_WORDS:
            if _password_value_ok(value, quoted=group == "quoted"):
                yield _finding("password", text, start, end)
            continue
        lowered = match.group("name").lower().replace("-", "_")
        is_aws_secret_name = "secret" in words and ("access" in words or "aws" in lowered)
        if is_aws_secret_name and _AWS_SECRET_VALUE.fullmatch(value) and not _is_placeholder(value):
            yield _finding("aws_key", text, start, end)
            continue
        is_secret_name = bool(words & _SECRET_WORDS) or "apikey" in lowered.replace("_", "")
        if group == "bare" and not _BARE_TOKEN.fullmatch(value):
            continue  # a call or expression such as secrets.token_hex(32)
        if is_secret_name and not _PATH_OR_URL.search(value) and _looks_random(value):
            yield _finding("secret", text, start, end)


_BEARER_RE = re.compile(r"\bBearer[ \t]+(?P<token>[A-Za-z0-9._~+/-]{20,}=*)")


def _detect_bearer_tokens(text: str) -> Iterator[Finding]:
    if "Bearer" not in text:
        return
    for match in _BEARER_RE.finditer(text):
        if _looks_random(match.group("token")):
            yield _finding("secret", text, match.start("token"), match.end("token"))


_PROSE_PASSWORD_RE = re.compile(
    r"(?i)\b(?:my|the|our|his|her|their|your)\s+(?:[\w-]+\s+){0,2}?"
    r"(?:password|passcode|passphrase|pin|pw)\s+(?:is|was|=|:)\s*[:\-]?\s*"
    r"(?:\"(?P<dq>[^\"\n]{1,128})\"|'(?P<sq>[^'\n]{1,128})'|“(?P<cq>[^”\n]{1,128})”|(?P<bare>\S{1,128}))"
)
_PASSWORD_HINT = re.compile(r"(?i)pass|pin|pw")
_CONNECTION_RE = re.compile(
    r"(?<![\w+.-])[A-Za-z][A-Za-z0-9+.-]{1,20}://(?P<user>[^\s:/@]{0,64}):(?P<pw>[^\s/@]{1,128})@[\w.-]+"
)


def _detect_passwords(text: str) -> Iterator[Finding]:
    prose_matches = _PROSE_PASSWORD_RE.finditer(text) if _PASSWORD_HINT.search(text) else ()
    for match in prose_matches:
        group = next(g for g in ("dq", "sq", "cq", "bare") if match.group(g) is not None)
        start, end = match.span(group)
        if group == "bare":
            while end > start and text[end - 1] in ".,;:!?)":
                end -= 1
        value = text[start:end]
        if _password_value_ok(value, quoted=group != "bare"):
            yield _finding("password", text, start, end)
    for match in _CONNECTION_RE.finditer(text) if "://" in text else ():
        password = match.group("pw")
        if password == match.group("user") or not _password_value_ok(password, quoted=True):
            continue
        yield _finding("password", text, match.start("pw"), match.end("pw"))


_DETECTORS: tuple[Detector, ...] = (
    _detect_private_keys,
    _detect_tokens,
    _detect_jwts,
    _detect_cards,
    _detect_ibans,
    _detect_ssns,
    _detect_emails,
    _detect_ips,
    _detect_phones,
    _detect_addresses,
    _detect_assignments,
    _detect_bearer_tokens,
    _detect_passwords,
)
