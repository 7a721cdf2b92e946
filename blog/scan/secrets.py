"""Detectors for secrets: API keys and tokens, JWTs, private keys, passwords, assignments."""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections import Counter
from collections.abc import Iterator
from itertools import groupby

from .findings import Finding, finding
from .matching import WORD, bounded, compile_re, matches

_PLACEHOLDER_WORDS = compile_re(
    r"(?i)your|example|sample|placeholder|dummy|redacted|changeme|change_me|replace|insert"
    r"|here|xxx|\*\*\*|\.\.\.|…|<|>|\{\{|\$\{|%\(|1234567|abcdefg|fake|notreal|not_a_real"
)


def _has_repeated_run(value: str, length: int = 5) -> bool:
    return any(sum(1 for _ in run) >= length for _, run in groupby(value))


def is_placeholder(value: str) -> bool:
    """Say whether a key-shaped value is obviously a stand-in rather than a secret."""
    if _PLACEHOLDER_WORDS.search(value) or _has_repeated_run(value):
        return True
    return value[:1] in "$%{<[(" or value.lower().startswith(("env(", "env.", "process.env"))


# An identifier segment: words in any case, digits only as a short suffix (user_v2, Value2).
# Any run of ASCII letters splits into such words, so the letters need no further structure.
_IDENTIFIER_SEGMENT = compile_re(r"[A-Za-z]*[0-9]{0,4}")
_SEGMENT_SEPARATORS = compile_re(r"[_.\-/:]+")
_UUID = compile_re(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HEX = compile_re(r"[0-9a-fA-F]+")


def _shannon_entropy(value: str) -> float:
    counts = Counter(value)
    total = len(value)
    return -sum(n / total * math.log2(n / total) for n in counts.values())


def looks_random(value: str) -> bool:
    """Say whether value looks like generated key material rather than a word or id."""
    if len(value) < 20 or _UUID.fullmatch(value) or is_placeholder(value):
        return False
    if not (any(c.isdigit() for c in value) and any(c.isalpha() for c in value)):
        return False
    threshold = 2.8 if _HEX.fullmatch(value) else 3.5
    if _shannon_entropy(value) < threshold:
        return False
    segments = [segment for segment in _SEGMENT_SEPARATORS.split(value) if segment]
    # Random key material puts digits anywhere; names like cache_key_v2_2024 do not.
    return not all(_IDENTIFIER_SEGMENT.fullmatch(segment) for segment in segments)


_TOKEN_END = rf"$|[^{WORD}]"
# (kind, literal the key must contain, pattern)
_TOKEN_PATTERNS = [
    ("anthropic_key", "sk-", bounded(r"sk-ant-[A-Za-z0-9_-]{20,}", before=WORD + "-")),
    (
        "openai_key",
        "sk-",
        bounded(r"sk-(?:(?:proj|svcacct|admin)-)?[A-Za-z0-9_-]{20,}", before=WORD + "-"),
    ),
    (
        "aws_key",
        "A",
        bounded(r"A(?:KIA|SIA)[A-Z0-9]{16}", before="A-Za-z0-9", after="$|[^A-Za-z0-9]"),
    ),
    (
        "github_token",
        "gh",
        bounded(r"gh[pousr]_[A-Za-z0-9]{36,255}", before=WORD, after=_TOKEN_END),
    ),
    (
        "github_token",
        "github_pat_",
        bounded(r"github_pat_[A-Za-z0-9_]{50,255}", before=WORD, after=_TOKEN_END),
    ),
    (
        "google_key",
        "AIza",
        bounded(r"AIza[0-9A-Za-z_-]{35}", before=WORD + "-", after=rf"$|[^{WORD}-]"),
    ),
    ("slack_token", "xox", bounded(r"xox[baprs]-[A-Za-z0-9-]{10,250}", before=WORD + "-")),
    (
        "slack_token",
        "hooks.slack",
        bounded(
            r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]{20,200}"
        ),
    ),
    (
        "stripe_key",
        "k_",
        bounded(r"[sr]k_(?:live|test)_[A-Za-z0-9]{16,247}", before=WORD, after=_TOKEN_END),
    ),
    ("stripe_key", "whsec_", bounded(r"whsec_[A-Za-z0-9]{24,}", before=WORD, after=_TOKEN_END)),
]


def detect_tokens(text: str) -> Iterator[Finding]:
    for kind, hint, pattern in _TOKEN_PATTERNS:
        if hint not in text:
            continue
        for match in matches(pattern, text):
            value = match.group()
            if kind == "openai_key" and value.startswith("sk-ant-"):
                continue  # an Anthropic key, reported as one
            body = value.split("_", 2)[-1] if kind == "stripe_key" else value
            if is_placeholder(body.rstrip("-_")) or not any(c.isdigit() for c in body):
                continue
            yield finding(kind, text, *match.span())


_JWT_RE = bounded(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*", before=WORD + "-")
# The sample token shown on jwt.io and copied into countless tutorials.
_JWT_IO_SIGNATURE = "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"


def _b64url_json(segment: str) -> object:
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        return json.loads(raw)
    except (binascii.Error, ValueError):
        return None


def detect_jwts(text: str) -> Iterator[Finding]:
    if "eyJ" not in text:
        return
    for match in matches(_JWT_RE, text):
        header_segment, _, signature = match.group().split(".", 2)
        header = _b64url_json(header_segment)
        if not isinstance(header, dict) or "alg" not in header:
            continue
        if signature == _JWT_IO_SIGNATURE:
            continue
        yield finding("jwt", text, *match.span())


_KEY_BEGIN = compile_re(r"-----BEGIN ((?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?)-----")
_KEY_BODY_LINES = compile_re(r"\r?\n(?:[A-Za-z0-9+/=:, \t-]*\r?\n)*[A-Za-z0-9+/=]*")


def detect_private_keys(text: str) -> Iterator[Finding]:
    if "-----BEGIN " not in text:
        return
    missing_markers: set[str] = set()  # once absent after one header, absent after later ones
    last_end = 0
    for match in matches(_KEY_BEGIN, text):
        header_start, header_end = match.span(0)
        if header_start < last_end:
            continue  # inside the block just reported
        end_marker = f"-----END {match.group(1)}-----"
        end = -1 if end_marker in missing_markers else text.find(end_marker, header_end)
        if end >= 0:
            end += len(end_marker)
        else:
            missing_markers.add(end_marker)
            # A truncated block still leaks the key material that is there.
            body = match.match_after(_KEY_BODY_LINES)
            end = body.end(0) if body else header_end
            while end > header_end and text[end - 1].isspace():
                end -= 1
        last_end = max(end, header_end)
        body = text[header_end:end]
        if sum(c.isalnum() or c in "+/" for c in body) >= 64 and "..." not in body:
            yield finding("private_key", text, header_start, end)


# name = value, name: value, "name": "value", name => value, NAME=value, --name=value
# Values are matched whole and their length checked after: a counted repetition of a
# Unicode class would multiply the automaton's size by the count.
_MAX_VALUE = 512
_QUOTED_VALUE = r"[^\"'`\s\pZ]+"
_ASSIGNMENT_RE = bounded(
    rf"-{{0,2}}(?P<name>[A-Za-z_][{WORD}.-]*)[\"']?[ \t]*(?::=|=>|=|:)[ \t]*"
    rf"(?:\"(?P<dq>{_QUOTED_VALUE})\"|'(?P<sq>{_QUOTED_VALUE})'|`(?P<bq>{_QUOTED_VALUE})`"
    r"|(?P<bare>[^\s\pZ\"'`,;]+))",
    before=WORD + ".-",
)
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
_PATH_OR_URL = compile_re(
    r"^(?:[a-z][a-z0-9+.-]*://|[~./\\]|[A-Za-z]:\\)|\.(?:pem|key|json|txt|crt|p12|env|ya?ml|ini|cfg|toml)$"
)
_BARE_TOKEN = compile_re(r"[A-Za-z0-9+/=_.~-]+")
_AWS_SECRET_VALUE = compile_re(r"[A-Za-z0-9/+]{40}")
_UPPER, _LOWER, _DIGITS = (
    frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
    frozenset("abcdefghijklmnopqrstuvwxyz"),
    frozenset("0123456789"),
)


def _run_end(name: str, start: int, chars: frozenset[str]) -> int:
    while start < len(name) and name[start] in chars:
        start += 1
    return start


def _name_words(name: str) -> set[str]:
    """The words of an identifier: snake_case, camelCase, ALLCAPS and digit runs."""
    words, index = set(), 0
    while index < len(name):
        char = name[index]
        if char in _DIGITS:
            end = _run_end(name, index, _DIGITS)
        elif char in _LOWER:
            end = _run_end(name, index, _LOWER)
        elif char in _UPPER:
            end = _run_end(name, index, _UPPER)
            if end < len(name) and name[end] in _LOWER:
                # "Key" after "API" in "APIKey": the last capital starts the next word.
                end = _run_end(name, end, _LOWER) if end - index == 1 else end - 1
        else:
            index += 1
            continue
        words.add(name[index:end].lower())
        index = end
    return words


def _password_value_ok(value: str, quoted: bool) -> bool:
    if len(value) < 4 or len(value) > 128 or value.lower() in _COMMON_PASSWORD_STANDINS:
        return False
    if is_placeholder(value) or _PATH_OR_URL.search(value) or "(" in value or "[" in value:
        return False
    if quoted:
        return True
    # Bare letters are usually identifiers and types in code: password: str, pwd = user.pwd
    return any(c.isdigit() or not (c.isalpha() or c in "._") for c in value)


def detect_assignments(text: str) -> Iterator[Finding]:
    if "=" not in text and ":" not in text:
        return
    for match in matches(_ASSIGNMENT_RE, text):
        name = match.group("name")
        if len(name) > 64:
            continue
        words = _name_words(name)
        if not words or words & _NOT_SECRET_NAME_WORDS:
            continue
        group = next(g for g in ("dq", "sq", "bq", "bare") if match.group(g) is not None)
        value = match.group(group)
        start, end = match.span(group)
        if len(value) > _MAX_VALUE:
            if group != "bare":
                continue
            value, end = value[:_MAX_VALUE], start + _MAX_VALUE
        if words & _PASSWORD_WORDS:
            if _password_value_ok(value, quoted=group != "bare"):
                yield finding("password", text, start, end)
            continue
        lowered = name.lower().replace("-", "_")
        is_aws_secret_name = "secret" in words and ("access" in words or "aws" in lowered)
        if is_aws_secret_name and _AWS_SECRET_VALUE.fullmatch(value) and not is_placeholder(value):
            yield finding("aws_key", text, start, end)
            continue
        is_secret_name = bool(words & _SECRET_WORDS) or "apikey" in lowered.replace("_", "")
        if group == "bare" and not _BARE_TOKEN.fullmatch(value):
            continue  # a call or expression such as secrets.token_hex(32)
        if is_secret_name and not _PATH_OR_URL.search(value) and looks_random(value):
            yield finding("secret", text, start, end)


_BEARER_RE = compile_re(r"\bBearer[ \t]+(?P<m>[A-Za-z0-9._~+/-]{20,}=*)")


def detect_bearer_tokens(text: str) -> Iterator[Finding]:
    if "Bearer" not in text:
        return
    for match in matches(_BEARER_RE, text):
        if looks_random(match.group()):
            yield finding("secret", text, *match.span())


_PROSE_PASSWORD_RE = compile_re(
    rf"(?i)(?:^|[^{WORD}])(?:my|the|our|his|her|their|your)[\s\pZ\x85]+(?:[{WORD}-]+[\s\pZ\x85]+){{0,2}}?"
    r"(?:password|passcode|passphrase|pin|pw)[\s\pZ\x85]+(?:is|was|=|:)[\s\pZ\x85]*[:\-]?[\s\pZ\x85]*"
    r"(?:\"(?P<dq>[^\"\n]{1,128})\"|'(?P<sq>[^'\n]{1,128})'|“(?P<cq>[^”\n]{1,128})”"
    r"|(?P<bare>[^\s\pZ]{1,128}))"
)
_PASSWORD_HINT = compile_re(r"(?i)pass|pin|pw")
_CONNECTION_RE = bounded(
    r"[A-Za-z][A-Za-z0-9+.-]{1,20}://(?P<user>[^\s:/@]{0,64}):(?P<pw>[^\s/@]{1,128})@[\w.-]+",
    before=WORD + "+.-",
)


def detect_passwords(text: str) -> Iterator[Finding]:
    prose_matches = matches(_PROSE_PASSWORD_RE, text) if _PASSWORD_HINT.search(text) else ()
    for match in prose_matches:
        group = next(g for g in ("dq", "sq", "cq", "bare") if match.group(g) is not None)
        start, end = match.span(group)
        if group == "bare":
            while end > start and text[end - 1] in ".,;:!?)":
                end -= 1
        value = text[start:end]
        if _password_value_ok(value, quoted=group != "bare"):
            yield finding("password", text, start, end)
    for match in matches(_CONNECTION_RE, text) if "://" in text else ():
        password = match.group("pw")
        if password == match.group("user") or not _password_value_ok(password, quoted=True):
            continue
        yield finding("password", text, *match.span("pw"))


# Text none of these matches holds none of the findings above: each is a part every
# finding of a detector has (its literal start, a secret-sounding name before an operator,
# "password is"), not the whole pattern, whose counted repetitions would multiply the size
# of one automaton for them all.
GATES = (
    compile_re(
        r"sk-|A(?:KIA|SIA)|gh[pousr]_|github_pat_|AIza|xox[baprs]-|hooks\.slack\.com/"
        r"|[sr]k_(?:live|test)_|whsec_|eyJ|-----BEGIN |Bearer[ \t]"
    ),
    # An assignment is reported under a name holding one of these words, then the operator.
    compile_re(
        f"(?i)(?:{'|'.join(sorted(_PASSWORD_WORDS | _SECRET_WORDS | {'apikey'}))})"
        rf"[{WORD}.-]*[\"']?[ \t]*(?::=|=>|=|:)"
    ),
    compile_re(r"(?i)(?:password|passcode|passphrase|pin|pw)[\s\pZ\x85]+(?:is|was|=|:)"),
    compile_re(r"://[^\s/@]*:[^\s/@]+@"),
)
