"""Bugzilla exports → one record per bug (adapter ``bugzilla``): REST JSON or ``show_bug`` XML.

* **REST JSON** (Bugzilla 5.x): ``GET /rest/bug?…`` (``{"bugs": [...]}``, several pages may be
  given), ``GET /rest/bug/comment?ids=…`` (``{"bugs": {"<id>": {"comments": [...]}}}``) and
  ``GET /rest/bug/attachment?ids=…&exclude_fields=data`` (``{"bugs": {"<id>": [...]}}``); the
  files fetched from ``attachment.cgi?id=<id>`` into ``attachments/<id>/<file name>``. Files are
  told apart by what they hold, not by their names.
* **XML** (``show_bug.cgi?ctype=xml&id=…``, the "XML" link of a bug list): one ``<bug>`` per bug
  with ``<long_desc>`` comments and ``<attachment>``\\s whose content is inline base64 — decoded
  into ``source.archives.cache`` (``<cache>/<file>-<hash>/attachments/<id>/<name>``, written once).
  Streamed: one bug in memory at a time (the JSON answers are loaded whole).

Why code: in both, **comment 0 is the description**; people are an e-mail plus a real name in
another field (JSON ``creator_detail``) or attribute (XML ``name=``); links come from four fields
(``depends_on``, ``blocks``, ``dupe_of``, ``see_also``) and a ``see_also`` URL is a link inside
the export only when it points at this Bugzilla; XML attachments must be decoded to files.

A record — the same for JSON and XML: ``id``/``key`` (the bug id as text), ``alias``, ``summary``,
``status``, ``resolution``, ``priority``, ``severity``, ``type`` (5.2+), ``product``,
``component``, ``version``, ``target_milestone``, ``platform``, ``op_sys``, ``whiteboard``,
``keywords`` (list), ``url``, ``creator``/``assigned_to``/``qa_contact`` and ``cc[]``
(``{login, email, name}``), ``creation_time``, ``last_change_time``, ``deadline``,
``estimated_time``/``remaining_time``/``actual_time`` (hours), ``description`` (comment 0),
``comments`` (the others: ``{id, count, text, creator, creation_time, is_private,
attachment_id}``), ``attachments`` (``{id, file_name, description, path, size, content_type,
creator, creation_time, is_obsolete, is_patch, is_private, comment_id}``; ``comment_id`` = the
comment that announced it) and ``relations`` (``{to, relationship}``: ``depends_on``, ``blocks``,
``duplicate_of``, ``see_also``, ``regressed_by``, ``regresses``; ``to`` is a bug id, or the URL of
a bug elsewhere). Dates stay as the export writes them (JSON ``…Z``, XML ``… +0100``).

``see_also`` in REST JSON: the answer does not say which Bugzilla it came from, so a
``show_bug.cgi?id=N`` URL is taken as this one when N is an exported bug and every such URL names
one host; otherwise they stay URLs (a ``bugzilla.see_also_ambiguous`` warning says so).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import parse_qs, urlsplit

from migrator.findings import Severity
from migrator.sources.adapters.base import Adapter, AdapterInput
from migrator.sources.adapters.documents import JsonLoader, named, objects
from migrator.sources.inputs import SourceFile, cache_folder
from migrator.sources.records import TEXT_KEY, Note, Record
from migrator.sources.xml_reader import read_xml

HINT = "save the REST answers as returned (GET /rest/bug, /rest/bug/comment, /rest/bug/attachment)"
_LINK_FIELDS = (
    ("depends_on", "depends_on"),
    ("blocks", "blocks"),
    ("dupe_of", "duplicate_of"),
    ("regressed_by", "regressed_by"),
    ("regressions", "regresses"),
)
_XML_FIELDS = {  # show_bug XML element → the REST field name the record uses
    "bug_id": "id",
    "short_desc": "summary",
    "bug_status": "status",
    "bug_severity": "severity",
    "bug_type": "type",
    "rep_platform": "platform",
    "creation_ts": "creation_time",
    "delta_ts": "last_change_time",
    "status_whiteboard": "whiteboard",
    "bug_file_loc": "url",
    "dependson": "depends_on",
    "blocked": "blocks",
    "dup_id": "dupe_of",
    "regressed_by": "regressed_by",
    "regresses": "regressions",
}
_PLAIN = ("alias", "summary", "status", "resolution", "priority", "severity", "type", "product",
          "component", "version", "target_milestone", "platform", "op_sys", "whiteboard", "url",
          "creation_time", "last_change_time", "deadline", "estimated_time", "remaining_time",
          "actual_time")  # fmt: skip
_URLBASE = re.compile(rb"<bugzilla\b[^>]*\burlbase=\"([^\"]*)\"")


_COMPANIONS = ("comment*.json", "attachment*.json")


class BugzillaAdapter(Adapter):
    name = "bugzilla"
    companions = _COMPANIONS

    def records(self, given: AdapterInput) -> Iterator[Record]:
        xml = [f for f in given.files if f.basename.lower().endswith(".xml")]
        if xml:
            for file in xml:
                yield from XmlBugs(self, file).records()
            return
        files = [
            *named(given.files, "*.json"),
            *(f for p in _COMPANIONS for f in named(given.export.files, p)),
        ]
        loader = JsonLoader(given.encoding, self.source.limits, HINT)
        yield from JsonBugs(loader, list({id(f): f for f in files}.values())).records()


@dataclass(frozen=True)
class _Bug:
    """One bug as read, before the shared record is built."""

    fields: dict[str, Any]  # REST names (XML translated)
    people: dict[str, Any]  # creator, assigned_to, qa_contact → person; cc → [person]
    comments: list[dict[str, Any]]  # every comment, comment 0 included, in order
    attachments: list[dict[str, Any]]


def build_record(bug: _Bug, internal: Any) -> dict[str, Any]:
    """The record of one bug. ``internal(url)`` gives the bug id a ``see_also`` URL names when it
    is a bug of this export, else None."""
    fields = bug.fields
    key = str(fields.get("id"))
    first = next(
        (c for c in bug.comments if str(c.get("count")) == "0"), bug.comments[0] if bug.comments else None
    )
    comments = [c for c in bug.comments if c is not first]
    announced = {str(c["attachment_id"]): c["id"] for c in comments if c.get("attachment_id")}
    record: dict[str, Any] = {"id": key, "key": key}
    record.update({name: _none_if_blank(fields.get(name)) for name in _PLAIN})
    record.update(bug.people)
    record["keywords"] = _keywords(fields.get("keywords"))
    record["description"] = first.get("text") if first else None
    record["description_private"] = bool(first and first.get("is_private"))
    record["comments"] = comments
    record["attachments"] = [dict(a, comment_id=announced.get(str(a["id"]))) for a in bug.attachments]
    record["relations"] = _relations(fields, internal, key)
    return record


def _relations(fields: dict[str, Any], internal: Any, key: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for name, relationship in _LINK_FIELDS:
        for other in _listed(fields.get(name)):
            out.append({"to": str(other), "relationship": relationship})
    for url in _listed(fields.get("see_also")):
        out.append({"to": internal(str(url)) or str(url), "relationship": "see_also"})
    unique = {(r["to"], r["relationship"]): r for r in out if r["to"] and r["to"] != key}
    return list(unique.values())


def _listed(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    items = value if isinstance(value, list) else [value]
    return [_text(i) for i in items if _text(i) not in ("", None)]


def _keywords(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(k).strip() for k in value if str(k).strip()]
    return [k.strip() for k in str(value or "").split(",") if k.strip()]


def _none_if_blank(value: Any) -> Any:
    value = _text(value)
    return None if value is None or (isinstance(value, str) and not value.strip()) else value


def _text(value: Any) -> Any:
    """An XML element with attributes reads as its text here (``<dup_id>``, ``<see_also>``)."""
    return value.get(TEXT_KEY) if isinstance(value, dict) else value


def bug_id_in(url: str) -> str | None:
    """The bug id of a ``show_bug.cgi?id=N`` (or ``/show_bug.cgi?id=alias``) URL."""
    parts = urlsplit(url)
    if not parts.path.endswith("show_bug.cgi"):
        return None
    ids = parse_qs(parts.query).get("id")
    return ids[0] if ids else None


# -- REST JSON -------------------------------------------------------------------------------------


class JsonBugs:
    """The REST answers of one export, told apart by content."""

    def __init__(self, loader: JsonLoader, files: list[SourceFile]) -> None:
        self.loader = loader
        self.bugs: list[tuple[SourceFile, int, dict[str, Any]]] = []
        self.comments: dict[str, list[dict[str, Any]]] = {}
        self.attachments: dict[str, list[dict[str, Any]]] = {}
        self.faults: list[Any] = []
        self.comment_files = 0
        for file in files:
            for document in loader.documents(file):
                self._take(file, document)
        exported = {str(b.get("id")) for _, _, b in self.bugs}
        self.internal, self.see_also_note = _see_also_resolver(
            [str(u) for _, _, b in self.bugs for u in _listed(b.get("see_also"))], exported
        )

    def _take(self, file: SourceFile, document: Any) -> None:
        if not isinstance(document, dict):
            return
        bugs = document.get("bugs")
        if isinstance(bugs, list):
            start = len([b for b in self.bugs if b[0] is file])
            self.bugs += [(file, start + n, bug) for n, bug in enumerate(objects(bugs), start=1)]
            self.faults += document.get("faults") or []
        elif isinstance(bugs, dict) and any(isinstance(v, dict) and "comments" in v for v in bugs.values()):
            self.comment_files += 1
            for bug_id, entry in bugs.items():
                self.comments.setdefault(str(bug_id), []).extend(objects((entry or {}).get("comments")))
        elif isinstance(bugs, dict):
            for bug_id, items in bugs.items():
                self.attachments.setdefault(str(bug_id), []).extend(objects(items))

    def records(self) -> Iterator[Record]:
        for number, (file, row, raw) in enumerate(self.bugs):
            notes = self._first_notes() if number == 0 else []
            bug = _Bug(raw, self._people(raw), self._comments(raw), self._attachments(raw))
            yield Record(file.label, row, build_record(bug, self.internal), nested=True, notes=notes)

    def _people(self, raw: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {
            name: _person(raw.get(name), raw.get(f"{name}_detail"))
            for name in ("creator", "assigned_to", "qa_contact")
        }
        details = objects(raw.get("cc_detail"))
        out["cc"] = [
            _person(login, details[i] if i < len(details) else None)
            for i, login in enumerate(raw.get("cc") or [])
        ]
        return out

    def _comments(self, raw: dict[str, Any]) -> list[dict[str, Any]]:
        found = sorted(
            self.comments.get(str(raw.get("id")), []), key=lambda c: (c.get("count") or 0, c.get("id") or 0)
        )
        return [
            {
                "id": str(c.get("id")),
                "count": c.get("count"),
                "text": c.get("text"),
                "creator": _person(c.get("creator") or c.get("author"), None),
                "creation_time": c.get("creation_time") or c.get("time"),
                "is_private": bool(c.get("is_private")),
                "attachment_id": str(c["attachment_id"]) if c.get("attachment_id") else None,
            }
            for c in found
        ]

    def _attachments(self, raw: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            {
                "id": str(a.get("id")),
                "file_name": a.get("file_name"),
                "description": a.get("summary") or a.get("description"),
                "path": f"{a.get('id')}/{a.get('file_name')}",
                "size": a.get("size"),
                "content_type": a.get("content_type"),
                "creator": _person(a.get("creator") or a.get("attacher"), None),
                "creation_time": a.get("creation_time"),
                "is_obsolete": bool(a.get("is_obsolete")),
                "is_patch": bool(a.get("is_patch")),
                "is_private": bool(a.get("is_private")),
            }
            for a in self.attachments.get(str(raw.get("id")), [])
        ]

    def _first_notes(self) -> list[Note]:
        notes = self.loader.notes() + ([self.see_also_note] if self.see_also_note else [])
        if self.faults:
            notes.append(
                Note(
                    "bugzilla.faults",
                    f"the bug list answered {len(self.faults)} fault(s): those bugs are not in the export",
                    field="faults",
                    value=str(self.faults[0])[:200],
                    hint="ask for them with an account that may see them",
                    severity=Severity.WARNING,
                )
            )
        if not self.comment_files:
            notes.append(
                Note(
                    "bugzilla.no_comments",
                    "the export has no comments answer: descriptions (comment 0) and comments are empty",
                    field="comments",
                    hint="add GET /rest/bug/comment?ids=… saved as comments.json",
                    severity=Severity.WARNING,
                )
            )
        return notes


def _person(login: Any, detail: Any) -> dict[str, Any] | None:
    if not login and not isinstance(detail, dict):
        return None
    detail = detail if isinstance(detail, dict) else {}
    name = str(detail.get("name") or login or "")
    email = detail.get("email") or (name if "@" in name else None)
    return {"login": name, "email": email, "name": detail.get("real_name") or None}


def _see_also_resolver(urls: list[str], exported: set[str]) -> tuple[Any, Note | None]:
    hosts = {urlsplit(u).netloc.casefold() for u in urls if bug_id_in(u) in exported}
    if len(hosts) > 1:
        note = Note(
            "bugzilla.see_also_ambiguous",
            f"see_also URLs of {len(hosts)} hosts name bugs with exported ids ({', '.join(sorted(hosts))}); "
            "none is taken as this Bugzilla, they stay URLs",
            field="see_also",
            hint="export as XML (it names its Bugzilla), or edit the links after the import",
            severity=Severity.WARNING,
        )
        return (lambda url: None), note

    def internal(url: str) -> str | None:
        found = bug_id_in(url)
        return found if found in exported and urlsplit(url).netloc.casefold() in hosts else None

    return internal, None


# -- show_bug XML ------------------------------------------------------------------------------------


class XmlBugs:
    """One ``show_bug.cgi?ctype=xml`` document."""

    def __init__(self, adapter: Adapter, file: SourceFile) -> None:
        self.file = file
        self.path = file.local_path()
        self.urlbase = _urlbase(self.path)
        self.cache = cache_folder(self.path, adapter.source.archives) / "attachments"
        self.limits = adapter.source.limits

    def records(self) -> Iterator[Record]:
        """Two streamed passes: the bug ids first (a see-also link is inside the export only when
        its bug is), then the bugs — one bug, inline attachments included, in memory at a time."""
        exported = {str(_text(r.values.get("bug_id"))) for r in self._bugs() if not r.values.get("@error")}
        for record in self._bugs():
            if record.values.get("@error"):
                yield self._refused(record)
                continue
            notes = list(record.notes)
            bug = self._bug(dict(record.values), notes)
            values = build_record(bug, lambda url: self._internal(url, exported))
            yield Record(self.file.label, record.row, values, nested=True, notes=notes)

    def _bugs(self) -> Iterator[Record]:
        return read_xml(self.path, records="bugzilla.bug", limits=self.limits)

    def _refused(self, record: Record) -> Record:
        """``<bug error="NotPermitted">`` (or ``NotFound``, ``InvalidBugId``): Bugzilla would not
        show that bug to the exporting account — reported, and skipped."""
        bug_id = str(_text(record.values.get("bug_id")))
        note = Note(
            "bugzilla.bug_error",
            f"bug {bug_id} is not in the export: Bugzilla answered {record.values['@error']}",
            field="bug",
            value=bug_id,
            hint="export it with an account that may see it",
            severity=Severity.WARNING,
        )
        return Record(self.file.label, record.row, {"id": bug_id}, nested=True, notes=[note], usable=False)

    def _internal(self, url: str, exported: set[str]) -> str | None:
        found = bug_id_in(url)
        if found not in exported:
            return None
        return found if not self.urlbase or url.startswith(self.urlbase) else None

    def _bug(self, raw: dict[str, Any], notes: list[Note]) -> _Bug:
        fields = {_XML_FIELDS.get(name, name): value for name, value in raw.items()}
        people = {
            "creator": _xml_person(raw.get("reporter")),
            "assigned_to": _xml_person(raw.get("assigned_to")),
            "qa_contact": _xml_person(raw.get("qa_contact")),
            "cc": [p for p in (_xml_person(c) for c in _each(raw.get("cc"))) if p],
        }
        comments = [self._comment(c, n) for n, c in enumerate(_each(raw.get("long_desc")))]
        attachments = [
            self._attachment(str(fields.get("id")), a, notes) for a in _each(raw.get("attachment"))
        ]
        return _Bug(fields, people, comments, attachments)

    def _comment(self, raw: Any, position: int) -> dict[str, Any]:
        raw = raw if isinstance(raw, dict) else {"thetext": raw}
        count = raw.get("comment_count")
        return {
            "id": str(raw.get("commentid") or f"{position}"),
            "count": int(count) if str(count or "").isdigit() else position,
            "text": _text(raw.get("thetext")),
            "creator": _xml_person(raw.get("who")),
            "creation_time": _text(raw.get("bug_when")),
            "is_private": str(raw.get("@isprivate") or "0") == "1",
            "attachment_id": _text(raw.get("attachid")) or None,
        }

    def _attachment(self, bug_id: str, raw: Any, notes: list[Note]) -> dict[str, Any]:
        raw = raw if isinstance(raw, dict) else {}
        attach_id = str(_text(raw.get("attachid")))
        name = _safe_name(str(_text(raw.get("filename")) or ""), attach_id)
        target = self.cache / attach_id / name
        self._write(target, raw.get("data"), attach_id, notes)
        size = _text(raw.get("size"))
        return {
            "id": attach_id,
            "file_name": name,
            "description": _text(raw.get("desc")),
            "path": str(target),
            "size": int(size) if str(size or "").isdigit() else None,
            "content_type": _text(raw.get("type")),
            "creator": _xml_person(raw.get("attacher")),
            "creation_time": _text(raw.get("date")),
            "is_obsolete": str(raw.get("@isobsolete") or "0") == "1",
            "is_patch": str(raw.get("@ispatch") or "0") == "1",
            "is_private": str(raw.get("@isprivate") or "0") == "1",
        }

    def _write(self, target: Path, data: Any, attach_id: str, notes: list[Note]) -> None:
        """Decode the inline content once into the cache; no content (deleted, or exported
        without data) writes nothing, and the attachment is then missing."""
        encoded = _text(data) or ""
        if not encoded.strip():
            return
        try:
            content = base64.b64decode(encoded, validate=False)
        except (binascii.Error, ValueError) as exc:
            notes.append(
                Note(
                    "bugzilla.attachment_undecodable",
                    f"attachment {attach_id}: its base64 content cannot be decoded ({exc})",
                    field="attachment.data",
                    value=attach_id,
                    hint="export the bug again with attachment data",
                    severity=Severity.WARNING,
                )
            )
            return
        if target.is_file() and target.stat().st_size == len(content):
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name(target.name + ".part")
        part.write_bytes(content)
        part.replace(target)


def _urlbase(path: Path) -> str | None:
    with path.open("rb") as handle:
        head = handle.read(4096)
    match = _URLBASE.search(head)
    return match.group(1).decode("utf-8", "replace") if match else None


def _xml_person(value: Any) -> dict[str, Any] | None:
    if isinstance(value, dict):
        login, name = str(value.get(TEXT_KEY) or "").strip(), str(value.get("@name") or "").strip()
    else:
        login, name = str(value or "").strip(), ""
    if not login:
        return None
    return {"login": login, "email": login if "@" in login else None, "name": name or None}


def _each(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _safe_name(name: str, attach_id: str) -> str:
    base = PurePosixPath(name.replace("\\", "/")).name
    return base if base not in ("", ".", "..") else f"attachment-{attach_id}"
