"""The Jira presets' readers on big exports: issues/s and peak memory of ``read_issues`` through each
preset's ``source`` section, on generated exports shaped like the samples.

    python benchmarks/bench_jira_presets.py                 # 20,000 issues, 3 comments each
    python benchmarks/bench_jira_presets.py --issues 100000

Cases: ``jira-server-csv`` (plain mapping: pattern cells, link columns by pattern) and
``jira-cloud-csv`` (the ``jira_csv`` adapter: a pre-pass for people and keys, then the rows) on
the same Cloud-shaped CSV; ``jira-xml`` (``jira_xml`` adapter, two streamed passes) and
``jira-cloud-json`` (``jira_json`` adapter: 100-issue ``search/jql`` pages + ``field.json``).
Prints file size, seconds, issues/s of a plain pass, and the peak of Python allocations while
reading (``tracemalloc``, a second pass) — flat memory means the peak does not grow with ``--issues``.
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import bench_readers  # the same timing and memory passes (run from benchmarks/)

from migrator.mapping.config import load_mapping

ROOT = Path(__file__).resolve().parents[1]
COMMENTS = 3
PEOPLE = [(f"5b10a2844c201657000{n:05d}", f"Person {n}") for n in range(50)]
PAGE = 100


def _person(n: int) -> tuple[str, str]:
    return PEOPLE[n % len(PEOPLE)]


def write_csv(folder: Path, count: int) -> list[Path]:
    header = ["Summary", "Issue key", "Issue id", "Issue Type", "Status", "Priority", "Assignee", "Assignee Id",
              "Reporter", "Reporter Id", "Created", "Updated", "Description", "Log Work",
              "Outward issue link (Blocks)", "Attachment", *["Comment"] * COMMENTS, "Parent", "Parent key"]  # fmt: skip
    path = folder / "Jira.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, lineterminator="\r\n")
        out.writerow(header)
        for n in range(count):
            (aid, aname), (rid, rname) = _person(n), _person(n + 7)
            comments = [
                f"02/Mar/25 {1 + c}:00 PM;{_person(n + c)[0]};A comment; with a semicolon. " * 3
                for c in range(COMMENTS)
            ]
            parent = [str(10000 + n - 1), f"B-{n - 1}"] if n % 5 else ["", ""]
            out.writerow([
                f"Issue number {n} with a realistic summary", f"B-{n}", str(10000 + n), "Story" if n % 5 else "Epic",
                "In Progress", "Medium", aname, aid, rname, rid, "01/Mar/25 9:00 AM", "05/Mar/25 6:00 PM",
                "Steps:\r\n# open\r\n# click *here*\r\n" * 4, f"Work; more;03/Mar/25 1:00 PM;{aid};3600",
                f"B-{n + 1}" if n % 3 == 0 else "",
                f"02/Mar/25 2:00 PM;{rid};log-{n}.txt;https://x.atlassian.net/rest/api/3/attachment/content/{n}",
                *comments, *parent,
            ])  # fmt: skip
    return [path]


def write_xml(folder: Path, count: int) -> list[Path]:
    path = folder / "SearchRequest.xml"
    with path.open("w", encoding="utf-8") as out:
        out.write("<rss version='0.92'><channel><title>bench</title>\n")
        for n in range(count):
            (aid, aname), (rid, rname) = _person(n), _person(n + 7)
            comments = "".join(
                f'<comment id="{n}{c}" author="{_person(n + c)[0]}" created="Sun, 2 Mar 2025 1{c}:00:00 +0100">'
                f"{escape('<p>A comment, with <b>HTML</b>.</p>' * 3)}</comment>"
                for c in range(COMMENTS)
            )
            links = (
                f"<issuelinks><issuelinktype id='1'><name>Blocks</name><outwardlinks description='blocks'>"
                f"<issuelink><issuekey id='{10001 + n}'>B-{n + 1}</issuekey></issuelink></outwardlinks>"
                f"</issuelinktype></issuelinks>"
                if n % 3 == 0
                else ""
            )
            out.write(
                f"<item><link>https://jira.example.com/browse/B-{n}</link><key id='{10000 + n}'>B-{n}</key>"
                f"<summary>Issue number {n}</summary><type id='1'>Story</type><status id='3'>In Progress</status>"
                f"<priority id='3'>Medium</priority><resolution id='-1'>Unresolved</resolution>"
                f"<description>{escape('<p>Steps: open, click.</p>' * 4)}</description>"
                f"<assignee username={quoteattr(aid)}>{escape(aname)}</assignee>"
                f"<reporter username={quoteattr(rid)}>{escape(rname)}</reporter>"
                f"<created>Sat, 1 Mar 2025 09:00:00 +0100</created><updated>Wed, 5 Mar 2025 18:00:00 +0100</updated>"
                f"<comments>{comments}</comments>{links}</item>\n"
            )
        out.write("</channel></rss>\n")
    return [path]


def _adf(text: str) -> dict[str, Any]:
    return {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}],
    }


def _json_issue(n: int) -> dict[str, Any]:
    (aid, aname), (rid, rname) = _person(n), _person(n + 7)
    user = {"accountId": aid, "displayName": aname}
    return {
        "id": str(10000 + n),
        "key": f"B-{n}",
        "fields": {
            "summary": f"Issue number {n}",
            "issuetype": {"name": "Story", "subtask": False, "hierarchyLevel": 0},
            "status": {"name": "In Progress"},
            "priority": {"name": "Medium"},
            "assignee": user,
            "reporter": {"accountId": rid, "displayName": rname},
            "created": "2025-03-01T09:00:00.000+0100",
            "updated": "2025-03-05T18:00:00.000+0100",
            "description": _adf("Steps: open, click. " * 4),
            "labels": ["bench"],
            "issuelinks": [{"type": {"name": "Blocks"}, "outwardIssue": {"key": f"B-{n + 1}"}}]
            if n % 3 == 0
            else [],
            "comment": {
                "total": COMMENTS,
                "comments": [
                    {
                        "id": f"{n}{c}",
                        "author": user,
                        "body": _adf("A comment. " * 5),
                        "created": f"2025-03-02T1{c}:00:00.000+0100",
                    }
                    for c in range(COMMENTS)
                ],
            },  # fmt: skip
            "worklog": {"total": 0, "worklogs": []},
            "customfield_10016": 3.0,
        },
    }


def write_json(folder: Path, count: int) -> list[Path]:
    paths = []
    for page, start in enumerate(range(0, count, PAGE), start=1):
        path = folder / f"search-page-{page:05d}.json"
        issues = [_json_issue(n) for n in range(start, min(start + PAGE, count))]
        path.write_text(json.dumps({"issues": issues, "isLast": start + PAGE >= count}), encoding="utf-8")
        paths.append(path)
    field = folder / "field.json"
    field.write_text(
        json.dumps([{"id": "customfield_10016", "name": "Story point estimate", "custom": True}])
    )
    return [*paths, field]


def measure(preset: str, paths: list[Path], count: int) -> None:
    config = load_mapping(ROOT / "mappings" / f"{preset}.yaml")
    config.source.timezone = "UTC"  # the preset's "?": a decision, not part of reading
    bench_readers.measure(preset, paths, config, count, COMMENTS, width=16)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--issues", type=int, default=20000)
    args = parser.parse_args()
    cases: list[tuple[str, Callable[[Path, int], list[Path]]]] = [
        ("jira-server-csv", write_csv),
        ("jira-cloud-csv", write_csv),
        ("jira-xml", write_xml),
        ("jira-cloud-json", write_json),
    ]
    print(f"{args.issues:,} issues, {COMMENTS} comments each")
    with tempfile.TemporaryDirectory(prefix="bench-jira-") as tmp:
        for preset, write in cases:
            folder = Path(tmp) / preset
            folder.mkdir()
            measure(preset, write(folder, args.issues), args.issues)


if __name__ == "__main__":
    main()
