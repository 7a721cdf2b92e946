"""Zip archives read safely (path tricks, symlinks, encryption, decompression bombs) and
the export assets found in them; the byte and depth limits themselves are in `limits`."""

from __future__ import annotations

import io
import re
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import BinaryIO, Protocol

from blog.formats.base import ImportFormatError
from blog.formats.limits import GuardedReader, ImportLimits, MiB

# Decompressed bytes an entry may produce before its compression ratio is held against it:
# tiny files of repeated characters compress absurdly well and are harmless.
RATIO_GRACE_BYTES = MiB

_CONVERSATION_FILE = re.compile(r"conversations(?:-\d+)?\.json", re.IGNORECASE)
_IMAGE_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


@dataclass(frozen=True)
class Asset:
    """A file found in an export for an asset pointer."""

    name: str
    data: bytes
    mime_type: str


class AssetLookup(Protocol):
    """Finds the file behind an asset pointer such as `file-service://file-abc`."""

    def find(self, pointer: str) -> Asset | None:
        """The asset the pointer names, or None when the export does not include it."""
        ...


def sniff_image_type(data: bytes) -> str | None:
    """The image MIME type the bytes carry (PNG, JPEG, GIF, WebP), whatever the file is called."""
    for signature, mime in _IMAGE_SIGNATURES:
        if data.startswith(signature):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def asset_id(pointer: str) -> str:
    """The file id inside an asset pointer: scheme and query stripped (`file-abc`, `file_0f3e…`)."""
    without_scheme = pointer.split("://", 1)[-1]
    return without_scheme.split("?", 1)[0].strip("/")


def is_ignored(name: str) -> bool:
    """True for macOS resource forks, dotfiles and folders, which are never user content."""
    parts = PurePosixPath(name).parts
    return any(part == "__MACOSX" or part.startswith(".") for part in parts)


class SafeZip:
    """A zip archive checked against path tricks, symlinks, encryption and decompression bombs."""

    def __init__(
        self, source: BinaryIO, where: str, limits: ImportLimits, *, nesting: int = 0
    ) -> None:
        self.where = where
        self.limits = limits
        self.nesting = nesting
        try:
            self._zip = zipfile.ZipFile(source)
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
            raise ImportFormatError(f"not a readable zip archive ({exc})", where) from exc
        self._check(infos)
        self._files = {
            info.filename: info
            for info in infos
            if not info.is_dir() and not is_ignored(info.filename)
        }
        self._read_so_far = 0

    def _check(self, infos: list[zipfile.ZipInfo]) -> None:
        limits = self.limits
        if len(infos) > limits.max_entries:
            raise ImportFormatError(
                f"the zip holds {len(infos):,} entries, more than the limit of {limits.max_entries:,}",
                self.where,
            )
        declared_total = 0
        for info in infos:
            name = info.filename
            path = PurePosixPath(name.replace("\\", "/"))
            if path.is_absolute() or ".." in path.parts or re.match(r"^[A-Za-z]:", name):
                raise ImportFormatError(
                    f"the zip entry {name!r} points outside the archive", self.where
                )
            if stat.S_ISLNK(info.external_attr >> 16):
                raise ImportFormatError(
                    f"the zip entry {name!r} is a symbolic link, which is not allowed", self.where
                )
            if info.flag_bits & 0x1:
                raise ImportFormatError(
                    f"the zip entry {name!r} is encrypted; export it again without a password",
                    self.where,
                )
            declared_total += info.file_size
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > RATIO_GRACE_BYTES and ratio > limits.max_ratio:
                raise ImportFormatError(
                    f"the zip entry {name!r} expands {ratio:,.0f} times "
                    f"(limit {limits.max_ratio}); it looks like a decompression bomb",
                    self.where,
                )
        if declared_total > limits.max_uncompressed_bytes:
            raise ImportFormatError(
                f"the zip expands to {declared_total:,} bytes, more than the limit of "
                f"{limits.max_uncompressed_bytes:,}",
                self.where,
            )

    def names(self) -> list[str]:
        """Names of the files worth looking at, in archive order."""
        return list(self._files)

    def describe(self, name: str) -> str:
        """Where-text for an entry, used in error messages."""
        return f"{self.where}, entry {name}"

    def open(self, name: str, *, json_depth: bool = False) -> io.BufferedReader:
        """A stream of the entry's bytes that counts against the archive's decompression budget."""
        info = self._files[name]
        budget = self.limits.max_uncompressed_bytes - self._read_so_far
        try:
            raw = self._zip.open(info)
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError) as exc:
            raise ImportFormatError(f"cannot read this entry ({exc})", self.describe(name)) from exc
        counting = _CountingReader(raw, self, name, budget)
        depth = self.limits.max_json_depth if json_depth else None
        reader = GuardedReader(
            counting, self.describe(name), self.limits.max_uncompressed_bytes, depth
        )
        return io.BufferedReader(reader, 64 * 1024)

    def read(self, name: str) -> bytes:
        """The entry's whole content (for small files such as images and Markdown)."""
        with self.open(name) as stream:
            try:
                return stream.read()
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise ImportFormatError(
                    f"the entry is damaged ({exc})", self.describe(name)
                ) from exc

    def nested(self, name: str) -> SafeZip:
        """A zip stored inside this one; only one level of nesting is accepted."""
        if self.nesting >= 1:
            raise ImportFormatError(
                "zips nested more than one level deep are not accepted", self.describe(name)
            )
        return SafeZip(
            io.BytesIO(self.read(name)), self.describe(name), self.limits, nesting=self.nesting + 1
        )

    def conversation_files(self) -> list[str]:
        """`conversations.json`, or else every `conversations-NNN.json`, per folder, at any depth."""
        by_folder: dict[str, list[str]] = {}
        for name in self._files:
            path = PurePosixPath(name)
            if _CONVERSATION_FILE.fullmatch(path.name):
                by_folder.setdefault(str(path.parent), []).append(name)
        chosen: list[str] = []
        for folder in sorted(by_folder):
            names = by_folder[folder]
            whole = [n for n in names if PurePosixPath(n).name.lower() == "conversations.json"]
            chosen.extend(whole or sorted(names))
        return chosen

    def find_file(self, basename: str) -> str | None:
        """The shallowest entry with this base name, if any."""
        matches = [n for n in self._files if PurePosixPath(n).name.lower() == basename.lower()]
        return min(matches, key=lambda n: n.count("/")) if matches else None

    def assets(self, exact_names: dict[str, str] | None = None) -> ZipAssets:
        """An asset lookup over this archive's files."""
        return ZipAssets(self, exact_names or {})

    def _count(self, name: str, amount: int) -> None:
        self._read_so_far += amount
        if self._read_so_far > self.limits.max_uncompressed_bytes:
            raise ImportFormatError(
                f"the zip expands to more than {self.limits.max_uncompressed_bytes:,} bytes "
                "(the configured limit); it looks like a decompression bomb",
                self.describe(name),
            )


class _CountingReader(io.RawIOBase):
    """Counts what an entry really decompresses to, since zip headers can lie about sizes."""

    def __init__(self, raw: BinaryIO, archive: SafeZip, name: str, budget: int) -> None:
        super().__init__()
        self._raw = raw
        self._archive = archive
        self._name = name
        self._budget = budget

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        # Never ask for more than the remaining budget plus one byte, so a bomb stops early.
        limit = self._budget + 1 if size is None or size < 0 else min(size, self._budget + 1)
        try:
            data = self._raw.read(limit)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise ImportFormatError(
                f"the entry is damaged ({exc})", self._archive.describe(self._name)
            ) from exc
        self._budget -= len(data)
        self._archive._count(self._name, len(data))
        return data

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class ZipAssets:
    """Finds export assets in a zip by file id prefix, as the ChatGPT export names them."""

    def __init__(self, archive: SafeZip, exact_names: dict[str, str]) -> None:
        self._archive = archive
        self._exact = exact_names
        self._by_prefix: dict[str, str] = {}
        for name in archive.names():
            for prefix in _id_prefixes(PurePosixPath(name).name):
                self._by_prefix.setdefault(prefix, name)

    def find(self, pointer: str) -> Asset | None:
        """The asset the pointer names, or None when the export does not include it."""
        name = self._exact.get(pointer)
        if name is not None:
            name = self._entry_named(name)
        if name is None:
            name = self._by_prefix.get(asset_id(pointer))
        if name is None:
            return None
        data = self._read_asset(name)
        return Asset(PurePosixPath(name).name, data, sniff_image_type(data) or _guess_mime(name))

    def _read_asset(self, name: str) -> bytes:
        # Read one byte past the limit at most: a huge "image" is refused, never held.
        limit = self._archive.limits.max_asset_bytes
        with self._archive.open(name) as stream:
            data = stream.read(limit + 1)
        if len(data) > limit:
            raise ImportFormatError(
                f"the attachment is larger than the limit of {limit:,} bytes",
                self._archive.describe(name),
            )
        return data

    def _entry_named(self, name: str) -> str | None:
        if name in self._archive.names():
            return name
        return self._archive.find_file(PurePosixPath(name).name)


class MemoryAssets:
    """An asset lookup over files already in memory (file name → bytes)."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self._files = files
        self._by_prefix: dict[str, str] = {}
        for name in files:
            for prefix in _id_prefixes(PurePosixPath(name).name):
                self._by_prefix.setdefault(prefix, name)

    def find(self, pointer: str) -> Asset | None:
        """The asset the pointer names, or None when it is not among the files."""
        name = self._by_prefix.get(asset_id(pointer))
        if name is None:
            return None
        data = self._files[name]
        return Asset(PurePosixPath(name).name, data, sniff_image_type(data) or _guess_mime(name))


def _id_prefixes(basename: str) -> Iterator[str]:
    """Every prefix of a file name that ends where an id could end (before `-`, `_`, `.` or the end)."""
    for match in re.finditer(r"(?<=[A-Za-z0-9])(?=[^A-Za-z0-9]|$)", basename):
        yield basename[: match.start()]


def _guess_mime(name: str) -> str:
    suffix = PurePosixPath(name).suffix.lower()
    return {
        ".png": "image/png",
        ".jpg": "image/jpeg",
        ".jpeg": "image/jpeg",
        ".gif": "image/gif",
        ".webp": "image/webp",
        ".pdf": "application/pdf",
        ".txt": "text/plain",
        ".csv": "text/csv",
    }.get(suffix, "application/octet-stream")
