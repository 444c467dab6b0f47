"""Org fixture / target snapshot (format in docs/architecture.md): load, check, fill ids, dump.

A hand-written fixture may omit ids (assigned in order). Every problem found is reported at once
through :class:`migrator.errors.ConfigError`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from migrator.errors import ConfigError
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

DEFAULT_FIXTURE_NAME = "default_fixture.yaml"
FIRST_UID = 1_100_000_000_000_001


def default_fixture_text() -> str:
    return resources.files("migrator.sandbox").joinpath(DEFAULT_FIXTURE_NAME).read_text(encoding="utf-8")


def read_fixture(source: str | Path | dict[str, Any] | None) -> tuple[dict[str, Any], str]:
    """The raw fixture mapping and a label for error messages."""
    if isinstance(source, dict):
        return source, "<fixture>"
    if source is None:
        return _parse(default_fixture_text(), DEFAULT_FIXTURE_NAME), DEFAULT_FIXTURE_NAME
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(path), [f"cannot read the fixture: {exc.strerror or exc}"]) from exc
    return _parse(text, str(path)), str(path)


def _parse(text: str, label: str) -> dict[str, Any]:
    try:
        data = json.loads(text) if label.endswith(".json") else yaml.load(text, Loader=yaml.CSafeLoader)
    except (ValueError, yaml.YAMLError, RecursionError) as exc:  # RecursionError: absurd nesting
        raise ConfigError(label, [f"not valid YAML/JSON: {exc}"]) from None
    if not isinstance(data, dict):
        raise ConfigError(label, ["the fixture must be a mapping with org, users, statuses, ... sections"])
    return data


def load_org(source: str | Path | dict[str, Any] | None) -> Org:
    raw, label = read_fixture(source)
    return build_org(raw, label)


def build_org(raw: dict[str, Any], label: str = "<fixture>") -> Org:
    builder = _Builder(label)
    try:
        org = builder.build(raw)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(
            label, [*builder.problems, f"malformed fixture ({type(exc).__name__}: {exc})"]
        ) from exc
    if builder.problems:
        raise ConfigError(label, builder.problems)
    return org


class _Builder:
    def __init__(self, label: str) -> None:
        self.label = label
        self.problems: list[str] = []
        self.next_component_id = 1
        self.next_version_id = 1

    def build(self, raw: dict[str, Any]) -> Org:
        org_section = raw.get("org") or {}
        org_id = str(org_section.get("id", "1"))
        cloud = org_section.get("cloud_org_id")
        users = self._users(raw.get("users") or [])
        statuses = self._items(raw, "statuses", _status)
        types = self._items(raw, "issue_types", _issue_type)
        priorities = self._items(raw, "priorities", _priority)
        resolutions = self._items(raw, "resolutions", _resolution)
        link_types = [_link_type(i, item) for i, item in enumerate(raw.get("link_types") or [])]
        fields = [_field(item) for item in raw.get("fields") or []]
        self._unique("users", [u.login for u in users])
        self._unique("users (uid)", [u.uid for u in users])
        for name, items in (
            ("statuses", statuses),
            ("issue_types", types),
            ("priorities", priorities),
            ("resolutions", resolutions),
        ):
            self._unique(name, [i.key for i in items])
            self._unique(f"{name} (id)", [i.id for i in items])
        self._unique("link_types", [t.id for t in link_types])
        self._unique("fields", [f.id for f in fields])
        org = Org(
            org_id,
            str(cloud) if cloud else None,
            users,
            statuses,
            types,
            priorities,
            resolutions,
            link_types,
            fields,
            [],
            tokens=_tokens(raw.get("tokens")),
        )
        org.queues = [
            self._queue(org, {"id": index + 1, **item}) for index, item in enumerate(raw.get("queues") or [])
        ]
        self._unique("queues", [q.key for q in org.queues])
        self._check_tokens(org)
        return org

    def _unique(self, section: str, values: Iterable[Any]) -> None:
        seen: set[Any] = set()
        for value in values:
            if value in seen:
                self.problems.append(f"{section}: {value!r} appears twice")
            seen.add(value)

    def _items(
        self, raw: dict[str, Any], section: str, make: Callable[[int, dict[str, Any]], Any]
    ) -> list[Any]:
        items = raw.get(section) or []
        taken = {int(i["id"]) for i in items if isinstance(i, dict) and "id" in i}
        next_id = 1
        out = []
        for index, item in enumerate(items):
            if not isinstance(item, dict) or "key" not in item:
                self.problems.append(f"{section}[{index}]: needs at least a key")
                continue
            if "id" not in item:
                while next_id in taken:
                    next_id += 1
                item = {**item, "id": next_id}
                taken.add(next_id)
            out.append(make(index, item))
        return out

    def _users(self, items: list[Any]) -> list[User]:
        users = []
        for index, item in enumerate(items):
            if not isinstance(item, dict) or not item.get("login"):
                self.problems.append(f"users[{index}]: needs a login")
                continue
            users.append(_user(index, item))
        return users

    def _queue(self, org: Org, item: dict[str, Any]) -> Queue:
        key = str(item.get("key", ""))
        where = f"queues[{key or '?'}]"
        if not key:
            self.problems.append("queues: a queue needs a key")
        workflows = tuple(_workflow(w) for w in item.get("workflows") or [])
        if not workflows:
            self.problems.append(f"{where}: needs at least one workflow")
        for workflow in workflows:
            self._check_workflow(org, where, workflow)
        self._unique(f"{where} workflow types", [t for w in workflows for t in w.types])
        queue = Queue(
            id=int(item.get("id") or 1),
            key=key,
            name=str(item.get("name") or key),
            description=str(item.get("description") or ""),
            lead=str(item.get("lead") or ""),
            default_type=str(item.get("default_type") or (workflows[0].types[0] if workflows else "")),
            default_priority=str(item.get("default_priority") or ""),
            workflows=workflows,
            hex_id=str(item.get("hex_id") or queue_hex_id(key)),
            resolutions={str(k): tuple(v or ()) for k, v in (item.get("resolutions") or {}).items()},
            components=tuple(self._component(c) for c in item.get("components") or []),
            versions=tuple(self._version(v) for v in item.get("versions") or []),
            local_fields=tuple(
                _local_field(key, item.get("hex_id") or queue_hex_id(key), f)
                for f in item.get("local_fields") or []
            ),
        )
        self._check_queue(org, where, queue)
        return queue

    def _check_workflow(self, org: Org, where: str, workflow: Workflow) -> None:
        for status in workflow.statuses:
            if org.status_index.by_key.get(status) is None:
                self.problems.append(f"{where} workflow {workflow.id}: unknown status {status!r}")
        if workflow.initial not in workflow.statuses:
            self.problems.append(
                f"{where} workflow {workflow.id}: initial status {workflow.initial!r} "
                "is not one of its statuses"
            )
        for type_key in workflow.types:
            if org.type_index.by_key.get(type_key) is None:
                self.problems.append(f"{where} workflow {workflow.id}: unknown issue type {type_key!r}")

    def _check_queue(self, org: Org, where: str, queue: Queue) -> None:
        if queue.lead and org.user_index.by_login.get(queue.lead) is None:
            self.problems.append(f"{where}: lead {queue.lead!r} is not a user")
        if queue.default_type not in queue.type_keys():
            self.problems.append(f"{where}: default_type {queue.default_type!r} is in none of its workflows")
        if queue.default_priority and org.priority_index.by_key.get(queue.default_priority) is None:
            self.problems.append(f"{where}: unknown default_priority {queue.default_priority!r}")
        for type_key, allowed in queue.resolutions.items():
            for resolution in allowed:
                if org.resolution_index.by_key.get(resolution) is None:
                    self.problems.append(
                        f"{where} resolutions[{type_key}]: unknown resolution {resolution!r}"
                    )

    def _check_tokens(self, org: Org) -> None:
        for token, login in org.tokens.items():
            if org.user_index.by_login.get(login) is None:
                self.problems.append(f"tokens: token {token[:4]}… names unknown user {login!r}")

    def _component(self, item: dict[str, Any]) -> Component:
        cid = int(item.get("id") or self.next_component_id)
        self.next_component_id = max(self.next_component_id, cid) + 1
        return Component(cid, str(item["name"]), str(item.get("description") or ""))

    def _version(self, item: dict[str, Any]) -> Version:
        vid = int(item.get("id") or self.next_version_id)
        self.next_version_id = max(self.next_version_id, vid) + 1
        return Version(
            vid,
            str(item["name"]),
            str(item.get("description") or ""),
            bool(item.get("released", False)),
            bool(item.get("archived", False)),
        )


def queue_hex_id(key: str) -> str:
    """A stable 24-hex internal queue id (used in local field ids ``<hex>--<key>``)."""
    return hashlib.sha1(f"queue:{key}".encode()).hexdigest()[:24]


def _tokens(raw: Any) -> dict[str, str]:
    if not raw:
        return {}
    if isinstance(raw, dict):
        return {str(token): str(login) for token, login in raw.items()}
    return {str(item["token"]): str(item["login"]) for item in raw}


def _user(index: int, item: dict[str, Any]) -> User:
    first = str(item.get("first_name") or "")
    last = str(item.get("last_name") or "")
    login = str(item["login"])
    return User(
        uid=int(item.get("uid") or FIRST_UID + index),
        login=login,
        email=str(item.get("email") or f"{login}@example.com"),
        display=str(item.get("display") or f"{first} {last}".strip() or login),
        first_name=first,
        last_name=last,
        admin=bool(item.get("admin", False)),
        token=str(item["token"]) if item.get("token") else None,
        dismissed=bool(item.get("dismissed", False)),
    )


def _status(index: int, item: dict[str, Any]) -> Status:
    return Status(
        int(item["id"]),
        str(item["key"]),
        str(item.get("name") or item["key"]),
        str(item.get("type") or "new"),
        int(item.get("order") or (index + 1) * 100),
    )


def _issue_type(index: int, item: dict[str, Any]) -> IssueType:
    return IssueType(int(item["id"]), str(item["key"]), str(item.get("name") or item["key"]))


def _priority(index: int, item: dict[str, Any]) -> Priority:
    return Priority(
        int(item["id"]),
        str(item["key"]),
        str(item.get("name") or item["key"]),
        int(item.get("order") or index + 1),
    )


def _resolution(index: int, item: dict[str, Any]) -> Resolution:
    return Resolution(int(item["id"]), str(item["key"]), str(item.get("name") or item["key"]))


def _link_type(index: int, item: dict[str, Any]) -> LinkType:
    return LinkType(
        str(item["id"]), str(item.get("inward") or item["id"]), str(item.get("outward") or item["id"])
    )


def _field(item: dict[str, Any]) -> Field:
    fid = str(item.get("id") or item["key"])
    options = item.get("options")
    return Field(
        fid,
        str(item.get("key") or fid),
        str(item.get("name") or fid),
        dict(item.get("schema") or {"type": "string"}),
        tuple(options) if options else None,
        bool(item.get("readonly", False)),
    )


def _local_field(queue_key: str, hex_id: str, item: dict[str, Any]) -> Field:
    key = str(item["key"])
    options = item.get("options")
    return Field(
        str(item.get("id") or f"{hex_id}--{key}"),
        key,
        str(item.get("name") or key),
        dict(item.get("schema") or {"type": "string"}),
        tuple(options) if options else None,
        bool(item.get("readonly", False)),
    )


def _workflow(item: dict[str, Any]) -> Workflow:
    statuses = tuple(str(s) for s in item.get("statuses") or [])
    return Workflow(
        str(item["id"]),
        str(item.get("name") or item["id"]),
        str(item.get("initial") or (statuses[0] if statuses else "")),
        statuses,
        tuple(str(t) for t in item.get("types") or []),
    )


def org_to_dict(org: Org, queues: Iterable[Queue] | None = None) -> dict[str, Any]:
    """The fixture format (ids filled in) — what the store keeps and what a snapshot looks like."""
    return {
        "org": {"id": org.id, "cloud_org_id": org.cloud_org_id},
        "users": [_user_dict(u) for u in org.users],
        "statuses": [
            {"id": s.id, "key": s.key, "name": s.name, "type": s.type, "order": s.order} for s in org.statuses
        ],
        "issue_types": [{"id": t.id, "key": t.key, "name": t.name} for t in org.issue_types],
        "priorities": [{"id": p.id, "key": p.key, "name": p.name, "order": p.order} for p in org.priorities],
        "resolutions": [{"id": r.id, "key": r.key, "name": r.name} for r in org.resolutions],
        "link_types": [{"id": t.id, "inward": t.inward, "outward": t.outward} for t in org.link_types],
        "fields": [_field_dict(f) for f in org.fields],
        "queues": [queue_to_dict(q) for q in (org.queues if queues is None else queues)],
        "tokens": dict(org.tokens),
    }


def _user_dict(user: User) -> dict[str, Any]:
    return {
        "uid": user.uid,
        "login": user.login,
        "email": user.email,
        "display": user.display,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "admin": user.admin,
        "token": user.token,
        "dismissed": user.dismissed,
    }


def _field_dict(item: Field) -> dict[str, Any]:
    out: dict[str, Any] = {"id": item.id, "key": item.key, "name": item.name, "schema": dict(item.schema)}
    if item.options:
        out["options"] = list(item.options)
    if item.readonly:
        out["readonly"] = True
    return out


def queue_to_dict(queue: Queue) -> dict[str, Any]:
    return {
        "key": queue.key,
        "id": queue.id,
        "name": queue.name,
        "description": queue.description,
        "lead": queue.lead,
        "default_type": queue.default_type,
        "default_priority": queue.default_priority,
        "hex_id": queue.hex_id,
        "workflows": [
            {
                "id": w.id,
                "name": w.name,
                "initial": w.initial,
                "statuses": list(w.statuses),
                "types": list(w.types),
            }
            for w in queue.workflows
        ],
        "resolutions": {k: list(v) for k, v in queue.resolutions.items()},
        "components": [{"id": c.id, "name": c.name, "description": c.description} for c in queue.components],
        "versions": [
            {
                "id": v.id,
                "name": v.name,
                "description": v.description,
                "released": v.released,
                "archived": v.archived,
            }
            for v in queue.versions
        ],
        "local_fields": [_field_dict(f) for f in queue.local_fields],
    }


def queue_from_dict(org: Org, data: dict[str, Any]) -> Queue:
    """Rebuild a stored queue (already checked when it was created)."""
    builder = _Builder("<store>")
    queue = builder._queue(org, data)
    if builder.problems:
        raise ConfigError("<store>", builder.problems)
    return queue
