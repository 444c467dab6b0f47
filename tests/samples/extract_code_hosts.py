"""GitHub (REST dumps and the migration archive) and GitLab (project export)."""

from __future__ import annotations

import json
import re
import tarfile
from pathlib import Path
from typing import Any

from .facts import Child, Facts, FileRef, IssueFacts, iso, load_json, ndjson

GITHUB_ATTACHMENT = re.compile(
    r"https://github\.com/user-attachments/(files/\d+/[^)\s\]]+|assets/[0-9a-f-]{36})"
)
# GitHub marks an issue duplicate when a comment starts with this
DUPLICATE_OF = re.compile(r"^Duplicate of (?:([\w.-]+/[\w.-]+))?#(\d+)\b")


def github_files(folder: Path, body: str | None, at: Any, author: str | None) -> list[FileRef]:
    """Files are only URLs in Markdown; the sample keeps each download under attachments/<URL path>."""
    refs = []
    for path in GITHUB_ATTACHMENT.findall(body or ""):
        name = path.rsplit("/", 1)[-1]
        refs.append(FileRef(name, at, author, folder / "attachments" / path))
    return refs


def github_issue(raw: dict[str, Any], folder: Path) -> IssueFacts:
    issue = IssueFacts(
        key=str(raw["number"]),
        summary=raw["title"],
        status=raw["state"],
        type=(raw.get("type") or {}).get("name"),
        priority=None,
        resolution=raw.get("state_reason") if raw["state"] == "closed" else None,
        assignee=(raw["assignee"] or {}).get("login"),
        created=iso(raw["created_at"]),
        updated=iso(raw["updated_at"]),
    )
    issue.people |= {v for v in (issue.assignee, raw["user"]["login"]) if v}
    issue.attachments += github_files(folder, raw["body"], issue.created, raw["user"]["login"])
    return issue


def github_rest(folder: Path, expected: dict[str, Any]) -> Facts:
    """issues.json (pull requests included), comments.json (repo-wide, PR comments included), and the
    sub-issue / blocked-by dumps named after the issue they were asked for."""
    facts = Facts()
    pull_requests = set()
    repo_api = ""
    declared: dict[str, int] = {}
    for raw in load_json(folder / "issues.json"):
        repo_api = raw["repository_url"]
        if "pull_request" in raw:
            facts.not_issues["pull_requests"] += 1
            pull_requests.add(str(raw["number"]))
            continue
        facts.add(github_issue(raw, folder))
        declared[str(raw["number"])] = raw["comments"]
    for raw in load_json(folder / "comments.json"):
        number = raw["issue_url"].rsplit("/", 1)[1]
        if number in pull_requests:
            facts.not_issues["pull_request_comments"] += 1
            continue
        issue = facts.issues[number]
        at, login = iso(raw["created_at"]), raw["user"]["login"]
        issue.comments.append(Child(at, login))
        issue.people.add(login)
        issue.attachments += github_files(folder, raw["body"], at, login)
        duplicate = DUPLICATE_OF.match(raw["body"])
        if duplicate and issue.resolution == "duplicate":
            facts.link(number, duplicate_target(duplicate), "duplicates")
    for number, count in declared.items():
        assert len(facts.issues[number].comments) == count, f"#{number}: `comments` says {count}"
    for dump in sorted((folder / "sub_issues").glob("*.json")):
        for child in load_json(dump):
            assert child["repository_url"] == repo_api
            facts.link(str(child["number"]), dump.stem, "subtask")
    for dump in sorted((folder / "blocked_by").glob("*.json")):
        for blocker in load_json(dump):
            same_repo = blocker["repository_url"] == repo_api
            repo = blocker["repository_url"].removeprefix("https://api.github.com/repos/")
            facts.link(
                dump.stem, str(blocker["number"]) if same_repo else f"{repo}#{blocker['number']}", "depends"
            )
    return facts


def duplicate_target(match: re.Match[str]) -> str:
    repo, number = match.groups()
    return f"{repo}#{number}" if repo else number


def tar_members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]


def github_archive(folder: Path, expected: dict[str, Any]) -> Facts:
    """Migration archive: JSON arrays paginated by file number; every reference is a URL; no issue
    number or state field (number = last URL segment, closed = closed_at set)."""
    members = tar_members(folder / "migration_archive.tar.gz")
    unpacked = folder / "archive"
    assert members == {
        p.relative_to(unpacked).as_posix(): p.read_bytes() for p in unpacked.rglob("*") if p.is_file()
    }, "migration_archive.tar.gz holds exactly the files of archive/ (rebuild it with make_archive.py)"

    def records(kind: str) -> list[dict[str, Any]]:
        pages = sorted(n for n in members if re.fullmatch(rf"{kind}_\d{{6}}\.json", n))
        rows = [row for page in pages for row in json.loads(members[page])]
        assert all(row["type"] == kind.removesuffix("s") for row in rows), kind
        return rows

    login = {u["url"]: u["login"] for u in records("users")}
    facts = Facts()
    for raw in records("issues"):
        closed = raw["closed_at"] is not None
        issue = facts.add(
            IssueFacts(
                key=raw["url"].rsplit("/", 1)[1],
                summary=raw["title"],
                status="closed" if closed else "open",
                type=None,
                priority=None,
                resolution=None,
                assignee=login[raw["assignee"]] if raw["assignee"] else None,
                created=iso(raw["created_at"]),
                updated=iso(raw["updated_at"]),
            )
        )
        issue.people |= {v for v in (issue.assignee, login[raw["user"]]) if v}
    facts.not_issues["pull_requests"] = len(records("pull_requests"))
    for raw in records("issue_comments"):
        if "pull_request" in raw:
            facts.not_issues["pull_request_comments"] += 1
            continue
        number = raw["issue"].rsplit("/", 1)[1]
        facts.issues[number].comments.append(Child(iso(raw["created_at"]), login[raw["user"]]))
        facts.issues[number].people.add(login[raw["user"]])
        duplicate = DUPLICATE_OF.match(raw["body"])
        if duplicate:
            facts.link(number, duplicate_target(duplicate), "duplicates")
    for raw in records("attachments"):
        owner = raw.get("issue") or raw["issue_comment"].split("#", 1)[0]
        path = unpacked / raw["asset_url"].removeprefix("tarball://root/")
        ref = FileRef(raw["asset_name"], iso(raw["created_at"]), login[raw["user"]], path)
        facts.issues[owner.rsplit("/", 1)[1]].attachments.append(ref)
    return facts


GITLAB_UPLOAD = re.compile(r"\]\((/uploads/([0-9a-f]{32})/([^)]+))\)")
# System notes are the only place a CE project export keeps issue relations.
GITLAB_RELATIONS = [
    (re.compile(r"^added #(\d+) as parent issue$"), "subtask", "add"),
    (re.compile(r"^marked this issue as related to (\S*#\d+)$"), "relates", "add"),
    (re.compile(r"^marked this issue as a duplicate of (\S*#\d+)$"), "duplicates", "add"),
    (re.compile(r"^removed the relation with (\S*#\d+)$"), "relates", "remove"),
]


def gitlab_export(folder: Path, expected: dict[str, Any]) -> Facts:
    """Project export tree: one issue per NDJSON line with notes, timelogs and assignees nested;
    people are numeric ids (project_members.ndjson); files are /uploads/<hash>/<name> links."""
    tarball = folder / expected["files"][0]
    unpacked = folder / "export"
    members = tar_members(tarball)
    assert members == {
        "./" + p.relative_to(unpacked).as_posix(): p.read_bytes() for p in unpacked.rglob("*") if p.is_file()
    }, f"{tarball.name} holds exactly the files of export/ (rebuild it with make_export.py)"
    assert (unpacked / "VERSION").read_text().strip() == "0.2.4"
    members_by_id = {
        m["user_id"]: m["user"]["username"] for m in ndjson(unpacked / "tree/project/project_members.ndjson")
    }
    assert members_by_id, "members resolve author_id numbers"
    facts = Facts()

    def files(text: str | None, at: Any, author: str) -> list[FileRef]:
        return [
            FileRef(name, at, author, unpacked / "uploads" / digest / name)
            for _, digest, name in GITLAB_UPLOAD.findall(text or "")
        ]

    for raw in ndjson(unpacked / "tree/project/issues.ndjson"):
        key = str(raw["iid"])
        assignees = [str(a["user_id"]) for a in raw["issue_assignees"]]
        issue = facts.add(
            IssueFacts(
                key=key,
                summary=raw["title"],
                status=raw["state"],
                type=raw["work_item_type"]["base_type"],
                priority=None,
                resolution=None,
                assignee=assignees[0] if assignees else None,
                created=iso(raw["created_at"]),
                updated=iso(raw["updated_at"]),
            )
        )
        issue.people |= {str(raw["author_id"]), *assignees}
        issue.attachments += files(raw["description"], issue.created, str(raw["author_id"]))
        for log in raw["timelogs"]:
            issue.worklogs.append(Child(iso(log["spent_at"]), str(log["user_id"])))
        for note in sorted(raw["notes"], key=lambda n: n["created_at"]):
            author = str(note["author_id"])
            if not note["system"]:
                issue.comments.append(Child(iso(note["created_at"]), author))
                issue.attachments += files(note["note"], iso(note["created_at"]), author)
                continue
            facts.system_notes += 1
            for pattern, kind, change in GITLAB_RELATIONS:
                found = pattern.match(note["note"])
                if not found:
                    continue
                other = found.group(1).removeprefix("#")
                if change == "add":
                    facts.link(key, other, kind)
                else:
                    facts.links = [x for x in facts.links if {x[0], x[1]} != {key, other} or x[2] != kind]
        issue.people |= {c.author for c in [*issue.comments, *issue.worklogs] if c.author}
    return facts


def github_embedded(folder: Path, expected: dict[str, Any]) -> Facts:
    """The Quickstart's GitHub sample: the issues endpoint's answer with each issue's comments
    embedded as ``comments_data`` (no pull requests)."""
    facts = Facts()
    for raw in load_json(folder / "issues.json"):
        assert "pull_request" not in raw
        issue = facts.add(github_issue(raw, folder))
        assert len(raw["comments_data"]) == raw["comments"]
        for c in raw["comments_data"]:
            issue.comments.append(Child(iso(c["created_at"]), c["user"]["login"]))
            issue.people.add(c["user"]["login"])
            duplicate = DUPLICATE_OF.match(c["body"])
            if duplicate and issue.resolution == "duplicate":
                facts.link(issue.key, duplicate_target(duplicate), "duplicates")
    return facts
