"""Trello board JSON ("Print, export and share → Export as JSON") → one record per card.

Shape of the export (../shared/reference/export-formats.md §4): the board object with ``cards[]``,
``lists[]``, ``labels[]``, ``members[]``, ``checklists[]``, ``customFields[]`` and the *last 1000*
``actions[]`` (newest first). A single-card export has the card itself at the top.

What a card record holds (read with record paths in the mapping, e.g. ``status: list.name``):

==================  ============================================================================
``id``, ``key``     the card id (24 hex digits); ``key`` = the board-local number (``idShort``)
``name``, ``desc``  summary, Markdown description; ``description`` = ``desc`` + the checklists
``list``            ``{id, name, closed}`` of the card's list (Trello's "status")
``archived``        the card or its list is archived (``closed``) — import them, flagged
``labels``          label names (a label with no name: its colour)
``members``         ``[{id, login, displayName}]`` from ``idMembers``; ``assignee`` = the first
``created_at``      the ``createCard`` action's date, else the time in the card id's first 8 hex
                    digits (an info note says so); ``created_by`` = that action's member
``updated_at``      ``dateLastActivity``; ``due``, ``start``, ``dueComplete``, ``votes``
``parent``          the key of the card whose checklist item was *converted* into this card
``checklists``      ``[{name, items: [{name, state, checked}]}]``; ``checklist_text`` as Markdown
``comments``        ``commentCard`` actions, oldest first: ``{id, text, created_at, author}``
``attachments``     uploaded files: ``{id, filename, url, path, size, mime_type, created_at,
                    author}``; ``path`` = ``<attachment id>/<file name>`` (where a download of
                    the files usually puts them)
``links``           link attachments to Trello cards: ``{to, relationship: relates, url}``;
                    ``to`` is the card's key on this board, else the card URL (another board)
``web_links``       other link attachments ``{name, url}``
``custom``          custom field values by field name
==================  ============================================================================

Members are resolved from ``members[]``, then from the ``memberCreator`` of actions (people who
left the board are only there); an unknown id stays as ``{id, login: <id>}``.

Truncation: Trello keeps the last 1000 actions. A board with 1000 actions gets an
``trello.actions_truncated`` warning (on the first card); a card whose ``badges.comments`` counts
more comments than the export holds gets ``trello.comments_missing`` (warning) naming how many.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from migrator.errors import MigratorError
from migrator.findings import Severity
from migrator.limits import Limits, TooDeep
from migrator.sources.adapters.base import Adapter, AdapterInput
from migrator.sources.encoding import damaged, detect_encoding, open_text, repair
from migrator.sources.inputs import SourceFile
from migrator.sources.json_text import parse_json
from migrator.sources.records import Note, Record

ACTIONS_LIMIT = 1000  # Trello's board export keeps at most this many actions
_CARD_URL = re.compile(r"https?://trello\.com/c/([A-Za-z0-9]+)")
_OBJECT_ID = re.compile(r"[0-9a-f]{24}")


class TrelloAdapter(Adapter):
    name = "trello"

    def records(self, given: AdapterInput) -> Iterator[Record]:
        for file in given.files:
            data, broken = _load(file, given.encoding, self.source.limits)
            yield from Board(file.label, data, damaged=broken).records()


def _load(file: SourceFile, encoding: str, limits: Limits) -> tuple[dict[str, Any], bool]:
    """The board's JSON (nesting checked first, see json_text.parse_json) and whether it held bytes
    the encoding could not decode (replaced by U+FFFD)."""
    path = file.local_path()
    codec = detect_encoding(path, encoding)
    with open_text(path, codec) as fh:
        text = fh.read()
    broken = damaged(text)
    try:
        data = parse_json(repair(text) if broken else text, limits.json_depth)
    except json.JSONDecodeError as exc:
        raise MigratorError(
            f"{file.label}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
            hint="export the board again (board menu → Print, export and share → Export as JSON)",
        ) from None
    except TooDeep as exc:
        raise MigratorError(f"{file.label}: the JSON is {exc}", hint=exc.hint) from None
    if not isinstance(data, dict) or not ("cards" in data or "idList" in data):
        raise MigratorError(
            f"{file.label}: not a Trello board export (no 'cards' at the top level)",
            hint="source.adapter: trello reads the JSON of a board or of a single card",
        )
    return data, broken


class Board:
    """One board export: the lookups every card record needs, built once."""

    def __init__(self, label: str, data: dict[str, Any], *, damaged: bool = False) -> None:
        self.label = label
        self.damaged = damaged
        self.single_card = "cards" not in data
        self.cards: list[dict[str, Any]] = [data] if self.single_card else _objects(data.get("cards"))
        self.lists = {x["id"]: x for x in _objects(data.get("lists")) if "id" in x}
        self.labels = {x["id"]: x for x in _objects(data.get("labels")) if "id" in x}
        self.checklists = {x["id"]: x for x in _objects(data.get("checklists")) if "id" in x}
        self.custom_fields = {x["id"]: x for x in _objects(data.get("customFields")) if "id" in x}
        self.actions = _objects(data.get("actions"))
        self.members = _members(data, self.actions)
        self.keys = {c.get("shortLink"): _key(c) for c in self.cards if c.get("shortLink")}
        self.by_card = _actions_by_card(self.actions)
        self.parents = self._parents()

    def records(self) -> Iterator[Record]:
        for row, card in enumerate(self.cards, start=1):
            notes = self._card_notes(card)
            if row == 1:
                notes = self._board_notes() + notes
            yield Record(self.label, row, self._card(card), nested=True, notes=notes)

    # -- one card -------------------------------------------------------------------------------

    def _card(self, card: dict[str, Any]) -> dict[str, Any]:
        card_id = str(card.get("id", ""))
        lst = self.lists.get(card.get("idList"), {"id": card.get("idList")})
        created = self._created(card)
        checklists = self._checklists(card)
        text = _checklist_text(checklists)
        desc = card.get("desc") or ""
        members = [self._member(m) for m in card.get("idMembers") or []]
        links, web_links = self._links(card)
        return {
            "id": card_id,
            "key": _key(card),
            "idShort": card.get("idShort"),
            "shortLink": card.get("shortLink"),
            "url": card.get("url"),
            "name": card.get("name"),
            "desc": desc,
            "description": "\n\n".join(p for p in (desc, text) if p),
            "list": {"id": lst.get("id"), "name": lst.get("name"), "closed": bool(lst.get("closed"))},
            "closed": bool(card.get("closed")),
            "archived": bool(card.get("closed")) or bool(lst.get("closed")),
            "labels": [self._label(i, card) for i in card.get("idLabels") or []],
            "members": members,
            "assignee": members[0] if members else None,
            "created_at": created[0],
            "created_by": created[1],
            "updated_at": card.get("dateLastActivity"),
            "due": card.get("due"),
            "start": card.get("start"),
            "dueComplete": bool(card.get("dueComplete")),
            "votes": len(card.get("idMembersVoted") or []),
            "parent": self.parents.get(card_id),
            "checklists": checklists,
            "checklist_text": text,
            "comments": self._comments(card_id),
            "attachments": self._attachments(card),
            "links": links,
            "web_links": web_links,
            "custom": self._custom(card),
        }

    def _created(self, card: dict[str, Any]) -> tuple[str | None, dict[str, Any] | None]:
        for action in self.by_card.get(str(card.get("id")), []):
            if action.get("type") == "createCard":
                return action.get("date"), self._member(action.get("idMemberCreator"))
        return _time_from_id(str(card.get("id", ""))), None

    def _label(self, label_id: str, card: dict[str, Any]) -> str:
        label = self.labels.get(label_id)
        if label is None:  # the card embeds its labels too
            label = next((x for x in _objects(card.get("labels")) if x.get("id") == label_id), {})
        return str(label.get("name") or label.get("color") or label_id)

    def _member(self, member_id: Any) -> dict[str, Any] | None:
        if not member_id:
            return None
        return self.members.get(str(member_id)) or {"id": str(member_id), "login": str(member_id)}

    def _checklists(self, card: dict[str, Any]) -> list[dict[str, Any]]:
        found = [self.checklists[i] for i in card.get("idChecklists") or [] if i in self.checklists]
        found += [c for c in self.checklists.values() if c.get("idCard") == card.get("id") and c not in found]
        out = []
        for checklist in sorted(found, key=lambda c: (c.get("pos") or 0, str(c.get("id")))):
            items = sorted(
                _objects(checklist.get("checkItems")), key=lambda i: (i.get("pos") or 0, str(i.get("id")))
            )
            out.append(
                {
                    "name": checklist.get("name"),
                    "items": [
                        {
                            "name": i.get("name"),
                            "state": i.get("state"),
                            "checked": i.get("state") == "complete",
                        }
                        for i in items
                    ],
                }
            )
        return out

    def _comments(self, card_id: str) -> list[dict[str, Any]]:
        comments = [a for a in self.by_card.get(card_id, []) if a.get("type") == "commentCard"]
        return [
            {
                "id": a.get("id"),
                "text": (a.get("data") or {}).get("text"),
                "created_at": a.get("date"),
                "updated_at": (a.get("data") or {}).get("dateLastEdited"),
                "author": self._member(a.get("idMemberCreator")),
            }
            for a in sorted(comments, key=lambda a: (str(a.get("date")), str(a.get("id"))))
        ]

    def _attachments(self, card: dict[str, Any]) -> list[dict[str, Any]]:
        out = []
        for att in _objects(card.get("attachments")):
            if not att.get("isUpload"):
                continue
            filename = att.get("fileName") or att.get("name")
            out.append(
                {
                    "id": att.get("id"),
                    "filename": filename,
                    "name": att.get("name"),
                    "url": att.get("url"),
                    "path": f"{att.get('id')}/{filename}",
                    "size": att.get("bytes"),
                    "mime_type": att.get("mimeType"),
                    "created_at": att.get("date"),
                    "author": self._member(att.get("idMember")),
                }
            )
        return out

    def _links(self, card: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        links: list[dict[str, Any]] = []
        web: list[dict[str, Any]] = []
        for att in _objects(card.get("attachments")):
            if att.get("isUpload"):
                continue
            url = str(att.get("url") or "")
            match = _CARD_URL.match(url)
            if match is None:
                web.append({"name": att.get("name"), "url": url})
                continue
            target = self.keys.get(match.group(1), url)
            links.append(
                {"to": target, "relationship": "relates", "url": url, "created_at": att.get("date"),
                 "author": self._member(att.get("idMember"))}
            )  # fmt: skip
        return links, web

    def _custom(self, card: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for item in _objects(card.get("customFieldItems")):
            field = self.custom_fields.get(item.get("idCustomField"), {})
            name = str(field.get("name") or item.get("idCustomField"))
            if item.get("idValue"):
                option = next(
                    (o for o in _objects(field.get("options")) if o.get("id") == item["idValue"]), {}
                )
                out[name] = (option.get("value") or {}).get("text")
            else:
                value = item.get("value") or {}
                out[name] = next(iter(value.values()), None) if isinstance(value, dict) else value
        return out

    def _parents(self) -> dict[str, str]:
        """Child card id → parent card key, from checklist items converted into cards (the item's
        name is then the new card's URL)."""
        by_short = {c.get("shortLink"): str(c.get("id")) for c in self.cards if c.get("shortLink")}
        card_keys = {str(c.get("id")): _key(c) for c in self.cards}
        parents: dict[str, str] = {}
        for checklist in self.checklists.values():
            owner = card_keys.get(str(checklist.get("idCard")))
            for item in _objects(checklist.get("checkItems")):
                match = _CARD_URL.match(str(item.get("name") or "").strip())
                child = by_short.get(match.group(1)) if match else None
                if owner is not None and child is not None:
                    parents.setdefault(child, owner)
        return parents

    # -- notes ----------------------------------------------------------------------------------

    def _board_notes(self) -> list[Note]:
        notes = []
        if self.damaged:
            notes.append(
                Note(
                    "encoding.replaced",
                    "the board export holds bytes the encoding could not decode; they were replaced by \ufffd",
                    hint="the file is damaged or not in the detected encoding; set source.encoding or re-export",
                )
            )
        if self.single_card:
            notes.append(
                Note(
                    "trello.single_card",
                    "a single-card export: list names, labels, members and comments of the board are not in it",
                    hint="export the whole board (board menu → Print, export and share → Export as JSON)",
                    severity=Severity.WARNING,
                )
            )
        if len(self.actions) >= ACTIONS_LIMIT:
            notes.append(
                Note(
                    "trello.actions_truncated",
                    f"the export holds {len(self.actions)} actions, Trello's limit: older comments and "
                    "card creation records are missing from it",
                    field="actions",
                    value=str(len(self.actions)),
                    hint="fetch the missing actions through Trello's API (or accept the loss); cards "
                    "without a createCard action take their creation time from their id",
                    severity=Severity.WARNING,
                )
            )
        return notes

    def _card_notes(self, card: dict[str, Any]) -> list[Note]:
        notes = []
        card_id = str(card.get("id", ""))
        actions = self.by_card.get(card_id, [])
        expected = (card.get("badges") or {}).get("comments")
        found = sum(1 for a in actions if a.get("type") == "commentCard")
        if isinstance(expected, int) and expected > found:
            notes.append(
                Note(
                    "trello.comments_missing",
                    f"the card has {expected} comments but the export holds {found} "
                    f"(Trello keeps the last {ACTIONS_LIMIT} actions of a board)",
                    field="comments",
                    value=f"{found} of {expected}",
                    hint="the missing comments can only be fetched through Trello's API",
                    severity=Severity.WARNING,
                )
            )
        if not any(a.get("type") == "createCard" for a in actions) and _OBJECT_ID.fullmatch(card_id):
            notes.append(
                Note(
                    "trello.created_from_id",
                    "the card's createCard action is not in the export: its creation time is the one "
                    "encoded in its id, and its creator is unknown",
                    field="created_at",
                    value=_time_from_id(card_id),
                    severity=Severity.INFO,
                )
            )
        return notes


def _objects(value: Any) -> list[dict[str, Any]]:
    return [x for x in value if isinstance(x, dict)] if isinstance(value, list) else []


def _key(card: Mapping[str, Any]) -> str:
    short = card.get("idShort")
    return str(short) if short is not None else str(card.get("id", ""))


def _members(data: dict[str, Any], actions: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    sources = _objects(data.get("members")) + [
        a["memberCreator"] for a in actions if isinstance(a.get("memberCreator"), dict)
    ]
    for member in sources:
        member_id = member.get("id")
        if member_id and str(member_id) not in out:
            out[str(member_id)] = {
                "id": str(member_id),
                "login": member.get("username") or str(member_id),
                "displayName": member.get("fullName"),
            }
    return out


def _actions_by_card(actions: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for action in actions:
        card = ((action.get("data") or {}).get("card") or {}).get("id")
        if card:
            out.setdefault(str(card), []).append(action)
    return out


def _checklist_text(checklists: list[dict[str, Any]]) -> str:
    blocks = []
    for checklist in checklists:
        lines = [f"**{checklist['name']}**"] if checklist.get("name") else []
        lines += [f"- [{'x' if i['checked'] else ' '}] {i['name']}" for i in checklist["items"]]
        blocks.append("\n".join(lines))
    return "\n\n".join(b for b in blocks if b)


def _time_from_id(card_id: str) -> str | None:
    """A Trello id is a MongoDB ObjectId: its first 8 hex digits are the creation time (seconds)."""
    if not _OBJECT_ID.fullmatch(card_id):
        return None
    moment = datetime.fromtimestamp(int(card_id[:8], 16), UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")
