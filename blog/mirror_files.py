"""The mirror's files on disk: where a URL lives, atomic writes, removals, the lock.

Decisions worth knowing:
- A page is written to a temporary file in its own folder and renamed over the old one,
  so a reader (nginx) sees the old bytes or the new ones, never half a page. A file whose
  bytes did not change is left alone, so its ETag and Last-Modified stay put.
- A missing file is never wrong (the proxy then asks the app); a stale one would be. So
  whatever cannot be written is removed instead.
- Names starting with a dot are the mirror's own (its records, the lock, temporary files)
  and are never a page: no URL may map to one.
- Every page has a gzip twin (`index.html.gz`) that the proxy sends to readers who accept
  gzip (nginx `gzip_static`, Caddy `precompressed`): compressing a 100 kB page on every
  request made nginx slower than the app. The twin is written before its page and removed
  after it, so while its page is there it is never older than the page.
"""

from __future__ import annotations

import contextlib
import fcntl
import filecmp
import gzip
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import unquote

RECORDS = ".mirror"
PAGE_QUERY = "page="
GZIP_TWIN = ".gz"


class UnsafePath(ValueError):
    """A URL that cannot be stored as a file inside the mirror."""


def target(path: str) -> str:
    """The file of a URL, relative to the mirror: `/posts/x` → `posts/x/index.html`.

    `?page=N` becomes `index.page-N.html` beside the page's `index.html`; files with an
    extension keep their name.
    """
    route, _, query = path.partition("?")
    parts = [unquote(part) for part in route.strip("/").split("/") if part]
    for part in parts:
        if part.startswith(".") or "\x00" in part:
            raise UnsafePath(f"{path} cannot be stored in the mirror")
    if query and not (query.startswith(PAGE_QUERY) and query[len(PAGE_QUERY) :].isdigit()):
        raise UnsafePath(f"{path}: only ?page=N is stored")
    page = f".page-{query[len(PAGE_QUERY) :]}" if query else ""
    if parts and "." in parts[-1] and not page:
        return "/".join(parts)
    return "/".join([*parts, f"index{page}.html"])


def write_page(root: Path, relative: str, body: bytes) -> bool:
    """Write a page and its gzip twin; False when both were already there."""
    if holds(root / relative, body) and (root / (relative + GZIP_TWIN)).is_file():
        return False
    # mtime=0: the same page always compresses to the same bytes, so its ETag stays put.
    write_atomically(root, relative + GZIP_TWIN, gzip.compress(body, compresslevel=9, mtime=0))
    return write_atomically(root, relative, body)


def holds(path: Path, data: bytes) -> bool:
    with contextlib.suppress(OSError):
        return path.stat().st_size == len(data) and path.read_bytes() == data
    return False


def write_atomically(root: Path, relative: str, data: bytes | Iterable[bytes]) -> bool:
    """Put `data` (bytes, or chunks of them) at `relative` under `root` by rename;
    False when it was already there."""
    path = root / relative
    if isinstance(data, bytes):
        if holds(path, data):
            return False
        data = (data,)
        compare = False  # just done, in memory
    else:
        compare = path.is_file()  # chunks are compared once written, never all held at once
    make_folders(root, path.parent)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as out:
            for chunk in data:
                out.write(chunk)
        if compare and filecmp.cmp(temporary, path, shallow=False):
            os.unlink(temporary)
            return False
        # mkstemp creates 0600; the web server reads these files as another user.
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return True


def make_folders(root: Path, folder: Path) -> None:
    """Create `folder` and its missing parents below `root`, readable by the web server."""
    missing = []
    while folder != root and not folder.is_dir():
        missing.append(folder)
        folder = folder.parent
    for created in reversed(missing):
        created.mkdir(exist_ok=True)
        # The service runs with umask 0077; the proxy reads these folders as another user.
        os.chmod(created, 0o755)


def remove(root: Path, relative: str) -> bool:
    """Delete a mirrored file, then its gzip twin, and the folders they leave empty;
    False when the file was absent."""
    path = root / relative
    found = False
    for each in (path, root / (relative + GZIP_TWIN)):
        with contextlib.suppress(FileNotFoundError):
            each.unlink()
            found = found or each == path
    parent = path.parent
    while parent != root:
        try:
            parent.rmdir()
        except OSError:
            break
        parent = parent.parent
    return found


def files_under(root: Path, folder: str) -> Iterator[str]:
    """Every file below `folder` (relative to root), the mirror's own dot-files excepted;
    a gzip twin is named as the page it is a twin of."""
    base = root / folder
    if not base.is_dir():
        return
    for path in base.rglob("*"):
        relative = path.relative_to(root)
        if path.is_file() and not any(p.startswith(".") for p in relative.parts):
            yield relative.as_posix().removesuffix(GZIP_TWIN)


@contextlib.contextmanager
def locked(root: Path) -> Iterator[None]:
    """One writer at a time across every process on the host (gunicorn workers, the worker).

    A writer renders after it holds the lock, so the last one to write has read the latest
    commit: two changes committed close together can never leave the older page behind.
    """
    if not root.is_dir():
        root.mkdir(parents=True)
        os.chmod(root, 0o755)
    records = root / RECORDS
    records.mkdir(exist_ok=True)
    with (records / "lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
