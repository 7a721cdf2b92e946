"""Machine-made titles: recognised, warned about before publishing, one click to a better one."""

from __future__ import annotations

import pytest

from blog.extensions import db
from blog.markdown import title_problem
from blog.models import Post

SEARCH_PROMPT = (
    "Web search results:\n\n[1] Tides are caused by the Moon.\n\n"
    "Current date: 3/1/2024\n\nQuery: why are there two tides a day?"
)


@pytest.mark.parametrize(
    "title",
    [
        "{",
        "```",
        "[ ]",
        "Untitled conversation",
        "Web search results: [1] Tides",
        "How do I make bread rise when the kitchen is cold and the yeast is…",
        "Explain **this** function",
        "What does `git rebase` do",
        "# Heading",
    ],
)
def test_machine_made_titles_are_recognised(title):
    assert title_problem(title)


@pytest.mark.parametrize(
    "title", ["Naming a grey cat", "Why are there two tides a day?", "C++ templates, explained"]
)
def test_chosen_titles_are_left_alone(title):
    assert title_problem(title) == ""


def test_the_publish_panel_warns_and_offers_the_first_prompts_title(app, author, make_post):
    post_id = make_post("Web search results:", turns=[("user", SEARCH_PROMPT), ("note", "Hi.")])

    page = author.get(f"/studio/posts/{post_id}").get_data(as_text=True)

    assert "The title looks machine-made" in page
    assert "starts with the template the prompt was wrapped in" in page
    assert "Use suggested title: “why are there two tides a day?”" in page

    with app.app_context():
        version = db.session.get(Post, post_id).details_version
    author.post(
        f"/studio/posts/{post_id}",
        data={"title": "why are there two tides a day?", "version": str(version)},
    )
    with app.app_context():
        post = db.session.get(Post, post_id)
        assert post.title == "why are there two tides a day?"
        assert post.slug  # unchanged, still valid
    assert "looks machine-made" not in author.get(f"/studio/posts/{post_id}").get_data(as_text=True)


def test_a_machine_made_title_does_not_block_publishing(app, author, make_post):
    post_id = make_post("{", turns=[("user", '{\n  "a": 1\n}'), ("note", "JSON.")])

    page = author.get(f"/studio/posts/{post_id}").get_data(as_text=True)
    assert "The title looks machine-made" in page
    assert "Change it under Details above." in page  # nothing better to suggest

    response = author.post(
        f"/studio/posts/{post_id}/publish",
        data={"confirm_policies": "1", "confirm_privacy": "1", "status": "published"},
    )
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Post, post_id).status == "published"


def test_the_publish_command_notes_a_machine_made_title(app, runner, make_post):
    post_id = make_post("Untitled conversation", turns=[("user", "How do tides work?")])
    with app.app_context():
        slug = db.session.get(Post, post_id).slug

    result = runner.invoke(args=["publish", slug, "--yes"])

    assert result.exit_code == 0, result.output
    assert "looks machine-made" in result.output
    assert "the first prompt suggests “How do tides work?”" in result.output
