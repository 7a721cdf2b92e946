"""The author's blueprint (sign-in required): dashboard, editor, HTMX fragments, settings."""

from __future__ import annotations

import difflib

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from . import disclosure
from . import posts as content
from .exporting import export_zip
from .extensions import db
from .models import Post, Turn
from .privacy import dismiss_finding, findings_for
from .site import SettingsError, load_settings, save_settings
from .vocabulary import ROLES, Role, Status

bp = Blueprint("studio", __name__, url_prefix="/studio")


@bp.before_request
@login_required
def require_login() -> None:
    """Every studio page is for the signed-in author only."""


@bp.after_request
def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "private, no-store"
    response.vary.add("HX-Request")
    return response


@bp.errorhandler(content.ContentError)
def refused(error: content.ContentError):
    """A change the content service refused: nothing saved, the reason shown in the editor."""
    db.session.rollback()
    flash(str(error), "error")
    post_id = (request.view_args or {}).get("post_id")
    target = (
        url_for("studio.edit_post", post_id=post_id) if post_id else url_for("studio.dashboard")
    )
    if is_htmx():
        return "", 204, {"HX-Redirect": target}
    return redirect(target, code=303)


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def load_post(post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None:
        abort(404)
    return post


def load_turn(post: Post, turn_id: int) -> Turn:
    try:
        return content.get_turn(post, turn_id)
    except content.ContentError:
        abort(404)


def editor_url(post: Post, turn: Turn | None = None) -> str:
    anchor = f"t{turn.id}" if turn is not None else None
    return url_for("studio.edit_post", post_id=post.id, _anchor=anchor)


def turn_context(post: Post, findings: list | None = None) -> dict:
    """What the turn partials need: findings per turn and the visible numbering."""
    by_turn: dict[int, list] = {}
    for found in findings_for(post) if findings is None else findings:
        by_turn.setdefault(found.turn.id, []).append(found)
    numbers = {turn.id: n for n, turn in enumerate(post.visible_turns, start=1)}
    return {"post": post, "findings_by_turn": by_turn, "numbers": numbers}


def render_turn_fragment(post: Post, turn: Turn, status: int = 200):
    html = render_template("partials/studio_turn.html", turn=turn, **turn_context(post))
    return make_response(html, status)


def render_turn_list(post: Post):
    return render_template("partials/turn_list.html", **turn_context(post))


def after_change(post: Post, message: str, turn: Turn | None = None):
    """HTMX gets the refreshed turn list; a plain form gets flash + redirect."""
    if is_htmx():
        response = make_response(render_turn_list(post))
        response.headers["HX-Trigger"] = "post-changed"
        return response
    flash(message, "success")
    return redirect(editor_url(post, turn), code=303)


@bp.get("/")
def dashboard():
    """Drafts and published posts."""
    return render_template("studio/dashboard.html", posts=content.posts_for_dashboard())


@bp.route("/posts/new", methods=["GET", "POST"])
def new_post():
    """Start a conversation from scratch."""
    if request.method == "POST":
        post = content.create_post(
            current_user._get_current_object(),
            request.form.get("title", ""),
            license_code=load_settings().default_license,
        )
        first_role = request.form.get("first_role", Role.USER)
        content.add_turn(post, first_role if first_role in ROLES else Role.USER)
        flash("Draft created. Click a turn to write in it.", "success")
        return redirect(editor_url(post), code=303)
    return render_template("studio/new.html")


@bp.get("/posts/<int:post_id>")
def edit_post(post_id: int):
    """The editor: the post's details and its turns, each editable in place."""
    post = load_post(post_id)
    findings = findings_for(post)  # scanned once for the turns and the publish panel
    context = turn_context(post, findings)
    return render_template(
        "studio/edit.html",
        problems=content.publish_problems(post, findings),
        how_made=disclosure.how_made(post),
        how_made_choices=disclosure.STATED_KINDS,
        **context,
    )


@bp.post("/posts/<int:post_id>")
def update_post(post_id: int):
    """Save the post's title, slug, summary, model, license and tags."""
    post = load_post(post_id)
    content.update_post(post, request.form.to_dict(), request.form.get("version"))
    flash("Details saved.", "success")
    return redirect(editor_url(post), code=303)


@bp.get("/posts/<int:post_id>/turns/<int:turn_id>")
def show_turn(post_id: int, turn_id: int):
    """A turn as it will look (HTMX: restores it after Cancel)."""
    post = load_post(post_id)
    turn = load_turn(post, turn_id)
    if not is_htmx():
        return redirect(editor_url(post, turn))
    return render_turn_fragment(post, turn)


@bp.get("/posts/<int:post_id>/turns/<int:turn_id>/edit")
def edit_turn(post_id: int, turn_id: int):
    """The turn's textarea: a fragment for HTMX, a page without JavaScript."""
    post = load_post(post_id)
    turn = load_turn(post, turn_id)
    if is_htmx():
        return render_template("partials/turn_form.html", post=post, turn=turn, source=turn.source)
    return render_template("studio/edit_turn.html", post=post, turn=turn, source=turn.source)


@bp.post("/posts/<int:post_id>/turns/<int:turn_id>")
def save_turn(post_id: int, turn_id: int):
    """Save a turn's text; a stale save is refused with both texts shown."""
    post = load_post(post_id)
    turn = load_turn(post, turn_id)
    source = request.form.get("source", "")
    try:
        content.save_turn(turn, source, request.form.get("version"), request.form.get("speaker"))
    except content.StaleEdit as exc:
        db.session.rollback()
        context = {"post": post, "turn": turn, "source": source, "error": str(exc), "stale": True}
        template = "partials/turn_form.html" if is_htmx() else "studio/edit_turn.html"
        return render_template(template, **context), 409
    except content.ContentError as exc:
        db.session.rollback()
        context = {"post": post, "turn": turn, "source": source, "error": str(exc)}
        template = "partials/turn_form.html" if is_htmx() else "studio/edit_turn.html"
        return render_template(template, **context), 422
    if is_htmx():
        response = render_turn_fragment(post, turn)
        response.headers["HX-Trigger"] = "post-changed"
        return response
    flash("Turn saved.", "success")
    return redirect(editor_url(post, turn), code=303)


@bp.post("/posts/<int:post_id>/turns")
def add_turn(post_id: int):
    """Add a turn after a given turn (or at the end)."""
    post = load_post(post_id)
    after_id = request.form.get("after", type=int)
    after = load_turn(post, after_id) if after_id else None
    turn = content.add_turn(post, request.form.get("role", Role.USER), after=after)
    return after_change(post, "Turn added.", turn)


@bp.post("/posts/<int:post_id>/turns/<int:turn_id>/delete")
def delete_turn(post_id: int, turn_id: int):
    """Delete a turn."""
    post = load_post(post_id)
    content.delete_turn(load_turn(post, turn_id))
    return after_change(post, "Turn deleted.")


@bp.post("/posts/<int:post_id>/turns/<int:turn_id>/move")
def move_turn(post_id: int, turn_id: int):
    """Move a turn up or down."""
    post = load_post(post_id)
    turn = load_turn(post, turn_id)
    content.move_turn(turn, request.form.get("direction", ""))
    return after_change(post, "Turn moved.", turn)


@bp.post("/posts/<int:post_id>/turns/<int:turn_id>/role")
def change_role(post_id: int, turn_id: int):
    """Change who speaks a turn."""
    post = load_post(post_id)
    turn = load_turn(post, turn_id)
    content.set_role(turn, request.form.get("role", ""))
    return after_change(post, "Role changed.", turn)


@bp.post("/posts/<int:post_id>/turns/<int:turn_id>/review")
def review_turn(post_id: int, turn_id: int):
    """Mark an AI turn as read and reviewed by the author (or undo it)."""
    post = load_post(post_id)
    turn = load_turn(post, turn_id)
    content.set_reviewed([turn], request.form.get("reviewed", "1") == "1")
    return after_change(post, "Review recorded.", turn)


@bp.post("/posts/<int:post_id>/review-all")
def review_all(post_id: int):
    """Deliberately mark every visible AI turn as reviewed."""
    post = load_post(post_id)
    if request.form.get("confirm") != "yes":
        flash("Tick the box to confirm you have read every AI turn.", "error")
        return redirect(editor_url(post), code=303)
    count = content.set_reviewed([t for t in post.visible_turns if t.is_ai])
    flash(f"Marked {count} AI turn(s) as reviewed by you.", "success")
    return redirect(editor_url(post), code=303)


@bp.post("/posts/<int:post_id>/turns/<int:turn_id>/exclude")
def exclude_turn(post_id: int, turn_id: int):
    """Leave a turn out of publication, or include it again."""
    post = load_post(post_id)
    turn = load_turn(post, turn_id)
    excluded = request.form.get("excluded", "1") == "1"
    content.set_excluded(turn, excluded)
    return after_change(post, "Turn left out." if excluded else "Turn included.", turn)


@bp.post("/posts/<int:post_id>/turns/<int:turn_id>/alternative")
def choose_alternative(post_id: int, turn_id: int):
    """Publish another version of a turn."""
    post = load_post(post_id)
    turn = load_turn(post, turn_id)
    content.choose_alternative(turn, request.form.get("index", -1, type=int))
    return after_change(post, "Version chosen. Review it before publishing.", turn)


@bp.get("/posts/<int:post_id>/turns/<int:turn_id>/diff")
def turn_diff(post_id: int, turn_id: int):
    """The author's changes to an AI turn against the text as imported."""
    post = load_post(post_id)
    turn = load_turn(post, turn_id)
    lines = difflib.unified_diff(
        (turn.original_source or "").splitlines(),
        turn.source.splitlines(),
        "as imported",
        "as edited",
        lineterm="",
    )
    return render_template("studio/diff.html", post=post, turn=turn, diff=list(lines))


@bp.post("/posts/<int:post_id>/findings/redact")
def redact(post_id: int):
    """Replace one finding with a visible redaction mark."""
    post = load_post(post_id)
    turn = load_turn(post, request.form.get("turn", type=int) or 0)
    count = content.redact_finding(turn, request.form.get("fingerprint", ""))
    return after_change(post, f"Redacted {count} occurrence(s).", turn)


@bp.post("/posts/<int:post_id>/findings/dismiss")
def dismiss(post_id: int):
    """Keep a finding on purpose, with the reason."""
    post = load_post(post_id)
    try:
        dismiss_finding(
            post,
            request.form.get("fingerprint", ""),
            request.form.get("kind", ""),
            request.form.get("reason", ""),
        )
    except ValueError as exc:
        flash(str(exc), "error")
        return redirect(editor_url(post), code=303)
    return after_change(post, "Finding kept, with your reason recorded.")


@bp.post("/preview")
def preview():
    """Live preview of Markdown as it will be published (nothing is saved)."""
    return render_template(
        "partials/preview.html", html=content.render_html(request.form.get("source", ""))
    )


@bp.post("/posts/<int:post_id>/publish")
def publish(post_id: int):
    """Publish (or publish unlisted) once every check passes."""
    post = load_post(post_id)
    confirmed = bool(request.form.get("confirm_policies")) and bool(
        request.form.get("confirm_privacy")
    )
    try:
        content.publish(
            post, status=request.form.get("status", Status.PUBLISHED), confirmed=confirmed
        )
    except content.PublishBlocked as exc:
        flash("Not published yet: " + "; ".join(exc.reasons) + ".", "error")
        return redirect(editor_url(post), code=303)
    where = "unlisted (reachable by its link only)" if post.status == Status.UNLISTED else "public"
    flash(f"Published: the post is now {where}.", "success")
    return redirect(editor_url(post), code=303)


@bp.post("/posts/<int:post_id>/unpublish")
def unpublish(post_id: int):
    """Take the post off the public site."""
    post = load_post(post_id)
    content.unpublish(post)
    flash("Unpublished: the post is a draft again and gone from every public page.", "success")
    return redirect(editor_url(post), code=303)


@bp.post("/posts/<int:post_id>/delete")
def delete_post(post_id: int):
    """Delete a post for good."""
    post = load_post(post_id)
    if request.form.get("confirm") != "yes":
        flash("Tick the box to confirm deleting the post.", "error")
        return redirect(editor_url(post), code=303)
    title = post.title
    content.delete_post(post)
    flash(f"Deleted “{title}”.", "success")
    return redirect(url_for("studio.dashboard"), code=303)


@bp.get("/export.zip")
def export_download():
    """Every post as Markdown and JSON in one zip."""
    response = Response(export_zip(), mimetype="application/zip")
    response.headers["Content-Disposition"] = 'attachment; filename="colloquy-export.zip"'
    return response


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    """Site title, author name, default license and disclosure wording."""
    if request.method == "POST":
        try:
            save_settings(request.form.to_dict(), render=content.render_html)
        except SettingsError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return render_template("studio/settings.html", form=request.form), 422
        flash("Settings saved.", "success")
        return redirect(url_for("studio.settings"), code=303)
    return render_template("studio/settings.html", form=None)
