"""The sitemap: one file up to SITEMAP_MAX_URLS addresses, past it an index of files."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from flask_migrate import upgrade

from blog import create_app
from blog import posts as content
from blog.accounts import create_user
from blog.extensions import db
from blog.mirror import build
from blog.models import Post
from blog.settings import bump_generation
from blog.sitemap import LIST_PAGES, Plan
from tests.conftest import PASSWORD, app_settings, run_queued

NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
BASE = "https://blog.test"


def test_the_shares_of_the_files_cover_every_address_once_in_order():
    for per_file in (1, 2, 3, 7, 50_000):
        for posts in (0, 1, 5, 12):
            for tags in (0, 1, 4):
                plan = Plan(posts=posts, tags=tags, per_file=per_file)
                listed: list[tuple[str, int]] = []
                for number in range(1, plan.files + 1):
                    share = plan.share(number)
                    part = [("page", LIST_PAGES.index(p)) for p in share.pages]
                    part += [("post", share.posts[0] + i) for i in range(share.posts[1])]
                    part += [("tag", share.tags[0] + i) for i in range(share.tags[1])]
                    assert 0 < len(part) <= per_file
                    listed += part
                expected = [("page", i) for i in range(len(LIST_PAGES))]
                expected += [("post", i) for i in range(posts)] + [("tag", i) for i in range(tags)]
                assert listed == expected, (per_file, posts, tags)


def test_a_share_past_the_last_file_is_empty():
    plan = Plan(posts=5, tags=2, per_file=3)
    assert plan.files == 3
    assert plan.share(3).posts == (4, 1) and plan.share(3).tags == (0, 2)
    assert plan.share(4).pages == () and plan.share(4).posts == (0, 0)


@pytest.fixture
def site(tmp_path):
    """Three public posts with one tag, an unlisted one and a draft; three addresses a file."""
    mirror = tmp_path / "mirror"
    settings = {"STATIC_MIRROR_DIR": str(mirror), "SITE_URL": BASE, "SITEMAP_MAX_URLS": 3}
    app = create_app(app_settings(tmp_path, **settings))
    with app.app_context():
        upgrade()
        create_user("alice", PASSWORD, "Alice Author")
        for number in (1, 2, 3):
            sample_post(f"Public {number}", "published", tags="Optics" if number == 1 else "")
        sample_post("By link only", "unlisted")
        sample_post("Still a draft", None)
    build(app, mirror)
    yield app, mirror
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def sample_post(title: str, status: str | None, tags: str = "") -> int:
    """A post of one question and its answer, published with `status` (None: a draft)."""
    post = content.create_post(None, title)
    content.add_turn(post, "user", source=f"A question about {title}?")
    content.add_turn(post, "assistant", source=f"An answer about {title}.")
    if tags:
        content.update_post(post, {"tags": tags}, None)
    if status:
        content.publish(post, status=status, confirmed=True, mark_reviewed=True)
    return post.id


def set_limit(app, per_file: int) -> None:
    """A new limit, as a restart with it would bring; cached pages are dropped."""
    app.config["SITEMAP_MAX_URLS"] = per_file
    with app.app_context():
        bump_generation()
        db.session.commit()


def locations(body: bytes) -> list[str]:
    return [loc.text for loc in ET.fromstring(body).iter(f"{NS}loc")]


def test_past_the_limit_the_sitemap_is_an_index_of_files_listing_each_public_address_once(site):
    app, _ = site
    client = app.test_client()
    index = client.get("/sitemap.xml", base_url=BASE)
    assert index.status_code == 200 and index.mimetype == "application/xml"
    root = ET.fromstring(index.data)
    assert root.tag == f"{NS}sitemapindex"
    assert locations(index.data) == [f"{BASE}/sitemap-1.xml", f"{BASE}/sitemap-2.xml"]

    listed = []
    for url in locations(index.data):
        part = client.get(url.removeprefix(BASE), base_url=BASE)
        assert part.status_code == 200 and part.mimetype == "application/xml"
        assert ET.fromstring(part.data).tag == f"{NS}urlset"
        assert 0 < len(locations(part.data)) <= 3
        listed += locations(part.data)
    # The list pages, posts oldest first, then tags: each once, drafts and unlisted never.
    assert listed == [
        f"{BASE}/",
        f"{BASE}/archive",
        f"{BASE}/posts/public-1",
        f"{BASE}/posts/public-2",
        f"{BASE}/posts/public-3",
        f"{BASE}/tags/optics",
    ]
    for missing in ("/sitemap-3.xml", "/sitemap-0.xml"):
        assert client.get(missing, base_url=BASE).status_code == 404


def test_within_the_limit_the_sitemap_is_one_file_and_there_are_no_parts(site):
    app, _ = site
    set_limit(app, 50_000)
    client = app.test_client()
    body = client.get("/sitemap.xml", base_url=BASE).data
    assert ET.fromstring(body).tag == f"{NS}urlset"
    assert len(locations(body)) == 6
    assert "by-link-only" not in body.decode() and "still-a-draft" not in body.decode()
    assert client.get("/sitemap-1.xml", base_url=BASE).status_code == 404


def mirrored(mirror: Path) -> list[str]:
    return sorted(p.name for p in mirror.glob("sitemap*.xml"))


def test_the_mirror_writes_the_index_and_its_parts_and_removes_parts_no_longer_named(site):
    app, mirror = site
    set_limit(app, 5)
    build(app, mirror)
    client = app.test_client()
    assert mirrored(mirror) == ["sitemap-1.xml", "sitemap-2.xml", "sitemap.xml"]
    for name in mirrored(mirror):
        assert (mirror / name).read_bytes() == client.get(f"/{name}", base_url=BASE).data
        assert (mirror / f"{name}.gz").is_file()

    # Down to five addresses and back to six: the parts go and come back with each change.
    # The sitemap lists every post: each change takes it off the site at once and the worker
    # writes it again.
    with app.app_context():
        content.unpublish(db.session.scalar(db.select(Post).where(Post.slug == "public-3")))
    assert mirrored(mirror) == []
    run_queued(app)
    assert mirrored(mirror) == ["sitemap.xml"]
    assert not list(mirror.glob("sitemap-*"))
    assert ET.fromstring((mirror / "sitemap.xml").read_bytes()).tag == f"{NS}urlset"
    with app.app_context():
        sample_post("Public 4", "published")
    run_queued(app)
    assert mirrored(mirror) == ["sitemap-1.xml", "sitemap-2.xml", "sitemap.xml"]
    assert b"/posts/public-4" in (mirror / "sitemap-1.xml").read_bytes()
    assert b"/tags/optics" in (mirror / "sitemap-2.xml").read_bytes()

    # A full build sweeps parts a smaller site no longer has.
    set_limit(app, 2)
    build(app, mirror)
    assert mirrored(mirror)[-1] == "sitemap.xml" and len(mirrored(mirror)) == 4
    set_limit(app, 50_000)
    build(app, mirror)
    assert mirrored(mirror) == ["sitemap.xml"]
