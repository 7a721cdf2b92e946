"""Privacy findings a kind at a time: grouped in the editor, every street address redacted after a
preview of each change, or kept with one reason; across posts from the dashboard's filter and
its bulk confirmation."""

from __future__ import annotations

import json
import re

import pytest

from blog.extensions import db
from blog.models import Dismissal, Post

ADDRESSES = [
    ("user", "Post it to 42 Maple Street, then call 415-555-0132 about it."),
    ("assistant", "Sure. The depot at 17 Oak Avenue opens at nine."),
    ("user", "And the one at 9 Elm Road? Also 42 Maple Street again."),
]


def sources(app, post_id: int) -> list[str]:
    with app.app_context():
        return [turn.source for turn in db.session.get(Post, post_id).turns]


def open_count(app, post_id: int) -> int:
    with app.app_context():
        return db.session.get(Post, post_id).findings


@pytest.fixture
def addresses(make_post) -> int:
    return make_post("Where to send it", ADDRESSES, status="draft")


def test_the_editor_groups_findings_by_kind(author, addresses):
    page = author.get(f"/studio/posts/{addresses}").get_data(as_text=True)
    panel = page[page.index('id="privacy"') : page.index("</section>", page.index('id="privacy"'))]
    assert "4 street addresses in 3 turns" in panel
    assert "1 phone number in 1 turn" in panel
    assert f"/studio/posts/{addresses}/findings/address/redact" in panel
    # The single-finding actions are still on each turn.
    assert page.count('name="fingerprint"') >= 10
    # What blocks publishing points to them.
    status = page[page.index('id="publish-status"') :]
    assert '<a href="#privacy">Privacy findings, by kind</a>' in status


def test_redact_all_of_a_kind_shows_each_change_first(app, author, addresses):
    before = sources(app, addresses)
    preview = author.get(f"/studio/posts/{addresses}/findings/address/redact")
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert sources(app, addresses) == before, "the preview changed the post"
    assert html.count("<del>") == 4 and html.count("<ins>[address redacted]</ins>") == 4
    assert "The depot at <del>17 Oak Avenue</del> opens at nine." in html
    assert "Redact 4 street addresses" in html

    done = author.post(f"/studio/posts/{addresses}/findings/address/redact")
    assert done.status_code == 303 and done.headers["Location"].endswith("#privacy")
    after = sources(app, addresses)
    assert after[1] == "Sure. The depot at [address redacted] opens at nine."
    assert "Maple" not in "".join(after) and "Elm" not in "".join(after)
    assert "415-555-0132" in after[0], "another kind was redacted too"
    assert open_count(app, addresses) == 1
    page = author.get(f"/studio/posts/{addresses}").get_data(as_text=True)
    assert "Redacted 4 street addresses." in page


def test_keep_all_of_a_kind_needs_one_reason(app, author, addresses):
    refused = author.post(f"/studio/posts/{addresses}/findings/address/keep", data={"reason": "  "})
    assert refused.status_code == 303
    assert "Say why these findings may stay" in author.get(refused.headers["Location"]).get_data(
        as_text=True
    )
    assert open_count(app, addresses) == 5

    author.post(
        f"/studio/posts/{addresses}/findings/address/keep",
        data={"reason": "Public depots, not homes"},
    )
    with app.app_context():
        kept = db.session.scalars(db.select(Dismissal).where(Dismissal.post_id == addresses)).all()
        # 42 Maple Street appears twice: one fingerprint, kept once.
        assert sorted(d.kind for d in kept) == ["address", "address", "address"]
        assert {d.reason for d in kept} == {"Public depots, not homes"}
    assert open_count(app, addresses) == 1
    assert sources(app, addresses)[1] == ADDRESSES[1][1]


def test_an_unknown_kind_is_not_found(author, addresses):
    assert author.get(f"/studio/posts/{addresses}/findings/nonsense/redact").status_code == 404


def test_dashboard_filters_by_kind_and_redacts_across_posts(app, author, make_post, addresses):
    phone_only = make_post("Just a phone", [("user", "Ring 415-555-0199 after six.")])
    clean = make_post("Nothing private", [("user", "What is a monad?")])
    listed = author.get("/studio/?finding=address").get_data(as_text=True)
    assert "Where to send it" in listed and "(4 street addresses)" in listed
    assert "Just a phone" not in listed and "Nothing private" not in listed
    assert "1 post match" in listed

    ids = f"{addresses},{phone_only},{clean}"
    confirm = author.get(
        f"/studio/bulk?action=redact&kind=address&scope=page&page_ids={ids}&back=/studio/"
    )
    html = confirm.get_data(as_text=True)
    assert "Redact 4 street addresses in 1 post" in html
    assert html.count("<ins>[address redacted]</ins>") == 4
    assert "2 of the chosen posts have no open street addresses" in html
    post_ids = re.findall(r'name="post" value="(\d+)"', html)
    assert post_ids == [str(addresses)]

    done = author.post(
        "/studio/bulk",
        data={"action": "redact", "kind": "address", "post": post_ids, "confirm": "yes"},
    )
    assert done.status_code == 303
    assert "Maple" not in "".join(sources(app, addresses))
    assert sources(app, phone_only) == ["Ring 415-555-0199 after six."]


def test_bulk_keep_needs_a_reason(app, author, addresses):
    response = author.get(
        f"/studio/bulk?action=keep&kind=address&scope=page&page_ids={addresses}&back=/studio/"
    )
    assert response.status_code == 303
    page = author.get(response.headers["Location"]).get_data(as_text=True)
    assert "Write the reason these findings may stay" in page

    author.post(
        "/studio/bulk",
        data={
            "action": "keep",
            "kind": "address",
            "post": [str(addresses)],
            "value": "Public depots",
            "confirm": "yes",
        },
    )
    assert open_count(app, addresses) == 1


def test_the_import_report_leads_to_the_posts_with_findings(app, author):
    from tests.test_import_web import finish, job_token, upload

    item = {
        "conversations": [
            {"from": "human", "value": "Post it to 42 Maple Street, please."},
            {"from": "gpt", "value": "Done. It goes to 42 Maple Street tomorrow."},
        ]
    }
    token = job_token(upload(author, "sharegpt.json", json.dumps([item]).encode()))
    listing = json.loads(finish(app, token).listing_json)
    author.post(f"/studio/import/{token}", {"chosen": listing[0]["key"], "on_duplicate": "skip"})
    job = finish(app, token)
    page = author.get(f"/studio/import/{token}").get_data(as_text=True)
    assert "Private data or secrets found" in page
    batch = json.loads(job.report_json)["batch"]
    link = f'href="/studio/?batch={batch}&amp;findings=1"'
    assert link in page
    listed = author.get(f"/studio/?batch={batch}&findings=1&finding=address")
    assert "(2 street addresses)" in listed.get_data(as_text=True)
