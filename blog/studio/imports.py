"""The author's import page: upload or paste, choose conversations, watch progress."""

from __future__ import annotations

import json

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..formats.export_guide import EXPORT_GUIDE, NOT_YET
from ..imports.files import DUPLICATE_CHOICES
from ..imports.jobs import (
    UploadError,
    fail_if_stale,
    get_job,
    saved_so_far,
    start_job,
    start_saving,
    start_text_job,
)
from ..request_limits import body_limit
from . import studio_blueprint

bp = studio_blueprint("studio_import", __name__, "/studio/import")


def load_job(token: str):
    job = get_job(token)
    if job is None:
        abort(404)
    return job


def guide() -> dict[str, object]:
    """The import page's list of sources and where to get each file."""
    return {"export_guide": EXPORT_GUIDE, "not_yet": NOT_YET}


@bp.get("/")
def import_page():
    """Upload a file or paste a conversation."""
    return render_template("studio/import.html", **guide())


@bp.post("/")
@body_limit("upload")
def upload():
    """Store the upload and start reading it."""
    try:
        upload_file = request.files.get("file")
        if upload_file and upload_file.filename:
            job = start_job(upload_file.stream, upload_file.filename)
        else:
            job = start_text_job(request.form.get("text", ""))
    except UploadError as exc:
        flash(str(exc), "error")
        return render_template("studio/import.html", **guide()), 400
    return redirect(url_for("studio_import.job", token=job.token), code=303)


@bp.get("/<token>")
def job(token: str):
    """Progress while reading or saving; the list to choose from; the result."""
    found = load_job(token)
    fail_if_stale(found)
    context = {
        "job": found,
        "listing": json.loads(found.listing_json) if found.status == "listed" else [],
        # Listed as soon as they are saved, while their turns are rendered.
        "report": json.loads(found.report_json) if found.status in ("rendering", "done") else {},
        "saved": saved_so_far(found) if found.status == "saving" else found.saved,
        "duplicate_choices": DUPLICATE_CHOICES,
        "chosen_count": len(json.loads(found.report_json).get("chosen", []))
        if found.status == "saving"
        else 0,
    }
    context.update(report_posts(context["report"]))
    if request.headers.get("HX-Request") == "true":
        if found.status in ("reading", "saving", "rendering"):
            return render_template("partials/import_progress.html", **context)
        # Finished: have the browser load the full page with the list or the result.
        response = render_template("partials/import_progress.html", **context)
        return response, 200, {"HX-Refresh": "true"}
    return render_template("studio/import_job.html", **context)


REPORT_POSTS_PER_PAGE = 50


def report_posts(report: dict) -> dict:
    """The saved posts of an import's report, a page at a time (`?page=N`), after the outcome."""
    saved = report.get("created", []) + report.get("updated", [])
    pages = max(1, -(-len(saved) // REPORT_POSTS_PER_PAGE))
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
    start = (page - 1) * REPORT_POSTS_PER_PAGE
    return {
        "saved_total": len(saved),
        "saved_page": saved[start : start + REPORT_POSTS_PER_PAGE],
        "saved_pages": pages,
        "saved_page_number": page,
    }


@bp.post("/<token>")
@body_limit("text")
def choose(token: str):
    """Save the chosen conversations as drafts."""
    found = load_job(token)
    on_duplicate = request.form.get("on_duplicate", "skip")
    if on_duplicate not in DUPLICATE_CHOICES:
        on_duplicate = "skip"
    try:
        start_saving(
            found, request.form.getlist("chosen"), on_duplicate, current_user._get_current_object()
        )
    except UploadError as exc:
        flash(str(exc), "error")
    return redirect(url_for("studio_import.job", token=token), code=303)
