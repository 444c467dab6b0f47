"""Boards and planning tools: Trello, Asana (CSV, JSON), Linear, Pivotal Tracker, ClickUp, Azure DevOps, Excel."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import openpyxl

from .facts import Child, Facts, FileRef, IssueFacts, csv_records, epoch_ms, iso, load_json, local, zone_of

TRELLO_CARD_URL = re.compile(r"^https://trello\.com/c/([A-Za-z0-9]{8})")


def trello_board(folder: Path, expected: dict[str, Any]) -> Facts:
    """One board JSON: cards, lists (= statuses), members, checklists and the last actions. Only
    commentCard actions are comments; a card's creation is its createCard action or, when that action
    fell out of the export, the time in the first 8 hex digits of its id."""
    board = load_json(folder / "board.json")
    lists = {lst["id"]: lst["name"] for lst in board["lists"]}
    by_short = {c["shortLink"]: str(c["idShort"]) for c in board["cards"]}
    by_id = {c["id"]: str(c["idShort"]) for c in board["cards"]}
    created = {a["data"]["card"]["id"]: iso(a["date"]) for a in board["actions"] if a["type"] == "createCard"}
    facts = Facts()
    for card in board["cards"]:
        key = str(card["idShort"])
        born = created.get(card["id"]) or datetime.fromtimestamp(int(card["id"][:8], 16), tz=UTC)
        issue = facts.add(
            IssueFacts(
                key=key,
                summary=card["name"],
                status=lists[card["idList"]],
                type=None,
                priority=None,
                resolution=None,
                assignee=card["idMembers"][0] if card["idMembers"] else None,
                created=born,
                updated=iso(card["dateLastActivity"]),
            )
        )
        issue.people |= set(card["idMembers"])
        for a in card["attachments"]:
            if a["isUpload"]:
                path = folder / "attachments" / a["id"] / a["fileName"]
                issue.attachments.append(FileRef(a["name"], iso(a["date"]), a["idMember"], path))
                issue.people.add(a["idMember"])
                continue
            target = TRELLO_CARD_URL.match(a["url"])
            assert target, f"card {key}: a link attachment that is not a card: {a['url']}"
            facts.link(key, by_short.get(target.group(1), a["url"]), "relates")
    for action in board["actions"]:
        if action["type"] != "commentCard":
            facts.system_notes += 1
            continue
        issue = facts.issues[by_id[action["data"]["card"]["id"]]]
        issue.comments.append(Child(iso(action["date"]), action["idMemberCreator"]))
        issue.people.add(action["idMemberCreator"])
    for checklist in board["checklists"]:
        for item in checklist["checkItems"]:
            child = TRELLO_CARD_URL.match(item["name"])
            if child:  # a checklist item converted to a card: the card is a sub-task of the checklist's card
                facts.link(by_short[child.group(1)], by_id[checklist["idCard"]], "subtask")
    extra = expected["extra"]
    assert extra["archived_cards"] == sum(1 for c in board["cards"] if c["closed"])
    assert extra["checklist_items"] == sum(len(c["checkItems"]) for c in board["checklists"])
    assert extra["actions"] == len(board["actions"]) < 1000, "Trello keeps only the last 1000 actions"
    return facts


def asana_csv(folder: Path, expected: dict[str, Any]) -> Facts:
    """Dates without time; subtasks are rows of their own whose `Parent task` is the parent's NAME
    (names repeat, so it must resolve to exactly one row); subtasks outside the project have no section."""
    zone = zone_of(expected)
    rows = csv_records(folder / expected["files"][0])
    facts = Facts()
    for r in rows:
        issue = facts.add(
            IssueFacts(
                key=r["Task ID"],
                summary=r["Name"],
                status=r["Section/Column"] or None,
                type=None,
                priority=r["Priority"] or None,
                resolution=None,
                assignee=r["Assignee Email"] or None,
                created=local(r["Created At"], "%Y-%m-%d", zone),
                updated=local(r["Last Modified"], "%Y-%m-%d", zone),
            )
        )
        if issue.assignee:
            issue.people.add(issue.assignee)
        if r["Parent task"]:
            named = [o["Task ID"] for o in rows if o["Name"] == r["Parent task"]]
            assert len(named) <= 1, f"parent name {r['Parent task']!r} is ambiguous"
            facts.link(issue.key, named[0] if named else r["Parent task"], "subtask")
        for blocker in filter(None, r["Blocked By (Dependencies)"].split(",")):
            facts.link(issue.key, blocker, "depends")
    return facts


def asana_json(folder: Path, expected: dict[str, Any]) -> Facts:
    """{"data": [task]} with subtasks nested and stories (comments and system events) on each task;
    files come from attachments.json keyed by task gid."""
    facts = Facts()
    files = load_json(folder / "attachments.json")

    def walk(task: dict[str, Any]) -> None:
        fields = {f["name"]: f for f in task["custom_fields"]}
        sections = [m["section"]["name"] for m in task["memberships"]]
        issue = facts.add(
            IssueFacts(
                key=task["gid"],
                summary=task["name"],
                status=sections[0] if sections else None,
                type=None,
                priority=fields["Priority"]["display_value"],
                resolution=None,
                assignee=(task["assignee"] or {}).get("gid"),
                created=iso(task["created_at"]),
                updated=iso(task["modified_at"]),
            )
        )
        if issue.assignee:
            issue.people.add(issue.assignee)
        for story in task["stories"]:
            if story["type"] == "comment":
                issue.comments.append(Child(iso(story["created_at"]), story["created_by"]["gid"]))
                issue.people.add(story["created_by"]["gid"])
            else:
                facts.system_notes += 1
        for a in files.get(task["gid"], []):
            issue.attachments.append(
                FileRef(a["name"], iso(a["created_at"]), None, folder / "attachments" / a["gid"] / a["name"])
            )
        if task["parent"]:
            facts.link(task["gid"], task["parent"]["gid"], "subtask")
        for blocker in task["dependencies"]:
            facts.link(task["gid"], blocker["gid"], "depends")
        for sub in task["subtasks"]:
            assert sub["parent"]["gid"] == task["gid"]
            walk(sub)

    for task in load_json(folder / expected["files"][0])["data"]:
        walk(task)
    return facts


def linear_csv(folder: Path, expected: dict[str, Any]) -> Facts:
    """People are e-mails; relations are columns of issue ids (each written on both issues)."""
    facts = Facts()
    for r in csv_records(folder / expected["files"][0]):
        key = r["ID"]
        issue = facts.add(
            IssueFacts(
                key=key,
                summary=r["Title"],
                status=r["Status"],
                type=None,
                priority=r["Priority"],
                resolution=None,
                assignee=r["Assignee"] or None,
                created=iso(r["Created"]),
                updated=iso(r["Updated"]),
            )
        )
        issue.people |= {v for v in (r["Creator"], r["Assignee"]) if v}
        if r["Parent issue"]:
            facts.link(key, r["Parent issue"], "subtask")
        for column, kind, this_is_from in (
            ("Blocked By", "depends", True),
            ("Blocks", "depends", False),
            ("Related to", "relates", True),
            ("Duplicate of", "duplicates", True),
        ):
            for other in filter(None, (v.strip() for v in r[column].split(","))):
                facts.link(*((key, other) if this_is_from else (other, key)), kind)
    return facts


PIVOTAL_COMMENT = re.compile(
    r"^(?P<text>.*) \((?P<author>[^()]+) - (?P<date>[A-Z][a-z]{2} \d{1,2}, \d{4})\)$", re.S
)


def pivotal_csv(folder: Path, expected: dict[str, Any]) -> Facts:
    """Comment cells end with "(Author - Mon D, YYYY)"; blockers name other stories as #id; there is no
    Updated column (the latest date the row shows stands in for it)."""
    zone = zone_of(expected)
    facts = Facts()
    tasks = 0
    for r in csv_records(folder / expected["files"][0]):
        created = local(r["Created at"], "%b %d, %Y", zone)
        issue = facts.add(
            IssueFacts(
                key=r["Id"],
                summary=r["Title"],
                status=r["Current State"],
                type=r["Type"],
                priority=r["Priority"] or None,
                resolution=None,
                assignee=(r.all("Owned By") or [None])[0],
                created=created,
                updated=created,
            )
        )
        issue.people |= {r["Requested By"], *r.all("Owned By")}
        for cell in r.all("Comment"):
            found = PIVOTAL_COMMENT.match(cell)
            assert found, cell
            issue.comments.append(Child(local(found["date"], "%b %d, %Y", zone), found["author"]))
            issue.people.add(found["author"])
        dates = [created] + [c.at for c in issue.comments if c.at]
        if r["Accepted at"]:
            dates.append(local(r["Accepted at"], "%b %d, %Y", zone))
        issue.updated = max(dates)
        for blocker in r.all("Blocker"):
            if blocker.startswith("#"):
                facts.link(r["Id"], blocker[1:], "depends")
        tasks += len(r.all("Task"))
    assert tasks == expected["extra"]["tasks"]
    return facts


def clickup_csv(folder: Path, expected: dict[str, Any]) -> Facts:
    """Epoch-ms dates with a text twin in the exporter's zone; JSON inside cells (attachments, comments,
    checklists); bracket lists that are not JSON ([Alice Anderson]); "null" placeholders; a space
    before quoted fields."""
    facts = Facts()
    for r in csv_records(folder / expected["files"][0], skipinitialspace=True):
        created = epoch_ms(r["Date Created"])
        twin = datetime.strptime(r["Date Created Text"].removesuffix(" GMT+3"), "%m/%d/%Y, %I:%M:%S %p")
        assert twin.replace(tzinfo=timezone(timedelta(hours=3))) == created, (
            "the text twin is the same instant"
        )
        assignees = [a.strip() for a in r["Assignees"].strip("[]").split(",") if a.strip()]
        issue = facts.add(
            IssueFacts(
                key=r["Task ID"],
                summary=r["Task Name"],
                status=r["Status"],
                type=None,
                priority=None if r["Priority"] == "null" else r["Priority"],
                resolution=None,
                assignee=assignees[0] if assignees else None,
                created=created,
                updated=created,
            )
        )
        issue.people |= set(assignees)
        for c in json.loads(r["Comments"]):
            issue.comments.append(Child(epoch_ms(c["date"]), c["by"]))
            issue.people.add(c["by"])
        issue.updated = max([created] + [c.at for c in issue.comments if c.at])
        for a in json.loads(r["Attachments"]):
            folder_id = a["url"].rsplit("/", 2)[-2]
            issue.attachments.append(
                FileRef(a["title"], None, None, folder / "attachments" / folder_id / a["title"])
            )
        json.loads(r["Checklists"])
        if r["Parent ID"] != "null":
            facts.link(issue.key, r["Parent ID"], "subtask")
    return facts


def azure_devops_csv(folder: Path, expected: dict[str, Any]) -> Facts:
    """A tree query: the title sits in the Title N column of the item's depth and the parent is the
    nearest row above with a smaller depth; there is no parent column."""
    zone = zone_of(expected)
    facts = Facts()
    stack: list[tuple[int, str, str]] = []  # (depth, id, type) of the open ancestors
    for r in csv_records(folder / expected["files"][0]):
        titled = [
            (int(h.removeprefix("Title ")), c)
            for h, c in zip(r.header, r.cells, strict=True)
            if h.startswith("Title ") and c
        ]
        assert len(titled) == 1, f"row {r['ID']}: one title per row"
        depth, title = titled[0]
        fmt = "%m/%d/%Y %I:%M:%S %p"
        issue = facts.add(
            IssueFacts(
                key=r["ID"],
                summary=title,
                status=r["State"],
                type=r["Work Item Type"],
                priority=r["Priority"] or None,
                resolution=None,
                assignee=r["Assigned To"] or None,
                created=local(r["Created Date"], fmt, zone),
                updated=local(r["Changed Date"], fmt, zone),
            )
        )
        issue.people |= {v for v in (r["Assigned To"], r["Created By"]) if v}
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if stack:
            assert stack[-1][0] == depth - 1, f"row {r['ID']} skips a level"
            facts.link(r["ID"], stack[-1][1], "epic" if stack[-1][2] == "Epic" else "subtask")
        stack.append((depth, r["ID"], r["Work Item Type"]))
    return facts


GENERIC_LINKS = {
    "блокирует": ("depends", False),
    "дублирует": ("duplicates", True),
    "связана с": ("relates", True),
}


def generic_workbook(folder: Path, expected: dict[str, Any]) -> Facts:
    """A hand-kept workbook: sheets Issues, Comments (by Issue ID) and Links (From, To, Type);
    real Excel date cells in the zone the team works in; people as e-mails or typed full names."""
    zone = zone_of(expected)
    book = openpyxl.load_workbook(folder / expected["files"][0], read_only=True)

    def rows(sheet: str) -> list[dict[str, Any]]:
        values = list(book[sheet].iter_rows(values_only=True))
        return [
            dict(zip(values[0], row, strict=True)) for row in values[1:] if any(v is not None for v in row)
        ]

    def when(value: datetime) -> datetime:
        assert isinstance(value, datetime), f"{value!r} is not an Excel date cell"
        return value.replace(tzinfo=zone)

    facts = Facts()
    for r in rows("Issues"):
        key = str(r["ID"])
        issue = facts.add(
            IssueFacts(
                key=key,
                summary=r["Title"],
                status=r["Status"],
                type=r["Type"],
                priority=r["Priority"],
                resolution=r["Resolution"],
                assignee=r["Assignee"],
                created=when(r["Created"]),
                updated=when(r["Updated"]),
            )
        )
        issue.people |= {v for v in (r["Assignee"], r["Author"]) if v}
        if r["Parent"] is not None:
            facts.link(key, str(r["Parent"]), "subtask")
    for r in rows("Comments"):
        issue = facts.issues[str(r["Issue ID"])]
        issue.comments.append(Child(when(r["Date"]), r["Author"]))
        issue.people.add(r["Author"])
    for r in rows("Links"):
        kind, from_is_from = GENERIC_LINKS[r["Type"]]
        a, b = str(r["From"]), str(r["To"])
        facts.link(*((a, b) if from_is_from else (b, a)), kind)
    return facts
