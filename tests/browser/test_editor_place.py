"""The editor keeps the author's place on a long post: every turn action swaps only what it
changed, the page does not reload or jump, focus stays put, and the review flow moves on."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from blog.extensions import db
from blog.models import Post
from tests.browser import import_draft, turn_control

pytestmark = pytest.mark.browser

EXCHANGES = 20


def long_conversation() -> bytes:
    """Twenty questions and answers: a page many screens long."""
    parts = ["---\ntitle: Twenty questions about sourdough\nmodel: GPT-4o\n---"]
    for n in range(1, EXCHANGES + 1):
        parts.append(f"Question {n}: what happens at step {n} of the bake?")
        reply = [
            f"> Step {n} is about patience. The dough rests, the yeast works and the gluten "
            "relaxes, so the loaf keeps its shape in the oven.",
            ">",
            f"> Keep the kitchen near 24 °C; at step {n} a warmer room speeds everything up, "
            "and a cooler one gives a tangier crumb.",
        ]
        parts.append("\n".join(reply))
    return "\n\n".join(parts).encode()


@pytest.fixture
def long_post(live_app) -> int:
    return import_draft(live_app, long_conversation(), "twenty-questions.md")


def turn_ids(app, post_id: int) -> list[int]:
    with app.app_context():
        return [turn.id for turn in db.session.get(Post, post_id).turns]


def reviewed(app, post_id: int) -> dict[int, bool]:
    with app.app_context():
        return {turn.id: turn.reviewed for turn in db.session.get(Post, post_id).turns}


def open_editor(page: Page, post_id: int) -> None:
    """Open the editor and mark the document, so a full page load would be noticed."""
    page.goto(f"/studio/posts/{post_id}")
    expect(page.locator("#turns")).to_be_visible()
    page.evaluate("window.__marker = 'still the same page'")


def assert_same_page(page: Page) -> None:
    assert page.evaluate("window.__marker") == "still the same page", "the page was reloaded"


def bring_to_middle(page: Page, selector: str) -> None:
    """Scroll so the element sits in the middle of the screen, as while reading."""
    page.locator(selector).evaluate(
        "el => window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY"
        " - window.innerHeight / 2)"
    )


def top_of(page: Page, selector: str) -> float:
    return page.locator(selector).evaluate("el => el.getBoundingClientRect().top")


def in_viewport(page: Page, selector: str) -> bool:
    return page.locator(selector).evaluate(
        "el => { const top = el.getBoundingClientRect().top;"
        " return top >= 0 && top < window.innerHeight; }"
    )


def focused_id(page: Page) -> str:
    return page.evaluate("document.activeElement.closest('[id]')?.id || ''")


def left_to_review(page: Page) -> int:
    text = page.locator("#review-progress").inner_text()
    match = re.search(r"(\d+) AI turns? left to review", text)
    return int(match.group(1)) if match else 0


def test_mark_reviewed_in_the_middle_keeps_the_place(signed_in_page: Page, live_app, long_post):
    page = signed_in_page
    ids = turn_ids(live_app, long_post)
    reply, following = ids[21], ids[22]  # the 11th answer and the question after it
    open_editor(page, long_post)
    blockers = page.locator("#publish-status .blockers")
    expect(blockers).to_contain_text(f"{EXCHANGES} AI turns not yet reviewed")
    assert left_to_review(page) == EXCHANGES

    bring_to_middle(page, f"#t{reply} button.review-turn")
    scroll_before = page.evaluate("window.scrollY")
    top_before = top_of(page, f"#t{reply}")
    page.locator(f"#t{reply} button.review-turn").click()

    expect(page.locator(f"#t{reply} .badge--ok")).to_have_text("reviewed")
    expect(blockers).to_contain_text(f"{EXCHANGES - 1} AI turns not yet reviewed")
    expect(page.locator("#review-progress")).to_contain_text(
        f"{EXCHANGES - 1} AI turns left to review"
    )
    assert_same_page(page)
    scroll_after = page.evaluate("window.scrollY")
    page_end = page.evaluate("document.documentElement.scrollHeight - window.innerHeight")
    assert abs(scroll_after - scroll_before) <= 2, (scroll_before, scroll_after)
    assert page_end - scroll_after > 1000, "the page jumped towards its end"
    assert abs(top_of(page, f"#t{reply}") - top_before) <= 2
    assert in_viewport(page, f"#t{following}")
    # Focus stays on the same turn, on the menu that now holds Mark not reviewed (the menu
    # stays closed, so nothing opens under the text being read).
    assert page.evaluate("document.activeElement.dataset.focusKey") == "menu"
    assert focused_id(page) == f"t{reply}"
    assert reviewed(live_app, long_post)[reply] is True


def test_review_and_go_to_the_next_by_button_and_by_key(signed_in_page: Page, live_app, long_post):
    page = signed_in_page
    ids = turn_ids(live_app, long_post)
    replies = ids[1::2]
    open_editor(page, long_post)

    bring_to_middle(page, f"#t{replies[3]} .turn__tools")
    turn_control(page.locator(f"#t{replies[3]}"), "button.review-next").click()
    expect(page.locator(f"#t{replies[4]}")).to_be_focused()
    assert in_viewport(page, f"#t{replies[4]}")
    expect(page.locator(f"#t{replies[3]} .badge--ok")).to_have_text("reviewed")
    assert left_to_review(page) == EXCHANGES - 1

    # The key does the same from the focused turn: r, r, r.
    for step in range(4, 7):
        page.keyboard.press("r")
        expect(page.locator(f"#t{replies[step + 1]}")).to_be_focused()
        expect(page.locator("#review-progress")).to_contain_text(
            f"{EXCHANGES - 1 - (step - 3)} AI turns left to review"
        )
    assert in_viewport(page, f"#t{replies[7]}")
    assert_same_page(page)
    done = reviewed(live_app, long_post)
    assert [done[r] for r in replies[3:7]] == [True] * 4
    assert done[replies[7]] is False and done[replies[2]] is False


def test_the_key_is_ignored_while_typing(signed_in_page: Page, live_app, long_post):
    page = signed_in_page
    reply = turn_ids(live_app, long_post)[1]
    open_editor(page, long_post)
    turn_control(page.locator(f"#t{reply}"), "a.edit-turn").click()
    textarea = page.locator(f"#t{reply} textarea.turn-source")
    expect(textarea).to_be_focused()
    textarea.press("End")
    textarea.press("r")
    expect(textarea).to_have_value(re.compile(r"r$"))
    assert reviewed(live_app, long_post)[reply] is False


def test_the_last_review_goes_to_the_publish_panel(signed_in_page: Page, live_app, long_post):
    page = signed_in_page
    replies = turn_ids(live_app, long_post)[1::2]
    with live_app.app_context():
        from blog.posts import set_reviewed

        post = db.session.get(Post, long_post)
        set_reviewed([t for t in post.turns if t.id in replies[:-1]])
    open_editor(page, long_post)
    assert left_to_review(page) == 1
    turn_control(page.locator(f"#t{replies[-1]}"), "button.review-next").click()
    expect(page.locator("#publish")).to_be_focused()
    expect(page.locator("#review-progress")).to_contain_text("Every AI turn is reviewed")
    expect(page.locator("#publish-status .blockers")).to_have_count(0)
    assert_same_page(page)


def test_add_turn_opens_its_editor_with_focus(signed_in_page: Page, live_app, long_post):
    page = signed_in_page
    ids = turn_ids(live_app, long_post)
    question = ids[10]
    open_editor(page, long_post)
    expect(page.locator(f"#t{ids[11]} .turn-number")).to_have_text("turn 12")

    bring_to_middle(page, f"#t{question} .turn__tools")
    top_before = top_of(page, f"#t{question}")
    add_form = turn_control(page.locator(f"#t{question}"), "form.add-turn")
    add_form.locator("select[name=role]").select_option("note")
    add_form.locator("button.add-after").click()

    added = page.locator(f"#t{question} + article.studio-turn")
    textarea = added.locator("textarea.turn-source")
    expect(textarea).to_be_focused()
    assert abs(top_of(page, f"#t{question}") - top_before) <= 2
    # The turns after it are numbered on, without a reload.
    expect(page.locator(f"#t{ids[11]} .turn-number")).to_have_text("turn 13")
    textarea.press_sequentially("A note between the questions.")
    textarea.press("Control+Enter")
    expect(added.locator(".turn__body")).to_have_text("A note between the questions.")
    expect(added.locator(".turn-number")).to_have_text("turn 12")
    assert_same_page(page)
    assert len(turn_ids(live_app, long_post)) == len(ids) + 1


def test_leave_out_move_and_delete_keep_the_place(signed_in_page: Page, live_app, long_post):
    page = signed_in_page
    ids = turn_ids(live_app, long_post)
    open_editor(page, long_post)

    # Leave out a question: it is marked, and the turns after it are numbered again.
    bring_to_middle(page, f"#t{ids[12]}")
    turn_control(page.locator(f"#t{ids[12]}"), "button.exclude-turn").click()
    expect(page.locator(f"#t{ids[12]} .turn-number")).to_have_text("left out")
    expect(page.locator(f"#t{ids[13]} .turn-number")).to_have_text("turn 13")
    expect(page.locator(f"#t{ids[12]} button.exclude-turn")).to_be_focused()

    # Move an answer down: the two turns trade places; the moved one stays under the pointer.
    bring_to_middle(page, f"#t{ids[15]}")
    move_down = turn_control(page.locator(f"#t{ids[15]}"), "button[value=down]")
    move_down.scroll_into_view_if_needed()  # where the pointer is when it clicks
    top_before = top_of(page, f"#t{ids[15]}")
    move_down.click()
    expect(page.locator(f"#t{ids[16]} + #t{ids[15]}")).to_have_count(1)
    expect(page.locator(f"#t{ids[15]} button[value=down]")).to_be_focused()
    assert abs(top_of(page, f"#t{ids[15]}") - top_before) <= 2
    expect(page.locator(f"#t{ids[15]} .turn-number")).to_have_text("turn 16")

    # Delete a turn: the next one takes its place on screen and gets the focus.
    bring_to_middle(page, f"#t{ids[8]}")
    delete = turn_control(page.locator(f"#t{ids[8]}"), "button.delete-turn")
    delete.scroll_into_view_if_needed()
    top_before = top_of(page, f"#t{ids[8]}")
    page.once("dialog", lambda dialog: dialog.accept())
    delete.click()
    expect(page.locator(f"#t{ids[8]}")).to_have_count(0)
    expect(page.locator(f"#t{ids[9]}")).to_be_focused()
    assert abs(top_of(page, f"#t{ids[9]}") - top_before) <= 2
    expect(page.locator(f"#t{ids[9]} .turn-number")).to_have_text("turn 9")
    assert_same_page(page)

    order = turn_ids(live_app, long_post)
    assert ids[8] not in order and order.index(ids[16]) < order.index(ids[15])


def test_a_change_the_server_refuses_is_not_silent(signed_in_page: Page, live_app, long_post):
    page = signed_in_page
    reply = turn_ids(live_app, long_post)[1]
    open_editor(page, long_post)
    with live_app.app_context():
        from blog.posts import delete_turn

        delete_turn(db.session.get(Post, long_post).turns[1])  # gone in another window
    page.locator(f"#t{reply} button.review-turn").click()
    expect(page.locator("#studio-alert[role=alert]")).to_contain_text(
        "Not saved: the server answered 404"
    )
    expect(page.locator(f"#t{reply} .badge--warn")).to_have_text("not reviewed")
    assert_same_page(page)
