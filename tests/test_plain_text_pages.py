"""Readers never see raw Markdown outside a turn's body: contents, search, folds; and upgrades."""

from __future__ import annotations

import re

from flask_migrate import downgrade, upgrade

from blog import posts as content
from blog.extensions import db
from blog.models import Post, Turn

PROMPTS = [
    "How do I use **bold** and `code`?",
    "What about [links](https://example.com)?",
    "And maths like $x^2$?",
    "Finally \\_escapes\\_?",
]


def conversation() -> list[tuple[str, str]]:
    turns = []
    for prompt in PROMPTS:
        turns += [("user", prompt), ("assistant", "Like *this*: zebrafinch `zebrafinch`.")]
    return turns


def test_contents_list_shows_prompts_as_plain_text(client, make_post):
    make_post(title="Formatting", turns=conversation(), publish=True)
    page = client.get("/posts/formatting").get_data(as_text=True)
    contents = re.search(r'<nav class="toc".*?</nav>', page, re.S).group(0)
    for plain in ("How do I use bold and code?", "What about links?", "And maths like x^2?"):
        assert plain in contents
    assert "Finally _escapes_?" in contents
    for syntax in ("**", "`", "$", "\\_", "]("):
        assert syntax not in contents


def test_search_snippets_show_plain_text(client, make_post):
    make_post(title="Finches", turns=conversation(), publish=True)
    page = client.get("/search?q=zebrafinch").get_data(as_text=True)
    snippets = re.findall(r'<span class="result__snippet">(.*?)</span>', page, re.S)
    assert snippets and all("`" not in s and "*" not in s for s in snippets)
    assert any("<mark>zebrafinch</mark>" in s for s in snippets)


def test_a_long_turn_is_folded_by_its_word_count(client, make_post):
    long_reply = "Some **words** here. " * 400  # 1,200 words, well over the fold
    turns = [("user", "Tell me more."), ("assistant", long_reply), ("user", "Thanks.")]
    make_post(title="Long", turns=turns, publish=True)
    page = client.get("/posts/long").get_data(as_text=True)
    assert page.count('<details class="turn__fold">') == 1
    assert "Long reply: 1200 words." in page


def test_a_short_post_never_folds_the_answer_it_is_about(client, make_post):
    long_reply = "Some **words** here. " * 400
    make_post(title="Short", turns=[("user", "Tell me."), ("assistant", long_reply)], publish=True)
    page = client.get("/posts/short").get_data(as_text=True)
    assert '<details class="turn__fold">' not in page


def test_upgrade_renders_every_turn_again_and_fills_plain_text(app, make_post, capsys):
    post_id = make_post(title="Old", turns=[("user", "Nested:\n\n- a\n  - b")], publish=True)
    with app.app_context():
        downgrade(revision="0002")
        db.session.execute(db.text("UPDATE turns SET html = '<p>old</p>'"))
        db.session.commit()
        upgrade()
        turn = db.session.get(Post, post_id).turns[0]
        assert turn.html.count("<ul>") == 2 and turn.text == "Nested:\na\nb" and turn.words == 3
    assert "rendered 1 of 1 turns" in capsys.readouterr().out


def test_every_saved_turn_stores_its_plain_text_and_word_count(app, make_post):
    post_id = make_post(turns=[("user", "Two *words*")])
    with app.app_context():
        turn = db.session.scalar(db.select(Turn).where(Turn.post_id == post_id))
        assert (turn.text, turn.words) == ("Two words", 2)


def test_contents_list_counts_prompts_as_shown_when_the_author_left_some_out(
    app, client, make_post
):
    post_id = make_post(title="Cut", turns=[*conversation(), ("user", "A fifth prompt.")])
    with app.app_context():
        post = db.session.get(Post, post_id)
        content.set_excluded(post.turns[-1], True)
        content.publish(post, confirmed=True, mark_reviewed=True)
    page = client.get("/posts/cut").get_data(as_text=True)
    assert "The 4 prompts shown here" in page
    assert "prompts in this conversation" not in page
    make_post(title="Whole", turns=conversation(), publish=True)
    assert "The 4 prompts in this conversation" in client.get("/posts/whole").get_data(as_text=True)
