"""Finding attachment files on disk: where an export's ``location`` points, size, SHA-256.

A location is a path relative to the attachment directory, an absolute path, or a URL. For a URL
the file is looked up as ``<dir>/<last two URL path segments>`` (Jira's
``.../secure/attachment/10001/name.png`` → ``10001/name.png``), then ``<dir>/<last segment>``,
then ``<dir>/<filename>``. Files are hashed in chunks; results are cached per path.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from migrator.model import Attachment

CHUNK = 1024 * 1024
MAX_FILENAME = 255


@dataclass(frozen=True)
class FileInfo:
    path: Path
    size: int
    sha256: str


@dataclass(frozen=True)
class FileProblem:
    kind: str  # attachment.missing | attachment.unreadable | attachment.too_large
    message: str
    hint: str


class AttachmentFiles:
    """Resolves and fingerprints attachment files below one directory."""

    def __init__(self, directory: Path, max_size_mb: float) -> None:
        self.directory = directory
        self.max_bytes = int(max_size_mb * 1024 * 1024)
        self._cache: dict[Path, FileInfo | FileProblem] = {}

    def candidates(self, attachment: Attachment) -> list[Path]:
        """Where the file may be, in the order tried."""
        location = (attachment.location or "").strip()
        if not location:
            return [self.directory / attachment.filename]
        parts = urlsplit(location)
        if parts.scheme.lower() in ("http", "https", "ftp", "file") and parts.netloc + parts.path:
            segments = [unquote(s) for s in parts.path.split("/") if s]
            found: list[Path] = []
            if len(segments) >= 2:
                found.append(self.directory / segments[-2] / segments[-1])
            if segments:
                found.append(self.directory / segments[-1])
            found.append(self.directory / attachment.filename)
            return list(dict.fromkeys(found))
        path = Path(location)
        return [path if path.is_absolute() else self.directory / path]

    def resolve(self, attachment: Attachment) -> FileInfo | FileProblem:
        tried = self.candidates(attachment)
        for path in tried:
            if path.exists():
                return self._inspect(path)
        where = ", ".join(str(p) for p in tried)
        return FileProblem(
            "attachment.missing",
            f"file {attachment.filename!r} not found",
            f"looked for {where}; put the files under source.files.directory ({self.directory})",
        )

    def _inspect(self, path: Path) -> FileInfo | FileProblem:
        cached = self._cache.get(path)
        if cached is None:
            cached = self._fingerprint(path)
            self._cache[path] = cached
        return cached

    def _fingerprint(self, path: Path) -> FileInfo | FileProblem:
        try:
            if not path.is_file():
                return FileProblem("attachment.unreadable", f"{path} is not a regular file", "point the location at a file")
            size = path.stat().st_size
            if size > self.max_bytes:
                return FileProblem(
                    "attachment.too_large",
                    f"{path} is {size / 1024 / 1024:.1f} MB, over the {self.max_bytes / 1024 / 1024:g} MB limit",
                    "Tracker takes files up to 1024 MB; source.files.max_size_mb sets the limit checked here",
                )
            digest = hashlib.sha256()
            size = 0
            with path.open("rb") as handle:
                while chunk := handle.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
        except OSError as exc:
            return FileProblem("attachment.unreadable", f"cannot read {path}: {exc.strerror or exc}", "check the file's permissions")
        return FileInfo(path, size, digest.hexdigest())
