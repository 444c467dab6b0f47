"""Adapter throughput and memory: synthetic exports of GitHub (REST dump, migration archive),
GitLab (project export NDJSON), Bugzilla (REST JSON, XML) and Trac (JSON-RPC dump), each read
through its preset in ``mappings/`` with ``read_issues``.

    python benchmarks/bench_adapters.py                  # 5,000 issues, 3 comments each
    python benchmarks/bench_adapters.py --issues 20000

Prints per export: size, seconds and issues/s of a plain pass, and the peak of Python allocations
while reading (``tracemalloc``, in a second pass). The GitLab adapter streams its NDJSON (two
passes: people and relations first); the others join files that are loaded whole, so their peak
grows with the export — compare two ``--issues`` values to see which is which.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from bench_readers import COMMENTS, measure  # the same timing and memory passes (run from benchmarks/)

from migrator.mapping.config import load_mapping

ROOT = Path(__file__).resolve().parent.parent
TEXT = "Steps to reproduce: open the page, click the button, wait. " * 4
API = "https://api.github.com/repos/acme/app"


def _when(n: int, minutes: int = 0) -> str:
    return f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}T{10 + minutes // 60 % 10:02d}:{minutes % 60:02d}:00Z"


def github_rest(folder: Path, count: int) -> Path:
    export = folder / "github"
    (export / "blocked_by").mkdir(parents=True)
    issues = [
        {"url": f"{API}/issues/{n}", "repository_url": API, "id": 10_000 + n, "number": n, "title": f"Issue {n}",
         "user": {"login": f"user{n % 40}"}, "labels": [{"name": "bug"}], "state": "open", "comments": COMMENTS,
         "created_at": _when(n), "updated_at": _when(n, 300), "body": f"{TEXT} #{max(1, n - 1)}"}
        for n in range(1, count + 1)
    ]  # fmt: skip
    comments = [
        {"id": n * 10 + c, "issue_url": f"{API}/issues/{n}", "user": {"login": f"user{c}"},
         "created_at": _when(n, 10 + c), "updated_at": _when(n, 10 + c), "body": TEXT}
        for n in range(1, count + 1) for c in range(COMMENTS)
    ]  # fmt: skip
    (export / "issues.json").write_text(json.dumps(issues), encoding="utf-8")
    (export / "comments.json").write_text(json.dumps(comments), encoding="utf-8")
    for n in range(2, count + 1, 50):
        blocker = [{"url": f"{API}/issues/{n - 1}", "repository_url": API, "number": n - 1}]
        (export / "blocked_by" / f"{n}.json").write_text(json.dumps(blocker), encoding="utf-8")
    return export


def github_archive(folder: Path, count: int) -> Path:
    export = folder / "archive"
    export.mkdir()
    host = "https://ghe.example/acme/app"
    users = [{"type": "user", "url": f"https://ghe.example/user{u}", "login": f"user{u}", "name": f"User {u}",
              "emails": [{"address": f"user{u}@example.com", "primary": True}]} for u in range(40)]  # fmt: skip
    issues = [
        {"type": "issue", "url": f"{host}/issues/{n}", "user": f"https://ghe.example/user{n % 40}",
         "title": f"Issue {n}", "body": TEXT, "labels": [], "assignees": [], "closed_at": None,
         "created_at": _when(n), "updated_at": _when(n, 300)}
        for n in range(1, count + 1)
    ]  # fmt: skip
    comments = [
        {"type": "issue_comment", "url": f"{host}/issues/{n}#issuecomment-{n * 10 + c}", "issue": f"{host}/issues/{n}",
         "user": f"https://ghe.example/user{c}", "body": TEXT, "created_at": _when(n, 10 + c)}
        for n in range(1, count + 1) for c in range(COMMENTS)
    ]  # fmt: skip
    for name, data in (("schema.json", {"version": "1.2.0"}), ("users_000001.json", users),
                       ("issues_000001.json", issues), ("issue_comments_000001.json", comments)):  # fmt: skip
        (export / name).write_text(json.dumps(data), encoding="utf-8")
    return export


def gitlab_export(folder: Path, count: int) -> Path:
    project = folder / "gitlab" / "tree" / "project"
    project.mkdir(parents=True)
    members = [
        {"user_id": u, "user": {"id": u, "username": f"user{u}", "public_email": ""}} for u in range(40)
    ]
    (project / "project_members.ndjson").write_text(
        "\n".join(map(json.dumps, members)) + "\n", encoding="utf-8"
    )
    with (project / "issues.ndjson").open("w", encoding="utf-8") as out:
        for n in range(1, count + 1):
            notes = [{"note": TEXT, "author_id": c, "created_at": _when(n, 10 + c), "system": False,
                      "discussion_id": f"d{n}-{c}", "author": {"name": f"User {c}"}} for c in range(COMMENTS)]  # fmt: skip
            notes.append({"note": f"marked this issue as related to #{max(1, n - 1)}", "author_id": 1,
                          "created_at": _when(n, 5), "system": True, "discussion_id": f"s{n}",
                          "system_note_metadata": {"action": "relate"}, "author": {"name": "User 1"}})  # fmt: skip
            issue = {"iid": n, "title": f"Issue {n}", "description": TEXT, "state": "opened", "author_id": n % 40,
                     "created_at": _when(n), "updated_at": _when(n, 300), "notes": notes,
                     "issue_assignees": [{"user_id": 1}], "label_links": [], "timelogs": []}  # fmt: skip
            out.write(json.dumps(issue) + "\n")
    return folder / "gitlab"


def _bug(n: int) -> dict[str, Any]:
    return {"id": n, "summary": f"Bug {n}", "status": "NEW", "resolution": "", "priority": "P3", "type": "defect",
            "component": "Core", "version": "1.0", "target_milestone": "---", "keywords": [], "see_also": [],
            "creator": f"user{n % 40}@example.com", "assigned_to": "nobody@example.com", "cc": [],
            "depends_on": [max(1, n - 1)] if n % 10 == 0 else [], "blocks": [],
            "creation_time": _when(n), "last_change_time": _when(n, 300)}  # fmt: skip


def bugzilla_json(folder: Path, count: int) -> Path:
    export = folder / "bugzilla"
    export.mkdir()
    comments = {
        str(n): {"comments": [{"id": n * 10 + c, "count": c, "creator": f"user{c}@example.com", "text": TEXT,
                               "creation_time": _when(n, c)} for c in range(COMMENTS + 1)]}
        for n in range(1, count + 1)
    }  # fmt: skip
    (export / "bug.json").write_text(
        json.dumps({"bugs": [_bug(n) for n in range(1, count + 1)]}), encoding="utf-8"
    )
    (export / "comments.json").write_text(json.dumps({"bugs": comments}), encoding="utf-8")
    return export


def bugzilla_xml(folder: Path, count: int) -> Path:
    path = folder / "show_bug.xml"
    data = base64.b64encode(b"patch " * 50).decode()
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<bugzilla urlbase="https://bugs.example/">\n')
        for n in range(1, count + 1):
            descs = "".join(
                f'<long_desc isprivate="0"><commentid>{n * 10 + c}</commentid><comment_count>{c}</comment_count>'
                f'<who name="User {c}">user{c}@example.com</who><bug_when>2024-01-01 10:{c:02d}:00 +0100</bug_when>'
                f"<thetext>{escape(TEXT)}</thetext></long_desc>"
                for c in range(COMMENTS + 1)
            )
            attachment = (
                f"<attachment><attachid>{n}</attachid><date>2024-01-01 10:00:00 +0100</date><filename>p{n}.diff"
                f'</filename><size>300</size><attacher>user1@example.com</attacher><data encoding="base64">{data}'
                "</data></attachment>"
                if n % 20 == 0
                else ""
            )
            out.write(
                f"<bug><bug_id>{n}</bug_id><creation_ts>2024-01-01 10:00:00 +0100</creation_ts><short_desc>Bug {n}"
                f"</short_desc><delta_ts>2024-01-02 10:00:00 +0100</delta_ts><bug_status>NEW</bug_status>"
                f'<priority>P3</priority><reporter name="R">user1@example.com</reporter>{descs}{attachment}</bug>\n'
            )
        out.write("</bugzilla>\n")
    return path


def trac_json(folder: Path, count: int) -> Path:
    def when(n: int, minutes: int = 0) -> dict[str, list[str]]:
        return {"__jsonclass__": ["datetime", _when(n, minutes)[:-1]]}

    tickets = [
        {"id": n, "get": [n, when(n), when(n, 300), {"summary": f"Ticket {n}", "description": TEXT, "status": "new",
                                                     "type": "defect", "priority": "major", "reporter": f"user{n % 40}",
                                                     "owner": "", "cc": "", "keywords": "", "component": "",
                                                     "parents": str(n - 1) if n % 10 == 0 else ""}],
         "changeLog": [[when(n, 10 + c), f"user{c}", "comment", str(c + 1), TEXT, 1] for c in range(COMMENTS)],
         "listAttachments": []}
        for n in range(1, count + 1)
    ]  # fmt: skip
    export = folder / "trac"
    export.mkdir()
    (export / "tickets.json").write_text(json.dumps(tickets), encoding="utf-8")
    return export


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--issues", type=int, default=5000)
    args = parser.parse_args()
    cases: list[tuple[str, str, Callable[[Path, int], Path]]] = [
        ("github rest", "github-json", github_rest),
        ("github archive", "github-archive", github_archive),
        ("gitlab export", "gitlab-export", gitlab_export),
        ("bugzilla json", "bugzilla-json", bugzilla_json),
        ("bugzilla xml", "bugzilla-xml", bugzilla_xml),
        ("trac json", "trac-json", trac_json),
    ]
    print(f"{args.issues:,} issues, {COMMENTS} comments each")
    with tempfile.TemporaryDirectory(prefix="bench-adapters-") as tmp:
        folder = Path(tmp)
        os.chdir(folder)  # decoded XML attachments go to .migrator/archives here
        for label, preset, write in cases:
            config = load_mapping(ROOT / "mappings" / f"{preset}.yaml")
            measure(label, [write(folder, args.issues)], config, args.issues, width=16)


if __name__ == "__main__":
    main()
