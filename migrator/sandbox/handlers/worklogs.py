"""Worklog: import (answers with a JSON array), create, list, get, delete."""

from __future__ import annotations

from werkzeug.wrappers import Response

from migrator.sandbox.context import Ctx
from migrator.sandbox.handlers.routes import Route
from migrator.sandbox.paging import paged
from migrator.sandbox.store import ChildRow, IssueRow


def _add(ctx: Ctx, issue: IssueRow, data: dict[str, object], imported: bool) -> ChildRow:
    worklog_id = ctx.store.insert_child("worklogs", issue.seq, data)
    touches = ctx.cfg.child_import_touches_issue if imported else ctx.cfg.child_create_touches_issue
    if touches:
        ctx.state.touch(issue, ctx.user.uid, ctx.now)
    return ChildRow(worklog_id, issue.seq, data)


def import_worklog(ctx: Ctx, key: str) -> Response:
    ctx.require_import_rights()
    body = ctx.json()
    with ctx.store.transaction():
        issue = ctx.issue(key)
        row = _add(ctx, issue, ctx.check.worklog_import(body, issue), imported=True)
    return ctx.respond([ctx.ser.worklog(issue, row)], ctx.cfg.import_status)


def create_worklog(ctx: Ctx, key: str) -> Response:
    check = ctx.check
    body = check.json_object(ctx.json())
    check.reject_unknown(body, ("start", "duration", "comment"))
    data = check.worklog_values(body, require_start=False)
    data.update(createdAt=ctx.now, createdBy=ctx.user.uid, updatedAt=ctx.now, updatedBy=ctx.user.uid)
    with ctx.store.transaction():
        issue = ctx.issue(key)
        row = _add(ctx, issue, data, imported=False)
    return ctx.respond(ctx.ser.worklog(issue, row), ctx.cfg.create_status)


def list_worklogs(ctx: Ctx, key: str) -> Response:
    issue = ctx.issue(key)
    rows, headers = paged(ctx.request, ctx.store.children("worklogs", issue.seq), ctx.cfg)
    return ctx.respond([ctx.ser.worklog(issue, r) for r in rows], headers=headers)


def get_worklog(ctx: Ctx, key: str, worklog_id: str) -> Response:
    issue = ctx.issue(key)
    return ctx.respond(ctx.ser.worklog(issue, ctx.child("worklogs", issue, worklog_id, "Worklog")))


def delete_worklog(ctx: Ctx, key: str, worklog_id: str) -> Response:
    """``DELETE issues/{key}/worklog/{id}`` (204)."""
    with ctx.store.transaction():
        issue = ctx.issue(key)
        row = ctx.child("worklogs", issue, worklog_id, "Worklog")
        ctx.store.delete_child("worklogs", row.id)
        ctx.child_changed(issue)
    return Response(status=204)


ROUTES = [
    Route("POST", "/issues/<key>/worklogs/_import", "worklog_import", import_worklog),
    Route("POST", "/issues/<key>/worklog", "worklog_create", create_worklog),
    Route("GET", "/issues/<key>/worklog", "list_worklogs", list_worklogs),
    Route("GET", "/issues/<key>/worklog/<worklog_id>", "get_worklog", get_worklog),
    Route("DELETE", "/issues/<key>/worklog/<worklog_id>", "worklog_delete", delete_worklog),
]
