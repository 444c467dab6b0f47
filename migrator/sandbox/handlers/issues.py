"""Issues: import, create, get, edit, search, count, find by unique."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from migrator.sandbox.context import Ctx
from migrator.sandbox.errors import ApiError
from migrator.sandbox.handlers.routes import Route
from migrator.sandbox.paging import Page, page_headers, positive_int, requested_page, window_rows
from migrator.sandbox.query import Criteria, CriteriaBuilder, run_search
from migrator.sandbox.store import IssueRow


def render(ctx: Ctx, issue: IssueRow) -> dict[str, Any]:
    return ctx.ser.issue(issue, ctx.user, ctx.store.issue_by_seq)


def import_issue(ctx: Ctx) -> Response:
    ctx.require_import_rights()
    draft = ctx.check.issue_import(ctx.json(), ctx.state.find_queue)
    with ctx.store.transaction():
        issue = ctx.state.create_issue(draft)
    return ctx.respond(render(ctx, issue), ctx.cfg.import_status)


def create_issue(ctx: Ctx) -> Response:
    body = ctx.json()
    draft = ctx.check.issue_create(body, ctx.state.find_queue, ctx.user)
    with ctx.store.transaction():
        parent = _parent(ctx, body.get("parent"))
        issue = ctx.state.create_issue(draft)
        _attach_uploads(ctx, issue, body.get("attachmentIds"), "attachmentIds")
        _attach_uploads(ctx, issue, body.get("descriptionAttachmentIds"), "descriptionAttachmentIds")
        if parent is not None:
            _link_parent(ctx, parent, issue)
    return ctx.respond(render(ctx, issue), ctx.cfg.create_status)


def _parent(ctx: Ctx, value: Any) -> IssueRow | None:
    if value is None:
        return None
    ref = (value.get("key") or value.get("id")) if isinstance(value, dict) else value
    parent = ctx.state.find_issue(str(ref))
    if parent is None:
        raise ApiError(ctx.cfg.not_found_status, f"issue {value!r} does not exist", field="parent")
    return parent


def _link_parent(ctx: Ctx, parent: IssueRow, child: IssueRow) -> None:
    data = {"createdAt": ctx.now, "createdBy": ctx.user.uid, "updatedAt": ctx.now, "updatedBy": ctx.user.uid}
    ctx.store.insert_link(
        parent.seq,
        child.seq,
        "subtask",
        "outward",
        {**data, "type": "subtask", "direction": "outward", "other": child.seq},
    )
    ctx.store.insert_link(
        child.seq,
        parent.seq,
        "subtask",
        "inward",
        {**data, "type": "subtask", "direction": "inward", "other": parent.seq},
    )
    child.data["parent"] = parent.seq
    ctx.store.update_issue(child)


def _attach_uploads(ctx: Ctx, issue: IssueRow, ids: Any, name: str, comment_id: int | None = None) -> None:
    if ids is None:
        return
    if not isinstance(ids, list):
        raise ctx.check.bad(name, "must be an array of attachment ids")
    for raw in ids:
        row = ctx.store.attachment(int(raw)) if str(raw).isdigit() else None
        if row is None or row.issue_seq not in (None, issue.seq):
            raise ctx.check.bad(name, f"attachment {raw!r} does not exist or belongs to another issue")
        ctx.store.attach(row.id, issue.seq, comment_id)


def get_issue(ctx: Ctx, key: str) -> Response:
    return ctx.respond(render(ctx, ctx.issue(key)))


def patch_issue(ctx: Ctx, key: str) -> Response:
    body = ctx.json()
    with ctx.store.transaction():
        issue = ctx.issue(key)
        _check_version(ctx, issue)
        queue = ctx.state.queue(issue.queue)
        if queue is None:
            raise ApiError(404, f"Queue {issue.queue} of issue {issue.key} does not exist")
        data = ctx.check.issue_patch(body if body is not None else {}, issue, queue)
        uploads = (body or {}).get("attachmentIds")
        if data != issue.data or uploads:
            _attach_uploads(ctx, issue, uploads, "attachmentIds")
            issue.data = data
            ctx.state.touch(issue, ctx.user.uid, ctx.now)
    return ctx.respond(render(ctx, issue))


def _check_version(ctx: Ctx, issue: IssueRow) -> None:
    if issue.version >= ctx.cfg.version_cap:
        raise ApiError(
            423,
            f"Issue {issue.key} has reached the maximum version {ctx.cfg.version_cap}; edits are disabled",
        )
    expected = ctx.expected_version()
    if expected is not None and expected != issue.version:
        raise ApiError(
            ctx.cfg.stale_version_status,
            f"Issue {issue.key} has version {issue.version}, not {expected}: it was changed meanwhile",
            field="version",
        )


def _criteria(ctx: Ctx, body: Any) -> Criteria:
    builder = CriteriaBuilder(ctx.state.org, ctx.cfg.validation_status, ctx.state.queue_any)
    return builder.from_body(body)


def search(ctx: Ctx) -> Response:
    args = ctx.request.args
    if args.get("scrollId"):
        return _scroll_next(ctx, args["scrollId"], args.get("scrollToken"))
    body = ctx.json()
    criteria = _criteria(ctx, body)
    if args.get("scrollType"):
        return _scroll_start(ctx, body or {}, criteria)
    return _search_page(ctx, criteria)


def _search_page(ctx: Ctx, criteria: Criteria) -> Response:
    """One page of a search, within the search window (see paging.py)."""
    page: Page = requested_page(ctx.request, ctx.cfg)
    rows, total = run_search(ctx.store, criteria, page.offset, window_rows(page, ctx.cfg))
    reachable = min(total, ctx.cfg.search_window)
    headers = page_headers(ctx.request, page, total, ctx.cfg, reachable=reachable)
    return ctx.respond([render(ctx, r) for r in rows], headers=headers)


def _scroll_start(ctx: Ctx, body: dict[str, Any], criteria: Criteria) -> Response:
    args = ctx.request.args
    status = ctx.cfg.validation_status
    if args["scrollType"] not in ("sorted", "unsorted"):
        raise ApiError(status, "scrollType must be 'sorted' or 'unsorted'", field="scrollType")
    if body.get("keys") or body.get("queue"):
        raise ApiError(
            status,
            "Scroll is not supported for keys or queue; use filter or query",
            field="scrollType",
            prefix=False,
        )
    per_scroll = min(
        positive_int(args, "perScroll", ctx.cfg.per_scroll_default, status), ctx.cfg.per_scroll_max
    )
    ttl = positive_int(args, "scrollTTLMillis", ctx.cfg.scroll_ttl_ms_default, status)
    rows, _total = run_search(ctx.store, criteria)
    scroll_id, scroll = ctx.state.scrolls.start([r.seq for r in rows], per_scroll, ttl)
    return _scroll_page(ctx, scroll_id, scroll)


def _scroll_next(ctx: Ctx, scroll_id: str, token: str | None) -> Response:
    scroll = ctx.state.scrolls.take(scroll_id, token, ctx.cfg.validation_status)
    return _scroll_page(ctx, scroll_id, scroll)


def _scroll_page(ctx: Ctx, scroll_id: str, scroll: Any) -> Response:
    seqs = ctx.state.scrolls.next_chunk(scroll)
    rows = ctx.store.issues_by_seqs(seqs)
    headers = {
        "X-Scroll-Id": scroll_id,
        "X-Scroll-Token": scroll.token,
        "X-Total-Count": str(len(scroll.seqs)),
    }
    if scroll.position < len(scroll.seqs):
        url = f"{ctx.request.base_url}?scrollId={scroll_id}&scrollToken={scroll.token}&perScroll={scroll.per_scroll}"
        headers["Link"] = f'<{url}>; rel="next"'
    return ctx.respond([render(ctx, r) for r in rows], headers=headers)


def count(ctx: Ctx) -> Response:
    _rows, total = run_search(ctx.store, _criteria(ctx, ctx.json()), 0, 0)
    return ctx.respond(total)


def list_issues(ctx: Ctx) -> Response:
    """Legacy ``GET /v2/issues?filter=field:value&query=...``."""
    args = ctx.request.args
    body: dict[str, Any] = {}
    filters = [f.split(":", 1) for f in args.getlist("filter") if ":" in f]
    if filters:
        body["filter"] = {name: value for name, value in filters}
    for name in ("query", "queue"):
        if args.get(name):
            body[name] = args[name]
    if args.get("keys"):
        body["keys"] = args["keys"].split(",")
    return _search_page(ctx, _criteria(ctx, body))


def find_by_unique(ctx: Ctx) -> Response:
    unique = ctx.request.args.get("unique")
    if not unique:
        raise ApiError(ctx.cfg.validation_status, "is required", field="unique")
    issue = ctx.store.issue_by_unique(unique)
    if issue is None:
        raise ApiError(404, f"No issue with unique {unique!r}")
    return ctx.respond(render(ctx, issue))


ROUTES = [
    Route("POST", "/issues/_import", "issue_import", import_issue),
    Route("POST", "/issues/_search", "search", search),
    Route("POST", "/issues/_count", "count", count),
    Route(("POST", "GET"), "/issues/_findByUnique", "find_by_unique", find_by_unique),
    Route("POST", "/issues", "create", create_issue),
    Route("GET", "/issues", "search", list_issues),
    Route("GET", "/issues/<key>", "get_issue", get_issue),
    Route("PATCH", "/issues/<key>", "patch", patch_issue),
]
