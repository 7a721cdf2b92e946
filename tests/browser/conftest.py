"""Browser fixtures: the app on a real server, driven by a real headless Chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.browser import (
    CHROMIUM,
    OWNER,
    OWNER_PASSWORD,
    SECRET_KEY,
    LiveServer,
    build_app,
    dispose,
    launch_chromium,
)
from tests.conftest import database_url
from tests.servers import running_worker


def browser_unavailable(reason: str) -> None:
    """Skip, visibly; but fail when the environment insists on browser tests (CI)."""
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason}, and REQUIRE_BROWSER=1 demands the browser tests run")
    pytest.skip(f"{reason}: browser tests skipped")


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        browser_unavailable("Playwright not installed")
    if not CHROMIUM.exists():
        browser_unavailable("Chromium not installed")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver):
    chromium = launch_chromium(playwright_driver)
    yield chromium
    chromium.close()


@pytest.fixture
def live_app(tmp_path):
    app = build_app(database_url(tmp_path), tmp_path / "import-queue.sqlite3")
    yield app
    dispose(app)


@pytest.fixture
def import_worker(live_app, tmp_path):
    """A real import worker process on the live app's database and queue."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_URL")}
    env.update(
        FLASK_SQLALCHEMY_DATABASE_URI=live_app.config["SQLALCHEMY_DATABASE_URI"],
        FLASK_SECRET_KEY=SECRET_KEY,
        FLASK_HUEY_SQLITE_PATH=live_app.config["HUEY_SQLITE_PATH"],
        PYTHONUNBUFFERED="1",
    )
    with running_worker(env, tmp_path / "worker.log") as process:
        yield process


@pytest.fixture
def live_server(live_app) -> Iterator[LiveServer]:
    server = LiveServer(live_app).start()
    yield server
    server.stop()


# Assertions wait as long as actions do: a worker process or a page on a busy two-core
# machine can take more than Playwright's default 5 s to get there.
expect.set_options(timeout=10_000)


@pytest.fixture
def context(browser, live_server):
    """A fresh browser profile (cookies, storage) per test, pointed at the live server."""
    ctx = browser.new_context(base_url=live_server.base_url)
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    return context.new_page()


def sign_in(page) -> None:
    """Sign in as the owner through the login form."""
    page.goto("/login")
    page.fill("#username", OWNER)
    page.fill("#password", OWNER_PASSWORD)
    page.click("form button[type=submit].button--primary")
    page.wait_for_url("**/studio/")


@pytest.fixture
def signed_in_page(page):
    sign_in(page)
    return page
