"""A static mirror of the public site: every public page as a file, kept current.

With `STATIC_MIRROR_DIR` set, each commit that changed something readers see (recorded by
the services in `blog/changes.py`) rewrites the pages it touches before the request
returns: the post's own page, source files and images; and, when the post is or was listed,
the feeds, its series, the pages that link to it as a neighbour, and of each listing (the
index, its tags) the page that holds it when it stayed in place (a new title, an edited
turn), or the first page when it came, went or moved. The listing pages after that one,
which a new post shifts (a 10,000-post site has a thousand index pages), and the archive and
sitemap, which list every post, are removed and written again by the worker
(`refresh_pending`). A change of the settings or the renderer removes every page at once
and queues their rebuild in the worker (`rebuild_queued`): a request never renders more
than one post's pages and a listing's page or two. The proxy in front (deploy/nginx.conf)
serves these files to anonymous readers and sends everything missing to the app.

Decisions worth knowing:
- Pages are rendered by the app itself, as an anonymous reader at `SITE_URL`, through the
  same views and middleware as a live request: a mirrored page is byte for byte what the
  app would answer. Anything but a plain 200 is removed instead of written.
- Where a post used to appear (its old slug, tags, series, files) is read from the record
  the mirror kept when it last wrote the post (`.mirror/posts/<id>.json`), so unpublishing,
  deleting and renaming remove exactly what was there, even when the database has forgotten.
- `export --static DIR` is a full build into DIR plus the static files.
- The worker's rebuild takes the lock one listing page, then one post, at a time, so a
  Publish meanwhile waits for one page or one post's pages, not the whole site's; what it
  has done is in `.mirror/rebuild.json`, for the studio to show.
- Whether a post stayed in place is its record against its placement now (slug, listed,
  published time, tags, series): the same, no other post moved for it, so of each listing
  only the page that holds it changed. Pages set aside for the worker are listed in
  `.mirror/pending.json` until it takes them; a task that fails leaves them to the app
  until the next change or `flask --app app mirror`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import secrets
import shutil
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path

import click
from flask import Flask, current_app, has_app_context, url_for
from flask.cli import with_appcontext
from sqlalchemy import and_, event, func, or_, select
from sqlalchemy.orm import Session

from . import changes, sitemap
from . import posts as content
from .assets import HEAD_BYTES, asset_chunks, asset_file_name
from .extensions import db
from .mirror_files import (
    GZIP_TWIN,
    RECORDS,
    UnsafePath,
    files_under,
    locked,
    remove,
    target,
    write_atomically,
    write_page,
)
from .models import Asset, Post, Series, SlugRedirect, Tag, utcnow
from .posts.queries import REACHABLE
from .vocabulary import Status
from .wording import counted

MANIFESTS = f"{RECORDS}/posts"
REDIRECTS = "redirects.map"
SITE_PAGES = ("public.archive", "public.license_page", "public.rss", "public.atom")
SITE_PAGES += ("public.sitemap", "public.robots")
# Folders and files below the mirror's root that the mirror owns (a full build sweeps them).
OWNED_FOLDERS = ("posts", "tags", "series", "archive", "assets", "license")
OWNED_FILES = ("feed.xml", "atom.xml", "sitemap.xml", "robots.txt")
SITEMAP_PARTS = "sitemap-*.xml"

Progress = Callable[[int, int], None]
REBUILD_STATUS = f"{RECORDS}/rebuild.json"
PENDING = f"{RECORDS}/pending.json"  # pages set aside by requests, for the worker to write
SET_ASIDE = f"{RECORDS}/set-aside"  # page folders taken off the site, for the worker to delete
DELETING = f"{RECORDS}/deleting-"  # the set-aside folders the worker is deleting
log = logging.getLogger(__name__)


class MirrorError(RuntimeError):
    """The mirror cannot be built as configured."""


def init_app(app: Flask) -> None:
    """Refresh the mirror after every commit that changed public content; add the command."""
    if app.config.get("STATIC_MIRROR_DIR") and not app.config.get("SITE_URL"):
        raise RuntimeError(
            "STATIC_MIRROR_DIR needs SITE_URL (the address readers use, e.g. "
            "https://blog.example.org): mirrored pages carry absolute links to it."
        )
    if not event.contains(Session, "after_commit", after_commit):
        event.listen(Session, "after_commit", after_commit)
        event.listen(Session, "after_soft_rollback", forget_changes)
    app.cli.add_command(mirror_command)


def after_commit(session: Session) -> None:
    found = changes.take(session)
    if found is None or not has_app_context():
        return
    app = current_app._get_current_object()
    if app.config.get("STATIC_MIRROR_DIR"):
        refresh(app, Path(app.config["STATIC_MIRROR_DIR"]), found)


def forget_changes(session: Session, _previous) -> None:
    changes.take(session)


def refresh(app: Flask, root: Path, found: changes.Changes) -> None:
    """Bring the mirror up to date with one committed transaction."""
    if found.everything:
        schedule_rebuild(app, root)
        return
    with locked(root):
        mirror = Mirror(app, root)
        touched = [mirror.refresh_post(post_id) for post_id in sorted(found.posts)]
        if any(touched):
            mirror.write_redirects()


def build(app: Flask, root: Path, progress: Progress | None = None, *, stale: bool = False) -> int:
    """Write every public page and image into `root`, removing what is no longer public.

    `stale`: every page changed (the settings, the renderer), so each is removed before any
    is rewritten. A rebuild cut short (a request's time limit) then leaves pages missing,
    which the proxy asks the app for, never pages with the old wording.
    """
    with locked(root):
        mirror = Mirror(app, root)
        return mirror.build(progress, stale=stale)


def schedule_rebuild(app: Flask, root: Path) -> int:
    """Take every page off the site now and queue their rebuild in the worker; how many
    posts' pages were mirrored.

    Until the worker writes a page again, the proxy asks the app for it, so no reader gets a
    page in the old wording. The request renders nothing and removes no file one by one: the
    page folders are moved aside whole (one rename each) and the worker deletes them.
    """
    with locked(root):
        posts = sum(1 for _ in (root / MANIFESTS).glob("*.json"))
        Mirror(app, root).set_pages_aside()
        status = rebuild_status(root) or {}
        requested = int(status.get("requested", 0)) + 1
        write_status(
            root,
            status
            | {
                "requested": requested,
                "state": "queued",
                "posts": posts,
                "done": 0,
                "total": None,
                "requested_at": utcnow().isoformat(),
            },
        )
    try:
        app.extensions["import_queue"].rebuild_mirror()
    except Exception:  # noqa: BLE001 - the pages are gone; the app serves them meanwhile
        log.exception("Could not queue the static mirror's rebuild")
        with locked(root):
            write_status(root, (rebuild_status(root) or {}) | {"state": "not queued"})
    return posts


def rebuild_queued(app: Flask, root: Path) -> None:
    """The worker's rebuild after a change every page shows, unless a later one did it."""
    with locked(root):
        status = rebuild_status(root) or {}
        requested = int(status.get("requested", 0))
        if int(status.get("built", 0)) >= requested:
            return
        write_status(
            root,
            status | {"state": "running", "done": 0, "listings_done": 0, "listings_total": None},
        )

    def counter(done_key: str, total_key: str) -> Progress:
        def count(done: int, total: int) -> None:
            if done % 10 == 0 or done == total:
                with locked(root):
                    found = rebuild_status(root) or {}
                    write_status(root, found | {done_key: done, total_key: total})

        return count

    try:
        Mirror(app, root).build_in_steps(
            counter("done", "total"), counter("listings_done", "listings_total")
        )
    except MirrorError as exc:
        with locked(root):
            write_status(root, (rebuild_status(root) or {}) | {"state": f"failed: {exc}"})
        raise
    with locked(root):
        status = rebuild_status(root) or {}
        # A settings save during the build queued another rebuild: it runs next.
        done = int(status.get("requested", 0)) <= requested
        write_status(root, status | {"built": requested, "state": "done" if done else "queued"})
        # The old pages are deleted last, so readers get the new ones meanwhile (deleting a
        # large site's takes a minute); out of the way first, under the lock, so a settings
        # save setting more aside meanwhile never finds its folder half gone.
        with contextlib.suppress(FileNotFoundError):
            (root / SET_ASIDE).rename(root / f"{DELETING}{secrets.token_hex(8)}")
    for old_pages in root.glob(f"{DELETING}*"):
        shutil.rmtree(old_pages, ignore_errors=True)


def refresh_pending(app: Flask, root: Path) -> int:
    """The worker writes the pages requests set aside, one page under the lock at a time;
    how many it wrote."""
    with locked(root):
        try:
            paths = json.loads((root / PENDING).read_text())
        except (OSError, ValueError):
            return 0  # an earlier task wrote them
        (root / PENDING).unlink()
    mirror = Mirror(app, root)
    written = 0
    for path in paths:
        with locked(root):
            written += mirror.page(path) is not None
    return written


def rebuild_status(root: Path) -> dict | None:
    """What the last queued rebuild did: state, pages removed, posts done of total."""
    try:
        return json.loads((root / REBUILD_STATUS).read_text())
    except (OSError, ValueError):
        return None


def mirror_rebuild() -> dict | None:
    """The configured mirror's last queued rebuild, for the studio (None without a mirror)."""
    root = current_app.config.get("STATIC_MIRROR_DIR")
    return (rebuild_status(Path(root)) or {"state": "done"}) if root else None


def write_status(root: Path, status: dict) -> None:
    write_atomically(root, REBUILD_STATUS, json.dumps(status, sort_keys=True).encode())


class Mirror:
    """Renders pages through the app and writes or removes their files under the lock."""

    def __init__(self, app: Flask, root: Path) -> None:
        self.app = app
        self.root = root
        self.base_url = app.config.get("SITE_URL") or "http://localhost"
        self.client = app.test_client(use_cookies=False)

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """A fresh application context (its own session) with `url_for` working."""
        # A request context alone would reuse the caller's application context, and with
        # it the session whose commit is being handled, which can emit no more SQL. It is at
        # the site's own address: the trusted hosts need not include `localhost`.
        with self.app.app_context(), self.app.test_request_context(base_url=self.base_url):
            yield

    def render(self, path: str) -> bytes | None:
        """The page an anonymous reader gets at `path`, or None unless it is a plain 200."""
        # A fresh application context per page: its own session and `g`, never the caller's.
        with self.app.app_context():
            response = self.client.get(path, base_url=self.base_url)
        # A page marked no-store (a private preview link) is never written where nginx serves it.
        private = "no-store" in response.cache_control
        if response.status_code != 200 or "Set-Cookie" in response.headers or private:
            return None
        return response.get_data()

    def page(self, path: str) -> str | None:
        """Write the page at `path`, or remove its file when it is not public; its file."""
        try:
            relative = target(path)
        except UnsafePath:
            return None
        body = self.render(path)
        if body is None:
            remove(self.root, relative)
            return None
        write_page(self.root, relative, body)
        return relative

    def pages(self, paths: Iterable[str]) -> set[str]:
        return {relative for path in paths if (relative := self.page(path))}

    def refresh_post(self, post_id: int) -> bool:
        """Rewrite one post's files and every page that shows it; False for a mere draft."""
        old = self.read_manifest(post_id)
        with self.reading():
            post = db.session.get(Post, post_id)
            if post is None or not post.is_reachable:
                post = None
            if old is None and post is None:
                return False  # a draft that was never public: none of it is in the mirror
            new = placement(post) if post else None
            own = post_paths(post) if post else []
            images = asset_files(post) if post else {}
            listings: list[str] = []
            around: list[str] = []
            later: list[str] = []
            if (old and old["listed"]) or (new and new["listed"]):
                tags = set(old["tags"] if old else []) | set(new["tags"] if new else [])
                series = {p["series"] for p in (old, new) if p and p["series"]}
                published = (new or old)["published_at"]
                listings = listing_paths(tags)
                stayed = old == {**new, "files": old["files"]} if old and new else False
                if stayed:  # the listings hold the post where they did: only those pages
                    now = set(pages_showing(post, tags))
                    later = [url_for("public.archive"), *sitemap.paths()]
                else:  # every listing page after the post's shifted by one
                    now = set(first_pages(tags))
                    later = [path for path in listings if path not in now]
                around = [path for path in listings if path in now]
                around += related_paths(post_id, published, series)
        old_files = set(old["files"] if old else [])
        if post is None:
            for relative in sorted(old_files):  # off the site before anything else is written
                remove(self.root, relative)
        files = sorted(self.pages(own) | self.write_assets(images))
        for relative in sorted(old_files - set(files)):
            remove(self.root, relative)
        written = self.pages(around)
        self.sweep_pagination(listings)
        self.sweep_sitemap_parts(written, listings)
        self.set_aside_for_worker(later)
        if new is None:
            remove(self.root, f"{MANIFESTS}/{post_id}.json")
        else:
            self.write_manifest(post_id, {**new, "files": files})
        return True

    def set_aside_for_worker(self, paths: list[str]) -> None:
        """Remove these pages now and have the worker write them again: the listing pages
        past the first (a 10,000-post site has a thousand index pages), the archive and the
        sitemap, which a request should not wait for. The proxy asks the app for them
        meanwhile. Pages set aside by several changes are written once (`refresh_pending`)."""
        if not paths:
            return
        pending = self.root / PENDING
        try:
            waiting = set(json.loads(pending.read_text()))
        except (OSError, ValueError):
            waiting = set()
        write_atomically(self.root, PENDING, json.dumps(sorted(waiting | set(paths))).encode())
        for path in paths:
            with contextlib.suppress(UnsafePath):
                remove(self.root, target(path))
        queue = self.app.extensions.get("import_queue")
        try:
            queue.refresh_mirror_pages()
        except Exception:  # noqa: BLE001 - the pages are gone; the app serves them meanwhile
            log.exception("Could not queue the static mirror's listing pages")

    def write_assets(self, images: dict[str, Iterator[bytes]]) -> set[str]:
        for relative, data in images.items():
            write_atomically(self.root, relative, data)
        return set(images)

    def sweep_pagination(self, paths: Iterable[str]) -> None:
        """Remove `index.page-N.html` files of listings that no longer have page N."""
        kept: dict[str, set[str]] = {}
        for path in paths:
            relative = target(path)
            folder, _, name = relative.rpartition("/")
            if name.startswith("index"):
                kept.setdefault(folder, set()).add(relative)
        for folder, names in kept.items():
            base = self.root / folder if folder else self.root
            for found in base.glob("index.page-*.html*"):
                relative = found.relative_to(self.root).as_posix().removesuffix(GZIP_TWIN)
                if relative not in names:
                    remove(self.root, relative)

    def sweep_sitemap_parts(self, written: set[str], paths: Iterable[str]) -> None:
        """Remove `sitemap-N.xml` files the sitemap no longer names (the site shrank)."""
        if "/sitemap.xml" not in paths:
            return
        for found in self.root.glob(SITEMAP_PARTS):
            if found.name not in written:
                remove(self.root, found.name)

    def build(self, progress: Progress | None, *, stale: bool = False) -> int:
        if self.render("/") is None:
            raise MirrorError(
                f"The home page did not render for {self.base_url}: check SITE_URL "
                "(and TRUSTED_HOSTS, which must include its host)."
            )
        with self.reading():
            reachable = list(db.session.scalars(select(Post).where(Post.status.in_(REACHABLE))))
            listed_tags = db.session.scalars(
                select(Tag.slug).where(Tag.id.in_(content.published_tag_ids()))
            )
            paths = listing_paths(set(listed_tags)) + [url_for(e) for e in SITE_PAGES]
            paths += series_paths(set(db.session.scalars(select(Series.slug))))
            own = {post.id: post_paths(post) for post in reachable}
            images = {post.id: asset_files(post) for post in reachable}
            places = {post.id: placement(post) for post in reachable}
        if stale:
            self.remove_pages()
        written = self.pages(paths)
        for done, (post_id, post_own) in enumerate(own.items(), start=1):
            files = self.pages(post_own) | self.write_assets(images[post_id])
            self.write_manifest(post_id, {**places[post_id], "files": sorted(files)})
            written |= files
            if progress:
                progress(done, len(own))
        self.sweep(written, set(own))
        self.write_redirects()
        return len(written)

    def remove_pages(self) -> int:
        """Remove every page (images stay: no setting changes them); how many there were."""
        removed = 0
        for relative in self.owned_files():
            if not relative.startswith("assets/"):
                removed += remove(self.root, relative)
        return removed

    def set_pages_aside(self) -> None:
        """Take every page off the site at once: each page folder is renamed into the
        mirror's records (images stay: no setting changes them), the few pages at the top
        are removed."""
        aside = self.root / SET_ASIDE / secrets.token_hex(8)
        aside.mkdir(parents=True)
        for folder in OWNED_FOLDERS:
            if folder != "assets" and (self.root / folder).is_dir():
                (self.root / folder).rename(aside / folder)
        top = [p.name.removesuffix(GZIP_TWIN) for p in self.root.glob("index*.html*")]
        for relative in set(top) | set(OWNED_FILES):
            remove(self.root, relative)

    def build_in_steps(
        self, progress: Progress | None = None, listings: Progress | None = None
    ) -> int:
        """Write every public page, taking the lock for each listing page, then for each post,
        in turn: a change committed meanwhile waits for one page or one post's pages (a
        10,000-post site has a thousand index pages), and its own refresh (after this step's)
        leaves its pages current. The pages were removed when it was queued. `listings` and
        `progress` are told how many listing pages, then posts, are written."""
        if self.render("/") is None:
            raise MirrorError(
                f"The home page did not render for {self.base_url}: check SITE_URL "
                "(and TRUSTED_HOSTS, which must include its host)."
            )
        with self.reading():
            ids = list(db.session.scalars(select(Post.id).where(Post.status.in_(REACHABLE))))
            listed_tags = db.session.scalars(
                select(Tag.slug).where(Tag.id.in_(content.published_tag_ids()))
            )
            paths = listing_paths(set(listed_tags)) + [url_for(e) for e in SITE_PAGES]
            paths += series_paths(set(db.session.scalars(select(Series.slug))))
        paths = list(dict.fromkeys(paths))  # the feeds are in both lists
        written = 0
        for done, path in enumerate(paths, start=1):
            with locked(self.root):
                written += self.page(path) is not None
            if listings:
                listings(done, len(paths))
        for done, post_id in enumerate(ids, start=1):
            with locked(self.root):
                with self.reading():
                    post = db.session.get(Post, post_id)
                    if post is None or not post.is_reachable:
                        continue  # gone meanwhile: its own refresh removed it
                    own, images, place = post_paths(post), asset_files(post), placement(post)
                files = self.pages(own) | self.write_assets(images)
                self.write_manifest(post_id, {**place, "files": sorted(files)})
                written += len(files)
            if progress:
                progress(done, len(ids))
        with locked(self.root):
            self.write_redirects()
        return written

    def owned_files(self) -> set[str]:
        owned = [f for folder in OWNED_FOLDERS for f in files_under(self.root, folder)]
        owned += OWNED_FILES  # removing one that is not there is no error
        owned += [p.name.removesuffix(GZIP_TWIN) for p in self.root.glob("index*.html*")]
        owned += [p.name.removesuffix(GZIP_TWIN) for p in self.root.glob(SITEMAP_PARTS + "*")]
        return set(owned)

    def sweep(self, written: set[str], post_ids: set[int]) -> None:
        """Remove every owned file the build did not write, and records of gone posts."""
        for relative in self.owned_files():
            if relative not in written:
                remove(self.root, relative)
        for record in (self.root / MANIFESTS).glob("*.json"):
            if not record.stem.isdigit() or int(record.stem) not in post_ids:
                record.unlink()

    def read_manifest(self, post_id: int) -> dict | None:
        try:
            return json.loads((self.root / MANIFESTS / f"{post_id}.json").read_text())
        except (OSError, ValueError):
            return None

    def write_manifest(self, post_id: int, record: dict) -> None:
        data = json.dumps(record, sort_keys=True).encode()
        write_atomically(self.root, f"{MANIFESTS}/{post_id}.json", data)

    def write_redirects(self) -> None:
        """The nginx `map` of old post addresses to new ones (`include`d by the config)."""
        with self.reading():
            rows = db.session.execute(
                select(SlugRedirect.old_slug, Post.slug)
                .join(Post, Post.id == SlugRedirect.post_id)
                .where(Post.status.in_(REACHABLE))
                .order_by(SlugRedirect.old_slug)
            )
            lines = [
                f'"{url_for("public.post", slug=old)}" "{url_for("public.post", slug=new)}";\n'
                for old, new in rows
                if plain_slug(old) and plain_slug(new)
            ]
        write_atomically(self.root, REDIRECTS, "".join(lines).encode())


def plain_slug(slug: str) -> bool:
    """Slugs safe to quote in an nginx file as they are."""
    return bool(slug) and all(c.isascii() and (c.isalnum() or c in "-_") for c in slug)


def placement(post: Post) -> dict:
    """Where a reachable post appears, recorded to undo it later."""
    return {
        "slug": post.slug,
        "listed": post.status == Status.PUBLISHED,
        "published_at": post.published_at.isoformat() if post.published_at else None,
        "tags": sorted(tag.slug for tag in post.tags),
        "series": post.series.slug if post.series else None,
    }


def post_paths(post: Post) -> list[str]:
    endpoints = ("public.post", "public.post_markdown", "public.post_json")
    return [url_for(endpoint, slug=post.slug) for endpoint in endpoints]


def asset_files(post: Post) -> dict[str, Iterator[bytes]]:
    """The files the post's published revision shows, under their unguessable addresses and
    mirrored names (real images only keep theirs), each as chunks read when written: the
    blobs are never all in memory, nor any one whole. A file only a staged edit shows is
    not public, so it is not written."""
    found: dict[str, Iterator[bytes]] = {}
    rows = db.session.execute(
        select(
            Asset.id,
            Asset.token,
            Asset.name,
            func.substr(Asset.data, 1, HEAD_BYTES),
            func.length(Asset.data),
        ).where(Asset.post_id == post.id, Asset.published)
    )
    for asset_id, token, name, head, size in rows:
        try:
            relative = target(f"/assets/{token}/{asset_file_name(name, bytes(head or b''))}")
        except UnsafePath:
            continue  # the app still serves it; the mirror only skips what it cannot name
        found[relative] = asset_chunks(asset_id, size or 0)
    return found


def paginated(first: str, count: int) -> list[str]:
    """A listing's first page and its `?page=N` pages for `count` posts."""
    pages = max(1, math.ceil(count / int(current_app.config["POSTS_PER_PAGE"])))
    return [first] + [f"{first}?page={n}" for n in range(2, pages + 1)]


def listed_count(*conditions) -> int:
    query = select(func.count(Post.id)).where(Post.status == Status.PUBLISHED, *conditions)
    return db.session.scalar(query) or 0


def first_pages(tags: set[str]) -> list[str]:
    """What a request writes when a post came, went or moved in the listings: the first
    page of each and the feeds; the pages after those shift, and the worker writes them."""
    paths = [url_for(e) for e in ("public.index", "public.rss", "public.atom")]
    for slug in sorted(tags):
        paths += [url_for("public.tag", slug=slug), url_for("public.tag_rss", slug=slug)]
    return paths


def pages_showing(post: Post, tags: set[str]) -> list[str]:
    """What a request writes when a listed post stayed where it was (a new title, a turn
    edited): the one page of each listing that holds it, and the feeds."""
    paths = first_pages(tags)
    newer = or_(
        Post.published_at > post.published_at,
        and_(Post.published_at == post.published_at, Post.id > post.id),
    )
    per_page = int(current_app.config["POSTS_PER_PAGE"])
    page = listed_count(newer) // per_page + 1
    if page > 1:
        paths.append(f"{url_for('public.index')}?page={page}")
    for slug in sorted(tags):
        page = listed_count(newer, Post.tags.any(Tag.slug == slug)) // per_page + 1
        if page > 1:
            paths.append(f"{url_for('public.tag', slug=slug)}?page={page}")
    return paths


def listing_paths(tags: set[str]) -> list[str]:
    """The index pages, archive, feeds, sitemap, and the pages and feeds of these tags."""
    paths = paginated(url_for("public.index"), listed_count())
    paths += [url_for(e) for e in ("public.archive", "public.rss", "public.atom")]
    paths += sitemap.paths()
    for slug in sorted(tags):
        count = listed_count(Post.tags.any(Tag.slug == slug))
        paths += paginated(url_for("public.tag", slug=slug), count)
        paths.append(url_for("public.tag_rss", slug=slug))
    return paths


def series_paths(slugs: set[str]) -> list[str]:
    return [url_for("public.series", slug=slug) for slug in sorted(slugs)]


def related_paths(post_id: int, published_at: str | None, series: set[str]) -> list[str]:
    """Pages that link to the post by title: its neighbours and the rest of its series."""
    slugs: set[str] = set()
    if published_at:
        moment = datetime.fromisoformat(published_at)
        listed = select(Post.slug).where(Post.status == Status.PUBLISHED, Post.id != post_id)
        older = listed.where(Post.published_at <= moment).order_by(Post.published_at.desc())
        newer = listed.where(Post.published_at >= moment).order_by(Post.published_at.asc())
        slugs.update(db.session.scalars(older.limit(2)))
        slugs.update(db.session.scalars(newer.limit(2)))
    for found in db.session.scalars(select(Series).where(Series.slug.in_(series))):
        slugs.update(p.slug for p in content.series_posts(found) if p.id != post_id)
    return series_paths(series) + [url_for("public.post", slug=slug) for slug in sorted(slugs)]


@click.command("mirror")
@with_appcontext
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Build into this folder (default: STATIC_MIRROR_DIR).",
)
def mirror_command(directory: Path | None) -> None:
    """Rebuild the whole static mirror of the public site."""
    app = current_app._get_current_object()
    configured = app.config.get("STATIC_MIRROR_DIR")
    directory = directory or (Path(configured) if configured else None)
    if directory is None:
        raise click.ClickException("Set STATIC_MIRROR_DIR, or name the folder with --dir DIR.")
    try:
        count = build(app, directory, progress=echo_progress)
    except MirrorError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Mirrored {counted(count, 'file')} into {directory}")


def echo_progress(done: int, total: int) -> None:
    """A console line every 25 posts, and at the last one."""
    if done % 25 == 0 or done == total:
        click.echo(f"  {done} of {total} posts mirrored")


def export_site(app: Flask, directory: Path) -> int:
    """The public site as static files: a full mirror build plus the stylesheets and scripts."""
    count = build(app, directory)
    # The mirror's own records and nginx's redirect map are for the proxy, not for readers: a
    # static host would serve them, and they name unlisted posts.
    shutil.rmtree(directory / RECORDS, ignore_errors=True)
    (directory / REDIRECTS).unlink(missing_ok=True)
    shutil.copytree(app.static_folder, directory / "static", dirs_exist_ok=True)
    return count
