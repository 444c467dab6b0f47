"""``migrator sandbox serve``: argument wiring and the blocking serve loop.

The top-level CLI (migrator/cli.py) calls :func:`add_serve_arguments` on its sub-parser and
:func:`serve` with the parsed arguments; ``python -m migrator.sandbox`` does the same on its own.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

from migrator.errors import MigratorError
from migrator.sandbox.config import SandboxConfig
from migrator.sandbox.server import SandboxServer, print_banner
from migrator.sandbox_options import add_serve_arguments

__all__ = ["add_serve_arguments", "config_from_args", "serve"]


def config_from_args(args: argparse.Namespace) -> SandboxConfig:
    values: dict[str, Any] = {
        "fixture": args.fixture,
        "data": args.data,
        "admin_token": args.admin_token,
        "admin_login": args.admin_login,
        "latency_ms": args.latency_ms,
        "rate_limit": args.rate_limit,
        "rate_limit_burst": args.rate_limit_burst,
        "fault_rate": args.fault_rate,
        "drop_rate": args.drop_rate,
        "commit_then_fail_rate": args.commit_then_fail_rate,
        "commit_then_drop_rate": args.commit_then_drop_rate,
        "fault_seed": args.fault_seed,
        "verbose": args.verbose,
        "fault_kinds": frozenset(k.strip() for k in args.fault_kinds.split(",") if k.strip())
        if args.fault_kinds
        else None,
    }
    if args.max_file_size is not None:
        values["max_file_size"] = args.max_file_size
    values.update(_parse_settings(args.settings))
    try:
        return SandboxConfig().with_overrides(values)
    except ValueError as exc:
        raise MigratorError(str(exc), hint="see docs/sandbox.md for the setting names") from exc


def _parse_settings(items: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        if not sep:
            raise MigratorError(f"--set expects NAME=VALUE, got {item!r}")
        try:
            out[name.strip()] = json.loads(raw)
        except ValueError:
            out[name.strip()] = raw
    return out


def serve(args: argparse.Namespace) -> int:
    """Run until Ctrl-C. Prints the URL, tokens and org id first. Returns the exit code."""
    try:
        server = SandboxServer(config_from_args(args), host=args.host, port=args.port)
    except OSError as exc:
        raise MigratorError(
            f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}",
            hint="is another sandbox running? choose another --port (0 = any free port)",
        ) from exc
    print_banner(server)
    restore = _stop_on_signals()
    try:
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is the normal way to stop it
            server.serve_forever()
    finally:
        restore()
    print("Tracker sandbox stopped.", file=sys.stderr, flush=True)
    return 0


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _stop_on_signals() -> Callable[[], None]:
    """Ctrl-C and SIGTERM stop the server cleanly (SIGINT may be ignored when started in the background)."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m migrator.sandbox", description="Run the Tracker sandbox."
    )
    add_serve_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return serve(args)
    except MigratorError as exc:
        print(str(exc), file=sys.stderr)
        return exc.exit_code
