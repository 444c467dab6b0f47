"""Everything a validator needs to know about the target organization and queue(s).

``TargetMetadata.fetch(client, "DEMO")`` reads it over the API; ``to_dict()`` produces the org
fixture / target snapshot format of ``docs/architecture.md`` (so a snapshot of a real org can seed
the sandbox); ``save``/``load`` persist it as JSON (``load`` also reads a YAML fixture).

Records are plain dicts in that format. Lookups by key/id/login are exact (keys are
case-sensitive in Tracker); lookups by *name*/e-mail ignore case.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Collection, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from migrator.errors import ConfigError
from migrator.tracker.errors import NotFound
from migrator.vocabulary import split_local_field_id

if TYPE_CHECKING:
    from migrator.tracker.client import TrackerClient

log = logging.getLogger(__name__)

Record = dict[str, Any]
SECTIONS = ("users", "statuses", "issue_types", "priorities", "resolutions", "link_types", "fields", "queues")
_SECRET_USER_KEYS = frozenset({"token"})
FETCH_PARALLEL = 8  # metadata reads in flight at once (the rate limiter still paces them)


@dataclass
class TargetMetadata:
    """The target org's reference data in fixture format (see module docstring)."""

    org: Record = field(default_factory=lambda: {"id": None, "cloud_org_id": None})
    users: list[Record] = field(default_factory=list)
    statuses: list[Record] = field(default_factory=list)
    issue_types: list[Record] = field(default_factory=list)
    priorities: list[Record] = field(default_factory=list)
    resolutions: list[Record] = field(default_factory=list)
    link_types: list[Record] = field(default_factory=list)
    fields: list[Record] = field(default_factory=list)
    queues: list[Record] = field(default_factory=list)

    # ------------------------------------------------------------------ building

    @classmethod
    def fetch(
        cls, client: TrackerClient, queue_key: str | Sequence[str], *, parallel: int = FETCH_PARALLEL
    ) -> TargetMetadata:
        """Read users (all pages), global reference data and each queue's configuration.

        The reads are independent, so they go out together (``parallel`` at a time, through the
        client's shared rate limiter): two round trips — everything, then the queues' workflows —
        instead of a dozen in a row before the first write of a run."""
        keys = [queue_key] if isinstance(queue_key, str) else list(queue_key)
        with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="metadata") as pool:
            reads = MetadataReads(client, pool)
            for key in keys:
                reads.start_all(key)
            meta = cls.assemble(reads, keys, ALL_READS)
        log.info(
            "target metadata: %d users, %d statuses, %d types, queues %s",
            len(meta.users),
            len(meta.statuses),
            len(meta.issue_types),
            ", ".join(keys),
        )
        return meta

    @classmethod
    def assemble(cls, reads: MetadataReads, keys: Sequence[str], sections: Collection[str]) -> TargetMetadata:
        """The metadata of the reads named in ``sections`` (waiting for them; those not named are left
        empty): always users, statuses, types, priorities and each queue with its workflows."""

        def listed(section: str) -> list[Any]:
            return list(reads.result(section)) if section in sections or section in CORE_READS else []

        client = reads.client
        meta = cls(
            org={"id": client.settings.org_id, "cloud_org_id": client.settings.cloud_org_id},
            users=[_user(u) for u in listed("users")],
            statuses=[_keyed(s, type=s.get("type"), order=s.get("order")) for s in listed("statuses")],
            issue_types=[_keyed(t) for t in listed("issue_types")],
            priorities=[_keyed(p, order=p.get("order")) for p in listed("priorities")],
            resolutions=[_keyed(r) for r in listed("resolutions")],
            link_types=[_link_type(t) for t in listed("link_types")],
            fields=[_field(f) for f in listed("fields")],
        )
        meta.queues = [_QueueReader(reads, meta, key).read(sections) for key in keys]
        return meta

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"org": dict(self.org)}
        for section in SECTIONS:
            data[section] = [dict(record) for record in getattr(self, section)]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TargetMetadata:
        """Build from the fixture/snapshot format; user tokens are dropped (a snapshot holds no secrets)."""
        problems = _shape_problems(data)
        if problems:
            raise ValueError("; ".join(problems))
        org = data.get("org") or {}
        sections = {section: [dict(r) for r in data.get(section) or []] for section in SECTIONS}
        sections["users"] = [
            {k: v for k, v in u.items() if k not in _SECRET_USER_KEYS} for u in sections["users"]
        ]
        return cls(org={"id": org.get("id"), "cloud_org_id": org.get("cloud_org_id")}, **sections)

    def save(self, path: str | Path) -> None:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        tmp.replace(target)

    @classmethod
    def load(cls, path: str | Path) -> TargetMetadata:
        """Load a snapshot (JSON) or a sandbox fixture (YAML); raises ConfigError when unreadable."""
        source = Path(path)
        try:
            text = source.read_text(encoding="utf-8")
            data = yaml.safe_load(text) if source.suffix.lower() in (".yaml", ".yml") else json.loads(text)
        except (OSError, ValueError, yaml.YAMLError, RecursionError) as exc:  # RecursionError: absurd nesting
            raise ConfigError(str(source), [f"cannot read target metadata: {exc}"]) from None
        if not isinstance(data, Mapping):
            raise ConfigError(
                str(source), ["target metadata must be a mapping with org/users/statuses/... sections"]
            )
        try:
            return cls.from_dict(data)
        except ValueError as exc:
            raise ConfigError(str(source), [str(exc)]) from exc

    # ------------------------------------------------------------------ global lookups

    def status_by_key(self, key: str) -> Record | None:
        return _find(self.statuses, "key", key)

    def status_by_name(self, name: str) -> Record | None:
        return _find_folded(self.statuses, "name", name)

    def type_by_key(self, key: str) -> Record | None:
        return _find(self.issue_types, "key", key)

    def type_by_name(self, name: str) -> Record | None:
        return _find_folded(self.issue_types, "name", name)

    def priority_by_key(self, key: str) -> Record | None:
        return _find(self.priorities, "key", key)

    def priority_by_name(self, name: str) -> Record | None:
        return _find_folded(self.priorities, "name", name)

    def resolution_by_key(self, key: str) -> Record | None:
        return _find(self.resolutions, "key", key)

    def resolution_by_name(self, name: str) -> Record | None:
        return _find_folded(self.resolutions, "name", name)

    def link_type_by_id(self, link_type_id: str) -> Record | None:
        return _find(self.link_types, "id", link_type_id)

    def field_by_key(self, key: str, queue: str | None = None) -> Record | None:
        """A global field by key/id, else (with ``queue``) a local field of that queue by key/id."""
        found = _find(self.fields, "key", key) or _find(self.fields, "id", key)
        if found is None and queue is not None:
            local = self.queue(queue).get("local_fields") or []
            found = _find(local, "key", key) or _find(local, "id", key)
        return found

    def user_by_login(self, login: str) -> Record | None:
        return _find(self.users, "login", login)

    def user_by_email(self, email: str) -> Record | None:
        return _find_folded(self.users, "email", email)

    def user_by_uid(self, uid: int | str) -> Record | None:
        return next((u for u in self.users if str(u.get("uid")) == str(uid)), None)

    # ------------------------------------------------------------------ queue lookups

    @property
    def queue_keys(self) -> list[str]:
        return [q["key"] for q in self.queues]

    def queue(self, key: str | None = None) -> Record:
        """The queue record (``key`` may be omitted when exactly one queue was fetched)."""
        if key is None:
            if len(self.queues) != 1:
                raise KeyError(f"name the queue: metadata holds {self.queue_keys}")
            return self.queues[0]
        found = _find(self.queues, "key", key)
        if found is None:
            raise KeyError(f"queue {key!r} is not in the target metadata ({self.queue_keys})")
        return found

    def workflow_for_type(self, type_key: str, queue: str | None = None) -> Record | None:
        return next(
            (w for w in self.queue(queue).get("workflows") or [] if type_key in (w.get("types") or [])), None
        )

    def types_for_queue(self, queue: str | None = None) -> list[str]:
        """Issue type keys the queue accepts (those bound to one of its workflows)."""
        seen: dict[str, None] = {}
        for workflow in self.queue(queue).get("workflows") or []:
            seen.update(dict.fromkeys(workflow.get("types") or []))
        return list(seen)

    def statuses_for_type(self, type_key: str, queue: str | None = None) -> list[str]:
        """Status keys an issue of this type may have in the queue ([] when the type is not in it)."""
        workflow = self.workflow_for_type(type_key, queue)
        return list(workflow.get("statuses") or []) if workflow else []

    def initial_status(self, type_key: str, queue: str | None = None) -> str | None:
        workflow = self.workflow_for_type(type_key, queue)
        return workflow.get("initial") if workflow else None

    def resolutions_for_type(self, type_key: str, queue: str | None = None) -> list[str]:
        """Resolution keys allowed for the type (all resolutions when the queue sets no allow-list)."""
        allowed = (self.queue(queue).get("resolutions") or {}).get(type_key)
        return list(allowed) if allowed else [r["key"] for r in self.resolutions]

    def component_by_name(self, name: str, queue: str | None = None) -> Record | None:
        return _find_folded(self.queue(queue).get("components") or [], "name", name)

    def version_by_name(self, name: str, queue: str | None = None) -> Record | None:
        return _find_folded(self.queue(queue).get("versions") or [], "name", name)

    def local_field_by_key(self, key: str, queue: str | None = None) -> Record | None:
        return _find(self.queue(queue).get("local_fields") or [], "key", key)


# ---------------------------------------------------------------------- reading one queue


CORE_READS = ("users", "statuses", "issue_types", "priorities")  # and the queue with its workflows
OPTIONAL_READS = ("resolutions", "link_types", "fields")
QUEUE_PART_READS = ("local_fields", "components", "versions")
ALL_READS = frozenset((*CORE_READS, *OPTIONAL_READS, *QUEUE_PART_READS))


class MetadataReads:
    """The target's metadata reads, each sent at most once and in the background (on ``pool``):
    started all at once (``fetch``), or the core at once and each other catalogue on first need
    (``migrator/live_target.py``). A queue's workflows are read as soon as the queue's record
    arrives. ``result`` waits for a read (starting it if need be) and raises its error."""

    def __init__(self, client: TrackerClient, pool: ThreadPoolExecutor) -> None:
        self.client = client
        self._pool = pool
        self._lock = threading.Lock()
        self._reads: dict[tuple[str, str | None], Future[Any]] = {}

    def start_core(self, queue: str) -> None:
        self._start("queue", queue)  # first: its workflows are read once it is in
        for section in CORE_READS:
            self._start(section, None)

    def start_all(self, queue: str) -> None:
        self.start_core(queue)
        for section in OPTIONAL_READS:
            self._start(section, None)
        for part in QUEUE_PART_READS:
            self._start(part, queue)

    def result(self, section: str, queue: str | None = None) -> Any:
        return self._start(section, queue).result()

    def read_ahead(self, section: str, queue: str | None = None) -> None:
        """Start a read now without waiting for it (its answer is kept for ``result``)."""
        self._start(section, queue)

    def workflow(self, workflow_id: str) -> Mapping[str, Any] | None:
        """``GET /workflows/{id}``; None when the target does not expose it."""
        detail: Mapping[str, Any] | None = self._start("workflow", workflow_id).result()
        return detail

    def _start(self, section: str, subject: str | None) -> Future[Any]:
        with self._lock:
            read = self._reads.get((section, subject))
            started = read is None
            if read is None:
                read = self._pool.submit(self._read, section, subject)
                self._reads[(section, subject)] = read
        if started and section == "queue":
            # Outside the lock: a read already done calls back at once, in this thread.
            read.add_done_callback(self._start_workflows)
        return read

    def _start_workflows(self, queue_read: Future[Any]) -> None:
        if queue_read.cancelled() or queue_read.exception() is not None:
            return  # the error is raised to whoever waits for the queue
        try:
            for workflow_id in _workflow_ids(queue_read.result()):
                self._start("workflow", workflow_id)
        except RuntimeError:  # the pool was shut down meanwhile (the command ended): nobody waits for them
            log.debug("workflow reads not started: the metadata reads were closed")

    def _read(self, section: str, subject: str | None) -> Any:
        client = self.client
        if section == "queue":
            return client.get_queue(str(subject), expand="all")
        if section == "workflow":
            try:
                return client.get_workflow(str(subject))
            except NotFound:
                return None
        queue_parts = {
            "local_fields": client.list_local_fields,
            "components": client.list_components,
            "versions": client.list_versions,
        }
        if section in queue_parts:
            return queue_parts[section](str(subject))
        catalogues = {
            "users": client.list_users,
            "statuses": client.list_statuses,
            "issue_types": client.list_issue_types,
            "priorities": client.list_priorities,
            "resolutions": client.list_resolutions,
            "link_types": client.list_link_types,
            "fields": client.list_fields,
        }
        return catalogues[section]()


def _workflow_ids(raw: Any) -> list[str]:
    """The workflows a queue's record names (``issueTypesConfig``, else its ``workflows`` map)."""
    if not isinstance(raw, Mapping):
        return []
    ids = [
        _ref_key(config.get("workflow"), [], attr="id")
        for config in raw.get("issueTypesConfig") or []
        if config.get("issueType")
    ]
    found = [i for i in dict.fromkeys(ids) if i]
    return found or [str(w) for w in raw.get("workflows") or {}]


class _QueueReader:
    """Turns ``GET /queues/{key}?expand=all`` plus workflows, components, versions and local fields
    into one fixture-format queue record."""

    def __init__(self, reads: MetadataReads, meta: TargetMetadata, key: str) -> None:
        self.reads = reads
        self.meta = meta
        self.key = key
        self.raw: Mapping[str, Any] = reads.result("queue", key)
        self.workflow_names: dict[str, str] = {}  # from the workflow references' ``display``
        self.types_by_workflow = self._types_by_workflow(self.raw)

    def read(self, sections: Collection[str]) -> Record:
        raw = self.raw

        def part(name: str) -> list[Any]:
            return list(self.reads.result(name, self.key)) if name in sections else []

        local_fields = [_field(f) for f in part("local_fields")]
        record: Record = {
            "key": raw.get("key", self.key),
            "id": _id(raw.get("id")),
            "name": _text(raw.get("name")),
            "description": _text(raw.get("description")) or "",
            "lead": self._login(raw.get("lead")),
            "default_type": _ref_key(raw.get("defaultType"), self.meta.issue_types),
            "default_priority": _ref_key(raw.get("defaultPriority"), self.meta.priorities),
            "workflows": self._workflows({wid: self._workflow_detail(wid) for wid in self.types_by_workflow}),
            "resolutions": self._resolutions(raw),
            "components": [_component(c) for c in part("components")],
            "versions": [_version(v) for v in part("versions")],
            "local_fields": local_fields,
        }
        hex_ids = {parts[0] for f in local_fields if (parts := split_local_field_id(str(f["id"])))}
        if len(hex_ids) == 1:
            record["hex_id"] = hex_ids.pop()  # the queue's internal id, prefix of its local field ids
        return record

    def _login(self, ref: Any) -> str | None:
        if not isinstance(ref, Mapping):
            return ref if isinstance(ref, str) else None
        if ref.get("login"):
            return str(ref["login"])
        user = self.meta.user_by_uid(str(ref.get("id")))
        return user.get("login") if user else None

    def _types_by_workflow(self, raw: Mapping[str, Any]) -> dict[str, list[str]]:
        """workflow id → issue type keys, from ``issueTypesConfig`` or else the ``workflows`` map."""
        bound: dict[str, list[str]] = {}
        for config in raw.get("issueTypesConfig") or []:
            workflow = _ref_key(config.get("workflow"), [], attr="id")
            type_key = _ref_key(config.get("issueType"), self.meta.issue_types)
            if workflow and type_key:
                bound.setdefault(workflow, []).append(type_key)
                if isinstance(config["workflow"], Mapping) and config["workflow"].get("display"):
                    self.workflow_names[workflow] = str(config["workflow"]["display"])
        if bound:
            return bound
        for workflow, types in (raw.get("workflows") or {}).items():
            bound[str(workflow)] = [k for k in (_ref_key(t, self.meta.issue_types) for t in types) if k]
        return bound

    def _workflows(self, details: Mapping[str, Mapping[str, Any]]) -> list[Record]:
        workflows = []
        for workflow_id, types in self.types_by_workflow.items():
            detail = details[workflow_id]
            statuses = _workflow_statuses(detail, self.meta.statuses)
            workflows.append(
                {
                    "id": workflow_id,
                    "name": _text(detail.get("name")) or self.workflow_names.get(workflow_id, workflow_id),
                    "initial": _workflow_initial(detail, self.meta.statuses)
                    or (statuses[0] if statuses else None),
                    "statuses": statuses,
                    "types": types,
                }
            )
        return workflows

    def _workflow_detail(self, workflow_id: str) -> Mapping[str, Any]:
        """``GET /workflows/{id}`` (steps = statuses). A target without that endpoint gets every
        status of the org, with a warning: status checks then cannot catch a status outside the workflow."""
        workflow = self.reads.workflow(workflow_id)
        if workflow is not None:
            return workflow
        log.warning(
            "queue %s: the target does not expose workflow %r; assuming every status is allowed",
            self.key,
            workflow_id,
        )
        initial = next((s["key"] for s in self.meta.statuses if s.get("type") == "new"), None)
        return {"id": workflow_id, "statuses": [s["key"] for s in self.meta.statuses], "initial": initial}

    def _resolutions(self, raw: Mapping[str, Any]) -> dict[str, list[str]]:
        allowed: dict[str, list[str]] = {}
        for config in raw.get("issueTypesConfig") or []:
            type_key = _ref_key(config.get("issueType"), self.meta.issue_types)
            keys = [
                k for k in (_ref_key(r, self.meta.resolutions) for r in config.get("resolutions") or []) if k
            ]
            if type_key and keys and set(keys) != {r["key"] for r in self.meta.resolutions}:
                allowed[type_key] = keys  # an allow-list naming every resolution says nothing
        return allowed


def _workflow_statuses(detail: Mapping[str, Any], statuses: list[Record]) -> list[str]:
    keys = [_ref_key(step.get("status"), statuses) for step in detail.get("steps") or []]
    if not keys and detail.get("statuses"):
        keys = [_ref_key(s, statuses) for s in detail["statuses"]]
    return [k for k in dict.fromkeys(keys) if k]


def _workflow_initial(detail: Mapping[str, Any], statuses: list[Record]) -> str | None:
    action = detail.get("initialAction")
    if isinstance(action, Mapping) and action.get("target"):
        return _ref_key(action["target"], statuses)
    for name in ("initial", "initialStatus"):
        if detail.get(name):
            return _ref_key(detail[name], statuses)
    return None


# ---------------------------------------------------------------------- API record → fixture record


def _id(value: Any) -> Any:
    """Numeric ids as int (the fixture format), anything else unchanged."""
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value


def _text(value: Any) -> Any:
    """A display string: localized ``{"en": ..., "ru": ...}`` → English (else any), else as is."""
    if isinstance(value, Mapping):
        return value.get("en") or value.get("ru") or next(iter(value.values()), None)
    return value


def _ref_key(ref: Any, catalogue: Iterable[Record], attr: str = "key") -> str | None:
    """The key (or id) of a reference given as ``"key"``, ``{"key": ...}`` or ``{"id": ...}``."""
    if ref is None:
        return None
    if not isinstance(ref, Mapping):
        ref = {"id": ref} if isinstance(ref, int) else {attr: ref}
    if ref.get(attr) is not None:
        return str(ref[attr])
    match = next((r for r in catalogue if str(r.get("id")) == str(ref.get("id"))), None)
    return match.get(attr) if match else (str(ref["id"]) if attr == "id" and ref.get("id") else None)


def _keyed(raw: Mapping[str, Any], **extra: Any) -> Record:
    record = {
        "id": _id(raw.get("id")),
        "key": raw.get("key"),
        "name": _text(raw.get("name") or raw.get("display")),
    }
    record.update({name: value for name, value in extra.items() if value is not None})
    return record


def _component(raw: Mapping[str, Any]) -> Record:
    return {
        "id": _id(raw.get("id")),
        "name": _text(raw.get("name")),
        "description": _text(raw.get("description")) or "",
    }


def _version(raw: Mapping[str, Any]) -> Record:
    return {
        "id": _id(raw.get("id")),
        "name": _text(raw.get("name")),
        "description": _text(raw.get("description")) or "",
        "released": bool(raw.get("released", False)),
        "archived": bool(raw.get("archived", False)),
    }


def _link_type(raw: Mapping[str, Any]) -> Record:
    return {"id": raw.get("id"), "inward": _text(raw.get("inward")), "outward": _text(raw.get("outward"))}


def _field(raw: Mapping[str, Any]) -> Record:
    record: Record = {
        "id": raw.get("id"),
        "key": raw.get("key") or raw.get("id"),
        "name": _text(raw.get("name")),
        "schema": dict(raw.get("schema") or {}),
    }
    options = raw.get("options")  # Tracker answers a flag here and the values in optionsProvider
    if not isinstance(options, list) and isinstance(raw.get("optionsProvider"), Mapping):
        options = raw["optionsProvider"].get("values")
    if isinstance(options, list) and options:
        record["options"] = list(options)
    if raw.get("readonly"):
        record["readonly"] = True
    return record


def _user(raw: Mapping[str, Any]) -> Record:
    return {
        "uid": _id(raw.get("uid")),
        "login": raw.get("login"),
        "email": raw.get("email"),
        "display": raw.get("display"),
        "first_name": raw.get("firstName"),
        "last_name": raw.get("lastName"),
        "dismissed": bool(raw.get("dismissed", False)),
    }


def _find(records: Iterable[Record], attr: str, value: Any) -> Record | None:
    return next((r for r in records if r.get(attr) == value), None)


def _find_folded(records: Iterable[Record], attr: str, value: str) -> Record | None:
    folded = value.casefold()
    return next((r for r in records if isinstance(r.get(attr), str) and r[attr].casefold() == folded), None)


def _shape_problems(data: Mapping[str, Any]) -> list[str]:
    problems = []
    if data.get("org") is not None and not isinstance(data["org"], Mapping):
        problems.append("'org' must be a mapping")
    for section in SECTIONS:
        value = data.get(section)
        if value is not None and (
            not isinstance(value, list) or not all(isinstance(r, Mapping) for r in value)
        ):
            problems.append(f"'{section}' must be a list of mappings")
    return problems
