"""Finding attachment files on disk: where an export's ``location`` points, size, SHA-256.

A location is a path relative to the attachment directory, an absolute path, or a URL. For a URL
the file is looked up as ``<dir>/<last two URL path segments>`` (Jira's
``.../secure/attachment/10001/name.png`` → ``10001/name.png``), then
``<dir>/<last segment>/<filename>`` (Jira Cloud's ``.../attachment/content/10001`` →
``10001/name.png``), then ``<dir>/<last segment>``, then ``<dir>/<filename>``. Last, files kept per
issue are tried: ``<dir>/<issue key>/<filename>`` and ``<dir>/<issue id>/<filename>`` (an export that
names files only, such as Redmine's CSV, whose files were downloaded into one folder per issue).
Files are hashed in chunks; results are cached per path.

The export decides which local files are read, so every path it names is confined to the
attachment directory: a ``..`` part (also one hidden as ``%2F`` in a URL), an absolute path
(unless ``source.files.allow_absolute_paths``) or a symlink leading out of the directory makes the
attachment an ``attachment.outside_directory`` error, and nothing is read. The one exception are
the export's own *roots* — a folder given as SOURCE, the cache an archive given as SOURCE is
extracted into, the cache folder an adapter decodes a SOURCE file's embedded files into: the readers point attachments kept there at their local copy (an absolute path),
and an absolute path inside a root is read as long as it stays inside it (no ``..``, no symlink out).

With ``source.files.download: true`` an http(s) location that has no local copy is downloaded
from the source system into a content-addressed cache (see :mod:`migrator.mapping.downloads`);
the planned attachment's path is then the cached file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from migrator.mapping.downloads import Credentials, Downloader, DownloadPolicy, FetchProblem, download_url
from migrator.model import Attachment
from migrator.sources.spec import AttachmentFilesSpec

CHUNK = 1024 * 1024
MAX_FILENAME = 255
OUTSIDE = "attachment.outside_directory"


@dataclass(frozen=True)
class FileInfo:
    path: Path
    size: int
    sha256: str


@dataclass(frozen=True)
class FileProblem:
    kind: str  # attachment.missing | .unreadable | .too_large | .outside_directory | .download_failed | …
    message: str
    hint: str


class AttachmentFiles:
    """Resolves and fingerprints attachment files below one directory; downloads URL locations
    without a local copy when given a ``downloader``."""

    def __init__(
        self,
        directory: Path,
        max_size_mb: float,
        downloader: Downloader | None = None,
        *,
        allow_absolute_paths: bool = False,
        roots: Sequence[Path] = (),
    ) -> None:
        self.directory = directory
        self.max_bytes = int(max_size_mb * 1024 * 1024)
        self.downloader = downloader
        self.allow_absolute_paths = allow_absolute_paths
        self.roots = tuple(roots)  # the export's own folders (SOURCE folders, the archive cache)
        self._cache: dict[Path, FileInfo | FileProblem] = {}

    @classmethod
    def from_spec(
        cls,
        spec: AttachmentFilesSpec,
        source_dir: Path,
        env: Mapping[str, str],
        roots: Sequence[Path] = (),
    ) -> AttachmentFiles:
        """``directory`` is relative to ``source_dir``; the download cache to the current directory;
        ``env`` holds the variable named by ``auth_env``; ``roots`` are the export's own folders."""
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
        return cls(
            source_dir / (spec.directory or ""),
            spec.max_size_mb,
            downloader,
            allow_absolute_paths=spec.allow_absolute_paths,
            roots=roots,
        )

    def candidates(self, attachment: Attachment) -> list[Path]:
        """Where the file may be, in the order tried (not yet checked to stay inside the directory)."""
        return [path for path, _ in self._candidates(attachment)]

    def _candidates(self, attachment: Attachment) -> list[tuple[Path, bool]]:
        """(path, True when it is the export's own absolute location), in the order tried."""
        location = (attachment.location or "").strip()
        if not location:
            return [(self.directory / attachment.filename, False)]
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
            return [(path, False) for path in dict.fromkeys(found)]
        path = Path(location)
        return [(path, True)] if path.is_absolute() else [(self.directory / path, False)]

    def in_issue_folders(self, attachment: Attachment, folders: Sequence[str]) -> list[Path]:
        """``<dir>/<folder>/<file name>`` for each of the issue's folder names (its key, its id)."""
        name = (attachment.filename or "").strip() or Path(urlsplit(attachment.location or "").path).name
        safe = [f for f in folders if f and f not in (".", "..") and "/" not in f and "\\" not in f]
        return [self.directory / folder / name for folder in safe] if name else []

    def local_paths(self, attachment: Attachment, issue_folders: Sequence[str] = ()) -> list[Path]:
        """Every place a local copy may be, in the order tried: :meth:`candidates`, then (for a
        location that is not an absolute path) the issue's folders — ``issue_folders`` are its
        key and id."""
        return [path for path, _ in self._with_issue_folders(attachment, issue_folders)]

    def _with_issue_folders(
        self, attachment: Attachment, issue_folders: Sequence[str]
    ) -> list[tuple[Path, bool]]:
        found = self._candidates(attachment)
        if any(absolute for _, absolute in found):
            return found
        extra = [(path, False) for path in self.in_issue_folders(attachment, issue_folders)]
        return list(dict.fromkeys([*found, *extra]))

    def resolve(self, attachment: Attachment, issue_folders: Sequence[str] = ()) -> FileInfo | FileProblem:
        """A local copy first (see :meth:`local_paths`); then, for an http(s) location and a
        downloader, the download. A path that would leave the attachment directory is refused
        before anything is read."""
        candidates = self._with_issue_folders(attachment, issue_folders)
        for path, absolute in candidates:
            refused = self._confine(path, absolute, attachment)
            if refused is not None:
                return refused
        tried = [path for path, _ in candidates]
        from_url = _is_url(attachment.location or "")
        for path in tried:
            if path.is_file() or (path.exists() and not from_url):  # a URL's id folder is not the file
                return self._inspect(path)
        url = download_url(attachment.location)
        if url is not None and self.downloader is not None:
            return _download(self.downloader, url, attachment)
        return self._missing(attachment, tried, url)

    def _confine(self, path: Path, absolute: bool, attachment: Attachment) -> FileProblem | None:
        """Why ``path`` may not be read (None when it stays inside the attachment directory, or —
        an absolute path — inside one of the export's roots)."""
        named = f"file {attachment.filename!r}"
        if "\x00" in str(path):
            return FileProblem(
                "attachment.unreadable", f"{named}: the path contains a NUL character", "fix the export"
            )
        if not absolute:
            return _inside(path, self.directory, named, "the attachment directory")
        if self.allow_absolute_paths:
            return None
        root = next((r for r in self.roots if path.is_relative_to(r)), None)
        if root is not None:
            return _inside(path, root, named, f"the SOURCE folder {root}")
        return FileProblem(
            OUTSIDE,
            f"{named}: the export names the absolute path {path}",
            "copy the file under source.files.directory and give a relative location, or set "
            "source.files.allow_absolute_paths: true if the export's absolute paths are trusted",
        )

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


def _inside(path: Path, base: Path, named: str, what: str) -> FileProblem | None:
    """Why ``path`` is not a file under ``base`` (None when it is)."""
    # Lexically first: ``dir / "/etc/x"`` is ``/etc/x``, and ``..`` may point at a file that exists.
    relative = path.relative_to(base) if path.is_relative_to(base) else None
    if relative is None or ".." in relative.parts:
        shown = str(relative) if relative is not None else str(path)
        return FileProblem(
            OUTSIDE,
            f"{named}: the path {shown!r} leads out of {what}",
            f"only files under {base} are read; fix the location or file name in the export",
        )
    try:
        inside = path.resolve().is_relative_to(base.resolve())
    except (OSError, RuntimeError) as exc:  # a symlink loop, an unreadable folder
        return FileProblem("attachment.unreadable", f"{named}: cannot resolve {path}: {exc}", "fix the file")
    if not inside:
        return FileProblem(
            OUTSIDE,
            f"{named}: {path} is a symlink leading out of {what}",
            f"only files under {base} are read; replace the link by the file itself",
        )
    return None


def _download(downloader: Downloader, url: str, attachment: Attachment) -> FileInfo | FileProblem:
    result = downloader.fetch(url, attachment.filename)
    if isinstance(result, FetchProblem):
        return FileProblem(result.kind, result.message, result.hint)
    return FileInfo(result.path, result.size, result.sha256)


def _is_url(location: str) -> bool:
    parts = urlsplit(location.strip())
    return parts.scheme.lower() in ("http", "https", "ftp", "file") and bool(parts.netloc + parts.path)
