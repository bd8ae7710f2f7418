"""Content-addressed file storage under the media root.

A blob lives at ``<root>/sha256/ab/cd/<sha256>``: the name is the hash of the
bytes, never anything a client sent, so path traversal cannot happen. A write
goes to a temporary file in the same file system, is fsynced, renamed into
place and the directory fsynced (its parents once per process), so once
``put`` returns the bytes survive a crash. Writing the same bytes twice is a
no-op, which makes every retry of an upload safe; a blob that no row refers to (the request failed after storing
it) is simply reused by the retry.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from server.settings import Settings

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# Leaf directories whose parents this process has fsynced (at most 65,536 of them per media root).
_durable_dirs: set[str] = set()
_MAX_DURABLE_DIRS = 200_000


@dataclass(frozen=True)
class StoredBlob:
    """Where some bytes ended up."""

    sha256: str
    size: int
    path: Path


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sha256_hex(data: bytes) -> str:
    """The lowercase hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


class MediaStore:
    """Blobs by SHA-256 under one root directory."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.objects = self.root / "sha256"
        self.tmp = self.root / "tmp"

    def path_for(self, sha256: str) -> Path:
        """The file of a blob; refuses anything that is not a hex SHA-256."""
        if not _SHA256.match(sha256 or ""):
            raise ValueError(f"not a sha256: {sha256!r}")
        return self.objects / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        """True when the blob is stored."""
        return self.path_for(sha256).is_file()

    def put(self, data: bytes) -> StoredBlob:
        """Store ``data`` durably (file and directory fsynced) and return its address."""
        sha = sha256_hex(data)
        final = self.path_for(sha)
        if final.is_file() and final.stat().st_size == len(data):
            _fsync_dir(final.parent)  # a crash may have come between an earlier rename and its directory fsync
            return StoredBlob(sha, len(data), final)
        self.tmp.mkdir(parents=True, exist_ok=True)
        self._make_dirs(final.parent)
        fd, tmp_name = tempfile.mkstemp(dir=self.tmp, prefix=sha[:16] + ".")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp_name, final)
        except BaseException:
            try:
                os.unlink(tmp_name)
            except FileNotFoundError:
                pass
            raise
        _fsync_dir(final.parent)  # the new name; its directories were made durable when they were made
        return StoredBlob(sha, len(data), final)

    def _make_dirs(self, leaf: Path) -> None:
        """Create ``sha256/ab/cd`` as needed and make its chain of entries durable, once per process.

        Once this process has fsynced the parents of a directory, a later write into it needs
        only two fsyncs (the file, its directory) instead of four. Each process does it once
        itself, so a directory another process is still making is never trusted unsynced.
        """
        if str(leaf) in _durable_dirs and leaf.is_dir():
            return
        leaf.mkdir(parents=True, exist_ok=True)
        for directory in (leaf.parent, leaf.parent.parent):
            _fsync_dir(directory)
        if len(_durable_dirs) < _MAX_DURABLE_DIRS:
            _durable_dirs.add(str(leaf))

    def read(self, sha256: str) -> bytes:
        """The bytes of a stored blob (FileNotFoundError if missing)."""
        return self.path_for(sha256).read_bytes()

    def clean_tmp(self, older_than_seconds: float = 3600) -> int:
        """Remove temporary files that a crashed write left behind."""
        import time

        if not self.tmp.is_dir():
            return 0
        removed = 0
        cutoff = time.time() - older_than_seconds
        for entry in self.tmp.iterdir():
            if entry.is_file() and entry.stat().st_mtime < cutoff:
                entry.unlink(missing_ok=True)
                removed += 1
        return removed


def media_store(settings: Settings) -> MediaStore:
    """The store under the settings' media root."""
    return MediaStore(settings.media_root)
