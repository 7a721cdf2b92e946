"""Search: results grouped by post, plain-text snippets, nothing unpublished ever found."""

from __future__ import annotations

import re

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text, update

from blog import posts as content
from blog.extensions import db
from blog.models import Post
from blog.search import fts5_query, highlight, tsquery_text
from tests.test_architecture import statements

RESULT = re.compile(r'<article class="result">(.*?)</article>', re.S)
SNIPPET = re.compile(r'<span class="result__snippet">(.*?)</span>', re.S)
TITLE = re.compile(r'<h2 class="result__title"><a [^>]*>(.*?)</a></h2>')
SUMMARY = re.compile(
    r'<h2 class="result__title"><a [^>]*>(.*?)</a></h2>\s*<p class="result__summary">(.*?)</p>',
    re.S,
)


def results(client, query: str) -> list[str]:
    response = client.get("/search", query_string={"q": query})
    assert response.status_code == 200
    return RESULT.findall(response.get_data(as_text=True))


def test_matching_turns_are_grouped_under_their_post_and_link_to_each_turn(client, make_post):
    make_post(
        title="Owls at night",
        turns=[
            ("user", "Tell me about the barnowlword."),
            ("assistant", "The barnowlword hunts by ear."),
            ("user", "Anything else?"),
            ("assistant", "A barnowlword barnowlword barnowlword swallows prey whole."),
        ],
        publish=True,
    )
    make_post(title="Other", turns=[("user", "One barnowlword here.")], publish=True)
    found = results(client, "barnowlword")
    assert len(found) == 2  # one result per post, not one per turn
    owls = next(r for r in found if "Owls at night" in r)
    assert re.findall(r'href="/posts/owls-at-night#turn-(\d+)"', owls) == ["1", "2", "4"]
    assert len(SNIPPET.findall(owls)) == 3
    # The post whose turns match best comes first.
    assert "Owls at night" in found[0]


def test_snippets_are_plain_text_with_the_match_marked_and_no_markup(client, make_post):
    make_post(
        title="Markup",
        turns=[
            ("user", "Is **bold** fine with $x$ and <script>alert(1)</script> near glimmerword?"),
            ("assistant", "Yes, glimmerword: `code` and [a link](https://example.com)."),
        ],
        publish=True,
    )
    page = client.get("/search?q=glimmerword").get_data(as_text=True)
    snippets = SNIPPET.findall(page)
    assert len(snippets) == 2
    for snippet in snippets:
        assert "<mark>glimmerword</mark>" in snippet
        without_marks = snippet.replace("<mark>", "").replace("</mark>", "")
        assert "<" not in without_marks
        for syntax in ("**", "$x$", "`", "]("):
            assert syntax not in snippet
    assert "<script>" not in page.split('<main id="main"')[-1]


def test_highlight_escapes_before_it_marks():
    assert highlight("a <b> \x02c\x03 & d") == "a &lt;b&gt; <mark>c</mark> &amp; d"


@pytest.mark.parametrize("status", ["draft", "unlisted"])
def test_drafts_and_unlisted_posts_are_never_found(client, make_post, status):
    if status == "draft":
        make_post(title="Hidden", turns=[("user", "secretword here")])
    else:
        make_post(title="Hidden", turns=[("user", "secretword here")], publish=True, status=status)
    assert results(client, "secretword") == []
    assert results(client, "hidden") == []


def test_left_out_turns_are_never_found(app, client, make_post):
    post_id = make_post(
        title="Partly shown",
        turns=[("user", "visible question"), ("assistant", "leftoutword answer")],
        publish=True,
    )
    assert results(client, "leftoutword")
    with app.app_context():
        post = db.session.get(Post, post_id)
        content.set_excluded(post.turns[1], True)
        db.session.commit()
        content.publish(post, confirmed=True)  # readers see the change once it is published
    assert results(client, "leftoutword") == []


def test_turn_numbers_count_only_visible_turns(app, client, make_post):
    post_id = make_post(
        title="Numbers",
        turns=[("user", "first"), ("assistant", "dropped"), ("user", "numberword")],
        publish=True,
    )
    with app.app_context():
        post = db.session.get(Post, post_id)
        content.set_excluded(post.turns[1], True)
        db.session.commit()
        content.publish(post, confirmed=True)  # readers see the change once it is published
    (found,) = results(client, "numberword")
    assert 'href="/posts/numbers#turn-2"' in found


def test_a_title_match_lists_the_post_even_without_a_matching_turn(client, make_post):
    make_post(title="Lighthouses", turns=[("user", "Tell me about towers.")], publish=True)
    (found,) = results(client, "lighthouses")
    assert "Lighthouses" in found and not SNIPPET.findall(found)


def test_short_prefixes_are_searched_as_words():
    assert fts5_query("ab*") == '"ab"'
    assert fts5_query("abc*") == '"abc"*'
    assert fts5_query('"a b" c') == '"a b" "c"'
    assert tsquery_text("ab* abc*") == "ab & abc:*"
    assert tsquery_text('"race condition" perform* NEAR(x)') == (
        "(race <-> condition) & perform:* & NEAR & x"
    )


def test_prefixes_and_phrases_find_the_same_posts_on_either_engine(client, make_post):
    make_post("Fish", turns=[("user", "A lanternfish glows: a race condition.")], publish=True)
    make_post("Lamp", turns=[("user", "Lamps, and conditions for racing.")], publish=True)

    found = {q: len(results(client, q)) for q in ("lant*", "lanternfish*", "lamp*", "lantern")}
    assert found == {"lant*": 1, "lanternfish*": 1, "lamp*": 1, "lantern": 0}
    assert len(results(client, '"race condition"')) == 1


@pytest.mark.parametrize(
    "query", ["a*", "*", '"', "x" * 300, "\x00", "NEAR(a b)", "abc* def*", "🙂*", "-"]
)
def test_odd_queries_answer_200(client, make_post, query):
    make_post(title="Something", turns=[("user", "abcdef words")], publish=True)
    assert client.get("/search", query_string={"q": query}).status_code == 200


def test_a_search_runs_the_same_statements_for_two_results_as_for_six(app, client, make_post):
    def counted(query: str) -> int:
        with statements(app) as seen:
            assert len(results(client, query)) in (2, 6)
        return len(seen)

    for n in range(6):
        word = "fewword manyword" if n < 2 else "manyword"
        make_post(f"Post {n}", turns=[("user", word)], publish=True, summary=f"About {n}")
    results(client, "nothing")  # the first request's own statements (settings, the cache)
    assert counted("fewword") == counted("manyword")


def test_a_result_shows_its_published_summary_however_long(app, client, make_post):
    long_summary = " ".join(["A summary longer than the start of the revision read for it."] * 80)
    make_post("Short", turns=[("user", "cardword")], publish=True, summary="A short one.")
    make_post("Long", turns=[("user", "cardword")], publish=True, summary=long_summary)
    staged = make_post("Staged", turns=[("user", "cardword")], publish=True, summary="As read.")
    with app.app_context():
        content.update_post(db.session.get(Post, staged), {"summary": "Not yet."}, None)
        db.session.commit()
    summaries = {
        title: summary for title, summary in SUMMARY.findall("".join(results(client, "cardword")))
    }
    assert summaries == {"Short": "A short one.", "Long": long_summary, "Staged": "As read."}


def test_the_statements_of_a_search_do_not_grow_with_the_turns_of_its_posts(app, client, make_post):
    def counted(query: str) -> list[str]:
        with statements(app) as seen:
            assert len(results(client, query)) == 1
        return seen

    make_post("Two turns", turns=[("user", "shortword"), ("assistant", "x")], publish=True)
    turns = [("user", "longword")] + [("assistant", f"Turn {n} of many.") for n in range(40)]
    make_post("Forty-one turns", turns=turns, publish=True)
    results(client, "nothing")  # the first request's own statements (settings, the cache)
    short, long = counted("shortword"), counted("longword")
    assert len(short) == len(long)
    # A result card prints a title and summary: no statement reads a revision's turns.
    assert not [s for s in short + long if re.search(r"(?<!substr\()revisions\.data\b", s)]


def test_prefixes_find_words_indexed_before_and_after_the_prefix_index(app, client, make_post):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("the prefix index is SQLite's; PostgreSQL's GIN index has no such upgrade")
    make_post("Before", turns=[("user", "A lanternfish glows.")], publish=True)
    with app.app_context():
        downgrade(revision="0004_revisions")
        upgrade()
        db.session.remove()
    make_post("After", turns=[("user", "Lanterns swing.")], publish=True)
    for query in ("lan*", "lant*", "lantern*"):
        found = results(client, query)
        assert len(found) == 2, query
        assert all("<mark>Lantern" in r or "<mark>lantern" in r for r in found), query
    assert [len(results(client, q)) for q in ("lanternfish*", "lanterns", "lamp*")] == [1, 1, 0]


def test_the_sqlite_index_keeps_prefixes_of_three_and_four_characters(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("PostgreSQL answers prefixes from its GIN index")
        sql = db.session.scalar(text("SELECT sql FROM sqlite_master WHERE name = 'search_index'"))
    assert "prefix = '3 4'" in sql


def test_a_post_unpublished_since_it_was_indexed_leaves_its_place_to_the_next(
    app, client, make_post, monkeypatch
):
    monkeypatch.setattr("blog.search.MAX_POSTS", 2)
    for n in range(4):
        make_post(f"Stale {n}", turns=[("user", "staleword")], publish=True)
    first, second = TITLE.findall("".join(results(client, "staleword")))
    with app.app_context():
        db.session.execute(update(Post).where(Post.title == first).values(status="draft"))
        db.session.commit()
    # The same word asked another way: the page cache still holds the first query's page.
    shown = TITLE.findall("".join(results(client, "Staleword")))
    assert len(shown) == 2 and first not in shown and second in shown


def test_two_words_in_different_turns_of_one_post_find_it(client, make_post):
    make_post(
        "Sourdough",
        turns=[
            ("user", "My levainword smells of acetone."),
            ("assistant", "Feed it more often; a hungry starter makes crumbword dense."),
        ],
        publish=True,
    )
    make_post("Only one", turns=[("user", "A levainword alone.")], publish=True)
    make_post(
        "Both in one turn",
        turns=[("user", "levainword and crumbword together"), ("assistant", "Yes.")],
        publish=True,
    )

    found = results(client, "levainword crumbword")

    assert [TITLE.search(r)[1] for r in found] == ["Both in one turn", "Sourdough"]
    sourdough = found[1]
    # The turns that hold the words are listed, each word marked where it is.
    assert re.findall(r'href="/posts/sourdough#turn-(\d+)"', sourdough) == ["1", "2"]
    assert "<mark>levainword</mark>" in sourdough and "<mark>crumbword</mark>" in sourdough


def test_words_spread_over_the_title_and_a_turn_find_the_post(client, make_post):
    make_post("Kayakword trips", turns=[("user", "Where to paddleword in May?")], publish=True)

    found = results(client, "kayakword paddleword")

    assert [TITLE.search(r)[1] for r in found] == ["Kayakword trips"]


def test_a_word_no_post_holds_still_finds_nothing(client, make_post):
    make_post("Sourdough", turns=[("user", "levainword"), ("assistant", "crumbword")], publish=True)

    assert results(client, "levainword crumbword zzznotthere") == []
    assert len(results(client, '"levainword crumbword"')) == 0


def test_a_left_out_turn_does_not_lend_its_word(app, client, make_post):
    post_id = make_post(
        "Hidden", turns=[("user", "levainword"), ("assistant", "crumbword")], publish=True
    )
    assert len(results(client, "levainword crumbword")) == 1
    with app.app_context():
        post = db.session.get(Post, post_id)
        content.set_excluded(post.turns[1], True)
        db.session.commit()
        content.publish(post, confirmed=True)

    assert results(client, "levainword crumbword") == []
    assert len(results(client, "levainword")) == 1
