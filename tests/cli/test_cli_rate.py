"""`--max-rps`: `auto` (the default) or a number; the learned ceiling is printed and remembered per org."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from migrator import cli
from migrator.cli import build_parser, main
from migrator.sandbox import SandboxConfig, SandboxServer
from migrator.tracker.ceilings import CeilingMemory

SAMPLE = ["samples/jira/issues.csv", "--mapping", "mappings/jira-csv.yaml"]
REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("command", ["run", "verify"])
def test_auto_is_the_default_and_a_number_still_works(command: str) -> None:
    parser = build_parser()
    assert parser.parse_args([command, *SAMPLE]).max_rps == "auto"
    assert parser.parse_args([command, *SAMPLE, "--max-rps", "AUTO"]).max_rps == "auto"
    assert parser.parse_args([command, *SAMPLE, "--max-rps", "12.5"]).max_rps == 12.5


@pytest.mark.parametrize("command", ["run", "verify"])
@pytest.mark.parametrize("bad", ["0", "-5", "abc", "nan", "inf", ""])
def test_invalid_rates_exit_2_with_a_clear_message(
    command: str, bad: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main([command, *SAMPLE, "--max-rps", bad])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "--max-rps" in err and "must be 'auto' or a positive number of requests per second" in err
    assert repr(bad) in err and "Traceback" not in err


def test_run_learns_prints_and_remembers_the_orgs_ceiling(
    tmp_path: Path, point_at: Callable[[SandboxServer], None], capsys: pytest.CaptureFixture[str]
) -> None:
    config = SandboxConfig(data=tmp_path / "sandbox.sqlite", rate_limit=30.0, rate_limit_burst=1)
    with SandboxServer(config) as server:
        server.fail_next("import", 2, mode="rate_limit")  # a 429 however slow the machine is
        point_at(server)
        source = [str(REPO / SAMPLE[0]), "--mapping", str(REPO / SAMPLE[2])]
        code = main(["run", *source, "--yes", "--no-progress"])
        out = capsys.readouterr().out
        assert code == 0, out
        assert server.stats()["faults"]["rate_limited"] > 0  # it met the limit, and still landed
        line = next(line for line in out.splitlines() if line.startswith("rate control: "))
        printed = re.search(r"ceiling ([\d.]+) req/s, (\d+) rate-limited answers", line)
        assert printed is not None and int(printed.group(2)) >= 2, line
        identity = f"{server.url}#org={server.org_id}"
    remembered = CeilingMemory(tmp_path / ".migrator" / "rate-ceilings.json").recall(identity)
    # what it printed, kept (printed to 0.1, stored to 0.001: 10.1504 prints 10.2 and is kept as 10.15)
    assert remembered is not None and abs(remembered - float(printed.group(1))) <= 0.05 + 1e-3
    document = json.loads((tmp_path / ".migrator" / "rate-ceilings.json").read_text())
    assert set(document["targets"][identity]) == {"ceiling_rps", "learned_at"}


def test_the_command_freezes_what_main_left_before_the_interpreter_exits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The interpreter's last collection walked every object a run left (pandas's too): 0.15-0.2 s
    # of a small run's exit. The console entry point freezes them; main() alone (tests) does not.
    calls: list[str] = []
    monkeypatch.setattr(cli, "main", lambda: calls.append("main") or 3)
    monkeypatch.setattr(cli.gc, "freeze", lambda: calls.append("freeze"))
    assert cli.console_main() == 3
    assert calls == ["main", "freeze"]
