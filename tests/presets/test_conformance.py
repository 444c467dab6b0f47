"""Every preset with a bundled sample, end to end through the CLI, as a new user would go:

``init`` (``--timezone`` from the sample's ``expected.yaml`` when its times carry no offset) →
the remaining ``"?"`` answered from :data:`ANSWERS` → ``validate`` (no errors) → ``run`` →
``verify`` (no differences) → a second ``run`` (zero writes), and the objects landed match the
sample's ``expected.yaml``.

All against one in-process sandbox, each sample in its own namespace. :data:`ANSWERS` holds only
decisions ``init`` marked undecided (values with no plausible match in the target); the test fails
when ``init`` leaves a ``"?"`` the table does not answer, or when the table answers one ``init`` no
longer leaves open — so it stays as small as ``init`` allows. A preset is parametrized as soon as it
exists in ``mappings/``; a sample that does not conform fails here (nothing is skipped).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from migrator.cli import main
from migrator.execution.queue_lease import lease_unique
from migrator.presets.registry import Preset, list_presets
from migrator.sandbox import SandboxConfig, SandboxServer
from migrator.sandbox.faults import WRITE_KINDS
from migrator.sources.inputs import is_archive
from migrator.tracker import TrackerClient, TrackerSettings

ROOT = Path(__file__).resolve().parents[2]
WITH_SAMPLES = [p for p in list_presets() if p.info.sample]
# Samples with links or parents outside the export, or with missing files, pass through their
# preset's target.dangling policy and source.files.missing (skip-file by default).
CASES = [pytest.param(p, id=p.name) for p in WITH_SAMPLES]

# sample -> key path -> source value -> the answer a user would write (only for init's "?").
ANSWERS: dict[str, dict[str, dict[str, str]]] = {
    "trello-json": {"values.status.map": {"Alt (2024)": "closed"}},  # an archived list: the board's own name
    "jira-server-csv": {"values.components.map": {"Web": "Frontend", "Checkout": "Backend"}},
    "jira-cloud-csv": {"values.versions.map": {"2.4.1": "2.0"}},
    "jira-cloud-json": {"values.status.map": {"На ревью": "inProgress"}},  # a team's own status
}
MAX_ANSWERS = 40  # across all samples; a growing table means init decides too little


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    folder = tmp_path_factory.mktemp("conformance-sandbox")
    with SandboxServer(SandboxConfig(data=folder / "sandbox.sqlite")) as running:
        yield running


def test_presets_with_samples_exist() -> None:
    assert WITH_SAMPLES, "no preset in mappings/ names a sample (preset.sample)"


def test_the_answers_table_is_small_and_names_real_samples() -> None:
    assert sum(len(v) for paths in ANSWERS.values() for v in paths.values()) <= MAX_ANSWERS
    samples = {Path(p.info.sample or "").name for p in WITH_SAMPLES}
    assert set(ANSWERS) <= samples, f"answers for samples no preset has: {sorted(set(ANSWERS) - samples)}"


@pytest.mark.parametrize("preset", CASES)
def test_init_validate_run_verify_rerun(
    preset: Preset, server: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sample = ROOT / (preset.info.sample or "")
    expected = yaml.safe_load((sample / "expected.yaml").read_text(encoding="utf-8"))
    files = [sample / name for name in expected["files"]]
    # An archive listed first is the whole export (the files after it are its unpacked copy).
    sources = [str(files[0])] if is_archive(files[0]) else [str(f) for f in files]
    monkeypatch.setenv("TRACKER_API_URL", server.url)
    monkeypatch.setenv("TRACKER_TOKEN", server.admin_token)
    monkeypatch.setenv("TRACKER_ORG_ID", str(server.org_id))
    monkeypatch.chdir(tmp_path)
    namespace = f"conformance-{preset.name}"
    mapping = tmp_path / "mapping.yaml"

    init = [
        "init",
        *sources,
        "--preset",
        preset.name,
        "--queue",
        "DEMO",
        "--namespace",
        namespace,
        "-o",
        str(mapping),
    ]
    if expected["timestamps"]["naive"]:
        init += ["--timezone", expected["timestamps"]["zone"]]
    assert main(init) == 0
    _answer(mapping, ANSWERS.get(sample.name, {}))

    common = ["--mapping", str(mapping), "--no-progress"]
    fast = ["--max-rps", "1000"]  # the sandbox is in-process: no need to pace the calls
    code = main(["validate", *sources, *common, "--report", str(tmp_path / "report")])
    assert code == 0, _errors(tmp_path / "report" / "report.json")

    state = ["--state", str(tmp_path / "state.sqlite")]
    before, had_marker = server.stats()["objects"], _has_lease_marker(server)
    assert main(["run", *sources, *common, *state, *fast, "--yes"]) == 0
    landed = {k: server.stats()["objects"][k] - before[k] for k in before}
    if not had_marker:  # the first run into the shared queue made its import-lease marker issue
        assert _has_lease_marker(server)
        landed["issues"] -= 1
    assert main(["verify", *sources, *common, *state, *fast, "--output", str(tmp_path / "verify.json")]) == 0

    writes = _writes(server)
    objects = server.stats()["objects"]
    assert main(["run", *sources, *common, *state, *fast, "--yes"]) == 0
    assert (_writes(server), server.stats()["objects"]) == (writes, objects), "the second run wrote"

    counts = expected["counts"]
    assert landed["issues"] == counts["issues"]
    assert landed["comments"] == counts["comments"]
    assert landed["attachments"] == counts["attachments"]["present"]
    assert landed["worklogs"] == counts["worklogs"]
    assert landed["links"] == sum(counts["links"].values())


def _answer(mapping: Path, answers: dict[str, dict[str, str]]) -> None:
    """Replace init's "?" by the table's answers; every "?" must be answered and every answer used."""
    text = mapping.read_text(encoding="utf-8")
    config = yaml.safe_load(text)
    open_ones = {(path, value) for path, value in _undecided(config)}
    wanted = {(path, value) for path, values in answers.items() for value in values}
    assert open_ones == wanted, (
        f"init left undecided {sorted(open_ones)}; the answers table has {sorted(wanted)}"
    )
    for path, values in answers.items():
        for value, answer in values.items():
            pattern = re.compile(rf"^(\s*){re.escape(_plain_or_quoted(value))}: \"\?\"", re.M)
            text, replaced = pattern.subn(
                lambda m, a=answer, v=value: f"{m.group(1)}{json.dumps(v)}: {json.dumps(a)}", text
            )
            assert replaced == 1, f"{path} {value!r}: the ? line was not found"
    mapping.write_text(text, encoding="utf-8")


def _undecided(config: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for name, spec in (config.get("values") or {}).items():
        for value, target in (spec.get("map") or {}).items():
            if target == "?":
                yield f"values.{name}.map", str(value)
    for user, login in ((config.get("users") or {}).get("map") or {}).items():
        if login == "?":
            yield "users.map", str(user)
    if (config.get("source") or {}).get("timezone") == "?":
        yield "source.timezone", ""


def _plain_or_quoted(value: str) -> str:
    from migrator.presets.init_mapping import scalar

    return scalar(value)


def _has_lease_marker(server: SandboxServer) -> bool:
    settings = TrackerSettings(token=server.admin_token, org_id=str(server.org_id), base_url=server.url)
    with TrackerClient(settings) as client:
        return client.find_by_unique(lease_unique("DEMO")) is not None


def _writes(server: SandboxServer) -> int:
    by_kind = server.stats()["by_kind"]
    return sum(int(by_kind.get(kind, 0)) for kind in WRITE_KINDS)


def _errors(report: Path) -> str:
    if not report.exists():
        return "no report written"
    findings = json.loads(report.read_text(encoding="utf-8")).get("findings", [])
    errors = [f for f in findings if f.get("severity") == "error"]
    return "\n".join(f"{f['kind']} {f.get('key')} {f.get('field')}: {f['message']}" for f in errors[:20])
