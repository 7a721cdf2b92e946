"""Command-line commands: thin wrappers over the services."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from . import posts as content
from .accounts import AccountError, create_user, issue_setup_token
from .backup import BackupError, backup_database
from .exports import export_posts, export_static
from .extensions import db
from .formats.base import ImportFormatError, NotAConversationFile
from .imports.files import CountingReader, ImportReport, import_file
from .imports.folders import claude_code_sessions, session_zip
from .mirror import MirrorError
from .models import Post, User
from .privacy import open_findings
from .scan import mask
from .vocabulary import Status
from .wording import counted


def init_app(app: Flask) -> None:
    for command in (
        create_user_command,
        publish_command,
        rerender_command,
        setup_token_command,
        import_command,
        backup_command,
        export_command,
    ):
        app.cli.add_command(command)


@click.command("create-user")
@with_appcontext
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option(
    "--display-name",
    default="",
    help="Your name as author: the site's author name if none is set yet (default: NAME).",
)
def create_user_command(name: str, password_stdin: bool, display_name: str) -> None:
    """Create an account; the password is prompted for unless --password-stdin."""
    if db.session.scalar(select(User).where(User.username == name.strip())):
        raise click.ClickException(
            f"There is already a user called “{name.strip()}”: choose another NAME, "
            "or sign in as that user at /login."
        )
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(name, password, display_name)
    except AccountError as exc:
        raise click.ClickException(f"{exc} Run the command again with that fixed.") from exc
    click.echo(f"Created user {user.username}.")


@click.command("setup-token")
@with_appcontext
def setup_token_command() -> None:
    """Print a new one-time token for the first-run setup page."""
    token = issue_setup_token()
    if token is None:
        raise click.ClickException(
            "An account already exists, so setup is complete: sign in at /login "
            "(another account: `flask --app app create-user NAME`)."
        )
    click.echo(token)


@click.command("publish")
@with_appcontext
@click.argument("slug")
@click.option(
    "--reviewed",
    is_flag=True,
    help="State that you have reviewed every AI turn; marks them reviewed.",
)
@click.option("--unlisted", is_flag=True, help="Reachable by its link only.")
@click.option(
    "--yes",
    "confirmed",
    is_flag=True,
    help="Confirm the publishing checklist: the usage policies are respected and "
    "no private details of the people mentioned are exposed.",
)
def publish_command(slug: str, reviewed: bool, unlisted: bool, confirmed: bool) -> None:
    """Publish a draft, or Update a published post with its staged changes."""
    post = db.session.scalar(select(Post).where(Post.slug == slug))
    if post is None:
        raise click.ClickException(
            f"No post with the slug “{slug}”. The slug is the last part of the post's "
            "address (/posts/SLUG); the studio's dashboard (/studio/) lists every post."
        )
    if not confirmed and sys.stdin.isatty():
        confirmed = click.confirm(
            "Does the post respect the usage policies and expose no private details "
            "of the people mentioned?",
            default=False,
        )
    updating = post.is_reachable
    try:
        revision = content.publish(
            post,
            status=Status.UNLISTED if unlisted else Status.PUBLISHED,
            confirmed=confirmed,
            mark_reviewed=reviewed,
        )
    except content.PublishBlocked as exc:
        click.echo(f"{'Not updated' if updating else 'Not published'}: {post.title}", err=True)
        for reason in exc.reasons:
            click.echo(f"  - {reason}", err=True)
        click.echo("To publish:", err=True)
        for step in publish_steps(post, confirmed):
            click.echo(f"  * {step}", err=True)
        raise SystemExit(1) from exc
    if revision is None:
        click.echo(f"Nothing to update: readers already see {post.slug} as it is.")
    elif updating:
        click.echo(f"Updated {post.slug}: readers now see revision {revision.number}.")
    else:
        click.echo(f"Published {post.slug}: {post.title}")
    if warning := content.title_warning(post):
        better = (
            f" (the first prompt suggests “{warning.suggestion}”)" if warning.suggestion else ""
        )
        click.echo(
            f"Note: the title “{post.title}” looks machine-made: {warning.reason}. "
            f"Change it in the studio editor (/studio/posts/{post.id}){better}.",
            err=True,
        )


def publish_steps(post: Post, confirmed: bool) -> list[str]:
    """What resolves each refusal of `publish`, in the order to do it."""
    editor = f"/studio/posts/{post.id}"
    steps = []
    if not post.visible_turns:
        steps.append(f"add a turn, or show a left-out one, in the studio editor ({editor})")
    if content.unreviewed_turns(post):
        steps.append(
            "read every AI turn (in the studio editor, " + editor + "), then mark them "
            "reviewed by running again with --reviewed"
        )
    findings = open_findings(post)
    for found in findings:
        steps.append(
            f"turn {found.number}: {found.finding.label}: {mask(found.finding.text)} — "
            f"redact it, or dismiss it with a reason, in the studio editor ({editor})"
        )
    if not confirmed:
        steps.append(
            "confirm the publishing checklist with --yes (the usage policies are respected "
            "and no private details of the people mentioned are exposed)"
        )
    return steps


@click.command("rerender")
@with_appcontext
def rerender_command() -> None:
    """Bring the stored HTML and plain text of every turn up to date (after a renderer change)."""
    outcome = content.rerender_all(progress=echo_progress)
    click.echo(
        f"Rendered {counted(outcome.rendered, 'turn')}; {outcome.reused} took the rendering of a turn "
        f"of the same text; {outcome.current} were up to date."
    )


def echo_progress(done: int, total: int) -> None:
    """One console line per batch: how many turns are rendered so far."""
    click.echo(f"  {done} of {total} turns rendered")


@click.command("backup")
@with_appcontext
@click.argument("destination", type=click.Path(path_type=Path))
def backup_command(destination: Path) -> None:
    """Copy the SQLite database to DESTINATION (a file, or a folder for a dated file)."""
    try:
        written = backup_database(destination)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Backed up the database to {written} ({written.stat().st_size:,} bytes).")


@click.command("import")
@with_appcontext
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--update", is_flag=True, help="Update conversations imported before (default: skip)."
)
@click.option("--user", "username", default=None, help="Import as this user (default: the first).")
def import_command(paths: tuple[Path, ...], update: bool, username: str | None) -> None:
    """Import conversation files (any supported format) or folders of them as drafts."""
    author = find_author(username)
    files = list(expand_paths(paths))
    # A Claude Code session and the folder of its sub-agents are read as one.
    sessions = claude_code_sessions(files)
    read_with_session = {member for members in sessions.values() for member in members}
    failures = 0
    totals = ImportReport()
    for path in files:
        if path in read_with_session:
            continue
        try:
            on_duplicate = "update" if update else "skip"
            report = import_with_progress(path, author, on_duplicate, sessions.get(path))
        except NotAConversationFile as exc:
            if path in paths:  # named on its own, it was meant to hold conversations
                failures += 1
                click.echo(f"Not imported: {path}: {exc}", err=True)
            else:
                totals.skipped.append(f"{path.name}: {exc.reason}")
                click.echo(f"skipped  {path.name}: {exc.reason}")
            continue
        except ImportFormatError as exc:
            failures += 1
            click.echo(f"Not imported: {path}: {exc}", err=True)
            continue
        for post in report.created:
            click.echo(f"created  {post.slug}  {post.title}")
        for post in report.updated:
            click.echo(f"updated  {post.slug}  {post.title}")
        for reason in report.skipped:
            click.echo(f"skipped  {reason}")
        for kept in report.hidden:
            click.echo(f"hidden   {kept}")
        for note in report.notes:
            click.echo(f"note     {note}")
        for warning in report.warnings:
            click.echo(f"check    {warning}: review before publishing")
        totals.merge(report)
    click.echo(
        f"Imported {len(totals.created)} new and {counted(len(totals.updated), 'updated conversation')}, "
        f"{counted(totals.turns, 'turn')}; skipped {len(totals.skipped)}; "
        f"{counted(failures, 'file')} refused."
    )
    if failures:
        click.echo(
            "Nothing from a refused file was saved: fix or re-export it (the reason is "
            "above), then import it again.",
            err=True,
        )
        raise SystemExit(1)


def find_author(username: str | None) -> User | None:
    query = select(User).order_by(User.id)
    if username:
        query = query.where(User.username == username)
    author = db.session.scalar(query.limit(1))
    if username and author is None:
        raise click.ClickException(
            f"No user called “{username}”: create it with "
            f"`flask --app app create-user {username}`, or leave out --user to import "
            "as the first account."
        )
    return author


def expand_paths(paths: tuple[Path, ...]):
    """Files as given, and every file inside a folder (sorted, hidden ones skipped)."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and not any(
                    p.startswith(".") for p in child.relative_to(path).parts
                ):
                    yield child
        else:
            yield path


def import_with_progress(
    path: Path, author: User | None, on_duplicate: str, folder: list[Path] | None = None
) -> ImportReport:
    """Import one file, with a progress bar over its bytes when it is large; a Claude Code
    session with the files of its own `folder`, read as the zip of them would be."""
    if folder:
        with session_zip(path, folder) as zipped:
            return import_file(zipped, path.name, author, on_duplicate=on_duplicate)
    size = path.stat().st_size
    if size < 5 * 1024 * 1024:
        return import_file(path, path.name, author, on_duplicate=on_duplicate)
    with (
        path.open("rb") as raw,
        click.progressbar(length=size, label=f"Importing {path.name}", file=sys.stderr) as bar,
    ):
        reader = io.BufferedReader(CountingReader(raw, bar.update))
        return import_file(reader, path.name, author, on_duplicate=on_duplicate)


@click.command("export")
@with_appcontext
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--static", "static", is_flag=True, help="Export the public site as static HTML.")
def export_command(directory: Path, static: bool) -> None:
    """Export every post as Markdown and JSON, or (--static) the public site as HTML."""
    if static:
        try:
            count = export_static(current_app._get_current_object(), directory)
        except MirrorError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"Wrote {counted(count, 'page')} and feeds, plus static files, to {directory}")
    else:
        count = export_posts(directory)
        click.echo(f"Exported {counted(count, 'post')} as Markdown and JSON to {directory}")
