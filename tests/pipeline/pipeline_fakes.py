"""Small fakes for the sources and transform stages, and builders of issues and configs."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from migrator.findings import Findings
from migrator.mapping.config import MappingConfig, TargetSpec, UsersSpec
from migrator.mapping.target_info import FixtureTarget
from migrator.model import Comment, Issue, Link, SourceRef, UserRef
from migrator.pipeline.prepared import PreparedRun, PrepareOptions, Stages
from migrator.plan import (
    PlannedComment,
    PlannedIssue,
    PlannedLink,
    make_unique,
)
from migrator.sources.spec import SourceSpec
from migrator.validate import validate

T0 = datetime(2024, 1, 10, 9, 0, tzinfo=UTC)
ALICE = UserRef("alice")
TARGET = FixtureTarget({"queues": [{"key": "DEMO"}]}, "DEMO")  # a queue with no users


def make_config(*, keep_keys: bool = False, link_ref: str = "key", parent_ref: str = "key") -> MappingConfig:
    return MappingConfig(
        path=Path("mapping.yaml"),
        source=SourceSpec(
            system="jira", timezone="UTC", date_formats=["iso"], link_ref=link_ref, parent_ref=parent_ref
        ),
        target=TargetSpec(queue="DEMO", namespace="ns", keep_keys=keep_keys),
        values={},
        users=UsersSpec(),
        fields=[],
    )


def issue(
    key: str,
    row: int,
    *,
    id_: str | None = None,
    parent: str | None = None,
    links: Sequence[tuple[str, str]] = (),
    comments: int = 0,
) -> Issue:
    source = SourceRef("jira", id_ or key.split("-")[-1], "issues.csv", row)
    return Issue(
        source=source,
        key=key,
        summary=f"summary of {key}",
        created_at=T0,
        created_by=ALICE,
        parent_key=parent,
        links=[
            Link(SourceRef("jira", f"{key}:{n}", "issues.csv", row), key, to, rel)
            for n, (to, rel) in enumerate(links)
        ],
        comments=[
            Comment(SourceRef("jira", f"{key}/c{n}", "issues.csv", row), ALICE, T0, "text")
            for n in range(comments)
        ],
    )


class FakeTransformer:
    """Plans every issue; relationships pass through; keep_keys → DEMO-<number>."""

    def __init__(
        self,
        config: MappingConfig,
        target_info: Any,
        findings: Findings,
        *,
        source_dir: Path | None = None,
        now: datetime | None = None,
        source_roots: Sequence[Path] = (),
    ) -> None:
        self.config = config
        self.findings = findings
        self.source_dir = source_dir
        self.coverage: list[Any] = []
        self.user_rows: list[Any] = []
        self.distributions: dict[str, Any] = {"status": [("Open", "open", 2), ("Done", "closed", 5)]}
        self.lossy = {"{panel}": 2}
        self.drop: set[str] = set()
        self.large: bool | None = None  # what the pipeline told ``prefetch``

    def prefetch(self, issues: Iterable[Issue], *, large: bool = False) -> Iterator[Issue]:
        self.large = large
        return iter(issues)

    def transform(self, item: Issue) -> PlannedIssue | None:
        if item.key in self.drop:
            return None
        body: dict[str, Any] = {
            "queue": "DEMO",
            "summary": item.summary,
            "unique": make_unique(self.config.target.namespace, item.source),
        }
        if self.config.target.keep_keys:
            body["key"] = f"DEMO-{item.key.split('-')[-1]}"
        links = [
            PlannedLink(link.source.id, link.to_key, link.relationship, "t", "alice") for link in item.links
        ]
        if item.parent_key:
            links.append(
                PlannedLink(f"{item.source.id}:parent", item.parent_key, "is subtask for", "t", "alice")
            )
        return PlannedIssue(
            source=item.source,
            source_key=item.key,
            body=body,
            links=links,
            parent_key=item.parent_key,
            comments=[PlannedComment(c.source.id, {"text": c.text}) for c in item.comments],
        )


def reader_of(issues: list[Issue], extra: Findings | None = None) -> Any:
    def read(source: SourceSpec, paths: Sequence[Path], findings: Findings) -> Iterator[Issue]:
        if extra is not None:
            findings.extend(extra)
        yield from issues

    return read


def run_checks(
    issues: list[Issue],
    *,
    config: MappingConfig | None = None,
    existing: Any = None,
    pre: Findings | None = None,
) -> Findings:
    findings = Findings()
    prepared = PreparedRun(
        config or make_config(),
        [Path("issues.csv")],
        TARGET,
        findings,
        PrepareOptions(existing_keys=existing),
        Stages(reader_of(issues, pre), FakeTransformer),
    )
    prepared.drain()
    return findings


def of_kind(findings: Findings, kind: str) -> list[Any]:
    return [f for f in findings if f.kind == kind]


def fake_validate(issues: list[Issue], *, strict: bool = False, pre: Findings | None = None) -> Any:
    options = PrepareOptions(
        strict=strict, source_label="issues.csv", target_label="snapshot target.json", now=T0
    )
    return validate(
        make_config(),
        [Path("issues.csv")],
        TARGET,
        options,
        stages=Stages(reader_of(issues, pre), FakeTransformer),
    )
