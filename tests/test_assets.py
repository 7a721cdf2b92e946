"""Imported files: bounded on the way in, streamed on the way out, never exported as pages."""

from __future__ import annotations

import html
import re
import zipfile
from pathlib import Path

import pytest

from blog import posts as content
from blog.assets import ASSET_SLICE
from blog.exports import export_static
from blog.extensions import db
from blog.formats.base import ImportFormatError
from blog.imports.files import import_file
from blog.models import Asset, Post, User
from tests.conftest import colloquy_json_with_files

FIXTURE = Path(__file__).parent / "fixtures" / "chatgpt_conversations.json"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 24
HTTPS = "https://blog.test"


def export_zip(tmp_path: Path, png: bytes = PNG) -> Path:
    export = tmp_path / "export.zip"
    with zipfile.ZipFile(export, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("conversations.json", FIXTURE.read_bytes())
        archive.writestr("dalle-generations/file-CATHAT01-8f2c.webp", WEBP)
        archive.writestr("file_00000000deadbeef00000000deadbeef.dat", png)
        archive.writestr("file-PLOT0001-668a89e9", JPEG)
    return export


def test_an_oversized_attachment_refuses_the_import(app, owner, tmp_path):
    app.config["ASSET_MAX_BYTES"] = 10_000
    export = export_zip(tmp_path, PNG + b"\x00" * 50_000)  # compresses to almost nothing
    with app.app_context(), pytest.raises(ImportFormatError, match="larger than the limit"):
        import_file(export, "export.zip", db.session.get(User, owner))
    with app.app_context():
        assert db.session.query(Asset).count() == 0


def test_attachments_over_the_per_import_total_refuse_the_import(app, owner, tmp_path):
    app.config["IMPORT_ASSETS_MAX_BYTES"] = len(PNG + JPEG + WEBP) - 1
    with app.app_context(), pytest.raises(ImportFormatError, match="per import"):
        import_file(export_zip(tmp_path), "export.zip", db.session.get(User, owner))
    app.config["IMPORT_ASSETS_MAX_BYTES"] = 10_000
    with app.app_context():
        assert import_file(export_zip(tmp_path), "export.zip", db.session.get(User, owner))


def published_with_assets(app, owner, files: dict[str, bytes]) -> dict[str, str]:
    """A published post linking these files; each file's token (its address's secret part)."""
    with app.app_context():
        post = content.create_post(db.session.get(User, owner), "With files")
        ids = {}
        for name, data in files.items():
            asset = Asset(post_id=post.id, name=name, mime_type="image/png", data=data)
            db.session.add(asset)
            db.session.commit()
            ids[name] = asset.token
        links = "\n\n".join(f"[{name}](/assets/{ids[name]}/{name})" for name in files)
        content.save_turn(content.add_turn(post, "user"), links, None)
        content.publish(post, status="published", confirmed=True, mark_reviewed=True)
        return ids


def test_an_asset_is_streamed_in_slices(app, client, owner):
    data = PNG + bytes(range(256)) * (ASSET_SLICE // 256 * 3)
    ids = published_with_assets(app, owner, {"big.png": data})
    response = client.get(f"/assets/{ids['big.png']}/big.png", base_url=HTTPS, buffered=False)
    assert response.is_streamed
    assert int(response.headers["Content-Length"]) == len(data)
    chunks = list(response.response)
    assert len(chunks) > 3 and max(len(c) for c in chunks) <= ASSET_SLICE
    assert b"".join(chunks) == data
    response.close()


def test_static_export_writes_only_real_images_as_images(app, owner, tmp_path):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    html = b"<html><script>alert(1)</script></html>"
    ids = published_with_assets(
        app, owner, {"photo.png": PNG, "real.svg": PNG, "drawing.svg": svg, "page.html": html}
    )
    with app.app_context():
        export_static(app, tmp_path / "site")
    exported = {
        path.relative_to(tmp_path / "site" / "assets").as_posix()
        for path in (tmp_path / "site" / "assets").rglob("*")
        if path.is_file()
    }
    # A real image keeps its name only when its extension matches its bytes; anything else
    # becomes `.bin`, which no static host serves as HTML or SVG.
    assert exported == {
        f"{ids['photo.png']}/photo.png",
        f"{ids['real.svg']}/real.svg.bin",
        f"{ids['drawing.svg']}/drawing.svg.bin",
        f"{ids['page.html']}/page.html.bin",
    }
    assert not any(name.endswith((".svg", ".html", ".htm")) for name in exported)


def test_an_exported_site_holds_every_attachment_its_pages_link_to(app, owner, tmp_path):
    pdf = b"%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n"
    attachments = {
        "report.pdf": ("application/pdf", pdf),
        "notes": ("text/plain", b"Plain notes.\n"),
        "page.html": ("text/html", b"<script>alert(1)</script>"),
        "tool.exe": ("application/octet-stream", b"MZ\x90\x00"),
        "chart.png": ("image/png", PNG),
    }
    with app.app_context():
        report = import_file(
            colloquy_json_with_files("Files attached", attachments).encode(),
            "files.json",
            db.session.get(User, owner),
        )
        post = db.session.get(Post, report.created[0].id)
        content.publish(post, confirmed=True, mark_reviewed=True)
        slug = post.slug
    site = tmp_path / "site"
    result = app.test_cli_runner().invoke(args=["export", "--static", str(site)])
    assert result.exit_code == 0, result.output

    page = (site / "posts" / slug / "index.html").read_text()
    links = dict(
        (html.unescape(text), html.unescape(href))
        for href, text in re.findall(r'<a href="(/assets/[^"]+)"[^>]*>([^<]+)</a>', page)
    )
    assert set(links) == set(attachments)
    files = {name: site / links[name].lstrip("/") for name in links}
    for name, (_mime, data) in attachments.items():
        assert files[name].read_bytes() == data, name
    # Documents keep an extension a static host serves them by; a page, a program or a
    # file of no known type is linked and written as `.bin`, an image as itself.
    assert {name: files[name].name for name in links} == {
        "report.pdf": "report.pdf",
        "notes": "notes.txt",
        "page.html": "page.html.bin",
        "tool.exe": "tool.exe.bin",
        "chart.png": "chart.png",
    }


def test_the_upgrade_renames_attachments_stored_before_the_naming_rule(tmp_path):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from blog import create_app
    from blog.accounts import create_user
    from tests.conftest import PASSWORD, app_settings

    app = create_app(app_settings(tmp_path))
    files = {
        "page.html": ("text/html", b"<script>alert(1)</script>"),
        "chart.png": ("image/png", PNG),
    }
    with app.app_context():
        upgrade()
        author = create_user("alice", PASSWORD, "Alice Author")
        report = import_file(
            colloquy_json_with_files("Old files", files).encode(), "files.json", author
        )
        post = db.session.get(Post, report.created[0].id)
        content.publish(post, confirmed=True, mark_reviewed=True)
        slug = post.slug
        page_id = db.session.scalar(db.select(Asset.id).where(Asset.name == "page.html.bin"))
        db.session.remove()
        # Back to the schema before the rule (links by id), and to what the code stored then:
        # the tidied name, and links to it.
        downgrade(revision="0007_search_prefix_index")
        new, old = f"/assets/{page_id}/page.html.bin", f"/assets/{page_id}/page.html"
        assert new in db.session.scalar(text("SELECT data FROM revisions"))
        db.session.execute(
            text("UPDATE assets SET name = 'page.html' WHERE id = :i"), {"i": page_id}
        )
        for table, column in (("turns", "source"), ("turns", "html"), ("revisions", "data")):
            db.session.execute(
                text(f"UPDATE {table} SET {column} = REPLACE({column}, :new, :old)"),
                {"new": new, "old": old},
            )
        db.session.commit()
        assert old in db.session.scalar(text("SELECT data FROM revisions"))

        upgrade()

        names = dict(db.session.execute(db.select(Asset.id, Asset.name)).all())
        assert names[page_id] == "page.html.bin"
        assert sorted(names.values()) == ["chart.png", "page.html.bin"]
        token = db.session.scalar(db.select(Asset.token).where(Asset.id == page_id))
        new = f"/assets/{token}/page.html.bin"
        revision_data = db.session.scalar(text("SELECT data FROM revisions"))
        sources = " ".join(db.session.scalars(text("SELECT source || html FROM turns")))
        for stored in (revision_data, sources):
            assert new in stored and f"/assets/{page_id}/" not in stored
        db.session.remove()

    site = tmp_path / "site"
    result = app.test_cli_runner().invoke(args=["export", "--static", str(site)])
    assert result.exit_code == 0, result.output
    page = (site / "posts" / slug / "index.html").read_text()
    linked = re.findall(r'href="(/assets/[^"]+)"', page)
    assert new in linked
    assert all((site / link.lstrip("/")).is_file() for link in linked)
    with app.app_context():
        db.engine.dispose()
