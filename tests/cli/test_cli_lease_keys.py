"""The queue lease's marker issue and the keys planned before the import, through the CLI: the marker
never takes a key the plan gave an issue or a newer export will — numbered after the queue's highest
(and reserved in the checkpoint file), or with ``keep_keys`` far above the export's next numbers —
across a cut-over run."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from migrator.cli import main
from migrator.execution.queue_lease import lease_unique, marker_number
from migrator.state import CheckpointStore
from migrator.tracker import TrackerClient, TrackerSettings

ROOT = Path(__file__).resolve().parents[2]
FIRST = ROOT / "samples/jira/issues.csv"  # PAY-1 … PAY-26
CUTOVER = ROOT / "samples/jira/issues-cutover.csv"  # adds PAY-27 (id 10126)
FAST = ["--no-progress", "--max-rps", "1000", "--yes"]


def _mapping(folder: Path, *, keep_keys: bool) -> Path:
    data = yaml.safe_load((ROOT / "mappings/jira-csv.yaml").read_text(encoding="utf-8"))
    data["target"]["keep_keys"] = keep_keys
    path = folder / "mapping.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _key(client: TrackerClient, unique: str) -> str:
    found = client.find_by_unique(unique)
    assert found is not None, unique
    return str(found["key"])


@pytest.mark.parametrize(
    ("keep_keys", "marker", "pay27"), [(False, "DEMO-27", "DEMO-28"), (True, "DEMO-10000", "DEMO-27")]
)
def test_the_marker_never_takes_a_key_the_plan_gives_now_or_in_a_cut_over(  # noqa: ANN001
    keep_keys: bool, marker: str, pay27: str, sandbox, point_at, tmp_path: Path
) -> None:
    point_at(sandbox)
    mapping = ["--mapping", str(_mapping(tmp_path, keep_keys=keep_keys))]
    client = TrackerClient(
        TrackerSettings(token=sandbox.admin_token, org_id=str(sandbox.org_id), base_url=sandbox.url)
    )
    assert main(["run", str(FIRST), *mapping, *FAST]) == 0
    assert _key(client, lease_unique("DEMO")) == marker
    with CheckpointStore(tmp_path / ".migrator" / "jira-sample.state.sqlite", read_only=True) as store:
        assert store.highest_planned_number("DEMO") == int(marker.rsplit("-", 1)[1])  # reserved

    assert main(["run", str(CUTOVER), *mapping, *FAST]) == 0  # the cut-over: one new issue
    assert _key(client, "jira-sample:jira:10126") == pay27
    assert _key(client, lease_unique("DEMO")) == marker  # the same marker, never in the way
    assert main(["verify", str(CUTOVER), *mapping, "--no-progress", "--max-rps", "1000"]) == 0


def test_marker_numbers() -> None:
    assert [marker_number(n, keep_keys=False) for n in (0, 26, 4200)] == [1, 27, 4201]
    assert [marker_number(n, keep_keys=True) for n in (0, 26, 4200)] == [1000, 10000, 1000000]
