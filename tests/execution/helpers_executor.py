"""Planned issues built in code for the state / executor / verify / kill-resume tests.

Every issue lives in queue DEMO of the sandbox's default org (users admin, alice, bob; types
task/bug; statuses open/inProgress/closed; priority normal). All issue windows overlap (created
in the first hours of 2023-01-01, updated ten days later) so any two issues can be linked, and
every child's timestamps sit inside its issue's window.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from migrator.execution import ExecutorPolicy
from migrator.findings import Findings
from migrator.model import SourceRef
from migrator.pipeline.link_dates import LinkDatePlanner
from migrator.plan import (
    PlannedAttachment,
    PlannedComment,
    PlannedIssue,
    PlannedLink,
    PlannedWorklog,
    PlanRevisions,
    make_unique,
)
from migrator.sandbox import SandboxConfig, SandboxServer
from migrator.timeutil import format_tracker_datetime
from migrator.tracker import RateLimiter, RetryPolicy, TrackerClient, TrackerSettings

QUEUE = "DEMO"
USERS = ("admin", "alice", "bob")
BASE = datetime(2023, 1, 1, tzinfo=UTC)
ISSUE_UPDATED = BASE + timedelta(days=10)


def ts(moment: datetime) -> str:
    return format_tracker_datetime(moment)


def write_file(directory: Path, name: str, content: bytes) -> PlannedAttachment:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_bytes(content)
    return PlannedAttachment(
        source_id="",
        filename=name,
        path=str(path),
        created_at="",
        created_by="",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )


def make_issue(
    n: int,
    files_dir: Path | None = None,
    *,
    namespace: str = "test",
    comments: int = 2,
    files: int = 1,
    comment_files: int = 1,
    worklogs: int = 1,
    links: list[tuple[str, str]] | None = None,
    parent: int | None = None,
    local_fields: dict[str, object] | None = None,
    summary: str | None = None,
) -> PlannedIssue:
    """Issue ``S-<n>``: ``comments`` comments (the first carries ``comment_files`` files), ``files``
    issue files, ``worklogs`` worklogs, ``links`` = [(relationship, other source key)]."""
    key = f"S-{n}"
    source = SourceRef("test", str(n))
    created = BASE + timedelta(minutes=n)
    author = USERS[n % len(USERS)]
    body: dict[str, object] = {
        "queue": QUEUE,
        "summary": summary or f"Issue number {n}",
        "description": f"Description of issue {n}\nsecond line",
        "createdAt": ts(created),
        "createdBy": author,
        "updatedAt": ts(ISSUE_UPDATED),
        "updatedBy": "admin",
        "type": "task",
        "status": "open",
        "priority": "normal",
        "assignee": "bob",
        "tags": ["migrated", f"t{n % 3}"],
        "unique": make_unique(namespace, source),
    }
    issue = PlannedIssue(
        source=source,
        source_key=key,
        body=body,
        local_fields=dict(local_fields or {}),
        parent_key=f"S-{parent}" if parent is not None else None,
    )
    for c in range(comments):
        when = created + timedelta(hours=1 + c)
        comment = PlannedComment(
            source_id=f"{key}-c{c}",
            body={
                "text": f"Comment {c} on {key}",
                "createdAt": ts(when),
                "createdBy": USERS[(n + c) % len(USERS)],
            },
        )
        if c == 0 and files_dir is not None:
            for f in range(comment_files):
                comment.attachments.append(
                    _attachment(files_dir, f"{key}-c{c}-f{f}", f"shot{f}.png", when, author)
                )
        issue.comments.append(comment)
    if files_dir is not None:
        for f in range(files):
            when = created + timedelta(minutes=30 + f)
            issue.attachments.append(_attachment(files_dir, f"{key}-f{f}", f"doc{f}.txt", when, author))
    for w in range(worklogs):
        start = created + timedelta(days=1, hours=w)
        issue.worklogs.append(
            PlannedWorklog(
                source_id=f"{key}-w{w}",
                body={
                    "start": ts(start),
                    "duration": "PT1H30M",
                    "createdAt": ts(start + timedelta(hours=2)),
                    "createdBy": author,
                    "comment": f"work {w}",
                },
            )
        )
    for relationship, other in links or []:
        issue.links.append(
            PlannedLink(
                source_id=link_id(key, relationship, other),
                to_source_key=other,
                relationship=relationship,
                created_at=ts(BASE + timedelta(days=5)),
                created_by="admin",
            )
        )
    return issue


def planned_link_dates(
    plan: list[PlannedIssue], undated_links: str = "extend"
) -> tuple[Findings, PlanRevisions]:
    """What the pipeline's planning across issues decides for ``plan``'s links (``pipeline/link_dates.py``),
    as ``run`` hands it to ``load_plan``: dates inside both windows, windows extended."""
    findings, revisions = Findings(), PlanRevisions()
    planner = LinkDatePlanner(findings, undated_links)
    for issue in plan:
        planner.add(issue)
    planner.plan(revisions, {})
    return findings, revisions


def link_id(key: str, relationship: str, other: str) -> str:
    return f"{key}|{relationship}|{other}"


def _attachment(directory: Path, source_id: str, name: str, when: datetime, author: str) -> PlannedAttachment:
    content = f"content of {source_id}\n".encode() * 3
    attachment = write_file(directory / source_id, name, content)
    attachment.source_id = source_id
    attachment.created_at = ts(when)
    attachment.created_by = author
    return attachment


def make_plan(
    count: int, files_dir: Path | None = None, *, namespace: str = "test", **kwargs: object
) -> list[PlannedIssue]:
    """``count`` issues; every third one is a subtask of the previous, every issue relates to the next."""
    plan = []
    for n in range(1, count + 1):
        links = [("relates", f"S-{n + 1}")] if n < count else []
        parent = n - 1 if n % 3 == 0 else None
        if parent is not None:
            links.append(("is subtask for", f"S-{parent}"))
        plan.append(make_issue(n, files_dir, namespace=namespace, links=links, parent=parent, **kwargs))  # type: ignore[arg-type]
    return plan


def object_count(plan: list[PlannedIssue]) -> int:
    """Ledger rows the plan makes (links counted once)."""
    links = {link.source_id for issue in plan for link in issue.links}
    return sum(
        1
        + len(i.comments)
        + sum(len(c.attachments) for c in i.comments)
        + len(i.attachments)
        + len(i.worklogs)
        + (1 if i.local_fields else 0)
        for i in plan
    ) + len(links)


# ---------------------------------------------------------------------- sandbox plumbing

WRITE_KINDS = (
    "issue_import",
    "comment_import",
    "attachment_import",
    "comment_attachment_import",
    "worklog_import",
    "link_import",
    "patch",
)
FAST = ExecutorPolicy(backoff_base=0.01, backoff_max=0.05)


@contextmanager
def sandbox_server(**config: Any) -> Iterator[SandboxServer]:
    """A sandbox on a free loopback port with the default org (settings as ``SandboxConfig`` fields)."""
    with SandboxServer(SandboxConfig(**config), port=0) as server:
        yield server


def client_for(
    server: SandboxServer, rate_limiter: RateLimiter | None = None, read_timeout: float = 10.0
) -> TrackerClient:
    settings = TrackerSettings(
        token=server.admin_token,
        org_id=str(server.org_id),
        base_url=server.url,
        read_timeout=read_timeout,
        retry=RetryPolicy(max_attempts=8, backoff_base=0.01, backoff_max=0.2),
    )
    return TrackerClient(settings, rate_limiter=rate_limiter)


def writes(stats: dict[str, Any]) -> int:
    """Write requests the sandbox has received (every import kind plus PATCH)."""
    return sum(int(stats["by_kind"].get(kind, 0)) for kind in WRITE_KINDS)


def writes_by_kind(stats: dict[str, Any]) -> dict[str, int]:
    return {kind: int(stats["by_kind"].get(kind, 0)) for kind in WRITE_KINDS}


def target_snapshot(client: TrackerClient, plan: list[PlannedIssue]) -> dict[str, Any]:
    """What the target holds for ``plan``, keyed by ``unique`` and free of target ids/keys, so two
    imports into different sandboxes compare equal when they made the same objects."""
    keys = {}
    for issue in plan:
        found = client.find_by_unique(issue.unique)
        keys[issue.source_key] = found["key"] if found else None
    by_target = {v: k for k, v in keys.items() if v}
    out: dict[str, Any] = {}
    for issue in plan:
        key = keys[issue.source_key]
        if key is None:
            out[issue.unique] = None
            continue
        data = client.get_issue(key)
        out[issue.unique] = {
            "summary": data["summary"],
            "status": data["status"]["key"],
            "createdAt": data["createdAt"],
            "comments": sorted(
                (c["createdAt"], c["createdBy"]["id"], c["text"], len(c.get("attachments", [])))
                for c in client.list_comments(key)
            ),
            "files": sorted((a["name"], a["size"], a["createdAt"]) for a in client.list_attachments(key)),
            "worklogs": sorted((w["start"], w["duration"]) for w in client.list_worklogs(key)),
            "links": sorted(
                (link["type"]["id"], link["direction"], by_target.get(link["object"]["key"]))
                for link in client.list_links(key)
            ),
        }
    return out


def demo_local_field() -> str:
    """The id (``<hex>--<key>``) of the first local field of queue DEMO in the default org."""
    with sandbox_server() as server, client_for(server) as client:
        return str(client.list_local_fields(QUEUE)[0]["id"])
