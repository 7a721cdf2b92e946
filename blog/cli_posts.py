"""Command-line commands over many posts: list, delete, unpublish, past imports and their undo."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import func, select

from . import posts as content
from .extensions import db
from .models import Post, Turn
from .vocabulary import STATUSES, Status
from .wording import counted


def init_app(app: Flask) -> None:
    for command in (list_command, delete_command, unpublish_command, imports_command, undo_command):
        app.cli.add_command(command)


def post_rows(status: str | None, batch: int | None) -> list[tuple[str, str, str, int]]:
    """(slug, status, title, turns) of every post, newest change first."""
    turns = (
        select(Turn.post_id, func.count(Turn.id).label("turns")).group_by(Turn.post_id).subquery()
    )
    query = (
        select(Post.slug, Post.status, Post.title, func.coalesce(turns.c.turns, 0))
        .outerjoin(turns, turns.c.post_id == Post.id)
        .order_by(Post.updated_at.desc(), Post.id.desc())
    )
    if status:
        query = query.where(Post.status == status)
    if batch is not None:
        query = query.where(Post.import_batch_id == batch)
    return [tuple(row) for row in db.session.execute(query)]


@click.command("list")
@with_appcontext
@click.option("--status", type=click.Choice(STATUSES), help="Only posts with this status.")
@click.option("--batch", type=int, help="Only posts created by this import (see `imports`).")
def list_command(status: str | None, batch: int | None) -> None:
    """List posts: slug, status, title and number of turns."""
    rows = post_rows(status, batch)
    for slug, post_status, title, turns in rows:
        click.echo(f"{slug}\t{post_status}\t{title}\t{turns}")
    click.echo(f"{counted(len(rows), 'post')}.", err=True)


@click.command("delete")
@with_appcontext
@click.argument("slugs", nargs=-1, required=True)
@click.option("--yes", "confirmed", is_flag=True, help="Delete without asking.")
@click.option("--include-published", is_flag=True, help="Also delete published or unlisted posts.")
def delete_command(slugs: tuple[str, ...], confirmed: bool, include_published: bool) -> None:
    """Delete the posts with these slugs, for good."""
    found, missing = content.listed_by_slug(slugs)
    if missing:
        raise click.ClickException(
            f"No post with the slug {', '.join(missing)}: `flask --app app list` shows every "
            "slug. Nothing was deleted."
        )
    for post in found:
        click.echo(f"  {post.slug}  ({post.status})  {post.title}")
    if not confirmed:
        ask(f"Delete these {counted(len(found), 'post')} for good?")
    try:
        count = content.delete_posts(
            found, include_published=include_published, option="run again with --include-published"
        )
    except content.ContentError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Deleted {counted(count, 'post')}.")


def ask(question: str) -> None:
    """Ask for a yes; anything else (or no terminal to ask on) stops the command."""
    try:
        agreed = click.confirm(question, default=False)
    except click.Abort:
        agreed = False
    if not agreed:
        raise click.ClickException("Nothing was changed: answer yes, or run again with --yes.")


@click.command("unpublish")
@with_appcontext
@click.argument("slug")
def unpublish_command(slug: str) -> None:
    """Take a published or unlisted post off the public site; it becomes a draft again."""
    post = db.session.scalar(select(Post).where(Post.slug == slug))
    if post is None:
        raise click.ClickException(
            f"No post with the slug “{slug}”: `flask --app app list --status published` "
            "shows the published ones."
        )
    if post.status == Status.DRAFT:
        click.echo(f"{slug} is already a draft: nothing to do.")
        return
    content.unpublish(post)
    click.echo(f"Unpublished {slug}: it is a draft again and gone from every public page.")


@click.command("imports")
@with_appcontext
def imports_command() -> None:
    """List past imports: id, time, file, and what each created, updated and skipped."""
    batches = content.recent_batches(limit=1000)
    for batch in batches:
        state = f"undone {batch.undone_at:%Y-%m-%d %H:%M}" if batch.undone_at else ""
        click.echo(
            f"{batch.id}\t{batch.created_at:%Y-%m-%d %H:%M}\t{batch.filename or '-'}\t"
            f"created {batch.created_count}, updated {batch.updated_count}, "
            f"skipped {batch.skipped_count}\t{state}".rstrip()
        )
    if not batches:
        click.echo("No imports yet.")


@click.command("undo-import")
@with_appcontext
@click.argument("batch_id", type=int)
@click.option("--yes", "confirmed", is_flag=True, help="Undo without asking.")
@click.option(
    "--include-published", is_flag=True, help="Also delete posts of it that are published."
)
def undo_command(batch_id: int, confirmed: bool, include_published: bool) -> None:
    """Delete exactly the posts an import created (posts it updated are left alone)."""
    try:
        batch = content.get_batch(batch_id)
    except content.ContentError as exc:
        raise click.ClickException(str(exc)) from exc
    plan = content.undo_plan(batch)
    if not plan.deleted:
        click.echo(f"Import {batch_id} has no posts left to delete: nothing to do.")
        return
    click.echo(f"Undoing import {batch_id} ({batch.filename or 'no file name'}) deletes:")
    for post in plan.deleted:
        click.echo(f"  {post.slug}  ({post.status})  {post.title}")
    if plan.kept:
        click.echo(f"and leaves the {counted(len(plan.kept), 'post')} it updated as they are.")
    if not confirmed:
        ask(f"Delete these {counted(len(plan.deleted), 'post')}?")
    try:
        content.undo_import(
            batch, include_published=include_published, option="run again with --include-published"
        )
    except content.ContentError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Undid import {batch_id}: deleted {counted(len(plan.deleted), 'post')}.")
