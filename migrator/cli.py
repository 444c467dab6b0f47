"""The ``migrator`` command line: argument parsing and the top-level flow of each command.

Exit codes: 0 success; 1 the command ran and found problems (validation errors, failed objects,
verify differences); 2 it could not run (bad arguments, unreadable mapping or export); 130 interrupted.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from migrator import __version__
from migrator.argtypes import limit, positive_float, positive_int
from migrator.errors import MigratorError
from migrator.limits import LIMIT_NAMES
from migrator.target import DEFAULT_SANDBOX_DATA, DEFAULT_WORKDIR

log = logging.getLogger("migrator")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="migrator",
        description="Move issue history (issues, comments, files, links, worklogs) into Yandex Tracker.",
    )
    parser.add_argument("--version", action="version", version=f"migrator {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log HTTP calls and decisions to stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_run(sub)
    _add_validate(sub)
    _add_verify(sub)
    _add_status(sub)
    _add_stage(sub)
    _add_snapshot(sub)
    _add_inspect(sub)
    _add_init(sub)
    _add_sandbox(sub)
    return parser


def _add_source_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "sources", nargs="+", type=Path, metavar="SOURCE", help="export file(s): CSV, XLSX, JSON, NDJSON"
    )
    p.add_argument("--mapping", required=True, type=Path, help="mapping file (see mappings/)")
    p.add_argument("--queue", help="target queue key (overrides the mapping)")
    p.add_argument(
        "--namespace", help="idempotency namespace (overrides the mapping); a new one makes a fresh copy"
    )
    p.add_argument(
        "--sandbox-data",
        type=Path,
        default=DEFAULT_SANDBOX_DATA,
        help=f"data file of the embedded sandbox used when no TRACKER_* credentials are set (default {DEFAULT_SANDBOX_DATA})",
    )
    p.add_argument(
        "--sandbox-fixture",
        type=Path,
        help="seed a new embedded sandbox with this org (a `migrator snapshot` file), so the rehearsal uses the "
        "real org's rules; use a new --sandbox-data file with it",
    )
    _add_limit(p)
    p.add_argument(
        "--ledger",
        type=Path,
        action="append",
        default=[],
        metavar="STATE_FILE",
        help="checkpoint file of an earlier run whose issues links may point to (target.dangling: existing); "
        "repeatable. Every .migrator/*.state.sqlite is searched too",
    )
    p.set_defaults(announce_target=True)


def _add_limit(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--limit",
        dest="limits",
        action="append",
        type=limit,
        default=[],
        metavar="NAME=VALUE",
        help=f"raise (or lower) a safety limit; overrides the mapping's limits: section ({', '.join(LIMIT_NAMES)})",
    )


def parse_max_rps(text: str) -> float | Literal["auto"]:
    """``auto`` or a positive number of requests per second (argparse turns the error into exit 2)."""
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return positive_float(text)
    except argparse.ArgumentTypeError as exc:
        raise argparse.ArgumentTypeError(
            f"must be 'auto' or a positive number of requests per second ({exc}; "
            "e.g. --max-rps auto, --max-rps 20)"
        ) from None


def _add_max_rps(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--max-rps",
        type=parse_max_rps,
        default="auto",
        help="request rate shared by all workers: 'auto' (default) starts safely and learns the org's limit "
        "from its answers (see docs/rate-control.md); a number starts there and never exceeds it",
    )


def _add_run(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("run", help="validate, then import into Tracker exactly once (resumable)")
    _add_source_args(p)
    p.add_argument("--state", type=Path, help="checkpoint file (default .migrator/<namespace>.state.sqlite)")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation before writing")
    p.add_argument(
        "--ignore-queue-lock",
        action="store_true",
        help="write even if another run holds the queue's import lease (only when that run is surely dead)",
    )
    p.add_argument(
        "--workers",
        type=positive_int,
        default=None,
        help="at most this many objects written at once (default: as many as the rate control asks "
        "for — rate × latency, up to 64)",
    )
    _add_max_rps(p)
    p.add_argument(
        "--retry-failed", action="store_true", help="retry objects that failed or were blocked before"
    )
    p.add_argument(
        "--force", action="store_true", help="start even though validation found errors (they are skipped)"
    )
    p.add_argument("--strict", action="store_true", help="treat validation warnings as errors")
    p.add_argument(
        "--report",
        type=Path,
        help="folder for the validation report (HTML, XLSX, JSON; default .migrator/<namespace>.report)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    _add_delete_missing(p)


def _add_delete_missing(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--delete-missing",
        action="store_true",
        help="delete in Tracker the comments, files, worklogs and links a newer export no longer has "
        "(never by default; issues cannot be deleted through the API)",
    )


def _add_validate(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("validate", help="dry run: report every problem, write nothing to the target")
    _add_source_args(p)
    p.add_argument(
        "--report",
        type=Path,
        default=Path("migrator-report"),
        help="report folder (default ./migrator-report)",
    )
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.add_argument("--target-snapshot", type=Path, help="validate offline against a `migrator snapshot` file")
    p.add_argument(
        "--max-rps",
        type=positive_float,
        default=10.0,
        help="rate the duration estimate assumes (default 10, Tracker's documented guaranteed rate; "
        "run's rate control learns the organisation's real limit and is usually faster)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument(
        "--state",
        type=Path,
        help="checkpoint file of an earlier import to show the delta against (read only; "
        "default .migrator/<namespace>.state.sqlite when it exists)",
    )
    _add_delete_missing(p)


def _add_verify(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("verify", help="read the target back and compare it with the export")
    _add_source_args(p)
    p.add_argument(
        "--state", type=Path, help="checkpoint file of the run (default .migrator/<namespace>.state.sqlite)"
    )
    _add_max_rps(p)
    p.add_argument("--output", type=Path, help="JSON diff file (default .migrator/<namespace>.verify.json)")
    p.add_argument(
        "--workers",
        type=positive_int,
        default=4,
        help="parallel readers sharing the connection (default 4); the report is the same for any number",
    )
    p.add_argument(
        "--no-content",
        action="store_true",
        help="do not download files to compare SHA-256 (name and size are still compared)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def _add_status(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("status", help="done / pending / failed per kind of object, with reasons")
    p.add_argument("--state", type=Path, help="checkpoint file (default: the only one in .migrator/)")
    p.add_argument(
        "--history", action="store_true", help="list the runs recorded in the checkpoint file (the manifest)"
    )
    p.add_argument("--json", action="store_true", help="print the same as JSON, for scripts")


def _add_stage(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "stage",
        help="rehearse in a throwaway queue shaped like the target queue: create it, import, verify, leave it",
        description="Create a staging queue shaped like the target queue (issue types, workflows, "
        "resolutions, components, versions, local fields), import the export into it with its own "
        "namespace, verify it and leave it for review. `--drop KEY` deletes it, `--restore KEY` brings "
        "it back.",
    )
    p.add_argument("sources", nargs="*", type=Path, metavar="SOURCE", help="export file(s)")
    p.add_argument("--mapping", type=Path, help="mapping file (needed unless --drop/--restore)")
    p.add_argument("--like", help="queue whose settings to copy (default: the mapping's target queue)")
    p.add_argument("--key", help="staging queue key (default: the first free STG1, STG2, ...)")
    p.add_argument("--namespace", help=argparse.SUPPRESS)
    p.add_argument("--drop", metavar="KEY", help="delete the staging queue KEY (and everything in it)")
    p.add_argument("--restore", metavar="KEY", help="restore a dropped staging queue KEY")
    p.add_argument("--force", action="store_true", help="with --drop: delete a queue `stage` did not make")
    p.add_argument("--workers", type=positive_int, default=4, help="parallel workers (default 4)")
    _add_max_rps(p)
    p.add_argument("--strict", action="store_true", help="treat validation warnings as errors")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("--no-content", action="store_true", help="verify without downloading files")
    _add_limit(p)
    p.add_argument("--sandbox-data", type=Path, default=DEFAULT_SANDBOX_DATA, help=argparse.SUPPRESS)
    p.add_argument("--sandbox-fixture", type=Path, help=argparse.SUPPRESS)


def _add_snapshot(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("snapshot", help="save the target org's metadata for offline validation")
    p.add_argument("-o", "--output", type=Path, required=True, help="snapshot file to write (JSON)")
    p.add_argument(
        "--queue", required=True, help="queue whose workflows, fields, components and versions to capture"
    )
    p.add_argument("--sandbox-data", type=Path, default=DEFAULT_SANDBOX_DATA, help=argparse.SUPPRESS)
    p.add_argument("--sandbox-fixture", type=Path, help=argparse.SUPPRESS)


def _add_inspect(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("inspect", help="recognise an export and show what it holds (no target needed)")
    p.add_argument(
        "sources", nargs="+", type=Path, metavar="EXPORT", help="export file(s), folder or archive"
    )
    p.add_argument("--preset", help="the preset to read it with (default: recognised from the export)")
    p.add_argument("--json", action="store_true", help="print JSON for scripts (see docs/presets.md)")


def _add_init(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("init", help="write a complete mapping for an export, pre-filled from the target")
    p.add_argument(
        "sources", nargs="+", type=Path, metavar="EXPORT", help="export file(s), folder or archive"
    )
    p.add_argument("-o", "--output", type=Path, required=True, help="mapping file to write")
    p.add_argument("--preset", help="the preset to start from (default: recognised from the export)")
    p.add_argument("--queue", help="target queue key (default: the preset's)")
    p.add_argument("--namespace", help="idempotency namespace (default: the preset's)")
    p.add_argument(
        "--timezone", help="IANA zone the export's times were written in, when they carry no offset"
    )
    p.add_argument("--target-snapshot", type=Path, help="match against a `migrator snapshot` file, offline")
    p.add_argument("--force", action="store_true", help="overwrite --output if it exists")
    p.add_argument(
        "--sandbox-data",
        type=Path,
        default=DEFAULT_SANDBOX_DATA,
        help=f"data file of the embedded sandbox used when no TRACKER_* credentials are set (default {DEFAULT_SANDBOX_DATA})",
    )
    p.add_argument("--sandbox-fixture", type=Path, help=argparse.SUPPRESS)


def _add_sandbox(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from migrator.sandbox_options import add_serve_arguments

    p = sub.add_parser("sandbox", help="the local Tracker-compatible sandbox server")
    sandbox_sub = p.add_subparsers(dest="sandbox_command", required=True, metavar="SUBCOMMAND")
    serve = sandbox_sub.add_parser("serve", help="serve the sandbox over HTTP until Ctrl-C")
    add_serve_arguments(serve)


def console_main() -> int:
    """The ``migrator`` command (and ``python -m migrator``): :func:`main`, then the objects it left
    are frozen out of the garbage collector, so the interpreter's exit does not walk them all once
    more (0.15–0.2 s with pandas loaded: most of a small run's exit). Only for a process about to end:
    in-process callers (tests) call :func:`main`."""
    code = main()
    gc.freeze()
    return code


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    from migrator import commands

    handlers = {
        "run": commands.cmd_run,
        "validate": commands.cmd_validate,
        "verify": commands.cmd_verify,
        "status": commands.cmd_status,
        "stage": commands.cmd_stage,
        "snapshot": commands.cmd_snapshot,
        "inspect": commands.cmd_inspect,
        "init": commands.cmd_init,
        "sandbox": commands.cmd_sandbox,
    }
    from migrator.tracker.errors import TrackerError

    try:
        return handlers[args.command](args, os.environ)
    except TrackerError as exc:
        # Already redacted by the client: status, method, URL path and Tracker's own messages.
        print(f"migrator: the target refused or failed a request: {exc}", file=sys.stderr)
        if exc.status in (401, 403):
            print(
                "  hint: check TRACKER_TOKEN (or TRACKER_IAM_TOKEN) and TRACKER_ORG_ID / TRACKER_CLOUD_ORG_ID; "
                "imports need an organization administrator's token",
                file=sys.stderr,
            )
        return 1
    except MigratorError as exc:
        print(f"migrator: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # `migrator inspect ... | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("\nmigrator: interrupted. Re-run the same command to resume where it stopped.", file=sys.stderr)
        return 130


def default_state_path(namespace: str) -> Path:
    return DEFAULT_WORKDIR / f"{namespace}.state.sqlite"
