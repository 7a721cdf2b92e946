"""Reading an import takes time linear in its size, whatever the file holds."""

from __future__ import annotations

from blog.importers.chatgpt import extract_chat_html
from tests.complexity import growth

BOUND = 30  # 8 times the input: a linear reader about 8, a quadratic one 64


def chat_html(assets: str) -> str:
    return f"<html><script>var jsonData = [];\nvar assetsJson = {{{assets}</script></html>"


def test_chat_html_asset_names_read_in_linear_time() -> None:
    # A JS object literal rather than JSON, with a long unquoted run where a key may start.
    assert growth(lambda html: extract_chat_html(html), lambda n: chat_html("a" * n), 4000) < BOUND


def test_chat_html_loose_asset_names_still_read() -> None:
    html = chat_html('file_abc: \'photo.png\', "file-def": "doc.pdf"}')
    assert extract_chat_html(html)[1] == {"file_abc": "photo.png", "file-def": "doc.pdf"}
