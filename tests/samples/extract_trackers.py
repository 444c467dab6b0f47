"""Redmine (CSV, REST JSON), YouTrack (CSV, REST JSON), Bugzilla (REST JSON, XML) and Trac (CSV, JSON-RPC)."""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .facts import Child, Facts, FileRef, IssueFacts, csv_records, epoch_ms, iso, load_json, local, zone_of

# Redmine's IssueRelation#to_s, seen from the issue whose row it is on (English captions).
REDMINE_RELATION = re.compile(
    r"(Related to|Blocks|Blocked by|Duplicates|Duplicated by|Precedes|Follows|Copied to|Copied from)"
    r"(?: \(\d+ days?\))? #(\d+)"
)
REDMINE_KINDS = {  # caption → (kind, True when this issue is the link's `from`)
    "Related to": ("relates", True),
    "Blocked by": ("depends", True),
    "Blocks": ("depends", False),
    "Follows": ("depends", True),
    "Precedes": ("depends", False),
    "Duplicates": ("duplicates", True),
    "Duplicated by": ("duplicates", False),
    "Copied from": ("relates", True),
    "Copied to": ("relates", False),
}


def redmine_csv(folder: Path, expected: dict[str, Any]) -> Facts:
    """issues.csv and timelog.csv in the locale's legacy encoding; people are display names."""
    zone = zone_of(expected)
    raw = (folder / "issues.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\xc3" not in raw, "Latin-1, not UTF-8"
    facts = Facts()
    for r in csv_records(folder / "issues.csv", "iso-8859-1"):
        key = r["#"]
        issue = facts.add(
            IssueFacts(
                key=key,
                summary=r["Subject"],
                status=r["Status"],
                type=r["Tracker"],
                priority=r["Priority"],
                resolution=None,
                assignee=r["Assignee"] or None,
                created=local(r["Created"], "%m/%d/%Y %I:%M %p", zone),
                updated=local(r["Updated"], "%m/%d/%Y %I:%M %p", zone),
            )
        )
        issue.people |= {v for v in (r["Author"], r["Assignee"]) if v}
        for name in filter(None, r["Files"].split("\n")):
            issue.attachments.append(FileRef(name, None, None, folder / "attachments" / key / name))
        if r["Parent task"]:
            facts.link(key, r["Parent task"], "subtask")
        for caption, other in REDMINE_RELATION.findall(r["Related issues"]):
            kind, this_is_from = REDMINE_KINDS[caption]
            facts.link(*((key, other) if this_is_from else (other, key)), kind)
    for r in csv_records(folder / "timelog.csv", "iso-8859-1"):
        found = re.search(r"#(\d+):", r["Issue"])
        assert found, r["Issue"]
        assert re.fullmatch(r"\d+\.\d\d", r["Hours"]), "hours are decimals with two places"
        issue = facts.issues[found.group(1)]
        issue.worklogs.append(Child(local(r["Date"], "%m/%d/%Y", zone), r["User"]))
        issue.people.add(r["User"])
    last_notes = sum(1 for r in csv_records(folder / "issues.csv", "iso-8859-1") if r["Last notes"])
    assert expected["extra"]["last_notes"] == last_notes
    return facts


REDMINE_JSON_KINDS = {  # relation_type → (kind, True when issue_id is the link's `from`)
    "relates": ("relates", True),
    "duplicates": ("duplicates", True),
    "blocks": ("depends", False),  # issue_id blocks issue_to_id
    "precedes": ("depends", False),  # issue_to_id follows issue_id
    "copied_to": ("relates", True),
}


def redmine_json(folder: Path, expected: dict[str, Any]) -> Facts:
    """The list endpoint has no journals, so each issue also has issues/<id>.json with
    include=journals,attachments,relations,children,watchers. Journals without notes only change fields."""
    zone = zone_of(expected)
    listed = {str(i["id"]) for i in load_json(folder / "issues.json")["issues"]}
    assert listed == {p.stem for p in (folder / "issues").glob("*.json")}, "a detail file per listed issue"
    users = {str(u["id"]) for u in load_json(folder / "users.json")["users"]}
    facts = Facts()
    for key in sorted(listed, key=int):
        raw = load_json(folder / "issues" / f"{key}.json")["issue"]
        issue = facts.add(
            IssueFacts(
                key=key,
                summary=raw["subject"],
                status=raw["status"]["name"],
                type=raw["tracker"]["name"],
                priority=raw["priority"]["name"],
                resolution=None,
                assignee=str(raw["assigned_to"]["id"]) if "assigned_to" in raw else None,
                created=iso(raw["created_on"]),
                updated=iso(raw["updated_on"]),
            )
        )
        issue.people |= {str(raw["author"]["id"])} | ({issue.assignee} if issue.assignee else set())
        for journal in raw["journals"]:
            if journal["notes"]:
                issue.comments.append(Child(iso(journal["created_on"]), str(journal["user"]["id"])))
            else:
                assert journal["details"], "a journal has notes or field changes"
                facts.system_notes += 1
        for a in raw["attachments"]:
            path = folder / "attachments" / str(a["id"]) / a["filename"]
            issue.attachments.append(
                FileRef(a["filename"], iso(a["created_on"]), str(a["author"]["id"]), path)
            )
        if "parent" in raw:
            facts.link(key, str(raw["parent"]["id"]), "subtask")
        for rel in raw["relations"]:
            kind, issue_id_is_from = REDMINE_JSON_KINDS[rel["relation_type"]]
            a, b = str(rel["issue_id"]), str(rel["issue_to_id"])
            facts.link(*((a, b) if issue_id_is_from else (b, a)), kind)
        issue.people |= {c.author for c in issue.comments if c.author} | {
            a.author for a in issue.attachments if a.author
        }
    for entry in load_json(folder / "time_entries.json")["time_entries"]:
        issue = facts.issues[str(entry["issue"]["id"])]
        issue.worklogs.append(Child(local(entry["spent_on"], "%Y-%m-%d", zone), str(entry["user"]["id"])))
        issue.people.add(str(entry["user"]["id"]))
    everyone = set().union(*(i.people for i in facts.issues.values()))
    assert everyone <= users, f"users.json resolves every user id: {everyone - users}"
    return facts


def youtrack_csv(folder: Path, expected: dict[str, Any]) -> Facts:
    """Logins for people; empty custom fields carry their empty-value label; no comments, files or links."""
    zone = zone_of(expected)
    labels = expected["extra"]["empty_value_labels"]
    facts = Facts()
    for r in csv_records(folder / "issues.csv"):
        assignee = None if r["Assignee"] == labels["Assignee"] else r["Assignee"]
        issue = facts.add(
            IssueFacts(
                key=r["Issue Id"],
                summary=r["Summary"],
                status=r["State"],
                type=r["Type"],
                priority=r["Priority"],
                resolution=None,
                assignee=assignee,
                created=local(r["Created"], "%d %b %Y %H:%M", zone),
                updated=local(r["Updated"], "%d %b %Y %H:%M", zone),
            )
        )
        if r["Resolved"]:
            local(r["Resolved"], "%d %b %Y", zone)
        issue.people |= {v for v in (r["Reporter"], assignee) if v}
    return facts


YOUTRACK_KINDS = {  # (link type, direction) → (kind, True when this issue is the link's `from`)
    ("Subtask", "INWARD"): ("subtask", True),
    ("Depend", "INWARD"): ("depends", True),
    ("Depend", "OUTWARD"): ("depends", False),
    ("Duplicate", "INWARD"): ("duplicates", True),
    ("Duplicate", "OUTWARD"): ("duplicates", False),
    ("Relates", "BOTH"): ("relates", True),
}


def youtrack_json(folder: Path, expected: dict[str, Any]) -> Facts:
    """Epoch milliseconds; State, Type, Priority and Assignee are entries of customFields; every link
    type is listed on every issue, most with no issues."""
    facts = Facts()
    for raw in load_json(folder / "issues.json"):
        fields = {f["name"]: f["value"] for f in raw["customFields"]}
        key = raw["idReadable"]
        issue = facts.add(
            IssueFacts(
                key=key,
                summary=raw["summary"],
                status=fields["State"]["name"],
                type=fields["Type"]["name"],
                priority=fields["Priority"]["name"],
                resolution=None,
                assignee=(fields["Assignee"] or {}).get("login"),
                created=epoch_ms(raw["created"]),
                updated=epoch_ms(raw["updated"]),
            )
        )
        issue.people |= {v for v in (issue.assignee, raw["reporter"]["login"]) if v}
        for c in raw["comments"]:
            assert not c["deleted"]
            issue.comments.append(Child(epoch_ms(c["created"]), c["author"]["login"]))
        for a in raw["attachments"]:
            path = folder / "attachments" / a["id"] / a["name"]
            issue.attachments.append(FileRef(a["name"], epoch_ms(a["created"]), a["author"]["login"], path))
        issue.people |= {c.author for c in issue.comments if c.author} | {
            a.author for a in issue.attachments if a.author
        }
        for link in raw["links"]:
            rule = YOUTRACK_KINDS.get((link["linkType"]["name"], link["direction"]))
            if rule is None:  # the other end of a subtask: recorded on the child
                continue
            kind, this_is_from = rule
            for other in link["issues"]:
                facts.link(
                    *((key, other["idReadable"]) if this_is_from else (other["idReadable"], key)), kind
                )
    for item in load_json(folder / "workItems.json"):
        issue = facts.issues[item["issue"]["idReadable"]]
        issue.worklogs.append(Child(epoch_ms(item["date"]), item["author"]["login"]))
        issue.people.add(item["author"]["login"])
    return facts


def bugzilla_see_also(url: str, site: str) -> str:
    """A see_also URL of the same Bugzilla is a bug id; anything else stays a URL."""
    prefix = f"{site}show_bug.cgi?id="
    return url.removeprefix(prefix) if url.startswith(prefix) else url


def bugzilla_json(folder: Path, expected: dict[str, Any]) -> Facts:
    """bug.json, comments.json and attachments.json as the REST API answers them. Comment 0
    (count == 0) is the bug's description, not a comment."""
    comments = load_json(folder / "comments.json")["bugs"]
    attachments = load_json(folder / "attachments.json")["bugs"]
    facts = Facts()
    descriptions = 0
    for raw in load_json(folder / "bug.json")["bugs"]:
        key = str(raw["id"])
        issue = facts.add(
            IssueFacts(
                key=key,
                summary=raw["summary"],
                status=raw["status"],
                type=raw["type"],
                priority=raw["priority"],
                resolution=raw["resolution"] or None,
                assignee=raw["assigned_to"],
                created=iso(raw["creation_time"]),
                updated=iso(raw["last_change_time"]),
            )
        )
        issue.people |= {raw["assigned_to"], raw["creator"]}
        for c in comments[key]["comments"]:
            if c["count"] == 0:
                descriptions += 1
                continue
            issue.comments.append(Child(iso(c["creation_time"]), c["creator"]))
            issue.people.add(c["creator"])
        for a in attachments[key]:
            path = folder / "attachments" / str(a["id"]) / a["file_name"]
            issue.attachments.append(FileRef(a["file_name"], iso(a["creation_time"]), a["creator"], path))
        for other in raw["depends_on"]:
            facts.link(key, str(other), "depends")
        for other in raw["blocks"]:
            facts.link(str(other), key, "depends")
        if raw["dupe_of"]:
            facts.link(key, str(raw["dupe_of"]), "duplicates")
        for url in raw["see_also"]:
            facts.link(key, bugzilla_see_also(url, "https://bugs.kestrel.example/"), "relates")
    assert descriptions == expected["extra"]["descriptions_as_comment_0"]
    return facts


def bugzilla_xml(folder: Path, expected: dict[str, Any]) -> Facts:
    """show_bug.cgi?ctype=xml: one <bug> per bug; <long_desc> 0 is the description; attachments
    carry their bytes in base64 <data> (empty when an admin deleted the content)."""
    root = ET.parse(folder / expected["files"][0]).getroot()
    site = root.get("urlbase", "")
    facts = Facts()
    descriptions = 0

    def when(text: str | None) -> datetime:
        return datetime.strptime(text or "", "%Y-%m-%d %H:%M:%S %z")

    for bug in root.iter("bug"):
        key = bug.findtext("bug_id", "")
        issue = facts.add(
            IssueFacts(
                key=key,
                summary=bug.findtext("short_desc", ""),
                status=bug.findtext("bug_status"),
                type=bug.findtext("bug_type"),
                priority=bug.findtext("priority"),
                resolution=bug.findtext("resolution") or None,
                assignee=bug.findtext("assigned_to"),
                created=when(bug.findtext("creation_ts")),
                updated=when(bug.findtext("delta_ts")),
            )
        )
        issue.people |= {bug.findtext("assigned_to", ""), bug.findtext("reporter", "")}
        for desc in bug.iter("long_desc"):
            if desc.findtext("comment_count") == "0":
                descriptions += 1
                continue
            issue.comments.append(Child(when(desc.findtext("bug_when")), desc.findtext("who")))
            issue.people.add(desc.findtext("who", ""))
        for a in bug.iter("attachment"):
            name = a.findtext("filename", "")
            data = base64.b64decode(a.findtext("data") or "")
            assert len(data) == int(a.findtext("size", "0")), f"attachment {a.findtext('attachid')}: size"
            path = folder / "attachments" / a.findtext("attachid", "") / name
            issue.attachments.append(
                FileRef(name, when(a.findtext("date")), a.findtext("attacher"), path, inline=data)
            )
        for other in bug.iter("dependson"):
            facts.link(key, other.text or "", "depends")
        for other in bug.iter("blocked"):
            facts.link(other.text or "", key, "depends")
        if bug.findtext("dup_id"):
            facts.link(key, bug.findtext("dup_id", ""), "duplicates")
        for url in bug.iter("see_also"):
            facts.link(key, bugzilla_see_also(url.text or "", site), "relates")
    assert descriptions == expected["extra"]["descriptions_as_comment_0"]
    return facts


def trac_csv(folder: Path, expected: dict[str, Any]) -> Facts:
    """Query CSV: field labels as headers, Babel 'medium' dates in the user's zone, e-mails shown as
    user@… to users without EMAIL_VIEW; plugin fields Blocked By / Blocking / Parent Tickets hold ids."""
    zone = zone_of(expected)
    raw = (folder / "query.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    facts = Facts()
    fmt = "%b %d, %Y, %I:%M:%S %p"
    for r in csv_records(folder / "query.csv"):
        issue = facts.add(
            IssueFacts(
                key=r["id"],
                summary=r["Summary"],
                status=r["Status"],
                type=r["Type"],
                priority=r["Priority"],
                resolution=r["Resolution"] or None,
                assignee=r["Owner"] or None,
                created=local(r["Created"], fmt, zone),
                updated=local(r["Modified"], fmt, zone),
            )
        )
        issue.people |= {v for v in (r["Reporter"], r["Owner"]) if v}
        trac_links(facts, r["id"], r["Blocked By"], r["Blocking"], r["Parent Tickets"])
    return facts


def trac_links(facts: Facts, key: str, blocked_by: str, blocking: str, parents: str) -> None:
    def ids(cell: str) -> list[str]:
        return [v.strip().lstrip("#") for v in cell.split(",") if v.strip()]

    for other in ids(blocked_by):
        facts.link(key, other, "depends")
    for other in ids(blocking):
        facts.link(other, key, "depends")
    for other in ids(parents):
        facts.link(key, other, "subtask")


TRAC_DUPLICATE = re.compile(r"^Duplicate of #(\d+)\.?$")


def trac_json(folder: Path, expected: dict[str, Any]) -> Facts:
    """ticket.get / ticket.changeLog / ticket.listAttachments per ticket. Dates are
    {"__jsonclass__": ["datetime", …]} in UTC without an offset; comments are changeLog rows with
    field "comment" and text (Trac writes an empty one with every change)."""

    def when(value: dict[str, list[str]]) -> datetime:
        kind, text = value["__jsonclass__"]
        assert kind == "datetime"
        return datetime.fromisoformat(text).replace(tzinfo=UTC)

    facts = Facts()
    for dump in load_json(folder / "tickets.json"):
        key = str(dump["id"])
        _, created, changed, attrs = dump["get"]
        issue = facts.add(
            IssueFacts(
                key=key,
                summary=attrs["summary"],
                status=attrs["status"],
                type=attrs["type"],
                priority=attrs["priority"],
                resolution=attrs["resolution"] or None,
                assignee=attrs["owner"] or None,
                created=when(created),
                updated=when(changed),
            )
        )
        issue.people |= {v for v in (attrs["reporter"], attrs["owner"]) if v}
        for at, author, field, _old, new, _permanent in dump["changeLog"]:
            if field == "comment" and new:
                issue.comments.append(Child(when(at), author))
                issue.people.add(author)
                duplicate = TRAC_DUPLICATE.match(new)
                if duplicate and attrs["resolution"] == "duplicate":
                    facts.link(key, duplicate.group(1), "duplicates")
            else:
                facts.system_notes += 1
        for name, _description, size, at, author in dump["listAttachments"]:
            path = folder / "attachments" / "ticket" / key / name
            assert not path.is_file() or path.stat().st_size == size, f"#{key} {name}: size"
            issue.attachments.append(FileRef(name, when(at), author, path))
        trac_links(facts, key, attrs["blockedby"], attrs["blocking"], attrs["parents"])
    return facts
