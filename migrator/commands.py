"""What each CLI command does, end to end, in terms of the pipeline's modules."""

from __future__ import annotations

import argparse
import contextlib
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from migrator.errors import MigratorError
from migrator.findings import Findings
from migrator.mapping.config import MappingConfig, load_mapping
from migrator.mapping.target_info import TargetInfo
from migrator.report.model import ValidationResult
from migrator.snapshot import QueueKeyLookup
from migrator.target import DEFAULT_WORKDIR, Target, open_target

if TYPE_CHECKING:
    from migrator.execution.queue_lease import QueueLease
    from migrator.state import CheckpointStore


def _out(text: str = "") -> None:
    print(text, flush=True)


def _load_config(args: argparse.Namespace) -> MappingConfig:
    return load_mapping(args.mapping, queue=args.queue, namespace=args.namespace)


def _check_sources(paths: list[Path]) -> None:
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise MigratorError(
            f"source file(s) not found: {', '.join(missing)}", hint="pass the export file(s) as SOURCE"
        )


def _state_path(args: argparse.Namespace, config: MappingConfig) -> Path:
    return args.state or DEFAULT_WORKDIR / f"{config.target.namespace}.state.sqlite"


def _target_info(target: Target, queue: str) -> TargetInfo:
    from migrator.snapshot import load_target_info

    return load_target_info(target.client, queue)


def _existing_keys(target: Target, config: MappingConfig) -> QueueKeyLookup:
    """Read-only lookup of keys already in the queue (only used when the mapping keeps source keys)."""
    return QueueKeyLookup(target.client, config.target.queue)


# ------------------------------------------------------------------------------------------ run


def cmd_run(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from migrator.execution import Executor
    from migrator.pipeline import prepare
    from migrator.planning import load_plan
    from migrator.report.json_report import format_console_summary
    from migrator.run_lock import holding_state_file
    from migrator.state import CheckpointStore

    config = _load_config(args)
    _check_sources(args.sources)
    state_path = _state_path(args, config)
    # One run per checkpoint file (a second one exits 2 naming the holder); the OS drops the lock
    # when the process dies, so a killed run is resumed at once by the same command.
    with (
        holding_state_file(state_path, _command_line()),
        open_target(
            env,
            max_rps=args.max_rps,
            sandbox_data=args.sandbox_data,
            sandbox_fixture=args.sandbox_fixture,
            announce=_out,
        ) as target,
    ):
        info = _target_info(target, config.target.queue)
        findings = Findings()
        with CheckpointStore(state_path) as store:
            store.bind_target(target.identity, config.target.namespace, config.target.queue)
            lease = None if args.ignore_queue_lock else _queue_lease(target, store, config)
            if lease is not None:
                lease.check()  # refuse now, not after a long validation
            prepared = prepare(
                config,
                list(args.sources),
                info,
                findings,
                strict=args.strict,
                source_label=", ".join(map(str, args.sources)),
                target_label=target.label,
                max_rps=args.max_rps,
                existing_keys=_existing_keys(target, config),
                progress=not args.no_progress,
            )
            load_plan(store, prepared.planned(), config.target.namespace, config.target.queue)
            result = prepared.finish()
            _out(format_console_summary(result))
            # Always written: the console shows a few examples per kind and points here for the rest.
            _write_reports(result, args.report or DEFAULT_WORKDIR / f"{config.target.namespace}.report")
            if result.blocking and not args.force:
                _out(
                    f"Nothing was written: fix the {result.blocking} blocking problem(s) above "
                    "(or see the report), then run the same command again."
                )
                return 1
            if not _confirm(args, target, config):
                _out("Nothing was written.")
                return 1
            executor = Executor(target.client, store, workers=args.workers, progress=not args.no_progress)
            with (
                lease.holding(lambda reason: executor.stop(), _lease_marker_key(store, config))
                if lease is not None and _has_work(store, args.retry_failed)
                else contextlib.nullcontext()  # a finished import re-run writes nothing, not even the lease
            ):
                summary = executor.run(retry_failed=args.retry_failed)
            _out(summary.render())
            if lease is not None:
                lease.raise_if_lost()
            return 0 if summary.complete else 1


def _command_line() -> str:
    """What the lock file says the holder runs (arguments only: tokens never come on the command line)."""
    return shlex.join(["migrator", *sys.argv[1:]])[:500]


def _queue_lease(target: Target, store: CheckpointStore, config: MappingConfig) -> QueueLease:
    from migrator.execution.queue_lease import QueueLease, checkpoint_owner

    return QueueLease(
        target.client,
        config.target.queue,
        namespace=config.target.namespace,
        owner=checkpoint_owner(store.state_id, store.path),
    )


def _has_work(store: CheckpointStore, retry_failed: bool) -> bool:
    from migrator.vocabulary import Status

    if store.unfinished_count():
        return True
    settled = (Status.FAILED, Status.BLOCKED)
    return retry_failed and any(by.get(s, 0) for by in store.counts().values() for s in settled)


def _lease_marker_key(store: CheckpointStore, config: MappingConfig) -> str | None:
    """With ``keep_keys`` a new lease marker must not take a planned number: it takes the next one."""
    if not config.target.keep_keys:
        return None
    return f"{config.target.queue}-{store.max_planned_key_number(config.target.queue) + 1}"


def _confirm(args: argparse.Namespace, target: Target, config: MappingConfig) -> bool:
    if args.yes:
        return True
    question = (
        f"Import into queue {config.target.queue} of {target.label} "
        f"(namespace {config.target.namespace})? [y/N] "
    )
    if not sys.stdin.isatty():
        _out("Not a terminal and --yes not given: refusing to write. Add --yes to proceed.")
        return False
    return input(question).strip().lower() in ("y", "yes")


def _write_reports(result: ValidationResult, folder: Path) -> None:
    from migrator.report.html import write_html_report
    from migrator.report.json_report import write_json_report
    from migrator.report.xlsx import write_xlsx_report

    folder.mkdir(parents=True, exist_ok=True)
    paths = [
        write_html_report(result, folder / "report.html"),
        write_xlsx_report(result, folder / "report.xlsx"),
        write_json_report(result, folder / "report.json"),
    ]
    for path in paths:
        _out(f"  report: {path}")


# ------------------------------------------------------------------------------------- validate


def cmd_validate(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from migrator.report.json_report import format_console_summary
    from migrator.snapshot import load_target_info
    from migrator.validate import validate

    config = _load_config(args)
    _check_sources(args.sources)
    label = ", ".join(map(str, args.sources))
    if args.target_snapshot:
        info = load_target_info(args.target_snapshot, config.target.queue)
        result = validate(
            config,
            list(args.sources),
            info,
            strict=args.strict,
            source_label=label,
            target_label=f"snapshot {args.target_snapshot}",
            max_rps=args.max_rps,
            progress=not args.no_progress,
        )
    else:
        with open_target(
            env,
            max_rps=None,
            sandbox_data=args.sandbox_data,
            sandbox_fixture=args.sandbox_fixture,
            announce=_out,
        ) as target:
            info = _target_info(target, config.target.queue)
            result = validate(
                config,
                list(args.sources),
                info,
                strict=args.strict,
                source_label=label,
                target_label=target.label,
                max_rps=args.max_rps,
                existing_keys=_existing_keys(target, config),
                progress=not args.no_progress,
            )
    _out(format_console_summary(result))
    _write_reports(result, args.report)
    return result.exit_code


# --------------------------------------------------------------------------------------- verify


def cmd_verify(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    import json

    from migrator.pipeline import prepare
    from migrator.verify import stored_issue_count, verify

    if args.workers < 1:
        raise MigratorError(f"--workers must be at least 1 (got {args.workers})")
    config = _load_config(args)
    _check_sources(args.sources)
    state_path = _state_path(args, config)
    output = args.output or DEFAULT_WORKDIR / f"{config.target.namespace}.verify.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    with open_target(
        env,
        max_rps=args.max_rps,
        sandbox_data=args.sandbox_data,
        sandbox_fixture=args.sandbox_fixture,
        announce=_out,
    ) as target:
        info = _target_info(target, config.target.queue)
        prepared = prepare(
            config,
            list(args.sources),
            info,
            Findings(),
            strict=False,
            source_label=", ".join(map(str, args.sources)),
            target_label=target.label,
        )
        store = _reading_store(state_path) if args.state or state_path.exists() else None
        try:
            report = verify(
                target.client,
                prepared.planned(),
                store,
                check_content=not args.no_content,
                workers=args.workers,
                progress=not args.no_progress,
                total=stored_issue_count(store, config.target.namespace),
            )
        finally:
            if store is not None:
                store.close()
    output.write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
    for line in report.summary_lines():
        _out(line)
    _out(f"  diff: {output}")
    return 0 if report.clean else 1


# --------------------------------------------------------------------------------------- status


def cmd_status(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    state_path = args.state or _only_state_file()
    with _reading_store(state_path) as store:
        summary = store.status_summary()
    _out(f"checkpoints: {state_path}")
    _out(summary.render())
    return 1 if summary.has_failures else 0


def _reading_store(state_path: Path) -> CheckpointStore:
    """The checkpoint file for ``status`` / ``verify``: it must exist and be sound. They read while
    a run may be writing (SQLite WAL), and say so."""
    from migrator.run_lock import probe
    from migrator.state import CheckpointStore

    store = CheckpointStore(state_path, create=False)
    holder = probe(state_path)
    if holder is not None:
        _out(f"note: a run is in progress on {state_path} ({holder.describe()}); counts are changing")
    return store


def _only_state_file() -> Path:
    candidates = sorted(DEFAULT_WORKDIR.glob("*.state.sqlite"))
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise MigratorError(
            f"no checkpoint file in {DEFAULT_WORKDIR}/", hint="run `migrator run ...` first, or pass --state"
        )
    names = ", ".join(str(c) for c in candidates)
    raise MigratorError(f"several checkpoint files: {names}", hint="pick one with --state")


# ------------------------------------------------------------------------------------- snapshot


def cmd_snapshot(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from migrator.snapshot import take_snapshot

    with open_target(
        env, max_rps=None, sandbox_data=args.sandbox_data, sandbox_fixture=args.sandbox_fixture, announce=_out
    ) as target:
        take_snapshot(target.client, args.queue, args.output)
    _out(f"snapshot of queue {args.queue} written to {args.output}")
    return 0


# -------------------------------------------------------------------------------------- sandbox


def cmd_sandbox(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from migrator.sandbox.cli import serve

    return serve(args)
