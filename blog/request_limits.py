"""How large a request body each route accepts, refused with 413 before anything parses it.

A form body is parsed into memory (a 40 MB `a=b&a=b…` grew a worker by 1.8 GB), and CSRF reads
the form before it can refuse it; so the limit is checked from the headers first, and Werkzeug
enforces it again on the stream for a body sent without a length. Every route takes a small
form; a route says with `@body_limit(...)` that it takes more:

- `"text"`: a turn's text, a pasted conversation, a long list of chosen posts (`FORM_TEXT_MAX_BYTES`);
- `"image"`: an image for a post, as multipart (`MAX_UPLOAD_IMAGE_BYTES` and a form's room);
- `"upload"`: an import file, as multipart (`MAX_CONTENT_LENGTH`).

Werkzeug writes a multipart file part larger than 500 kB to a temporary file, never to memory.
A file sent without a length (`Transfer-Encoding: chunked`) is first read to its end into a
temporary file of its own, so one past the limit is refused with its reason, not parsed cut short.

Nobody signed out is ever sent more than a small form's room: every larger route is the author's.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from typing import TypeVar

from flask import Flask, abort, current_app, g, request
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

View = TypeVar("View", bound=Callable)
LIMIT_SETTINGS = {
    "form": "FORM_MAX_BYTES",
    "text": "FORM_TEXT_MAX_BYTES",
    "image": "MAX_UPLOAD_IMAGE_BYTES",
    "upload": "MAX_CONTENT_LENGTH",
}
UPLOADS = {"image", "upload"}
SPOOL_IN_MEMORY = 1024 * 1024
CHUNK = 64 * 1024


def body_limit(kind: str) -> Callable[[View], View]:
    """Let a view accept a larger body than a small form: `"text"`, `"image"` or `"upload"`."""
    if kind not in LIMIT_SETTINGS:
        raise ValueError(f"unknown body limit {kind!r}")

    def mark(view: View) -> View:
        view.body_limit = kind  # type: ignore[attr-defined]
        return view

    return mark


def route_limit() -> tuple[str, int]:
    """The kind of body the current request's route accepts from this user, and its size."""
    config = current_app.config
    view = current_app.view_functions.get(request.endpoint or "")
    kind = getattr(view, "body_limit", "form")
    if kind in UPLOADS and not (request.mimetype or "").startswith("multipart/"):
        kind = "text"  # a paste on the import page is a form of text, not a file
    if kind != "form" and not current_user.is_authenticated:
        kind = "form"
    limit = int(config[LIMIT_SETTINGS[kind]])
    if kind == "image":
        limit += int(config["FORM_MAX_BYTES"])  # the form's other fields beside the file
    return kind, limit


def refuse_large_bodies() -> None:
    """Refuse a body larger than its route accepts before it is read (413)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    kind, limit = route_limit()
    request.max_content_length = limit
    if request.content_length is not None and request.content_length > limit:
        abort(413, description=refusal(kind, limit))
    if request.content_length is None:
        # A body sent without a length: Werkzeug stops reading at the limit but would hand the
        # form parser the cut body. Read it here (kept for the parser) and refuse the excess.
        try:
            if kind in UPLOADS:
                spool_body()
            else:
                request.get_data(cache=True)
                request.stream.read(1)
        except RequestEntityTooLarge:
            abort(413, description=refusal(kind, limit))


def spool_body() -> None:
    """Read a file upload sent without a length to its end, on disk past `SPOOL_IN_MEMORY`,
    and give that to the form parser; past the limit Werkzeug's stream raises."""
    spooled = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 - closed at teardown
    g.spooled_body = spooled
    while chunk := request.stream.read(CHUNK):
        spooled.write(chunk)
    spooled.seek(0)
    request.stream = spooled


def close_spooled_body(error: BaseException | None = None) -> None:
    spooled = g.pop("spooled_body", None)
    if spooled is not None:
        spooled.close()


def refusal(kind: str, limit: int) -> str:
    """Why the body was refused, in the words of what the author was sending."""
    what = {
        "upload": "The file is larger than an import may be",
        "image": "The image is larger than an upload may be",
        "text": "The text is longer than this form accepts",
    }.get(kind, "This request is larger than this form accepts")
    return f"{what} ({readable_size(limit)}). Nothing was saved."


def readable_size(size: int) -> str:
    """A byte count as people say it: 64 kB, 8 MB, 256 MB."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):g} MB"
    return f"{size / 1024:g} kB"


def init_app(app: Flask) -> None:
    """Check body sizes first: registered before CSRF, whose check parses the form."""
    app.before_request(refuse_large_bodies)
    app.teardown_request(close_spooled_body)
