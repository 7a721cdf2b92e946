"""Screenshots of a published sample post, the index, the dashboard and the editor, and of a post
with replies from the fediverse and the studio's replies page, for checking the design by eye.

Run `make screenshots` (or `.venv/bin/python scripts/screenshots.py`); PNGs go to screenshots/.
"""

from __future__ import annotations

import logging
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.browser import (  # noqa: E402
    CHROMIUM,
    LONG_CONVERSATION,
    OWNER,
    OWNER_PASSWORD,
    LiveServer,
    build_app,
    dispose,
    import_draft,
    launch_chromium,
    publish_post,
)

OUTPUT = ROOT / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def shoot(browser, server: LiveServer, path: str, name: str, viewport: dict, scheme: str) -> Path:
    """Save a full-page screenshot of one page at one size and colour scheme."""
    context = browser.new_context(base_url=server.base_url, viewport=viewport, color_scheme=scheme)
    try:
        page = context.new_page()
        page.goto(path, wait_until="networkidle")
        target = OUTPUT / f"{name}.png"
        page.screenshot(path=str(target), full_page=True)
        return target
    finally:
        context.close()


def shoot_studio(browser, server: LiveServer, post_id: int) -> list[Path]:
    """Sign in through the form and save the dashboard and the sample post's editor, on a
    phone (a touch screen) and at a desk."""
    saved = []
    for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        touch = size == "phone"
        context = browser.new_context(
            base_url=server.base_url,
            viewport=viewport,
            color_scheme="light",
            has_touch=touch,
            is_mobile=touch,
        )
        try:
            page = context.new_page()
            page.goto("/login")
            page.fill("#username", OWNER)
            page.fill("#password", OWNER_PASSWORD)
            page.click("form button[type=submit].button--primary")
            page.wait_for_url("**/studio/")
            for name, path in (("dashboard", "/studio/"), ("editor", f"/studio/posts/{post_id}")):
                page.goto(path, wait_until="networkidle")
                target = OUTPUT / f"{name}-{size}-light.png"
                # A full-page capture resizes the viewport, which drops the touch emulation
                # the shortcut help hides under: the phone is captured a screen at a time.
                page.screenshot(path=str(target), full_page=not touch)
                saved.append(target)
        finally:
            context.close()
    return saved


FEDIVERSE_POST = b"""# Why is the sky blue?

## User

Why is the sky blue, and why are sunsets red?

## ChatGPT

Sunlight is scattered by the molecules of the air, and blue light far more than red
(Rayleigh scattering). At sunset the light crosses much more air, so most of the blue is
scattered away before it reaches you, and the reds and oranges are left.
"""
# Replies as Mastodon and GoToSocial send them: a mention link, a long address, paragraphs.
FEDIVERSE_REPLIES = [
    (
        "https://mastodon.example/users/ada",
        "Ada Lovelace-Byron, Countess of Computation and Wandering Footnotes",
        '<p><span class="h-card"><a href="http://127.0.0.1/fediverse/actor" class="u-url '
        'mention">@<span>blog</span></a></span> Lovely summary. The reference I keep going back '
        'to is <a href="https://en.wikipedia.org/wiki/Rayleigh_scattering#Cause_of_the_blue_color'
        '_of_the_sky_and_the_reddening_of_sunsets">https://en.wikipedia.org/wiki/Rayleigh_scatter'
        "ing#Cause_of_the_blue_color_of_the_sky_and_the_reddening_of_sunsets</a></p>",
        True,
    ),
    (
        "https://gts.example/users/grace",
        "grace",
        "<p>Nice that it says the model got the sunset part right on the first try.</p>"
        "<p>Did you ask it about why the sky is not violet? That one is a classic follow-up: "
        "our eyes are less sensitive to violet, and some of it is absorbed high up.</p>",
        True,
    ),
    (
        "https://spam.example/users/buy-now",
        "Totally real offers",
        "<p>Cheap sunsets, limited time!!! Visit "
        "https://spam.example/offers/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</p>",
        False,
    ),
]


def add_fediverse_replies(app, post_id: int) -> None:
    """Replies as the inbox keeps them (cleaned by the same allowlist); approve the wanted ones
    through the studio's own path."""
    from blog.extensions import db
    from blog.federation import replies
    from blog.federation.inbox import comment_html
    from blog.federation.models import Reaction, RemoteComment

    with app.app_context():
        for n, (actor, name, html, wanted) in enumerate(FEDIVERSE_REPLIES):
            reply = RemoteComment(
                post_id=post_id,
                object_uri=f"{actor}/statuses/{n}",
                actor_uri=actor,
                actor_name=name,
                url=f"{actor}/statuses/{n}",
                content_html=comment_html({"content": html}),
            )
            db.session.add(reply)
            db.session.add(Reaction(post_id=post_id, kind="like", actor_uri=actor))
            db.session.commit()
            if wanted:
                replies.approve(reply)


def shoot_fediverse(browser, folder: Path) -> list[Path]:
    """A post with approved replies at both widths, and the studio's replies page on a phone."""
    app = build_app(
        f"sqlite:///{folder / 'fediverse.sqlite3'}",
        folder / "fediverse-queue.sqlite3",
        FEDERATION_ENABLED=True,
        SITE_URL="http://127.0.0.1",
    )
    post_id = import_draft(app, FEDIVERSE_POST, "sky.md")
    slug = publish_post(app, post_id)
    add_fediverse_replies(app, post_id)
    server = LiveServer(app).start()
    try:
        saved = [
            shoot(
                browser,
                server,
                f"/posts/{slug}",
                f"fediverse-thread-{size}-light",
                viewport,
                "light",
            )
            for size, viewport in (("phone", PHONE), ("desktop", DESKTOP))
        ]
        # At a desk first: on the phone the waiting reply's server is then blocked through the
        # form, which rejects the reply.
        for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            context = signed_in(browser, server, viewport, touch=size == "phone")
            try:
                page = context.new_page()
                page.goto("/studio/fediverse/replies", wait_until="networkidle")
                page.locator("details.turn-menu").first.locator("summary").click()
                target = OUTPUT / f"fediverse-replies-{size}-light.png"
                page.screenshot(path=str(target), full_page=True)
                saved.append(target)
                if size == "phone":
                    page.click("text=Block the server spam.example")
                    page.goto("/studio/fediverse/blocks", wait_until="networkidle")
                    target = OUTPUT / "fediverse-blocks-phone-light.png"
                    page.screenshot(path=str(target), full_page=True)
                    saved.append(target)
            finally:
                context.close()
        return saved
    finally:
        server.stop()
        dispose(app)


def signed_in(browser, server: LiveServer, viewport: dict, *, touch: bool):
    """A browser context signed in as the owner through the form."""
    context = browser.new_context(
        base_url=server.base_url,
        viewport=viewport,
        color_scheme="light",
        has_touch=touch,
        is_mobile=touch,
    )
    page = context.new_page()
    page.goto("/login")
    page.fill("#username", OWNER)
    page.fill("#password", OWNER_PASSWORD)
    page.click("form button[type=submit].button--primary")
    page.wait_for_url("**/studio/")
    page.close()
    return context


def main() -> None:
    """Serve a fresh site with the sample post and photograph it."""
    if not CHROMIUM.exists():
        sys.exit(f"Chromium is needed at {CHROMIUM} to take screenshots.")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    OUTPUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        app = build_app(
            f"sqlite:///{Path(folder) / 'screenshots.sqlite3'}", Path(folder) / "queue.sqlite3"
        )
        post_id = import_draft(app, LONG_CONVERSATION, LONG_CONVERSATION.name)
        slug = publish_post(app, post_id)
        server = LiveServer(app).start()
        try:
            with sync_playwright() as driver:
                browser = launch_chromium(driver)
                saved = [
                    shoot(
                        browser, server, f"/posts/{slug}", f"post-{size}-{scheme}", viewport, scheme
                    )
                    for size, viewport in (("phone", PHONE), ("desktop", DESKTOP))
                    for scheme in ("light", "dark")
                ]
                saved.append(shoot(browser, server, "/", "index-desktop-light", DESKTOP, "light"))
                saved += shoot_studio(browser, server, post_id)
                saved += shoot_fediverse(browser, Path(folder))
                browser.close()
        finally:
            server.stop()
            dispose(app)
    for path in saved:
        print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()
