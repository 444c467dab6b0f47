"""Reader throughput and memory: a big JSON array (ijson), a Jira-style XML export (iterparse) and
the same records as NDJSON inside a .tar.gz (read in place), each through ``read_issues``.

    python benchmarks/bench_readers.py                 # 20,000 issues, 3 comments each
    python benchmarks/bench_readers.py --issues 100000

Prints per format: file size, seconds and issues/s of a plain pass, and the peak of Python allocations while reading
(``tracemalloc``, in a second pass) — flat memory means the peak does not grow with ``--issues``.
"""

from __future__ import annotations

import argparse
import io
import json
import tarfile
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import yaml

from migrator.findings import Findings
from migrator.mapping.config import MappingConfig, load_mapping
from migrator.sources.reading import read_issues

COMMENTS = 3


def _issue(n: int) -> dict[str, Any]:
    return {
        "id": str(10000 + n),
        "key": f"B-{n}",
        "title": f"Issue number {n} with a realistic, not too short summary",
        "created": "2022-03-01T10:00:00Z",
        "author": f"user{n % 50}",
        "body": "Steps to reproduce:\n1. open\n2. click\n" * 5,
        "comments": [
            {"id": f"{n}-{c}", "author": "ana", "created": "2022-03-02T10:00:00Z", "text": "A comment. " * 20}
            for c in range(COMMENTS)
        ],
    }


def write_json(folder: Path, count: int) -> Path:
    path = folder / "issues.json"
    with path.open("w", encoding="utf-8") as out:
        out.write(f'{{"total": {count}, "issues": [')
        for n in range(count):
            out.write(("," if n else "") + json.dumps(_issue(n)))
        out.write("]}")
    return path


def write_xml(folder: Path, count: int) -> Path:
    path = folder / "SearchRequest.xml"
    with path.open("w", encoding="utf-8") as out:
        out.write("<rss version='0.92'><channel><title>bench</title>\n")
        for n in range(count):
            issue = _issue(n)
            comments = "".join(
                f'<comment id="{c["id"]}" author="{c["author"]}" created="{c["created"]}">{escape(c["text"])}</comment>'
                for c in issue["comments"]
            )
            out.write(
                f'<item><key id="{issue["id"]}">{issue["key"]}</key><summary>{escape(issue["title"])}</summary>'
                f"<description>{escape(issue['body'])}</description><created>{issue['created']}</created>"
                f'<reporter username="{issue["author"]}">Name</reporter><comments>{comments}</comments></item>\n'
            )
        out.write("</channel></rss>\n")
    return path


def write_tar(folder: Path, count: int) -> Path:
    data = "".join(json.dumps(_issue(n)) + "\n" for n in range(count)).encode("utf-8")
    path = folder / "export.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("./tree/project/issues.ndjson")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return path


def mapping(folder: Path, name: str, source: dict[str, Any]) -> Path:
    base: dict[str, Any] = {"system": "bench", "timezone": "UTC", "date_formats": ["iso"]}
    data = {"version": 1, "source": {**base, **source}, "target": {"queue": "DEMO", "namespace": "bench"}}
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


JSON_FIELDS = {"id": "id", "key": "key", "summary": "title", "created_at": "created", "created_by": "author"}
JSON_COMMENTS = {
    "path": "comments",
    "fields": {"id": "id", "author": "author", "created_at": "created", "text": "text"},
}
XML_SOURCE = {
    "format": "xml",
    "issues": {
        "records": "rss.channel.item",
        "fields": {"id": "key.@id", "key": "key", "summary": "summary", "created_at": "created",
                   "created_by": "reporter.@username"},
    },
    "comments": {"path": "comments.comment",
                 "fields": {"id": "@id", "author": "@author", "created_at": "@created", "text": "#text"}},
}  # fmt: skip


def _read(config: MappingConfig, paths: list[Path]) -> tuple[int, int, Findings]:
    """Issues and comments read from ``paths`` through the mapping's source section."""
    findings = Findings()
    issues = comments = 0
    for issue in read_issues(config.source, paths, findings):
        issues += 1
        comments += len(issue.comments)
    return issues, comments, findings


def passes(config: MappingConfig, paths: list[Path]) -> tuple[int, int, float, int]:
    """One timed pass, then one pass under ``tracemalloc`` (which slows Python down) for memory:
    (issues, comments, seconds, peak bytes of Python allocations while reading)."""
    start = time.perf_counter()
    issues, comments, _ = _read(config, paths)
    seconds = time.perf_counter() - start
    tracemalloc.start()
    _read(config, paths)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return issues, comments, seconds, peak


def measure(
    label: str,
    paths: list[Path],
    config: MappingConfig,
    count: int,
    comments: int = COMMENTS,
    width: int = 14,
) -> None:
    """Read the export twice (``passes``), check every issue and comment came, print one line."""
    issues, read, seconds, peak = passes(config, paths)
    assert issues == count and read == count * comments, (label, issues, read)
    size = sum(f.stat().st_size for p in paths for f in ([p] if p.is_file() else p.rglob("*")) if f.is_file())
    print(
        f"{label:<{width}} {size / 1e6:8.1f} MB {seconds:8.2f} s {issues / seconds:10,.0f} issues/s "
        f"peak {peak / 1e6:7.1f} MB (Python allocations while reading)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--issues", type=int, default=20000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-readers-") as tmp:
        folder = Path(tmp)
        cases: list[tuple[str, Callable[[Path, int], Path], dict[str, Any]]] = [
            ("json array", write_json, {"issues": {"records": "issues", "fields": JSON_FIELDS}, "comments": JSON_COMMENTS}),
            ("xml (jira)", write_xml, XML_SOURCE),
            ("ndjson in tgz", write_tar, {"archives": {"cache": str(folder / "cache")},
                                          "issues": {"file": "issues.ndjson", "fields": JSON_FIELDS},
                                          "comments": JSON_COMMENTS}),
        ]  # fmt: skip
        print(f"{args.issues:,} issues, {COMMENTS} comments each")
        for label, write, source in cases:
            path = write(folder, args.issues)
            measure(label, [path], load_mapping(mapping(folder, label.split()[0], source)), args.issues)


if __name__ == "__main__":
    main()
