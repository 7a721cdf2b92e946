"""The dashboard in a real browser: filters swap the list in place and keep a bookmarkable URL;
a bulk action goes through its confirmation."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from blog import posts
from blog.extensions import db
from blog.models import User

pytestmark = pytest.mark.browser


def drafts(app, *titles: str) -> None:
    with app.app_context():
        author = db.session.scalar(db.select(User))
        for title in titles:
            post = posts.create_post(author, title)
            posts.add_turn(post, "user", source=f"Some words about {title.lower()}.")


def test_search_and_filters_swap_the_list_and_the_url(signed_in_page: Page, live_app):
    page = signed_in_page
    drafts(live_app, "Monads explained", "Lenses explained", "Borrow checker")
    page.goto("/studio/")
    rows = page.locator("#post-list .post-card")
    expect(rows).to_have_count(3)
    page.fill("#filter-q", "lenses")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Lenses explained")
    expect(page).to_have_url(re.compile(r"/studio/\?q=lenses$"))
    page.reload()  # the URL alone brings the same list back
    expect(rows).to_have_count(1)

    page.fill("#filter-q", "")
    expect(rows).to_have_count(3)
    page.get_by_text("Change many posts at once").click()
    page.locator(".select-page").check()
    page.get_by_role("button", name="Review selected…").click()
    expect(page.get_by_role("heading", name="Delete: 3 posts")).to_be_visible()
    page.get_by_label("Delete: 3 posts, as listed").check()
    page.get_by_role("button", name="Delete").click()
    expect(page.locator(".flash--success")).to_contain_text("Deleted 3 posts")
    expect(page.locator("#post-list")).to_contain_text("No posts yet.")
