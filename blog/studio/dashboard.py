"""The author's blueprint (sign-in required): dashboard, editor, HTMX fragments, settings."""

from __future__ import annotations

import difflib

from flask import (
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from .. import disclosure
from .. import posts as content
from ..exports import export_zip
from ..extensions import db
from ..federation import undelivered
from ..mirror import mirror_rebuild
from ..models import utcnow
from ..request_limits import body_limit
from ..settings import FEDIVERSE_OBJECTS, SettingsError, load_settings, save_settings
from ..vocabulary import ROLES, Role, Status
from ..wording import counted
from . import studio_blueprint
from .editor import Change, editor_url, fragments, is_htmx, load_post, load_turn, turn_context

bp = studio_blueprint("studio", __name__, "/studio")


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


@bp.get("/")
def dashboard():
    """Posts a page at a time, filtered, searched and sorted (HTMX: the list alone)."""
    try:
        filters = content.Filters.from_args(request.args)
        page = content.dashboard_page(filters)
    except content.PageNotFound:
        abort(404)
    lists = {
        "page": page,
        "filters": filters,
        "finding_kinds": content.kinds_of_finding(),
        "finding_plural": content.plural_label(filters.finding) if filters.finding else "",
    }
    if is_htmx() and request.headers.get("HX-Target") == "post-list":
        response = make_response(render_template("partials/dashboard_list.html", **lists))
        # The address bar gets the short form of the filters (no empty fields), to bookmark.
        response.headers["HX-Push-Url"] = url_for("studio.dashboard", **filters.args())
        return response
    return render_template(
        "studio/dashboard.html",
        choices=content.filter_choices(),
        undelivered=undelivered.given_up_count() if current_app.config["FEDERATION_ENABLED"] else 0,
        **lists,
    )


@bp.route("/posts/new", methods=["GET", "POST"])
def new_post():
    """Start a conversation from scratch."""
    if request.method == "POST":
        title = request.form.get("title", "").strip()
        if not title:
            return render_template("studio/new.html", error="Give the post a title."), 422
        post = content.create_post(
            current_user._get_current_object(),
            title,
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
    return editor_page(load_post(post_id))


def editor_page(post, typed: dict[str, str] | None = None, error: str = "") -> str:
    """The editor page; `typed` puts the author's refused values back in the details form."""
    return render_template(
        "studio/edit.html",
        title_warning=content.title_warning(post),
        how_made=disclosure.how_made(post),
        how_made_choices=disclosure.STATED_KINDS,
        details={**content.details_form_values(post), **(typed or {})},
        details_error=error,
        preview_links=content.preview_links(post),
        schedule_now=utcnow(),
        **turn_context(post),
    )


@bp.post("/posts/<int:post_id>")
def update_post(post_id: int):
    """Save the post's title, slug, summary, model, license and tags."""
    post = load_post(post_id)
    typed = request.form.to_dict()
    typed.pop("csrf_token", None)
    try:
        content.update_post(post, typed, request.form.get("version"))
    except content.ContentError as exc:
        # Refused (a stale page, a bad value): the page again with the author's values kept.
        db.session.rollback()
        status = 409 if isinstance(exc, content.StaleEdit) else 422
        return editor_page(load_post(post_id), typed, str(exc)), status
    flash("Details saved.", "success")
    return redirect(editor_url(post), code=303)


@bp.get("/posts/<int:post_id>/turns/<int:turn_id>")
def show_turn(post_id: int, turn_id: int):
    """A turn as it will look (HTMX: restores it after Cancel)."""
    post = load_post(post_id)
    turn = load_turn(post, turn_id)
    if not is_htmx():
        return redirect(editor_url(post, turn))
    return fragments(post, Change(shown=[turn], status=False))


@bp.get("/posts/<int:post_id>/turns/<int:turn_id>/edit")
def edit_turn(post_id: int, turn_id: int):
    """The turn's textarea: a fragment for HTMX, a page without JavaScript."""
    post = load_post(post_id)
    turn = load_turn(post, turn_id)
    if is_htmx():
        return render_template("partials/turn_form.html", post=post, turn=turn, source=turn.source)
    return render_template("studio/edit_turn.html", post=post, turn=turn, source=turn.source)


@bp.post("/posts/<int:post_id>/turns/<int:turn_id>")
@body_limit("text")
def save_turn(post_id: int, turn_id: int):
    """Save a turn's text; a stale save is refused with both texts shown."""
    post = load_post(post_id)
    turn = load_turn(post, turn_id)
    source = request.form.get("source", "")
    try:
        content.save_turn(
            turn,
            source,
            request.form.get("version"),
            request.form.get("speaker"),
            request.form.get("text_format"),
        )
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
        return fragments(post, Change(shown=[turn]))
    flash("Turn saved.", "success")
    return redirect(editor_url(post, turn), code=303)


@bp.post("/posts/<int:post_id>/review-all")
def review_all(post_id: int):
    """Deliberately mark every visible AI turn as reviewed."""
    post = load_post(post_id)
    if request.form.get("confirm") != "yes":
        flash("Tick the box to confirm you have read every AI turn.", "error")
        return redirect(editor_url(post), code=303)
    count = content.set_reviewed([t for t in post.visible_turns if t.is_ai])
    flash(f"Marked {counted(count, 'AI turn')} as reviewed by you.", "success")
    return redirect(editor_url(post), code=303)


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


@bp.post("/preview")
@body_limit("text")
def preview():
    """Live preview of Markdown as it will be published (nothing is saved)."""
    return render_template(
        "partials/preview.html",
        html=content.render_html(
            request.form.get("source", ""), request.form.get("text_format") or "markdown"
        ),
    )


@bp.post("/posts/<int:post_id>/publish")
def publish(post_id: int):
    """Publish (or publish unlisted) once every check passes."""
    post = load_post(post_id)
    confirmed = bool(request.form.get("confirm_policies")) and bool(
        request.form.get("confirm_privacy")
    )
    updating = post.is_reachable
    try:
        revision = content.publish(
            post,
            status=request.form.get("status") or None,
            confirmed=confirmed,
            note=request.form.get("note", ""),
        )
    except content.PublishBlocked as exc:
        verb = "Not updated yet: " if updating else "Not published yet: "
        flash(verb + "; ".join(exc.reasons) + ".", "error")
        return redirect(editor_url(post), code=303)
    where = "unlisted (reachable by its link only)" if post.status == Status.UNLISTED else "public"
    if revision is None:
        flash("Nothing to update: readers already see this version.", "success")
    elif updating:
        flash(
            f"Updated: readers now see revision {revision.number}; the post is {where}.", "success"
        )
    else:
        flash(f"Published: the post is now {where}.", "success")
    return redirect(editor_url(post), code=303)


@bp.post("/posts/<int:post_id>/unpublish")
def unpublish(post_id: int):
    """Take the post off the public site, once the author confirms it."""
    post = load_post(post_id)
    if request.form.get("confirm") != "yes":
        flash("Tick the box to confirm you want to take this post off the site.", "error")
        return redirect(editor_url(post, anchor="publish"), code=303)
    content.unpublish(post)
    flash(
        "Unpublished: the post is a draft again and gone from every public page. "
        "“Put it back on the site” below undoes this.",
        "success",
    )
    return redirect(editor_url(post, anchor="publish"), code=303)


@bp.post("/posts/<int:post_id>/restore-on-site")
def restore_on_site(post_id: int):
    """Undo Unpublish: readers see the revision they saw before, as it was."""
    post = load_post(post_id)
    revision = content.restore_on_site(post)
    flash(f"Back on the site: readers see revision {revision.number} again.", "success")
    return redirect(editor_url(post, anchor="publish"), code=303)


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
            return render_template(
                "studio/settings.html", form=request.form, fediverse_objects=FEDIVERSE_OBJECTS
            ), 422
        rebuild = mirror_rebuild()
        note = (
            f" The static mirror is rebuilding the pages of {counted(rebuild['posts'], 'post')} in "
            "the worker; readers get them from the app meanwhile."
            if rebuild and rebuild.get("state") == "queued"
            else ""
        )
        flash("Settings saved." + note, "success")
        return redirect(url_for("studio.settings"), code=303)
    return render_template(
        "studio/settings.html",
        form=None,
        mirror=mirror_rebuild(),
        fediverse_objects=FEDIVERSE_OBJECTS,
    )


@bp.get("/settings/mirror")
def mirror_progress():
    """The static mirror's rebuild after a settings save, for the settings page to poll."""
    return render_template("partials/mirror_status.html", mirror=mirror_rebuild())
