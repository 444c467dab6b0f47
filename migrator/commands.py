"""What each CLI command does, end to end, in terms of the pipeline's modules.

One room (over 500 lines): it is the only place that wires every stage together, and the commands
share its helpers (the mapping, the target, the checkpoint file, the reports); each command's own
work lives in the stage modules it calls."""

from __future__ import annotations

import argparse
import contextlib
import json
import shlex
import sys
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrator.errors import MigratorError
from migrator.findings import Findings
from migrator.history import RunHistory, findings_counts
from migrator.mapping.config import MappingConfig, load_mapping
from migrator.mapping.target_info import TargetInfo
from migrator.mapping.undecided import UNDECIDED
from migrator.results import ValidationResult
from migrator.snapshot import QueueKeyLookup
from migrator.sources.inputs import expand_sources
from migrator.target import DEFAULT_WORKDIR, Target, open_target

# The validation pass, the delta, the ledgers, the plan store and the executor are imported by the
# commands that use them, after ``run`` has sent its first metadata reads (~0.15 s before its first
# request when imported here).
if TYPE_CHECKING:
    from migrator.delta import DeltaSummary
    from migrator.execution import Executor
    from migrator.execution.queue_lease import QueueLease
    from migrator.execution.summary import RunSummary
    from migrator.existing import ExistingIssueFinder
    from migrator.live_target import LiveTarget
    from migrator.pipeline.prepared import PrepareOptions
    from migrator.planning_texts import KeyPlan
    from migrator.presets.init_mapping import InitResult, ZoneDecision
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
    config = load_mapping(args.mapping, queue=args.queue, namespace=args.namespace, limits=dict(args.limits))
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


@contextlib.contextmanager
def _target_info(target: Target, queue: str, *, ready: bool = True) -> Iterator[LiveTarget]:
    """The queue's metadata, read in the background from now on (the catalogues an export does not
    use are never read: ``live_target.py``). ``ready``: wait for the core reads now."""
    from migrator.live_target import LiveTarget

    info = LiveTarget(target.client, queue)
    try:
        yield info.ready() if ready else info
    finally:
        info.close()


def _read_only_target(args: argparse.Namespace, env: Mapping[str, str]) -> AbstractContextManager[Target]:
    """The target to read metadata from (``validate``, ``init``) or to make and drop a staging queue
    with (``stage``): no rate limit of our own."""
    return open_target(
        env, max_rps=None, sandbox_data=args.sandbox_data, sandbox_fixture=args.sandbox_fixture, announce=_out
    )


def _paced_target(args: argparse.Namespace, env: Mapping[str, str]) -> AbstractContextManager[Target]:
    """The target ``run`` and ``verify`` talk to: ``--workers`` workers sharing ``--max-rps`` (``run``
    without ``--workers``: as many as the rate control asks for, so a connection for the most)."""
    from migrator.tracker.ratelimit import MAX_CONCURRENCY

    return open_target(
        env,
        max_rps=args.max_rps,
        sandbox_data=args.sandbox_data,
        sandbox_fixture=args.sandbox_fixture,
        announce=_announcer(args),
        workers=args.workers or MAX_CONCURRENCY,
    )


class _HighestKeyNumber:
    """The queue's highest issue number (one search request), read for the key plan and reused
    once by the lease marker's key (``_marker_key``): one search per run instead of two."""

    def __init__(self, target: Target, queue: str) -> None:
        self.target = target
        self.queue = queue
        self._unused: int | None = None
        self._ahead: Future[int] | None = None

    def read_ahead(self, pool: ThreadPoolExecutor) -> None:
        """Start the search on ``pool`` now (when it is certain to be asked: a new lease marker
        needs a key), so that the key plan finds its answer in instead of waiting for it."""
        if self._ahead is None and self._unused is None:
            self._ahead = pool.submit(self._search)

    def read(self) -> int:
        ahead, self._ahead = self._ahead, None
        number = ahead.result() if ahead is not None else self._search()
        self._unused = number
        return number

    def reuse_or_read(self) -> int:
        """The number the key plan read, the first time; read again after that (a marker key that
        was taken meanwhile asks again) or when the key plan did not read it."""
        number, self._unused = self._unused, None
        return self.read() if number is None else number

    def _search(self) -> int:
        from migrator.snapshot import highest_key_number

        return highest_key_number(self.target.client, self.queue)


def _key_plan(config: MappingConfig, highest: _HighestKeyNumber) -> KeyPlan:
    """Every issue gets its Tracker key at plan load (one read of the queue's highest number when
    new keys are needed), so texts can name issues imported later (``planning_texts.py``)."""
    from migrator.planning_texts import KeyPlan

    return KeyPlan(highest_number=highest.read, reference_projects=config.source.references.project_keys)


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
    from migrator.existing import ExistingIssueFinder

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
    *,
    max_rps: float | None = None,
) -> PrepareOptions:
    """The pipeline options of ``run`` and ``validate``: --strict, the rate of the duration estimate
    (``max_rps``, else validate's --max-rps), --no-progress."""
    from migrator.pipeline.prepared import PrepareOptions

    return PrepareOptions(
        strict=args.strict,
        source_label=_source_label(args),
        target_label=target_label,
        max_rps=args.max_rps if max_rps is None else max_rps,
        existing_keys=existing_keys,
        existing_issues=existing_issues,
        progress=not args.no_progress,
    )


# ------------------------------------------------------------------------------------------ run


def cmd_run(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from migrator.run_lock import holding_state_file

    config = _load_config(args)
    _check_sources(args.sources)
    state_path = _state_path(args, config)
    namespace, queue = config.target.namespace, config.target.queue
    # One run per checkpoint file (a second one exits 2 naming the holder); the OS drops the lock
    # when the process dies, so a killed run is resumed at once by the same command.
    with (
        holding_state_file(state_path, _command_line()),
        _paced_target(args, env) as target,
        _target_info(target, queue, ready=False) as info,  # read while the checkpoint file opens
        ThreadPoolExecutor(max_workers=2, thread_name_prefix="read-ahead") as ahead,
        contextlib.ExitStack() as started,
    ):
        from migrator.state import CheckpointStore

        with CheckpointStore(state_path) as store, RunHistory(state_path) as history:
            store.bind_target(target.identity, namespace, queue)
            lease = None if args.ignore_queue_lock else _queue_lease(target, store, config)
            # Refuse now, not after a long validation, and show the target's errors before the run's
            # record: the lease read goes out now, beside the metadata reads (the start-up reads are
            # paced: sent after the imports below, it waited for a slot behind later reads), and
            # both are waited for once the rest is imported.
            checking = ahead.submit(lease.check) if lease is not None else None
            # Imported while the first reads are in flight (see the module's imports).
            from migrator.pipeline.read_ahead import ReadStarted

            findings = Findings()
            # A large export's reading starts now, in its own process (``ReadStarted``).
            reading = started.enter_context(
                contextlib.closing(ReadStarted(config.source, [Path(p) for p in args.sources], findings))
            )
            from migrator.delta import DeltaSummary
            from migrator.execution import Executor
            from migrator.pipeline.prepared import PreparedRun, Stages
            from migrator.planning import load_plan
            from migrator.report.json_report import format_console_summary

            delta = DeltaSummary(state_file=str(state_path))
            _checked_together(checking, info)
            highest = _HighestKeyNumber(target, queue)
            _read_ahead(ahead, config, info, lease, highest)
            run_id = history.start(
                namespace=namespace,
                queue=queue,
                command="run",
                target=target.identity,
                exports=expand_sources(list(args.sources)),  # patterns matched, folders walked by history
                mapping=args.mapping,
            )
            options = _prepare_options(
                args,
                target.label,
                _existing_keys(target, config),
                _existing_issues(args, target, config),
                max_rps=_expected_rate(target),
            )
            prepared = PreparedRun(config, list(args.sources), info, findings, options, Stages(read=reading))
            load_plan(
                store,
                prepared.planned(),
                namespace,
                queue,
                keys=_key_plan(config, highest),
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
            record = _Manifest(history, run_id, result, delta)
            if result.blocking and not args.force:
                _write_reports(result, report)
                _out(
                    f"Nothing was written: fix the {result.blocking} blocking problem(s) above "
                    "(or see the report), then run the same command again."
                )
                record.finish("refused")
                return 1
            if not _confirm(args, target, config):
                _write_reports(result, report)
                _out("Nothing was written.")
                record.finish("declined")
                return 1
            executor = Executor(target.client, store, workers=args.workers, progress=not args.no_progress)
            with (
                _reports_alongside(result, report),
                _lease_held(lease, store, highest, executor, keep_keys=config.target.keep_keys)
                if lease is not None and _has_work(store, args.retry_failed)
                else contextlib.nullcontext(),  # a finished import re-run writes nothing, not even the lease
            ):
                sent_before = target.client.requests_sent
                summary = executor.run(retry_failed=args.retry_failed)
                import_requests = target.client.requests_sent - sent_before
            _out(summary.render())
            _out_rate(target)
            _out_requests(target, import_requests, summary.duration_s)
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
        self.findings = findings_counts(result.findings.counts_by_kind().elements())
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


def _checked_together(checking: Future[None] | None, info: LiveTarget) -> None:
    """Wait for the metadata's core reads and the lease check (``checking``, when there is a
    lease); raises what either raises (the lease's refusal first)."""
    try:
        info.ready()
    finally:
        if checking is not None:
            checking.result()  # QueueLocked wins over a metadata error: it says what to do


def _read_ahead(
    pool: ThreadPoolExecutor,
    config: MappingConfig,
    info: LiveTarget,
    lease: QueueLease | None,
    highest: _HighestKeyNumber,
) -> None:
    """Start the reads the validation pass and the lease will wait for, while the pass reads the
    export: the link types (when the mapping reads links: the first link asks for them), and, when
    the lease must make its marker, the queue's highest key number (the key plan's and the marker's
    search) and the token's user (the marker's author). Each was a request the run waited for in
    turn between the first metadata read and the first write."""
    if config.source.links is not None:
        info.read_ahead("link_types")
    if lease is not None and lease.marker_missing:
        highest.read_ahead(pool)
        lease.read_ahead(pool)


def _has_work(store: CheckpointStore, retry_failed: bool) -> bool:
    from migrator.vocabulary import Status

    if store.unfinished_count():
        return True
    settled = (Status.FAILED, Status.BLOCKED)
    return retry_failed and any(by.get(s, 0) for by in store.counts().values() for s in settled)


@contextlib.contextmanager
def _lease_held(
    lease: QueueLease,
    store: CheckpointStore,
    highest: _HighestKeyNumber,
    executor: Executor,
    *,
    keep_keys: bool,
) -> Iterator[None]:
    """Hold the queue's lease while the executor writes. Its marker issue's key is reserved in the
    checkpoint file, so no later plan load gives that number to an issue."""
    with lease.holding(lambda reason: executor.stop(), _marker_key(store, highest, keep_keys)):
        if lease.key is not None:
            store.reserve_key(lease.unique, lease.key)
        yield


def _marker_key(store: CheckpointStore, highest: _HighestKeyNumber, keep_keys: bool) -> Callable[[], str]:
    """A new lease marker's key, clear of every number the queue uses and this checkpoint file planned
    (issues are imported under keys planned before the import) — and with ``keep_keys`` of the
    export's next numbers (``queue_lease.marker_number``). Asked only when the marker does not exist
    yet: the first time from the number the key plan read (no request when it read one), again
    after a conflict (the number was taken meanwhile) from a new search."""
    from migrator.execution.queue_lease import marker_number

    queue = highest.queue

    def next_free() -> str:
        number = max(highest.reuse_or_read(), store.highest_planned_number(queue))
        return f"{queue}-{marker_number(number, keep_keys=keep_keys)}"

    return next_free


def _expected_rate(target: Target) -> float:
    """The rate the validation report's duration estimate uses."""
    from migrator.pipeline.tally import DEFAULT_MAX_RPS

    limiter = target.client.rate_limiter
    return limiter.expected_rate() if limiter is not None else DEFAULT_MAX_RPS


def _out_rate(target: Target) -> None:
    limiter = target.client.rate_limiter
    if limiter is not None:
        _out(f"rate control: {limiter.status().describe()}")


def _out_requests(target: Target, import_requests: int, import_s: float) -> None:
    """How many requests the run sent: during the import (the share of the limit its writers used)
    and in all (with the metadata reads, the key plan's search and the lease before and after it),
    over the span from the first request to the last answer."""
    rate = import_requests / import_s if import_s > 0 else 0.0
    sent, span = target.client.requests_sent, target.client.traffic_seconds
    overall = f" ({sent / span:.1f}/s over {span:.1f}s from the first request)" if span > 0 else ""
    _out(
        f"requests: {import_requests} during the import ({rate:.1f}/s over {import_s:.1f}s), "
        f"{sent} in all{overall}"
    )


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
    """All three reports; a large result's XLSX one in another process while this one writes the
    HTML and JSON ones (``report/xlsx_aside.py``)."""
    from migrator.report.xlsx_aside import xlsx_report_aside

    with xlsx_report_aside(result, folder / "report.xlsx") as xlsx_written:
        _write_text_reports(result, folder)
        _out(f"  report: {xlsx_written()}")


def _write_text_reports(result: ValidationResult, folder: Path) -> None:
    """The HTML and JSON reports (quick to write; the console points at the HTML one)."""
    from migrator.report.html import write_html_report
    from migrator.report.json_report import write_json_report

    folder.mkdir(parents=True, exist_ok=True)
    for path in (
        write_html_report(result, folder / "report.html"),
        write_json_report(result, folder / "report.json"),
    ):
        _out(f"  report: {path}")


def _write_xlsx_report(result: ValidationResult, folder: Path) -> Path:
    from migrator.report.xlsx import write_xlsx_report  # openpyxl: imported only when written

    return write_xlsx_report(result, folder / "report.xlsx")


@contextlib.contextmanager
def _reports_alongside(result: ValidationResult, folder: Path) -> Iterator[None]:
    """``run``'s reports around its import: HTML and JSON before it (a killed run leaves them), the
    XLSX one in a thread while the import waits on the network — importing openpyxl and writing the
    workbook took 0.3–0.7 s before the first write. Waited for when the import ends, and a failure to
    write it raised then (the import is complete or resumable; the same command writes it again)."""
    _write_text_reports(result, folder)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="xlsx-report") as pool:
        written = pool.submit(_write_xlsx_report, result, folder)
        yield
        _out(f"  report: {written.result()}")


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
        with _read_only_target(args, env) as target, _target_info(target, config.target.queue) as info:
            options = _prepare_options(
                args, target.label, _existing_keys(target, config), _existing_issues(args, target, config)
            )
            result, delta = _validate_with_delta(args, config, info, options)
    with result.findings:  # the findings' temporary file goes once the reports are written
        _out(format_console_summary(result))
        _out(delta.render())
        _write_reports(result, args.report)
    return result.exit_code


def _validate_with_delta(
    args: argparse.Namespace, config: MappingConfig, info: TargetInfo, options: PrepareOptions
) -> tuple[ValidationResult, DeltaSummary]:
    """``validate``, plus the delta against the ledger of an earlier import when there is one (the
    checkpoint file is opened read-only: a dry run changes nothing)."""
    from migrator.delta import DeltaSummary
    from migrator.pipeline.prepared import PreparedRun
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

    from migrator.pipeline.prepared import PreparedRun, PrepareOptions
    from migrator.verify import stored_issue_count, verify

    config = _load_config(args)
    _check_sources(args.sources)
    state_path = _state_path(args, config)
    output = args.output or DEFAULT_WORKDIR / f"{config.target.namespace}.verify.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    with _paced_target(args, env) as target, _target_info(target, config.target.queue) as info:
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
    _out_rate(target)
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
        with _read_only_target(args, env) as target:
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
    config = load_mapping(args.mapping, namespace=args.namespace, limits=dict(args.limits))
    _check_sources(args.sources)
    like = args.like or config.target.queue
    with _read_only_target(args, env) as target:
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
        limits=args.limits,
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


# -------------------------------------------------------------------------------------- inspect


def cmd_inspect(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    import json

    from migrator.presets.inspection import inspect_export, render, to_dict

    _check_sources(args.sources)
    chosen, facts, _ = inspect_export(list(args.sources), args.preset)
    data = to_dict(chosen, facts, list(args.sources))
    _out(json.dumps(data, ensure_ascii=False, indent=2) if args.json else render(data))
    return 0


# -------------------------------------------------------------------------------------- sandbox


def cmd_sandbox(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from migrator.sandbox.cli import serve

    return serve(args)


# ----------------------------------------------------------------------------------------- init


def cmd_init(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from migrator.presets.init_mapping import build_mapping, zone_decision
    from migrator.presets.inspection import inspect_export
    from migrator.presets.matching import TargetCatalogue

    if args.output.exists() and not args.force:
        raise MigratorError(
            f"{args.output} exists", hint="choose another -o file, or add --force to overwrite it"
        )
    if args.timezone:
        _checked_zone(args.timezone)
    _check_sources(args.sources)
    sources = list(args.sources)
    chosen, facts, _ = inspect_export(sources, args.preset)
    how = (
        "given with --preset"
        if chosen.how == "--preset"
        else "recognised: " + "; ".join(chosen.verdict.evidence[:3] if chosen.verdict else [])
    )
    _out(f"preset {chosen.preset.name} ({how})")
    queue = args.queue or chosen.preset.config.target.queue
    if queue == UNDECIDED:
        raise MigratorError("the preset leaves target.queue undecided", hint="pass --queue KEY")
    data, info = _target_catalogue(args, env, queue)
    zone = zone_decision(facts, args.timezone)
    if zone.zone is None:
        zone = _ask_zone(zone)
    result = build_mapping(
        chosen.preset, facts, TargetCatalogue(data, info), zone=zone, queue=queue,
        namespace=args.namespace, sources=sources,
    )  # fmt: skip
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(result.text, encoding="utf-8")
    _report_init(args.output, result)
    return 0


def _checked_zone(name: str) -> str:
    from migrator.timeutil import load_zone

    try:
        load_zone(name)
    except ValueError as exc:
        raise MigratorError(f"--timezone: {exc}") from None
    return name


def _target_catalogue(
    args: argparse.Namespace, env: Mapping[str, str], queue: str
) -> tuple[dict[str, Any], TargetInfo]:
    """The target's metadata as the fixture/snapshot dict: a snapshot file, or read from the target."""
    from migrator.snapshot import load_metadata

    if args.target_snapshot:
        metadata = load_metadata(args.target_snapshot, queue)
    else:
        with _read_only_target(args, env) as target:
            metadata = load_metadata(target.client, queue)
    if queue not in metadata.queue_keys:
        raise MigratorError(
            f"queue {queue!r} is not in the target (queues: {', '.join(metadata.queue_keys) or 'none'})",
            hint="pass --queue with one of them",
        )
    data = metadata.to_dict()
    return data, TargetInfo.from_fixture_dict(data, queue)


def _ask_zone(undecided: ZoneDecision) -> ZoneDecision:
    """On a terminal, ask for the zone; otherwise (scripts, CI) leave it "?" and say so."""
    from migrator.presets.init_mapping import ZoneDecision

    if not sys.stdin.isatty():
        return ZoneDecision(
            UNDECIDED, f"{undecided.how}: not decided (no terminal to ask, no --timezone)", undecided.level
        )
    question = f"The export's times carry no offset ({undecided.how}). Time zone they were written in (e.g. Europe/Moscow): "
    for _ in range(3):
        answer = input(question).strip()
        if not answer:
            break
        try:
            return ZoneDecision(_checked_zone(answer), "answered at the prompt", "sure")
        except MigratorError as exc:
            _out(str(exc))
    return ZoneDecision(UNDECIDED, f"{undecided.how}: not decided at the prompt", undecided.level)


def _report_init(output: Path, result: InitResult) -> None:
    levels = result.levels
    _out(
        f"wrote {output}: {result.entries} values and people — {levels.get('sure', 0)} sure, "
        f"{levels.get('likely', 0)} likely, {levels.get('review', 0)} to check, {levels.get('undecided', 0)} undecided"
    )
    review = len(result.review) + len(result.undecided)
    _out(f"{review} line(s) to review (marked REVIEW in the file):")
    for line in result.review:
        _out(f"  check   {line}")
    for line in result.undecided:
        _out(f"  decide  {line}")
    if result.undecided:
        _out('Every "?" blocks `migrator validate` until it is replaced.')
