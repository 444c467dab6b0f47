"""Hostile attachment URLs: the host allow-list and the request read the same host (one parser),
credentials never leave for another host, and a bad redirect fails only its own URL."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from werkzeug.wrappers import Request, Response

from migrator.mapping.attachments import AttachmentFiles, FileInfo, FileProblem
from migrator.mapping.downloads import Credentials, Downloader, DownloadPolicy
from migrator.model import Attachment, SourceRef

from .mapping_helpers import serving

TOKEN = "Bearer s3ntinel-d0wnload-7c1e"


class Recorder:
    """A source system (or an attacker's host): serves ``/file.txt``, redirects ``/to?url=``,
    and records each request's path and Authorization header."""

    def __init__(self) -> None:
        self.base = ""
        self.seen: list[tuple[str, str | None]] = []

    def __call__(self, environ: dict, start_response):  # type: ignore[no-untyped-def]
        request = Request(environ)
        self.seen.append((request.path, request.headers.get("Authorization")))
        if request.path == "/to":
            response = Response(status=302, headers={"Location": request.args["url"]})
        elif request.path == "/file.txt":
            response = Response(b"payload")
        else:
            response = Response("no", status=404)
        return response(environ, start_response)


def serve(host: str) -> Iterator[Recorder]:
    app = Recorder()
    with serving(app, host) as app.base:
        yield app


@pytest.fixture
def allowed() -> Iterator[Recorder]:
    yield from serve("127.0.0.1")


@pytest.fixture
def evil() -> Iterator[Recorder]:
    yield from serve("localhost")


def resolver(tmp_path: Path, allowed_hosts: list[str] | None = None) -> AttachmentFiles:
    policy = DownloadPolicy(
        tmp_path / "cache",
        max_bytes=1 << 20,
        allowed_hosts=frozenset(allowed_hosts) if allowed_hosts is not None else None,
        timeout=5,
        retries=0,
    )
    credentials = Credentials("SRC_AUTH", {"SRC_AUTH": TOKEN})
    return AttachmentFiles(tmp_path / "files", 1, Downloader(policy, credentials, sleep=lambda _: None))


def att(url: str, ident: str = "a-1") -> Attachment:
    return Attachment(SourceRef("jira", ident, "issues.csv", 2), "file.txt", url)


def refused(found: FileInfo | FileProblem, kind: str = "attachment.host_not_allowed") -> FileProblem:
    assert isinstance(found, FileProblem), found
    assert found.kind == kind, found
    assert TOKEN.split()[1] not in found.message + found.hint
    return found


def test_a_backslash_before_the_allowed_host_does_not_smuggle_the_token_out(
    tmp_path: Path, allowed: Recorder, evil: Recorder
) -> None:
    # urlsplit reads 127.0.0.1 (allowed); urllib3 and requests connect to localhost.
    port = allowed.base.rsplit(":", 1)[1]
    url = f"{evil.base}\\@127.0.0.1:{port}/file.txt"
    found = refused(resolver(tmp_path, ["127.0.0.1"]).resolve(att(url)))
    assert "backslash" in found.message
    assert evil.seen == [] and allowed.seen == []


def test_a_backslash_is_refused_even_without_an_allow_list(tmp_path: Path, evil: Recorder) -> None:
    refused(resolver(tmp_path).resolve(att(f"{evil.base}\\@example.com/file.txt")))
    assert evil.seen == []


def test_a_user_name_in_the_url_is_refused(tmp_path: Path, allowed: Recorder) -> None:
    url = allowed.base.replace("http://", "http://alice:pw@") + "/file.txt"
    found = refused(resolver(tmp_path, ["127.0.0.1"]).resolve(att(url)))
    assert "user name or password" in found.message
    assert allowed.seen == []


def test_a_redirect_through_a_backslash_url_is_not_followed(
    tmp_path: Path, allowed: Recorder, evil: Recorder
) -> None:
    port = allowed.base.rsplit(":", 1)[1]
    hop = f"{evil.base}\\@127.0.0.1:{port}/file.txt"
    found = refused(resolver(tmp_path, ["127.0.0.1"]).resolve(att(f"{allowed.base}/to?url={quote(hop)}")))
    # werkzeug sends the Location with the backslash as %5C: then it is a user name before the host
    assert "redirected" in found.message and "user name or password" in found.message
    assert evil.seen == [] and [p for p, _ in allowed.seen] == ["/to"]


def test_the_token_goes_to_the_allowed_host_only(tmp_path: Path, allowed: Recorder) -> None:
    found = resolver(tmp_path, ["127.0.0.1"]).resolve(att(f"{allowed.base}/file.txt"))
    assert isinstance(found, FileInfo) and found.path.read_bytes() == b"payload"
    assert allowed.seen == [("/file.txt", TOKEN)]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_redirect_to_a_dead_host_fails_that_url_only(tmp_path: Path, allowed: Recorder) -> None:
    files = resolver(tmp_path)
    dead = f"http://localhost:{closed_port()}/gone.txt"
    found = refused(files.resolve(att(f"{allowed.base}/to?url={dead}", "a-1")), "attachment.download_failed")
    assert "redirected to localhost" in found.message
    good = files.resolve(att(f"{allowed.base}/file.txt", "a-2"))
    assert isinstance(good, FileInfo), good  # the host that redirected is still reachable
    again = refused(files.resolve(att(f"{allowed.base}/to?url={dead}x", "a-3")), "attachment.download_failed")
    assert "localhost could not be reached earlier in this run" in again.message
