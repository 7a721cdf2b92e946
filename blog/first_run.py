"""The first-run notice: the setup token, where to enter it, and how to print a new one."""

from __future__ import annotations

import sys
from pathlib import Path

from flask import Flask

from .accounts import has_users, issue_setup_token
from .extensions import db

ROOT = Path(__file__).resolve().parent.parent


def new_token_command(prefer_make: bool = True) -> str:
    """The command that prints a new token, as it can be typed in a fresh shell."""
    flask = Path(sys.executable).parent / "flask"
    in_project_venv = flask.parent == ROOT / ".venv" / "bin"
    if prefer_make and in_project_venv and (ROOT / "Makefile").exists():
        return f"make setup-token   (from {ROOT})"
    if in_project_venv:
        return f"cd {ROOT} && .venv/bin/flask --app app setup-token"
    return f"cd {ROOT} && {flask} --app app setup-token"


def setup_token_notice(token: str, setup_url: str, prefer_make: bool = True) -> str:
    return (
        f"\n  Colloquy first-run setup token: {token}\n"
        f"  Enter it at {setup_url} to create your account.\n"
        f"  Lost it? Print a new one with: {new_token_command(prefer_make)}\n"
    )


def announce_at_start(app: Flask, local_url: str, prefer_make: bool = True) -> bool:
    """Before serving: while no account exists, issue a token and print it; True if printed."""
    base = app.config.get("SITE_URL") or local_url
    with app.app_context():
        token = None if has_users() else issue_setup_token()
        # The server about to start opens its own connections (and gunicorn forks after this).
        db.engine.dispose()
    if token:
        notice = setup_token_notice(token, base.rstrip("/") + "/setup", prefer_make)
        print(notice, file=sys.stderr, flush=True)
    return token is not None
