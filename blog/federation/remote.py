"""Talking to other servers: signed GETs of actors, signed POSTs of activities.

Only https addresses are fetched, and none that resolves to a private or loopback address
(a keyId is whatever a stranger's request says), except when the site itself runs on a
loopback address: then it is a test against a peer on the same machine. Certificates are
always verified: against the system's trust store and, if `FEDERATION_CA_BUNDLE` names a file,
the certificate authorities in it too (a private CA, or a test's throwaway one).
"""

from __future__ import annotations

import ipaddress
import json
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from flask import Flask, current_app

from ..extensions import db
from ..models import utcnow
from . import identity
from .models import RemoteActor
from .signatures import sign_headers

ACTIVITY_JSON = "application/activity+json"
ACCEPT = f'{ACTIVITY_JSON}, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
MAX_RESPONSE_BYTES = 1024 * 1024
USER_AGENT = "Colloquy (ActivityPub)"


class RemoteError(Exception):
    """Another server could not be reached, refused us, or sent something unusable."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes


def loopback_site() -> bool:
    """Whether the site runs on a loopback address (tests against a local peer)."""
    host = urlsplit(current_app.config.get("SITE_URL") or "").hostname or ""
    return identity.is_loopback(host)


def check_address(url: str) -> None:
    """Refuse an address we must not fetch (see the module's docstring)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if loopback_site() and identity.is_loopback(host) and parts.scheme in ("http", "https"):
        return
    if parts.scheme != "https" or not host:
        raise RemoteError(f"not an https address: {url}")
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise RemoteError(f"{host} cannot be resolved") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise RemoteError(f"{host} resolves to a private address")


def request(method: str, url: str, body: bytes | None = None) -> Answer:
    """Send a request signed with the blog's key; any answer, or RemoteError if none came."""
    check_address(url)
    headers = sign_headers(method, url, body, identity.private_key(), identity.key_id())
    headers["User-Agent"] = USER_AGENT
    headers["Accept"] = ACCEPT
    if body is not None:
        headers["Content-Type"] = ACCEPT.split(",")[0]
    outgoing = urllib.request.Request(url, data=body, method=method, headers=headers)
    timeout = float(current_app.config["FEDERATION_TIMEOUT_SECONDS"])
    try:
        with opener(ca_bundle(current_app.config)).open(outgoing, timeout=timeout) as response:
            return Answer(response.status, response.read(MAX_RESPONSE_BYTES))
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, exc.read(MAX_RESPONSE_BYTES) if exc.fp else b"")
    except (OSError, ValueError) as exc:
        raise RemoteError(f"{urlsplit(url).netloc} could not be reached ({exc})") from exc


class CheckedRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to an address we may fetch: one to a private address is refused."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        try:
            check_address(newurl)
        except RemoteError as exc:
            raise urllib.error.URLError(f"redirected to a refused address ({exc})") from exc
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def ca_bundle(config: Mapping) -> str:
    """The extra certificate authorities' file, "" for the system's trust store alone."""
    return str(config.get("FEDERATION_CA_BUNDLE") or "")


def check_ca_bundle(app: Flask) -> None:
    """Refuse to start with a CA bundle that cannot be read, rather than fail every delivery."""
    opener(ca_bundle(app.config))


@lru_cache(maxsize=4)
def opener(bundle: str) -> urllib.request.OpenerDirector:
    """An opener that verifies certificates against the system's CAs plus the bundle's."""
    context = ssl.create_default_context()
    if bundle:
        try:
            context.load_verify_locations(cafile=bundle)
        except (OSError, ssl.SSLError) as exc:
            raise identity.FederationSettingsError(
                f"FEDERATION_CA_BUNDLE {bundle} cannot be read as PEM certificates ({exc})."
            ) from exc
    return urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=context), CheckedRedirects
    )


def fetch_json(url: str) -> dict:
    """A remote ActivityPub document, fetched with a signed GET."""
    answer = request("GET", url)
    if answer.status != 200:
        raise RemoteError(f"{url} answered {answer.status}")
    try:
        document = json.loads(answer.body)
    except ValueError as exc:
        raise RemoteError(f"{url} did not answer with JSON") from exc
    if not isinstance(document, dict):
        raise RemoteError(f"{url} did not answer with an object")
    return document


def actor_for_key(key_id: str, *, refresh: bool = False) -> RemoteActor:
    """The actor owning a key, from our table or fetched (again, with `refresh`)."""
    known = db.session.scalar(db.select(RemoteActor).where(RemoteActor.key_id == key_id))
    if known is not None and not refresh:
        return known
    address = key_id.split("#", 1)[0]
    document = fetch_json(address)
    if document.get("type") not in ACTOR_TYPES and isinstance(document.get("owner"), str):
        address = document["owner"]  # the keyId named a key document
        document = fetch_json(address)
    same_origin(key_id, address, document.get("id"))
    found = store_actor(document, known)
    if found.key_id != key_id:
        raise RemoteError("the actor does not hold the key the request names")
    return found


def same_origin(*addresses: object) -> None:
    """Refuse a document that speaks for another server than the one it came from.

    Otherwise anyone could serve an actor document naming someone else's id with their own key.
    """
    origins = {urlsplit(a).netloc if isinstance(a, str) else None for a in addresses}
    if len(origins) != 1 or None in origins:
        raise RemoteError("the actor document names an id on another server")


ACTOR_TYPES = {"Person", "Service", "Application", "Group", "Organization"}


def store_actor(document: dict, known: RemoteActor | None) -> RemoteActor:
    """Keep what we need of an actor document: its inboxes and public key."""
    key = document.get("publicKey")
    if isinstance(key, list):
        key = key[0] if key else None
    uri, inbox = document.get("id"), document.get("inbox")
    if not (isinstance(key, dict) and isinstance(uri, str) and isinstance(inbox, str)):
        raise RemoteError("the actor document has no id, inbox or public key")
    if key.get("owner", uri) != uri:
        raise RemoteError("the actor's key belongs to someone else")
    endpoints = document.get("endpoints") if isinstance(document.get("endpoints"), dict) else {}
    row = known or db.session.scalar(db.select(RemoteActor).where(RemoteActor.uri == uri))
    if row is None:
        row = RemoteActor(uri=uri)
        db.session.add(row)
    row.key_id = str(key.get("id") or f"{uri}#main-key")
    row.public_key_pem = str(key.get("publicKeyPem") or "")
    row.inbox = inbox
    row.shared_inbox = str(endpoints.get("sharedInbox") or "")
    row.name = str(document.get("name") or document.get("preferredUsername") or "")[:200]
    url = document.get("url")
    row.url = url if isinstance(url, str) else uri
    row.fetched_at = utcnow()
    db.session.flush()
    return row
