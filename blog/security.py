"""Response headers, trusted hosts and the proxy setup every response relies on."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

HSTS = "max-age=31536000"
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def init_app(app: Flask) -> None:
    """Install the header hook, trusted hosts and, behind a proxy, ProxyFix."""
    hops = int(app.config.get("PROXY_FIX_HOPS") or 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    hosts = app.config.get("TRUSTED_HOSTS")
    site_host = urlsplit(str(app.config.get("SITE_URL") or "")).hostname
    if not hosts and site_host and not (app.debug or app.testing):
        hosts = [site_host]  # links are then only ever built for the site's own host
        app.config["TRUSTED_HOSTS"] = hosts
    if isinstance(hosts, str):
        app.config["TRUSTED_HOSTS"] = [h.strip() for h in hosts.split(",") if h.strip()]
    app.after_request(add_security_headers)


def add_security_headers(response: Response, secure: bool | None = None) -> Response:
    """A strict CSP and the usual hardening headers on every response."""
    if secure is None:
        secure = request.is_secure
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if secure:
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response
