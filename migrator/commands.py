"""What each CLI command does, end to end, in terms of the pipeline's modules."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrator.errors import MigratorError
from migrator.findings import Findings
from migrator.mapping.config import MappingConfig, load_mapping
from migrator.mapping.target_info import TargetInfo
from migrator.mapping.undecided import UNDECIDED
from migrator.pipeline import PrepareOptions
from migrator.planning_texts import KeyPlan
from migrator.results import ValidationResult
from migrator.snapshot import QueueKeyLookup
from migrator.sources.inputs import expand_sources
from migrator.target import DEFAULT_WORKDIR, Target, open_target

if TYPE_CHECKING:
    from migrator.presets.init_mapping import InitResult, ZoneDecision


def _out(text: str = "") -> None:
    print(text, flush=True)


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


def _target_info(target: Target, queue: str) -> TargetInfo:
    from migrator.snapshot import load_target_info

    return load_target_info(target.client, queue)


def _read_only_target(args: argparse.Namespace, env: Mapping[str, str]) -> AbstractContextManager[Target]:
    """The target to read metadata from (``validate``, ``init``): no rate limit of our own."""
    return open_target(
        env, max_rps=None, sandbox_data=args.sandbox_data, sandbox_fixture=args.sandbox_fixture, announce=_out
    )


def _key_plan(target: Target, config: MappingConfig) -> KeyPlan:
    """Every issue gets its Tracker key at plan load (one read of the queue's highest number when
    new keys are needed), so texts can name issues imported later (``planning_texts.py``)."""
    from migrator.snapshot import highest_key_number

    queue = config.target.queue
    return KeyPlan(
        highest_number=lambda: highest_key_number(target.client, queue),
        reference_projects=config.source.references.project_keys,
    )


def _existing_keys(target: Target, config: MappingConfig) -> QueueKeyLookup:
    """Read-only lookup of keys already in the queue (only used when the mapping keeps source keys)."""
    return QueueKeyLookup(target.client, config.target.queue)


def _source_label(args: argparse.Namespace) -> str:
    return ", ".join(map(str, args.sources))


def _prepare_options(
    args: argparse.Namespace,
    target_label: str,
    existing_keys: QueueKeyLookup | None = None,
    *,
    max_rps: float | None = None,
) -> PrepareOptions:
    """The pipeline options of ``run`` and ``validate``: --strict, the rate of the duration estimate
    (``max_rps``, else validate's --max-rps), --no-progress."""
    return PrepareOptions(
        strict=args.strict,
        source_label=_source_label(args),
        target_label=target_label,
        max_rps=args.max_rps if max_rps is None else max_rps,
        existing_keys=existing_keys,
        progress=not args.no_progress,
    )


# ------------------------------------------------------------------------------------------ run


def cmd_run(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from migrator.execution import Executor
    from migrator.pipeline import PreparedRun
    from migrator.planning import load_plan
    from migrator.report.json_report import format_console_summary
    from migrator.state import CheckpointStore

    config = _load_config(args)
    _check_sources(args.sources)
    state_path = _state_path(args, config)
    state_path.parent.mkdir(parents=True, exist_ok=True)
    with open_target(
        env,
        max_rps=args.max_rps,
        sandbox_data=args.sandbox_data,
        sandbox_fixture=args.sandbox_fixture,
        announce=_out,
        workers=args.workers,
    ) as target:
        info = _target_info(target, config.target.queue)
        findings = Findings()
        with CheckpointStore(state_path) as store:
            store.bind_target(target.identity, config.target.namespace, config.target.queue)
            options = _prepare_options(
                args, target.label, _existing_keys(target, config), max_rps=_expected_rate(target)
            )
            prepared = PreparedRun(config, list(args.sources), info, findings, options)
            load_plan(
                store,
                prepared.planned(),
                config.target.namespace,
                config.target.queue,
                keys=_key_plan(target, config),
            )
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
            summary = executor.run(retry_failed=args.retry_failed)
            _out(summary.render())
            _out_rate(target)
            return 0 if summary.complete else 1


def _expected_rate(target: Target) -> float:
    """The rate the validation report's duration estimate uses."""
    from migrator.pipeline.tally import DEFAULT_MAX_RPS

    limiter = target.client.rate_limiter
    return limiter.expected_rate() if limiter is not None else DEFAULT_MAX_RPS


def _out_rate(target: Target) -> None:
    limiter = target.client.rate_limiter
    if limiter is not None:
        _out(f"rate control: {limiter.status().describe()}")


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
    if args.target_snapshot:
        info = load_target_info(args.target_snapshot, config.target.queue)
        options = _prepare_options(args, f"snapshot {args.target_snapshot}")
        result = validate(config, list(args.sources), info, options)
    else:
        with _read_only_target(args, env) as target:
            info = _target_info(target, config.target.queue)
            options = _prepare_options(args, target.label, _existing_keys(target, config))
            result = validate(config, list(args.sources), info, options)
    _out(format_console_summary(result))
    _write_reports(result, args.report)
    return result.exit_code


# --------------------------------------------------------------------------------------- verify


def cmd_verify(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    import json

    from migrator.pipeline import PreparedRun
    from migrator.state import CheckpointStore
    from migrator.verify import stored_issue_count, verify

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
        workers=args.workers,
    ) as target:
        info = _target_info(target, config.target.queue)
        options = PrepareOptions(source_label=_source_label(args), target_label=target.label)
        prepared = PreparedRun(config, list(args.sources), info, Findings(), options)
        store = CheckpointStore(state_path) if state_path.exists() else None
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
    _out_rate(target)
    return 0 if report.clean else 1


# --------------------------------------------------------------------------------------- status


def cmd_status(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from migrator.state import CheckpointStore

    state_path = args.state or _only_state_file()
    if not state_path.exists():
        raise MigratorError(
            f"no checkpoint file {state_path}", hint="run `migrator run ...` first, or pass --state"
        )
    with CheckpointStore(state_path) as store:
        summary = store.status_summary()
    _out(f"checkpoints: {state_path}")
    _out(summary.render())
    return 1 if summary.has_failures else 0


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
