"""Workflow transitions: ``GET issues/{key}/transitions[/{id}]`` and ``POST …/transitions/{id}/_execute``.

The sandbox's workflows are sets of statuses whose steps have an action to every other status (as
``GET /workflows/{id}`` shows), so an issue may move from its status to any other status of its
type's workflow; a transition's id is its target status key (``transitions`` setting). Entering a
status of type ``done`` resolves the issue (the ``resolution`` of the transition screen, required
with ``transition_resolution="required"``; resolvedAt/resolvedBy = now and the caller); leaving it
clears the resolution. The caller and the time become ``updatedBy``/``updatedAt``; version + 1.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from migrator.sandbox.context import Ctx
from migrator.sandbox.errors import ApiError
from migrator.sandbox.handlers.comments import add_comment
from migrator.sandbox.handlers.routes import Route
from migrator.sandbox.org import Status
from migrator.sandbox.store import IssueRow

RESOLVED_TYPE = "done"
SCREEN_FIELDS = ("resolution", "comment")


def _targets(ctx: Ctx, issue: IssueRow) -> list[Status]:
    """The statuses the issue can move to from its current one."""
    if ctx.cfg.transitions == "none":
        raise ApiError(404, "Transitions are not emulated (sandbox setting transitions=none)")
    queue = ctx.state.queue_any(issue.queue)
    workflow = queue.workflow_for(ctx.state.issue_type_key(issue)) if queue is not None else None
    if workflow is None:
        return []
    index = ctx.state.org.status_index
    current = index.by_id[str(issue.data["status"])].key
    return [index.by_key[key] for key in workflow.statuses if key != current and key in index.by_key]


def _render(ctx: Ctx, issue: IssueRow, status: Status) -> dict[str, Any]:
    return {
        "self": f"{ctx.ser.base}/issues/{issue.key}/transitions/{status.key}",
        "id": status.key,
        "display": status.name,
        "to": ctx.ser.status_ref(status.id),
    }


def list_transitions(ctx: Ctx, key: str) -> Response:
    issue = ctx.issue(key)
    return ctx.respond([_render(ctx, issue, s) for s in _targets(ctx, issue)])


def get_transition(ctx: Ctx, key: str, transition_id: str) -> Response:
    """One transition (its ``self`` URL; the official client reads it before executing it)."""
    issue = ctx.issue(key)
    target = next((s for s in _targets(ctx, issue) if s.key == transition_id), None)
    if target is None:
        raise ApiError(404, f"Issue {issue.key} has no transition {transition_id!r} from its status")
    return ctx.respond(_render(ctx, issue, target))


def execute_transition(ctx: Ctx, key: str, transition_id: str) -> Response:
    check = ctx.check
    body = check.json_object(ctx.json() or {})
    check.reject_unknown(body, SCREEN_FIELDS)
    with ctx.store.transaction():
        issue = ctx.issue(key)
        target = next((s for s in _targets(ctx, issue) if s.key == transition_id), None)
        if target is None:
            raise ApiError(404, f"Issue {issue.key} has no transition {transition_id!r} from its status")
        _resolve(ctx, issue, target, body.get("resolution"))
        issue.data["status"] = target.id
        if body.get("comment"):
            text = check.string("comment", body["comment"], ctx.cfg.max_text)
            now, uid = ctx.now, ctx.user.uid
            data = {"text": text, "createdAt": now, "createdBy": uid, "updatedAt": now, "updatedBy": uid}
            add_comment(ctx, issue, data, imported=False)
        ctx.state.touch(issue, ctx.user.uid, ctx.now)
        after = [_render(ctx, issue, s) for s in _targets(ctx, issue)]
    return ctx.respond(after)


def _resolve(ctx: Ctx, issue: IssueRow, target: Status, resolution: Any) -> None:
    data = issue.data
    if target.type != RESOLVED_TYPE:
        if resolution is not None:
            raise ctx.check.bad("resolution", f"status {target.key!r} is not a resolved status")
        for name in ("resolution", "resolvedAt", "resolvedBy"):
            data.pop(name, None)
        return
    if resolution is None:
        if ctx.cfg.transition_resolution == "required":
            raise ctx.check.bad("resolution", f"is required to move the issue to {target.key!r}")
        return
    queue = ctx.state.queue_any(issue.queue)
    if queue is None:
        raise ApiError(404, f"Queue {issue.queue} of issue {issue.key} does not exist")
    data["resolution"] = ctx.check.resolution(resolution, queue, ctx.state.issue_type_key(issue))
    data["resolvedAt"] = ctx.now
    data["resolvedBy"] = ctx.user.uid


ROUTES = [
    Route("GET", "/issues/<key>/transitions", "transitions", list_transitions),
    Route("GET", "/issues/<key>/transitions/<transition_id>", "transitions", get_transition),
    Route("POST", "/issues/<key>/transitions/<transition_id>/_execute", "transition", execute_transition),
]
