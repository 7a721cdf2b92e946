"""Images in the turn editor, in a real browser: pick, drop, or replace a placeholder."""

from __future__ import annotations

import base64
import io
import re

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from blog.extensions import db
from blog.models import Asset, Post
from tests.browser import import_draft, turn_control

pytestmark = pytest.mark.browser

GPS_IFD = 0x8825
ASSET_URL = re.compile(r"!\[([^\]]*)\]\((/assets/([\w-]+)/[^)]+)\)")

CHART_CONVERSATION = b"""---
title: Plotting rainfall
---
Can you plot the monthly rainfall?

> Here is the plot:
>
> *[Image not included in the export: Plot]*
>
> July is the wettest month.
"""


def gps_jpeg() -> bytes:
    """A photo as a phone writes it: GPS position and camera make in its EXIF."""
    exif = Image.Exif()
    exif[0x010F] = "PocketCam"
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (51.0, 30.0, 12.5)
    out = io.BytesIO()
    Image.new("RGB", (48, 32), (30, 120, 200)).save(out, "JPEG", exif=exif.tobytes())
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)
    return data


@pytest.fixture
def draft(live_app) -> int:
    return import_draft(live_app, CHART_CONVERSATION, "plotting-rainfall.md")


def turn_ids(app, post_id: int) -> list[int]:
    with app.app_context():
        return [turn.id for turn in db.session.get(Post, post_id).turns]


def stored_image(app, token: str) -> Image.Image:
    with app.app_context():
        asset = db.session.scalar(db.select(Asset).where(Asset.token == token))
        return Image.open(io.BytesIO(asset.data))


def open_turn(page: Page, post_id: int, turn_id: int):
    page.goto(f"/studio/posts/{post_id}")
    turn = page.locator(f"#t{turn_id}")
    turn_control(turn, "a.edit-turn").click()
    expect(turn.locator("textarea.turn-source")).to_be_visible()
    return turn


def test_a_photo_picked_in_the_editor_is_stored_without_location(
    signed_in_page: Page, live_app, draft
):
    page = signed_in_page
    prompt_id = turn_ids(live_app, draft)[0]
    turn = open_turn(page, draft, prompt_id)
    expect(turn.locator(".image-upload__hint")).to_contain_text(
        "Location and camera data are removed"
    )

    turn.locator("input.image-upload__file").set_input_files(
        {"name": "harbour.jpg", "mimeType": "image/jpeg", "buffer": gps_jpeg()}
    )
    textarea = turn.locator("textarea.turn-source")
    expect(textarea).to_have_value(re.compile(r"!\[harbour\]\(/assets/[\w-]+/harbour\.jpg\)"))
    expect(turn.locator(".image-upload__status")).to_contain_text("Location and camera data")
    expect(turn.locator(".preview__body img")).to_have_count(1)
    turn.locator("button.save-turn").click()
    expect(turn.locator("textarea")).to_have_count(0)
    expect(turn.locator(".turn__body img")).to_have_attribute("alt", "harbour")

    with live_app.app_context():
        source = db.session.get(Post, draft).turns[0].source
    token = ASSET_URL.search(source)[3]
    image = stored_image(live_app, token)
    assert image.format == "JPEG" and image.size == (48, 32)
    assert len(image.getexif()) == 0 and not image.getexif().get_ifd(GPS_IFD)
    with live_app.app_context():
        assert b"PocketCam" not in db.session.scalar(
            db.select(Asset.data).where(Asset.token == token)
        )


def test_a_placeholder_is_replaced_by_the_uploaded_image(signed_in_page: Page, live_app, draft):
    page = signed_in_page
    reply_id = turn_ids(live_app, draft)[1]
    turn = open_turn(page, draft, reply_id)
    replace = turn.locator("input.image-upload__replace")
    expect(turn.locator(".image-upload__placeholders")).to_contain_text(
        "Replace with an image: Plot"
    )

    out = io.BytesIO()
    Image.new("RGBA", (30, 20), (10, 200, 10, 128)).save(out, "PNG")
    replace.set_input_files({"name": "rain.png", "mimeType": "image/png", "buffer": out.getvalue()})

    textarea = turn.locator("textarea.turn-source")
    expect(textarea).to_have_value(re.compile(r"!\[Plot\]\(/assets/[\w-]+/rain\.png\)"))
    assert "Image not included" not in textarea.input_value()
    expect(replace).to_have_count(0)
    turn.locator("button.save-turn").click()
    expect(turn.locator(".turn__body img")).to_have_attribute("alt", "Plot")
    expect(turn.locator(".turn__body")).to_contain_text("July is the wettest month.")

    with live_app.app_context():
        source = db.session.get(Post, draft).turns[1].source
    assert source.startswith("Here is the plot:\n\n![Plot](/assets/")
    assert stored_image(live_app, ASSET_URL.search(source)[3]).format == "PNG"


def drop_file(page: Page, selector: str, name: str, mime_type: str, data: bytes) -> None:
    """Drop a file on an element as the desktop would: a drop event carrying the file."""
    transfer = page.evaluate_handle(
        """([name, type, b64]) => {
            const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, { type }));
            return transfer;
        }""",
        [name, mime_type, base64.b64encode(data).decode()],
    )
    page.dispatch_event(selector, "dragover", {"dataTransfer": transfer})
    page.dispatch_event(selector, "drop", {"dataTransfer": transfer})


def test_dropping_an_image_on_the_text_uploads_it(signed_in_page: Page, live_app, draft):
    page = signed_in_page
    prompt_id = turn_ids(live_app, draft)[0]
    turn = open_turn(page, draft, prompt_id)

    drop_file(page, f"#source-{prompt_id}", "dropped.jpg", "image/jpeg", gps_jpeg())

    expect(turn.locator("textarea.turn-source")).to_have_value(
        re.compile(r"rainfall\?\n\n!\[dropped\]\(/assets/[\w-]+/dropped\.jpg\)")
    )


def test_a_refused_file_is_explained_and_the_text_is_unchanged(
    signed_in_page: Page, live_app, draft
):
    page = signed_in_page
    prompt_id = turn_ids(live_app, draft)[0]
    turn = open_turn(page, draft, prompt_id)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'

    turn.locator("input.image-upload__file").set_input_files(
        {"name": "logo.svg", "mimeType": "image/svg+xml", "buffer": svg}
    )

    expect(turn.locator(".image-upload__status.is-error")).to_contain_text(
        "SVG images are not accepted"
    )
    expect(turn.locator("textarea.turn-source")).to_have_value("Can you plot the monthly rainfall?")
    with live_app.app_context():
        assert db.session.scalar(db.select(db.func.count(Asset.id))) == 0
