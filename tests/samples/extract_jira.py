"""Jira: CSV (Server, Cloud all fields, Cloud current fields; any UI language), XML (RSS) and REST v3 JSON."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

from .facts import Child, Facts, FileRef, IssueFacts, csv_records, iso, load_json, zone_of

# Header names per UI language: canonical → as Jira writes it.
HEADERS = {
    "en": {
        "summary": "Summary",
        "key": "Issue key",
        "id": "Issue id",
        "type": "Issue Type",
        "status": "Status",
        "priority": "Priority",
        "resolution": "Resolution",
        "assignee": "Assignee",
        "reporter": "Reporter",
        "created": "Created",
        "updated": "Updated",
        "comment": "Comment",
        "attachment": "Attachment",
        "worklog": "Log Work",
        "epic": "Custom field (Epic Link)",
        "inward": "Inward issue link",
        "outward": "Outward issue link",
    },
    "es": {
        "summary": "Resumen",
        "key": "Clave de incidencia",
        "id": "ID de la incidencia",
        "type": "Tipo de Incidencia",
        "status": "Estado",
        "priority": "Prioridad",
        "resolution": "Resolución",
        "assignee": "Responsable",
        "reporter": "Informador",
        "created": "Creada",
        "updated": "Actualizada",
        "comment": "Comentario",
        "attachment": "Archivo adjunto",
        "worklog": "Registro de trabajo",
        "epic": "Campo personalizado (Epic Link)",
        "inward": "Vínculo de incidencia entrante",
        "outward": "Vínculo de incidencia saliente",
    },
}
SERVER_PARENT_COLUMNS = ("Parent id", "ID del padre")  # sub-task parent as the parent's Issue id
SUBTASK_TYPES = {"Sub-task", "Subtask", "Subtarea"}
MONTHS = {
    "en": ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
    "es": ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"],
}
# Link type name → (canonical kind, which end "depends"/"duplicates": True when the outward issue is `from`)
LINK_NAMES = {
    "Blocks": ("depends", False),  # A blocks B: B depends on A
    "Duplicate": ("duplicates", True),  # A duplicates B
    "Relates": ("relates", True),
    "Cloners": ("relates", True),  # A clones B
}
JIRA_DATE = re.compile(r"^(\d{1,2})/([^/]+)/(\d{2}) (\d{1,2}):(\d{2}) (AM|PM)$")


def jira_date(text: str, zone: ZoneInfo, language: str) -> datetime:
    m = JIRA_DATE.match(text.strip())
    assert m, f"not a Jira date: {text!r}"
    day, month, year, hour, minute, half = m.groups()
    h = int(hour) % 12 + (12 if half == "PM" else 0)
    return datetime(
        2000 + int(year), MONTHS[language].index(month.lower()) + 1, int(day), h, int(minute), tzinfo=zone
    )


def csv_export(folder: Path, expected: dict[str, Any]) -> Facts:
    language = expected.get("format", {}).get("header_language", "en")
    h = HEADERS[language]
    zone = zone_of(expected)
    rows = csv_records(folder / expected["files"][0], "utf-8-sig")
    facts = Facts()
    key_of_id = {r[h["id"]]: r[h["key"]] for r in rows if h["id"] in r.header}

    def when(text: str) -> datetime:
        return jira_date(text, zone, language)

    for r in rows:
        issue = facts.add(
            IssueFacts(
                key=r[h["key"]],
                summary=r[h["summary"]],
                status=r[h["status"]],
                type=r[h["type"]],
                priority=r.get(h["priority"]) or None,
                resolution=r.get(h["resolution"]) or None,
                assignee=r.get(h["assignee"]) or None,
                created=when(r[h["created"]]),
                updated=when(r[h["updated"]]),
            )
        )
        assignee_id = r.get(h["assignee"] + " Id")
        if assignee_id:
            issue.assignee = assignee_id
        issue.people |= {
            v for v in (issue.assignee, r.get(h["reporter"] + " Id") or r.get(h["reporter"])) if v
        }
        for cell in r.all(h["comment"]):
            at, author, _ = cell.split(";", 2)
            issue.comments.append(Child(when(at), author or None))
        for cell in r.all(h["worklog"]):
            _, at, author, seconds = cell.rsplit(";", 3)
            assert int(seconds) > 0
            issue.worklogs.append(Child(when(at), author))
        for cell in r.all(h["attachment"]):
            at, author, rest = cell.split(";", 2)
            name, url = rest.rsplit(";", 1)
            path = urlsplit(url).path
            attachment_id = (
                path.rstrip("/").split("/")[-1] if "/attachment/content/" in path else path.split("/")[-2]
            )
            assert "/secure/attachment/" not in path or unquote(path.split("/")[-1]) == name, cell
            issue.attachments.append(
                FileRef(name, when(at), author, folder / "attachments" / attachment_id / name)
            )
        issue.people |= {c.author for c in [*issue.comments, *issue.worklogs] if c.author}
        issue.people |= {a.author for a in issue.attachments if a.author}
        server_parent = next((r.get(c) for c in SERVER_PARENT_COLUMNS if r.get(c)), "")
        if server_parent:
            facts.link(issue.key, key_of_id.get(server_parent, server_parent), "subtask")
        cloud_parent = r.get("Parent key") or key_of_id.get(r.get("Parent"), r.get("Parent"))
        if cloud_parent:  # Cloud: one Parent column for sub-tasks and for epic children
            facts.link(issue.key, cloud_parent, "subtask" if issue.type in SUBTASK_TYPES else "epic")
        if r.get(h["epic"]):
            facts.link(issue.key, r[h["epic"]], "epic")
        for column, other in r.starting(h["outward"]):
            kind, outward_is_from = LINK_NAMES[column[column.index("(") + 1 : -1]]
            facts.link(*((issue.key, other) if outward_is_from else (other, issue.key)), kind)
        for column, other in r.starting(h["inward"]):
            kind, outward_is_from = LINK_NAMES[column[column.index("(") + 1 : -1]]
            facts.link(*((other, issue.key) if outward_is_from else (issue.key, other)), kind)
    return facts


def xml_export(folder: Path, expected: dict[str, Any]) -> Facts:
    """RSS 0.92: one <item> per issue; HTML bodies escaped inside the elements; RFC 822 dates."""
    channel = ET.parse(folder / expected["files"][0]).getroot().find("channel")
    assert channel is not None
    facts = Facts()
    for item in channel.iter("item"):
        key = item.findtext("key", "")
        resolution = item.find("resolution")
        assignee = item.find("assignee")
        reporter = item.find("reporter")
        assert resolution is not None and assignee is not None and reporter is not None
        issue = facts.add(
            IssueFacts(
                key=key,
                summary=item.findtext("summary", ""),
                status=item.findtext("status"),
                type=item.findtext("type"),
                priority=item.findtext("priority"),
                resolution=None if resolution.get("id") == "-1" else resolution.text,
                assignee=None if assignee.get("username") == "-1" else assignee.get("username"),
                created=parsedate_to_datetime(item.findtext("created", "")),
                updated=parsedate_to_datetime(item.findtext("updated", "")),
            )
        )
        issue.people |= {v for v in (issue.assignee, reporter.get("username")) if v}
        for comment in item.iterfind("comments/comment"):
            issue.comments.append(
                Child(parsedate_to_datetime(comment.get("created", "")), comment.get("author"))
            )
        for a in item.iterfind("attachments/attachment"):
            name = a.get("name", "")
            path = folder / "attachments" / a.get("id", "") / name
            issue.attachments.append(
                FileRef(name, parsedate_to_datetime(a.get("created", "")), a.get("author"), path)
            )
        issue.people |= {c.author for c in issue.comments if c.author} | {
            a.author for a in issue.attachments if a.author
        }
        parent = item.findtext("parent")
        if parent:
            facts.link(key, parent, "subtask")
        for field in item.iterfind("customfields/customfield"):
            if field.get("key") == "com.pyxis.greenhopper.jira:gh-epic-link":
                facts.link(key, field.findtext("customfieldvalues/customfieldvalue", ""), "epic")
        for link_type in item.iterfind("issuelinks/issuelinktype"):
            kind, outward_is_from = LINK_NAMES[link_type.findtext("name", "")]
            for other in link_type.iterfind("outwardlinks/issuelink/issuekey"):
                facts.link(*((key, other.text or "") if outward_is_from else (other.text or "", key)), kind)
            for other in link_type.iterfind("inwardlinks/issuelink/issuekey"):
                facts.link(*((other.text or "", key) if outward_is_from else (key, other.text or "")), kind)
    total = channel.find("issue")
    assert total is not None and int(total.get("total", "0")) == len(facts.issues)
    return facts


def rest_json(folder: Path, expected: dict[str, Any]) -> Facts:
    """REST v3 search pages: everything under ``fields``; people are accountIds; bodies are ADF."""
    facts = Facts()
    pages = sorted(folder.glob("search-page-*.json"))
    assert [p.name for p in pages] == [f for f in expected["files"] if f.startswith("search-page-")]
    for n, page in enumerate(pages):
        data = load_json(page)
        assert ("nextPageToken" in data) == (n < len(pages) - 1), (
            "every page but the last has a nextPageToken"
        )
        for raw in data["issues"]:
            f = raw["fields"]
            issue = facts.add(
                IssueFacts(
                    key=raw["key"],
                    summary=f["summary"],
                    status=f["status"]["name"],
                    type=f["issuetype"]["name"],
                    priority=(f["priority"] or {}).get("name"),
                    resolution=(f["resolution"] or {}).get("name"),
                    assignee=(f["assignee"] or {}).get("accountId"),
                    created=iso(f["created"]),
                    updated=iso(f["updated"]),
                )
            )
            assert f["description"] is None or f["description"]["type"] == "doc", (
                "v3 bodies are ADF documents"
            )
            issue.people |= {p["accountId"] for p in (f["assignee"], f["reporter"]) if p}
            comments = f["comment"]
            assert comments["total"] == len(comments["comments"]), f"{raw['key']}: comment page truncated"
            for c in comments["comments"]:
                assert c["body"]["type"] == "doc"
                issue.comments.append(Child(iso(c["created"]), c["author"]["accountId"]))
            for w in f["worklog"]["worklogs"]:
                issue.worklogs.append(Child(iso(w["started"]), w["author"]["accountId"]))
            for a in f["attachment"]:
                path = folder / "attachments" / a["id"] / a["filename"]
                issue.attachments.append(
                    FileRef(a["filename"], iso(a["created"]), a["author"]["accountId"], path)
                )
            issue.people |= {c.author for c in [*issue.comments, *issue.worklogs] if c.author}
            issue.people |= {a.author for a in issue.attachments if a.author}
            if f.get("parent"):
                facts.link(raw["key"], f["parent"]["key"], "subtask" if f["issuetype"]["subtask"] else "epic")
            for link in f["issuelinks"]:
                kind, outward_is_from = LINK_NAMES[link["type"]["name"]]
                if "outwardIssue" in link:
                    other = link["outwardIssue"]["key"]
                    facts.link(*((raw["key"], other) if outward_is_from else (other, raw["key"])), kind)
                else:
                    other = link["inwardIssue"]["key"]
                    facts.link(*((other, raw["key"]) if outward_is_from else (raw["key"], other)), kind)
    field_names = {f["id"]: f["name"] for f in load_json(folder / "field.json")}
    assert field_names.get("customfield_10020") == "Sprint", "custom field names come from /field"
    return facts
