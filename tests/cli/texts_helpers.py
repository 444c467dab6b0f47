"""Helpers of the end-to-end text tests: the fixture exports, the mapping each one runs with, and
what the target holds for them (texts with attachment ids named, so two targets compare)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from migrator.execution.queue_lease import UNIQUE_PREFIX
from migrator.sandbox import SandboxServer
from migrator.sandbox.faults import WRITE_KINDS
from migrator.tracker import TrackerClient, TrackerSettings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "texts"
MARKUPS = ("jira", "adf", "html", "textile", "markdown", "plain")
_ATTACHMENT_ID = re.compile(r"/ajax/v2/attachments/(\d+)")


def mapping_for(markup: str, folder: Path) -> Path:
    """The base mapping with the markup folder's ``source.yaml`` applied, written to ``folder``."""
    base = yaml.safe_load((FIXTURES / "mapping.yaml").read_text(encoding="utf-8"))
    overrides = yaml.safe_load((FIXTURES / markup / "source.yaml").read_text(encoding="utf-8"))
    for section, values in overrides.items():
        base[section].update(values)
    base["target"]["namespace"] = f"texts-{markup}"
    path = folder / f"{markup}-mapping.yaml"
    path.write_text(yaml.safe_dump(base, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def issues_file(markup: str) -> Path:
    return FIXTURES / markup / "issues.json"


def env_for(server: SandboxServer) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update(
        TRACKER_API_URL=server.url, TRACKER_TOKEN=server.admin_token, TRACKER_ORG_ID=str(server.org_id)
    )
    return env


def client_for(server: SandboxServer) -> TrackerClient:
    return TrackerClient(
        TrackerSettings(token=server.admin_token, org_id=str(server.org_id), base_url=server.url)
    )


def run_cli(args: list[str], env: Mapping[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "migrator", *args],
        cwd=cwd,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def writes(server: SandboxServer) -> int:
    by_kind = server.stats()["by_kind"]
    return sum(int(by_kind.get(kind, 0)) for kind in WRITE_KINDS)


def kill_after_writes(proc: subprocess.Popen[bytes], server: SandboxServer, count: int) -> bool:
    """SIGKILL ``proc`` once the sandbox has received ``count`` writes (False: it finished first)."""
    deadline = time.monotonic() + 60.0  # a hang guard, not a performance assertion
    while proc.poll() is None and writes(server) < count:
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("the run made no progress")
        time.sleep(0.002)
    if proc.poll() is not None:
        return False
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    return True


def target_texts(client: TrackerClient, queue: str = "DEMO") -> dict[str, Any]:
    """Every imported issue of ``queue`` by key (not the queue lease's marker): its description, its
    comments' texts (in time order) and its files — attachment ids in texts replaced by the file's
    name, so two targets compare."""
    imported = (
        i for i in client.search_issues(queue=queue) if not str(i.get("unique")).startswith(UNIQUE_PREFIX)
    )
    issues = sorted(imported, key=lambda i: int(str(i["key"]).rsplit("-", 1)[1]))
    names: dict[str, str] = {}
    files: dict[str, list[str]] = {}
    for issue in issues:
        listed = client.list_attachments(issue["key"])
        names.update({str(a["id"]): str(a["name"]) for a in listed})
        files[issue["key"]] = sorted(str(a["name"]) for a in listed)

    def named(text: Any) -> str:
        return _ATTACHMENT_ID.sub(
            lambda m: f"/ajax/v2/attachments/<{names.get(m.group(1), '?')}>", str(text or "")
        )

    return {
        issue["key"]: {
            "summary": issue["summary"],
            "description": named(issue.get("description")),
            "comments": [named(c["text"]) for c in sorted(client.list_comments(issue["key"]), key=_created)],
            "files": files[issue["key"]],
        }
        for issue in issues
    }


def attachment_ids(client: TrackerClient, key: str) -> dict[str, str]:
    """File name -> attachment id on issue ``key``."""
    return {str(a["name"]): str(a["id"]) for a in client.list_attachments(key)}


def _created(item: Mapping[str, Any]) -> str:
    return str(item.get("createdAt"))
