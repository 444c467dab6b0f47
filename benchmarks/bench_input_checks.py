"""Benchmark: what the safety checks on hostile input cost on honest input, and what they save.

* the JSON checks on a generated Jira-style JSON export (default 100,000 issues with comments): the
  nesting check of a text in memory (NDJSON lines, the Trello board) against ``json.loads``, and the
  scan a streamed document passes through (nesting, unparsable numbers, damage marks) against the
  ``ijson`` stream alone and against the whole ``read_json``;
* loading the trial's YAML alias bomb (9**9 expanded nodes in a few hundred bytes): time to the
  refusal and peak memory (the bomb took 2.2 GB and a MemoryError before the node limit).

    python benchmarks/bench_input_checks.py                # 100,000 issues
    python benchmarks/bench_input_checks.py --issues 20000

Peak memory is the process's maximum resident set size (``ru_maxrss``) after each step.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

import ijson

from migrator.errors import ConfigError
from migrator.mapping.config import load_mapping
from migrator.sources.json_reader import read_json
from migrator.sources.json_text import JsonScan, nesting_depth, parse_json

CHUNK = 64 * 1024  # what ijson asks for per read

MAPPING = """\
version: 1
source:
  system: jira
  timezone: UTC
  issues:
    fields: {id: id, summary: fields.summary, created_at: fields.created, created_by: fields.reporter.name}
target: {queue: DEMO, namespace: bench}
"""


def export_text(issues: int) -> str:
    records = [
        {
            "id": str(10_000 + n),
            "key": f"DEMO-{n}",
            "fields": {
                "summary": f'Issue {n} [with {{brackets}}] in "quotes"',
                "created": "2021-06-01T12:00:00.000+0300",
                "reporter": {"name": "ivanov", "emailAddress": "ivanov@example.com"},
                "labels": ["backend", "db"],
                "description": "Steps:\n1. open\n2. click [x]\n" * 3,
                "comment": {
                    "comments": [
                        {
                            "author": {"name": "petrov"},
                            "created": "2021-06-02T10:00:00Z",
                            "body": f"c{c} {{code}}",
                        }
                        for c in range(3)
                    ]
                },
            },
        }
        for n in range(issues)
    ]
    return json.dumps({"issues": records}, ensure_ascii=False)


def alias_bomb(levels: int = 9) -> str:
    lines = ["x-anchors:", '  l0: &l0 ["lol"]']
    lines += [f"  l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]" for n in range(1, levels + 1)]
    return MAPPING + "\n".join(lines) + f"\nvalues:\n  status: {{map: {{Open: *l{levels}}}}}\n"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label: str, run: object) -> object:
    started = time.perf_counter()
    result = run()  # type: ignore[operator]
    print(f"  {label:<38} {time.perf_counter() - started:7.2f} s   peak RSS {peak_mb():6.0f} MB")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=100_000)
    args = parser.parse_args()

    print(f"JSON export, {args.issues:,} issues:")
    text = timed("generate", lambda: export_text(args.issues))
    assert isinstance(text, str)
    print(f"  {'size':<38} {len(text) / 1024 / 1024:7.1f} MB")
    depth = timed("nesting check (nesting_depth)", lambda: nesting_depth(text))
    timed("json.loads alone", lambda: json.loads(text))
    timed("guarded parse (check + parse)", lambda: parse_json(text, 100))
    print(f"  {'depth found':<38} {depth}")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "issues.json"
        path.write_text(text, encoding="utf-8")

        def stream_alone() -> int:
            with path.open("rb") as fh:
                return sum(1 for _ in ijson.items(fh, "issues.item", use_float=True))

        def scan_alone() -> int:
            with path.open(encoding="utf-8") as fh:
                scan = JsonScan(fh, 100)
                return sum(len(chunk) for chunk in iter(lambda: scan.read(CHUNK), ""))

        timed("stream: ijson alone", stream_alone)
        timed("stream: scan alone (JsonScan)", scan_alone)
        timed("stream: read_json (scan + ijson + records)", lambda: sum(1 for _ in read_json(
            path, encoding="utf-8", records="issues"
        )))  # fmt: skip

    print("YAML alias bomb (9**9 expanded nodes):")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mapping.yaml"
        path.write_text(alias_bomb(), encoding="utf-8")
        print(f"  {'file size':<38} {path.stat().st_size:7d} bytes")

        def refuse() -> str:
            try:
                load_mapping(path)
            except ConfigError as exc:
                return exc.problems[0]
            return "loaded (not refused!)"

        print(f"  -> {timed('load_mapping until refused', refuse)}")


if __name__ == "__main__":
    main()
