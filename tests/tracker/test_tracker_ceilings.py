"""The learned ceiling is remembered per target between runs; a broken file is ignored, never fatal."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from migrator.tracker.ceilings import CeilingMemory, limiter_for, remember_learned

TARGET = "https://api.tracker.yandex.net#org=42"


def test_remember_then_recall_per_target(tmp_path: Path) -> None:
    memory = CeilingMemory(tmp_path / "sub" / "rate-ceilings.json")
    assert memory.recall(TARGET) is None
    memory.remember(TARGET, 48.123456)
    memory.remember("http://127.0.0.1:8765#org=1", 7.0)
    assert memory.recall(TARGET) == pytest.approx(48.123)
    assert memory.recall("http://127.0.0.1:8765#org=1") == 7.0
    assert memory.recall("https://other#org=42") is None
    entry = json.loads(memory.path.read_text())["targets"][TARGET]
    assert entry["learned_at"].endswith("+0000")
    assert not list(memory.path.parent.glob("*.tmp"))  # written atomically


@pytest.mark.parametrize(
    "content",
    ["{not json", '{"version": 99, "targets": {}}', '{"version": 1, "targets": []}', "[1, 2]"],
)
def test_a_broken_file_is_ignored_with_a_warning(
    tmp_path: Path, content: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "rate-ceilings.json"
    path.write_text(content)
    with caplog.at_level(logging.WARNING):
        assert CeilingMemory(path).recall(TARGET) is None
    assert "ignoring the rate-ceiling file" in caplog.text
    CeilingMemory(path).remember(TARGET, 10.0)  # and it is replaced by a good one
    assert CeilingMemory(path).recall(TARGET) == 10.0


def test_nonsense_values_are_not_recalled(tmp_path: Path) -> None:
    path = tmp_path / "rate-ceilings.json"
    targets = {"a": {"ceiling_rps": -3}, "b": {"ceiling_rps": "fast"}, "c": {"ceiling_rps": True}, "d": 5}
    path.write_text(json.dumps({"version": 1, "targets": targets}))
    assert all(CeilingMemory(path).recall(key) is None for key in targets)


def test_a_limiter_starts_just_under_a_remembered_ceiling(tmp_path: Path) -> None:
    memory = CeilingMemory(tmp_path / "rate-ceilings.json")
    assert limiter_for("auto", TARGET, memory).rate == pytest.approx(10.0)  # nothing known: safe start
    memory.remember(TARGET, 40.0)
    assert limiter_for("auto", TARGET, memory).rate == pytest.approx(38.0)
    assert limiter_for(25.0, TARGET, memory).rate == pytest.approx(25.0)  # a number still caps it
    assert limiter_for("auto", TARGET, None).rate == pytest.approx(10.0)


def test_only_a_ceiling_learned_in_this_run_is_stored(tmp_path: Path) -> None:
    memory = CeilingMemory(tmp_path / "rate-ceilings.json")
    memory.remember(TARGET, 40.0)
    untouched = memory.path.read_text()
    quiet = limiter_for("auto", TARGET, memory)
    remember_learned(quiet, TARGET, memory)  # no 429 in this run: the recalled value stays as it was
    assert memory.path.read_text() == untouched
    throttled = limiter_for("auto", TARGET, memory)
    throttled.record(throttled.acquire(), "throttled", 0.001)
    remember_learned(throttled, TARGET, memory)
    assert memory.recall(TARGET) == pytest.approx(throttled.ceiling)
