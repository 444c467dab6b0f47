"""Soak: a big import under random SIGKILLs of the run and of the server, faults on every endpoint
and racing runs — then the same command to completion, ``migrator verify`` clean, and a census
through the API: exactly one of every object.

    python benchmarks/soak.py                               # 10,000 issues, 30 kills
    python benchmarks/soak.py --issues 300 --kills 5 --seed 2 --keep /tmp/soak

What it does, in a work folder (a temporary one unless ``--keep``):

1. generates a JSON export of ``--issues`` issues with comments, files, worklogs, links and
   parent/child, its mapping, and the files;
2. serves the sandbox as a subprocess (``migrator sandbox serve --data``, so it can be killed and
   restarted with its data) with faults on every endpoint (``--fault-rate`` each of: 5xx before
   processing, dropped connection before processing, commit-then-500, commit-then-drop);
3. ``--kills`` times: starts ``migrator run`` (a real subprocess, the same command every time) and
   SIGKILLs it at a random moment — during its start-up (validation, plan load) or after a random
   number of writes, spread over the import; sometimes (``--server-kill-share``) SIGKILLs the server
   meanwhile and restarts it; sometimes (``--race-share``) starts a second run beside it, either on
   the same checkpoint file or on another checkpoint file of the same namespace (both must be refused
   with exit 2 while the first one lives);
4. runs the same command until it completes (``--retry-failed`` after a run with failures);
5. turns the faults off, runs ``migrator verify``, and counts, per issue found in the queue by its
   ``unique``, the issues, comments, files, worklogs and links against the export.

Prints the figures (kills, refusals, attempts, durations, requests and writes per object, the census)
and exits 0 only when verify is clean and the census finds nothing lost and nothing duplicated.
``--json FILE`` also writes the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
import yaml

from migrator.execution.queue_lease import lease_unique
from migrator.sandbox.faults import WRITE_KINDS
from migrator.tracker import TrackerClient, TrackerSettings

QUEUE = "DEMO"
NAMESPACE = "soak"
SYSTEM = "soak"
ADMIN_TOKEN = "sandbox-admin-token"  # the sandbox's default org
ORG_ID = "1"
USERS = ("admin", "alice", "bob", "carol")
START = datetime(2020, 1, 1, 9, 0, tzinfo=UTC)
RUN_TIMEOUT_S = 3600.0
POLL_S = 0.1  # how often the driver reads the server's counters
RACE_PATIENCE_S = 120.0  # a racing run must be refused within this (its start-up included)
CHILD_KINDS = ("comments", "files", "worklogs", "links")


# ------------------------------------------------------------------------------------ the export


@dataclass
class Expected:
    """What the target must hold: per issue unique, how many of each child (links from both ends)."""

    children: dict[str, Counter[str]] = field(default_factory=dict)

    @property
    def objects(self) -> int:
        links = sum(c["links"] for c in self.children.values()) // 2
        rest = sum(c[k] for c in self.children.values() for k in ("comments", "files", "worklogs"))
        return len(self.children) + rest + links


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def generate_export(folder: Path, count: int, rng: random.Random) -> Expected:
    """``issues.json`` (one array, children inside each issue), ``files/``, ``mapping.yaml``."""
    files = folder / "files"
    files.mkdir(parents=True, exist_ok=True)
    expected = Expected()
    issues: list[dict[str, Any]] = []
    parents: list[int] = []
    for n in range(1, count + 1):
        created = START + timedelta(minutes=7 * n)
        issue: dict[str, Any] = {
            "id": n,
            "key": f"SOAK-{n}",
            "summary": f"Soak issue {n}",
            "description": f"Generated issue {n} for the soak run.",
            "status": rng.choice(("open", "inProgress")),
            "author": rng.choice(USERS),
            "created": _iso(created),
            "updated": _iso(created + timedelta(days=30)),
            "comments": _comments(rng, n, created),
            "files": _files(rng, n, created, files),
            "worklogs": _worklogs(rng, created),
            "links": [],
        }
        expected.children[f"{NAMESPACE}:{SYSTEM}:{n}"] = Counter(
            {kind: len(issue[kind]) for kind in ("comments", "files", "worklogs")}
        )
        if parents and rng.random() < 0.1:
            # A recent parent: linked issues' lifetimes overlap, so every link is imported with its
            # date (an undated link, the fallback otherwise, is an ordinary edit of both issues).
            parent = rng.choice(parents[-200:])
            issue["parent"] = f"SOAK-{parent}"
            _link(expected, n, parent)
        elif rng.random() < 0.2:
            parents.append(n)
        if n > 1 and rng.random() < 0.3:
            other = rng.randint(max(1, n - 50), n - 1)
            if issue.get("parent") != f"SOAK-{other}":
                issue["links"].append({"to": f"SOAK-{other}", "type": "relates"})
                _link(expected, n, other)
        issues.append(issue)
    (folder / "issues.json").write_text(json.dumps(issues), encoding="utf-8")
    (folder / "mapping.yaml").write_text(yaml.safe_dump(_mapping(), sort_keys=False), encoding="utf-8")
    return expected


def _comments(rng: random.Random, n: int, created: datetime) -> list[dict[str, Any]]:
    return [
        {
            "id": c + 1,
            "author": rng.choice(USERS),
            "created": _iso(created + timedelta(hours=c + 1)),
            "text": f"Comment {c + 1} on issue {n}",
        }
        for c in range(rng.choice((0, 1, 2, 3, 3)))
    ]


def _files(rng: random.Random, n: int, created: datetime, folder: Path) -> list[dict[str, Any]]:
    if rng.random() >= 0.3:
        return []
    name = f"log-{n}.txt"
    (folder / name).write_text(f"attachment of issue {n}\n" * rng.randint(1, 20), encoding="utf-8")
    when = _iso(created + timedelta(minutes=30))
    return [{"id": 1, "name": name, "path": name, "author": rng.choice(USERS), "created": when}]


def _worklogs(rng: random.Random, created: datetime) -> list[dict[str, Any]]:
    return [
        {
            "id": w + 1,
            "author": rng.choice(USERS),
            "start": _iso(created + timedelta(days=w + 1)),
            "duration": f"PT{w + 1}H",
        }
        for w in range(rng.choice((0, 0, 1, 2)))
    ]


def _link(expected: Expected, a: int, b: int) -> None:
    for n in (a, b):
        expected.children[f"{NAMESPACE}:{SYSTEM}:{n}"]["links"] += 1


def _mapping() -> dict[str, Any]:
    return {
        "version": 1,
        "name": "soak: generated JSON export",
        "source": {
            "system": SYSTEM,
            "format": "json",
            "timezone": "UTC",
            "date_formats": ["iso"],
            "markup": "plain",
            "parent_ref": "key",
            "link_ref": "key",
            "files": {"directory": "files"},
            "issues": {
                "records": "",
                "fields": {
                    "id": "id",
                    "key": "key",
                    "summary": "summary",
                    "description": "description",
                    "status": "status",
                    "created_at": "created",
                    "created_by": "author",
                    "updated_at": "updated",
                    "parent": "parent",
                },
            },
            "comments": {
                "path": "comments",
                "fields": {"id": "id", "author": "author", "created_at": "created", "text": "text"},
            },
            "attachments": {
                "path": "files",
                "fields": {
                    "id": "id",
                    "filename": "name",
                    "location": "path",
                    "author": "author",
                    "created_at": "created",
                },
            },
            "worklogs": {
                "path": "worklogs",
                "fields": {"id": "id", "author": "author", "start": "start", "duration": "duration"},
            },
            "links": {"path": "links", "fields": {"to": "to", "relationship": "type"}},
        },
        "target": {"queue": QUEUE, "namespace": NAMESPACE},
        "values": {
            "status": {"map": {"open": "open", "inProgress": "inProgress"}, "unmapped": "error"},
            "link": {"map": {"relates": "relates"}, "unmapped": "error"},
        },
        "users": {"match": ["login"], "fallback": "admin"},
    }


# ------------------------------------------------------------------------------------ the server


class Server:
    """``migrator sandbox serve`` as a subprocess on a fixed port, with its data in a file."""

    def __init__(self, folder: Path, faults: dict[str, Any]) -> None:
        self.folder = folder
        self.data = folder / "sandbox.sqlite"
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.faults = faults
        self.proc: subprocess.Popen[bytes] | None = None
        self.kills = 0
        self._counted: Counter[str] = Counter()  # requests of earlier server processes, by kind
        self._last: Counter[str] = Counter()

    def start(self) -> None:
        log = (self.folder / "server.log").open("ab")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "migrator",
                "sandbox",
                "serve",
                "--port",
                str(self.port),
                "--data",
                str(self.data),
            ],
            stdout=log,
            stderr=log,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{self.url}/_sandbox/health", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the sandbox did not start (see {self.folder / 'server.log'})")
            time.sleep(0.05)
        self._last = Counter()
        self.set_faults(self.faults)

    def set_faults(self, faults: dict[str, Any]) -> None:
        self.faults = faults
        response = requests.post(
            f"{self.url}/_sandbox/faults", json={"reset": True, **faults}, headers=_auth(), timeout=10
        )
        response.raise_for_status()

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.requests_by_kind()  # count what this process served, as far as last seen
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
            self.kills += 1
        self._counted += self._last
        self._last = Counter()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.requests_by_kind()
            self.proc.terminate()
            self.proc.wait(timeout=30)
        self._counted += self._last
        self._last = Counter()

    def requests_by_kind(self) -> Counter[str]:
        """Requests by kind over every server process so far (the last one up to now)."""
        try:
            stats = requests.get(f"{self.url}/_sandbox/stats", headers=_auth(), timeout=10).json()
            self._last = Counter({k: int(v) for k, v in stats["by_kind"].items()})
        except (requests.RequestException, ValueError, KeyError):
            pass  # the server is down: keep what was last seen
        return self._counted + self._last

    def writes(self) -> int:
        by_kind = self.requests_by_kind()
        return sum(by_kind[k] for k in WRITE_KINDS)


def _auth() -> dict[str, str]:
    return {"Authorization": f"OAuth {ADMIN_TOKEN}"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# ------------------------------------------------------------------------------------- the runs


@dataclass
class Figures:
    issues: int = 0
    objects: int = 0
    kills_requested: int = 0
    run_kills: int = 0
    startup_kills: int = 0
    server_kills: int = 0
    runs_started: int = 0
    runs_ended_alone: Counter[int] = field(default_factory=Counter)  # exit code -> runs not killed
    races: Counter[str] = field(default_factory=Counter)  # outcome -> racing runs
    completion_runs: int = 0
    verify_clean: bool = False
    verify_problems: int = 0
    census: dict[str, Any] = field(default_factory=dict)
    requests: int = 0
    writes: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return (
            self.verify_clean
            and self.census.get("lost", 1) == 0
            and self.census.get("duplicated", 1) == 0
            and self.census.get("unexpected", 1) == 0
            and not any("BESIDE" in outcome for outcome in self.races)
        )


class Soak:
    def __init__(self, args: argparse.Namespace, folder: Path) -> None:
        self.args = args
        self.folder = folder
        self.rng = random.Random(args.seed)
        self.figures = Figures(issues=args.issues, kills_requested=args.kills)
        self.state = folder / "soak.state.sqlite"
        self.race_state = folder / "race.state.sqlite"
        faults = dict.fromkeys(
            ("fault_rate", "drop_rate", "commit_then_fail_rate", "commit_then_drop_rate"), args.fault_rate
        )
        self.server = Server(folder, {**faults, "latency_ms": args.latency_ms, "seed": args.seed})
        self.expected = Expected()
        self._started = 0

    # --------------------------------------------------------------- driving

    def run(self) -> Figures:
        with self._timed("generate"):
            self.expected = generate_export(self.folder, self.args.issues, self.rng)
            self.figures.objects = self.expected.objects
        self.server.start()
        try:
            with self._timed("kills"):
                self._kill_loop()
            with self._timed("complete"):
                self._complete()
            self.figures.requests = sum(self.server.requests_by_kind().values())
            self.figures.writes = self.server.writes()
            self.server.set_faults({})
            with self._timed("verify"):
                self._verify()
            with self._timed("census"):
                self.figures.census = self._census()
        finally:
            self.server.stop()
        return self.figures

    def _command(self, state: Path) -> list[str]:
        return [
            sys.executable,
            "-m",
            "migrator",
            "run",
            "issues.json",
            "--mapping",
            "mapping.yaml",
            "--state",
            str(state),
            "--yes",
            "--no-progress",
            "--workers",
            str(self.args.workers),
            "--max-rps",
            "100000",
        ]

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
        env.update(TRACKER_API_URL=self.server.url, TRACKER_TOKEN=ADMIN_TOKEN, TRACKER_ORG_ID=ORG_ID)
        return env

    def _start(self, state: Path, name: str) -> tuple[subprocess.Popen[bytes], Path]:
        """A run in the background; its output goes to its own log file (read for racers' outcomes)."""
        self._started += 1
        log_path = self.folder / "logs" / f"{self._started:03d}-{name}.log"
        log_path.parent.mkdir(exist_ok=True)
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                self._command(state), cwd=self.folder, env=self._env(), stdout=log, stderr=subprocess.STDOUT
            )
        return proc, log_path

    def _kill_loop(self) -> None:
        for left in range(self.args.kills, 0, -1):
            proc, _log = self._start(self.state, "run")
            self.figures.runs_started += 1
            killed = self._drive(proc, left)
            if not killed:
                code = proc.wait()
                self.figures.runs_ended_alone[code] += 1
                if code == 0:
                    print(f"  the import completed with {left} kill(s) still to do", flush=True)
                    return
            self._report_progress()

    def _drive(self, proc: subprocess.Popen[bytes], kills_left: int) -> bool:
        """Let the run go, race it and kill the server as chosen; SIGKILL it at its moment.
        False when it ended by itself first."""
        startup_kill = self.rng.random() < self.args.startup_kill_share
        budget = self._unfinished() / (kills_left + 1)
        target = max(1, int(budget * self.rng.uniform(0.3, 1.7)))
        server_kill_at = (
            target * self.rng.uniform(0.2, 0.8) if self.rng.random() < self.args.server_kill_share else None
        )
        race_at = target * self.rng.uniform(0.1, 0.6) if self.rng.random() < self.args.race_share else None
        deadline = time.monotonic() + (self.rng.uniform(0.3, 10.0) if startup_kill else RUN_TIMEOUT_S)
        base = self.server.writes()
        racers: list[Racer] = []
        while proc.poll() is None:
            done = self.server.writes() - base
            if time.monotonic() > deadline or (not startup_kill and done >= target):
                break
            if server_kill_at is not None and done >= server_kill_at:
                server_kill_at = None
                self._bounce_server()
            if race_at is not None and done >= race_at:
                race_at = None
                racers.append(self._race())
            self._settle(racers, patience_s=None, first=proc)
            time.sleep(POLL_S)
        # A racer gets its time to be refused while the first run still lives (which it must be).
        self._settle(racers, patience_s=RACE_PATIENCE_S, first=proc)
        if proc.poll() is not None:
            return False
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        self.figures.run_kills += 1
        self.figures.startup_kills += int(startup_kill)
        return True

    def _bounce_server(self) -> None:
        self.server.kill()
        self.figures.server_kills += 1
        time.sleep(self.rng.uniform(0.2, 2.0))
        self.server.start()

    def _race(self) -> Racer:
        if self.rng.random() < 0.5:
            return Racer("same checkpoint file", *self._start(self.state, "race-same"))
        return Racer("other checkpoint file, same namespace", *self._start(self.race_state, "race-other"))

    def _settle(
        self, racers: list[Racer], *, patience_s: float | None, first: subprocess.Popen[bytes]
    ) -> None:
        """Record the racers that ended. With ``patience_s``, wait that long for the others, then
        SIGKILL whichever still runs. A racer that ran while the first run lived was not refused:
        that fails the soak; one that ran after the first run had ended was allowed to."""
        deadline = None if patience_s is None else time.monotonic() + patience_s
        for racer in list(racers):
            while racer.proc.poll() is None and deadline is not None and time.monotonic() < deadline:
                time.sleep(POLL_S)
            alone = first.poll() is not None
            if racer.proc.poll() is None:
                if deadline is None:
                    continue
                racer.proc.send_signal(signal.SIGKILL)
                racer.proc.wait()
                outcome = "ran, killed"
            else:
                outcome = racer.outcome()
            if outcome.startswith("ran"):
                outcome += " (after the first run ended)" if alone else " BESIDE THE LIVE FIRST RUN"
            self.figures.races[f"{racer.name}: {outcome}"] += 1
            racers.remove(racer)

    def _complete(self) -> None:
        retry = False
        for _ in range(self.args.completion_attempts):
            command = self._command(self.state) + (["--retry-failed"] if retry else [])
            done = subprocess.run(
                command, cwd=self.folder, env=self._env(), capture_output=True, timeout=RUN_TIMEOUT_S
            )
            self.figures.completion_runs += 1
            (self.folder / "complete.log").write_bytes(done.stdout + done.stderr)
            if done.returncode == 0:
                return
            retry = done.returncode == 1
        raise RuntimeError(
            f"the import did not complete in {self.args.completion_attempts} runs (see complete.log)"
        )

    def _verify(self) -> None:
        command = [
            sys.executable, "-m", "migrator", "verify", "issues.json", "--mapping", "mapping.yaml",
            "--state", str(self.state), "--output", "verify.json", "--no-progress", "--max-rps", "100000",
        ]  # fmt: skip
        done = subprocess.run(
            command, cwd=self.folder, env=self._env(), capture_output=True, timeout=RUN_TIMEOUT_S
        )
        (self.folder / "verify.log").write_bytes(done.stdout + done.stderr)
        report = json.loads((self.folder / "verify.json").read_text(encoding="utf-8"))
        self.figures.verify_clean = done.returncode == 0 and bool(report.get("clean"))
        self.figures.verify_problems = len(report.get("problems", []))

    # --------------------------------------------------------------- the census

    def _census(self) -> dict[str, Any]:
        """Per expected issue: found by its ``unique``, then its children listed; and the queue's
        total, so that an issue made twice (under any unique, or none) shows up too."""
        settings = TrackerSettings(base_url=self.server.url, token=ADMIN_TOKEN, org_id=ORG_ID)
        with TrackerClient(settings) as client:
            total = client.count_issues(queue=QUEUE)
            markers = int(client.find_by_unique(lease_unique(QUEUE)) is not None)
            with ThreadPoolExecutor(max_workers=4) as pool:
                found = dict(
                    pool.map(lambda unique: (unique, _issue(client, unique)), self.expected.children)
                )
        census = _compare(self.expected, found)
        census.update(queue_total=total, lease_markers=markers)
        census["unexpected"] = total - markers - census["issues_found"]
        return census

    # --------------------------------------------------------------- helpers

    def _unfinished(self) -> int:
        """Unfinished ledger rows (the objects still to import), read beside the run."""
        if not self.state.exists():
            return self.expected.objects
        try:
            conn = sqlite3.connect(f"file:{self.state}?mode=ro", uri=True, timeout=30)
            try:
                row = conn.execute("SELECT COUNT(*) FROM ledger WHERE status != 'done'").fetchone()
            finally:
                conn.close()
        except sqlite3.Error:
            return self.expected.objects
        return int(row[0]) if row and row[0] else self.expected.objects

    def _report_progress(self) -> None:
        f = self.figures
        print(
            f"  kills {f.run_kills}/{f.kills_requested} (start-up {f.startup_kills}), server kills "
            f"{f.server_kills}, races {sum(f.races.values())}, unfinished objects {self._unfinished()}",
            flush=True,
        )

    @contextmanager
    def _timed(self, name: str) -> Iterator[None]:
        start = time.monotonic()
        print(f"{name} ...", flush=True)
        try:
            yield
        finally:
            self.figures.seconds[name] = round(time.monotonic() - start, 1)


@dataclass
class Racer:
    """A second run started beside the first one."""

    name: str
    proc: subprocess.Popen[bytes]
    log: Path

    def outcome(self) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace")
        if self.proc.returncode == 2 and "checkpoint file is in use by another migrator run" in text:
            return "refused (checkpoint file lock)"
        if self.proc.returncode == 2 and "another migrator run is importing into it" in text:
            return "refused (queue lease)"
        return f"ran, exit {self.proc.returncode}"


def _issue(client: TrackerClient, unique: str) -> Counter[str] | None:
    """The children of the issue with this ``unique`` (None: no such issue)."""
    issue = client.find_by_unique(unique)
    if issue is None:
        return None
    key = str(issue["key"])
    return Counter(
        comments=len(client.list_comments(key)),
        files=len(client.list_attachments(key)),
        worklogs=len(client.list_worklogs(key)),
        links=len(client.list_links(key)),
    )


def _compare(expected: Expected, found: dict[str, Counter[str] | None]) -> dict[str, Any]:
    lost: Counter[str] = Counter()
    duplicated: Counter[str] = Counter()
    for unique, want in expected.children.items():
        got = found.get(unique)
        if got is None:
            lost["issues"] += 1
            got = Counter()
        for kind in CHILD_KINDS:
            difference = got[kind] - want[kind]
            if difference > 0:
                duplicated[kind] += difference
            elif difference < 0:
                lost[kind] -= difference
    return {
        "issues_found": sum(1 for got in found.values() if got is not None),
        "lost": sum(lost.values()),
        "duplicated": sum(duplicated.values()),
        "lost_by_kind": dict(lost),
        "duplicated_by_kind": dict(duplicated),
        "found_by_kind": dict(sum((got for got in found.values() if got is not None), Counter())),
        "expected_by_kind": dict(sum(expected.children.values(), Counter())),
    }


def print_figures(f: Figures) -> None:
    census = f.census
    lines = [
        "",
        f"soak: {f.issues:,} issues, {f.objects:,} objects (issues + comments + files + worklogs + links)",
        f"  kills of `migrator run`: {f.run_kills} (asked {f.kills_requested}; {f.startup_kills} during start-up)",
        f"  kills of the server:     {f.server_kills}",
        f"  runs started in the kill loop: {f.runs_started}; ended by themselves: {dict(f.runs_ended_alone)}",
        f"  racing runs: {dict(f.races) or 'none'}",
        f"  runs to complete after the kills: {f.completion_runs}",
        f"  requests: {f.requests:,} ({f.requests / max(1, f.objects):.2f} per object); writes: {f.writes:,} "
        f"({f.writes / max(1, f.objects):.3f} per object, faults and reconciliation included)",
        f"  verify: {'clean' if f.verify_clean else f'NOT clean ({f.verify_problems} problems)'}",
        f"  census: issues found by unique {census.get('issues_found')}, in the queue {census.get('queue_total')} "
        f"(lease markers {census.get('lease_markers')})",
        f"          expected {census.get('expected_by_kind')}",
        f"          found    {census.get('found_by_kind')}",
        f"          lost {census.get('lost')} {census.get('lost_by_kind')}, duplicated {census.get('duplicated')} "
        f"{census.get('duplicated_by_kind')}, unexpected issues {census.get('unexpected')}",
        f"  seconds: {f.seconds}",
        f"  result: {'PASS' if f.clean else 'FAIL'}",
    ]
    print("\n".join(lines), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--issues", type=int, default=10_000)
    parser.add_argument("--kills", type=int, default=30, help="SIGKILLs of `migrator run`")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--fault-rate", type=float, default=0.005, help="share of requests for each fault kind"
    )
    parser.add_argument(
        "--server-kill-share", type=float, default=0.25, help="share of runs whose server is killed"
    )
    parser.add_argument(
        "--race-share", type=float, default=0.3, help="share of runs with a racing second run"
    )
    parser.add_argument(
        "--startup-kill-share", type=float, default=0.15, help="share of kills during start-up"
    )
    parser.add_argument("--latency-ms", type=float, default=0.0, help="sandbox latency per request")
    parser.add_argument("--completion-attempts", type=int, default=6)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        figures = Soak(args, args.keep.resolve()).run()
    else:
        with tempfile.TemporaryDirectory(prefix="migrator-soak-") as folder:
            figures = Soak(args, Path(folder)).run()
    print_figures(figures)
    if args.json:
        data = {name: dict(v) if isinstance(v, Counter) else v for name, v in vars(figures).items()}
        data["clean"] = figures.clean
        args.json.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
    return 0 if figures.clean else 1


if __name__ == "__main__":
    sys.exit(main())
