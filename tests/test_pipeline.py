"""The pipeline's global checks, counts and streaming, with small fakes for sources and transform."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from migrator.errors import MigratorError
from migrator.findings import Findings, Severity
from migrator.mapping.config import MappingConfig, SourceSpec, TargetSpec, UsersSpec
from migrator.model import Comment, Issue, Link, SourceRef, UserRef
from migrator.pipeline import GlobalIndex, PreparedRun, Tally, find_cycles, lossy_summary, prepare
from migrator.plan import (
    PlannedAttachment,
    PlannedComment,
    PlannedIssue,
    PlannedLink,
    PlannedWorklog,
    make_unique,
)
from migrator.report.json_report import (
    format_console_summary,
    format_estimate,
    report_to_dict,
    write_json_report,
)
from migrator.report.model import Estimate
from migrator.snapshot import QueueKeyLookup
from migrator.validate import estimate, validate

T0 = datetime(2024, 1, 10, 9, 0, tzinfo=UTC)
ALICE = UserRef("alice")


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
    ) -> None:
        self.config = config
        self.findings = findings
        self.source_dir = source_dir
        self.coverage: list[Any] = []
        self.user_rows: list[Any] = []
        self.distributions: dict[str, Any] = {"status": [("Open", "open", 2), ("Done", "closed", 5)]}
        self.lossy = {"{panel}": 2}
        self.drop: set[str] = set()

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
    def read(config: MappingConfig, paths: Sequence[Path], findings: Findings) -> Iterator[Issue]:
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
        object(),
        findings,
        existing_keys=existing,
        reader=reader_of(issues, pre),
        transformer_factory=FakeTransformer,
    )
    prepared.drain()
    return findings


def of_kind(findings: Findings, kind: str) -> list[Any]:
    return [f for f in findings if f.kind == kind]


# ---------------------------------------------------------------------- global checks


def test_clean_export_has_no_findings() -> None:
    issues = [issue("P-1", 2, links=[("P-2", "relates")]), issue("P-2", 3, parent="P-1")]
    assert list(run_checks(issues)) == []


def test_duplicate_source_key_is_reported_once_per_extra_row() -> None:
    findings = run_checks([issue("P-1", 2, id_="1"), issue("P-1", 3, id_="2"), issue("P-1", 4, id_="3")])
    dupes = of_kind(findings, "source.duplicate_key")
    assert [(f.key, f.row, f.field, f.severity) for f in dupes] == [
        ("P-1", 3, "key", Severity.ERROR),
        ("P-1", 4, "key", Severity.ERROR),
    ]


def test_duplicate_key_already_reported_by_sources_is_not_repeated() -> None:
    pre = Findings()
    pre.error("source.duplicate_key", "dup", file="issues.csv", row=3, key="P-1", field="key")
    findings = run_checks([issue("P-1", 2, id_="1"), issue("P-1", 3, id_="2")], pre=pre)
    assert len(of_kind(findings, "source.duplicate_key")) == 1


def test_duplicate_source_id_would_share_a_unique() -> None:
    findings = run_checks([issue("P-1", 2, id_="7"), issue("P-2", 3, id_="7")])
    (dupe,) = of_kind(findings, "source.duplicate_id")
    assert (dupe.row, dupe.field, dupe.value) == (3, "id", "7")


def test_link_to_issue_outside_export_is_dangling() -> None:
    findings = run_checks([issue("P-1", 2, links=[("X-9", "blocks")]), issue("P-2", 3)])
    (dangling,) = of_kind(findings, "link.dangling")
    assert (dangling.severity, dangling.key, dangling.field, dangling.value, dangling.row) == (
        Severity.ERROR,
        "P-1",
        "links",
        "X-9",
        2,
    )
    assert "blocks" in dangling.message


def test_link_to_an_issue_read_later_is_not_dangling() -> None:
    findings = run_checks([issue("P-1", 2, links=[("P-3", "relates")]), issue("P-2", 3), issue("P-3", 4)])
    assert of_kind(findings, "link.dangling") == []


def test_link_by_id_resolves_when_mapping_says_links_hold_ids() -> None:
    issues = [issue("P-1", 2, id_="100", links=[("200", "relates")]), issue("P-2", 3, id_="200")]
    assert of_kind(run_checks(issues, config=make_config(link_ref="id")), "link.dangling") == []
    assert len(of_kind(run_checks(issues, config=make_config(link_ref="key")), "link.dangling")) == 1


def test_reference_to_an_issue_the_sources_could_not_read_says_so() -> None:
    pre = Findings()
    pre.error(
        "date.unparsable", "cannot read the date", file="issues.csv", row=2, key="P-1", field="created_at"
    )
    findings = run_checks([issue("P-2", 3, parent="P-1"), issue("P-3", 4, parent="P-9")], pre=pre)
    unreadable, missing = of_kind(findings, "parent.dangling")
    assert (unreadable.key, unreadable.value) == ("P-2", "P-1") and "could not be read" in unreadable.message
    assert (missing.key, missing.value) == ("P-3", "P-9") and "not in this export" in missing.message


def test_parent_outside_export_is_dangling() -> None:
    findings = run_checks([issue("P-2", 3, parent="P-99")])
    (dangling,) = of_kind(findings, "parent.dangling")
    assert (dangling.key, dangling.field, dangling.value) == ("P-2", "parent", "P-99")


def test_parent_cycle_names_every_key_once() -> None:
    issues = [
        issue("P-1", 2, parent="P-3"),
        issue("P-2", 3, parent="P-1"),
        issue("P-3", 4, parent="P-2"),
        issue("P-4", 5, parent="P-1"),
    ]
    (cycle,) = of_kind(run_checks(issues), "parent.cycle")
    assert cycle.severity is Severity.ERROR
    assert cycle.key == "P-1" and cycle.field == "parent" and cycle.row == 2
    assert cycle.value == "P-1, P-3, P-2"
    assert "P-1 → P-3 → P-2 → P-1" in cycle.message


def test_self_parent_is_a_cycle() -> None:
    (cycle,) = of_kind(run_checks([issue("P-1", 2, parent="P-1")]), "parent.cycle")
    assert cycle.value == "P-1"


def test_cycle_through_subtask_links() -> None:
    issues = [
        issue("P-1", 2, links=[("P-2", "is subtask for")]),
        issue("P-2", 3, links=[("P-1", "is subtask for")]),
    ]
    (cycle,) = of_kind(run_checks(issues), "parent.cycle")
    assert cycle.value == "P-1, P-2"


def test_two_different_parents() -> None:
    issues = [
        issue("P-1", 2),
        issue("P-2", 3),
        issue("P-3", 4, parent="P-1", links=[("P-2", "is subtask for")]),
    ]
    (multiple,) = of_kind(run_checks(issues), "parent.multiple")
    assert (multiple.key, multiple.field) == ("P-3", "parent")


def test_find_cycles_is_linear_and_deterministic() -> None:
    chain = {f"K{i}": f"K{i + 1}" for i in range(50_000)}
    assert find_cycles(chain) == []
    assert find_cycles({"b": "c", "c": "a", "a": "b", "x": "a", "y": "y"}) == [["a", "b", "c"], ["y"]]


# ---------------------------------------------------------------------- keep_keys


def test_keep_keys_two_sources_one_target_key() -> None:
    findings = run_checks(
        [issue("A-5", 2, id_="1"), issue("B-5", 3, id_="2")],
        config=make_config(keep_keys=True),
        existing=lambda keys: {},
    )
    (dupe,) = of_kind(findings, "key.duplicate_target")
    assert (dupe.key, dupe.value, dupe.row) == ("B-5", "DEMO-5", 3)


def test_keep_keys_collision_with_existing_issue() -> None:
    asked: list[list[str]] = []

    def existing(keys: Any) -> dict[str, str | None]:
        asked.append(sorted(keys))
        return {"DEMO-2": "someone-else", "DEMO-3": "ns:jira:3"}  # DEMO-3 is ours from an earlier run

    issues = [issue("P-1", 2), issue("P-2", 3), issue("P-3", 4)]
    findings = run_checks(issues, config=make_config(keep_keys=True), existing=existing)
    assert asked == [["DEMO-1", "DEMO-2", "DEMO-3"]]
    (collision,) = of_kind(findings, "key.collision")
    assert (collision.severity, collision.key, collision.field, collision.value, collision.row) == (
        Severity.ERROR,
        "P-2",
        "key",
        "DEMO-2",
        3,
    )


def test_keep_keys_without_read_access_says_so() -> None:
    findings = run_checks([issue("P-1", 2)], config=make_config(keep_keys=True))
    (note,) = of_kind(findings, "key.collision_unchecked")
    assert note.severity is Severity.INFO


def test_no_key_lookup_without_keep_keys() -> None:
    def existing(keys: Any) -> dict[str, str | None]:
        raise AssertionError("must not search the queue")

    assert list(run_checks([issue("P-1", 2)], existing=existing)) == []


# ---------------------------------------------------------------------- streaming and counts


def test_planned_streams_once_and_findings_are_complete_at_the_end() -> None:
    findings = Findings()
    prepared = PreparedRun(
        make_config(),
        ["data/issues.csv"],
        object(),
        findings,
        reader=reader_of([issue("P-1", 2, parent="P-9"), issue("P-2", 3)]),
        transformer_factory=FakeTransformer,
    )
    assert prepared.source_dir == Path("data")
    stream = prepared.planned()
    first = next(stream)
    assert first.source_key == "P-1" and len(findings) == 0  # global checks wait for the end
    assert [p.source_key for p in stream] == ["P-2"]
    assert [f.kind for f in findings] == ["parent.dangling"]
    with pytest.raises(RuntimeError):
        next(prepared.planned())


def test_finish_is_idempotent_and_works_after_stopping_early() -> None:
    findings = Findings()
    prepared = PreparedRun(
        make_config(),
        ["issues.csv"],
        object(),
        findings,
        reader=reader_of([issue("P-1", 2, links=[("Q-1", "relates")]), issue("P-2", 3)]),
        transformer_factory=FakeTransformer,
    )
    next(prepared.planned())
    first = prepared.finish()
    second = prepared.finish()
    assert [f.kind for f in findings] == ["link.dangling"]
    assert [f.kind for f in first.findings] == [f.kind for f in second.findings] == ["link.dangling"]


def test_prepare_streams_into_a_store_then_finishes_with_the_result(monkeypatch: pytest.MonkeyPatch) -> None:
    import migrator.pipeline as pipeline

    monkeypatch.setattr(
        pipeline,
        "_default_reader",
        lambda: reader_of([issue("P-1", 2, comments=2), issue("P-2", 3, parent="P-1")]),
    )
    monkeypatch.setattr(pipeline, "_default_transformer_factory", lambda: FakeTransformer)
    findings = Findings()
    prepared = prepare(
        make_config(),
        ["issues.csv"],
        object(),
        findings,
        strict=True,
        source_label="issues.csv",
        target_label="https://tracker",
        max_rps=5,
    )
    stored = [p.source_key for p in prepared.planned()]  # what planning.load_plan would consume
    result = prepared.finish(generated_at=T0)
    assert stored == ["P-1", "P-2"]
    assert (result.strict, result.sources, result.target, result.queue, result.namespace) == (
        True,
        ["issues.csv"],
        "https://tracker",
        "DEMO",
        "ns",
    )
    assert result.generated_at == "2024-01-10T09:00:00.000+0000"
    assert result.counts["comments"] == 2 and result.counts["links"] == 1
    assert result.estimate is not None and result.estimate.rate_rps == 5
    assert result.exit_code == 0


def test_prepared_run_is_iterable_once() -> None:
    prepared = PreparedRun(
        make_config(),
        ["issues.csv"],
        object(),
        Findings(),
        reader=reader_of([issue("P-1", 2)]),
        transformer_factory=FakeTransformer,
    )
    assert [p.source_key for p in prepared] == ["P-1"]
    with pytest.raises(RuntimeError):
        iter(prepared)


def test_tally_counts_children_files_and_patches() -> None:
    tally = Tally()
    planned = PlannedIssue(
        source=SourceRef("jira", "1"),
        source_key="P-1",
        body={"unique": "u"},
        local_fields={"x--customer": "Acme"},
        comments=[PlannedComment("c1", {}, [PlannedAttachment("a2", "b.txt", "b", "t", "alice", size=5)])],
        attachments=[PlannedAttachment("a1", "a.txt", "a", "t", "alice", size=10)],
        worklogs=[PlannedWorklog("w1", {})],
        links=[PlannedLink("l1", "P-2", "relates", "t", "alice")],
    )
    tally.issues = 2
    tally.add(planned)
    counts = tally.as_counts()
    assert counts == {
        "issues": 2,
        "comments": 1,
        "attachments": 2,
        "attachment_bytes": 15,
        "links": 1,
        "worklogs": 1,
        "issues_planned": 1,
        "issues_not_planned": 1,
        "local_field_patches": 1,
    }


def test_a_link_listed_on_both_ends_counts_once() -> None:
    tally = Tally()
    link = PlannedLink("link:P-1|relates|P-2", "P-2", "relates", "t", "alice")
    tally.add(PlannedIssue(SourceRef("jira", "1"), "P-1", {"unique": "u1"}, links=[link]))
    tally.add(
        PlannedIssue(
            SourceRef("jira", "2"),
            "P-2",
            {"unique": "u2"},
            links=[PlannedLink("link:P-1|relates|P-2", "P-1", "relates", "t", "alice")],
        )
    )
    assert tally.links == 1


def test_dropped_issue_still_counts_as_in_the_export() -> None:
    class Dropping(FakeTransformer):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.drop = {"P-2"}

    findings = Findings()
    unplanned = issue("P-2", 3, comments=2, parent="P-1", links=[("P-1", "relates")])
    prepared = PreparedRun(
        make_config(),
        ["issues.csv"],
        object(),
        findings,
        reader=reader_of([issue("P-1", 2, comments=1), unplanned]),
        transformer_factory=Dropping,
    )
    assert [p.source_key for p in prepared.planned()] == ["P-1"]
    assert list(findings) == []  # P-2 exists in the export; its own findings explain why it was not planned
    result = prepared.finish()
    assert result.counts["issues_not_planned"] == 1
    assert (result.counts["issues"], result.counts["comments"], result.counts["links"]) == (2, 3, 2)
    assert result.estimate is not None and result.estimate.calls_by_kind["issue_import"] == 2


def test_global_index_memory_keeps_only_unresolved_refs() -> None:
    index = GlobalIndex(make_config(), Findings())
    for n in range(1, 1001):
        item = issue(f"P-{n}", n + 1, links=[(f"P-{n - 1}", "relates")] if n > 1 else [])
        index.add(item, None)
    assert index._pending == []


def test_lossy_summary_prefers_the_transform_tally() -> None:
    findings = Findings()
    findings.warning("markup.lossy", "x", value="{color}")
    findings.warning("markup.lossy", "x", value="{color}")
    assert lossy_summary(findings, {"{panel}": 1, "{toc}": 3}) == {"{toc}": 3, "{panel}": 1}
    assert lossy_summary(findings, None) == {"{color}": 2}


# ---------------------------------------------------------------------- estimate and reports


def test_estimate_counts_one_call_per_object_plus_reads() -> None:
    tally = Tally(issues=100, planned=100, comments=300, attachments=20, worklogs=5, local_field_patches=10)
    tally.add(
        PlannedIssue(
            SourceRef("jira", "1"),
            "P-1",
            {"unique": "u"},
            links=[PlannedLink(f"l{n}", "P-2", "relates", "t", "a") for n in range(30)],
        )
    )
    tally.planned, tally.comments = 100, 300
    result = estimate(tally, max_rps=10, users=250)
    assert result.calls_by_kind["issue_import"] == 100
    assert result.calls_by_kind["reads"] == 13 + 3
    assert result.api_calls == 100 + 300 + 20 + 30 + 5 + 10 + 16
    assert result.seconds == pytest.approx(result.api_calls / 10)
    with pytest.raises(ValueError):
        estimate(tally, max_rps=0)


def test_a_non_positive_rate_is_a_user_error() -> None:
    with pytest.raises(MigratorError, match="rate must be positive"):
        prepare(make_config(), ["issues.csv"], object(), Findings(), max_rps=0)


def test_estimate_text() -> None:
    assert format_estimate(Estimate(312_000, {}, 10, 31_200)) == "312,000 calls ≈ 8.7 h at 10 rps"
    assert format_estimate(Estimate(50, {}, 10, 5)) == "50 calls ≈ 5 s at 10 rps"


def fake_validate(issues: list[Issue], *, strict: bool = False, pre: Findings | None = None) -> Any:
    return validate(
        make_config(),
        [Path("issues.csv")],
        object(),
        strict=strict,
        source_label="issues.csv",
        target_label="snapshot target.json",
        reader=reader_of(issues, pre),
        transformer_factory=FakeTransformer,
        now=T0,
    )


def test_validate_assembles_result_with_counts_estimate_and_extra() -> None:
    result = fake_validate([issue("P-1", 2, comments=3, links=[("X-1", "relates")]), issue("P-2", 3)])
    assert result.counts["issues"] == 2 and result.counts["comments"] == 3 and result.counts["links"] == 1
    assert result.sources == ["issues.csv"] and result.target == "snapshot target.json"
    assert result.distributions["status"][0] == ("Done", "closed", 5)
    assert result.extra["lossy_markup"] == {"{panel}": 2}
    assert result.estimate is not None and result.estimate.calls_by_kind["comment_import"] == 3
    assert result.exit_code == 1  # the dangling link


def test_strict_makes_warnings_block() -> None:
    pre = Findings()
    pre.warning("value.defaulted", "defaulted", row=2, key="P-1", field="priority")
    assert fake_validate([issue("P-1", 2)], pre=pre).exit_code == 0
    strict = fake_validate([issue("P-1", 2)], strict=True, pre=pre)
    assert strict.exit_code == 1 and strict.blocking == 1
    assert report_to_dict(strict)["findings"][0]["blocking"] is True


def test_json_report_schema_grouping_and_no_truncation(tmp_path: Path) -> None:
    pre = Findings()
    for n in range(500):
        pre.warning(
            "value.defaulted", "defaulted", file="issues.csv", row=n + 2, key=f"P-{n}", field="priority"
        )
    result = fake_validate([issue("P-1", 2, links=[("X-1", "relates")])], pre=pre)
    path = write_json_report(result, tmp_path / "out" / "report.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data == report_to_dict(result)
    assert list(data) == [
        "schema_version",
        "generated_at",
        "status",
        "exit_code",
        "strict",
        "mapping",
        "sources",
        "target",
        "queue",
        "namespace",
        "summary",
        "findings",
        "value_coverage",
        "users",
        "distributions",
        "estimate",
        "extra",
    ]
    assert data["schema_version"] == 1 and data["status"] == "blocked" and data["exit_code"] == 1
    assert data["summary"]["errors"] == 1 and data["summary"]["warnings"] == 500
    assert data["summary"]["by_kind"]["value.defaulted"] == {
        "error": 0,
        "warning": 500,
        "info": 0,
        "total": 500,
        "blocking": 0,
    }
    assert len(data["findings"]) == 501
    assert data["findings"][0]["kind"] == "link.dangling"  # errors first
    assert [f["row"] for f in data["findings"][1:4]] == [2, 3, 4]  # found-order within a kind
    assert set(data["findings"][0]) == {
        "severity",
        "kind",
        "message",
        "file",
        "row",
        "key",
        "field",
        "value",
        "hint",
        "blocking",
    }
    assert data["estimate"]["text"].endswith("at 10 rps")
    assert data["distributions"]["status"][0] == {
        "source_value": "Done",
        "target_value": "closed",
        "count": 5,
    }
    assert not (tmp_path / "out" / "report.json.tmp").exists()


def test_empty_findings_list_is_valid_json(tmp_path: Path) -> None:
    result = fake_validate([issue("P-1", 2)])
    data = json.loads(write_json_report(result, tmp_path / "r.json").read_text(encoding="utf-8"))
    assert data["findings"] == [] and data["status"] == "ok" and data["exit_code"] == 0


def test_console_summary_groups_and_says_how_many_are_not_shown() -> None:
    pre = Findings()
    for n in range(5):
        pre.warning(
            "value.defaulted", "defaulted", file="issues.csv", row=n + 2, key=f"P-{n}", field="priority"
        )
    result = fake_validate([issue("P-1", 2, links=[("X-1", "relates")])], pre=pre)
    text = format_console_summary(result, ["out/report.json", "out/report.html"])
    assert "1 error(s), 5 warning(s)" in text
    assert text.index("link.dangling") < text.index("value.defaulted")
    assert "… and 2 more (all listed in the report)" in text
    assert "Estimate: " in text and "Result: BLOCKED" in text
    assert text.endswith("Report: out/report.json\nReport: out/report.html")


# ---------------------------------------------------------------------- existing-keys lookup


class FakeSearchClient:
    def __init__(self, issues: list[dict[str, Any]]) -> None:
        self.issues = issues
        self.calls: list[tuple[str, Any]] = []

    def count_issues(self, queue: str | None = None, **_: Any) -> int:
        self.calls.append(("count", queue))
        return len(self.issues)

    def search_issues(
        self, queue: str | None = None, keys: list[str] | None = None, **_: Any
    ) -> Iterator[dict[str, Any]]:
        self.calls.append(("search", queue or len(keys or [])))
        return iter([i for i in self.issues if keys is None or i["key"] in keys])


def test_key_lookup_empty_queue_costs_one_count() -> None:
    client = FakeSearchClient([])
    assert QueueKeyLookup(client, "DEMO")(["DEMO-1"]) == {}  # type: ignore[arg-type]
    assert client.calls == [("count", "DEMO")]


def test_key_lookup_scans_a_small_queue_and_batches_keys_for_a_big_one() -> None:
    small = FakeSearchClient([{"key": "DEMO-1", "unique": "u1"}, {"key": "DEMO-7"}])
    assert QueueKeyLookup(small, "DEMO")(["DEMO-1", "DEMO-2", "DEMO-3"]) == {"DEMO-1": "u1"}  # type: ignore[arg-type]
    assert small.calls == [("count", "DEMO"), ("search", "DEMO")]
    big = FakeSearchClient([{"key": f"DEMO-{n}", "unique": None} for n in range(1, 400)])
    wanted = [f"DEMO-{n}" for n in range(1, 151)]
    lookup = QueueKeyLookup(big, "DEMO")  # type: ignore[arg-type]
    assert len(lookup(wanted)) == 150
    assert big.calls == [("count", "DEMO"), ("search", 100), ("search", 50)]
    assert lookup.requests == 3
