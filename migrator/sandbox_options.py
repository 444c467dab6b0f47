"""The options of ``migrator sandbox serve``, apart from the sandbox package: the top-level CLI builds
its parser for every command, and importing the server (werkzeug) only to describe them cost about
0.2 s before ``migrator run`` did anything. ``migrator/sandbox/cli.py`` turns them into settings."""

from __future__ import annotations

import argparse

from migrator.argtypes import fraction, non_negative_float, port, positive_float, positive_int


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=port, default=8765, help="port (default 8765; 0 = any free port)")
    parser.add_argument("--data", metavar="FILE", help="SQLite file keeping everything (default: in memory)")
    parser.add_argument(
        "--fixture",
        metavar="FILE",
        help="org fixture / target snapshot, YAML or JSON (default: the bundled demo org)",
    )
    parser.add_argument(
        "--admin-token",
        metavar="TOKEN",
        help="make TOKEN an administrator's token (needed for a snapshot, which has no tokens)",
    )
    parser.add_argument(
        "--admin-login",
        metavar="LOGIN",
        default="admin",
        help="who --admin-token belongs to (created if missing; default admin)",
    )
    knobs = parser.add_argument_group("load and fault knobs")
    knobs.add_argument("--latency-ms", type=non_negative_float, default=0.0, help="added latency per request")
    knobs.add_argument(
        "--rate-limit",
        type=positive_float,
        metavar="RPS",
        help="token-bucket limit; excess -> 429 + Retry-After",
    )
    knobs.add_argument(
        "--rate-limit-burst", type=positive_int, metavar="N", help="bucket size (default max(1, RPS))"
    )
    knobs.add_argument(
        "--fault-rate", type=fraction, default=0.0, help="share of requests answered 500/503 unprocessed"
    )
    knobs.add_argument(
        "--drop-rate",
        type=fraction,
        default=0.0,
        help="share of requests whose connection is dropped unprocessed",
    )
    knobs.add_argument(
        "--commit-then-fail-rate",
        type=fraction,
        default=0.0,
        help="share of writes committed and then answered 500",
    )
    knobs.add_argument(
        "--commit-then-drop-rate",
        type=fraction,
        default=0.0,
        help="share of writes committed and then dropped without any response",
    )
    knobs.add_argument(
        "--fault-kinds",
        metavar="K1,K2",
        help="restrict faults to these request kinds "
        "(e.g. issue_import,comment_import; groups: write, import)",
    )
    knobs.add_argument("--fault-seed", type=int, help="seed for deterministic faults")
    knobs.add_argument(
        "--max-file-size", type=positive_int, metavar="BYTES", help="413 above this (default 1 GiB)"
    )
    parser.add_argument(
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="any other sandbox setting, e.g. --set date_window_status=400 (see docs/sandbox.md)",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request")
