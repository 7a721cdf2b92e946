"""The static mirror: every public page as a file, written and removed as content changes."""

from __future__ import annotations

import fcntl
import gzip
import os
import stat
from pathlib import Path

import pytest
from flask import render_template
from flask_migrate import upgrade

from blog import create_app
from blog import posts as content
from blog.accounts import create_user
from blog.assets import ASSET_SLICE, asset_file_name
from blog.extensions import db
from blog.mirror import Mirror, rebuild_status
from blog.mirror_files import UnsafePath, target
from blog.models import Asset, Post
from blog.settings import save_settings
from tests.conftest import PASSWORD, Author, app_settings, database_url, run_queued
from tests.test_sitemap import sample_post

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
BASE = "https://blog.test"


@pytest.fixture
def site(tmp_path):
    """An app with the mirror on, its owner, and helpers to change and read the site."""
    mirror = tmp_path / "mirror"
    app = create_app(
        app_settings(tmp_path, STATIC_MIRROR_DIR=str(mirror), SITE_URL=BASE, POSTS_PER_PAGE=2)
    )
    with app.app_context():
        upgrade()
        create_user("alice", PASSWORD, "Alice Author")
    run_queued(app)  # the first account changed every page: the worker built the mirror
    yield Site(app, mirror)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


class Site:
    def __init__(self, app, mirror: Path) -> None:
        self.app = app
        self.mirror = mirror
        self.client = app.test_client()

    def make(self, title: str, *, status: str | None = "published", tags: str = "") -> int:
        with self.app.app_context():
            return sample_post(title, status, tags)

    def post(self, post_id: int) -> Post:
        return db.session.get(Post, post_id)

    def file(self, relative: str) -> bytes | None:
        path = self.mirror / relative
        return path.read_bytes() if path.is_file() else None

    def live(self, path: str) -> bytes:
        response = self.client.get(path, base_url=BASE)
        assert response.status_code == 200, path
        return response.get_data()

    def every_file(self) -> dict[str, bytes]:
        return {
            p.relative_to(self.mirror).as_posix(): p.read_bytes()
            for p in self.mirror.rglob("*")
            if p.is_file() and not p.relative_to(self.mirror).parts[0].startswith(".")
        }


def linked_asset(post: Post, name: str, mime_type: str, data: bytes) -> Asset:
    """A file kept with the post and shown by a new turn of it (published at the next Update)."""
    asset = Asset(post_id=post.id, name=name, mime_type=mime_type, data=data)
    db.session.add(asset)
    db.session.commit()
    turn = content.add_turn(post, "user")
    content.save_turn(turn, f"[{name}](/assets/{asset.token}/{asset_file_name(name, data)})", None)
    return asset


def test_target_maps_urls_to_files_and_refuses_dot_names():
    assert target("/") == "index.html"
    assert target("/?page=3") == "index.page-3.html"
    assert target("/posts/a-b") == "posts/a-b/index.html"
    assert target("/posts/a-b.md") == "posts/a-b.md"
    assert target("/tags/x?page=2") == "tags/x/index.page-2.html"
    assert target("/assets/3/my%20chart.png") == "assets/3/my chart.png"
    for unsafe in ("/assets/1/../../x", "/.mirror/posts/1.json", "/posts/x?turn=2"):
        with pytest.raises(UnsafePath):
            target(unsafe)


def test_only_real_images_keep_their_names():
    assert asset_file_name("chart.png", PNG) == "chart.png"
    assert asset_file_name("page.html", b"<script>alert(1)</script>") == "page.html.bin"
    assert asset_file_name("logo.svg", b"<svg onload=alert(1)>") == "logo.svg.bin"
    assert asset_file_name("fake.png", b"<html>") == "fake.png.bin"
    assert asset_file_name("photo.jpg", PNG) == "photo.jpg.bin"
    assert asset_file_name("a.webp", b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "a.webp"
    assert asset_file_name("report.pdf", b"%PDF-1.7\n%") == "report.pdf"
    assert asset_file_name("notes.pdf", b"Text extracted ") == "notes.pdf.bin"
    assert asset_file_name("notes.txt", b"<script>") == "notes.txt"
    assert asset_file_name("tool.exe.bin", b"MZ") == "tool.exe.bin"


def test_publishing_writes_the_same_bytes_the_app_serves(site):
    post_id = site.make("First light", tags="optics")
    draft_id = site.make("Secret draft", status=None)
    with site.app.app_context():
        slug = site.post(post_id).slug
        draft_slug = site.post(draft_id).slug
    for path in ("/", f"/posts/{slug}", f"/posts/{slug}.md", f"/posts/{slug}.json", "/feed.xml"):
        assert site.file(target(path)) == site.live(path), path
    # The pages that list every post are the worker's to write; the proxy asks the app first.
    assert site.file("archive/index.html") is None and site.file("sitemap.xml") is None
    run_queued(site.app)
    for path in ("/atom.xml", "/sitemap.xml", "/archive", "/tags/optics", "/tags/optics/feed.xml"):
        assert site.file(target(path)) == site.live(path), path
    page = site.file(target(f"/posts/{slug}")).decode()
    assert 'class="ai-disclosure' in page and 'rel="license"' in page
    assert not (site.mirror / "posts" / draft_slug).exists()
    assert all(b"Secret draft" not in body for body in site.every_file().values())


def test_every_page_has_a_gzip_twin_that_comes_and_goes_with_it(site):
    def twins_match() -> None:
        files = site.every_file()
        pages = [name for name in files if not name.endswith(".gz")]
        for name in pages:
            if name.startswith("assets/") or name == "redirects.map":
                assert name + ".gz" not in files, name  # images are compressed already
            else:
                assert gzip.decompress(files[name + ".gz"]) == files[name], name
        assert all(name.removesuffix(".gz") in files for name in files), "an orphan twin"

    post_id = site.make("Squeezed", tags="zip")
    with site.app.app_context():
        post = site.post(post_id)
        linked_asset(post, "chart.png", "image/png", PNG)
        content.update_post(post, {"title": "Squeezed again"}, None)
        content.publish(post, confirmed=True, mark_reviewed=True)
        slug = post.slug
    twins_match()
    assert b"Squeezed again" in gzip.decompress(site.file(f"posts/{slug}/index.html.gz"))
    twin = site.mirror / f"posts/{slug}/index.html.gz"
    written = twin.stat().st_mtime_ns
    with site.app.app_context():
        content.publish(site.post(post_id), confirmed=True, mark_reviewed=True)
    assert twin.stat().st_mtime_ns == written  # the same page: its twin and ETag stay put

    with site.app.app_context():
        content.unpublish(site.post(post_id))
    assert not any(name.startswith(f"posts/{slug}") for name in site.every_file())
    twins_match()

    site.make("Another")
    (site.mirror / "posts" / "stale").mkdir()
    (site.mirror / "posts" / "stale" / "index.html.gz").write_bytes(gzip.compress(b"stale"))
    (site.mirror / "index.page-9.html.gz").write_bytes(gzip.compress(b"stale"))
    result = site.app.test_cli_runner().invoke(args=["mirror"])
    assert result.exit_code == 0, result.output
    assert not (site.mirror / "posts" / "stale").exists()
    assert site.file("index.page-9.html.gz") is None
    twins_match()


def test_unpublishing_removes_the_post_before_the_call_returns(site):
    kept = site.make("Kept", tags="light")
    gone = site.make("Gone", tags="light")
    with site.app.app_context():
        slug = site.post(gone).slug
        content.unpublish(site.post(gone))
    assert not (site.mirror / "posts" / slug).exists()
    assert not (site.mirror / f"posts/{slug}.md").exists()
    assert b"Gone" not in site.file("index.html")
    assert b"Gone" not in site.file("tags/light/index.html")
    assert b"Gone" not in site.file("feed.xml")
    assert site.file("index.html") == site.live("/")
    with site.app.app_context():
        assert (site.mirror / "posts" / site.post(kept).slug / "index.html").is_file()


def test_pagination_pages_come_and_go_with_the_posts(site):
    ids = [site.make(f"Post {n}") for n in range(5)]
    run_queued(site.app)
    assert site.file("index.page-3.html") == site.live("/?page=3")
    with site.app.app_context():
        content.delete_post(site.post(ids[0]))
    assert site.file("index.page-3.html") is None
    assert site.file("index.page-2.html") is None  # shifted: the worker writes it again
    run_queued(site.app)
    assert site.file("index.page-2.html") == site.live("/?page=2")
    assert b"Page 1 of 2" in site.file("index.html")


def test_a_new_slug_moves_the_files_and_maps_the_old_address(site):
    post_id = site.make("Old name")
    with site.app.app_context():
        post = site.post(post_id)
        old = post.slug
        content.update_post(post, {"slug": "new-name"}, None)
    assert not (site.mirror / "posts" / old).exists()
    assert site.file("posts/new-name/index.html") == site.live("/posts/new-name")
    assert f'"/posts/{old}" "/posts/new-name";' in site.file("redirects.map").decode()
    with site.app.app_context():
        content.unpublish(site.post(post_id))
    assert site.file("redirects.map") == b""


def test_neighbours_link_to_each_other_once_the_middle_post_goes(site):
    first, middle, last = (site.make(title) for title in ("Alpha", "Beta", "Gamma"))
    with site.app.app_context():
        content.delete_post(site.post(middle))
        slugs = [site.post(first).slug, site.post(last).slug]
    for slug in slugs:
        assert site.file(f"posts/{slug}/index.html") == site.live(f"/posts/{slug}")


def test_deleting_published_posts_in_bulk_removes_their_files(site):
    kept, gone = site.make("Kept"), site.make("Gone")
    with site.app.app_context():
        slug = site.post(gone).slug
        content.delete_posts(content.listed([gone]), include_published=True)
    assert not (site.mirror / "posts" / slug).exists()
    assert b"Gone" not in site.file("index.html")
    assert site.file("index.html") == site.live("/")
    with site.app.app_context():
        assert (site.mirror / "posts" / site.post(kept).slug / "index.html").is_file()


def test_unlisted_posts_are_mirrored_but_never_listed(site):
    post_id = site.make("By link only", status="unlisted")
    with site.app.app_context():
        slug = site.post(post_id).slug
    assert site.file(f"posts/{slug}/index.html") == site.live(f"/posts/{slug}")
    assert b"By link only" not in site.file("index.html")
    assert b"By link only" not in site.file("sitemap.xml")


def test_a_new_title_rewrites_the_pages_that_show_the_post_and_no_other(site):
    ids = [site.make(f"Post {n}") for n in range(5)]  # newest first: 4 3 | 2 1 | 0
    run_queued(site.app)
    last_page = (site.mirror / "index.page-3.html").stat().st_mtime_ns
    with site.app.app_context():
        post = site.post(ids[1])
        content.update_post(post, {"title": "Post 1, retitled"}, None)
        content.publish(post, confirmed=True, mark_reviewed=True)
    assert b"Post 1, retitled" in site.file("index.page-2.html")
    assert site.file("index.page-2.html") == site.live("/?page=2")
    assert (site.mirror / "index.page-3.html").stat().st_mtime_ns == last_page
    assert site.file("archive/index.html") is None  # every post's title: the worker's page
    run_queued(site.app)
    assert b"Post 1, retitled" in site.file("archive/index.html")
    assert site.file("archive/index.html") == site.live("/archive")
    assert (site.mirror / "index.page-3.html").stat().st_mtime_ns == last_page


def test_settings_rewrite_every_page_in_the_worker_not_the_request(site):
    post_id = site.make("Any post", tags="t")
    run_queued(site.app)
    with site.app.app_context():
        slug = site.post(post_id).slug
    pages = ("index.html", f"posts/{slug}/index.html", "tags/t/index.html", "feed.xml")
    assert all(site.file(relative) for relative in pages)
    with site.app.test_request_context():
        save_settings({"site_title": "A Renamed Blog"})
    # The request only removed the pages (the proxy asks the app for them meanwhile).
    assert [relative for relative in pages if site.file(relative) is not None] == []
    status = rebuild_status(site.mirror)
    assert status["state"] == "queued" and status["posts"] == 1
    assert (site.mirror / ".mirror/set-aside").is_dir()  # the old pages, out of the proxy's way
    assert run_queued(site.app) == 1
    assert not (site.mirror / ".mirror/set-aside").exists()
    for relative in pages:
        assert b"A Renamed Blog" in site.file(relative), relative
    assert rebuild_status(site.mirror)["state"] == "done"


def test_the_worker_rebuild_lets_go_of_the_lock_between_pages_and_counts_them(site):
    for number in range(5):  # three index pages of two, a tag's three, the feeds, the archive
        site.make(f"Post {number}", tags="t")
    with site.app.test_request_context():
        save_settings({"site_title": "A Renamed Blog"})
    held = []

    def lock_is_held(done: int, total: int) -> None:
        # Another opening of the lock file, as a gunicorn worker's Publish would take it.
        with (site.mirror / ".mirror" / "lock").open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                held.append((done, total))
            else:
                fcntl.flock(handle, fcntl.LOCK_UN)

    listed, posted = [], []
    with site.app.app_context():
        Mirror(site.app, site.mirror).build_in_steps(
            lambda *counts: (posted.append(counts), lock_is_held(*counts)),
            lambda *counts: (listed.append(counts), lock_is_held(*counts)),
        )
    assert held == []  # a Publish meanwhile waits for one page, never for every listing
    assert posted[-1] == (5, 5)
    total = listed[-1][1]
    assert listed == [(n, total) for n in range(1, total + 1)]
    assert total >= 3 + 3 + 5  # index pages, the tag's pages and its feed, the site's pages
    assert b"A Renamed Blog" in site.file("index.page-3.html")
    run_queued(site.app)
    status = rebuild_status(site.mirror)
    assert status["listings_done"] == status["listings_total"] == total


def test_the_studio_counts_listing_pages_and_posts_while_the_worker_rebuilds(site):
    with site.app.test_request_context():
        running = {"state": "running", "listings_done": 12, "listings_total": 1012}
        shown = render_template(
            "partials/mirror_status.html", mirror=running | {"done": 0, "total": None}
        )
        assert "12 of 1012 listing pages and 0 of ? posts written" in " ".join(shown.split())
        running |= {"listings_done": 1012, "done": 40, "total": 10000}
        shown = render_template("partials/mirror_status.html", mirror=running)
        assert "1012 of 1012 listing pages and 40 of 10000 posts written" in " ".join(shown.split())


def test_a_rebuild_already_done_by_an_earlier_task_is_not_done_again(site):
    site.make("Any post")
    run_queued(site.app)
    with site.app.test_request_context():
        save_settings({"site_title": "Renamed once"})
        save_settings({"site_title": "Renamed twice"})
    huey = site.app.extensions["import_queue"].huey
    first = huey.dequeue()
    huey.execute(first)  # reads the latest settings: both saves are in what it writes
    assert b"Renamed twice" in site.file("index.html")
    (site.mirror / "index.html").unlink()
    huey.execute(huey.dequeue())  # the second save's task finds the work done
    assert site.file("index.html") is None
    assert rebuild_status(site.mirror)["state"] == "done"


def test_assets_of_public_posts_only_and_never_as_html(site):
    post_id = site.make("With files", status=None)
    with site.app.app_context():
        post = site.post(post_id)
        image = linked_asset(post, "chart.png", "image/png", PNG)
        # Stored as the code before the naming rule did: the mirror still writes `.bin`.
        page = Asset(post_id=post_id, name="x.html", mime_type="text/html", data=b"<script>")
        db.session.add(page)
        db.session.commit()
        content.save_turn(post.turns[0], f"[x](/assets/{page.token}/x.html)", None)
        assert not (site.mirror / "assets").exists()
        content.publish(post, confirmed=True, mark_reviewed=True)
        image_id, page_id = image.token, page.token
    assert site.file(f"assets/{image_id}/chart.png") == PNG
    assert site.file(f"assets/{page_id}/x.html.bin") == b"<script>"
    assert site.file(f"assets/{page_id}/x.html") is None
    with site.app.app_context():
        content.unpublish(site.post(post_id))
    assert not (site.mirror / "assets").exists()


def test_the_command_rebuilds_and_export_static_writes_the_same_files(site, tmp_path):
    site.make("Rebuilt", tags="again")
    run_queued(site.app)
    before = site.every_file()
    (site.mirror / "posts" / "stale" / "index.html").parent.mkdir(parents=True)
    (site.mirror / "posts" / "stale" / "index.html").write_text("stale")
    result = site.app.test_cli_runner().invoke(args=["mirror"])
    assert result.exit_code == 0, result.output
    assert "1 of 1 posts mirrored" in result.output
    assert site.every_file() == before
    exported = tmp_path / "export"
    result = site.app.test_cli_runner().invoke(args=["export", "--static", str(exported)])
    assert result.exit_code == 0, result.output
    for relative, body in before.items():
        if relative.startswith("redirects"):
            continue
        assert (exported / relative).read_bytes() == body, relative
    assert (exported / "static" / "style.css").is_file()
    # The proxy's own files never reach a static host: they name unlisted posts.
    assert not (exported / ".mirror").exists()
    assert not list(exported.glob("redirects*.map"))


def test_a_mirror_needs_the_public_address(tmp_path):
    with pytest.raises(RuntimeError, match="SITE_URL"):
        create_app(
            {
                "SECRET_KEY": "test-" + "k" * 40,
                "SQLALCHEMY_DATABASE_URI": database_url(tmp_path),
                "STATIC_MIRROR_DIR": str(tmp_path / "mirror"),
            }
        )


def test_a_large_image_is_mirrored_in_slices_and_left_alone_when_unchanged(site):
    post_id = site.make("Large image", status=None)
    data = PNG + bytes(range(256)) * (3 * ASSET_SLICE // 256)
    with site.app.app_context():
        image = linked_asset(site.post(post_id), "big.png", "image/png", data)
        content.publish(site.post(post_id), confirmed=True, mark_reviewed=True)
        image_id = image.token
    path = site.mirror / "assets" / str(image_id) / "big.png"
    assert path.read_bytes() == data
    before = path.stat().st_ino
    result = site.app.test_cli_runner().invoke(args=["mirror"])
    assert result.exit_code == 0, result.output
    assert path.stat().st_ino == before


def test_files_are_readable_by_the_proxy_under_the_services_umask(site):
    previous = os.umask(0o077)
    try:
        post_id = site.make("Readable")
    finally:
        os.umask(previous)
    with site.app.app_context():
        page = site.mirror / "posts" / site.post(post_id).slug / "index.html"
    assert stat.S_IMODE(page.stat().st_mode) == 0o644
    assert stat.S_IMODE(page.parent.stat().st_mode) == 0o755
    assert stat.S_IMODE(site.mirror.stat().st_mode) == 0o755


def test_the_mirror_works_with_only_the_public_host_trusted(tmp_path):
    """Production sets no SERVER_NAME and trusts only the site's host, not `localhost`."""
    settings = app_settings(
        tmp_path,
        STATIC_MIRROR_DIR=str(tmp_path / "mirror"),
        SITE_URL="https://blog.example.org",
        TRUSTED_HOSTS="blog.example.org",
    )
    del settings["SERVER_NAME"]
    app = create_app(settings)
    with app.app_context():
        upgrade()
        post = content.create_post(None, "Trusted host")
        content.add_turn(post, "user", source="A question?")
        content.add_turn(post, "assistant", source="An answer.")
        content.publish(post, confirmed=True, mark_reviewed=True)
        slug = post.slug
    assert (tmp_path / "mirror" / "posts" / slug / "index.html").is_file()
    result = app.test_cli_runner().invoke(args=["mirror"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_rebuild_cut_short_leaves_pages_missing_never_in_the_old_wording(site):
    from blog.mirror import build

    ids = [
        site.make(f"Post {n}", tags="t", status=None if n == 0 else "published") for n in range(3)
    ]
    with site.app.app_context():
        post = site.post(ids[0])
        linked_asset(post, "chart.png", "image/png", PNG)
        content.publish(post, confirmed=True, mark_reviewed=True)
    assert any(name.startswith("assets/") for name in site.every_file())
    # The settings saved, the mirror not yet rebuilt: every page holds the old title.
    site.app.config["STATIC_MIRROR_DIR"] = ""
    with site.app.test_request_context():
        save_settings({"site_title": "A Renamed Blog"})
    site.app.config["STATIC_MIRROR_DIR"] = str(site.mirror)
    assert b"A Renamed Blog" not in site.file("index.html")
    with site.app.app_context():
        db.session.remove()
    stop = RuntimeError("the request's time ran out")

    def cut_short(done: int, total: int) -> None:
        raise stop

    with pytest.raises(RuntimeError):
        build(site.app, site.mirror, cut_short, stale=True)

    pages = {
        name: body
        for name, body in site.every_file().items()
        if not name.startswith("assets/") and name != "redirects.map"
    }
    assert pages, "the listings and the first post were written before the cut"
    old_wording = [
        name
        for name, body in pages.items()
        if name.endswith((".html", ".html.gz", ".xml", ".xml.gz"))
        and not name.startswith("sitemap")  # the one page that names no title
        and b"A Renamed Blog" not in (gzip.decompress(body) if name.endswith(".gz") else body)
    ]
    assert old_wording == []
    # Images are no page: they stay, whatever the settings.
    assert any(name.startswith("assets/") for name in site.every_file())
    with site.app.app_context():
        missing = [
            site.post(i).slug
            for i in ids
            if not (site.mirror / "posts" / site.post(i).slug).exists()
        ]
    assert len(missing) == 2  # asked of the app by the proxy until the next build


def test_a_staged_edits_file_reaches_the_mirror_only_at_update(site):
    post_id = site.make("Public already")
    with site.app.app_context():
        post = site.post(post_id)
        image = linked_asset(post, "chart.png", "image/png", PNG)
        token, asset_id = image.token, image.id
        content.update_post(post, {"title": "Public already, retitled"}, None)
    # The edit is saved and the mirror refreshed, but readers still see the last Update.
    assert not [name for name in site.every_file() if name.startswith("assets/")]
    with site.app.app_context():
        content.publish(site.post(post_id), confirmed=True, mark_reviewed=True)
    assets = [name for name in site.every_file() if name.startswith("assets/")]
    assert assets == [f"assets/{token}/chart.png"]
    assert not (site.mirror / "assets" / str(asset_id)).exists()


def test_the_studio_says_how_far_the_rebuild_has_come(site):
    site.make("Any post")
    author = Author(site.client)
    assert author.login().status_code == 302
    saved = author.post("/studio/settings", {"site_title": "A Renamed Blog"})
    assert saved.status_code == 303
    page = author.get("/studio/settings").get_data(as_text=True)
    assert "rebuilding the pages of 1 post in the worker" in page  # the flash
    assert "Static mirror: rebuilding" in page and "waiting for the worker" in page
    fragment = author.get("/studio/settings/mirror", headers={"HX-Request": "true"}).text
    assert 'hx-trigger="every 2s"' in fragment
    run_queued(site.app)
    fragment = author.get("/studio/settings/mirror", headers={"HX-Request": "true"}).text
    assert "Static mirror: up to date." in fragment and "hx-trigger" not in fragment
