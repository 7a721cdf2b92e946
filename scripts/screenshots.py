"""Screenshots of a published sample post, the index, the dashboard and the editor, for checking the
design by eye.

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
                browser.close()
        finally:
            server.stop()
            dispose(app)
    for path in saved:
        print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()
