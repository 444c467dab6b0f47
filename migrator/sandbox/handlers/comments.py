"""Issue comments: import, create, list, get, edit, delete."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from werkzeug.wrappers import Response

from migrator.sandbox.context import Ctx
from migrator.sandbox.handlers.routes import Route
from migrator.sandbox.paging import paged
from migrator.sandbox.store import AttachmentRow, ChildRow, IssueRow

COMMENT_FIELDS = ("text", "attachmentIds", "summonees", "maillistSummonees", "markupType")


def add_comment(ctx: Ctx, issue: IssueRow, data: dict[str, Any], imported: bool) -> ChildRow:
    """Insert (inside a transaction) and keep the issue's comment counter."""
    comment_id = ctx.store.insert_child("comments", issue.seq, data)
    issue.data["commentCount"] = int(issue.data.get("commentCount", 0)) + 1
    touches = ctx.cfg.child_import_touches_issue if imported else ctx.cfg.child_create_touches_issue
    if touches:
        ctx.state.touch(issue, ctx.user.uid, ctx.now)
    else:
        ctx.store.update_issue(issue)
    return ChildRow(comment_id, issue.seq, data)


def import_comment(ctx: Ctx, key: str) -> Response:
    ctx.require_import_rights()
    body = ctx.json()
    with ctx.store.transaction():
        issue = ctx.issue(key)
        row = add_comment(ctx, issue, ctx.check.comment_import(body, issue), imported=True)
    return ctx.respond(ctx.ser.comment(issue, row), ctx.cfg.import_status)


def create_comment(ctx: Ctx, key: str) -> Response:
    check = ctx.check
    body = check.json_object(ctx.json())
    check.reject_unknown(body, COMMENT_FIELDS)
    text = check.string("text", check.required(body, "text"), ctx.cfg.max_text)
    data: dict[str, Any] = {
        "text": text,
        "createdAt": ctx.now,
        "createdBy": ctx.user.uid,
        "updatedAt": ctx.now,
        "updatedBy": ctx.user.uid,
    }
    if body.get("summonees") is not None:
        data["summonees"] = check.users("summonees", body["summonees"])
    if body.get("markupType") is not None:
        data["markupType"] = check.string("markupType", body["markupType"], 32)
    with ctx.store.transaction():
        issue = ctx.issue(key)
        row = add_comment(ctx, issue, data, imported=False)
        files = _attach(ctx, issue, row, body.get("attachmentIds"))
    return ctx.respond(ctx.ser.comment(issue, row, files), ctx.cfg.create_status)


def _attach(ctx: Ctx, issue: IssueRow, row: ChildRow, ids: Any) -> list[AttachmentRow]:
    if ids is None:
        return []
    if not isinstance(ids, list):
        raise ctx.check.bad("attachmentIds", "must be an array of attachment ids")
    for raw in ids:
        found = ctx.store.attachment(int(raw)) if str(raw).isdigit() else None
        if found is None or found.issue_seq not in (None, issue.seq):
            raise ctx.check.bad("attachmentIds", f"attachment {raw!r} does not exist")
        ctx.store.attach(found.id, issue.seq, row.id)
    return ctx.store.comment_attachments(row.id)


def list_comments(ctx: Ctx, key: str) -> Response:
    issue = ctx.issue(key)
    files: dict[int, list[AttachmentRow]] = defaultdict(list)
    for attachment in ctx.store.attachments(issue.seq):
        if attachment.comment_id is not None:
            files[attachment.comment_id].append(attachment)
    rows, headers = paged(ctx.request, ctx.store.children("comments", issue.seq), ctx.cfg)
    return ctx.respond([ctx.ser.comment(issue, r, files[r.id]) for r in rows], headers=headers)


def comment_of(ctx: Ctx, issue: IssueRow, comment_id: str) -> ChildRow:
    return ctx.child("comments", issue, comment_id, "Comment")


def get_comment(ctx: Ctx, key: str, comment_id: str) -> Response:
    issue = ctx.issue(key)
    row = comment_of(ctx, issue, comment_id)
    return ctx.respond(ctx.ser.comment(issue, row, ctx.store.comment_attachments(row.id)))


def edit_comment(ctx: Ctx, key: str, comment_id: str) -> Response:
    """``PATCH``: the new text (and ``attachmentIds``); the caller and the time become updatedBy/At."""
    check = ctx.check
    body = check.json_object(ctx.json())
    check.reject_unknown(body, ("text", "attachmentIds", "summonees", "maillistSummonees"))
    text = check.string("text", check.required(body, "text"), ctx.cfg.max_text)
    if not text.strip():
        raise check.bad("text", "is required")
    with ctx.store.transaction():
        issue = ctx.issue(key)
        row = comment_of(ctx, issue, comment_id)
        if text != row.data["text"]:
            row.data.update(text=text, updatedAt=ctx.now, updatedBy=ctx.user.uid)
            row.data["version"] = int(row.data.get("version", 1)) + 1
            ctx.store.update_child("comments", row)
            ctx.child_changed(issue)
        files = _attach(ctx, issue, row, body.get("attachmentIds"))
    return ctx.respond(ctx.ser.comment(issue, row, files or ctx.store.comment_attachments(row.id)))


def delete_comment(ctx: Ctx, key: str, comment_id: str) -> Response:
    """``DELETE`` (204); the comment's files go with it."""
    with ctx.store.transaction():
        issue = ctx.issue(key)
        row = comment_of(ctx, issue, comment_id)
        for attachment in ctx.store.comment_attachments(row.id):
            ctx.store.delete_attachment(attachment.id)
        ctx.store.delete_child("comments", row.id)
        issue.data["commentCount"] = max(0, int(issue.data.get("commentCount", 0)) - 1)
        ctx.child_changed(issue)
    return Response(status=204)


ROUTES = [
    Route("POST", "/issues/<key>/comments/_import", "comment_import", import_comment),
    Route("POST", "/issues/<key>/comments", "comment_create", create_comment),
    Route("GET", "/issues/<key>/comments", "list_comments", list_comments),
    Route("GET", "/issues/<key>/comments/<comment_id>", "get_comment", get_comment),
    Route("PATCH", "/issues/<key>/comments/<comment_id>", "comment_edit", edit_comment),
    Route("DELETE", "/issues/<key>/comments/<comment_id>", "comment_delete", delete_comment),
]
