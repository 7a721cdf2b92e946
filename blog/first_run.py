"""The first-run notice: the setup token, where to enter it, and how to print a new one."""

from __future__ import annotations

import sys
from pathlib import Path

from flask import Flask

from .accounts import has_users, issue_setup_token
from .extensions import db

ROOT = Path(__file__).resolve().parent.parent


def new_token_command() -> str:
    """The command that prints a new token, as it can be typed in a fresh shell."""
    flask = Path(sys.executable).parent / "flask"
    if flask.parent == ROOT / ".venv" / "bin" and (ROOT / "Makefile").exists():
        return f"make setup-token   (from {ROOT})"
    return f"cd {ROOT} && {flask} --app app setup-token"


def setup_token_notice(token: str, setup_url: str) -> str:
    return (
        f"\n  Colloquy first-run setup token: {token}\n"
        f"  Enter it at {setup_url} to create your account.\n"
        f"  Lost it? Print a new one with: {new_token_command()}\n"
    )


def announce_at_start(app: Flask, local_url: str) -> bool:
    """Before serving: while no account exists, issue a token and print it; True if printed."""
    base = app.config.get("SITE_URL") or local_url
    with app.app_context():
        token = None if has_users() else issue_setup_token()
        # The server about to start opens its own connections (and gunicorn forks after this).
        db.engine.dispose()
    if token:
        print(setup_token_notice(token, base.rstrip("/") + "/setup"), file=sys.stderr, flush=True)
    return token is not None
