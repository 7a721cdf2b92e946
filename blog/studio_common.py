"""What every studio blueprint shares: sign-in required, answers no cache keeps or indexes."""

from __future__ import annotations

from flask import Blueprint, Response
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
