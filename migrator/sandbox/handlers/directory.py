"""Reference data: users, myself, queues (get/list/create/delete/restore and their local fields,
components, versions, issue types, workflows), workflows, statuses, resolutions, issue types,
priorities, link types, fields, components, versions — and creating a queue's components, versions
and local fields (what a staging queue shaped like another one needs)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from werkzeug.wrappers import Response

from migrator.sandbox.context import Ctx
from migrator.sandbox.errors import ApiError
from migrator.sandbox.fixture import queue_hex_id
from migrator.sandbox.handlers.routes import Route
from migrator.sandbox.org import Component, Field, Queue, RefIndex, Version, Workflow
from migrator.sandbox.paging import paged

QUEUE_KEY = re.compile(r"^[A-Z][A-Z0-9]{0,14}$")
LOCAL_FIELD_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
# Local field types (create-local-field) → the schema the sandbox stores and serves.
FIELD_TYPE_PREFIX = "ru.yandex.startrek.core.fields."
LOCAL_FIELD_SCHEMAS: dict[str, str] = {
    "StringFieldType": "string",
    "TextFieldType": "string",
    "UriFieldType": "string",
    "FloatFieldType": "number",
    "IntegerFieldType": "number",
    "DateFieldType": "date",
    "DateTimeFieldType": "datetime",
    "UserFieldType": "user",
}


def _list(ctx: Ctx, items: list[Any], render: Callable[[Any], dict[str, Any]]) -> Response:
    page, headers = paged(ctx.request, items, ctx.cfg)
    return ctx.respond([render(i) for i in page], headers=headers)


def _one(
    ctx: Ctx, index: RefIndex[Any], ref: str, what: str, render: Callable[[Any], dict[str, Any]]
) -> Response:
    item = index.resolve(int(ref) if ref.isdigit() else ref)
    if item is None:
        raise ApiError(404, f"{what} {ref!r} does not exist")
    return ctx.respond(render(item))


# --- users ---
def myself(ctx: Ctx) -> Response:
    body = ctx.ser.user(ctx.user)
    return ctx.respond([body] if ctx.cfg.myself_as_array else body)


def list_users(ctx: Ctx) -> Response:
    return _list(ctx, ctx.state.org.users, ctx.ser.user)


def get_user(ctx: Ctx, ref: str) -> Response:
    user = ctx.state.org.user_index.resolve(ref)
    if user is None:
        raise ApiError(404, f"User {ref!r} does not exist")
    return ctx.respond(ctx.ser.user(user))


# --- queues ---
def _expand(ctx: Ctx) -> list[str]:
    return [e.strip() for raw in ctx.request.args.getlist("expand") for e in raw.split(",") if e.strip()]


def _live_queue(ctx: Ctx, ref: str) -> Queue:
    queue = ctx.state.find_queue(int(ref) if ref.isdigit() else ref)
    if queue is None:
        raise ApiError(404, f"Queue {ref!r} does not exist")
    return queue


def _render_queue(ctx: Ctx, queue: Queue, expand: Iterable[str] = ()) -> dict[str, Any]:
    return ctx.ser.queue(queue, ctx.state.queues[queue.key].version, expand)


def list_queues(ctx: Ctx) -> Response:
    expand = _expand(ctx)
    live = [lq.queue for lq in ctx.state.queues.values() if not lq.deleted]
    return _list(ctx, sorted(live, key=lambda q: q.id), lambda q: _render_queue(ctx, q, expand))


def get_queue(ctx: Ctx, ref: str) -> Response:
    return ctx.respond(_render_queue(ctx, _live_queue(ctx, ref), _expand(ctx)))


def create_queue(ctx: Ctx) -> Response:
    ctx.require_admin("creating a queue")
    check = ctx.check
    body = check.json_object(ctx.json())
    key = check.string("key", check.required(body, "key"))
    if not QUEUE_KEY.match(key):
        raise check.bad(
            "key",
            f"{key!r} is not a queue key: use 1-15 Latin capital letters and digits, starting with a letter",
        )
    name = check.string("name", check.required(body, "name"), 255)
    lead = check.user("lead", check.required(body, "lead"))
    org = ctx.state.org
    default_type = check.ref("defaultType", check.required(body, "defaultType"), org.type_index, "issue type")
    priority = check.ref(
        "defaultPriority", check.required(body, "defaultPriority"), org.priority_index, "priority"
    )
    workflows, resolutions = _type_config(ctx, body.get("issueTypesConfig"))
    if default_type.key not in [t for w in workflows for t in w.types]:
        raise check.bad("defaultType", f"issue type {default_type.key!r} is not in issueTypesConfig")
    with ctx.store.transaction():
        if key in ctx.state.queues:
            raise ApiError(409, f"Queue {key} already exists", field="key")
        queue = Queue(
            ctx.store.next_queue_id(),
            key,
            name,
            lead.login,
            str(default_type.key),
            str(priority.key),
            tuple(workflows),
            queue_hex_id(key),
            str(body.get("description") or ""),
            resolutions,
        )
        ctx.state.put_queue(queue, 1, False)
    return ctx.respond(_render_queue(ctx, queue), ctx.cfg.create_status)


def _known_workflows(ctx: Ctx) -> dict[str, Workflow]:
    known = ctx.state.org.workflows()
    for live in ctx.state.queues.values():
        for workflow in live.queue.workflows:
            known.setdefault(workflow.id, workflow)
    return known


def _type_config(ctx: Ctx, value: Any) -> tuple[list[Workflow], dict[str, tuple[str, ...]]]:
    check, org = ctx.check, ctx.state.org
    known = _known_workflows(ctx)
    if value is None:
        first = next(iter(known.values()))
        return [
            Workflow(
                first.id, first.name, first.initial, first.statuses, tuple(t.key for t in org.issue_types)
            )
        ], {}
    if not isinstance(value, list) or not value:
        raise check.bad("issueTypesConfig", "must be a non-empty array of {issueType, workflow, resolutions}")
    types_by_workflow: dict[str, list[str]] = {}
    resolutions: dict[str, tuple[str, ...]] = {}
    for entry in value:
        if not isinstance(entry, dict):
            raise check.bad(
                "issueTypesConfig", "each entry must be an object {issueType, workflow, resolutions}"
            )
        issue_type = check.ref("issueTypesConfig", entry.get("issueType"), org.type_index, "issue type")
        workflow_ref = entry.get("workflow")
        workflow_id = str(workflow_ref.get("id") if isinstance(workflow_ref, dict) else workflow_ref)
        if workflow_id not in known:
            raise check.bad("issueTypesConfig", f"workflow {workflow_id!r} does not exist")
        types_by_workflow.setdefault(workflow_id, []).append(str(issue_type.key))
        allowed = [
            check.ref("issueTypesConfig", r, org.resolution_index, "resolution").key
            for r in entry.get("resolutions") or []
        ]
        if allowed:
            resolutions[str(issue_type.key)] = tuple(allowed)
    workflows = [
        Workflow(w, known[w].name, known[w].initial, known[w].statuses, tuple(types))
        for w, types in types_by_workflow.items()
    ]
    return workflows, resolutions


def delete_queue(ctx: Ctx, ref: str) -> Response:
    ctx.require_admin("deleting a queue")
    with ctx.store.transaction():
        queue = _live_queue(ctx, ref)
        ctx.state.put_queue(queue, ctx.state.queues[queue.key].version + 1, True)
    return Response(status=204)


def restore_queue(ctx: Ctx, ref: str) -> Response:
    ctx.require_admin("restoring a queue")
    with ctx.store.transaction():
        live = ctx.state.queues.get(ref) or next(
            (lq for lq in ctx.state.queues.values() if str(lq.queue.id) == ref), None
        )
        if live is None:
            raise ApiError(404, f"Queue {ref!r} does not exist")
        if live.deleted:
            ctx.state.put_queue(live.queue, live.version + 1, False)
    return ctx.respond(_render_queue(ctx, live.queue))


def _changed_queue(ctx: Ctx, queue: Queue, changed: Queue) -> None:
    ctx.state.put_queue(changed, ctx.state.queues[queue.key].version + 1, False)


def create_local_field(ctx: Ctx, ref: str) -> Response:
    """``POST queues/{key}/localFields``: id (the key), name {en, ru}, category, type; optional
    optionsProvider {type, values}, container, readonly, description. 200 with the field."""
    ctx.require_admin("creating a local field")
    check = ctx.check
    body = check.json_object(ctx.json())
    key = check.string("id", check.required(body, "id"), 64)
    if not LOCAL_FIELD_KEY.match(key):
        raise check.bad(
            "id", f"{key!r} is not a field key: Latin letters, digits and '_', starting with a letter"
        )
    name = _localized(check, body)
    check.string("category", check.required(body, "category"), 64)
    type_name = check.string("type", check.required(body, "type"), 128).removeprefix(FIELD_TYPE_PREFIX)
    if type_name not in LOCAL_FIELD_SCHEMAS:
        raise check.bad(
            "type", f"unknown field type {body['type']!r}; use one of {', '.join(LOCAL_FIELD_SCHEMAS)}"
        )
    schema: dict[str, Any] = {"type": LOCAL_FIELD_SCHEMAS[type_name], "required": False}
    if body.get("container"):
        schema = {"type": "array", "items": schema["type"], "required": False}
    options = _options(check, body.get("optionsProvider"))
    with ctx.store.transaction():
        queue = _live_queue(ctx, ref)
        if queue.local_field(key) is not None:
            raise ApiError(409, f"Queue {queue.key} already has a local field {key!r}", field="id")
        item = Field(f"{queue.hex_id}--{key}", key, name, schema, options, bool(body.get("readonly")))
        _changed_queue(ctx, queue, replace(queue, local_fields=(*queue.local_fields, item)))
        queue = ctx.state.queues[queue.key].queue
    return ctx.respond(ctx.ser.field(item, queue))


def _localized(check: Any, body: dict[str, Any]) -> str:
    value = check.required(body, "name")
    if isinstance(value, dict):
        value = value.get("en") or value.get("ru")
    return str(check.string("name", value, 255))


def _options(check: Any, provider: Any) -> tuple[Any, ...] | None:
    if provider is None:
        return None
    if not isinstance(provider, dict) or not isinstance(provider.get("values"), list):
        raise check.bad("optionsProvider", "must be {type: FixedListOptionsProvider, values: [...]}")
    return tuple(provider["values"]) or None


def _add_named(ctx: Ctx, kind: str, allowed: tuple[str, ...]) -> tuple[Queue, Component | Version]:
    """``POST components`` / ``POST versions``: a new named item (name unique in its queue; ids are
    global across queues) added to the queue named in the body."""
    check = ctx.check
    body = check.json_object(ctx.json())
    check.reject_unknown(body, ("name", "queue", "description", *allowed))
    name = check.string("name", check.required(body, "name"), 255)
    for day in ("startDate", "dueDate"):
        if day in allowed and body.get(day) is not None:
            check.day(day, body[day])
    with ctx.store.transaction():
        queue = ctx.state.find_queue(check.required(body, "queue"))
        if queue is None:
            raise ApiError(ctx.cfg.not_found_status, f"queue {body['queue']!r} does not exist", field="queue")
        items = queue.components if kind == "components" else queue.versions
        if any(i.name == name for i in items):
            raise ApiError(409, f"Queue {queue.key} already has a {kind[:-1]} {name!r}", field="name")
        used = [
            i.id
            for live in ctx.state.queues.values()
            for i in (live.queue.components if kind == "components" else live.queue.versions)
        ]
        description = str(body.get("description") or "")
        item: Component | Version
        if kind == "components":
            component = Component(max(used, default=0) + 1, name, description)
            changed, item = replace(queue, components=(*queue.components, component)), component
        else:
            version = Version(max(used, default=0) + 1, name, description)
            changed, item = replace(queue, versions=(*queue.versions, version)), version
        _changed_queue(ctx, queue, changed)
    return changed, item


def create_component(ctx: Ctx) -> Response:
    """``POST components``: name, queue, optional description (and lead, assignAuto: not modelled). 201."""
    queue, item = _add_named(ctx, "components", ("lead", "assignAuto"))
    assert isinstance(item, Component)
    return ctx.respond(ctx.ser.component(queue, item), ctx.cfg.create_status)


def create_version(ctx: Ctx) -> Response:
    """``POST versions``: queue, name, optional description, startDate, dueDate (200, as documented)."""
    queue, item = _add_named(ctx, "versions", ("startDate", "dueDate"))
    assert isinstance(item, Version)
    return ctx.respond(ctx.ser.version(queue, item))


def local_fields(ctx: Ctx, ref: str) -> Response:
    queue = _live_queue(ctx, ref)
    return _list(ctx, list(queue.local_fields), lambda f: ctx.ser.field(f, queue))


def local_field(ctx: Ctx, ref: str, field_key: str) -> Response:
    queue = _live_queue(ctx, ref)
    item = queue.local_field(field_key)
    if item is None:
        raise ApiError(404, f"Local field {field_key!r} of queue {queue.key} does not exist")
    return ctx.respond(ctx.ser.field(item, queue))


def queue_components(ctx: Ctx, ref: str) -> Response:
    queue = _live_queue(ctx, ref)
    return _list(ctx, list(queue.components), lambda c: ctx.ser.component(queue, c))


def queue_versions(ctx: Ctx, ref: str) -> Response:
    queue = _live_queue(ctx, ref)
    return _list(ctx, list(queue.versions), lambda v: ctx.ser.version(queue, v))


def queue_issue_types(ctx: Ctx, ref: str) -> Response:
    queue = _live_queue(ctx, ref)
    org = ctx.state.org
    return _list(ctx, [org.type_index.by_key[t] for t in queue.type_keys()], ctx.ser.issue_type)


def list_workflows(ctx: Ctx) -> Response:
    return _list(ctx, list(_known_workflows(ctx).values()), ctx.ser.workflow)


def get_workflow(ctx: Ctx, ref: str) -> Response:
    workflow = _known_workflows(ctx).get(ref)
    if workflow is None:
        raise ApiError(404, f"Workflow {ref!r} does not exist")
    return ctx.respond(ctx.ser.workflow(workflow))


def queue_workflows(ctx: Ctx, ref: str) -> Response:
    queue = _live_queue(ctx, ref)
    return _list(ctx, list(queue.workflows), ctx.ser.workflow)


def _owned(ctx: Ctx, ref: str, kind: str) -> tuple[Queue, Any]:
    for live in ctx.state.queues.values():
        items = live.queue.components if kind == "components" else live.queue.versions
        found = next((i for i in items if str(i.id) == ref), None)
        if found is not None:
            return live.queue, found
    raise ApiError(404, f"{kind[:-1].title()} {ref!r} does not exist")


def get_component(ctx: Ctx, ref: str) -> Response:
    queue, item = _owned(ctx, ref, "components")
    return ctx.respond(ctx.ser.component(queue, item))


def get_version(ctx: Ctx, ref: str) -> Response:
    queue, item = _owned(ctx, ref, "versions")
    return ctx.respond(ctx.ser.version(queue, item))


# --- org-wide lists ---
def _catalog(kind: str, attr: str, index_attr: str, what: str, render_name: str) -> list[Route]:
    def list_all(ctx: Ctx) -> Response:
        return _list(ctx, list(getattr(ctx.state.org, attr)), getattr(ctx.ser, render_name))

    def get_one(ctx: Ctx, ref: str) -> Response:
        return _one(ctx, getattr(ctx.state.org, index_attr), ref, what, getattr(ctx.ser, render_name))

    return [
        Route("GET", f"/{kind}", "metadata", list_all),
        Route("GET", f"/{kind}/<ref>", "metadata", get_one),
    ]


ROUTES = [
    Route("GET", "/myself", "myself", myself),
    Route("GET", "/users", "users", list_users),
    Route("GET", "/users/<ref>", "users", get_user),
    Route("GET", "/queues", "queues", list_queues),
    Route("POST", "/queues", "queue_create", create_queue),
    Route("GET", "/queues/<ref>", "queues", get_queue),
    Route("DELETE", "/queues/<ref>", "queue_delete", delete_queue),
    Route("POST", "/queues/<ref>/_restore", "queue_restore", restore_queue),
    Route("GET", "/queues/<ref>/localFields", "metadata", local_fields),
    Route("POST", "/queues/<ref>/localFields", "local_field_create", create_local_field),
    Route("GET", "/queues/<ref>/localFields/<field_key>", "metadata", local_field),
    Route("GET", "/queues/<ref>/components", "metadata", queue_components),
    Route("GET", "/queues/<ref>/versions", "metadata", queue_versions),
    Route("GET", "/queues/<ref>/issuetypes", "metadata", queue_issue_types),
    Route("GET", "/queues/<ref>/workflows", "metadata", queue_workflows),
    Route("GET", "/workflows", "metadata", list_workflows),
    Route("GET", "/workflows/<ref>", "metadata", get_workflow),
    Route("GET", "/components/<ref>", "metadata", get_component),
    Route("POST", "/components", "component_create", create_component),
    Route("GET", "/versions/<ref>", "metadata", get_version),
    Route("POST", "/versions", "version_create", create_version),
    *_catalog("statuses", "statuses", "status_index", "Status", "status"),
    *_catalog("resolutions", "resolutions", "resolution_index", "Resolution", "resolution"),
    *_catalog("issuetypes", "issue_types", "type_index", "Issue type", "issue_type"),
    *_catalog("priorities", "priorities", "priority_index", "Priority", "priority"),
    *_catalog("linktypes", "link_types", "link_type_index", "Link type", "link_type"),
    *_catalog("fields", "fields", "field_index", "Field", "field"),
]
