"""Sign in, sign out and first-run setup."""

from __future__ import annotations

import sys
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from .accounts import (
    AccountError,
    TooManyAttempts,
    authenticate,
    complete_setup,
    end_sessions,
    has_users,
    issue_setup_token,
    setup_token_issued,
)
from .first_run import setup_token_notice

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str:
    """The `next` target if it stays on this site, else the dashboard."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and "\\" not in target:
            return target
    return url_for("studio.dashboard")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with user name and password."""
    if not has_users():
        return redirect(url_for("auth.setup"))
    if request.method == "POST":
        try:
            user = authenticate(
                request.form.get("username", ""),
                request.form.get("password", ""),
                request.remote_addr or "unknown",
            )
        except TooManyAttempts as exc:
            flash(str(exc), "error")
            return render_template("auth/login.html"), 429
        except AccountError as exc:
            flash(str(exc), "error")
            return render_template("auth/login.html"), 401
        session.pop("csrf_token", None)  # a token from before sign-in stops working
        login_user(user, remember=bool(request.form.get("remember")))
        flash(f"Signed in as {user.name}.", "success")
        return redirect(safe_next(request.args.get("next") or request.form.get("next")))
    return render_template("auth/login.html")


@bp.post("/logout")
@login_required
def logout():
    """Sign out everywhere: the session cookie stops working even if copied."""
    end_sessions(current_user._get_current_object())
    logout_user()
    session.pop("csrf_token", None)  # and a token from before sign-out too
    flash("Signed out.", "success")
    return redirect(url_for("public.index"))


@bp.route("/setup", methods=["GET", "POST"])
def setup():
    """Create the owner account on first run, with the token printed on the console."""
    if has_users():
        abort(404)
    if request.method == "POST":
        try:
            user = complete_setup(
                request.form.get("token", ""),
                request.form.get("username", ""),
                request.form.get("password", ""),
                request.form.get("display_name", ""),
            )
        except AccountError as exc:
            flash(str(exc), "error")
            return render_template("auth/setup.html"), 400
        session.pop("csrf_token", None)
        login_user(user)
        flash("Welcome to Colloquy. Your account is ready.", "success")
        return redirect(url_for("studio.dashboard"))
    # `point_to_setup` has already put a token on the console for this very request.
    return render_template("auth/setup.html")


@bp.before_app_request
def point_to_setup() -> None:
    """Until an account exists, make sure a setup token is on the console."""
    app = current_app._get_current_object()
    if app.extensions.get("colloquy_setup_done") or request.path.startswith("/static/"):
        return
    if has_users():
        app.extensions["colloquy_setup_done"] = True
    elif not setup_token_issued():
        announce_setup_token(issue_setup_token())


def announce_setup_token(token: str | None) -> None:
    if token:
        print(
            setup_token_notice(token, url_for("auth.setup", _external=True)),
            file=sys.stderr,
            flush=True,
        )
