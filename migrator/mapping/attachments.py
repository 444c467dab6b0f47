"""Finding attachment files on disk: where an export's ``location`` points, size, SHA-256.

A location is a path relative to the attachment directory, an absolute path, or a URL. For a URL
the file is looked up as ``<dir>/<last two URL path segments>`` (Jira's
``.../secure/attachment/10001/name.png`` → ``10001/name.png``), then
``<dir>/<last segment>/<filename>`` (Jira Cloud's ``.../attachment/content/10001`` →
``10001/name.png``), then ``<dir>/<last segment>``, then ``<dir>/<filename>``. Files are hashed in chunks; results are cached per path.

With ``source.files.download: true`` an http(s) location that has no local copy is downloaded
from the source system into a content-addressed cache (see :mod:`migrator.mapping.downloads`);
the planned attachment's path is then the cached file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from migrator.mapping.downloads import Credentials, Downloader, DownloadPolicy, FetchProblem, download_url
from migrator.model import Attachment
from migrator.sources.spec import AttachmentFilesSpec

CHUNK = 1024 * 1024
MAX_FILENAME = 255


@dataclass(frozen=True)
class FileInfo:
    path: Path
    size: int
    sha256: str


@dataclass(frozen=True)
class FileProblem:
    kind: str  # attachment.missing | .unreadable | .too_large | .download_failed | .host_not_allowed
    message: str
    hint: str


class AttachmentFiles:
    """Resolves and fingerprints attachment files below one directory; downloads URL locations
    without a local copy when given a ``downloader``."""

    def __init__(self, directory: Path, max_size_mb: float, downloader: Downloader | None = None) -> None:
        self.directory = directory
        self.max_bytes = int(max_size_mb * 1024 * 1024)
        self.downloader = downloader
        self._cache: dict[Path, FileInfo | FileProblem] = {}

    @classmethod
    def from_spec(
        cls, spec: AttachmentFilesSpec, source_dir: Path, env: Mapping[str, str]
    ) -> AttachmentFiles:
        """``directory`` is relative to ``source_dir``; the download cache to the current directory;
        ``env`` holds the variable named by ``auth_env``."""
        downloader = None
        if spec.download:
            cache = Path(spec.cache).expanduser()
            policy = DownloadPolicy(
                cache_dir=cache if cache.is_absolute() else Path.cwd() / cache,
                max_bytes=int(spec.max_size_mb * 1024 * 1024),
                allowed_hosts=frozenset(h.lower() for h in spec.allowed_hosts)
                if spec.allowed_hosts is not None
                else None,
            )
            downloader = Downloader(policy, Credentials(spec.auth_env, env))
        return cls(source_dir / (spec.directory or ""), spec.max_size_mb, downloader)

    def candidates(self, attachment: Attachment) -> list[Path]:
        """Where the file may be, in the order tried."""
        location = (attachment.location or "").strip()
        if not location:
            return [self.directory / attachment.filename]
        parts = urlsplit(location)
        if _is_url(location):
            segments = [unquote(s) for s in parts.path.split("/") if s]
            found: list[Path] = []
            if len(segments) >= 2:
                found.append(self.directory / segments[-2] / segments[-1])
            if segments:
                # Jira Cloud's .../attachment/content/<id> names the file by its id only
                found.append(self.directory / segments[-1] / attachment.filename)
                found.append(self.directory / segments[-1])
            found.append(self.directory / attachment.filename)
            return list(dict.fromkeys(found))
        path = Path(location)
        return [path if path.is_absolute() else self.directory / path]

    def resolve(self, attachment: Attachment) -> FileInfo | FileProblem:
        """A local copy first; then, for an http(s) location and a downloader, the download."""
        tried = self.candidates(attachment)
        from_url = _is_url(attachment.location or "")
        for path in tried:
            if path.is_file() or (path.exists() and not from_url):  # a URL's id folder is not the file
                return self._inspect(path)
        url = download_url(attachment.location)
        if url is not None and self.downloader is not None:
            return _download(self.downloader, url, attachment)
        return self._missing(attachment, tried, url)

    def _missing(self, attachment: Attachment, tried: list[Path], url: str | None) -> FileProblem:
        where = ", ".join(str(p) for p in tried)
        hint = f"looked for {where}; put the files under source.files.directory ({self.directory})"
        if url is not None:
            hint += ", or set source.files.download: true to fetch them from the source system"
        return FileProblem("attachment.missing", f"file {attachment.filename!r} not found", hint)

    def _inspect(self, path: Path) -> FileInfo | FileProblem:
        cached = self._cache.get(path)
        if cached is None:
            cached = self._fingerprint(path)
            self._cache[path] = cached
        return cached

    def _fingerprint(self, path: Path) -> FileInfo | FileProblem:
        try:
            if not path.is_file():
                return FileProblem(
                    "attachment.unreadable", f"{path} is not a regular file", "point the location at a file"
                )
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
            return FileProblem(
                "attachment.unreadable",
                f"cannot read {path}: {exc.strerror or exc}",
                "check the file's permissions",
            )
        return FileInfo(path, size, digest.hexdigest())


def _download(downloader: Downloader, url: str, attachment: Attachment) -> FileInfo | FileProblem:
    result = downloader.fetch(url, attachment.filename)
    if isinstance(result, FetchProblem):
        return FileProblem(result.kind, result.message, result.hint)
    return FileInfo(result.path, result.size, result.sha256)


def _is_url(location: str) -> bool:
    parts = urlsplit(location.strip())
    return parts.scheme.lower() in ("http", "https", "ftp", "file") and bool(parts.netloc + parts.path)
