"""One pass over the export: streaming once, finishing, unplanned issues, options."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest

from migrator.errors import MigratorError
from migrator.findings import Findings
from migrator.pipeline.prepared import STREAM_GC_THRESHOLD, PreparedRun, PrepareOptions, Stages, lossy_summary

from .pipeline_fakes import (
    T0,
    TARGET,
    FakeTransformer,
    issue,
    make_config,
    reader_of,
)

# ---------------------------------------------------------------------- streaming and counts


def test_planned_streams_once_and_findings_are_complete_at_the_end() -> None:
    findings = Findings()
    prepared = PreparedRun(
        make_config(),
        ["data/issues.csv"],
        TARGET,
        findings,
        stages=Stages(reader_of([issue("P-1", 2, parent="P-9"), issue("P-2", 3)]), FakeTransformer),
    )
    assert prepared.source_dir == Path("data")
    stream = prepared.planned()
    first = next(stream)
    assert first.source_key == "P-1" and len(findings) == 0  # global checks wait for the end
    assert [p.source_key for p in stream] == ["P-2"]
    assert [f.kind for f in findings] == ["parent.dangling"]
    with pytest.raises(RuntimeError):
        next(prepared.planned())


@pytest.mark.parametrize("limit, large", [(1 << 20, False), (8, True)])
def test_the_transform_is_told_when_the_export_is_large(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: int, large: bool
) -> None:
    """At the read-ahead's size (``LARGE_EXPORT_BYTES``) the conversion pool starts before the first issue."""
    export = tmp_path / "issues.csv"
    export.write_text("Issue key\nP-1\n", encoding="utf-8")
    monkeypatch.setattr("migrator.pipeline.prepared.LARGE_EXPORT_BYTES", limit)
    prepared = PreparedRun(
        make_config(),
        [export],
        TARGET,
        Findings(),
        stages=Stages(reader_of([issue("P-1", 2)]), FakeTransformer),
    )
    assert [p.source_key for p in prepared.planned()] == ["P-1"]
    assert isinstance(prepared.transformer, FakeTransformer) and prepared.transformer.large is large


@pytest.mark.parametrize("read_to_the_end", [True, False])
def test_young_objects_are_collected_less_often_only_while_the_export_streams(read_to_the_end: bool) -> None:
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, before[1], before[2])
        prepared = PreparedRun(
            make_config(),
            ["issues.csv"],
            TARGET,
            Findings(),
            stages=Stages(reader_of([issue("P-1", 2), issue("P-2", 3)]), FakeTransformer),
        )
        stream = prepared.planned()
        next(stream)
        assert gc.get_threshold() == (STREAM_GC_THRESHOLD, before[1], before[2])
        if read_to_the_end:
            assert [p.source_key for p in stream] == ["P-2"]
        else:
            stream.close()  # a consumer that stops early (run interrupted) restores it too
        assert gc.get_threshold() == (700, before[1], before[2])
    finally:
        gc.set_threshold(*before)


def test_finish_is_idempotent_and_works_after_stopping_early() -> None:
    findings = Findings()
    prepared = PreparedRun(
        make_config(),
        ["issues.csv"],
        TARGET,
        findings,
        stages=Stages(
            reader_of([issue("P-1", 2, links=[("Q-1", "relates")]), issue("P-2", 3)]), FakeTransformer
        ),
    )
    next(prepared.planned())
    first = prepared.finish()
    second = prepared.finish()
    assert [f.kind for f in findings] == ["link.dangling"]
    assert [f.kind for f in first.findings] == [f.kind for f in second.findings] == ["link.dangling"]


def test_a_run_streams_into_a_store_then_finishes_with_the_result() -> None:
    findings = Findings()
    prepared = PreparedRun(
        make_config(),
        ["issues.csv"],
        TARGET,
        findings,
        PrepareOptions(strict=True, source_label="issues.csv", target_label="https://tracker", max_rps=5),
        Stages(reader_of([issue("P-1", 2, comments=2), issue("P-2", 3, parent="P-1")]), FakeTransformer),
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
        TARGET,
        Findings(),
        stages=Stages(reader_of([issue("P-1", 2)]), FakeTransformer),
    )
    assert [p.source_key for p in prepared] == ["P-1"]
    with pytest.raises(RuntimeError):
        iter(prepared)


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
        TARGET,
        findings,
        stages=Stages(reader_of([issue("P-1", 2, comments=1), unplanned]), Dropping),
    )
    assert [p.source_key for p in prepared.planned()] == ["P-1"]
    assert list(findings) == []  # P-2 exists in the export; its own findings explain why it was not planned
    result = prepared.finish()
    assert result.counts["issues_not_planned"] == 1
    assert (result.counts["issues"], result.counts["comments"], result.counts["links"]) == (2, 3, 2)
    assert result.estimate is not None and result.estimate.calls_by_kind["issue_import"] == 2


def test_lossy_summary_prefers_the_transform_tally() -> None:
    findings = Findings()
    findings.warning("markup.lossy", "x", value="{color}")
    findings.warning("markup.lossy", "x", value="{color}")
    assert lossy_summary(findings, {"{panel}": 1, "{toc}": 3}) == {"{toc}": 3, "{panel}": 1}
    assert lossy_summary(findings, {}) == {"{color}": 2}


def test_a_non_positive_rate_is_a_user_error() -> None:
    with pytest.raises(MigratorError, match="rate must be positive"):
        PrepareOptions(max_rps=0)
