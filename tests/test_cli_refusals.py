"""Every refusal of the command line names the option or step that resolves it."""

from __future__ import annotations

from blog.extensions import db
from blog.models import Post


def slug_of(app, post_id: int) -> str:
    with app.app_context():
        return db.session.get(Post, post_id).slug


def test_publish_names_the_option_for_each_refusal(app, runner, make_post):
    post_id = make_post("Unreviewed", [("user", "Question?"), ("assistant", "Answer.")])
    slug = slug_of(app, post_id)
    result = runner.invoke(args=["publish", slug])
    assert result.exit_code == 1
    assert "confirm the publishing checklist with --yes" in result.output
    assert "read every AI turn" in result.output
    assert "then mark them reviewed by running again with --reviewed" in result.output
    assert f"/studio/posts/{post_id}" in result.output

    only_review = runner.invoke(args=["publish", slug, "--yes"])
    assert only_review.exit_code == 1
    assert "--reviewed" in only_review.output and "with --yes" not in only_review.output

    done = runner.invoke(args=["publish", slug, "--yes", "--reviewed"])
    assert done.exit_code == 0, done.output


def test_publish_says_how_to_resolve_privacy_findings(app, runner, make_post):
    post_id = make_post(
        "Private", [("user", "Mail me at jane.doe@realmail.org please."), ("assistant", "Sure.")]
    )
    result = runner.invoke(args=["publish", slug_of(app, post_id), "--yes", "--reviewed"])
    assert result.exit_code == 1
    assert "turn 1:" in result.output
    assert "jane.doe@realmail.org" not in result.output  # the finding is shown masked
    assert "redact it, or dismiss it with a reason, in the studio editor" in result.output
    assert f"/studio/posts/{post_id}" in result.output


def test_publish_of_an_empty_post_says_to_add_a_turn(app, runner, owner):
    from blog import posts as content
    from blog.models import User

    with app.app_context():
        post = content.create_post(db.session.get(User, owner), "Empty")
        slug = post.slug
    result = runner.invoke(args=["publish", slug, "--yes"])
    assert result.exit_code == 1
    assert "add a turn" in result.output


def test_publish_of_an_unknown_slug_says_where_slugs_are(runner):
    result = runner.invoke(args=["publish", "no-such-post"])
    assert result.exit_code == 1
    assert "/posts/SLUG" in result.output and "/studio/" in result.output


def test_setup_token_after_setup_points_to_sign_in_and_create_user(runner, owner):
    result = runner.invoke(args=["setup-token"])
    assert result.exit_code == 1
    assert "/login" in result.output and "flask --app app create-user NAME" in result.output


def test_create_user_refusals_say_what_to_change(runner, owner):
    taken = runner.invoke(args=["create-user", "alice", "--password-stdin"], input="x" * 12 + "\n")
    assert taken.exit_code == 1 and "choose another NAME" in taken.output

    short = runner.invoke(args=["create-user", "bob", "--password-stdin"], input="short\n")
    assert short.exit_code == 1
    assert "at least 10 characters" in short.output and "again" in short.output


def test_import_refusals_say_what_to_do(runner, owner, tmp_path):
    source = tmp_path / "post.md"
    source.write_text("Hello\n\n> Hi there")
    unknown = runner.invoke(args=["import", "--user", "zed", str(source)])
    assert unknown.exit_code == 1
    assert "flask --app app create-user zed" in unknown.output and "--user" in unknown.output

    broken = tmp_path / "broken.json"
    broken.write_text('[{"mapping": {"a": ')
    refused = runner.invoke(args=["import", str(broken)])
    assert refused.exit_code == 1
    assert "Not imported:" in refused.output and "then import it again" in refused.output


def test_backup_onto_the_live_database_says_to_choose_another_file(app, runner):
    live = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    if live == app.config["SQLALCHEMY_DATABASE_URI"]:
        result = runner.invoke(args=["backup", "backup.sqlite3"])
        assert "pg_dump" in result.output
        return
    result = runner.invoke(args=["backup", live])
    assert result.exit_code == 1
    assert "give another FILE" in result.output
