"""Recorded client interactions (vcrpy), replayed offline.

The cassettes under ``cassettes/`` were recorded against the sandbox with the sandbox address
rewritten to ``https://api.tracker.yandex.net`` and the ``Authorization`` / org headers filtered out,
so a recording against a real org can replace them one for one. Re-record with::

    python tests/tracker/test_tracker_cassettes.py          # sandbox
    TRACKER_TOKEN=... TRACKER_ORG_ID=... python tests/tracker/test_tracker_cassettes.py --real

A real org needs what the sandbox's default org has: queue ``DEMO`` and users ``alice``/``bob``
(use a test organization — the scenarios import issues). Tests only replay
(``record_mode="none"``): a request the cassette does not hold fails the test.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import vcr
from vcr.request import Request

from migrator.tracker import BadRequest, NotFound, TargetMetadata, TrackerClient, TrackerSettings

CASSETTES = Path(__file__).parent / "cassettes"
RECORDED_BASE = "https://api.tracker.yandex.net"
FILTERED_HEADERS = ["authorization", "x-org-id", "x-cloud-org-id", "cookie", "set-cookie"]
REPLAY_TOKEN = "y0_REPLAY-token-never-recorded"
T0 = "2021-03-01T10:00:00.000+0000"
T1 = "2021-03-02T11:30:00.000+0000"
T_END = "2021-03-05T10:00:00.000+0000"
ISSUE = {
    "queue": "DEMO",
    "summary": "Recorded issue",
    "createdAt": T0,
    "createdBy": "alice",
    "updatedAt": T_END,
    "updatedBy": "bob",
    "unique": "cassette:1",
}


def _json_body(r1: Request, r2: Request) -> None:
    """JSON bodies must be equal; other bodies (multipart with a random boundary) are not compared."""

    def decoded(request: Request) -> Any:
        body = request.body
        raw = body.read() if hasattr(body, "read") else body
        try:
            return json.loads(raw) if raw else None
        except (ValueError, UnicodeDecodeError):
            return "<binary>"

    assert decoded(r1) == decoded(r2)


def make_vcr(record_mode: str, live_base: str | None = None) -> vcr.VCR:
    """``live_base``: the URL being recorded, rewritten to RECORDED_BASE in requests and responses."""

    def rewrite(text: str) -> str:
        return text.replace(live_base, RECORDED_BASE) if live_base else text

    def before_request(request: Request) -> Request:
        request.uri = rewrite(request.uri)
        return request

    def before_response(response: dict[str, Any]) -> dict[str, Any]:
        body = response["body"].get("string")
        if isinstance(body, bytes) and live_base:
            response["body"]["string"] = body.replace(live_base.encode(), RECORDED_BASE.encode())
        response["headers"] = {
            name: [rewrite(v) for v in values]
            for name, values in response["headers"].items()
            if name.lower() not in FILTERED_HEADERS
        }
        return response

    recorder = vcr.VCR(
        cassette_library_dir=str(CASSETTES),
        record_mode=record_mode,
        filter_headers=FILTERED_HEADERS,
        before_record_request=before_request,
        before_record_response=before_response,
        decode_compressed_response=True,
        match_on=["method", "scheme", "host", "port", "path", "query", "json_body"],
    )
    recorder.register_matcher("json_body", _json_body)
    return recorder


# ---------------------------------------------------------------------- scenarios (recorded and replayed)


def scenario_import_flow(client: TrackerClient, workdir: Path) -> dict[str, Any]:
    issue = client.import_issue(ISSUE)
    comment = client.import_comment(
        issue["key"], {"text": "recorded comment", "createdAt": T1, "createdBy": "bob"}
    )
    with pytest.raises(NotFound) as missing:
        client.get_issue("DEMO-9999")
    return {
        "key": issue["key"],
        "comment_id": comment["id"],
        "comments": [c["text"] for c in client.list_comments(issue["key"])],
        "found": (client.find_by_unique("cassette:1") or {}).get("key"),
        "not_found": client.find_by_unique("cassette:nope"),
        "missing_messages": missing.value.error_messages,
    }


def scenario_attachment(client: TrackerClient, workdir: Path) -> dict[str, Any]:
    issue = client.import_issue({**ISSUE, "unique": "cassette:2"})
    path = workdir / "notes.txt"
    path.write_bytes(b"recorded attachment\n")
    attachment = client.import_attachment(issue["key"], path, "notes.txt", T1, "alice")
    listed = client.list_attachments(issue["key"])
    return {
        "name": attachment["name"],
        "listed": [a["name"] for a in listed],
        "content": client.download(attachment["content"]).decode(),
    }


def scenario_validation_error(client: TrackerClient, workdir: Path) -> dict[str, Any]:
    with pytest.raises(BadRequest) as bad:
        client.import_issue({**ISSUE, "unique": "cassette:3", "status": "noSuchStatus"})
    return {"status": bad.value.status, "fields": sorted(bad.value.errors)}


def scenario_metadata(client: TrackerClient, workdir: Path) -> dict[str, Any]:
    # One read at a time: vcrpy is not thread-safe. Each new ``VCRConnection`` un-patches urllib3
    # process-wide while it builds its real connection (``force_reset``), so a connection another
    # thread creates at that moment is a real one and goes to the network (CI failed on it about
    # one replay in fifty). The reads in parallel are tested against the sandbox.
    meta = TargetMetadata.fetch(client, "DEMO", parallel=1)
    return {
        "statuses": [s["key"] for s in meta.statuses],
        "bug": meta.statuses_for_type("bug"),
        "users": [u["login"] for u in meta.users],
        "default_type": meta.queue("DEMO")["default_type"],
    }


SCENARIOS: dict[str, Callable[[TrackerClient, Path], dict[str, Any]]] = {
    "import_flow": scenario_import_flow,
    "attachment": scenario_attachment,
    "validation_error": scenario_validation_error,
    "metadata": scenario_metadata,
}


def replay_client() -> TrackerClient:
    return TrackerClient(
        TrackerSettings(token=REPLAY_TOKEN, org_id="1", base_url=RECORDED_BASE), sleep=lambda seconds: None
    )


@pytest.fixture
def replayer() -> Iterator[vcr.VCR]:
    yield make_vcr("none")


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_replay(name: str, replayer: vcr.VCR, tmp_path: Path) -> None:
    with replayer.use_cassette(f"{name}.yaml") as cassette, replay_client() as client:
        result = SCENARIOS[name](client, tmp_path)
    assert cassette.all_played, f"{name}: the client sent fewer requests than were recorded"
    check = EXPECTED[name]
    check(result)


def _expect_import_flow(result: dict[str, Any]) -> None:
    assert result["comments"] == ["recorded comment"]
    assert result["found"] == result["key"] and result["not_found"] is None
    assert result["missing_messages"]


def _expect_attachment(result: dict[str, Any]) -> None:
    assert result == {"name": "notes.txt", "listed": ["notes.txt"], "content": "recorded attachment\n"}


def _expect_validation_error(result: dict[str, Any]) -> None:
    assert result == {"status": 400, "fields": ["status"]}


def _expect_metadata(result: dict[str, Any]) -> None:
    assert "open" in result["statuses"] and result["bug"] and result["default_type"]
    assert "alice" in result["users"]


EXPECTED: dict[str, Callable[[dict[str, Any]], None]] = {
    "import_flow": _expect_import_flow,
    "attachment": _expect_attachment,
    "validation_error": _expect_validation_error,
    "metadata": _expect_metadata,
}


def test_every_scenario_has_a_cassette() -> None:
    assert sorted(p.stem for p in CASSETTES.glob("*.yaml")) == sorted(SCENARIOS)


def test_cassettes_hold_no_credentials() -> None:
    secrets = ("sandbox-admin-token", "sandbox-viewer-token", REPLAY_TOKEN, "OAuth ", "Bearer ")
    for path in CASSETTES.glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        for secret in secrets:
            assert secret not in text, f"{path.name} contains {secret!r}"
        for header in FILTERED_HEADERS:
            assert f"\n      {header}:" not in text.lower() and f"{header}:\n" not in text.lower(), (
                path.name,
                header,
            )


# ---------------------------------------------------------------------- recording (not run by pytest)


def record(real: bool = False) -> None:
    """Re-record every cassette against a fresh sandbox (or, with ``real``, the org in TRACKER_*)."""
    import os
    import tempfile

    from migrator.sandbox import SandboxConfig, SandboxServer

    def run(settings: TrackerSettings, live_base: str) -> None:
        recorder = make_vcr("all", live_base)
        for name, scenario in SCENARIOS.items():
            with (
                tempfile.TemporaryDirectory() as tmp,
                recorder.use_cassette(f"{name}.yaml"),
                TrackerClient(settings) as client,
            ):
                EXPECTED[name](scenario(client, Path(tmp)))
            print(f"recorded {name}")

    if real:
        settings = TrackerSettings.from_env(os.environ)
        if settings is None:
            raise SystemExit(
                "set TRACKER_TOKEN/TRACKER_ORG_ID (see docs/client.md) to record against a real org"
            )
        run(settings, settings.base_url)
        return
    with SandboxServer(SandboxConfig(), port=0) as server:
        run(
            TrackerSettings(token=server.admin_token, org_id=str(server.org_id), base_url=server.url),
            server.url,
        )


if __name__ == "__main__":
    record(real="--real" in sys.argv[1:])
