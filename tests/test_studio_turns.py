"""The editor's turn actions over plain HTTP: the fragments htmx gets (the changed turns, and
out of band the numbers, the review count and the publish status), and the plain-form
fallback (flash + redirect back to the turn) when there is no JavaScript."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from blog.extensions import db
from blog.models import Post

HTMX = {"HX-Request": "true"}
VOID = {"input", "br", "img", "meta", "link", "hr", "source", "wbr"}


class TopLevel(HTMLParser):
    """The outermost elements of a fragment: (tag, attributes), in order."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.elements: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        if self.depth == 0:
            self.elements.append((tag, dict(attrs)))
        if tag not in VOID:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag not in VOID:
            self.depth -= 1


def top_level(html: str) -> list[tuple[str, dict]]:
    parser = TopLevel()
    parser.feed(html)
    return parser.elements


def swapped(html: str) -> list[str]:
    """Ids of the elements swapped into the target (not out of band)."""
    return [a.get("id", "") for _, a in top_level(html) if "hx-swap-oob" not in a]


def out_of_band(html: str) -> dict[str, str]:
    """Id → swap style of the elements swapped out of band."""
    return {a["id"]: a["hx-swap-oob"] for _, a in top_level(html) if "hx-swap-oob" in a}


def number_badges(html: str) -> dict[str, str]:
    """Out-of-band turn numbers: turn id → the badge's text."""
    found = re.findall(r'id="n(\d+)" hx-swap-oob="true">([^<]*)<', html)
    return {turn_id: text for turn_id, text in found}


def turns_of(app, post_id: int) -> list[tuple[int, str, bool, bool]]:
    with app.app_context():
        post = db.session.get(Post, post_id)
        return [(t.id, t.role, t.reviewed, t.excluded) for t in post.turns]


@pytest.fixture
def conversation(make_post) -> int:
    """Three questions and three unreviewed answers."""
    turns = []
    for n in range(1, 4):
        turns += [("user", f"Question {n}?"), ("assistant", f"Answer {n}.")]
    return make_post("Three answers", turns)


def test_mark_reviewed_sends_the_turn_and_the_counts_out_of_band(app, author, conversation):
    ids = [t[0] for t in turns_of(app, conversation)]
    response = author.post(f"/studio/posts/{conversation}/turns/{ids[3]}/review", headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    assert swapped(html) == [f"t{ids[3]}"]
    assert out_of_band(html) == {
        "review-progress": "innerHTML",
        "publish-status": "true",
        "privacy": "true",
    }
    assert "2 AI turns left to review" in html
    assert "2 AI turns not yet reviewed (turn 2, 6)" in html
    assert 'id="turns"' not in html and html.count("<article") == 1
    assert turns_of(app, conversation)[3][2] is True


def test_the_count_speaks_of_one_turn_and_then_of_none(app, author, make_post):
    post_id = make_post("One answer", [("user", "Q?"), ("assistant", "A.")])
    editor = author.get(f"/studio/posts/{post_id}").get_data(as_text=True)
    assert "1 AI turn left to review" in editor
    answer_id = turns_of(app, post_id)[1][0]
    html = author.post(f"/studio/posts/{post_id}/turns/{answer_id}/review", headers=HTMX).get_data(
        as_text=True
    )
    assert "Every AI turn is reviewed." in html
    assert "not yet reviewed" not in html and "Mark all AI turns reviewed" not in html


def test_review_and_next_names_the_next_unreviewed_turn(app, author, conversation):
    ids = [t[0] for t in turns_of(app, conversation)]
    url = f"/studio/posts/{conversation}/turns/{{}}/review"
    first = author.post(url.format(ids[3]), {"next": "1"}, headers=HTMX)
    assert json.loads(first.headers["HX-Trigger-After-Settle"]) == {
        "studio:go-to": {"id": f"t{ids[5]}"}
    }
    # From the last answer it wraps round to the first one still waiting.
    last = author.post(url.format(ids[5]), {"next": "1"}, headers=HTMX)
    assert json.loads(last.headers["HX-Trigger-After-Settle"])["studio:go-to"]["id"] == (
        f"t{ids[1]}"
    )
    done = author.post(url.format(ids[1]), {"next": "1"}, headers=HTMX)
    assert json.loads(done.headers["HX-Trigger-After-Settle"])["studio:go-to"]["id"] == "publish"
    plain = author.post(url.format(ids[1]), {"reviewed": "0"}, headers=HTMX)
    assert "HX-Trigger-After-Settle" not in plain.headers


def test_review_and_next_without_javascript_lands_on_the_next_turn(app, author, conversation):
    ids = [t[0] for t in turns_of(app, conversation)]
    response = author.post(f"/studio/posts/{conversation}/turns/{ids[1]}/review", {"next": "1"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/studio/posts/{conversation}#t{ids[3]}")
    for later in (ids[3], ids[5]):
        author.post(f"/studio/posts/{conversation}/turns/{later}/review", {"next": "1"})
    page = author.get(f"/studio/posts/{conversation}", follow_redirects=True)
    assert "Every AI turn is reviewed now." in page.get_data(as_text=True)
    last = author.post(f"/studio/posts/{conversation}/turns/{ids[5]}/review", {"next": "1"})
    assert last.headers["Location"].endswith("#publish")


def test_leaving_a_turn_out_renumbers_the_turns_after_it(app, author, conversation):
    ids = [t[0] for t in turns_of(app, conversation)]
    html = author.post(
        f"/studio/posts/{conversation}/turns/{ids[2]}/exclude", {"excluded": "1"}, headers=HTMX
    ).get_data(as_text=True)
    assert swapped(html) == [f"t{ids[2]}"]
    badges = number_badges(html)
    assert str(ids[2]) not in badges  # its own badge comes with the turn
    assert badges[str(ids[1])] == "turn 2"
    assert badges[str(ids[3])] == "turn 3" and badges[str(ids[5])] == "turn 5"
    assert re.search(rf'id="n{ids[2]}">left out<', html)
    assert turns_of(app, conversation)[2][3] is True


def test_move_sends_both_turns_in_their_new_order(app, author, conversation):
    ids = [t[0] for t in turns_of(app, conversation)]
    html = author.post(
        f"/studio/posts/{conversation}/turns/{ids[2]}/move", {"direction": "up"}, headers=HTMX
    ).get_data(as_text=True)
    assert swapped(html) == [f"t{ids[2]}", f"t{ids[1]}"]
    # The neighbour's old copy leaves the page before the pair takes the moved turn's place.
    assert out_of_band(html)[f"t{ids[1]}"] == "delete"
    assert [t[0] for t in turns_of(app, conversation)][:3] == [ids[0], ids[2], ids[1]]

    first = author.post(
        f"/studio/posts/{conversation}/turns/{ids[0]}/move", {"direction": "up"}, headers=HTMX
    ).get_data(as_text=True)
    assert swapped(first) == [f"t{ids[0]}"] and f't{ids[0]}" hx-swap-oob' not in first


def test_a_new_turn_arrives_open_in_its_editor(app, author, conversation):
    ids = [t[0] for t in turns_of(app, conversation)]
    html = author.post(
        f"/studio/posts/{conversation}/turns", {"after": ids[1], "role": "note"}, headers=HTMX
    ).get_data(as_text=True)
    new_id = turns_of(app, conversation)[2][0]
    assert swapped(html) == [f"t{new_id}"]
    assert re.search(r"<textarea[^>]*autofocus", html)
    assert number_badges(html)[str(ids[2])] == "turn 4"
    assert str(new_id) not in number_badges(html)


def test_a_new_turn_without_javascript_opens_its_editor_page(app, author, conversation):
    response = author.post(f"/studio/posts/{conversation}/turns", {"role": "user"})
    new_id = turns_of(app, conversation)[-1][0]
    assert response.status_code == 303
    assert response.headers["Location"].endswith(
        f"/studio/posts/{conversation}/turns/{new_id}/edit"
    )


def test_delete_removes_the_turn_and_renumbers(app, author, conversation):
    ids = [t[0] for t in turns_of(app, conversation)]
    html = author.post(
        f"/studio/posts/{conversation}/turns/{ids[0]}/delete", headers=HTMX
    ).get_data(as_text=True)
    assert swapped(html) == []  # the form swaps with hx-swap="delete"
    assert number_badges(html)[str(ids[1])] == "turn 1"
    plain = author.post(f"/studio/posts/{conversation}/turns/{ids[1]}/delete")
    assert plain.headers["Location"].endswith(f"/studio/posts/{conversation}#t{ids[2]}")
    last = author.post(f"/studio/posts/{conversation}/turns/{ids[5]}/delete")
    assert last.headers["Location"].endswith(f"/studio/posts/{conversation}#t{ids[4]}")


@pytest.mark.parametrize(
    ("action", "data", "flash", "place", "state"),
    [
        ("review", {"reviewed": "1"}, "Review recorded.", 1, ("assistant", True, False)),
        ("exclude", {"excluded": "1"}, "Turn left out.", 1, ("assistant", False, True)),
        ("move", {"direction": "down"}, "Turn moved.", 2, ("assistant", False, False)),
        ("role", {"role": "note"}, "Role changed.", 1, ("note", False, False)),
    ],
)
def test_every_action_works_as_a_plain_form(
    app, author, conversation, action, data, flash, place, state
):
    turn_id = turns_of(app, conversation)[1][0]
    response = author.post(f"/studio/posts/{conversation}/turns/{turn_id}/{action}", data)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/studio/posts/{conversation}#t{turn_id}")
    assert flash in author.get(f"/studio/posts/{conversation}").get_data(as_text=True)
    assert turns_of(app, conversation)[place] == (turn_id, *state)


def test_the_editor_page_carries_the_targets_of_every_swap(app, author, conversation):
    page = author.get(f"/studio/posts/{conversation}").get_data(as_text=True)
    for target in ('id="review-progress"', 'id="publish-status"', 'id="publish"', 'id="turns"'):
        assert target in page
    for turn_id, *_ in turns_of(app, conversation):
        assert f'id="n{turn_id}"' in page
    assert "3 AI turns left to review" in page
    assert "Mark reviewed and go to the next" in page
    assert "<kbd>r</kbd>" in page  # the keys are explained where they work


def test_cancel_restores_the_turn_without_touching_the_counts(app, author, conversation):
    turn_id = turns_of(app, conversation)[1][0]
    html = author.get(f"/studio/posts/{conversation}/turns/{turn_id}", headers=HTMX)
    assert swapped(html.get_data(as_text=True)) == [f"t{turn_id}"]
    assert out_of_band(html.get_data(as_text=True)) == {}
    assert "HX-Request" in html.headers["Vary"]


def test_keeping_a_finding_sends_the_whole_list(app, author, make_post):
    post_id = make_post("Mail", [("user", "Mail me at jordan.whitfield@protonmail.com")])
    page = author.get(f"/studio/posts/{post_id}").get_data(as_text=True)
    fingerprint = re.search(r'name="fingerprint" value="([^"]+)"', page).group(1)
    turn_id = turns_of(app, post_id)[0][0]
    data = {"fingerprint": fingerprint, "kind": "email", "reason": "a public address"}
    html = author.post(
        f"/studio/posts/{post_id}/findings/dismiss", {**data, "turn": turn_id}, headers=HTMX
    ).get_data(as_text=True)
    assert swapped(html) == ["turns"]
    assert "publish-status" in out_of_band(html)
    refused = author.post(
        f"/studio/posts/{post_id}/findings/dismiss", {**data, "reason": ""}, headers=HTMX
    )
    assert refused.status_code == 204 and refused.headers["HX-Redirect"].startswith(
        f"/studio/posts/{post_id}"
    )
