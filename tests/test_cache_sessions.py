"""The page cache keeps only what every reader may see: never one reader's session state."""

from __future__ import annotations

from tests.conftest import Author

HTTPS = "https://blog.test"
EXPIRED = "This form expired"


def test_a_flash_from_a_refused_post_is_not_served_to_other_readers(app, owner):
    visitor = app.test_client()
    # A cross-site style POST without a token leaves a flash in the visitor's new session.
    refused = visitor.post("/login", data={}, base_url=HTTPS, headers={"Referer": f"{HTTPS}/"})
    assert refused.status_code == 303
    page = visitor.get("/", base_url=HTTPS)
    assert EXPIRED in page.get_data(as_text=True)
    assert "no-store" in page.headers["Cache-Control"]
    for _ in range(2):  # the first may render, the second would come from the cache
        other = app.test_client().get("/", base_url=HTTPS)
        assert other.status_code == 200
        assert EXPIRED not in other.get_data(as_text=True)


def test_signed_out_is_shown_to_the_author_only(app, client, owner):
    author = Author(client)
    author.login()
    response = author.post("/logout")
    assert response.status_code == 302
    page = author.get("/")
    assert "Signed out." in page.get_data(as_text=True)
    for _ in range(2):
        other = app.test_client().get("/", base_url=HTTPS)
        assert "Signed out." not in other.get_data(as_text=True)


def test_a_page_that_starts_a_session_is_not_stored(app, owner):
    reader = app.test_client()
    reader.get("/", base_url=HTTPS)  # stored: nothing personal in it
    cached = app.test_client().get("/", base_url=HTTPS)
    assert "public" in cached.headers["Cache-Control"]
    assert "Set-Cookie" not in cached.headers
