"""HTTP Signatures as the fediverse sends them (draft-cavage-http-signatures-12, rsa-sha256).

Decisions worth knowing:
- Mastodon signs `rsa-sha256`, GoToSocial `hs2019`; both are RSA PKCS#1 v1.5 over SHA-256 here.
- A signed POST must cover `(request-target)`, `host`, `date` and `digest`, and its `Digest`
  must match the body: otherwise the body could be swapped under a valid signature.
- `Date` may be off by an hour either way (clocks drift; deliveries are retried).
Pure: no Flask, no network.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

MAX_SKEW = timedelta(hours=1)
ALGORITHMS = {"rsa-sha256", "hs2019"}
PARAM = re.compile(r'\s*([a-zA-Z]+)\s*=\s*"([^"]*)"\s*(?:,|$)')


class SignatureError(ValueError):
    """The request's signature is missing, malformed, stale or wrong."""


@dataclass(frozen=True)
class ParsedSignature:
    key_id: str
    algorithm: str
    headers: tuple[str, ...]
    signature: bytes


def digest(body: bytes) -> str:
    """The `Digest` header of a body."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


def sign_headers(
    method: str,
    url: str,
    body: bytes | None,
    key: rsa.RSAPrivateKey,
    key_id: str,
    now: datetime | None = None,
) -> dict[str, str]:
    """The headers that sign a request to `url`: Host, Date, Digest (with a body), Signature."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    headers = {
        "Host": parts.netloc,
        "Date": format_datetime(now or datetime.now(UTC), usegmt=True),
    }
    if body is not None:
        headers["Digest"] = digest(body)
    names = ["(request-target)", "host", "date"] + (["digest"] if body is not None else [])
    lower = {k.lower(): v for k, v in headers.items()}
    text = signing_string(method, target, lower, names)
    signature = key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())
    headers["Signature"] = (
        f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(names)}",'
        f'signature="{base64.b64encode(signature).decode()}"'
    )
    return headers


def signing_string(method: str, target: str, headers: Mapping[str, str], names: list[str]) -> str:
    """The lines the signature covers, in the order the signer listed them."""
    lines = []
    for name in names:
        if name == "(request-target)":
            lines.append(f"(request-target): {method.lower()} {target}")
        elif name in headers:
            lines.append(f"{name}: {headers[name]}")
        else:
            raise SignatureError(f"the signature covers {name!r}, which the request lacks")
    return "\n".join(lines)


def parse(header: str) -> ParsedSignature:
    """The fields of a `Signature` header."""
    fields = dict(PARAM.findall(header))
    try:
        return ParsedSignature(
            key_id=fields["keyId"],
            algorithm=fields.get("algorithm", "hs2019").lower(),
            headers=tuple(fields.get("headers", "date").lower().split()),
            signature=base64.b64decode(fields["signature"], validate=True),
        )
    except (KeyError, ValueError) as exc:
        raise SignatureError("the Signature header is malformed") from exc


def key_id_of(headers: Mapping[str, str]) -> str:
    """The key a request says it is signed with (headers with lower-case names)."""
    header = headers.get("signature")
    if not header:
        raise SignatureError("the request is not signed")
    return parse(header).key_id


def verify(
    method: str,
    target: str,
    headers: Mapping[str, str],
    body: bytes,
    public_key_pem: str,
    now: datetime | None = None,
) -> None:
    """Check a request's signature against the key; raise SignatureError if it does not hold.

    `headers` has lower-case names; `target` is the path with its query string.
    """
    header = headers.get("signature")
    if not header:
        raise SignatureError("the request is not signed")
    parsed = parse(header)
    if parsed.algorithm not in ALGORITHMS:
        raise SignatureError(f"unsupported signature algorithm {parsed.algorithm!r}")
    required = {"(request-target)", "host", "date"}
    if method.upper() == "POST":
        required.add("digest")
    if missing := required - set(parsed.headers):
        raise SignatureError(f"the signature does not cover {', '.join(sorted(missing))}")
    check_date(headers.get("date", ""), now or datetime.now(UTC))
    if method.upper() == "POST":
        check_digest(headers.get("digest", ""), body)
    text = signing_string(method, target, headers, list(parsed.headers))
    check_rsa_sha256(public_key_pem, parsed.signature, text)


def check_rsa_sha256(public_key_pem: str, signature: bytes, text: str) -> None:
    """Refuse a signature that is not the key's RSA PKCS#1 v1.5 SHA-256 signature of `text`.

    Both kinds of signature end here: draft-cavage's over its signing string, RFC 9421's
    (`rfc9421.py`) over its signature base.
    """
    try:
        key = serialization.load_pem_public_key(public_key_pem.encode())
    except ValueError as exc:
        raise SignatureError("the signer's public key cannot be read") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise SignatureError("the signer's key is not an RSA key")
    try:
        key.verify(signature, text.encode(), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as exc:
        raise SignatureError("the signature does not match") from exc


def check_date(value: str, now: datetime) -> None:
    """Refuse a `Date` more than an hour away from now."""
    try:
        sent = parsedate_to_datetime(value)
    except (TypeError, ValueError) as exc:
        raise SignatureError("the Date header is missing or malformed") from exc
    if sent.tzinfo is None:
        sent = sent.replace(tzinfo=UTC)
    if abs(now - sent) > MAX_SKEW:
        raise SignatureError("the Date header is more than an hour off")


def check_digest(value: str, body: bytes) -> None:
    """Refuse a body whose SHA-256 is not the one the signed `Digest` states."""
    for part in value.split(","):
        name, _, encoded = part.strip().partition("=")
        if name.upper() == "SHA-256":
            if encoded != digest(body).partition("=")[2]:
                raise SignatureError("the Digest does not match the body")
            return
    raise SignatureError("the request has no SHA-256 Digest")
