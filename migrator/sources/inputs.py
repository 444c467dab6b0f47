"""SOURCE arguments → the export's files: plain files, files in a folder, members of an archive.

A SOURCE may be a file, a folder (every file below it, symlinks not followed) or an archive
(``.zip``, ``.tar.gz``/``.tgz``/``.tar``) read in place. Each file of the export is a
:class:`SourceFile` with a *name*: its base name for a plain file, its path inside the folder or
archive otherwise (``tree/project/issues.ndjson``). The mapping's globs (``issues.file``,
``comments.file``…) match either the name or the base name.

Archives are never unpacked whole. A member is extracted when it is read (a table) or when an
attachment points at it, into ``source.archives.cache`` (default ``.migrator/archives``), one folder
per archive (keyed by its path, size and modification time, so ``validate`` → ``run`` → ``verify``
extract once). Only regular files with a relative, ``..``-free name are members: absolute names,
``..``, symlinks, hard links and devices are listed as unsafe and never written. Extraction counts the
bytes really written (headers can lie) against ``max_member_mb`` and ``max_total_mb``.

A SOURCE that does not exist, a pattern that matches nothing, an empty folder and an unreadable
archive are ``MigratorError``\\s naming it.
"""

from __future__ import annotations

import fnmatch
import glob
import hashlib
import os
import stat
import tarfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Protocol
from urllib.parse import unquote, urlsplit

from migrator.errors import MigratorError
from migrator.sources.spec import ArchiveSpec

ARCHIVE_SUFFIXES = (".zip", ".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tar.xz")
_CHUNK = 1024 * 1024
_MB = 1024 * 1024
_ARCHIVE_URL_PREFIXES = ("tarball://root/", "tarball://")  # GitHub migration archives


@dataclass(frozen=True)
class Unsafe:
    """An archive member that is never extracted, and why."""

    name: str
    reason: str


class Container(Protocol):
    """A folder or an archive given as SOURCE."""

    origin: Path

    def members(self) -> list[str]: ...

    def unsafe(self) -> list[Unsafe]: ...

    def local_path(self, name: str) -> Path:
        """A readable file with the member's content (extracted on first use)."""
        ...

    def prefetch(self, names: Iterable[str]) -> None:
        """Make several members local at once (one pass over a compressed tar)."""
        ...

    def label(self, name: str) -> str: ...


@dataclass(frozen=True)
class SourceFile:
    """One file of the export."""

    name: str  # path inside its folder/archive, or the plain file's name
    path: Path | None  # a plain file: its path; a member: None until ``local_path``
    container: Container | None = None

    @property
    def basename(self) -> str:
        return PurePosixPath(self.name).name

    @property
    def label(self) -> str:
        """How findings and errors name the file."""
        return self.container.label(self.name) if self.container is not None else self.name

    def matches(self, pattern: str) -> bool:
        """The glob matches the file's name or base name — or, for a plain file and a glob with a
        folder in it (``*sub_issues/*.json``), its path: the folder it was given from counts."""
        if fnmatch.fnmatchcase(self.name, pattern) or fnmatch.fnmatchcase(self.basename, pattern):
            return True
        return (
            self.container is None
            and self.path is not None
            and "/" in pattern
            and (fnmatch.fnmatchcase(self.path.as_posix(), pattern))
        )

    def local_path(self) -> Path:
        if self.container is not None:
            return self.container.local_path(self.name)
        assert self.path is not None  # a plain file always has its path
        return self.path


@dataclass
class Export:
    """Every file of the export, in SOURCE order (members of a folder/archive sorted by name)."""

    files: list[SourceFile]
    containers: list[Container] = field(default_factory=list)
    plain: list[Path] = field(default_factory=list)
    _indexes: dict[int, MemberIndex] = field(default_factory=dict)

    def find(self, pattern: str) -> list[SourceFile]:
        return [f for f in self.files if f.matches(pattern)]

    def unsafe(self) -> list[tuple[Container, Unsafe]]:
        return [(c, u) for c in self.containers for u in c.unsafe()]

    def attachment_path(self, location: str, filename: str, directory: str | None) -> Path | None:
        """The local copy of an attachment kept inside a SOURCE folder/archive, or None.

        Tried in order, inside ``directory`` (``source.files.directory``) first and then at the
        root: the location as a relative path (``tarball://root/`` stripped), a URL's last two
        path segments, its last segment, the file name. A name that no member has exactly may
        still match the end of exactly one member's path (an archive wrapped in a top folder).
        """
        if not self.containers:
            return None
        candidates = _attachment_candidates(location, filename, directory)
        for number, container in enumerate(self.containers):
            index = self._indexes.get(number)
            if index is None:
                index = self._indexes[number] = MemberIndex(container.members())
            name = index.find(candidates)
            if name is not None:
                return container.local_path(name)
        return None


def resolve_sources(paths: Sequence[Path], archives: ArchiveSpec) -> Export:
    """The export's files. Raises ``MigratorError`` naming every SOURCE that matches nothing."""
    if not paths:
        raise MigratorError("no SOURCE files given", hint="pass the export file(s), folder or archive")
    expanded = expand_sources(paths)
    export = Export(files=[])
    for path in expanded:
        if path.is_dir():
            container: Container = FolderSource(path)
        elif is_archive(path):
            container = open_archive(path, archives)
        else:
            export.files.append(SourceFile(path.name, path))
            export.plain.append(path)
            continue
        members = container.members()
        if not members:
            raise MigratorError(
                f"SOURCE {path} holds no files",
                hint="pass the folder or archive the tracker exported (not an empty one)",
            )
        export.containers.append(container)
        export.files.extend(SourceFile(name, None, container) for name in members)
    return export


def expand_sources(paths: Sequence[Path]) -> list[Path]:
    """Existing paths as given; a path with ``*``/``?``/``[`` that does not exist is expanded as a
    pattern (a quoted glob the shell did not expand). Every one that matches nothing is listed."""
    out: list[Path] = []
    missing: list[str] = []
    for path in paths:
        if path.exists():
            out.append(path)
            continue
        text = str(path)
        matched = sorted(glob.glob(text)) if glob.has_magic(text) else []
        if matched:
            out.extend(Path(m) for m in matched)
        else:
            missing.append(text)
    if missing:
        raise MigratorError(
            f"SOURCE not found: {', '.join(missing)}",
            hint="no such file, folder or pattern match; check the paths (and the working directory)",
        )
    return out


def existing_sources(paths: Sequence[Path]) -> list[Path]:
    """The SOURCE paths that exist, patterns expanded (``expand_sources``); a plain path that does
    not exist is left out (reading reports it)."""
    found = [Path(p) for p in paths if Path(p).exists() or glob.has_magic(str(p))]
    return expand_sources(found) if found else []


def export_roots(paths: Sequence[Path], archives: ArchiveSpec) -> list[Path]:
    """The export's own folders, where attachments found inside SOURCE folders/archives are read
    from: each folder given as SOURCE, the extraction cache when an archive is given, and each
    SOURCE file's own cache folder (where an adapter writes the files it decodes from that file,
    e.g. the attachments inside a Bugzilla XML). Paths that do not exist are left out (reading
    reports them)."""
    expanded = existing_sources(paths)
    roots = [p.absolute() for p in expanded if p.is_dir()]
    if any(is_archive(p) for p in expanded):
        roots.append(archive_cache(archives))
    roots += [cache_folder(p, archives) for p in expanded if p.is_file() and not is_archive(p)]
    return roots


def archive_cache(spec: ArchiveSpec) -> Path:
    """``source.archives.cache`` as an absolute folder (relative to the current directory)."""
    cache = Path(spec.cache).expanduser()
    return cache if cache.is_absolute() else Path.cwd() / cache


def is_archive(path: Path) -> bool:
    name = path.name.lower()
    return any(name.endswith(suffix) for suffix in ARCHIVE_SUFFIXES)


class FolderSource:
    """A folder given as SOURCE: every regular file below it (symlinks are not followed)."""

    def __init__(self, root: Path) -> None:
        self.origin = root
        self._members: list[str] | None = None

    def members(self) -> list[str]:
        if self._members is None:
            found: list[str] = []
            for dirpath, dirnames, filenames in os.walk(self.origin, followlinks=False):
                dirnames.sort()
                base = Path(dirpath)
                for name in sorted(filenames):
                    full = base / name
                    if full.is_file() and not full.is_symlink():
                        found.append(full.relative_to(self.origin).as_posix())
            self._members = sorted(found)
        return self._members

    def unsafe(self) -> list[Unsafe]:
        return []

    def local_path(self, name: str) -> Path:
        return self.origin / name

    def prefetch(self, names: Iterable[str]) -> None:
        return None

    def label(self, name: str) -> str:
        return f"{self.origin.name}/{name}"


class _Archive:
    """What zip and tar archives share: the cache folder, limits, labels and the copy loop."""

    def __init__(self, origin: Path, spec: ArchiveSpec) -> None:
        self.origin = origin
        self._spec = spec
        self._folder = cache_folder(origin, spec)
        self._written = 0
        self._members: dict[str, int] = {}  # safe member name -> declared size
        self._names: dict[str, str] = {}  # safe member name -> its name in the archive
        self._unsafe: list[Unsafe] = []

    def members(self) -> list[str]:
        return sorted(self._members)

    def unsafe(self) -> list[Unsafe]:
        return list(self._unsafe)

    def label(self, name: str) -> str:
        return f"{self.origin.name}:{name}"

    def local_path(self, name: str) -> Path:
        self._target(name)
        cached = self._cached(name)
        return cached if cached is not None else self._extract(name)

    def _extract(self, name: str) -> Path:
        raise NotImplementedError  # each archive kind extracts its own way

    def _cached(self, name: str) -> Path | None:
        target = self._folder / name
        if target.is_file() and target.stat().st_size == self._members[name]:
            return target
        return None

    def _target(self, name: str) -> Path:
        if name not in self._members:
            raise MigratorError(f"{self.origin.name}: no member {name!r}")
        return self._folder / name

    def _copy(self, name: str, stream: IO[bytes]) -> Path:
        """Write one member to the cache through a ``.part`` file, counting real bytes."""
        target = self._target(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name(target.name + ".part")
        limit = int(self._spec.max_member_mb * _MB)
        total_limit = int(self._spec.max_total_mb * _MB)
        size = 0
        with part.open("wb") as out:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > limit or self._written + size > total_limit:
                    out.close()
                    part.unlink()
                    raise self._too_large(name, size > limit)
                out.write(chunk)
        self._written += size
        part.replace(target)
        return target

    def _too_large(self, name: str, member: bool) -> MigratorError:
        if member:
            what = (
                f"member {name!r} is larger than source.archives.max_member_mb ({self._spec.max_member_mb:g})"
            )
        else:
            what = f"extracting {name!r} goes over source.archives.max_total_mb ({self._spec.max_total_mb:g})"
        return MigratorError(
            f"{self.origin.name}: {what}",
            hint="raise the limit in the mapping if the archive is trusted, or unpack it and pass the folder",
        )

    def _admit(self, name: str, kind: str, size: int) -> None:
        """Record a member: regular files with a safe name only."""
        clean = safe_member_name(name)
        if kind != "file":
            self._unsafe.append(Unsafe(name, f"a {kind}, not a regular file"))
        elif clean is None:
            self._unsafe.append(Unsafe(name, "its name is absolute or climbs out with '..'"))
        else:
            self._members[clean] = size
            self._names[clean] = name


class ZipSource(_Archive):
    def __init__(self, origin: Path, spec: ArchiveSpec) -> None:
        super().__init__(origin, spec)
        try:
            with zipfile.ZipFile(origin) as archive:
                for info in archive.infolist():
                    if info.is_dir():
                        continue
                    mode = info.external_attr >> 16
                    kind = "symlink" if stat.S_ISLNK(mode) else "file"
                    if info.flag_bits & 0x1:
                        kind = "encrypted file"
                    self._admit(info.filename, kind, info.file_size)
        except (zipfile.BadZipFile, OSError) as exc:
            raise MigratorError(f"{origin.name}: cannot read the zip archive: {exc}") from None

    def _extract(self, name: str) -> Path:
        try:
            with zipfile.ZipFile(self.origin) as archive, archive.open(self._names[name]) as stream:
                return self._copy(name, stream)
        except (zipfile.BadZipFile, OSError) as exc:
            raise MigratorError(f"{self.origin.name}: cannot extract {name!r}: {exc}") from None

    def prefetch(self, names: Iterable[str]) -> None:
        for name in names:
            self.local_path(name)


class TarSource(_Archive):
    """A (compressed) tar. A compressed stream cannot seek back cheaply, so members are extracted
    in one sequential pass: the tables first, then — on the first attachment asked for — every
    other member, once (later runs find them in the cache)."""

    def __init__(self, origin: Path, spec: ArchiveSpec) -> None:
        super().__init__(origin, spec)
        self._swept = False
        for info in self._infos():
            self._admit(info.name, "file" if info.isreg() else _tar_kind(info), info.size)

    def _infos(self) -> Iterator[tarfile.TarInfo]:
        try:
            with tarfile.open(self.origin, "r:*") as archive:
                for info in archive:
                    if not info.isdir():
                        yield info
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise MigratorError(f"{self.origin.name}: cannot read the tar archive: {exc}") from None

    def _extract(self, name: str) -> Path:
        if not self._swept:
            self._swept = True
            self.prefetch([n for n in self._members if n != name] + [name])
        cached = self._cached(name)
        if cached is None:
            raise MigratorError(f"{self.origin.name}: member {name!r} could not be extracted")
        return cached

    def prefetch(self, names: Iterable[str]) -> None:
        wanted = {self._names[n]: n for n in names if n in self._names and self._cached(n) is None}
        if not wanted:
            return
        try:
            with tarfile.open(self.origin, "r:*") as archive:
                for info in archive:
                    clean = wanted.get(info.name)
                    if clean is None or not info.isreg():
                        continue
                    stream = archive.extractfile(info)
                    if stream is not None:
                        with stream:
                            self._copy(clean, stream)
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise MigratorError(f"{self.origin.name}: cannot extract from the tar archive: {exc}") from None


def open_archive(path: Path, spec: ArchiveSpec) -> ZipSource | TarSource:
    if path.name.lower().endswith(".zip"):
        return ZipSource(path, spec)
    return TarSource(path, spec)


def safe_member_name(name: str) -> str | None:
    """The member's relative POSIX name (``./`` dropped), or None when it is absolute, climbs out
    with ``..`` or is empty."""
    text = name.replace("\\", "/")
    if text.startswith("/") or (len(text) > 1 and text[1] == ":"):
        return None
    parts = [p for p in text.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return "/".join(parts)


def _tar_kind(info: tarfile.TarInfo) -> str:
    if info.issym():
        return "symlink"
    if info.islnk():
        return "hard link"
    if info.isdev():
        return "device"
    return "special file"


def cache_folder(origin: Path, spec: ArchiveSpec) -> Path:
    """One folder per archive version: its absolute path, size and modification time."""
    st = origin.stat()
    identity = f"{origin.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    digest = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:16]
    return archive_cache(spec) / f"{_stem(origin)}-{digest}"


def _stem(path: Path) -> str:
    name = path.name
    for suffix in ARCHIVE_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def _attachment_candidates(location: str, filename: str, directory: str | None) -> list[str]:
    text = location.strip()
    relative: list[str] = []
    for prefix in _ARCHIVE_URL_PREFIXES:
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    parts = urlsplit(text)
    if parts.scheme and parts.netloc:
        segments = [unquote(s) for s in parts.path.split("/") if s]
        if len(segments) >= 2:
            relative.append("/".join(segments[-2:]))
        if segments:
            relative.append(segments[-1])
    elif text:
        relative.append(text)
    if filename:
        relative.append(filename)
    names: list[str] = []
    prefixes = [directory.strip("/") + "/"] if directory and directory.strip("/") else []
    for prefix in [*prefixes, ""]:
        for rel in relative:
            clean = safe_member_name(prefix + rel)
            if clean is not None:
                names.append(clean)
    return list(dict.fromkeys(names))


class MemberIndex:
    """Member names by exact name and by base name (for the "end of one member's path" rule)."""

    def __init__(self, members: Sequence[str]) -> None:
        self._present = set(members)
        self._by_base: dict[str, list[str]] = {}
        for name in members:
            self._by_base.setdefault(PurePosixPath(name).name, []).append(name)

    def find(self, candidates: Sequence[str]) -> str | None:
        for name in candidates:
            if name in self._present:
                return name
        for name in candidates:
            tail = "/" + name
            ends = [m for m in self._by_base.get(PurePosixPath(name).name, []) if m.endswith(tail)]
            if len(ends) == 1:
                return ends[0]
        return None
