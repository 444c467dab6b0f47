"""``add_serve_arguments`` / ``serve``: options become settings; the server prints its URL and stops on Ctrl-C."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from migrator.errors import MigratorError
from migrator.sandbox.cli import add_serve_arguments, config_from_args


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_serve_arguments(parser)
    return parser.parse_args(list(argv))


def test_options_map_to_settings(tmp_path: Path) -> None:
    args = parse(
        "--data",
        str(tmp_path / "d.sqlite"),
        "--latency-ms",
        "5",
        "--rate-limit",
        "20",
        "--fault-rate",
        "0.1",
        "--drop-rate",
        "0.2",
        "--commit-then-fail-rate",
        "0.3",
        "--commit-then-drop-rate",
        "0.4",
        "--fault-kinds",
        "issue_import, comment_import",
        "--fault-seed",
        "9",
        "--max-file-size",
        "1000",
        "--admin-token",
        "tok",
        "--set",
        "date_window_status=400",
        "--set",
        "duplicate_link=allow",
    )
    config = config_from_args(args)
    assert (config.latency_ms, config.rate_limit, config.fault_rate, config.drop_rate) == (5, 20, 0.1, 0.2)
    assert (config.commit_then_fail_rate, config.commit_then_drop_rate, config.fault_seed) == (0.3, 0.4, 9)
    assert config.fault_kinds == frozenset({"issue_import", "comment_import"})
    assert (config.max_file_size, config.admin_token) == (1000, "tok")
    assert (config.date_window_status, config.duplicate_link) == (400, "allow")
    assert (args.host, args.port) == ("127.0.0.1", 8765)


@pytest.mark.parametrize("setting", ["colour=red", "no-equals-sign"])
def test_bad_settings_are_user_errors(setting: str) -> None:
    with pytest.raises(MigratorError):
        config_from_args(parse("--set", setting))


def test_serve_prints_the_url_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [
        sys.executable,
        "-m",
        "migrator.sandbox",
        "--port",
        "0",
        "--data",
        str(tmp_path / "cli.sqlite"),
    ]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as proc:
        try:
            assert proc.stdout is not None
            first = proc.stdout.readline()
            assert first.startswith("Tracker sandbox listening on http://127.0.0.1:")
            url = first.split()[-1]
            banner = "".join(proc.stdout.readline() for _ in range(5))
            assert (
                "org id:      1" in banner
                and "sandbox-admin-token" in banner
                and "sandbox-viewer-token" in banner
            )
            headers = {"Authorization": "OAuth sandbox-admin-token", "X-Org-ID": "1"}
            assert requests.get(f"{url}/v2/myself", headers=headers, timeout=5).json()["login"] == "admin"
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=10) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
    assert (tmp_path / "cli.sqlite").exists()


def test_port_in_use_is_reported(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "migrator.sandbox", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
