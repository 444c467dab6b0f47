"""Response shapes, copied from the examples of Tracker's API documentation (issues, comments,
links, attachments, worklogs and the reference data: users, statuses, types, queues, fields).

``base`` is the request's own ``host_url`` plus the API version (``http://127.0.0.1:8765/v2``), so
``self`` URLs point back at the sandbox that answered and clients can follow them.

One room (over 500 lines): every response shape of the API, so a reader comparing the sandbox with
the documentation's examples finds them all in one file; they share the reference-object helpers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

from migrator.sandbox.org import (
    Component,
    Field,
    IssueType,
    LinkType,
    Org,
    Priority,
    Queue,
    Resolution,
    Status,
    User,
    Version,
    Workflow,
)
from migrator.sandbox.rules import FIELD_KINDS, field_kind
from migrator.sandbox.store import AttachmentRow, ChildRow, IssueRow
from migrator.sandbox.times import format_duration_ms, format_ms

QUEUE_EXPANDS = (
    "projects",
    "components",
    "versions",
    "types",
    "team",
    "workflows",
    "fields",
    "issueTypesConfig",
)
_DURATIONS = ("originalEstimation", "estimation", "spent")
_USER_LISTS = ("followers", "access", "votedBy")
_PLAIN = (
    "description",
    "tags",
    "deadline",
    "start",
    "end",
    "storyPoints",
    "markupType",
    "descriptionRenderType",
    "sprint",
)


def hex_id(kind: str, number: int) -> str:
    """A stable 24-hex id (issues' ``id``, comments' ``longId``)."""
    return hashlib.sha1(f"{kind}:{number}".encode()).hexdigest()[:24]


class Serializer:
    def __init__(self, base: str, org: Org, queue_by_key: Callable[[str], Queue | None]) -> None:
        self.base = base
        self.org = org
        self.queue_by_key = queue_by_key

    # --- references ---
    def user_ref(self, uid: int) -> dict[str, Any]:
        user = self.org.user_index.by_uid.get(uid)
        return {
            "self": f"{self.base}/users/{uid}",
            "id": str(uid),
            "display": user.display if user else str(uid),
        }

    def _keyed_ref(self, path: str, item: Status | IssueType | Priority | Resolution) -> dict[str, Any]:
        return {
            "self": f"{self.base}/{path}/{item.id}",
            "id": str(item.id),
            "key": item.key,
            "display": item.name,
        }

    def status_ref(self, status_id: int) -> dict[str, Any]:
        return self._keyed_ref("statuses", self.org.status_index.by_id[str(status_id)])

    def type_ref(self, type_id: int) -> dict[str, Any]:
        return self._keyed_ref("issuetypes", self.org.type_index.by_id[str(type_id)])

    def priority_ref(self, priority_id: int) -> dict[str, Any]:
        return self._keyed_ref("priorities", self.org.priority_index.by_id[str(priority_id)])

    def resolution_ref(self, resolution_id: int) -> dict[str, Any]:
        return self._keyed_ref("resolutions", self.org.resolution_index.by_id[str(resolution_id)])

    def queue_ref(self, queue: Queue) -> dict[str, Any]:
        return {
            "self": f"{self.base}/queues/{queue.key}",
            "id": str(queue.id),
            "key": queue.key,
            "display": queue.name,
        }

    def _queue_ref_by_key(self, key: str) -> dict[str, Any]:
        queue = self.queue_by_key(key)
        if queue is None:
            return {"self": f"{self.base}/queues/{key}", "id": key, "key": key, "display": key}
        return self.queue_ref(queue)

    def issue_ref(self, issue: IssueRow) -> dict[str, Any]:
        return {
            "self": f"{self.base}/issues/{issue.key}",
            "id": issue.id,
            "key": issue.key,
            "display": issue.data.get("summary", ""),
        }

    def component_ref(self, component: Component) -> dict[str, Any]:
        return {
            "self": f"{self.base}/components/{component.id}",
            "id": str(component.id),
            "display": component.name,
        }

    def version_ref(self, version: Version) -> dict[str, Any]:
        return {"self": f"{self.base}/versions/{version.id}", "id": str(version.id), "display": version.name}

    def maillist_ref(self, address: str) -> dict[str, Any]:
        return {"self": f"{self.base}/maillists/{address}", "id": address, "display": address.split("@")[0]}

    def link_type(self, link_type: LinkType) -> dict[str, Any]:
        return {
            "self": f"{self.base}/linktypes/{link_type.id}",
            "id": link_type.id,
            "inward": link_type.inward,
            "outward": link_type.outward,
        }

    # --- issues ---
    def issue(
        self,
        issue: IssueRow,
        viewer: User | None = None,
        parent: Callable[[int], IssueRow | None] | None = None,
    ) -> dict[str, Any]:
        data = issue.data
        queue = self.queue_by_key(issue.queue)
        out: dict[str, Any] = {
            "self": f"{self.base}/issues/{issue.key}",
            "id": issue.id,
            "key": issue.key,
            "version": issue.version,
            "summary": data["summary"],
            "type": self.type_ref(data["type"]),
            "queue": self._queue_ref_by_key(issue.queue),
            "status": self.status_ref(data["status"]),
            "createdAt": format_ms(issue.created_at),
            "createdBy": self.user_ref(data["createdBy"]),
            "updatedAt": format_ms(issue.updated_at),
            "updatedBy": self.user_ref(data["updatedBy"]),
            "votes": len(data.get("votedBy") or []),
            "favorite": viewer is not None and viewer.uid in (data.get("favoritedBy") or []),
            "commentWithoutExternalMessageCount": int(data.get("commentCount", 0)),
            "commentWithExternalMessageCount": 0,
        }
        if data.get("priority") is not None:
            out["priority"] = self.priority_ref(data["priority"])
        self._issue_optional(out, data, queue)
        if data.get("resolution") is not None:
            out["resolution"] = self.resolution_ref(data["resolution"])
            out["resolvedAt"] = format_ms(data["resolvedAt"])
            out["resolvedBy"] = self.user_ref(data["resolvedBy"])
        if issue.unique is not None:
            out["unique"] = issue.unique
        if parent is not None and data.get("parent") is not None:
            parent_issue = parent(int(data["parent"]))
            if parent_issue is not None:
                out["parent"] = self.issue_ref(parent_issue)
        self._custom(out, data, queue)
        return out

    def _issue_optional(self, out: dict[str, Any], data: dict[str, Any], queue: Queue | None) -> None:
        for name in _PLAIN:
            if data.get(name) not in (None, []):
                out[name] = data[name]
        if data.get("assignee") is not None:
            out["assignee"] = self.user_ref(data["assignee"])
        for name in _USER_LISTS:
            if data.get(name):
                out[name] = [self.user_ref(uid) for uid in data[name]]
        for name in _DURATIONS:
            if data.get(name) is not None:
                out[name] = format_duration_ms(data[name])
        if data.get("followingMaillists"):
            out["followingMaillists"] = [self.maillist_ref(m) for m in data["followingMaillists"]]
        if queue is not None:
            components = queue.component_index()
            versions = queue.version_index()
            if data.get("components"):
                out["components"] = [
                    self.component_ref(components.by_id[str(c)])
                    for c in data["components"]
                    if str(c) in components.by_id
                ]
            for name in ("fixVersions", "affectedVersions"):
                if data.get(name):
                    out[name] = [
                        self.version_ref(versions.by_id[str(v)])
                        for v in data[name]
                        if str(v) in versions.by_id
                    ]

    def _custom(self, out: dict[str, Any], data: dict[str, Any], queue: Queue | None) -> None:
        for field_id, value in (data.get("fields") or {}).items():
            item = self.org.field_index.by_id.get(field_id)
            out[field_id] = self._custom_value(item, value)
        for field_id, value in (data.get("local") or {}).items():
            item = queue.local_field(field_id) if queue else None
            out[field_id] = self._custom_value(item, value)

    def _custom_value(self, item: Field | None, value: Any) -> Any:
        kind = field_kind(item) if item is not None and item.id not in FIELD_KINDS else "any"
        if kind == "user":
            return self.user_ref(value)
        if kind == "users":
            return [self.user_ref(uid) for uid in value]
        return value

    # --- children ---
    def comment(
        self, issue: IssueRow, row: ChildRow, attachments: Iterable[AttachmentRow] = ()
    ) -> dict[str, Any]:
        data = row.data
        out: dict[str, Any] = {
            "self": f"{self.base}/issues/{issue.key}/comments/{row.id}",
            "id": row.id,
            "longId": hex_id("comment", row.id),
            "text": data["text"],
            "createdBy": self.user_ref(data["createdBy"]),
            "updatedBy": self.user_ref(data["updatedBy"]),
            "createdAt": format_ms(data["createdAt"]),
            "updatedAt": format_ms(data["updatedAt"]),
            "version": int(data.get("version", 1)),
            "type": "standard",
            "transport": "internal",
        }
        files = [self.attachment_ref(issue, a) for a in attachments]
        if files:
            out["attachments"] = files
        for name in ("markupType", "summonees"):
            if data.get(name):
                out[name] = [self.user_ref(u) for u in data[name]] if name == "summonees" else data[name]
        return out

    def link(self, issue: IssueRow, row: ChildRow, other: IssueRow) -> dict[str, Any]:
        data = row.data
        link_type = self.org.link_type_index.by_id[data["type"]]
        out: dict[str, Any] = {
            "self": f"{self.base}/issues/{issue.key}/links/{row.id}",
            "id": row.id,
            "type": self.link_type(link_type),
            "direction": data["direction"],
            "object": self.issue_ref(other),
            "createdBy": self.user_ref(data["createdBy"]),
            "updatedBy": self.user_ref(data["updatedBy"]),
            "createdAt": format_ms(data["createdAt"]),
            "updatedAt": format_ms(data["updatedAt"]),
        }
        if other.data.get("assignee") is not None:
            out["assignee"] = self.user_ref(other.data["assignee"])
        out["status"] = self.status_ref(other.data["status"])
        return out

    def attachment_urls(self, issue: IssueRow | None, row: AttachmentRow) -> tuple[str, str]:
        prefix = f"{self.base}/issues/{issue.key}" if issue is not None else self.base
        self_url = f"{prefix}/attachments/{row.id}"
        return self_url, f"{self_url}/{quote(row.data['name'])}"

    def attachment(self, issue: IssueRow | None, row: AttachmentRow) -> dict[str, Any]:
        data = row.data
        self_url, content = self.attachment_urls(issue, row)
        out: dict[str, Any] = {"self": self_url, "id": str(row.id), "name": data["name"], "content": content}
        if data.get("image") and issue is not None:
            out["thumbnail"] = f"{self.base}/issues/{issue.key}/thumbnails/{row.id}"
        out.update(
            createdBy=self.user_ref(data["createdBy"]),
            createdAt=format_ms(data["createdAt"]),
            mimetype=data["mimetype"],
            size=data["size"],
        )
        if data.get("image"):
            out["metadata"] = {"size": data["image"]}
        return out

    def attachment_ref(self, issue: IssueRow, row: AttachmentRow) -> dict[str, Any]:
        self_url, _content = self.attachment_urls(issue, row)
        return {"self": self_url, "id": str(row.id), "display": row.data["name"]}

    def worklog(self, issue: IssueRow, row: ChildRow) -> dict[str, Any]:
        data = row.data
        out: dict[str, Any] = {
            "self": f"{self.base}/issues/{issue.key}/worklog/{row.id}",
            "id": row.id,
            "version": int(data.get("version", 1)),
            "issue": self.issue_ref(issue),
        }
        if data.get("comment") is not None:
            out["comment"] = data["comment"]
        out.update(
            createdBy=self.user_ref(data["createdBy"]),
            updatedBy=self.user_ref(data["updatedBy"]),
            createdAt=format_ms(data["createdAt"]),
            updatedAt=format_ms(data["updatedAt"]),
            start=format_ms(data["start"]),
            duration=format_duration_ms(data["duration"]),
        )
        return out

    # --- directory ---
    def user(self, user: User) -> dict[str, Any]:
        return {
            "self": f"{self.base}/users/{user.uid}",
            "uid": user.uid,
            "login": user.login,
            "trackerUid": user.uid,
            "passportUid": user.uid,
            "firstName": user.first_name,
            "lastName": user.last_name,
            "display": user.display,
            "email": user.email,
            "external": False,
            "hasLicense": True,
            "dismissed": user.dismissed,
            "useNewFilters": True,
            "disableNotifications": False,
            "welcomeMailSent": True,
        }

    def status(self, item: Status) -> dict[str, Any]:
        return {
            "self": f"{self.base}/statuses/{item.id}",
            "id": item.id,
            "version": 1,
            "key": item.key,
            "name": item.name,
            "description": "",
            "order": item.order,
            "type": item.type,
        }

    def issue_type(self, item: IssueType) -> dict[str, Any]:
        return {
            "self": f"{self.base}/issuetypes/{item.id}",
            "id": item.id,
            "version": 1,
            "key": item.key,
            "name": item.name,
            "description": "",
        }

    def priority(self, item: Priority) -> dict[str, Any]:
        return {
            "self": f"{self.base}/priorities/{item.id}",
            "id": item.id,
            "key": item.key,
            "version": 1,
            "name": item.name,
            "order": item.order,
        }

    def resolution(self, item: Resolution) -> dict[str, Any]:
        return {
            "self": f"{self.base}/resolutions/{item.id}",
            "id": item.id,
            "key": item.key,
            "version": 1,
            "name": item.name,
            "description": "",
            "order": item.id,
        }

    def field(self, item: Field, queue: Queue | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "self": (
                f"{self.base}/queues/{queue.key}/localFields/{item.key}"
                if queue
                else f"{self.base}/fields/{item.id}"
            ),
            "id": item.id,
            "key": item.key,
            "version": 1,
            "name": item.name,
            "schema": dict(item.schema),
            "readonly": item.readonly,
            "options": bool(item.options),
            "suggest": False,
            "queryProvider": {"type": "StandardFieldQueryProvider"},
            "order": 1,
        }
        if item.options:
            out["optionsProvider"] = {
                "type": "FixedListOptionsProvider",
                "needValidation": True,
                "values": list(item.options),
            }
        if queue is not None:
            out.update(queue=self.queue_ref(queue), type="local")
        else:
            out["type"] = "standard"
        return out

    def workflow(self, item: Workflow) -> dict[str, Any]:
        """``steps`` (one per status, with an action to every other status) and ``initialAction``,
        the shape Tracker's API documentation gives for ``/v2/workflows/{id}``."""
        statuses = [self.org.status_index.by_key[s] for s in item.statuses]
        return {
            "self": f"{self.base}/workflows/{item.id}",
            "id": item.id,
            "version": 1,
            "name": item.name,
            "initialAction": {
                "name": {"en": "Create", "ru": "Создать"},
                "target": self._keyed_ref("statuses", self.org.status_index.by_key[item.initial]),
            },
            "steps": [
                {
                    "status": self._keyed_ref("statuses", status),
                    "actions": [
                        {
                            "name": {"en": other.name, "ru": other.name},
                            "target": self._keyed_ref("statuses", other),
                        }
                        for other in statuses
                        if other.key != status.key
                    ],
                }
                for status in statuses
            ],
        }

    def component(self, queue: Queue, item: Component) -> dict[str, Any]:
        return {
            "self": f"{self.base}/components/{item.id}",
            "id": item.id,
            "version": 1,
            "name": item.name,
            "queue": self.queue_ref(queue),
            "description": item.description,
            "assignAuto": False,
            "archived": False,
        }

    def version(self, queue: Queue, item: Version) -> dict[str, Any]:
        return {
            "self": f"{self.base}/versions/{item.id}",
            "id": item.id,
            "version": 1,
            "queue": self.queue_ref(queue),
            "name": item.name,
            "description": item.description,
            "released": item.released,
            "archived": item.archived,
        }

    def queue(self, queue: Queue, version: int, expand: Iterable[str] = ()) -> dict[str, Any]:
        out: dict[str, Any] = {
            "self": f"{self.base}/queues/{queue.key}",
            "id": queue.id,
            "key": queue.key,
            "version": version,
            "name": queue.name,
            "description": queue.description,
            "lead": self._lead(queue),
            "assignAuto": False,
            "defaultType": self.type_ref(self.org.type_index.by_key[queue.default_type].id),
            "allowExternals": False,
            "denyVoting": False,
        }
        if queue.default_priority:
            out["defaultPriority"] = self.priority_ref(
                self.org.priority_index.by_key[queue.default_priority].id
            )
        wanted = set(QUEUE_EXPANDS) if "all" in expand else set(expand)
        self._queue_expand(out, queue, wanted)
        return out

    def _lead(self, queue: Queue) -> dict[str, Any] | None:
        lead = self.org.user_index.by_login.get(queue.lead)
        return self.user_ref(lead.uid) if lead else None

    def _queue_expand(self, out: dict[str, Any], queue: Queue, wanted: set[str]) -> None:
        types = [self.org.type_index.by_key[t] for t in queue.type_keys()]
        if "types" in wanted:
            out["issueTypes"] = [self._keyed_ref("issuetypes", t) for t in types]
        if "versions" in wanted:
            out["versions"] = [self.version_ref(v) for v in queue.versions]
        if "components" in wanted:
            out["components"] = [self.component_ref(c) for c in queue.components]
        if "projects" in wanted:
            out["projects"] = []
        if "team" in wanted:
            out["teamUsers"] = []
        if "fields" in wanted:
            out["fields"] = [self.field(f, queue) for f in queue.local_fields]
        if "workflows" in wanted:
            out["workflows"] = {
                w.id: [self._keyed_ref("issuetypes", self.org.type_index.by_key[t]) for t in w.types]
                for w in queue.workflows
            }
        if "issueTypesConfig" in wanted:
            out["issueTypesConfig"] = [self._type_config(queue, t) for t in types]

    def _type_config(self, queue: Queue, issue_type: IssueType) -> dict[str, Any]:
        workflow = queue.workflow_for(issue_type.key)
        assert workflow is not None
        allowed = queue.allowed_resolutions(issue_type.key)
        resolutions = [r for r in self.org.resolutions if allowed is None or r.key in allowed]
        return {
            "issueType": self._keyed_ref("issuetypes", issue_type),
            "workflow": {
                "self": f"{self.base}/workflows/{workflow.id}",
                "id": workflow.id,
                "display": workflow.name,
            },
            "resolutions": [self._keyed_ref("resolutions", r) for r in resolutions],
        }
