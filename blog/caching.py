"""Whole public pages cached and served with validators; invalidated by one counter.

A page is rendered by its view once per change of the site, stored in the configured
Flask-Caching backend (per process by default; Redis or memcached when several hosts
share it), and then served to anonymous readers by a small WSGI layer that answers
before Flask routes the request. Every lookup first makes sure it has the current
generation counter, which every change to public content bumps, so no worker or host can
serve a page older than the last change: on SQLite by asking the file whether anything was
committed since the last look (`PRAGMA data_version`, which reads no table) and reading the
counter again only then; on other databases by reading the counter.

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

# Paths that are never cached pages: the studio, sign-in, static files and private previews.
UNCACHED_PREFIXES = ("/studio", "/login", "/logout", "/setup", "/static/", "/preview/")
BODY_HEADERS = ("Content-Type", "Content-Length")
# Headers a view sets on its page that are stored and sent with it (the post's `Link` to its
# fediverse object); every other header of a cached page is the cache's own.
KEPT_HEADERS = ("Link",)
GENERATION_SQL = text("SELECT key, value FROM settings WHERE key IN ('generation', 'changed_at')")


def init_app(app: Flask) -> None:
    cache.init_app(app)
    app.wsgi_app = PageCacheMiddleware(app, app.wsgi_app)


_readers = threading.local()


def site_state(engine: Engine) -> tuple[str, str]:
    """The generation counter and the time of the last public change."""
    if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        return sqlite_reader(engine.url.database).state()
    with engine.connect() as connection:
        rows = connection.execute(GENERATION_SQL).all()
    return state_of(rows)


def state_of(rows) -> tuple[str, str]:
    values = dict(rows)
    return values.get("generation", "0"), values.get("changed_at", "")


class SqliteStateReader:
    """The site state read through one plain connection, again only after a commit."""

    def __init__(self, path: str) -> None:
        self.path = path
        # A plain connection kept by each thread costs a few microseconds per look where a
        # pooled SQLAlchemy checkout costs tens. It only reads, outside any transaction, so
        # it always sees the latest commit.
        self.connection = sqlite3.connect(path, isolation_level=None, check_same_thread=True)
        self.connection.execute("PRAGMA busy_timeout = 10000")
        self.version: int | None = None
        self.values = ("0", "")

    def state(self) -> tuple[str, str]:
        # data_version changes whenever any other connection, in any process, has committed
        # to the file since this connection last asked; it only looks at the WAL index in
        # shared memory. Asked before the read, so a commit landing in between is caught by
        # the next look rather than missed.
        version = self.connection.execute("PRAGMA data_version").fetchone()[0]
        if version != self.version:
            self.values = state_of(self.connection.execute(GENERATION_SQL.text).fetchall())
            self.version = version
        return self.values


def sqlite_reader(path: str) -> SqliteStateReader:
    reader = getattr(_readers, "reader", None)
    if reader is None or reader.path != path:
        reader = _readers.reader = SqliteStateReader(path)
    return reader


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
        # Pages of the current generation this worker has already served, ready to send:
        # the cache backend unpickles a whole copy of the page on every get. Keys carry the
        # generation, so a remembered page is never stale; all are dropped when it moves on.
        self.recent: tuple[str, dict[str, Hit]] = ("", {})
        self.recent_bytes = 0
        self.lock = threading.Lock()

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
        hit = self.lookup(page_key(environ, generation), generation)
        if hit is None:
            return self.wsgi_app(environ, start_response)
        secure = environ.get("wsgi.url_scheme") == "https"
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match and parse_etags(if_none_match).contains(hit.etag):
            start_response("304 Not Modified", list(hit.not_modified[secure]))
            return []
        # A copy: a server or middleware may add to the list it is given.
        start_response("200 OK", list(hit.headers[secure]))
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [hit.body]

    def lookup(self, key: str, generation: str) -> Hit | None:
        seen, pages = self.recent
        if seen != generation:
            with self.lock:
                if self.recent[0] != generation:
                    self.recent, self.recent_bytes = (generation, {}), 0
                seen, pages = self.recent
        hit = pages.get(key)
        if hit is not None:
            return hit
        entry = cache.cache.get(key)
        if entry is None or "headers" not in entry:
            return None
        hit = Hit(entry)
        with self.lock:
            if self.recent[1] is pages and self.recent_bytes + len(hit.body) <= RECENT_BYTES:
                pages[key] = hit
                self.recent_bytes += len(hit.body)
        return hit


# What one worker keeps ready beyond the cache backend; past it, pages come from the backend.
RECENT_BYTES = 16 * 1024 * 1024


class Hit:
    """A stored page with its header lists built once, over plain HTTP and over HTTPS."""

    __slots__ = ("body", "etag", "headers", "not_modified")

    def __init__(self, entry: dict) -> None:
        self.body = entry["body"]
        self.etag = entry["etag"]
        plain = list(entry["headers"])
        secure = [*plain, ("Strict-Transport-Security", HSTS)]
        self.headers = (plain, secure)
        self.not_modified = tuple(
            [h for h in hs if h[0] not in BODY_HEADERS] for hs in self.headers
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
        if session:
            return personal_page(view(*args, **kwargs))
        generation, changed_at = site_state(db.engine)
        key = page_key(request.environ, generation)
        entry = cache.get(key)
        if entry is None:
            response = make_response(view(*args, **kwargs))
            if session or session.modified or "Set-Cookie" in response.headers:
                return personal_page(response)
            # A page its view marked no-store (a private preview) is for this reader alone.
            if response.status_code != 200 or "no-store" in response.cache_control:
                return response
            body = response.get_data()
            entry = {
                "body": body,
                "content_type": response.content_type,
                "etag": hashlib.sha256(body).hexdigest()[:32],
                "last_modified": changed_at,
                "kept": [(n, v) for n in KEPT_HEADERS for v in response.headers.getlist(n)],
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
    for name, value in entry.get("kept", ()):
        response.headers.add(name, value)
    return response.make_conditional(incoming)
