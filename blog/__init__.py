"""Colloquy: publish your own AI conversations, honestly."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from . import (
    auth,
    caching,
    cli,
    cli_fediverse,
    cli_posts,
    config,
    mirror,
    pages,
    public,
    request_limits,
    security,
    studio,
)
from .extensions import csrf, db, login_manager, migrate
from .federation import hooks as federation
from .imports import queue

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application: config layers, extensions, blueprints, CLI."""
    app = Flask(
        __name__,
        # Read before any setting: the folder holds instance/config.py, the first layer.
        instance_path=os.environ.get("COLLOQUY_INSTANCE") or str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    config.load_config(app, test_config)
    config.require_public_address(app)
    # Ids and page numbers larger than any database integer are simply not found.
    app.url_map.converters["int"] = pages.DatabaseInt
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    # Before CSRF: its check reads the form, so an oversized body must be refused first.
    request_limits.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    # The page cache answers inside ProxyFix, so it sees the client's real host and scheme.
    caching.init_app(app)
    security.init_app(app)
    pages.init_app(app)
    app.register_blueprint(public.bp)
    app.register_blueprint(auth.bp)
    studio.register(app)
    cli.init_app(app)
    cli_posts.init_app(app)
    cli_fediverse.init_app(app)
    mirror.init_app(app)
    queue.init_app(app)
    # After the queue: the fediverse's deliveries are tasks on the worker's queue.
    federation.init_app(app)
    return app
