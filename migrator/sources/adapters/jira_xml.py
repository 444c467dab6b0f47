"""Jira's XML export (Issue Navigator → Export → XML; RSS 0.92) → one record per ``<item>``.

Why code and not only paths: an item lists its links grouped by link type, each group with
``<outwardlinks>`` and ``<inwardlinks>`` of ``<issuelink>``\\s — the relationship of a link is
its group's name and direction, two levels above the link's key, which a path cannot reach back
to. The epic hangs in a custom field, the parent in ``<parent>``, and links, epic and parent all
have to reach the mapping as one list. ``<attachment>`` has no URL (it is built from the item's
own address), "nobody" is written as a value (``<assignee username="-1">Unassigned</assignee>``,
``<resolution id="-1">Unresolved</resolution>``, in the user's language), and a person's display
name is only on ``<assignee>``/``<reporter>``, not on comments and files.

A record is the item as the XML reader gives it (``summary``, ``key.@id``, ``customfields…``:
every element, for the mapping's paths), plus:

=======================  ======================================================================
``id``                   ``key.@id`` (the issue id)
``jira.assignee``,       ``{login, displayName}`` (Server/DC: ``username=``) or ``{accountId,
``.reporter``            displayName}`` (Cloud: ``accountid=``); absent for ``-1``
``jira.resolution``      the resolution's name, absent for ``id="-1"`` ("Unresolved")
``jira.comments``        ``{id, author, created, text}`` — ``text`` is HTML
``jira.attachments``     ``{id, filename, size, author, created, url}`` — ``url`` =
                         ``<site>/secure/attachment/<id>/<name>``, so a download lands in
                         ``attachments/<id>/<name>`` and a local copy is found there
``jira.links``           ``{to, relationship}``: every ``<issuelink>`` as ``<type> (outward)`` /
                         ``<type> (inward)``, the epic (``Epic Link``) and the parent
                         (``Parent (<type>)``) — see ``jira_common``
``jira.custom``          custom field values by ``<customfieldname>`` (a list when several)
``jira.labels``,         ``<labels><label>``, ``<component>``, ``<version>``, ``<fixVersion>`` as
``.components``,         lists, present (maybe empty) in every record: Jira leaves the elements
``.versions``,           out when there are none
``.fix_versions``
=======================  ======================================================================

Astral characters (emoji) arrive from Jira as two U+FFFD: the text keeps them, and the record gets
a ``jira.replaced_characters`` note (info) so the loss is seen.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from migrator.errors import MigratorError
from migrator.findings import Severity
from migrator.limits import Limits
from migrator.sources.adapters.base import Adapter, AdapterInput
from migrator.sources.adapters.jira_common import (
    EPIC_LINK,
    EPIC_LINK_KEY,
    NO_VALUE,
    link,
    parent_by_type,
    person,
)
from migrator.sources.inputs import SourceFile
from migrator.sources.records import TEXT_KEY, Note, Record, is_empty
from migrator.sources.xml_reader import read_xml

ITEMS = "rss.channel.item"
PEOPLE = ("assignee", "reporter")
_LOST = "\ufffd\ufffd"


class JiraXmlAdapter(Adapter):
    name = "jira_xml"

    def records(self, given: AdapterInput) -> Iterator[Record]:
        for file in given.files:
            yield from _JiraXml(file, self.source.limits).records()


class _JiraXml:
    def __init__(self, file: SourceFile, limits: Limits) -> None:
        self.file = file
        self.limits = limits

    def _items(self) -> Iterator[Record]:
        try:
            for record in read_xml(self.file.local_path(), records=ITEMS, limits=self.limits):
                record.file = self.file.label
                yield record
        except MigratorError as exc:
            raise MigratorError(
                f"{self.file.label}: cannot be read as a Jira XML export ({exc.message})",
                hint=exc.hint
                or "export from the issue navigator with Export → XML (the file starts with <rss>)",
            ) from None

    def records(self) -> Iterator[Record]:
        names = self._names()
        for record in self._items():
            values = dict(record.values)
            notes = list(record.notes)
            values["id"] = _text(_at(values, "key", "@id"))
            values["jira"] = _derived(values, names, notes)
            yield Record(record.file, record.row, values, nested=True, notes=notes, usable=record.usable)

    def _names(self) -> dict[str, str]:
        """User name / account id → display name, from every item's assignee and reporter."""
        names: dict[str, str] = {}
        for record in self._items():
            for role in PEOPLE:
                ident, display = _person_parts(record.values.get(role))
                if ident and ident != NO_VALUE and display:
                    names.setdefault(ident, display)
        return names


def _derived(values: Mapping[str, Any], names: Mapping[str, str], notes: list[Note]) -> dict[str, Any]:
    cloud = _is_cloud(values)
    out: dict[str, Any] = {}
    for role in PEOPLE:
        ident, display = _person_parts(values.get(role))
        out[role] = person(ident, display, cloud=cloud)
    resolution = values.get("resolution")
    out["resolution"] = None if _at(values, "resolution", "@id") == NO_VALUE else _text(resolution) or None

    def someone(ident: Any) -> dict[str, str] | None:
        text = _text(ident)
        return person(text, names.get(text), cloud=cloud)

    out["comments"] = [
        {
            "id": c.get("@id"),
            "author": someone(c.get("@author")),
            "created": c.get("@created"),
            "text": _text(c),
        }
        for c in _elements(values, "comments", "comment")
    ]
    site = _site(values)
    out["attachments"] = [
        {
            "id": a.get("@id"),
            "filename": a.get("@name"),
            "size": a.get("@size"),
            "author": someone(a.get("@author")),
            "created": a.get("@created"),
            "url": f"{site}/secure/attachment/{a.get('@id')}/{quote(str(a.get('@name') or ''))}",
        }
        for a in _elements(values, "attachments", "attachment")
    ]
    out["links"] = _links(values)
    out["custom"] = _custom(values)
    # Lists Jira leaves out when empty, always given (an export without versions is not a typo)
    out["labels"] = [_text(v) for v in _list(_at(values, "labels", "label")) if _text(v)]
    for name, tag in (("components", "component"), ("versions", "version"), ("fix_versions", "fixVersion")):
        out[name] = [_text(v) for v in _list(values.get(tag)) if _text(v)]
    if any(_LOST in str(text) for text in (values.get("description"), *(c["text"] for c in out["comments"]))):
        notes.append(
            Note(
                "jira.replaced_characters",
                "Jira wrote characters outside the Basic Multilingual Plane (emoji) as two U+FFFD; "
                "they are imported as written",
                hint="the export cannot give them back; the REST JSON export keeps them",
                severity=Severity.INFO,
            )
        )
    return out


def _links(values: Mapping[str, Any]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for group in _list(_at(values, "issuelinks", "issuelinktype")):
        name = _text(group.get("name")) if isinstance(group, Mapping) else ""
        for direction in ("outward", "inward"):
            links = _at(group, f"{direction}links", "issuelink") if isinstance(group, Mapping) else None
            for item in _list(links):
                key = _text(item.get("issuekey")) if isinstance(item, Mapping) else ""
                if key:
                    out.append(link(name, direction, key))
    for field in _elements(values, "customfields", "customfield"):
        if field.get("@key") == EPIC_LINK_KEY:
            for epic in _list(_at(field, "customfieldvalues", "customfieldvalue")):
                if _text(epic):
                    out.append({"to": _text(epic), "relationship": EPIC_LINK})
    parent = _text(values.get("parent"))
    if parent:
        out.append(parent_by_type(parent, _text(values.get("type"))))
    return out


def _custom(values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in _elements(values, "customfields", "customfield"):
        name = _text(field.get("customfieldname"))
        found = [_text(v) for v in _list(_at(field, "customfieldvalues", "customfieldvalue")) if _text(v)]
        if name and found:
            out.setdefault(name, found[0] if len(found) == 1 else found)
    return out


def _is_cloud(values: Mapping[str, Any]) -> bool:
    return any(isinstance(values.get(r), Mapping) and "@accountid" in values[r] for r in PEOPLE)


def _person_parts(element: Any) -> tuple[str, str]:
    if not isinstance(element, Mapping):
        return "", ""
    ident = element.get("@username") or element.get("@accountid") or ""
    return str(ident).strip(), _text(element)


def _site(values: Mapping[str, Any]) -> str:
    """``https://jira.example.com`` from the item's ``<link>`` (…/browse/KEY)."""
    address = urlsplit(_text(values.get("link")))
    path = address.path.rsplit("/browse/", 1)[0] if "/browse/" in address.path else ""
    return f"{address.scheme}://{address.netloc}{path}" if address.netloc else ""


def _elements(values: Mapping[str, Any], outer: str, inner: str) -> list[Mapping[str, Any]]:
    return [e for e in _list(_at(values, outer, inner)) if isinstance(e, Mapping)]


def _at(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _text(value: Any) -> str:
    if isinstance(value, Mapping):
        value = value.get(TEXT_KEY)
    return "" if is_empty(value) else str(value).strip()
