"""Pages that list every post cost a fixed number of statements, and never read revisions whole.

At 10,000 posts the archive read each post's published revision (every turn's HTML) to print
its conversation date: 10,023 statements, 40-100 s and 420 MB in one worker
(bench/memory_bench.py). These pages must not grow their statement count with the site.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event

from blog.extensions import db

PATHS = ("/archive", "/archive?by=conversation", "/sitemap.xml")


def statements(app, client, path: str) -> list[str]:
    """The statements reading posts, revisions or tags that one uncached request runs."""
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        # The listing's own reads; a request's others (the account, the settings) are fixed.
        if "FROM posts" in statement or "FROM revisions" in statement or "FROM tags" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


@pytest.mark.parametrize("path", PATHS)
def test_a_page_listing_every_post_runs_as_many_statements_for_eight_posts_as_for_two(
    app, make_post, client, path
):
    for number in range(2):
        make_post(f"Early {number}", publish=True)
    few = statements(app, client, path)
    for number in range(6):
        make_post(f"Later {number}", publish=True)
    many = statements(app, client, path)

    assert len(many) == len(few)
    # The revisions' JSON (every turn's HTML) is never loaded for a listing.
    assert not any("AS revisions_data" in statement for statement in many)
    page = client.get(path).get_data(as_text=True)
    assert all(f"later-{number}" in page for number in range(6))
