"""Downloading attachment files from the source system into a content-addressed cache.

Used by :mod:`migrator.mapping.attachments` (so during the mapping/validation pass, never by the
executor) for ``http``/``https`` locations that have no local copy, when the mapping says
``source.files.download: true``.

* Each file is streamed in 1 MiB chunks into ``<cache>/.part-*``, hashed on the way, and renamed to
  ``<cache>/<sha256>`` only when complete — a killed run never leaves half a file under a real name.
  Over ``max_size_mb`` the transfer stops and the partial file is deleted.
* ``<cache>/index.sqlite`` maps URL → sha256, size, file name, so a second run (validate, run,
  verify, resume) never downloads a URL again; a cached copy is re-hashed before use and fetched
  again if it is gone or changed.
* Connection errors, timeouts, 429 and 5xx are retried a couple of times with exponential backoff;
  a host that could not be reached at all is not tried again in the same run (the host that failed:
  a redirect to a dead host marks that host, not the one that redirected);
  redirects are followed by hand so every hop is checked against ``allowed_hosts`` and the
  Authorization header only goes to the URL's own origin.
* One parser decides both the check and the request (see :mod:`migrator.mapping.download_urls`):
  every hop's host is read from the URL exactly as ``requests`` prepares it.
* The Authorization value (from the environment variable named by ``auth_env``) lives only in
  :class:`Credentials`; it is never logged, stored, put in a problem's text or shown by ``repr``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

from migrator.mapping.download_urls import SCHEMES, UrlRefused, UrlTarget, host_of, url_target

LOG = logging.getLogger(__name__)

CHUNK = 1024 * 1024
INDEX_NAME = "index.sqlite"
PART_PREFIX = ".part-"
MAX_REDIRECTS = 5
FAILED = "attachment.download_failed"
NOT_ALLOWED = "attachment.host_not_allowed"
TOO_LARGE = "attachment.too_large"
TOO_LARGE_HINT = "Tracker takes files up to 1024 MB; source.files.max_size_mb sets the limit checked here"
NOT_REACHABLE_HINT = (
    "check that the source system is reachable from this machine (network, DNS, HTTPS_PROXY/NO_PROXY); "
    "or copy the files under source.files.directory"
)


@dataclass(frozen=True)
class Fetched:
    path: Path  # the cached file, named by its SHA-256
    size: int
    sha256: str


@dataclass(frozen=True)
class FetchProblem:
    kind: str  # attachment.download_failed | attachment.host_not_allowed | attachment.too_large
    message: str
    hint: str


@dataclass(frozen=True)
class DownloadPolicy:
    cache_dir: Path
    max_bytes: int
    allowed_hosts: frozenset[str] | None = None  # lower-case host names; None = any host
    timeout: float = 30.0  # seconds to connect, and between two reads
    retries: int = 2  # extra attempts after a connection error, timeout, 429 or 5xx
    backoff: float = 1.0  # seconds before the first retry; doubled for each next one


def download_url(location: str | None) -> str | None:
    """The location when it is an http(s) URL with a host, else None."""
    text = (location or "").strip()
    parts = urlsplit(text)
    return text if parts.scheme.lower() in SCHEMES and parts.hostname else None


# ---------------------------------------------------------------------------------------------
# Credentials


class Credentials:
    """The Authorization header value, read from the environment variable ``env_name``.

    ``repr``/``str`` show only the variable's name and whether it is set; :meth:`redact` removes
    the value (and its token part) from any text before it is reported.
    """

    def __init__(self, env_name: str | None, env: Mapping[str, str]) -> None:
        self.env_name = env_name
        raw = (env.get(env_name) or "").strip() if env_name else ""
        self._value = raw or None
        self.usable = self._value is not None and self._value.isprintable()

    @property
    def missing(self) -> bool:
        return self.env_name is not None and self._value is None

    def header(self) -> dict[str, str]:
        return {"Authorization": self._value} if self.usable and self._value else {}

    def redact(self, text: str) -> str:
        if not self._value:
            return text
        parts = self._value.split()
        secrets = {self._value, *(p for p in (parts[1:] if len(parts) > 1 else parts) if len(p) >= 4)}
        for secret in sorted(secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text

    def __repr__(self) -> str:
        return f"Credentials(env_name={self.env_name!r}, set={self._value is not None})"

    __str__ = __repr__


# ---------------------------------------------------------------------------------------------
# The cache index


@dataclass(frozen=True)
class IndexEntry:
    sha256: str
    size: int
    filename: str


class CacheIndex:
    """URL → :class:`IndexEntry` in one SQLite file; a short connection per call, so several runs
    can share a cache folder."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.path, timeout=30)) as db, db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS downloads (url TEXT PRIMARY KEY, sha256 TEXT NOT NULL,"
                " size INTEGER NOT NULL, filename TEXT NOT NULL, fetched_at REAL NOT NULL)"
            )
            yield db

    def get(self, url: str) -> IndexEntry | None:
        if not self.path.exists():
            return None
        with self._connect() as db:
            row = db.execute("SELECT sha256, size, filename FROM downloads WHERE url = ?", (url,)).fetchone()
        return IndexEntry(row[0], int(row[1]), row[2]) if row else None

    def put(self, url: str, entry: IndexEntry) -> None:
        with self._connect() as db:
            db.execute(
                "INSERT OR REPLACE INTO downloads (url, sha256, size, filename, fetched_at) VALUES (?, ?, ?, ?, ?)",
                (url, entry.sha256, entry.size, entry.filename, time.time()),
            )

    def drop(self, url: str) -> None:
        with self._connect() as db:
            db.execute("DELETE FROM downloads WHERE url = ?", (url,))


# ---------------------------------------------------------------------------------------------
# The downloader


class _TooLarge(Exception):
    def __init__(self, received: int) -> None:
        super().__init__(f"over the limit after {received} bytes")
        self.received = received


class _HopFailed(Exception):
    """A request of one hop failed in transport; ``host`` is the host that hop went to."""

    def __init__(self, host: str, error: requests.RequestException) -> None:
        super().__init__(host)
        self.host = host
        self.error = error


@dataclass(frozen=True)
class _Attempt:
    result: Fetched | FetchProblem
    retry: bool = False  # worth another try: a network error, 429 or 5xx
    unreachable: str | None = None  # the host that could not be reached (or broke the connection)


class Downloader:
    """Fetches URLs into the cache; each URL at most once per instance, and once per cache."""

    def __init__(
        self, policy: DownloadPolicy, credentials: Credentials, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.policy = policy
        self.credentials = credentials
        self.index = CacheIndex(policy.cache_dir / INDEX_NAME)
        self._sleep = sleep
        self._done: dict[str, Fetched | FetchProblem] = {}
        self._unreachable: set[str] = set()  # hosts that failed every attempt: not tried again this run

    def __repr__(self) -> str:
        return f"Downloader(cache_dir={str(self.policy.cache_dir)!r}, credentials={self.credentials!r})"

    def fetch(self, url: str, filename: str) -> Fetched | FetchProblem:
        """The cached file for ``url`` (downloaded now if needed), or why there is none."""
        if url not in self._done:
            self._done[url] = self._fetch(url, filename)
        return self._done[url]

    def _fetch(self, url: str, filename: str) -> Fetched | FetchProblem:
        target = self._target(url, redirected=False)
        if isinstance(target, FetchProblem):
            return target
        try:
            cached = self._cached(url)
            if cached is not None:
                return cached
            result = self._download(url, target.host)
            if isinstance(result, Fetched):
                self.index.put(url, IndexEntry(result.sha256, result.size, filename))
        except sqlite3.Error as exc:
            return self._problem(
                FAILED,
                f"the download cache index {self.index.path} cannot be used: {exc}",
                "delete the cache folder or point source.files.cache elsewhere",
            )
        return result

    # -------------------------------------------------------------- cache

    def _cached(self, url: str) -> Fetched | FetchProblem | None:
        entry = self.index.get(url)
        if entry is None:
            return None
        path = self.policy.cache_dir / entry.sha256
        if entry.size > self.policy.max_bytes and _size_of(path) == entry.size:
            return self._too_large(f"the cached copy has {entry.size} bytes")
        if _sha256_of(path) != (entry.size, entry.sha256):
            LOG.warning("the cached copy of %s is gone or changed; downloading it again", url)
            self.index.drop(url)
            return None
        LOG.debug("using the cached copy of %s (%s)", url, entry.sha256)
        return Fetched(path, entry.size, entry.sha256)

    # -------------------------------------------------------------- network

    def _download(self, url: str, host: str) -> Fetched | FetchProblem:
        if host in self._unreachable:
            return self._unreachable_problem(host)
        attempts = self.policy.retries + 1
        for attempt in range(1, attempts + 1):
            outcome = self._attempt(url)
            if not outcome.retry or attempt == attempts:
                break
            delay = self.policy.backoff * 2 ** (attempt - 1)
            LOG.warning(
                "downloading %s failed (%s); retry %d of %d in %g s",
                url,
                _message(outcome.result),
                attempt,
                self.policy.retries,
                delay,
            )
            self._sleep(delay)
        if outcome.unreachable is not None:
            self._unreachable.add(outcome.unreachable)
        if isinstance(outcome.result, FetchProblem) and attempt > 1:
            return replace(outcome.result, message=f"{outcome.result.message} (after {attempt} attempts)")
        return outcome.result

    def _attempt(self, url: str) -> _Attempt:
        with requests.Session() as session:
            try:
                response = self._open(session, url)
                if isinstance(response, FetchProblem):
                    return _Attempt(response)
                with response:
                    return self._receive(url, response)
            except requests.exceptions.InvalidHeader:
                return _Attempt(
                    self._problem(
                        FAILED,
                        "download failed: the Authorization value is not a valid header",
                        self._auth_hint(),
                    )
                )
            except _HopFailed as exc:
                via = "" if exc.host == host_of(url) else f" (redirected to {exc.host})"
                problem = self._problem(
                    FAILED, f"download failed{via}: {_describe(exc.error)}", NOT_REACHABLE_HINT
                )
                return _Attempt(problem, retry=True, unreachable=exc.host)

    def _open(self, session: requests.Session, url: str) -> requests.Response | FetchProblem:
        """GET ``url``, following redirects by hand: each hop's host is checked, and the
        Authorization header is only sent to the URL's own origin."""
        origin: tuple[str, str, int | None] | None = None
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            target = self._target(current, redirected=current != url)
            if isinstance(target, FetchProblem):
                return target
            if target.host in self._unreachable:
                return self._unreachable_problem(target.host)
            origin = origin or target.origin
            prepared = self._prepare(session, target, auth=target.origin == origin)
            if isinstance(prepared, FetchProblem):
                return prepared
            response = self._send(session, prepared, target.host)
            if not response.is_redirect:
                return response
            current = urljoin(target.url, response.headers["location"])
            response.close()
        return self._problem(
            FAILED,
            f"download failed: more than {MAX_REDIRECTS} redirects",
            "open the URL in a browser to see where it leads",
        )

    def _prepare(
        self, session: requests.Session, target: UrlTarget, *, auth: bool
    ) -> requests.PreparedRequest | FetchProblem:
        """The request for ``target``, re-checked: the prepared URL must still name the checked host."""
        headers = self.credentials.header() if auth else {}
        prepared = session.prepare_request(requests.Request("GET", target.url, headers=headers))
        if host_of(prepared.url or "") != target.host:
            return self._problem(
                NOT_ALLOWED,
                f"download refused: the URL {target.url!r} is read as two different hosts",
                "fix the location in the export",
            )
        return prepared

    def _send(
        self, session: requests.Session, prepared: requests.PreparedRequest, host: str
    ) -> requests.Response:
        settings = session.merge_environment_settings(prepared.url, {}, True, None, None)
        try:
            return session.send(prepared, timeout=self.policy.timeout, allow_redirects=False, **settings)
        except requests.exceptions.InvalidHeader:  # the Authorization value itself: not the network
            raise
        except requests.RequestException as exc:
            raise _HopFailed(host, exc) from exc

    def _receive(self, url: str, response: requests.Response) -> _Attempt:
        status = response.status_code
        if status >= 300:
            return _Attempt(self._status_problem(response), retry=status == 429 or status >= 500)
        announced = _content_length(response)
        if announced is not None and announced > self.policy.max_bytes:
            return _Attempt(self._too_large(f"the server announces {announced} bytes"))
        try:
            fetched = self._store(response)
        except _TooLarge as exc:
            return _Attempt(self._too_large(f"stopped after {exc.received} bytes"))
        except OSError as exc:
            return _Attempt(
                self._problem(
                    FAILED,
                    f"cannot write the download cache: {exc.strerror or exc}",
                    f"check that {self.policy.cache_dir} is writable (source.files.cache)",
                )
            )
        LOG.info("downloaded %s: %d bytes, sha256 %s", url, fetched.size, fetched.sha256)
        return _Attempt(fetched)

    def _store(self, response: requests.Response) -> Fetched:
        """Stream the body into a temporary file, then rename it to its SHA-256."""
        cache = self.policy.cache_dir
        cache.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=cache, prefix=PART_PREFIX)
        part, stored = Path(name), False
        try:
            size, digest = self._write(response, fd)
            final = cache / digest
            os.replace(part, final)
            stored = True
        finally:
            if not stored:
                part.unlink(missing_ok=True)
        return Fetched(final, size, digest)

    def _write(self, response: requests.Response, fd: int) -> tuple[int, str]:
        digest, size = hashlib.sha256(), 0
        with os.fdopen(fd, "wb") as handle:
            for chunk in response.iter_content(CHUNK):
                size += len(chunk)
                if size > self.policy.max_bytes:
                    raise _TooLarge(size)
                digest.update(chunk)
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        return size, digest.hexdigest()

    # -------------------------------------------------------------- problems

    def _target(self, url: str, *, redirected: bool) -> UrlTarget | FetchProblem:
        via = "the server redirected the download to " if redirected else ""
        target = url_target(url, self.policy.allowed_hosts, via=via)
        if isinstance(target, UrlRefused):
            return self._problem(NOT_ALLOWED if target.not_allowed else FAILED, target.message, target.hint)
        return target

    def _unreachable_problem(self, host: str) -> FetchProblem:
        return self._problem(
            FAILED, f"download failed: {host} could not be reached earlier in this run", NOT_REACHABLE_HINT
        )

    def _status_problem(self, response: requests.Response) -> FetchProblem:
        status = response.status_code
        message = f"download failed: HTTP {status} {response.reason or ''}".rstrip()
        if status in (401, 403):
            hint = self._auth_hint()
        elif status in (404, 410):
            hint = "the file is not at this URL any more; copy it under source.files.directory or drop it from the export"
        elif status == 429 or status >= 500:
            hint = "the source system is failing or overloaded; run validate again later"
        else:
            hint = "check the location in the export"
        return self._problem(FAILED, message, hint)

    def _auth_hint(self) -> str:
        name = self.credentials.env_name
        if name is None:
            return (
                "the source system wants credentials: set source.files.auth_env to the name of an environment "
                "variable holding the whole Authorization header value, e.g. JIRA_AUTH='Bearer <token>'"
            )
        if self.credentials.missing:
            return f"source.files.auth_env names {name}, which is not set: set it to the whole Authorization header value"
        if not self.credentials.usable:
            return f"the value of {name} (source.files.auth_env) has line breaks or control characters"
        return f"the Authorization value in {name} (source.files.auth_env) was refused: check the token and its access"

    def _too_large(self, detail: str) -> FetchProblem:
        limit = self.policy.max_bytes / 1024 / 1024
        return self._problem(TOO_LARGE, f"the file is over the {limit:g} MB limit ({detail})", TOO_LARGE_HINT)

    def _problem(self, kind: str, message: str, hint: str) -> FetchProblem:
        return FetchProblem(kind, self.credentials.redact(message), self.credentials.redact(hint))


# ---------------------------------------------------------------------------------------------
# Helpers


def _message(result: Fetched | FetchProblem) -> str:
    return result.message if isinstance(result, FetchProblem) else "ok"


def _content_length(response: requests.Response) -> int | None:
    value = response.headers.get("content-length", "")
    return int(value) if value.isdigit() else None


def _describe(exc: requests.RequestException) -> str:
    """A short text for a network error: the innermost reason, without request details."""
    reason: BaseException = exc
    for _ in range(10):
        inner = reason.__cause__ or reason.__context__
        if inner is None:
            break
        reason = inner
    text = str(reason) if reason is not exc else str(exc)
    kind = "timed out" if isinstance(exc, requests.Timeout) else type(exc).__name__
    return f"{kind}: {text[:300]}"


def _size_of(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def _sha256_of(path: Path) -> tuple[int, str] | None:
    """(size, SHA-256) of a file, or None when it cannot be read."""
    digest, size = hashlib.sha256(), 0
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
    except OSError:
        return None
    return size, digest.hexdigest()
