"""Command-line moderation of the fediverse: replies (list, approve, reject) and blocks."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from .federation import blocks, replies
from .federation.models import RemoteComment
from .wording import counted


def init_app(app: Flask) -> None:
    for command in (
        replies_command,
        approve_command,
        reject_command,
        block_command,
        unblock_command,
        blocks_command,
    ):
        app.cli.add_command(command)


@click.command("replies")
@with_appcontext
@click.option("--all", "everything", is_flag=True, help="Also the approved and rejected ones.")
def replies_command(everything: bool) -> None:
    """List replies waiting for approval: id, author, post, time received and their start."""
    rows = replies.listing(decided=everything)
    for reply, _title, slug in rows:
        fields = [str(reply.id)]
        if everything:
            fields.append(replies.state(reply))
        fields += [
            f"{reply.actor_name} <{reply.actor_uri}>",
            slug,
            f"{reply.received_at:%Y-%m-%d %H:%M}",
            replies.excerpt(reply),
        ]
        click.echo("\t".join(fields))
    what = "reply" if everything else "reply waiting"
    many = "replies" if everything else "replies waiting"
    click.echo(f"{counted(len(rows), what, many)}.", err=True)


def decide(reply_id: int, decision) -> RemoteComment:
    """The reply, after `decision`; a ClickException (exit 1) when it is unknown or decided."""
    try:
        reply = replies.get(reply_id)
        decision(reply)
    except replies.ReplyError as exc:
        raise click.ClickException(
            f"{exc} `flask --app app replies --all` lists every reply."
        ) from exc
    return reply


@click.command("approve")
@with_appcontext
@click.argument("reply_id", metavar="ID", type=int)
def approve_command(reply_id: int) -> None:
    """Show a waiting reply under its post (as the studio's Approve)."""
    reply = decide(reply_id, replies.approve)
    click.echo(f"Approved reply {reply_id} from {reply.actor_name}: it is shown under its post.")


@click.command("reject")
@with_appcontext
@click.argument("reply_id", metavar="ID", type=int)
def reject_command(reply_id: int) -> None:
    """Never show a waiting reply (as the studio's Reject)."""
    reply = decide(reply_id, replies.reject)
    click.echo(f"Rejected reply {reply_id} from {reply.actor_name}.")


@click.command("block")
@with_appcontext
@click.argument("target", metavar="DOMAIN_OR_ACTOR_URL")
def block_command(target: str) -> None:
    """Block a server (and its subdomains) or one account by its address."""
    try:
        report = blocks.block(target)
    except blocks.BlockError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(report.summary())


@click.command("unblock")
@with_appcontext
@click.argument("target", metavar="DOMAIN_OR_ACTOR_URL")
def unblock_command(target: str) -> None:
    """Lift the block of a server or an account."""
    try:
        lifted = blocks.unblock(target)
    except blocks.BlockError as exc:
        raise click.ClickException(f"{exc} `flask --app app blocks` lists them.") from exc
    click.echo(f"Unblocked {lifted}.")


@click.command("blocks")
@with_appcontext
def blocks_command() -> None:
    """List blocked servers and accounts: kind, server name or address, since when."""
    found = blocks.all_blocks()
    for block in found:
        click.echo(f"{block.kind}\t{block.target}\t{block.created_at:%Y-%m-%d %H:%M}")
    if not found:
        click.echo("Nobody is blocked.")
