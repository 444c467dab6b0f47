"""What each CLI command does, end to end, in terms of the pipeline's modules."""

from __future__ import annotations

import argparse
import contextlib
import json
import shlex
import sys
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrator.delta import DeltaSummary
from migrator.errors import MigratorError
from migrator.existing import ExistingIssueFinder
from migrator.findings import Findings
from migrator.history import RunHistory, findings_counts
from migrator.mapping.config import MappingConfig, load_mapping
from migrator.mapping.target_info import TargetInfo
from migrator.mapping.undecided import UNDECIDED
from migrator.pipeline import PrepareOptions
from migrator.results import ValidationResult
from migrator.snapshot import QueueKeyLookup
from migrator.sources.inputs import expand_sources
from migrator.target import DEFAULT_WORKDIR, Target, open_target

if TYPE_CHECKING:
    from migrator.execution.queue_lease import QueueLease
    from migrator.execution.summary import RunSummary
    from migrator.state import CheckpointStore


def _out(text: str = "") -> None:
    print(text, flush=True)


def _err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _announcer(args: argparse.Namespace) -> Callable[[str], None]:
    """Where the target banner goes: the console, unless a step of ``stage`` (which said it once)."""
    return _out if args.announce_target else _silent


def _silent(text: str) -> None:
    """Says nothing (a banner already shown)."""


def _load_config(args: argparse.Namespace) -> MappingConfig:
    config = load_mapping(args.mapping, queue=args.queue, namespace=args.namespace)
    if config.target.queue == UNDECIDED:
        raise MigratorError(
            f'{args.mapping}: target.queue is undecided ("?")',
            hint="name the Tracker queue in the mapping, or pass --queue KEY",
        )
    return config


def _check_sources(paths: list[Path]) -> None:
    """Every SOURCE is a file, a folder or an archive — or a pattern that matches some."""
    expand_sources(paths)


def _state_path(args: argparse.Namespace, config: MappingConfig) -> Path:
    return args.state or DEFAULT_WORKDIR / f"{config.target.namespace}.state.sqlite"


def _target_info(target: Target, queue: str) -> TargetInfo:
    from migrator.snapshot import load_target_info

    return load_target_info(target.client, queue)


def _existing_keys(target: Target, config: MappingConfig) -> QueueKeyLookup:
    """Read-only lookup of keys already in the queue (only used when the mapping keeps source keys)."""
    return QueueKeyLookup(target.client, config.target.queue)


def _existing_issues(
    args: argparse.Namespace, target: Target, config: MappingConfig
) -> ExistingIssueFinder | None:
    """Read-only search for issues earlier runs imported (only when the mapping may link to them):
    the ledgers given with --ledger and every checkpoint file in .migrator/, then the target."""
    dangling = config.target.dangling
    if "existing" not in dangling.links + dangling.parent:
        return None
    missing = [str(p) for p in args.ledger if not p.is_file()]
    if missing:
        raise MigratorError(
            f"ledger file(s) not found: {', '.join(missing)}",
            hint="--ledger takes the .state.sqlite checkpoint file of an earlier `migrator run`",
        )
    ledgers = [*args.ledger, *sorted(DEFAULT_WORKDIR.glob("*.state.sqlite"))]
    return ExistingIssueFinder(
        target.client,
        system=config.source.system,
        namespace=config.target.namespace,
        queue=config.target.queue,
        keep_keys=config.target.keep_keys,
        ledgers=ledgers,
        identity=target.identity,
    )


def _source_label(args: argparse.Namespace) -> str:
    return ", ".join(map(str, args.sources))


def _prepare_options(
    args: argparse.Namespace,
    target_label: str,
    existing_keys: QueueKeyLookup | None = None,
    existing_issues: ExistingIssueFinder | None = None,
) -> PrepareOptions:
    """The pipeline options of ``run`` and ``validate``: --strict, --max-rps, --no-progress."""
    return PrepareOptions(
        strict=args.strict,
        source_label=_source_label(args),
        target_label=target_label,
        max_rps=args.max_rps,
        existing_keys=existing_keys,
        existing_issues=existing_issues,
        progress=not args.no_progress,
    )


# ------------------------------------------------------------------------------------------ run


def cmd_run(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from migrator.execution import Executor
    from migrator.pipeline import PreparedRun
    from migrator.planning import load_plan
    from migrator.report.json_report import format_console_summary
    from migrator.run_lock import holding_state_file
    from migrator.state import CheckpointStore

    config = _load_config(args)
    _check_sources(args.sources)
    state_path = _state_path(args, config)
    namespace, queue = config.target.namespace, config.target.queue
    # One run per checkpoint file (a second one exits 2 naming the holder); the OS drops the lock
    # when the process dies, so a killed run is resumed at once by the same command.
    with (
        holding_state_file(state_path, _command_line()),
        open_target(
            env,
            max_rps=args.max_rps,
            sandbox_data=args.sandbox_data,
            sandbox_fixture=args.sandbox_fixture,
            announce=_announcer(args),
        ) as target,
    ):
        info = _target_info(target, queue)
        findings = Findings()
        delta = DeltaSummary(state_file=str(state_path))
        with CheckpointStore(state_path) as store, RunHistory(state_path) as history:
            store.bind_target(target.identity, namespace, queue)
            lease = None if args.ignore_queue_lock else _queue_lease(target, store, config)
            if lease is not None:
                lease.check()  # refuse now, not after a long validation (and before the run's record)
            run_id = history.start(
                namespace=namespace,
                queue=queue,
                command="run",
                target=target.identity,
                exports=list(args.sources),
                mapping=args.mapping,
            )
            options = _prepare_options(
                args, target.label, _existing_keys(target, config), _existing_issues(args, target, config)
            )
            prepared = PreparedRun(config, list(args.sources), info, findings, options)
            load_plan(
                store,
                prepared.planned(),
                namespace,
                queue,
                revisions=lambda: prepared.revisions,
                findings=findings,
                delta=delta,
                delete_missing=args.delete_missing,
            )
            result = prepared.finish()
            result.extra["delta"] = delta.to_dict()
            _out(format_console_summary(result))
            _out(delta.render())
            # Always written: the console shows a few examples per kind and points here for the rest.
            report = args.report or DEFAULT_WORKDIR / f"{namespace}.report"
            _write_reports(result, report)
            record = _Manifest(history, run_id, result, delta)
            if result.blocking and not args.force:
                _out(
                    f"Nothing was written: fix the {result.blocking} blocking problem(s) above "
                    "(or see the report), then run the same command again."
                )
                record.finish("refused")
                return 1
            if not _confirm(args, target, config):
                _out("Nothing was written.")
                record.finish("declined")
                return 1
            executor = Executor(target.client, store, workers=args.workers, progress=not args.no_progress)
            with (
                lease.holding(lambda reason: executor.stop(), _lease_marker_key(store, config))
                if lease is not None and _has_work(store, args.retry_failed)
                else contextlib.nullcontext()  # a finished import re-run writes nothing, not even the lease
            ):
                summary = executor.run(retry_failed=args.retry_failed)
            _out(summary.render())
            forced = _forced_past(result, report)
            complete = summary.complete and not forced
            record.finish("complete" if complete else "incomplete", summary)
            if lease is not None:
                lease.raise_if_lost()
            return 0 if complete else 1


def _forced_past(result: ValidationResult, report: Path) -> bool:
    """With --force the run went ahead despite blocking problems: say what that left out."""
    if not result.blocking:
        return False
    skipped = int(result.counts.get("issues_not_planned", 0))
    _out(
        f"{skipped} issue(s) not imported because of errors, "
        f"{result.blocking} blocking problem(s) in all (--force) — see {report / 'report.html'}"
    )
    return True


class _Manifest:
    """The run's record in the checkpoint file's history (``migrator status --history``)."""

    def __init__(
        self, history: RunHistory, run_id: int, result: ValidationResult, delta: DeltaSummary
    ) -> None:
        self.history = history
        self.run_id = run_id
        self.findings = findings_counts((f.severity.value, f.kind) for f in result.findings)
        self.delta = delta.to_dict()

    def finish(self, outcome: str, summary: RunSummary | None = None) -> None:
        written: dict[str, dict[str, int]] = {}
        if summary is not None:
            written = {
                "written": {
                    k: s.done_now - s.reconciled
                    for k, s in summary.kinds.items()
                    if s.done_now - s.reconciled
                },
                "reconciled": {k: s.reconciled for k, s in summary.kinds.items() if s.reconciled},
                "failed": {k: s.failed + s.blocked for k, s in summary.kinds.items() if s.failed + s.blocked},
            }
        self.history.finish(self.run_id, outcome, written=written, findings=self.findings, delta=self.delta)


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

    config = _load_config(args)
    _check_sources(args.sources)
    if args.target_snapshot:
        info = load_target_info(args.target_snapshot, config.target.queue)
        options = _prepare_options(args, f"snapshot {args.target_snapshot}")
        result, delta = _validate_with_delta(args, config, info, options)
    else:
        with open_target(
            env,
            max_rps=None,
            sandbox_data=args.sandbox_data,
            sandbox_fixture=args.sandbox_fixture,
            announce=_out,
        ) as target:
            info = _target_info(target, config.target.queue)
            options = _prepare_options(
                args, target.label, _existing_keys(target, config), _existing_issues(args, target, config)
            )
            result, delta = _validate_with_delta(args, config, info, options)
    _out(format_console_summary(result))
    _out(delta.render())
    _write_reports(result, args.report)
    return result.exit_code


def _validate_with_delta(
    args: argparse.Namespace, config: MappingConfig, info: TargetInfo, options: PrepareOptions
) -> tuple[ValidationResult, DeltaSummary]:
    """``validate``, plus the delta against the ledger of an earlier import when there is one (the
    checkpoint file is opened read-only: a dry run changes nothing)."""
    from migrator.pipeline import PreparedRun
    from migrator.planning import compare_plan
    from migrator.state import CheckpointStore

    state_path = _state_path(args, config)
    namespace, queue = config.target.namespace, config.target.queue
    delta = DeltaSummary(state_file=str(state_path), delete_missing=args.delete_missing)
    findings = Findings()
    prepared = PreparedRun(config, list(args.sources), info, findings, options)
    if not state_path.is_file():
        prepared.drain()
    else:
        with CheckpointStore(state_path, read_only=True) as store:
            if namespace in store.namespaces():
                compare_plan(
                    store.view(namespace),
                    prepared.planned(),
                    namespace,
                    queue,
                    findings,
                    delta,
                    revisions=lambda: prepared.revisions,
                    delete_missing=args.delete_missing,
                )
            else:
                prepared.drain()
    result = prepared.finish()
    result.extra["delta"] = delta.to_dict()
    return result, delta


# --------------------------------------------------------------------------------------- verify


def cmd_verify(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    import json

    from migrator.pipeline import PreparedRun
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
        announce=_announcer(args),
    ) as target:
        info = _target_info(target, config.target.queue)
        options = PrepareOptions(source_label=_source_label(args), target_label=target.label)
        # Two passes over the export: the first decides what planning across issues changes (link
        # dates, dangling links), which the second applies to each issue it compares.
        first = PreparedRun(
            config,
            list(args.sources),
            info,
            Findings(),
            replace(options, existing_issues=_existing_issues(args, target, config)),
        )
        first.drain()
        revisions = first.revisions
        prepared = PreparedRun(config, list(args.sources), info, Findings(), options)
        store = _reading_store(state_path) if args.state or state_path.exists() else None
        try:
            report = verify(
                target.client,
                (revisions.apply(issue) for issue in prepared.planned()),
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
    unplanned = prepared.tally.issues - prepared.tally.planned
    if unplanned:
        _out(
            f"  {unplanned} issue(s) of the export have errors, are not in the plan and were not compared "
            "(see `migrator validate`)"
        )
    _out(f"  diff: {output}")
    return 0 if report.clean else 1


# --------------------------------------------------------------------------------------- status


def cmd_status(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    state_path = args.state or _only_state_file()
    announce = _err if args.json else _out  # --json: stdout is the JSON alone
    with _reading_store(state_path, announce) as store:
        if args.history:
            return _history(state_path, as_json=args.json)
        summary = store.status_summary()
    if args.json:
        _out(json.dumps({"state_file": str(state_path), **summary.to_dict()}, ensure_ascii=False, indent=2))
    else:
        _out(f"checkpoints: {state_path}")
        _out(summary.render())
    return 1 if summary.has_failures else 0


def _history(state_path: Path, *, as_json: bool) -> int:
    from migrator.history import render_history

    with RunHistory(state_path) as history:
        records = history.records()
    if as_json:
        _out(json.dumps([r.to_dict() for r in records], ensure_ascii=False, indent=2))
    else:
        _out(render_history(records, state_path))
    return 0


def _reading_store(state_path: Path, announce: Callable[[str], None] = _out) -> CheckpointStore:
    """The checkpoint file for ``status`` / ``verify``: it must exist and be sound. They read while
    a run may be writing (SQLite WAL), and say so."""
    from migrator.run_lock import probe
    from migrator.state import CheckpointStore

    store = CheckpointStore(state_path, create=False)
    holder = probe(state_path)
    if holder is not None:
        announce(f"note: a run is in progress on {state_path} ({holder.describe()}); counts are changing")
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


# ---------------------------------------------------------------------------------------- stage


def cmd_stage(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    """Create a staging queue shaped like the target queue, import into it, verify, leave it —
    or ``--drop`` / ``--restore`` one."""
    from migrator.staging import create_staging_queue, drop_staging_queue, restore_staging_queue

    if args.drop or args.restore:
        with _open(args, env) as target:
            if args.drop:
                drop_staging_queue(target.client, args.drop, force=args.force)
                _out(
                    f"staging queue {args.drop} deleted (`migrator stage --restore {args.drop}` brings it back)"
                )
            else:
                restore_staging_queue(target.client, args.restore)
                _out(f"staging queue {args.restore} restored")
        return 0
    if not args.sources or args.mapping is None:
        raise MigratorError(
            "stage needs the export file(s) and --mapping (or --drop KEY / --restore KEY)",
            hint="e.g. migrator stage samples/jira/issues.csv --mapping mappings/jira-csv.yaml",
        )
    config = load_mapping(args.mapping, namespace=args.namespace)
    _check_sources(args.sources)
    like = args.like or config.target.queue
    with _open(args, env) as target:
        staging = create_staging_queue(target.client, like, args.key)
    _out(staging.describe())
    namespace = f"{config.target.namespace}-{staging.key.lower()}"
    step = _staging_args(args, staging.key, namespace)
    imported = cmd_run(step, env)
    verified = cmd_verify(step, env)
    _out(
        f"Staging queue {staging.key} is left for review (namespace {namespace}). "
        f"Drop it with: migrator stage --drop {staging.key}"
    )
    return max(imported, verified)


def _open(args: argparse.Namespace, env: Mapping[str, str]) -> Any:
    return open_target(
        env, max_rps=None, sandbox_data=args.sandbox_data, sandbox_fixture=args.sandbox_fixture, announce=_out
    )


def _staging_args(args: argparse.Namespace, queue: str, namespace: str) -> argparse.Namespace:
    """The ``run`` and ``verify`` arguments of a staging import (its own queue, namespace, state)."""
    return argparse.Namespace(
        sources=args.sources,
        mapping=args.mapping,
        queue=queue,
        namespace=namespace,
        sandbox_data=args.sandbox_data,
        sandbox_fixture=args.sandbox_fixture,
        state=None,
        yes=True,
        workers=args.workers,
        max_rps=args.max_rps,
        retry_failed=False,
        force=False,
        strict=args.strict,
        report=None,
        no_progress=args.no_progress,
        delete_missing=False,
        output=None,
        no_content=args.no_content,
        ledger=[],
        ignore_queue_lock=False,
        announce_target=False,
    )


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
