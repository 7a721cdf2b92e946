"""HTTP Message Signatures (RFC 9421) as newer fediverse servers send them, verified.

Decisions worth knowing:
- Only `rsa-v1_5-sha256` keys (the fediverse's RSA actor keys); the first signature whose
  components we can check is used.
- A signed POST must cover `@method`, the target (`@target-uri`, or `@authority` with `@path`)
  and `content-digest`, whose SHA-256 or SHA-512 (RFC 9530) must match the body.
- `created` may be an hour off either way, like draft-cavage's `Date`; a passed `expires` fails.
Pure: no Flask, no network.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from .signatures import MAX_SKEW, SignatureError, check_rsa_sha256

MEMBER = re.compile(r"\s*([a-z*][a-z0-9_.*-]*)=(\([^)]*\)(?:;[^,]*)?)\s*(?:,|$)")
SIGNATURE = re.compile(r"\s*([a-z*][a-z0-9_.*-]*)=:([A-Za-z0-9+/=]*):\s*(?:,|$)")
COMPONENT = re.compile(r'"([^"]+)"')
PARAMETER = re.compile(r';\s*([a-z]+)=("[^"]*"|-?\d+)')
DIGESTS = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}


@dataclass(frozen=True)
class Signed:
    label: str
    components: tuple[str, ...]
    params: dict[str, str | int]
    # The inner list with its parameters exactly as sent: the signature base's last line.
    raw_params: str
    signature: bytes

    @property
    def key_id(self) -> str:
        return str(self.params.get("keyid", ""))


def signatures(headers: Mapping[str, str]) -> list[Signed]:
    """The signatures a request carries (headers with lower-case names)."""
    sent = {label: value for label, value in SIGNATURE.findall(headers.get("signature", ""))}
    found = []
    for label, raw in MEMBER.findall(headers.get("signature-input", "")):
        if label not in sent:
            continue
        inner, _, rest = raw.partition(")")
        params = {
            name: value.strip('"') if value.startswith('"') else int(value)
            for name, value in PARAMETER.findall(rest)
        }
        try:
            signature = base64.b64decode(sent[label], validate=True)
        except ValueError:
            continue
        found.append(Signed(label, tuple(COMPONENT.findall(inner)), params, raw, signature))
    if not found:
        raise SignatureError("the Signature-Input and Signature headers are malformed")
    return found


def key_id(headers: Mapping[str, str]) -> str:
    """The key the request's first signature names."""
    return signatures(headers)[0].key_id


def verify(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    public_key_pem: str,
    now: datetime | None = None,
) -> None:
    """Check the request's first signature; raise SignatureError if it does not hold."""
    signed = signatures(headers)[0]
    algorithm = signed.params.get("alg", "rsa-v1_5-sha256")
    if algorithm != "rsa-v1_5-sha256":
        raise SignatureError(f"unsupported signature algorithm {algorithm!r}")
    covered = set(signed.components)
    if "@method" not in covered or not (
        "@target-uri" in covered or {"@authority", "@path"} <= covered
    ):
        raise SignatureError("the signature does not cover the method and the target")
    if method.upper() == "POST":
        if "content-digest" not in covered:
            raise SignatureError("the signature does not cover content-digest")
        check_content_digest(headers.get("content-digest", ""), body)
    check_times(signed.params, now or datetime.now(UTC))
    check_rsa_sha256(public_key_pem, signed.signature, signature_base(method, url, headers, signed))


def signature_base(method: str, url: str, headers: Mapping[str, str], signed: Signed) -> str:
    """The text the signature covers (RFC 9421 §2.5)."""
    parts = urlsplit(url)
    derived = {
        "@method": method.upper(),
        "@target-uri": url,
        "@authority": parts.netloc.lower(),
        "@scheme": parts.scheme.lower(),
        "@request-target": parts.path + (f"?{parts.query}" if parts.query else ""),
        "@path": parts.path or "/",
        "@query": f"?{parts.query}",
    }
    lines = []
    for name in signed.components:
        if name in derived:
            value = derived[name]
        elif name in headers:
            value = " ".join(headers[name].split())
        else:
            raise SignatureError(f"the signature covers {name!r}, which we cannot check")
        lines.append(f'"{name}": {value}')
    lines.append(f'"@signature-params": {signed.raw_params}')
    return "\n".join(lines)


def check_content_digest(value: str, body: bytes) -> None:
    """Refuse a body whose digest is not the one the signed `Content-Digest` states."""
    for name, encoded in re.findall(r"([a-z0-9-]+)=:([A-Za-z0-9+/=]*):", value):
        if name in DIGESTS:
            if base64.b64encode(DIGESTS[name](body).digest()).decode() != encoded:
                raise SignatureError("the Content-Digest does not match the body")
            return
    raise SignatureError("the request has no SHA-256 or SHA-512 Content-Digest")


def check_times(params: Mapping[str, str | int], now: datetime) -> None:
    created = params.get("created")
    if not isinstance(created, int):
        raise SignatureError("the signature does not say when it was created")
    if abs(now.timestamp() - created) > MAX_SKEW.total_seconds():
        raise SignatureError("the signature was created more than an hour from now")
    expires = params.get("expires")
    if isinstance(expires, int) and expires < now.timestamp():
        raise SignatureError("the signature has expired")
