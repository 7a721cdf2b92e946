"""Whole public pages cached and served with validators; invalidated by one counter.

A page is rendered by its view once per change of the site, stored in the configured
Flask-Caching backend (per process by default; Redis or memcached when several hosts
share it), and then served to anonymous readers by a small WSGI layer that answers
before Flask routes the request. Every lookup first reads the generation counter from
the database, which every change to public content bumps, so no worker or host can
serve a page older than the last change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps

from flask import Flask, Response, current_app, make_response, request
from flask_caching import Cache
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.engine import Engine
from werkzeug.wrappers import Request

from .extensions import db
from .security import add_security_headers

cache = Cache()

# Paths that are never cached pages: the studio, sign-in and static files.
UNCACHED_PREFIXES = ("/studio", "/login", "/logout", "/setup", "/static/")
GENERATION_SQL = text("SELECT key, value FROM settings WHERE key IN ('generation', 'changed_at')")


def init_app(app: Flask) -> None:
    cache.init_app(app)
    app.wsgi_app = PageCacheMiddleware(app, app.wsgi_app)


def site_state(engine: Engine) -> tuple[str, str]:
    """The generation counter and the time of the last public change, in one query."""
    with engine.connect() as connection:
        values = dict(connection.execute(GENERATION_SQL).all())
    return values.get("generation", "0"), values.get("changed_at", "")


def page_key(environ: dict, generation: str) -> str:
    """The cache key of a page: the site's generation, the host and the full path."""
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
    query = environ.get("QUERY_STRING", "")
    return f"page:{generation}:{host}:{environ.get('PATH_INFO', '')}?{query}"


def anonymous_read(environ: dict, session_cookie: str, remember_cookie: str) -> bool:
    """A GET or HEAD for a public path from someone carrying no sign-in cookie."""
    if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
        return False
    if environ.get("PATH_INFO", "").startswith(UNCACHED_PREFIXES):
        return False
    cookies = environ.get("HTTP_COOKIE", "")
    return f"{session_cookie}=" not in cookies and f"{remember_cookie}=" not in cookies


class PageCacheMiddleware:
    """Answers anonymous reads of cached pages without entering the Flask app."""

    def __init__(self, app: Flask, wsgi_app) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self.engine: Engine | None = None

    def __call__(self, environ, start_response):
        config = self.app.config
        if not anonymous_read(
            environ,
            config["SESSION_COOKIE_NAME"],
            config.get("REMEMBER_COOKIE_NAME", "remember_token"),
        ):
            return self.wsgi_app(environ, start_response)
        if self.engine is None:
            with self.app.app_context():
                self.engine = db.engine
        generation, _ = site_state(self.engine)
        entry = cache.cache.get(page_key(environ, generation))
        if entry is None:
            return self.wsgi_app(environ, start_response)
        response = cached_response(entry, Request(environ), config["PUBLIC_CACHE_MAX_AGE"])
        return add_security_headers(response, secure=environ.get("wsgi.url_scheme") == "https")(
            environ, start_response
        )


def public_page(view: Callable) -> Callable:
    """Cache the view's page for anonymous readers; send ETag, Last-Modified and 304s."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_user.is_authenticated:
            response = make_response(view(*args, **kwargs))
            response.headers["Cache-Control"] = "private, no-cache"
            response.vary.add("Cookie")
            return response
        generation, changed_at = site_state(db.engine)
        key = page_key(request.environ, generation)
        entry = cache.get(key)
        if entry is None:
            response = make_response(view(*args, **kwargs))
            if response.status_code != 200:
                return response
            body = response.get_data()
            entry = {
                "body": body,
                "content_type": response.content_type,
                "etag": hashlib.sha256(body).hexdigest()[:32],
                "last_modified": changed_at,
            }
            cache.set(key, entry)
        return cached_response(entry, request, current_app.config["PUBLIC_CACHE_MAX_AGE"])

    return wrapper


def cached_response(entry: dict, incoming: Request, max_age: int) -> Response:
    """A response for a cache entry, answering conditional requests with 304."""
    response = Response(entry["body"], content_type=entry["content_type"])
    response.set_etag(entry["etag"])
    if entry["last_modified"]:
        response.headers["Last-Modified"] = entry["last_modified"]
    response.headers["Cache-Control"] = f"public, max-age={max_age}, must-revalidate"
    response.vary.add("Cookie")
    return response.make_conditional(incoming)
