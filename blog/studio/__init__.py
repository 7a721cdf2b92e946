"""The author's studio: dashboard and editor, turn actions, images, revisions, bulk actions, imports.

Each page family is a blueprint of its own module; all of them are made by `studio_blueprint`, so
sign-in and the no-store, noindex answers are set up in one place.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response
from flask_login import login_required


def studio_blueprint(name: str, import_name: str, url_prefix: str) -> Blueprint:
    """A blueprint whose every view needs the signed-in author and is answered `no-store`."""
    bp = Blueprint(name, import_name, url_prefix=url_prefix)

    @bp.before_request
    @login_required
    def require_login() -> None:
        """Every studio page is for the signed-in author only."""

    @bp.after_request
    def no_store(response: Response) -> Response:
        # Studio pages show drafts and are answered as a page or an htmx fragment alike; like
        # studio/base.html's meta tag, the header keeps previews and JSON out of search engines.
        response.headers["Cache-Control"] = "private, no-store"
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
        response.vary.add("HX-Request")
        return response

    return bp


def register(app: Flask) -> None:
    """Register every studio blueprint (imported here: each module builds its own with the above)."""
    from . import bulk, dashboard, findings, images, imports, revisions, schedule, sharing, turns

    for module in (dashboard, imports, images, bulk, revisions, turns, sharing, schedule, findings):
        app.register_blueprint(module.bp)
    # The one page outside sign-in: a draft read at the private link its author shared.
    app.register_blueprint(sharing.link_bp)
