"""Configuration layers: defaults, then instance/config.py, then the environment."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

import click
from flask import Flask

DEFAULTS: dict[str, object] = {
    "SITE_TITLE": "Colloquy",
    "SITE_DESCRIPTION": "Conversations with AI, published by the person who had them.",
    "SITE_AUTHOR": "",
    "SITE_URL": "",
    "DEFAULT_LICENSE": "cc-by-nc-sa-4.0",
    "POSTS_PER_PAGE": 10,
    "FEED_ITEMS": 20,
    # Addresses in one sitemap file (the protocol's most); past it /sitemap.xml is an index.
    "SITEMAP_MAX_URLS": 50_000,
    # Request bodies (blog/request_limits.py): an upload (import file, image), a route that takes
    # text (a turn, a paste), any other form. Then per-turn source size.
    "MAX_CONTENT_LENGTH": 256 * 1024 * 1024,
    "FORM_TEXT_MAX_BYTES": 8 * 1024 * 1024,
    "FORM_MAX_BYTES": 64 * 1024,
    "MAX_TURN_CHARS": 200_000,
    # Files carried in with an import: each, and all of one import together.
    "ASSET_MAX_BYTES": 20 * 1024 * 1024,
    "IMPORT_ASSETS_MAX_BYTES": 200 * 1024 * 1024,
    # An image uploaded in the editor: its file, then its decoded size.
    "MAX_UPLOAD_IMAGE_BYTES": 10 * 1024 * 1024,
    "MAX_UPLOAD_IMAGE_PIXELS": 40_000_000,
    "RENDER_TIMEOUT_SECONDS": 1.0,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": True,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_SECURE": True,
    # The editor may stay open for hours; the token lives as long as the session.
    "WTF_CSRF_TIME_LIMIT": None,
    "WTF_CSRF_SSL_STRICT": False,
    "CACHE_TYPE": "SimpleCache",
    "CACHE_DEFAULT_TIMEOUT": 3600,
    # Browsers and proxies revalidate every time (cheap 304s), so a change shows at once.
    "PUBLIC_CACHE_MAX_AGE": 0,
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_WINDOW_SECONDS": 900,
    # Guesses at one account from all addresses together, except where it signed in before.
    "LOGIN_ACCOUNT_MAX_FAILURES": 10,
    "LOGIN_ACCOUNT_WINDOW_SECONDS": 3600,
    "LOGIN_KNOWN_ADDRESS_DAYS": 30,
    "REMEMBER_COOKIE_DURATION": 30 * 24 * 3600,
    "TRUSTED_HOSTS": None,
    "PROXY_FIX_HOPS": 0,
    # The import queue: a SQLite file under instance/ unless a Redis URL is given.
    "HUEY_SQLITE_PATH": "",
    "HUEY_REDIS_URL": "",
    "IMPORT_WORKERS": 1,
    # Where uploads wait for the worker; empty: instance/imports. Shared storage for several hosts.
    "IMPORT_UPLOADS_DIR": "",
    "IMPORT_TIME_LIMIT_SECONDS": 600,
    # Rendering time one import may use in all; later turns are kept as escaped text.
    "IMPORT_RENDER_BUDGET_SECONDS": 300,
    # Processes that render an import's turns (and `rerender`'s): 0 means one per core.
    "IMPORT_RENDER_PROCESSES": 0,
    # A running import step says it is alive this often; silent for the timeout, it has died.
    "IMPORT_HEARTBEAT_SECONDS": 10,
    "IMPORT_HEARTBEAT_TIMEOUT_SECONDS": 60,
    # Public pages written as files for the proxy to serve; empty: the app serves them all.
    "STATIC_MIRROR_DIR": "",
    # ActivityPub (blog/federation/): off unless turned on; then SITE_URL is required.
    "FEDERATION_ENABLED": False,
    "FEDERATION_HANDLE": "blog",
    "FEDERATION_OUTBOX_PAGE_SIZE": 20,
    # Deliveries to one inbox: tries before giving up, the first retry's wait (then three
    # times the last, at most the longest): 12 tries span 2 days 18 hours.
    "FEDERATION_DELIVERY_ATTEMPTS": 12,
    "FEDERATION_RETRY_SECONDS": 60,
    "FEDERATION_RETRY_MAX_SECONDS": 12 * 3600,
    "FEDERATION_TIMEOUT_SECONDS": 10,
    # A PEM file of certificate authorities trusted beyond the system's (None: the system's only).
    "FEDERATION_CA_BUNDLE": None,
    # The profile picture's address (None: the site's own static/avatar.png).
    "FEDERATION_AVATAR_URL": None,
    # Activities one server may post to the inbox a minute (0: no limit); beyond, 429.
    "FEDERATION_INBOX_PER_HOST_PER_MINUTE": 300,
}

WEAK_SECRETS = {"", "dev", "secret", "changeme", "change-me", "development"}


# Files the app creates are its own alone: the database holds password hashes and sessions,
# the instance folder the secret key, the queue and stored uploads. (The mirror sets its
# own files' modes, for the proxy that reads them as another user.)
PRIVATE_UMASK = 0o077


def load_config(app: Flask, test_config: dict | None) -> None:
    """Apply every layer in order; later layers win."""
    os.umask(PRIVATE_UMASK)
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env()
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(os.environ["DATABASE_URL"])
    if test_config:
        app.config.from_mapping(test_config)
    app.config.setdefault(
        "SQLALCHEMY_DATABASE_URI", f"sqlite:///{Path(app.instance_path) / 'colloquy.sqlite3'}"
    )
    if "SQLALCHEMY_ENGINE_OPTIONS" not in app.config and not str(
        app.config["SQLALCHEMY_DATABASE_URI"]
    ).startswith("sqlite"):
        # A server database may drop idle connections; a SQLite file never does.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
    private_sqlite_file(str(app.config["SQLALCHEMY_DATABASE_URI"]), Path(app.instance_path))
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret_key(Path(app.instance_path))
    if (
        str(app.config["SECRET_KEY"]).lower() in WEAK_SECRETS
        or len(str(app.config["SECRET_KEY"])) < 32
    ):
        raise RuntimeError(
            "SECRET_KEY is too weak: set a random value of at least 32 characters, "
            "or unset it to have one generated in the instance folder."
        )


def require_public_address(app: Flask) -> None:
    """Outside debug and tests, refuse to start without knowing which host the site is.

    Without `TRUSTED_HOSTS` or `SITE_URL` every link, feed and redirect would be built
    from whatever `Host` a request claims. A `flask` command other than `run` (import, publish,
    setup-token…) serves no request, so it needs neither.
    """
    if app.debug or app.testing:
        return
    command = click.get_current_context(silent=True)
    if command is not None and command.info_name != "run":
        return
    if not app.config.get("TRUSTED_HOSTS") and not app.config.get("SITE_URL"):
        raise RuntimeError(
            "Set TRUSTED_HOSTS (e.g. FLASK_TRUSTED_HOSTS=blog.example.org) or SITE_URL "
            "(e.g. FLASK_SITE_URL=https://blog.example.org) so links use the real host."
        )


def normalise_database_url(url: str) -> str:
    """Accept the common `postgres://` spellings and pick the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def private_folder(folder: Path) -> None:
    """Create the folder (mode 0700) if it is missing; an existing one keeps its mode."""
    if not folder.exists():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)


def private_file(path: Path) -> None:
    """Create an empty file (mode 0600) if it is missing, in a private folder if new.

    SQLite takes an empty file as a new database, and gives its `-wal` and `-shm` files the
    database's own mode, so creating it first is what keeps all three private.
    """
    private_folder(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def private_sqlite_file(url: str, instance: Path) -> None:
    """Create a SQLite database file privately before SQLite creates it world-readable."""
    if not url.startswith("sqlite:///"):
        return  # another database, or SQLite in memory
    path = url.removeprefix("sqlite:///").split("?", 1)[0]
    if path and not path.startswith(("file:", ":memory:")):
        # Flask-SQLAlchemy reads a relative path as relative to the instance folder.
        private_file(instance / path)


def instance_secret_key(instance: Path) -> str:
    """Read the generated secret key, creating it (mode 0600) on first run."""
    private_folder(instance)
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    # Several workers may start at once: write privately, then link into place
    # atomically so every worker ends up with the same key.
    tmp = instance / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32))
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_text().strip()
