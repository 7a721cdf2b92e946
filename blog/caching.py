"""Whole public pages cached and served with validators; invalidated by one counter."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps

from flask import Flask, Response, current_app, make_response, request
from flask_caching import Cache
from flask_login import current_user

from .posts import newest_change
from .site import current_generation

cache = Cache()


def init_app(app: Flask) -> None:
    cache.init_app(app)


def public_page(view: Callable) -> Callable:
    """Serve the view's page from the shared cache to anonymous readers, with ETag and 304s."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_user.is_authenticated:
            response = make_response(view(*args, **kwargs))
            response.headers["Cache-Control"] = "private, no-cache"
            response.vary.add("Cookie")
            return response
        # The counter changes whenever anything public changes, in any worker or
        # host, so a stale entry is simply never asked for again.
        key = f"page:{current_generation()}:{request.full_path}"
        entry = cache.get(key)
        if entry is None:
            response = make_response(view(*args, **kwargs))
            if response.status_code != 200:
                return response
            body = response.get_data()
            changed = newest_change()
            entry = {
                "body": body,
                "content_type": response.content_type,
                "etag": hashlib.sha256(body).hexdigest()[:32],
                "last_modified": changed.timestamp() if changed else None,
            }
            cache.set(key, entry)
        return cached_response(entry)

    return wrapper


def cached_response(entry: dict) -> Response:
    """A response for a cache entry, answering conditional requests with 304."""
    response = Response(entry["body"], content_type=entry["content_type"])
    response.set_etag(entry["etag"])
    if entry["last_modified"] is not None:
        response.last_modified = entry["last_modified"]
    max_age = current_app.config["PUBLIC_CACHE_MAX_AGE"]
    response.headers["Cache-Control"] = f"public, max-age={max_age}, must-revalidate"
    response.vary.add("Cookie")
    return response.make_conditional(request)
