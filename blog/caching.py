"""Whole public pages cached and served with validators; invalidated by one counter.

A page is rendered by its view once per change of the site, stored in the configured
Flask-Caching backend (per process by default; Redis or memcached when several hosts
share it), and then served to anonymous readers by a small WSGI layer that answers
before Flask routes the request. Every lookup first reads the generation counter from
the database, which every change to public content bumps, so no worker or host can
serve a page older than the last change.

Only pages that are the same for every reader are stored: a request that brings session
state (a flash, a sign-in, a CSRF token) is rendered for that reader alone, and a page
whose rendering read or wrote the session or set a cookie is never stored, so one
reader's "Signed out." or "This form expired" can never be served to the next.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Callable
from functools import wraps

from flask import Flask, Response, current_app, make_response, request, session
from flask_caching import Cache
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.engine import Engine
from werkzeug.http import parse_etags
from werkzeug.wrappers import Request

from .extensions import db
from .security import HSTS, add_security_headers

cache = Cache()

# Paths that are never cached pages: the studio, sign-in and static files.
UNCACHED_PREFIXES = ("/studio", "/login", "/logout", "/setup", "/static/")
BODY_HEADERS = ("Content-Type", "Content-Length")
GENERATION_SQL = text("SELECT key, value FROM settings WHERE key IN ('generation', 'changed_at')")


def init_app(app: Flask) -> None:
    cache.init_app(app)
    app.wsgi_app = PageCacheMiddleware(app, app.wsgi_app)


_readers = threading.local()


def site_state(engine: Engine) -> tuple[str, str]:
    """The generation counter and the time of the last public change, in one query."""
    if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        rows = sqlite_reader(engine.url.database).execute(GENERATION_SQL.text).fetchall()
    else:
        with engine.connect() as connection:
            rows = connection.execute(GENERATION_SQL).all()
    values = dict(rows)
    return values.get("generation", "0"), values.get("changed_at", "")


def sqlite_reader(path: str) -> sqlite3.Connection:
    # This check runs on every cached read: a plain connection kept by each thread costs
    # a few microseconds where a pooled SQLAlchemy checkout costs tens. It only reads,
    # outside any transaction, so it always sees the latest commit.
    connection = getattr(_readers, "connection", None)
    if connection is None or _readers.path != path:
        connection = sqlite3.connect(path, isolation_level=None, check_same_thread=True)
        connection.execute("PRAGMA busy_timeout = 10000")
        _readers.connection, _readers.path = connection, path
    return connection


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
        if entry is None or "headers" not in entry:
            return self.wsgi_app(environ, start_response)
        # Headers were assembled once when the page was stored; a hit only copies them.
        headers = list(entry["headers"])
        if environ.get("wsgi.url_scheme") == "https":
            headers.append(("Strict-Transport-Security", HSTS))
        if parse_etags(environ.get("HTTP_IF_NONE_MATCH")).contains(entry["etag"]):
            start_response("304 Not Modified", [h for h in headers if h[0] not in BODY_HEADERS])
            return []
        start_response("200 OK", headers)
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [entry["body"]]


def public_page(view: Callable) -> Callable:
    """Cache the view's page for anonymous readers; send ETag, Last-Modified and 304s."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_user.is_authenticated:
            response = make_response(view(*args, **kwargs))
            response.headers["Cache-Control"] = "private, no-cache"
            response.vary.add("Cookie")
            return response
        if session:
            return personal_page(view(*args, **kwargs))
        generation, changed_at = site_state(db.engine)
        key = page_key(request.environ, generation)
        entry = cache.get(key)
        if entry is None:
            response = make_response(view(*args, **kwargs))
            if session or session.modified or "Set-Cookie" in response.headers:
                return personal_page(response)
            if response.status_code != 200:
                return response
            body = response.get_data()
            entry = {
                "body": body,
                "content_type": response.content_type,
                "etag": hashlib.sha256(body).hexdigest()[:32],
                "last_modified": changed_at,
            }
            entry["headers"] = stored_headers(entry, current_app.config["PUBLIC_CACHE_MAX_AGE"])
            cache.set(key, entry)
        return cached_response(entry, request, current_app.config["PUBLIC_CACHE_MAX_AGE"])

    return wrapper


def personal_page(result) -> Response:
    """A page rendered with this reader's session state: never stored, here or on the way."""
    response = make_response(result)
    response.headers["Cache-Control"] = "private, no-store"
    response.vary.add("Cookie")
    return response


def stored_headers(entry: dict, max_age: int) -> list[tuple[str, str]]:
    """The full header list of a cached page as the middleware will send it."""
    response = cached_response(entry, Request.from_values(), max_age)
    response = add_security_headers(response, secure=False)
    return [(name, value) for name, value in response.headers.items()]


def cached_response(entry: dict, incoming: Request, max_age: int) -> Response:
    """A response for a cache entry, answering conditional requests with 304."""
    response = Response(entry["body"], content_type=entry["content_type"])
    response.set_etag(entry["etag"])
    if entry["last_modified"]:
        response.headers["Last-Modified"] = entry["last_modified"]
    response.headers["Cache-Control"] = f"public, max-age={max_age}, must-revalidate"
    response.vary.add("Cookie")
    return response.make_conditional(incoming)
