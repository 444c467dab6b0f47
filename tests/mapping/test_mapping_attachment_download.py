"""Attachment files downloaded from the source system (``source.files.download: true``), against a
real HTTP server on 127.0.0.1: the cache, the index (each URL fetched once), HTTP and network
errors as findings, the Authorization value from the environment (never shown anywhere), the host
allow-list, the size limit, and the end-to-end finding in the ``validate`` JSON report."""

from __future__ import annotations

import hashlib
import logging
import socket
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from validate_helpers import HEADER, base_mapping, row, run_validate, where
from werkzeug.wrappers import Request, Response

from migrator.errors import ConfigError
from migrator.findings import Findings, Severity
from migrator.mapping.attachments import AttachmentFiles, FileInfo, FileProblem
from migrator.mapping.config import load_mapping
from migrator.mapping.downloads import INDEX_NAME, Credentials, Downloader, DownloadPolicy
from migrator.mapping.transform import IssueTransformer
from migrator.model import Attachment, SourceRef
from migrator.sources.spec import AttachmentFilesSpec

from .mapping_helpers import make_config, make_issue, of_kind, serving, target

TOKEN = "s3ntinel-T0KEN-9f2c41d7"  # must never show up outside the request it authorises
SENTINEL = f"Bearer {TOKEN}"
WRONG = "Bearer wr0ng-s3ntinel-55aa17"
FILES = {
    "/att/10001/report.txt": b"quarterly report\n",
    "/att/notes.md": b"# notes\n",
}
PRIVATE = b"%PDF-1.4 private"
MB = 1024 * 1024
BIG = b"x" * (3 * MB)


class FileServer:
    """A WSGI app standing in for the source system; records every request."""

    def __init__(self) -> None:
        self.base = ""
        self.paths: list[str] = []
        self.auth: dict[str, list[str | None]] = {}
        self.failures_left = {"/flaky.txt": 1}

    def hits(self, path: str) -> int:
        return self.paths.count(path)

    def url(self, path: str) -> str:
        return self.base + path

    def __call__(self, environ: dict, start_response):  # type: ignore[no-untyped-def]
        request = Request(environ)
        self.paths.append(request.path)
        self.auth.setdefault(request.path, []).append(request.headers.get("Authorization"))
        return self.respond(request)(environ, start_response)

    def respond(self, request: Request) -> Response:
        path = request.path
        if path in FILES:
            return Response(FILES[path], mimetype="application/octet-stream")
        if path == "/private/secret.pdf":
            if request.headers.get("Authorization") != SENTINEL:
                return Response("login required", status=401, headers={"WWW-Authenticate": "Bearer"})
            return Response(PRIVATE, mimetype="application/pdf")
        if path == "/big-announced.bin":
            return Response(BIG)  # with Content-Length
        if path == "/big-streamed.bin":
            return Response(BIG[i : i + 65536] for i in range(0, len(BIG), 65536))  # no Content-Length
        if path == "/flaky.txt":
            if self.failures_left[path] > 0:
                self.failures_left[path] -= 1
                return Response("try later", status=503)
            return Response(b"third time lucky")
        if path == "/redirect/same-origin":
            return Response(status=302, headers={"Location": "/private/secret.pdf"})
        if path == "/redirect/elsewhere":
            return Response(
                status=302,
                headers={"Location": self.base.replace("127.0.0.1", "localhost") + "/att/notes.md"},
            )
        return Response("not here", status=404)


@pytest.fixture
def server() -> Iterator[FileServer]:
    app = FileServer()
    with serving(app) as app.base:
        yield app


def att(location: str, filename: str = "report.txt", ident: str = "a-1") -> Attachment:
    return Attachment(SourceRef("jira", ident, "issues.csv", 2), filename, location)


def spec(tmp_path: Path, **kw: object) -> AttachmentFilesSpec:
    values: dict[str, object] = {"directory": "files", "download": True, "cache": str(tmp_path / "cache")}
    values.update(kw)
    return AttachmentFilesSpec(**values)  # type: ignore[arg-type]


def files(tmp_path: Path, env: Mapping[str, str] | None = None, **kw: object) -> AttachmentFiles:
    return AttachmentFiles.from_spec(spec(tmp_path, **kw), tmp_path, env or {})


def cache_listing(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir()) if cache.exists() else []


def problem(found: FileInfo | FileProblem, kind: str) -> FileProblem:
    assert isinstance(found, FileProblem), found
    assert found.kind == kind, found
    return found


def transformer_with(tmp_path: Path, env: Mapping[str, str], **kw: object) -> IssueTransformer:
    config = make_config()
    config.source.files = spec(tmp_path, **kw)
    return IssueTransformer(config, target(), Findings(), source_dir=tmp_path, env=env)


def finding_texts(findings: Findings) -> str:
    return "\n".join(f.render() + repr(f) for f in findings)


# ---------------------------------------------------------------------- downloading and the cache


def test_a_url_without_a_local_copy_is_downloaded_into_the_cache(tmp_path: Path, server: FileServer) -> None:
    found = files(tmp_path).resolve(att(server.url("/att/10001/report.txt")))
    body = FILES["/att/10001/report.txt"]
    assert isinstance(found, FileInfo)
    assert (found.size, found.sha256) == (len(body), hashlib.sha256(body).hexdigest())
    assert found.path == tmp_path / "cache" / found.sha256
    assert found.path.read_bytes() == body
    assert cache_listing(tmp_path / "cache") == sorted([found.sha256, INDEX_NAME])  # no half files left


def test_a_local_copy_wins(tmp_path: Path, server: FileServer) -> None:
    local = tmp_path / "files" / "10001" / "report.txt"
    local.parent.mkdir(parents=True)
    local.write_bytes(b"local copy")
    found = files(tmp_path).resolve(att(server.url("/att/10001/report.txt")))
    assert isinstance(found, FileInfo) and found.path == local
    assert server.paths == []


def test_each_url_is_downloaded_once_across_resolutions_and_runs(tmp_path: Path, server: FileServer) -> None:
    url = server.url("/att/notes.md")
    first_run = files(tmp_path)
    first = first_run.resolve(att(url, "notes.md"))
    again = first_run.resolve(att(url, "notes.md", ident="a-2"))
    rerun = files(tmp_path).resolve(att(url, "notes.md"))  # validate, then run, then verify
    assert isinstance(first, FileInfo) and first == again == rerun
    assert server.hits("/att/notes.md") == 1


def test_a_cached_copy_that_changed_is_downloaded_again(tmp_path: Path, server: FileServer) -> None:
    url = server.url("/att/notes.md")
    first = files(tmp_path).resolve(att(url, "notes.md"))
    assert isinstance(first, FileInfo)
    first.path.write_bytes(b"tampered")
    second = files(tmp_path).resolve(att(url, "notes.md"))
    assert second == first and first.path.read_bytes() == FILES["/att/notes.md"]
    assert server.hits("/att/notes.md") == 2


def test_the_plan_points_at_the_cached_file_and_keeps_the_exports_name(
    tmp_path: Path, server: FileServer
) -> None:
    t = transformer_with(tmp_path, {})
    planned = t.transform(
        make_issue(attachments=[att(server.url("/att/10001/report.txt"), "Q3 report (final).txt")])
    )
    assert planned is not None, list(t.findings)
    (planned_file,) = planned.attachments
    body = FILES["/att/10001/report.txt"]
    assert planned_file.filename == "Q3 report (final).txt"
    assert Path(planned_file.path) == tmp_path / "cache" / hashlib.sha256(body).hexdigest()
    assert (planned_file.size, planned_file.sha256) == (len(body), hashlib.sha256(body).hexdigest())


# ---------------------------------------------------------------------- failures


def test_not_found_is_a_download_failure_with_the_status(tmp_path: Path, server: FileServer) -> None:
    t = transformer_with(tmp_path, {})
    assert t.transform(make_issue(attachments=[att(server.url("/att/gone.txt"), "gone.txt")])) is None
    (f,) = of_kind(t.findings, "attachment.download_failed")
    assert (f.severity, f.field, f.key, f.value) == (
        Severity.ERROR,
        "attachments[0].location",
        "PROJ-1",
        server.url("/att/gone.txt"),
    )
    assert "HTTP 404" in f.message
    assert server.hits("/att/gone.txt") == 1  # a 404 is not retried
    assert cache_listing(tmp_path / "cache") == []


@pytest.mark.parametrize(
    ("env", "auth_env", "hint"),
    [
        ({}, None, "set source.files.auth_env"),
        ({}, "JIRA_AUTH", "JIRA_AUTH, which is not set"),
        ({"JIRA_AUTH": WRONG}, "JIRA_AUTH", "in JIRA_AUTH (source.files.auth_env) was refused"),
    ],
)
def test_unauthorised_hints_at_auth_env(
    tmp_path: Path, server: FileServer, env: dict[str, str], auth_env: str | None, hint: str
) -> None:
    found = problem(
        files(tmp_path, env, auth_env=auth_env).resolve(att(server.url("/private/secret.pdf"))),
        "attachment.download_failed",
    )
    assert "HTTP 401" in found.message and hint in found.hint and "auth_env" in found.hint
    assert "wr0ng-s3ntinel" not in found.message + found.hint


def test_auth_from_the_environment_works_and_the_value_never_shows(
    tmp_path: Path, server: FileServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    t = transformer_with(tmp_path, {"JIRA_AUTH": SENTINEL}, auth_env="JIRA_AUTH")
    attachments = [
        att(server.url("/private/secret.pdf"), "secret.pdf", "a-1"),
        att(server.url("/redirect/same-origin"), "again.pdf", "a-2"),
        att(server.url("/att/missing.pdf"), "missing.pdf", "a-3"),
        att(server.url("/redirect/elsewhere"), "notes.md", "a-4"),
    ]
    assert t.transform(make_issue(attachments=attachments)) is None  # a-3 is a 404
    assert [f.kind for f in t.findings if f.severity == Severity.ERROR] == ["attachment.download_failed"]
    assert server.auth["/private/secret.pdf"] == [
        SENTINEL,
        SENTINEL,
    ]  # direct, and after a same-origin redirect
    assert server.auth["/att/notes.md"] == [None]  # never sent to another origin
    cache = tmp_path / "cache"
    assert (cache / hashlib.sha256(PRIVATE).hexdigest()).read_bytes() == PRIVATE
    leaks = [
        finding_texts(t.findings),
        caplog.text,
        repr(t.files.downloader),
        *cache_listing(cache),
        *(p.read_bytes().decode("latin-1") for p in cache.iterdir()),
    ]
    assert all(TOKEN not in text for text in leaks)
    assert "JIRA_AUTH" in repr(t.files.downloader)


def test_credentials_are_redacted_from_any_text() -> None:
    credentials = Credentials("JIRA_AUTH", {"JIRA_AUTH": SENTINEL})
    assert TOKEN not in credentials.redact(f"oops: {SENTINEL!r} and {TOKEN}") + repr(credentials) + str(
        credentials
    )
    assert credentials.header() == {"Authorization": SENTINEL}


def test_a_host_outside_the_allow_list_is_not_contacted(tmp_path: Path, server: FileServer) -> None:
    found = problem(
        files(tmp_path, allowed_hosts=["jira.example.com"]).resolve(att(server.url("/att/notes.md"))),
        "attachment.host_not_allowed",
    )
    assert "'127.0.0.1'" in found.message and "jira.example.com" in found.hint
    assert server.paths == []
    assert isinstance(
        files(tmp_path, allowed_hosts=["127.0.0.1"]).resolve(att(server.url("/att/notes.md"))), FileInfo
    )


def test_a_redirect_to_a_host_outside_the_allow_list_is_not_followed(
    tmp_path: Path, server: FileServer
) -> None:
    found = problem(
        files(tmp_path, allowed_hosts=["127.0.0.1"]).resolve(att(server.url("/redirect/elsewhere"))),
        "attachment.host_not_allowed",
    )
    assert "redirected" in found.message and "'localhost'" in found.message
    assert server.paths == ["/redirect/elsewhere"]


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        ("/big-announced.bin", f"the server announces {len(BIG)} bytes"),
        ("/big-streamed.bin", "stopped after"),
    ],
)
def test_a_download_over_the_size_limit_stops_and_leaves_nothing(
    tmp_path: Path, server: FileServer, path: str, detail: str
) -> None:
    t = transformer_with(tmp_path, {}, max_size_mb=1)
    assert t.transform(make_issue(attachments=[att(server.url(path), "big.bin")])) is None
    (f,) = of_kind(t.findings, "attachment.too_large")
    assert (f.severity, f.field) == (Severity.ERROR, "attachments[0].location")
    assert "1 MB limit" in f.message and detail in f.message
    assert cache_listing(tmp_path / "cache") in (
        [],
        [INDEX_NAME],
    )  # neither the partial file nor an index entry
    assert server.hits(path) == 1


def test_a_url_without_download_is_missing_with_a_hint(tmp_path: Path, server: FileServer) -> None:
    found = problem(
        files(tmp_path, download=False).resolve(att(server.url("/att/10001/report.txt"))),
        "attachment.missing",
    )
    assert "source.files.download: true" in found.hint and "source.files.directory" in found.hint
    assert server.paths == []


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def downloading(tmp_path: Path, slept: list[float]) -> AttachmentFiles:
    policy = DownloadPolicy(tmp_path / "cache", max_bytes=MB, timeout=5, retries=2, backoff=0.5)
    return AttachmentFiles(
        tmp_path / "files", 1, Downloader(policy, Credentials(None, {}), sleep=slept.append)
    )


def test_connection_errors_are_retried_with_backoff_then_reported(tmp_path: Path) -> None:
    slept: list[float] = []
    resolver, port = downloading(tmp_path, slept), closed_port()
    found = problem(resolver.resolve(att(f"http://127.0.0.1:{port}/x.txt")), "attachment.download_failed")
    assert slept == [0.5, 1.0]
    assert "after 3 attempts" in found.message and "reachable" in found.hint
    other = problem(resolver.resolve(att(f"http://127.0.0.1:{port}/y.txt")), "attachment.download_failed")
    assert "could not be reached earlier in this run" in other.message
    assert slept == [0.5, 1.0]  # the unreachable host is not retried for every file


def test_a_server_error_is_retried(tmp_path: Path, server: FileServer) -> None:
    slept: list[float] = []
    found = downloading(tmp_path, slept).resolve(att(server.url("/flaky.txt"), "flaky.txt"))
    assert isinstance(found, FileInfo) and found.path.read_bytes() == b"third time lucky"
    assert (server.hits("/flaky.txt"), slept) == (2, [0.5])


# ---------------------------------------------------------------------- the mapping's files section

MAPPING = """\
version: 1
source:
  system: jira
  timezone: UTC
  issues:
    fields: {{id: Issue id, summary: Summary, created_at: Created, created_by: Reporter}}
  files:
{files}
target: {{queue: DEMO, namespace: jira-demo}}
"""


def load_files(tmp_path: Path, files_yaml: str) -> AttachmentFilesSpec:
    path = tmp_path / "mapping.yaml"
    path.write_text(MAPPING.format(files=files_yaml), encoding="utf-8")
    return load_mapping(path).source.files


def files_problems(tmp_path: Path, files_yaml: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_files(tmp_path, files_yaml)
    return caught.value.problems


def test_the_download_settings_load(tmp_path: Path) -> None:
    loaded = load_files(
        tmp_path,
        "    directory: attachments\n    download: true\n    auth_env: JIRA_AUTH\n"
        "    allowed_hosts: [Jira.Example.com]\n",
    )
    assert (loaded.download, loaded.cache, loaded.auth_env, loaded.allowed_hosts) == (
        True,
        ".migrator/files",
        "JIRA_AUTH",
        ["jira.example.com"],
    )
    assert load_files(tmp_path, "    directory: attachments\n").download is False


def test_download_settings_problems_name_the_key_and_never_echo_a_token(tmp_path: Path) -> None:
    found = files_problems(
        tmp_path,
        f"    download: yes please\n    cache: ''\n    auth_env: {SENTINEL}\n"
        "    allowed_hosts: [https://jira.example.com/browse, ftp://files.example.com, 'a b']\n",
    )
    text = "\n".join(found)
    assert TOKEN not in text
    assert any(p.startswith("source.files.download: must be true or false") for p in found)
    assert any(p.startswith("source.files.cache: must be a folder name") for p in found)
    assert any(
        p.startswith("source.files.auth_env: must be the name of an environment variable") for p in found
    )
    assert (
        "source.files.allowed_hosts[0]: must be a host name, not a URL (hint: write 'jira.example.com')"
        in found
    )
    assert any(p.startswith("source.files.allowed_hosts[1]:") and "only http and https" in p for p in found)
    assert any(p.startswith("source.files.allowed_hosts[2]:") for p in found)
    assert len(found) == 6


# ---------------------------------------------------------------------- end to end through validate


def test_validate_reports_a_failed_download_before_anything_is_written(
    tmp_path: Path, server: FileServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIRA_AUTH", SENTINEL)
    mapping = base_mapping()
    mapping["source"]["files"] = {
        "directory": "files",
        "download": True,
        "cache": str(tmp_path / "cache"),
        "auth_env": "JIRA_AUTH",
        "allowed_hosts": ["127.0.0.1"],
    }
    cell = "2021-06-02 10:00;alice@example.com;{name};{url}"
    rows = [
        row(1, Attachment=cell.format(name="gone.txt", url=server.url("/att/gone.txt"))),
        row(2, Attachment=cell.format(name="secret.pdf", url=server.url("/private/secret.pdf"))),
    ]
    outcome = run_validate(tmp_path / "export", rows, mapping=mapping, header=HEADER)
    failed = outcome.one("attachment.download_failed")
    assert where(failed) == (2, "P-1", "attachments[0].location")
    assert failed["severity"] == "error" and "HTTP 404" in failed["message"]
    assert [k for k in outcome.kinds() if k.startswith("attachment.")] == ["attachment.download_failed"]
    assert outcome.report["summary"]["counts"]["attachment_bytes"] == len(
        PRIVATE
    )  # P-2's file was downloaded
    for report in (outcome.report_path, outcome.html_path, outcome.xlsx_path):
        assert TOKEN.encode() not in report.read_bytes()
