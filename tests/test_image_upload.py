"""Images uploaded in the editor: re-encoded without metadata, stored as assets, or refused."""

from __future__ import annotations

import io
import random

import pytest
from PIL import Image
from sqlalchemy import func, select

from blog import posts as content
from blog.extensions import db
from blog.models import Asset, Post
from blog.posts.assets import placeholders

GPS_IFD = 0x8825
ORIENTATION = 0x0112
MAKE = 0x010F


def camera_jpeg(size=(60, 30), orientation: int = 6) -> bytes:
    """A JPEG as a phone writes it: camera make, GPS position and an orientation tag."""
    exif = Image.Exif()
    exif[MAKE] = "PocketCam"
    exif[ORIENTATION] = orientation
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (51.0, 30.0, 12.5)
    gps[3] = "W"
    gps[4] = (0.0, 7.0, 39.0)
    out = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def encoded(kind: str, size=(20, 10), mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, 0).save(out, kind)
    return out.getvalue()


def noise_png() -> bytes:
    """A PNG that does not compress, so cutting it short cuts its pixel data."""
    out = io.BytesIO()
    Image.frombytes("RGB", (64, 64), random.Random(7).randbytes(64 * 64 * 3)).save(out, "PNG")
    return out.getvalue()


def upload(author, post_id: int, data: bytes, filename: str, **form):
    return author.post(
        f"/studio/posts/{post_id}/images",
        data={"image": (io.BytesIO(data), filename), **form},
        content_type="multipart/form-data",
    )


def asset_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Asset.id)))


def test_a_phone_photo_is_stored_upright_without_location_or_camera_data(app, author, make_post):
    post_id = make_post()
    data = camera_jpeg()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)

    response = upload(author, post_id, data, "IMG_0042.JPG", alt="The harbour")

    assert response.status_code == 201, response.get_data(as_text=True)
    answer = response.get_json()
    assert answer["markdown"] == f"![The harbour]({answer['url']})"
    assert "Location and camera data were removed" in answer["message"]
    served = author.get(answer["url"])
    assert served.status_code == 200
    assert served.mimetype == "image/jpeg"
    assert served.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    stored = Image.open(io.BytesIO(served.data))
    assert stored.format == "JPEG"
    assert stored.size == (30, 60)  # turned upright by the orientation tag, then forgotten
    exif = stored.getexif()
    assert len(exif) == 0 and not exif.get_ifd(GPS_IFD)
    assert b"PocketCam" not in served.data and b"Exif" not in served.data
    with app.app_context():
        asset = db.session.scalars(select(Asset)).one()
        assert (asset.post_id, asset.name) == (post_id, "IMG_0042.jpg")


@pytest.mark.parametrize(
    ("kind", "mime_type", "mode"),
    [("PNG", "image/png", "RGBA"), ("GIF", "image/gif", "P"), ("WEBP", "image/webp", "RGB")],
)
def test_each_accepted_format_keeps_its_type(app, author, make_post, kind, mime_type, mode):
    post_id = make_post()

    response = upload(author, post_id, encoded(kind, mode=mode), f"chart.{kind.lower()}")

    assert response.status_code == 201, response.get_data(as_text=True)
    served = author.get(response.get_json()["url"])
    assert served.mimetype == mime_type
    assert Image.open(io.BytesIO(served.data)).format == kind


def test_png_text_and_icc_metadata_are_dropped(app, author, make_post):
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Alice at 51.5N 0.12W")
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "PNG", pnginfo=info, icc_profile=b"\0" * 128)

    response = upload(author, make_post(), out.getvalue(), "screen.png")

    served = author.get(response.get_json()["url"])
    assert b"51.5N" not in served.data
    assert Image.open(io.BytesIO(served.data)).info == {}


@pytest.mark.parametrize(
    ("data", "filename", "status", "says"),
    [
        (
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script/></svg>',
            "logo.svg",
            415,
            "SVG images are not accepted",
        ),
        (b"%PDF-1.7 not a picture", "report.png", 415, "not a PNG, JPEG, GIF or WebP image"),
        (encoded("BMP"), "old.bmp", 415, "not a PNG, JPEG, GIF or WebP image"),
        (encoded("PNG")[:40], "header.png", 415, "not a PNG, JPEG, GIF or WebP image"),
        (noise_png()[:3000], "cut.png", 422, "damaged or incomplete"),
    ],
)
def test_what_is_not_an_accepted_image_is_refused_and_nothing_is_saved(
    app, author, make_post, data, filename, status, says
):
    post_id = make_post()

    response = upload(author, post_id, data, filename)

    assert response.status_code == status
    assert says in response.get_json()["error"]
    assert asset_count(app) == 0


def test_a_file_over_the_byte_limit_is_refused(app, author, make_post):
    app.config["MAX_UPLOAD_IMAGE_BYTES"] = 1000
    post_id = make_post()

    response = upload(
        author, post_id, encoded("PNG", size=(400, 400), mode="RGB") + b"\0" * 2000, "big.png"
    )

    assert response.status_code == 413
    assert "the largest accepted is 1.0 KB" in response.get_json()["error"]
    assert asset_count(app) == 0


def test_an_image_over_the_pixel_limit_is_refused_before_decoding(app, author, make_post):
    app.config["MAX_UPLOAD_IMAGE_PIXELS"] = 1_000_000
    post_id = make_post()
    # Small on disk, large in memory: the header alone decides.
    data = encoded("PNG", size=(2000, 1000), mode="1")
    assert len(data) < 10_000

    response = upload(author, post_id, data, "bomb.png")

    assert response.status_code == 422
    assert "2000 × 1000 pixels" in response.get_json()["error"]
    assert "1 megapixels" in response.get_json()["error"]
    assert asset_count(app) == 0


def test_an_upload_without_a_file_is_refused(app, author, make_post):
    response = author.post(f"/studio/posts/{make_post()}/images", data={})

    assert response.status_code == 400
    assert "Choose an image file" in response.get_json()["error"]


def test_an_upload_without_the_csrf_token_is_refused(app, author, make_post):
    post_id = make_post()

    response = author.client.post(
        f"/studio/posts/{post_id}/images",
        data={"image": (io.BytesIO(camera_jpeg()), "a.jpg")},
        content_type="multipart/form-data",
        base_url="https://blog.test",
    )

    assert response.status_code == 400
    assert asset_count(app) == 0


def test_signed_out_visitors_cannot_upload(app, client, make_post):
    post_id = make_post()

    response = client.post(
        f"/studio/posts/{post_id}/images",
        data={"image": (io.BytesIO(camera_jpeg()), "a.jpg")},
        content_type="multipart/form-data",
        base_url="https://blog.test",
    )

    assert response.status_code in (302, 400, 401)
    assert asset_count(app) == 0


def test_the_editor_offers_upload_and_a_replace_control_per_placeholder(app, author, make_post):
    source = (
        "Here is the chart:\n\n*[Image not included in the export: Plot]*\n\n"
        "and the map *[Image not included in the export]*"
    )
    post_id = make_post(turns=[("user", source)])
    with app.app_context():
        turn_id = db.session.get(Post, post_id).turns[0].id

    page = author.get(
        f"/studio/posts/{post_id}/turns/{turn_id}/edit", headers={"HX-Request": "true"}
    ).get_data(as_text=True)

    assert "Location and camera data are removed" in page
    assert 'class="image-upload__file"' in page
    assert page.count("Replace with an image") == 2
    assert 'data-placeholder="*[Image not included in the export: Plot]*"' in page
    assert 'data-alt="Plot"' in page


def test_placeholders_are_found_as_the_importers_write_them():
    text = "*[Image not included in the export: Plot]* and *[Image not included in the export]*"

    assert placeholders(text) == [
        ("*[Image not included in the export: Plot]*", "Plot"),
        ("*[Image not included in the export]*", ""),
    ]


def test_alt_text_cannot_break_out_of_the_image_reference(app, author, make_post):
    response = upload(author, make_post(), encoded("PNG"), "x.png", alt="a] (javascript:x) [b")

    markdown = response.get_json()["markdown"]
    assert markdown.startswith("![a\\] (javascript:x) \\[b](/assets/")
    with app.app_context():
        html = content.render_html(markdown)
    assert '<img src="/assets/' in html
    assert 'alt="a] (javascript:x) [b"' in html
    assert "href=" not in html
