"""The reader's side: search, tags, series, archive, discovery, and page basics."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from blog import posts as content
from blog.extensions import db
from blog.models import Post

ODD_QUERIES = [
    '"', '""', "'", "*", "-", "%", "_", "a*", "*a", "NEAR(a b)", "a OR b", "a AND NOT b", "(", ")",
    "^", "col:word", "x" * 5000, "🙂", "\\", "\x00", "<script>alert(1)</script>", "' OR 1=1 --",
    "-- ;", "{}", "a:b:c", '"unterminated', "word -other", "&&||!!", "%%%", "😀 * \" -",
]  # fmt: skip


class PageFacts(HTMLParser):
    """Counts what accessibility and search basics look at."""

    def __init__(self) -> None:
        super().__init__()
        self.lang = None
        self.h1 = 0
        self.title = ""
        self.in_title = False
        self.images_without_alt = 0
        self.landmarks: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "html":
            self.lang = attributes.get("lang")
        elif tag == "h1":
            self.h1 += 1
        elif tag == "title":
            self.in_title = True
        elif tag == "img" and "alt" not in attributes:
            self.images_without_alt += 1
        if tag in {"main", "header", "footer", "nav"}:
            self.landmarks.add(tag)

    def handle_endtag(self, tag):
        if tag == "title":
            self.in_title = False

    def handle_data(self, data):
        if self.in_title:
            self.title += data


@pytest.fixture
def site(app, make_post):
    """A small published site with tags, a series, a draft and an image."""
    first = make_post(
        "Tiling with hexagons",
        [("user", "How do hexagons tile?"), ("assistant", "They tile because of quokkaphrase geometry."),
         ("user", "Show an image"), ("assistant", "![a hexagon](https://example.org/h.png)")],
        publish=True, tags="Geometry, Maths", series="Shapes", series_position="1",
    )  # fmt: skip
    second = make_post(
        "Triangles next", [("user", "And triangles?"), ("assistant", "Also tile.")],
        publish=True, tags="Geometry", series="Shapes", series_position="2",
    )  # fmt: skip
    draft = make_post(
        "Draft on circles", [("user", "circles"), ("assistant", "hiddenword")], tags="Geometry"
    )
    with app.app_context():
        return {pid: db.session.get(Post, pid).slug for pid in (first, second, draft)} | {
            "first": first,
            "second": second,
            "draft": draft,
        }


@pytest.mark.parametrize("query", ODD_QUERIES)
def test_odd_search_queries_never_fail(client, site, query):
    response = client.get("/search", query_string={"q": query})
    assert response.status_code == 200


def test_search_finds_a_word_inside_one_ai_turn_and_links_to_it(client, site):
    page = client.get("/search?q=quokkaphrase").get_data(as_text=True)
    slug = site[site["first"]]
    assert f'href="/posts/{slug}#turn-2"' in page
    assert "<mark>quokkaphrase</mark>" in page


def test_search_never_shows_drafts_and_follows_edits(app, client, site):
    assert 'class="result"' not in client.get("/search?q=hiddenword").get_data(as_text=True)
    with app.app_context():
        post = db.session.get(Post, site["second"])
        content.save_turn(post.turns[1], "Also tile, said the wombatword.", None)
    # A staged edit is not findable until the author updates the post.
    assert 'class="result"' not in client.get("/search?q=wombatword").get_data(as_text=True)
    with app.app_context():
        content.publish(db.session.get(Post, site["second"]), confirmed=True)
    assert (
        "wombatword" in client.get("/search?q=wombatword").get_data(as_text=True).split("<h1")[-1]
    )
    with app.app_context():
        content.unpublish(db.session.get(Post, site["second"]))
    assert 'class="result"' not in client.get("/search?q=wombatword").get_data(as_text=True)


def test_tag_page_and_tag_feed_list_only_published(client, site):
    page = client.get("/tags/geometry").get_data(as_text=True)
    assert "Tiling with hexagons" in page and "Triangles next" in page
    assert "Draft on circles" not in page
    feed = ET.fromstring(client.get("/tags/geometry/feed.xml").data)
    titles = [item.findtext("title") for item in feed.iter("item")]
    assert sorted(titles) == ["Tiling with hexagons", "Triangles next"]
    assert client.get("/tags/unknown").status_code == 404


def test_series_links_posts_in_order(client, site):
    page = client.get(f"/posts/{site[site['first']]}").get_data(as_text=True)
    assert "Part of the series" in page
    assert page.index("Tiling with hexagons</strong>") < page.index("Triangles next</a>")
    series = client.get("/series/shapes").get_data(as_text=True)
    assert series.index("Tiling with hexagons") < series.index("Triangles next")


def test_archive_and_previous_next_links(client, site):
    assert "Triangles next" in client.get("/archive").get_data(as_text=True)
    page = client.get(f"/posts/{site[site['second']]}").get_data(as_text=True)
    assert 'rel="prev"' in page and "Tiling with hexagons" in page


def test_sitemap_and_robots(client, site):
    sitemap = ET.fromstring(client.get("/sitemap.xml").data)
    locations = [
        loc.text for loc in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")
    ]
    assert any(site[site["first"]] in loc for loc in locations)
    assert not any(site[site["draft"]] in loc for loc in locations)
    robots = client.get("/robots.txt").get_data(as_text=True)
    assert "Sitemap:" in robots and "Disallow: /studio/" in robots


def test_discovery_meta_on_post_pages(client, site):
    page = client.get(f"/posts/{site[site['first']]}").get_data(as_text=True)
    for needle in (
        'rel="canonical"',
        'property="og:title"',
        'name="twitter:card"',
        'type="application/ld+json"',
        'type="application/rss+xml"',
        'type="application/atom+xml"',
    ):
        assert needle in page, needle  # fmt: skip


def test_images_from_other_sites_are_never_hot_linked_as_images(client, site):
    response = client.get(f"/posts/{site[site['first']]}")
    page = response.get_data(as_text=True)
    assert 'src="https://example.org/h.png"' not in page
    assert '<a href="https://example.org/h.png"' in page and "[image: a hexagon]" in page
    assert "img-src 'self' data:" in response.headers["Content-Security-Policy"]


def test_every_public_page_meets_the_basics(client, site):
    paths = ["/", "/archive", "/search", "/search?q=hexagons", "/tags/geometry", "/series/shapes",
             "/license", f"/posts/{site[site['first']]}", "/missing-page"]  # fmt: skip
    for path in paths:
        facts = PageFacts()
        facts.feed(client.get(path).get_data(as_text=True))
        assert facts.lang == "en", path
        assert facts.title.strip(), path
        assert facts.h1 == 1, (path, facts.h1)
        assert facts.images_without_alt == 0, path
        assert {"main", "header", "footer", "nav"} <= facts.landmarks, path


@pytest.mark.parametrize(
    "path", ["/feed.xml", "/atom.xml", "/sitemap.xml", "/tags/geometry/feed.xml"]
)
def test_feeds_and_sitemap_are_well_formed_xml(client, site, path):
    response = client.get(path)
    assert response.status_code == 200
    ET.fromstring(response.data)
    assert re.match(rb"<\?xml", response.data)


def test_markdown_and_json_downloads(client, site):
    slug = site[site["first"]]
    markdown = client.get(f"/posts/{slug}.md").get_data(as_text=True)
    assert "title: Tiling with hexagons" in markdown and "> They tile" in markdown
    one_turn = client.get(f"/posts/{slug}.md?turn=2").get_data(as_text=True)
    assert one_turn.startswith("They tile because")
    assert client.get(f"/posts/{slug}.json").get_json()["title"] == "Tiling with hexagons"


def test_quoted_phrase_matches_only_the_phrase(app, client, make_post):
    make_post("Phrases", [("user", "a race condition here"), ("assistant", "condition of the race")],
              publish=True)  # fmt: skip
    page = client.get('/search?q="race condition"').get_data(as_text=True)
    assert page.count('class="result"') == 1 and "#turn-1" in page


def test_only_plain_images_are_served_inline(app, client, make_post):
    from blog import posts as content
    from blog.models import Asset, Post

    post_id = make_post("With files")
    with app.app_context():
        png = Asset(post_id=post_id, name="a.png", mime_type="image/png", data=b"\x89PNG\r\n\x1a\n")
        page = Asset(
            post_id=post_id, name="x.html", mime_type="text/html", data=b"<script>1</script>"
        )
        db.session.add_all([png, page])
        db.session.commit()
        png_url, page_url = f"/assets/{png.token}/a.png", f"/assets/{page.token}/x.html"
        post = db.session.get(Post, post_id)
        content.save_turn(post.turns[0], f"![a]({png_url}) [x]({page_url})", None)
        content.publish(post, status="published", confirmed=True, mark_reviewed=True)
    image = client.get(png_url)
    assert image.mimetype == "image/png" and image.headers["Content-Disposition"] == "inline"
    other = client.get(page_url)
    assert other.mimetype == "application/octet-stream"
    assert other.headers["Content-Disposition"] == "attachment"
    assert "sandbox" in other.headers["Content-Security-Policy"]
