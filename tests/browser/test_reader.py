"""The public site in a real browser: permalinks, long replies, copy buttons, search, themes."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser import LONG_CONVERSATION, import_draft, publish_post

pytestmark = pytest.mark.browser

SEARCH_WORD = "zymurgy"  # appears in one AI turn of the long conversation, nowhere else
WATCH_FOR_CSP_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


@pytest.fixture
def slug(live_app) -> str:
    return publish_post(live_app, import_draft(live_app, LONG_CONVERSATION, LONG_CONVERSATION.name))


def fixture_code_block(language: str) -> str:
    """The first fenced block in this language in the fixture, as the author wrote it."""
    text = LONG_CONVERSATION.read_text()
    match = re.search(rf"^> ```{language}\n(.*?)^> ```$", text, re.MULTILINE | re.DOTALL)
    assert match, f"no {language} block in the fixture"
    return "\n".join(line.removeprefix(">").removeprefix(" ") for line in match[1].splitlines())


def in_viewport(page: Page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    viewport = page.viewport_size
    assert box is not None and viewport is not None
    return 0 <= box["y"] < viewport["height"]


def relative_luminance(css_colour: str) -> float:
    red, green, blue = (int(n) / 255 for n in re.findall(r"\d+", css_colour)[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def test_permalink_scrolls_the_turn_into_view(page: Page, slug):
    page.goto(f"/posts/{slug}#turn-12")
    turn = page.locator("#turn-12")
    expect(turn).to_contain_text(SEARCH_WORD)
    # Far below the first screen: only scrolling can have brought it into view.
    assert page.evaluate("document.getElementById('turn-12').offsetTop > 2 * innerHeight")
    page.wait_for_function(
        "() => { const top = document.getElementById('turn-12').getBoundingClientRect().top;"
        " return top >= 0 && top < innerHeight; }"
    )
    assert in_viewport(page, "#turn-12")
    assert page.evaluate("scrollY") > 0


def test_long_reply_is_folded_and_opens_on_click(page: Page, slug):
    page.goto(f"/posts/{slug}")
    folds = page.locator("details.turn__fold")
    expect(folds).to_have_count(1)
    fold = page.locator("#turn-10 details.turn__fold")
    body = fold.locator(".turn__body")
    expect(body).to_be_hidden()
    fold.locator("summary").click()
    expect(fold).to_have_attribute("open", "")
    expect(body).to_be_visible()
    expect(body).to_contain_text("Survive power cuts")


def test_copy_button_copies_the_code(browser, live_server, slug):
    context = browser.new_context(
        base_url=live_server.base_url, permissions=["clipboard-read", "clipboard-write"]
    )
    try:
        page = context.new_page()
        page.goto(f"/posts/{slug}")
        block = page.locator("#turn-2 .highlight").first
        button = block.locator("button.copy-code")
        button.click()
        expect(button).to_have_text("Copied")
        copied = page.evaluate("navigator.clipboard.readText()")
    finally:
        context.close()
    assert copied.strip("\n") == fixture_code_block("python").strip("\n")


def test_search_finds_a_word_inside_one_ai_turn(page: Page, slug):
    page.goto("/search")
    page.fill("#q", SEARCH_WORD)
    page.press("#q", "Enter")
    results = page.locator("article.result")
    expect(results).to_have_count(1)
    link = results.locator("a.result__turn")
    expect(link).to_have_attribute("href", f"/posts/{slug}#turn-12")
    link.click()
    page.wait_for_url(f"**/posts/{slug}#turn-12")
    expect(page.locator("#turn-12")).to_have_attribute("data-role", "assistant")
    page.wait_for_function(
        "() => { const top = document.getElementById('turn-12').getBoundingClientRect().top;"
        " return top >= 0 && top < innerHeight; }"
    )


@pytest.mark.parametrize(("scheme", "dark"), [("dark", True), ("light", False)])
def test_colour_scheme_follows_the_reader(browser, live_server, slug, scheme, dark):
    context = browser.new_context(base_url=live_server.base_url, color_scheme=scheme)
    try:
        page = context.new_page()
        # Every request done (the favicon comes after "load"): closing the context mid-response
        # left the test server's file unclosed, a warning that failed the test on a busy machine.
        page.goto(f"/posts/{slug}", wait_until="networkidle")
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        text = page.evaluate("getComputedStyle(document.body).color")
    finally:
        context.close()
    if dark:
        assert relative_luminance(background) < 0.2, background
        assert relative_luminance(text) > 0.7, text
    else:
        assert relative_luminance(background) > 0.8, background
        assert relative_luminance(text) < 0.3, text


def test_public_pages_have_no_console_errors_or_csp_violations(page: Page, slug):
    problems: list[str] = []
    page.on(
        "console",
        lambda message: (
            problems.append(f"console {message.type}: {message.text}")
            if message.type in ("error", "warning")
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.add_init_script(WATCH_FOR_CSP_VIOLATIONS)
    paths = [
        "/",
        f"/posts/{slug}",
        f"/search?q={SEARCH_WORD}",
        "/tags/python",
        "/archive",
        "/license",
    ]
    for path in paths:
        response = page.goto(path, wait_until="networkidle")
        assert response is not None and response.ok, path
        violations = page.evaluate("window.cspViolations")
        assert violations == [], (path, violations)
    assert problems == []

    # The watch works: an inline style, which the policy forbids, is reported.
    page.evaluate("document.head.appendChild(document.createElement('style')).textContent = 'p {}'")
    page.wait_for_function("window.cspViolations.length > 0")
    assert any("style-src" in v for v in page.evaluate("window.cspViolations"))


def test_public_post_reads_without_javascript(browser, live_server, slug):
    context = browser.new_context(base_url=live_server.base_url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"/posts/{slug}")
        expect(page.locator("h1.post__title")).to_have_text("A weather station in the back garden")
        expect(page.locator("section.conversation > article.turn")).to_have_count(14)
        expect(page.locator("#turn-2 .turn__body")).to_contain_text("The BME280 talks over I²C")
        expect(page.locator("nav.toc li")).to_have_count(7)
        expect(page.locator("button.copy-code")).to_have_count(0)
        fold = page.locator("#turn-10 details.turn__fold")
        expect(fold.locator(".turn__body")).to_be_hidden()
        fold.locator("summary").click()
        expect(fold.locator(".turn__body")).to_be_visible()
        expect(fold).to_contain_text("Back up the readings")
    finally:
        context.close()


@pytest.fixture
def long_slug(live_app) -> str:
    """The long fixture conversation carried on to 24 turns, with a summary and tags."""
    from blog import posts as content
    from blog.extensions import db
    from blog.models import Post

    post_id = import_draft(live_app, LONG_CONVERSATION, LONG_CONVERSATION.name)
    with live_app.app_context():
        post = db.session.get(Post, post_id)
        for number in range(10):
            role = "user" if number % 2 == 0 else "assistant"
            words = f"Follow-up {number}: what about the backups and the restore drill? " * 3
            content.add_turn(post, role, source=words)
        content.update_post(
            post,
            {"summary": "Planning a home server that survives power cuts.", "tags": "servers, ups"},
            None,
        )
    return publish_post(live_app, post_id)


def test_on_a_phone_the_first_turn_starts_within_a_screen_and_a_half(
    browser, live_server, long_slug
):
    context = browser.new_context(
        base_url=live_server.base_url, viewport={"width": 390, "height": 844}
    )
    try:
        page = context.new_page()
        page.goto(f"/posts/{long_slug}")
        assert page.locator("article.turn").count() >= 20
        disclosure = page.locator("aside.ai-disclosure")
        expect(disclosure).to_be_visible()
        top = page.evaluate(
            "document.getElementById('turn-1').getBoundingClientRect().top + scrollY"
        )
        # The disclosure comes before the conversation, and the conversation starts soon.
        assert disclosure.bounding_box()["y"] < top <= 1.5 * 844, top
        # Its details open with a tap, without scripts.
        details = disclosure.locator("details")
        details.locator("summary").click()
        expect(details.locator(".ai-disclosure__facts")).to_be_visible()
    finally:
        context.close()


LONG_WORD = "x" * 150


def test_on_a_phone_no_reader_page_scrolls_sideways(browser, live_server, live_app):
    """A long tag or a long pasted search term wraps; code blocks scroll in their own box."""
    from blog import posts as content
    from blog.extensions import db
    from blog.models import Post

    post_id = import_draft(live_app, LONG_CONVERSATION, LONG_CONVERSATION.name)
    with live_app.app_context():
        tags = f"servers, averyveryverylongtagnamewithoutanyspaces{LONG_WORD[:20]}"
        content.update_post(db.session.get(Post, post_id), {"tags": tags}, None)
    slug = publish_post(live_app, post_id)
    context = browser.new_context(
        base_url=live_server.base_url, viewport={"width": 390, "height": 844}
    )
    paths = [
        "/",
        f"/posts/{slug}",
        f"/search?q={SEARCH_WORD}",
        f"/search?q={LONG_WORD}",
        "/tags",
        "/tags/servers",
        "/about",
        "/archive",
        "/license",
        "/login",
        f"/no-such-page-{LONG_WORD}",
    ]
    try:
        page = context.new_page()
        widths = {}
        for path in paths:
            page.goto(path)
            widths[path] = page.evaluate("document.documentElement.scrollWidth")
        assert {path: width for path, width in widths.items() if width > 390} == {}
    finally:
        context.close()
