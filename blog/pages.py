"""What every page shares: the signed-in user, site settings, error pages, filters."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

from flask import (
    Flask,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
)
from flask.globals import request_ctx
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from .accounts import load_user
from .extensions import login_manager
from .formats.base import source_name
from .formats.text.speakers import person_name
from .licenses import LICENSES, license_for
from .model_names import speaker_name
from .settings import load_settings
from .vocabulary import ROLE_LABELS, ROLES, Role, Status
from .wording import counted


def init_app(app: Flask) -> None:
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Sign in to use the editor."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    app.context_processor(template_globals)
    # Globals rather than context: macros imported from macros.html see these too.
    app.jinja_env.globals.update(Role=Role, Status=Status, role_labels=ROLE_LABELS)
    app.template_filter("date")(format_date)
    app.template_filter("isodate")(iso_date)
    app.template_filter("rfc822")(rfc822_date)
    app.template_filter("counted")(counted)
    app.template_filter("source_name")(source_name)
    # A model id inside a turn's speaker label, named as readers know it: "ChatGPT (GPT-4o)".
    app.template_filter("speaker_name")(speaker_name)
    app.template_filter("person_name")(person_name)
    app.register_error_handler(CSRFError, csrf_error)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, server_error)


def template_globals() -> dict:
    return {
        "site": load_settings(),
        "licenses": LICENSES,
        "license_for": license_for,
        "roles": ROLES,
    }


def as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def format_date(value: datetime | None, with_time: bool = False) -> str:
    if value is None:
        return ""
    value = as_utc(value)
    return value.strftime("%-d %B %Y, %H:%M UTC" if with_time else "%-d %B %Y")


def iso_date(value: datetime | None) -> str:
    return as_utc(value).isoformat() if value else ""


def rfc822_date(value: datetime | None) -> str:
    return format_datetime(as_utc(value)) if value else ""


class DatabaseInt(IntegerConverter):
    """An `<int:...>` path part that fits a 64-bit database integer, else no match (404)."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(url_map, *args, **kwargs)


def csrf_error(error: CSRFError):
    """A refused state change: say so plainly, and keep the author where they were."""
    message = "This form expired or came from elsewhere; nothing was changed. Please try again."
    if request.headers.get("HX-Request"):
        return render_template("partials/error.html", message=message), 400
    if request.referrer and request.referrer.startswith(request.host_url):
        flash(message, "error")
        return redirect(request.referrer, code=303)
    return render_template("error.html", code=400, message=message), 400


def can_render_pages() -> bool:
    """False when the request never got a URL adapter (an untrusted Host), so links cannot be built."""
    return request_ctx.url_adapter is not None


def plain_error(code: int, message: str) -> Response:
    return Response(f"{code}: {message}\n", status=code, mimetype="text/plain")


def http_error(error: HTTPException):
    if not can_render_pages():
        return plain_error(error.code or 400, error.description or "Bad request")
    if request.path.startswith("/studio/") and request.accept_mimetypes.best == "application/json":
        return jsonify(error=error.description), error.code
    return render_template("error.html", code=error.code, message=error.description), error.code


def server_error(error: Exception):
    current_app.logger.exception("Unhandled error on %s", request.path)
    message = "Something went wrong on our side. Nothing you wrote was lost; please try again."
    if not can_render_pages():
        return plain_error(500, message)
    return render_template("error.html", code=500, message=message), 500
