"""Where hidden material was, readers see a marker in its place, not only a label at the top."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from types import SimpleNamespace

from blog import disclosure
from blog import posts as content
from blog.extensions import db
from blog.formats.chatgpt.conversations import parse_conversation
from blog.imports.files import import_file
from blog.models import Post, User

HTTPS = "https://blog.test"


def turn(n: int, role: str, *, excluded: bool = False, speaker: str = "") -> SimpleNamespace:
    return SimpleNamespace(id=n, role=role, excluded=excluded, speaker=speaker)


def test_a_run_of_hidden_turns_is_one_marker_before_the_turn_after_it():
    turns = [
        turn(1, "user"),
        turn(2, "code", excluded=True),
        turn(3, "output", excluded=True),
        turn(4, "assistant"),
        turn(5, "tool", excluded=True),
        turn(6, "tool", excluded=True),
        turn(7, "assistant"),
        turn(8, "reasoning", excluded=True),
        turn(9, "tool", excluded=True),
        turn(10, "assistant"),
        turn(11, "attachment", excluded=True),
    ]

    assert disclosure.hidden_notes(turns) == {
        4: "Code cell and its output not shown",
        7: "2 tool calls not shown",
        10: "Reasoning and tool call not shown",
        -1: "Attachment not shown",
    }


def test_code_with_its_output_beside_other_kinds_reads_as_one_list():
    turns = [
        turn(1, "user"),
        turn(2, "reasoning", excluded=True),
        turn(3, "code", excluded=True),
        turn(4, "output", excluded=True),
        turn(5, "assistant"),
    ]

    assert disclosure.hidden_notes(turns) == {
        5: "Reasoning and code cell with its output not shown"
    }


def test_markers_count_code_cells_with_their_output_and_skip_the_authors_omissions():
    turns = [
        turn(1, "user"),
        turn(2, "code", excluded=True),
        turn(3, "output", excluded=True),
        turn(4, "assistant", excluded=True),  # the author's omission, told apart
        turn(5, "code", excluded=True),
        turn(6, "output", excluded=True),
        turn(7, "assistant"),
        turn(8, "system", excluded=True),
        turn(9, "system", excluded=True),
        turn(10, "user"),
    ]

    assert disclosure.hidden_notes(turns) == {
        7: "2 code cells and their output not shown",
        10: "2 system messages not shown",
    }
    assert disclosure.omitted_notes(turns) == {7: "1 turn omitted by the author"}


def test_shown_material_needs_no_marker():
    turns = [turn(1, "user"), turn(2, "tool"), turn(3, "assistant")]

    assert disclosure.hidden_notes(turns) == {}


def colloquy_with_hidden_material() -> bytes:
    turns = [
        {"role": "user", "text": "Plot the primes below 30."},
        {"role": "code", "text": "```python\nprint(primes(30))\n```", "hidden": True},
        {"role": "output", "text": "[2, 3, 5, 7, 11, 13, 17, 19, 23, 29]", "hidden": True},
        {"role": "assistant", "text": "There are ten of them."},
        {"role": "tool", "text": "search('primes')", "speaker": "Tool call", "hidden": True},
        {"role": "tool", "text": "open('wiki')", "speaker": "Tool call", "hidden": True},
        {"role": "assistant", "text": "Confirmed by two sources."},
    ]
    document = {"format": "colloquy", "version": 1, "title": "Primes", "turns": turns}
    return json.dumps(document).encode()


def test_the_page_and_the_feeds_show_each_marker_where_the_material_was(app, owner, client):
    with app.app_context():
        report = import_file(
            colloquy_with_hidden_material(), "primes.json", db.session.get(User, owner)
        )
        post = db.session.get(Post, report.created[0].id)
        content.publish(post, confirmed=True, mark_reviewed=True)
        slug = post.slug

    page = client.get(f"/posts/{slug}", base_url=HTTPS).get_data(as_text=True)
    conversation = page[page.index('<section class="conversation"') :]
    order = re.findall(
        r'<p class="hidden-material" role="note">([^<]+)</p>|id="turn-(\d+)-speaker"',
        conversation,
    )
    assert [note or f"turn {number}" for note, number in order] == [
        "turn 1",
        "Code cell and its output not shown",
        "turn 2",
        "2 tool calls not shown",
        "turn 3",
    ]

    rss = ET.fromstring(client.get("/feed.xml", base_url=HTTPS).data)
    body = rss.find("channel/item/{http://purl.org/rss/1.0/modules/content/}encoded").text
    assert body.index("Code cell and its output not shown") < body.index("There are ten")
    assert body.index("2 tool calls not shown") < body.index("Confirmed by two sources")


def chatgpt_item(reply: str) -> dict:
    def node(key: str, parent: str | None, child: str | None, role: str, text: str) -> dict:
        message = {
            "author": {"role": role},
            "content": {"content_type": "text", "parts": [text]},
            "metadata": {},
            "recipient": "all",
        }
        return {
            "id": key,
            "parent": parent,
            "children": [child] if child else [],
            "message": message,
        }

    return {
        "title": "A report",
        "current_node": "a",
        "mapping": {
            "u": node("u", None, "a", "user", "Make me a CSV of the primes."),
            "a": node("a", "u", None, "assistant", reply),
        },
    }


def test_a_link_to_a_file_in_chatgpts_sandbox_becomes_text_saying_it_is_not_in_the_export():
    reply = (
        "Done: [Download the primes](sandbox:/mnt/data/primes%20list.csv), "
        "and the chart is ![plot.png](sandbox:/mnt/data/plot.png).\n\n"
        "```python\n# kept as written in code\nlink = '[x](sandbox:/mnt/data/x.csv)'\n```"
    )

    text = parse_conversation(chatgpt_item(reply)).turns[1].text

    assert "sandbox:" not in text.split("```")[0]
    assert (
        "Download the primes (primes list.csv: a file in ChatGPT's sandbox, "
        "not included in the export)"
    ) in text
    assert (
        "the chart is plot.png (a file in ChatGPT's sandbox, not included in the export)." in text
    )
    assert "link = '[x](sandbox:/mnt/data/x.csv)'" in text


def test_a_markdown_export_of_chatgpt_says_the_same_of_its_sandbox_links():
    from blog.formats.text.markdown import parse_markdown

    conversation = parse_markdown(
        "## You\n\nMake a CSV.\n\n## ChatGPT\n\nHere it is: [primes.csv](sandbox:/mnt/data/primes.csv)\n"
    )

    assert conversation.turns[1].text == (
        "Here it is: primes.csv (a file in ChatGPT's sandbox, not included in the export)"
    )
