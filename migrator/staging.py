"""Staging queues: a throwaway queue shaped like the target queue, to rehearse an import in.

``create_staging_queue(client, like="DEMO")`` reads the target queue's settings through the API
(``GET /queues/{key}?expand=all``, its workflows, components, versions and local fields, as
``migrator snapshot`` does) and creates a new queue with the same issue types on the same workflows,
the same resolutions per type, default type and priority, lead, components, versions and local
fields (``POST /queues``, ``/components``, ``/versions``, ``/queues/{key}/localFields``). Statuses,
priorities, issue types and global fields belong to the organization and are shared.

The queue's description marks it as a staging copy; ``drop_staging_queue`` deletes only such a queue
(``DELETE /queues/{key}``), and ``restore_staging_queue`` brings one back (``POST …/_restore``).
A queue whose creation fails half-way is deleted again, so no half-made queue is left behind.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from migrator.errors import MigratorError
from migrator.tracker.client import TrackerClient
from migrator.tracker.errors import Conflict, NotFound, TrackerError
from migrator.tracker.metadata import TargetMetadata
from migrator.vocabulary import local_field_key

log = logging.getLogger(__name__)

KEY_PREFIX = "STG"
MAX_KEYS = 99
STAGING_MARK = "Staging copy of queue"
# A local field's schema type → the type create-local-field takes.
FIELD_TYPE_PREFIX = "ru.yandex.startrek.core.fields."
FIELD_TYPES: dict[str, str] = {
    "string": "StringFieldType",
    "text": "TextFieldType",
    "uri": "UriFieldType",
    "number": "FloatFieldType",
    "float": "FloatFieldType",
    "integer": "IntegerFieldType",
    "date": "DateFieldType",
    "datetime": "DateTimeFieldType",
    "date-time": "DateTimeFieldType",
    "user": "UserFieldType",
}
# The category of a local field whose source field names none (the API documentation's example id).
DEFAULT_FIELD_CATEGORY = "000000000000000000000003"


@dataclass(frozen=True)
class StagingQueue:
    key: str
    like: str
    issue_types: int
    components: int
    versions: int
    local_fields: int

    def describe(self) -> str:
        return (
            f"staging queue {self.key} created like {self.like}: {self.issue_types} issue type(s) on their "
            f"workflows, {self.components} component(s), {self.versions} version(s), "
            f"{self.local_fields} local field(s)"
        )


def create_staging_queue(client: TrackerClient, like: str, key: str | None = None) -> StagingQueue:
    """A new queue shaped like ``like``; ``key`` None = the first free ``STG<n>``."""
    try:
        meta = TargetMetadata.fetch(client, like)
    except NotFound as exc:
        raise MigratorError(
            f"queue {like!r} does not exist in the target", hint="name an existing queue"
        ) from exc
    source = meta.queue(like)
    raw_fields = client.list_local_fields(like)
    created = _create_queue(client, meta, source, key)
    try:
        for component in source.get("components") or []:
            client.create_component(
                _clean(
                    {"name": component["name"], "queue": created, "description": component.get("description")}
                )
            )
        for version in source.get("versions") or []:
            client.create_version(
                _clean({"name": version["name"], "queue": created, "description": version.get("description")})
            )
        for raw in raw_fields:
            client.create_local_field(created, local_field_body(raw))
    except (TrackerError, MigratorError) as exc:
        _undo(client, created)
        raise MigratorError(
            f"could not shape the staging queue {created} like {like}: {exc}",
            hint="the half-made queue was deleted again; fix the cause and run the same command",
        ) from exc
    return StagingQueue(
        key=created,
        like=like,
        issue_types=len(meta.types_for_queue(like)),
        components=len(source.get("components") or []),
        versions=len(source.get("versions") or []),
        local_fields=len(raw_fields),
    )


def queue_body(meta: TargetMetadata, source: Mapping[str, Any], key: str, lead: str) -> dict[str, Any]:
    """The ``POST /queues`` body that gives ``key`` the issue types, workflows and resolutions of ``source``."""
    like = str(source["key"])
    config = [
        {
            "issueType": type_key,
            "workflow": str(workflow["id"]),
            "resolutions": meta.resolutions_for_type(type_key, like),
        }
        for workflow in source.get("workflows") or []
        for type_key in workflow.get("types") or []
    ]
    return {
        "key": key,
        "name": f"{source.get('name') or like} (staging {key})",
        "description": f"{STAGING_MARK} {like}, made by `migrator stage`; drop it with `migrator stage --drop {key}`",
        "lead": lead,
        "defaultType": source.get("default_type"),
        "defaultPriority": source.get("default_priority"),
        "issueTypesConfig": config,
    }


def local_field_body(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A ``POST /queues/{key}/localFields`` body recreating the field ``raw`` (as the API lists it)."""
    key = str(raw.get("key") or local_field_key(str(raw.get("id", ""))))
    raw_schema = raw.get("schema")
    schema: Mapping[str, Any] = raw_schema if isinstance(raw_schema, Mapping) else {}
    container = schema.get("type") == "array"
    value_type = str(schema.get("items") if container else schema.get("type") or "string")
    if value_type not in FIELD_TYPES:
        raise MigratorError(
            f"local field {key!r} has type {value_type!r}, which a staging queue cannot recreate"
        )
    name = raw.get("name")
    body: dict[str, Any] = {
        "id": key,
        "name": dict(name) if isinstance(name, Mapping) else {"en": str(name or key), "ru": str(name or key)},
        "category": _category(raw.get("category")),
        "type": FIELD_TYPE_PREFIX + FIELD_TYPES[value_type],
    }
    if container:
        body["container"] = True
    options = _options(raw)
    if options:
        provider = "FixedUserListOptionsProvider" if value_type == "user" else "FixedListOptionsProvider"
        body["optionsProvider"] = {"type": provider, "values": options}
    if raw.get("description"):
        body["description"] = raw["description"]
    return body


def drop_staging_queue(client: TrackerClient, key: str, *, force: bool = False) -> None:
    """Delete a staging queue (refused for a queue ``migrator stage`` did not make, unless ``force``)."""
    try:
        queue = client.get_queue(key)
    except NotFound as exc:
        raise MigratorError(f"queue {key!r} does not exist (or was dropped already)") from exc
    description = str(queue.get("description") or "")
    if not description.startswith(STAGING_MARK) and not force:
        raise MigratorError(
            f"queue {key} is not a staging queue made by `migrator stage` (its description does not say so)",
            hint="check the key; add --force to delete it anyway",
        )
    client.delete_queue(key)


def restore_staging_queue(client: TrackerClient, key: str) -> None:
    try:
        client.restore_queue(key)
    except NotFound as exc:
        raise MigratorError(f"queue {key!r} does not exist, deleted or not") from exc


def _create_queue(
    client: TrackerClient, meta: TargetMetadata, source: Mapping[str, Any], key: str | None
) -> str:
    lead = source.get("lead") or str(client.myself().get("login"))
    candidates = [key] if key else [f"{KEY_PREFIX}{n}" for n in range(1, MAX_KEYS + 1)]
    for candidate in candidates:
        try:
            client.create_queue(queue_body(meta, source, candidate, lead))
        except Conflict:
            if key:
                raise MigratorError(
                    f"queue {key} exists already", hint="pick another --key, or leave it out"
                ) from None
            log.info("queue %s exists; trying the next key", candidate)
            continue
        return candidate
    raise MigratorError(
        f"every key {KEY_PREFIX}1…{KEY_PREFIX}{MAX_KEYS} is taken", hint="name one with --key"
    )


def _undo(client: TrackerClient, key: str) -> None:
    try:
        client.delete_queue(key)
    except TrackerError as exc:
        log.warning("could not delete the half-made staging queue %s: %s", key, exc)


def _category(value: Any) -> str:
    if isinstance(value, Mapping) and value.get("id"):
        return str(value["id"])
    return str(value) if isinstance(value, str) and value else DEFAULT_FIELD_CATEGORY


def _options(raw: Mapping[str, Any]) -> list[Any]:
    provider = raw.get("optionsProvider")
    if isinstance(provider, Mapping) and isinstance(provider.get("values"), list):
        return list(provider["values"])
    options = raw.get("options")
    return list(options) if isinstance(options, list) else []


def _clean(body: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in body.items() if value not in (None, "")}
