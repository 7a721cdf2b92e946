"""Who the blog is on the fediverse: its address, handle, actor id and key."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, current_app

from . import keys


class FederationSettingsError(RuntimeError):
    """The federation settings cannot work as given."""


def check_settings(app: Flask) -> None:
    """Refuse to start federating without a public https address (http only on loopback)."""
    site = str(app.config.get("SITE_URL") or "")
    parts = urlsplit(site)
    if not site or not parts.hostname:
        raise FederationSettingsError(
            "FEDERATION_ENABLED needs SITE_URL (e.g. https://blog.example.org): other servers "
            "know the blog by that address."
        )
    if parts.scheme != "https" and not (parts.scheme == "http" and is_loopback(parts.hostname)):
        raise FederationSettingsError(
            "FEDERATION_ENABLED needs an https SITE_URL: other servers refuse plain http."
        )
    if parts.path not in ("", "/"):
        raise FederationSettingsError(
            "FEDERATION_ENABLED needs the site at the root of its host: WebFinger and NodeInfo "
            "live at /.well-known/ and cannot be under a path."
        )
    if not str(app.config.get("FEDERATION_HANDLE") or "").isidentifier():
        raise FederationSettingsError("FEDERATION_HANDLE must be a simple name, e.g. blog.")


def is_loopback(host: str) -> bool:
    """Whether a host name is this machine (plain http is allowed there, for tests)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def base_url() -> str:
    return str(current_app.config["SITE_URL"]).rstrip("/")


def host() -> str:
    return urlsplit(base_url()).netloc


def handle() -> str:
    return str(current_app.config["FEDERATION_HANDLE"])


def actor_id() -> str:
    return f"{base_url()}/fediverse/actor"


def key_id() -> str:
    return f"{actor_id()}#main-key"


def object_id(post_id: int) -> str:
    """The id of a post's Article, stable across slug changes (and its Tombstone's)."""
    return f"{base_url()}/fediverse/posts/{post_id}"


def private_key() -> rsa.RSAPrivateKey:
    """The blog's key, read once per process."""
    key = current_app.extensions.get("federation_key")
    if key is None:
        key = keys.load_private_key(Path(current_app.instance_path))
        current_app.extensions["federation_key"] = key
    return key
