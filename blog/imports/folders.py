"""Folders given to the import command: a Claude Code session read with its sub-agents.

A Claude Code project folder holds `<session>.jsonl` beside a `<session>/` folder of
sub-agent logs and their meta files. Imported file by file, each agent log would be a post of
its own and each meta file a refusal; so a session and its folder are read together, as the
zip of them would be (`formats.zip_walk` folds each sub-agent run under its call).
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from ..formats.claude.code_project import Layout


def claude_code_sessions(files: Iterable[Path]) -> dict[Path, list[Path]]:
    """Each session log among `files` that has a folder of its own, with the files in it."""
    files = list(files)
    layout = Layout.of([path.as_posix() for path in files])
    folders = {Path(name).with_suffix(""): Path(name) for name in layout.sessions}
    sessions: dict[Path, list[Path]] = {}
    for path in files:
        session = next((folders[p] for p in path.parents if p in folders), None)
        if session is not None:
            sessions.setdefault(session, []).append(path)
    return sessions


def session_zip(session: Path, members: list[Path]) -> BinaryIO:
    """A zip of the session log and its folder, as a stream at its start (the caller closes it)."""
    spool = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)  # noqa: SIM115
    root = session.parent
    with zipfile.ZipFile(spool, "w", zipfile.ZIP_STORED) as archive:
        for path in [session, *members]:
            archive.write(path, path.relative_to(root).as_posix())
    spool.seek(0)
    return spool  # type: ignore[return-value]
