"""Detectors for data about a person: email, phone, street address, IP, card, IBAN, SSN."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from functools import lru_cache

from .findings import Finding, finding, line_before
from .matching import WORD, bounded, compile_re, matches

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
_EMAIL_RE = bounded(
    r"[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,8}[A-Za-z]{2,24}",
    before=WORD + ".%+-",
    after=rf"$|[^{WORD}.-]|\.(?:$|[^A-Za-z0-9])",
)


def detect_emails(text: str) -> Iterator[Finding]:
    if "@" not in text:
        return
    for match in matches(_EMAIL_RE, text):
        start, end = match.span()
        local, _, domain = text[start:end].lower().rpartition("@")
        if domain in _RESERVED_EMAIL_DOMAINS or domain.endswith(_RESERVED_EMAIL_SUFFIXES):
            continue
        if domain.rsplit(".", 1)[-1] in _ASSET_EXTENSIONS:
            continue  # icon@2x.png
        if local == "git" or domain.startswith(("your", "domain.")):
            continue
        token_start = max(text.rfind(" ", 0, start), text.rfind("\n", 0, start))
        if "://" in text[token_start + 1 : start]:
            continue  # user-info in a URL, not a mailbox
        yield finding("email", text, start, end)


# A number ends where no word character follows, nor a separator and another digit.
_NUMBER_END = rf"$|[^{WORD}.\-/]|[.\-/](?:$|[^0-9])"
# Possessive in spirit: the greedy match is taken or nothing (checked after the match).
_PHONE_INTERNATIONAL = bounded(
    r"\+[1-9][0-9]{0,2}(?:[ .-]?\([0-9]{1,4}\))?(?:[ .-]?[0-9]{1,5}){1,6}",
    before=WORD + r")+\]",
)
_PHONE_NANP = bounded(
    r"(?:1[ .-]?)?(?:\([2-9][0-9]{2}\) ?[2-9][0-9]{2}[ .-]|[2-9][0-9]{2} [2-9][0-9]{2} "
    r"|[2-9][0-9]{2}\.[2-9][0-9]{2}\.|[2-9][0-9]{2}-[2-9][0-9]{2}-)[0-9]{4}",
    before=WORD + r"+.\-/",
    after=_NUMBER_END,
)
_PHONE_NATIONAL = bounded(
    r"(?:\(0[0-9]{1,4}\) ?|0[0-9]{1,4}[ /.-])[0-9]{2,8}"
    r"(?: [0-9]{2,8}(?: [0-9]{2,8}){0,3}|\.[0-9]{2,8}(?:\.[0-9]{2,8}){0,3}"
    r"|-[0-9]{2,8}(?:-[0-9]{2,8}){0,3})?",
    before=WORD + r"+.\-/",
    after=_NUMBER_END,
)
_PHONE_VETO = compile_re(
    r"(?i)(?:isbn(?:-1[03])?|order|invoice|ticket|tracking|ref(?:erence)?|serial|sku|part|"
    r"case|id|build|version|#|no\.)\s*(?:number|no\.?|#)?\s*[:#]?\s*$"
)
_DATE_LIKE = compile_re(
    r"[0-9]{1,4}\.[0-9]{1,2}\.[0-9]{1,4}|[0-9]{1,4}/[0-9]{1,2}/[0-9]{1,4}"
    r"|[0-9]{1,4}-[0-9]{1,2}-[0-9]{1,4}"
)


def _number_ends(text: str, end: int) -> bool:
    """No word character follows, nor a separator and another digit."""
    after = text[end : end + 2]
    if not after:
        return True
    if after[0].isalnum() or after[0] == "_":
        return False
    return not (after[0] in ".-/" and after[1:].isdigit())


def detect_phones(text: str) -> Iterator[Finding]:
    for pattern, min_digits, max_digits in (
        (_PHONE_INTERNATIONAL, 8, 15),
        (_PHONE_NANP, 10, 11),
        (_PHONE_NATIONAL, 9, 12),
    ):
        for match in matches(pattern, text):
            start, end = match.span()
            value = text[start:end]
            if pattern is _PHONE_INTERNATIONAL and not _number_ends(text, end):
                continue
            digits = sum(c.isdigit() for c in value)
            if not min_digits <= digits <= max_digits:
                continue
            if pattern is _PHONE_INTERNATIONAL and digits < 10 and not set(value) & set(" .()-"):
                continue  # "+12345678" reads as a signed number
            if _DATE_LIKE.fullmatch(value) or _PHONE_VETO.search(line_before(text, start)):
                continue
            yield finding("phone", text, start, end)


_STREET_TYPES = (
    r"(?:Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Boulevard|Blvd|Drive|Dr|Court|Ct|Place|Pl"
    r"|Terrace|Way|Parkway|Pkwy|Highway|Hwy|Circle|Cir|Square|Sq|Trail|Crescent|Close|Alley|Plaza)"
)
_NOT_STREET_NAMES = frozenset(
    ["The", "A", "An", "This", "That", "My", "Our", "Your", "Of", "In", "On", "At", "To", "For", "And", "Or"]
)  # fmt: skip
_ADDRESS_EN = bounded(
    r"[0-9]{1,6}[A-Za-z]?(?:-[0-9]{1,4})?[\s\pZ\x85]+"
    r"(?:(?:North|South|East|West|[NSEW]\.?)[\s\pZ\x85]+)?"
    r"(?P<first>[A-Z][a-z'’]+|[0-9]{1,3}(?:st|nd|rd|th))[\s\pZ\x85]+"
    r"(?:(?:[A-Z][a-z'’]+|[0-9]{1,3}(?:st|nd|rd|th))[\s\pZ\x85]+){0,2}" + _STREET_TYPES + r"\b\.?"
    r"(?:[\s\pZ\x85]+(?:NW|NE|SW|SE|N|S|E|W)\b)?"
    r"(?:,?[\s\pZ\x85]+(?:Apt|Apartment|Suite|Ste|Unit|#)\.?[\s\pZ\x85]*[\pL\pN_-]{1,6})?"
    r"(?:,[\s\pZ\x85]*[A-Z][a-z]+(?:[ -][A-Z][a-z]+){0,2})?"
    r"(?:,?[\s\pZ\x85]*(?:[A-Z]{2}[\s\pZ\x85]+[0-9]{5}(?:-[0-9]{4})?|[A-Z]{1,2}[0-9][A-Z0-9]?[\s\pZ\x85]*[0-9][A-Z]{2}\b"
    r"|[A-Z]{2}\b|[0-9]{5}\b))?",
    before=WORD + ".,/-",
)
_ADDRESS_DE = bounded(
    r"(?:[A-ZÄÖÜ][a-zäöüß]+(?:-[A-ZÄÖÜ][a-zäöüß]+)*(?:straße|strasse|str\.|weg|gasse|allee|platz)"
    r"|[A-ZÄÖÜ][a-zäöüß]+[\s\pZ\x85](?:Straße|Strasse|Str\.|Weg|Gasse|Allee|Platz))"
    r"[\s\pZ\x85][0-9]{1,4}[\s\pZ\x85]?[a-z]?\b(?:,[\s\pZ\x85]*[0-9]{5}[\s\pZ\x85][A-ZÄÖÜ][a-zäöüß]+)?",
    before=WORD + "-",
)
_ADDRESS_FR = bounded(
    r"[0-9]{1,4}(?:[\s\pZ\x85]?(?:bis|ter))?,?[\s\pZ\x85](?:rue|avenue|boulevard|bd|allée|impasse|chemin|quai)[\s\pZ\x85]"
    r"(?:(?:de la|de l'|de l’|du|des|de|d'|d’|la|le|les)[\s\pZ\x85]?)?[A-ZÉÈ][\pL\pN_'’-]+"
    r"(?:[\s\pZ\x85][A-ZÉÈ][\pL\pN_'’-]+){0,3}(?:,[\s\pZ\x85]*[0-9]{5}[\s\pZ\x85][A-ZÉ][\pL\pN_-]+)?",
    before=WORD + ".,/-",
)
_ADDRESS_PATTERNS = (
    (compile_re(_STREET_TYPES + r"\b"), _ADDRESS_EN),
    (compile_re(r"(?i)stra(?:ß|ss)e|str\.|weg|gasse|allee|platz"), _ADDRESS_DE),
    (compile_re(r"rue|avenue|boulevard|bd|allée|impasse|chemin|quai"), _ADDRESS_FR),
)


def detect_addresses(text: str) -> Iterator[Finding]:
    for hint, pattern in _ADDRESS_PATTERNS:
        if not hint.search(text):
            continue
        for match in matches(pattern, text):
            if pattern is _ADDRESS_EN and match.group("first") in _NOT_STREET_NAMES:
                continue  # "12 The ..." is a count of things, not a house number
            yield finding("address", text, *match.span())


_IPV4_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4_RE = bounded(
    rf"(?:{_IPV4_OCTET}\.){{3}}{_IPV4_OCTET}",
    before=WORD + ".",
    after=rf"$|[^{WORD}.]|\.(?:$|[^0-9])",
)
_IPV6_RE = bounded(
    r"[0-9A-Fa-f:]{3,39}", before=WORD + ":.", after=rf"$|[^{WORD}:.]|\.(?:$|[^0-9])"
)
_IPV6_START = compile_re(r"[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:")
_VERSION_BEFORE = compile_re(
    r"(?i)(?:\b(?:v|ver|version|versions|release|rel|build|python|node|firmware|kernel|"
    r"update|upgrade|tag|sdk)\.?|==|>=|<=|~=|!=|\^|~)\s*[:=]?\s*$"
)
_VERSION_AFTER = compile_re(r"^(?:[-+~][0-9A-Za-z]|[a-z])")
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


def detect_ips(text: str) -> Iterator[Finding]:
    for match in matches(_IPV4_RE, text) if "." in text else ():
        start, end = match.span()
        if not _is_public_ipv4(text[start:end]):
            continue
        if _VERSION_BEFORE.search(line_before(text, start, 24)):
            continue
        if _VERSION_AFTER.match(text[end : end + 2]):
            continue
        yield finding("ip", text, start, end)
    for match in matches(_IPV6_RE, text) if ":" in text else ():
        value = match.group()
        if _IPV6_START.match(value) and _is_public_ipv6(value):
            yield finding("ip", text, *match.span())


_CARD_RE = bounded(
    r"[0-9](?:[ -]?[0-9]){12,18}",
    before=WORD + ".-",
    after=rf"$|[^{WORD}.-]|[.-](?:$|[^0-9])",
)


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


def detect_cards(text: str) -> Iterator[Finding]:
    for match in matches(_CARD_RE, text):
        value = match.group()
        separators = {c for c in value if not c.isdigit()}
        if len(separators) > 1:
            continue
        digits = "".join(c for c in value if c.isdigit())
        if separators:
            groups = [len(g) for g in value.replace("-", " ").split(" ")]
            if any(size < 4 for size in groups[:-1]) or groups[-1] < 3:
                continue
        if _card_brand_accepts(digits) and _luhn_valid(digits):
            yield finding("card", text, *match.span())


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
_IBAN_RE = bounded(r"[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{1,4}){3,8}", before=WORD + "-")


def _iban_valid(compact: str) -> bool:
    rearranged = compact[4:] + compact[:4]
    numeric = "".join(str(int(c, 36)) for c in rearranged)
    return int(numeric) % 97 == 1


def detect_ibans(text: str) -> Iterator[Finding]:
    for match in matches(_IBAN_RE, text):
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
            yield finding("iban", text, match.start(), match.start() + cut)


_SSN_DASHED = bounded(
    r"[0-9]{3}-[0-9]{2}-[0-9]{4}", before=WORD + "-", after=rf"$|[^{WORD}-]|-(?:$|[^0-9])"
)
_SSN_CONTEXT = compile_re(
    rf"(?i)(?:^|[^{WORD}])(?:ssn|social security(?: number| no\.?)?|ss#)[\s\pZ\x85]*(?:#|no\.?|number)?[\s\pZ\x85]*[:=]?[\s\pZ\x85]*"
    rf"(?P<m>[0-9]{{3}}-[0-9]{{2}}-[0-9]{{4}}|[0-9]{{3}} [0-9]{{2}} [0-9]{{4}}|[0-9]{{9}})"
    rf"(?:$|[^{WORD}])"
)
_SSN_HINT = compile_re(r"(?i)ss|social")
_SAMPLE_SSNS = frozenset({"123456789", "078051120"})


def _ssn_valid(value: str) -> bool:
    digits = value.replace("-", "").replace(" ", "")
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    if area in ("000", "666") or area.startswith("9") or group == "00" or serial == "0000":
        return False
    return digits not in _SAMPLE_SSNS


def detect_ssns(text: str) -> Iterator[Finding]:
    for match in matches(_SSN_DASHED, text) if "-" in text else ():
        if _ssn_valid(match.group()):
            yield finding("ssn", text, *match.span())
    for match in matches(_SSN_CONTEXT, text) if _SSN_HINT.search(text) else ():
        if _ssn_valid(match.group()):
            yield finding("ssn", text, *match.span())


# Every finding above is a match of one of these: a text none of them matches holds none.
GATES = (
    _EMAIL_RE,
    _PHONE_INTERNATIONAL,
    _PHONE_NANP,
    _PHONE_NATIONAL,
    *(pattern for _, pattern in _ADDRESS_PATTERNS),
    _IPV4_RE,
    _IPV6_START,  # an IPv6 finding starts with it
    _CARD_RE,
    _IBAN_RE,
    _SSN_DASHED,
    _SSN_CONTEXT,
)
