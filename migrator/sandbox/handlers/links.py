"""Issue links: import, create, list, get, delete. A link is stored from both ends: the linked issue
sees the inverse direction (and a deletion from either end removes both)."""

from __future__ import annotations

from werkzeug.wrappers import Response

from migrator.sandbox.context import Ctx
from migrator.sandbox.errors import ApiError
from migrator.sandbox.handlers.routes import Route
from migrator.sandbox.paging import paged
from migrator.sandbox.rules import SYMMETRIC_LINK_TYPES, LinkDraft
from migrator.sandbox.store import ChildRow, IssueRow

INVERSE = {"outward": "inward", "inward": "outward"}


def import_link(ctx: Ctx, key: str) -> Response:
    ctx.require_import_rights()
    body = ctx.json()
    with ctx.store.transaction():
        issue = ctx.issue(key)
        draft = ctx.check.link_import(body, issue, ctx.state.find_issue, ctx.state.issue_type_key)
        row = add_link(ctx, issue, draft, imported=True)
    return ctx.respond(ctx.ser.link(issue, row, draft.other), ctx.cfg.import_status)


def create_link(ctx: Ctx, key: str) -> Response:
    check = ctx.check
    body = check.json_object(ctx.json())
    check.reject_unknown(body, ("relationship", "issue"))
    with ctx.store.transaction():
        issue = ctx.issue(key)
        type_id, direction, other = check.link_target(
            body, issue, ctx.state.find_issue, ctx.state.issue_type_key
        )
        draft = LinkDraft(type_id, direction, other, ctx.now, ctx.user.uid, ctx.now, ctx.user.uid)
        row = add_link(ctx, issue, draft, imported=False)
    return ctx.respond(ctx.ser.link(issue, row, other), ctx.cfg.create_status)


def add_link(ctx: Ctx, issue: IssueRow, draft: LinkDraft, imported: bool) -> ChildRow:
    store, other = ctx.store, draft.other
    if ctx.cfg.duplicate_link == "conflict" and _exists(ctx, issue, draft):
        raise ApiError(
            409,
            f"Issues {issue.key} and {other.key} are already linked with link type {draft.type_id!r}",
            field="issue",
        )
    data = {
        "type": draft.type_id,
        "createdAt": draft.created_at,
        "createdBy": draft.created_by,
        "updatedAt": draft.updated_at,
        "updatedBy": draft.updated_by,
    }
    inverse = INVERSE[draft.direction]
    link_id = store.insert_link(
        issue.seq,
        other.seq,
        draft.type_id,
        draft.direction,
        {**data, "direction": draft.direction, "other": other.seq},
    )
    store.insert_link(
        other.seq, issue.seq, draft.type_id, inverse, {**data, "direction": inverse, "other": issue.seq}
    )
    changed = _set_parent(issue, draft)
    touches = ctx.cfg.child_import_touches_issue if imported else ctx.cfg.child_create_touches_issue
    for row in (issue, other):
        if touches:
            ctx.state.touch(row, ctx.user.uid, ctx.now)
        elif row is changed:
            store.update_issue(row)
    return ChildRow(link_id, issue.seq, {**data, "direction": draft.direction, "other": other.seq})


def _exists(ctx: Ctx, issue: IssueRow, draft: LinkDraft) -> bool:
    directions = ("outward", "inward") if draft.type_id in SYMMETRIC_LINK_TYPES else (draft.direction,)
    return any(ctx.store.link_exists(issue.seq, draft.other.seq, draft.type_id, d) for d in directions)


def _set_parent(issue: IssueRow, draft: LinkDraft) -> IssueRow | None:
    """A subtask link makes the sub-issue show ``parent``; returns the changed issue."""
    if draft.type_id != "subtask":
        return None
    parent, child = (issue, draft.other) if draft.direction == "outward" else (draft.other, issue)
    child.data["parent"] = parent.seq
    return child


def list_links(ctx: Ctx, key: str) -> Response:
    issue = ctx.issue(key)
    rows, headers = paged(ctx.request, ctx.store.children("links", issue.seq), ctx.cfg)
    others = {o.seq: o for o in ctx.store.issues_by_seqs([r.data["other"] for r in rows])}
    return ctx.respond(
        [ctx.ser.link(issue, r, others[r.data["other"]]) for r in rows if r.data["other"] in others],
        headers=headers,
    )


def get_link(ctx: Ctx, key: str, link_id: str) -> Response:
    issue = ctx.issue(key)
    row = ctx.store.child("links", int(link_id)) if link_id.isdigit() else None
    other = (
        ctx.store.issue_by_seq(row.data["other"]) if row is not None and row.issue_seq == issue.seq else None
    )
    if row is None or other is None:
        raise ApiError(404, f"Link {link_id} of issue {issue.key} does not exist")
    return ctx.respond(ctx.ser.link(issue, row, other))


def delete_link(ctx: Ctx, key: str, link_id: str) -> Response:
    """``DELETE issues/{key}/links/{id}`` (204): unlinks both issues."""
    with ctx.store.transaction():
        issue = ctx.issue(key)
        row = ctx.child("links", issue, link_id, "Link")
        other = ctx.store.issue_by_seq(row.data["other"])
        ctx.store.delete_link_pair(row)
        if row.data["type"] == "subtask":
            child = issue if row.data["direction"] == "inward" else other
            if child is not None:
                child.data.pop("parent", None)
                ctx.store.update_issue(child)
        for changed in (issue, other):
            if changed is not None:
                ctx.child_changed(changed)
    return Response(status=204)


ROUTES = [
    Route("POST", "/issues/<key>/links/_import", "link_import", import_link),
    Route("POST", "/issues/<key>/links", "link_create", create_link),
    Route("GET", "/issues/<key>/links", "list_links", list_links),
    Route("GET", "/issues/<key>/links/<link_id>", "get_link", get_link),
    Route("DELETE", "/issues/<key>/links/<link_id>", "link_delete", delete_link),
]
