"""Builders for the mapping-stage tests: a target fixture dict, a mapping config, canonical issues."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from migrator.errors import ConfigError
from migrator.findings import Finding, Findings
from migrator.mapping.config import ExtraField, MappingConfig, TargetSpec, UsersSpec, ValueMap, load_mapping
from migrator.mapping.target_info import TargetInfo
from migrator.mapping.transform import IssueTransformer
from migrator.model import Issue, SourceRef, UserRef
from migrator.sources.spec import AttachmentFilesSpec, SourceSpec

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)  # default issue createdAt

TARGET: dict[str, Any] = {
    "org": {"id": "1"},
    "users": [
        {"uid": 1, "login": "admin", "email": "admin@example.com", "display": "Admin Adminov"},
        {"uid": 2, "login": "alice", "email": "alice@example.com", "display": "Alice Liddell"},
        {"uid": 3, "login": "bob", "email": "bob@example.com", "display": "Bob Builder"},
        {"uid": 4, "login": "bob2", "email": "robert@example.com", "display": "Bob Builder"},
        {
            "uid": 5,
            "login": "carol",
            "email": "carol@example.com",
            "display": "Carol Clark",
            "dismissed": True,
        },
        {"uid": 6, "login": "ivanov", "email": "ivanov@example.com", "display": "Ivan Ivanov"},
    ],
    "statuses": [{"key": k} for k in ("open", "inProgress", "needInfo", "resolved", "closed")],
    "issue_types": [{"key": k} for k in ("bug", "task", "story", "epic")],
    "priorities": [{"key": k} for k in ("minor", "normal", "critical")],
    "resolutions": [{"key": k} for k in ("fixed", "wontFix", "duplicate")],
    "link_types": [{"id": i} for i in ("relates", "depends", "subtask", "duplicates", "epic")],
    "fields": [
        {"id": "storyPoints", "key": "storyPoints", "schema": {"type": "number"}},
        {"id": "severity", "key": "severity", "schema": {"type": "string"}, "options": ["S1", "S2", "S3"]},
        {"id": "businessValue", "key": "businessValue", "schema": {"type": "number"}},
        {"id": "reviewer", "key": "reviewer", "schema": {"type": "user"}},
        {"id": "dueAt", "key": "dueAt", "schema": {"type": "datetime"}},
    ],
    "queues": [
        {
            "key": "DEMO",
            "id": 1,
            "default_type": "task",
            "workflows": [
                {
                    "id": "dev",
                    "statuses": ["open", "inProgress", "needInfo", "resolved", "closed"],
                    "types": ["bug", "task", "story"],
                },
                {"id": "epics", "statuses": ["open", "closed"], "types": ["epic"]},
            ],
            "components": [{"id": 11, "name": "Backend"}, {"id": 12, "name": "Frontend"}],
            "versions": [{"id": 21, "name": "1.0"}, {"id": 22, "name": "2.0"}],
            "local_fields": [
                {
                    "id": "5f0c0ffee0c0ffee0c0ffee0--customer",
                    "key": "customer",
                    "schema": {"type": "string"},
                    "options": ["Acme", "Globex"],
                },
                {"id": "5f0c0ffee0c0ffee0c0ffee0--budget", "key": "budget", "schema": {"type": "number"}},
            ],
        }
    ],
}


def target(data: dict[str, Any] | None = None, queue: str = "DEMO") -> TargetInfo:
    return TargetInfo.from_fixture_dict(copy.deepcopy(data or TARGET), queue)


def value_maps() -> dict[str, ValueMap]:
    return {
        "type": ValueMap({"Bug": "bug", "Task": "task", "Story": "story", "Epic": "epic"}, "default", "task"),
        "status": ValueMap(
            {"Open": "open", "In Progress": "inProgress", "Resolved": "resolved", "Done": "closed"}
        ),
        "priority": ValueMap({"High": "critical", "Medium": "normal", "Low": "minor"}, "default", "normal"),
        "resolution": ValueMap({"Fixed": "fixed", "Won't Fix": "wontFix", "Duplicate": "duplicate"}),
        "link": ValueMap(
            {
                "blocks": "is dependent by",
                "is blocked by": "depends on",
                "relates to": "relates",
                "duplicates": "duplicates",
                "is duplicated by": "is duplicated by",
            }
        ),
    }


def make_config(
    *,
    values: dict[str, ValueMap] | None = None,
    users: UsersSpec | None = None,
    fields: list[ExtraField] | None = None,
    markup: str = "plain",
    keep_keys: bool = False,
    markup_type: str | None = "md",
    files_dir: str | None = "files",
    max_size_mb: float = 1024.0,
    missing_files: str = "skip-file",
) -> MappingConfig:
    return MappingConfig(
        path=Path("mapping.yaml"),
        source=SourceSpec(
            system="jira",
            timezone="UTC",
            date_formats=["iso"],
            markup=markup,
            files=AttachmentFilesSpec(directory=files_dir, max_size_mb=max_size_mb, missing=missing_files),
        ),
        target=TargetSpec(queue="DEMO", namespace="test", keep_keys=keep_keys, markup_type=markup_type),
        values=value_maps() if values is None else values,
        users=users or UsersSpec(map={"jsmith": "alice"}, match=["email", "login", "name"]),
        fields=fields or [],
    )


def make_issue(key: str = "PROJ-1", **kw: Any) -> Issue:
    number = key.rsplit("-", 1)[-1]
    defaults: dict[str, Any] = {
        "source": SourceRef(
            "jira", f"100{number}", "issues.csv", int(number) + 1 if number.isdigit() else None
        ),
        "key": key,
        "summary": f"Issue {key}",
        "created_at": T0,
        "created_by": UserRef("jsmith"),
    }
    defaults.update(kw)
    return Issue(**defaults)


def child_ref(kind: str, ident: str) -> SourceRef:
    return SourceRef("jira", f"{kind}-{ident}")


def transformer(
    config: MappingConfig | None = None,
    *,
    source_dir: Path | None = None,
    target_data: dict[str, Any] | None = None,
    findings: Findings | None = None,
) -> IssueTransformer:
    return IssueTransformer(
        config or make_config(),
        target(target_data),
        findings if findings is not None else Findings(),
        source_dir=source_dir or Path("."),
        now=NOW,
    )


def of_kind(findings: Iterable[Finding], kind: str) -> list[Finding]:
    return [f for f in findings if f.kind == kind]


def kinds(findings: Iterable[Finding]) -> list[str]:
    return sorted(f.kind for f in findings)


def mapping_problems(tmp_path: Path, text: str) -> list[str]:
    """The problems ``load_mapping`` reports for the mapping ``text`` (it must have some)."""
    path = tmp_path / "mapping.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_mapping(path)
    return caught.value.problems


@contextmanager
def serving(app: Callable[..., Any], host: str = "127.0.0.1") -> Iterator[str]:
    """Serve the WSGI ``app`` on ``host`` (any free port) in a thread; yields its base URL."""
    httpd = make_server(host, 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{httpd.server_port}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
