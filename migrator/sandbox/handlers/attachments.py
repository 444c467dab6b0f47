"""Files: import to an issue or a comment, attach, temporary upload, list, metadata, download, delete."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from werkzeug.wrappers import Response

from migrator.sandbox.context import Ctx
from migrator.sandbox.errors import ApiError
from migrator.sandbox.files import guess_mimetype, image_size
from migrator.sandbox.handlers.comments import comment_of
from migrator.sandbox.handlers.routes import Route
from migrator.sandbox.paging import paged
from migrator.sandbox.store import AttachmentRow, IssueRow


def _record(
    name: str, content: bytes, declared: str | None, created_at: int, created_by: int
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": name,
        "mimetype": guess_mimetype(name, declared, content),
        "size": len(content),
        "createdAt": created_at,
        "createdBy": created_by,
    }
    size = image_size(content)
    if size:
        data["image"] = size
    return data


def _store(
    ctx: Ctx,
    issue: IssueRow | None,
    comment_id: int | None,
    data: dict[str, Any],
    content: bytes,
    imported: bool,
) -> AttachmentRow:
    attachment_id = ctx.store.insert_attachment(issue.seq if issue else None, comment_id, data, content)
    touches = ctx.cfg.child_import_touches_issue if imported else ctx.cfg.child_create_touches_issue
    if issue is not None and touches:
        ctx.state.touch(issue, ctx.user.uid, ctx.now)
    return AttachmentRow(attachment_id, issue.seq if issue else None, comment_id, data)


def import_attachment(ctx: Ctx, key: str) -> Response:
    ctx.require_import_rights()
    issue = ctx.issue(key)
    name, created_at, created_by = ctx.check.attachment_params(
        ctx.request.args, issue.created_at, issue.updated_at, "the issue's [createdAt, updatedAt]"
    )
    content, _part_name, declared = ctx.upload()
    with ctx.store.transaction():
        issue = ctx.issue(key)
        row = _store(
            ctx, issue, None, _record(name, content, declared, created_at, created_by), content, True
        )
    return ctx.respond(ctx.ser.attachment(issue, row), ctx.cfg.import_status)


def import_comment_attachment(ctx: Ctx, key: str, comment_id: str) -> Response:
    ctx.require_import_rights()
    issue = ctx.issue(key)
    comment = comment_of(ctx, issue, comment_id)
    if ctx.cfg.comment_file_window == "comment":
        low, high, label = (
            comment.data["createdAt"],
            comment.data["updatedAt"],
            "the comment's [createdAt, updatedAt]",
        )
    else:
        low, high, label = issue.created_at, issue.updated_at, "the issue's [createdAt, updatedAt]"
    name, created_at, created_by = ctx.check.attachment_params(ctx.request.args, low, high, label)
    content, _part_name, declared = ctx.upload()
    with ctx.store.transaction():
        issue = ctx.issue(key)
        data = _record(name, content, declared, created_at, created_by)
        row = _store(ctx, issue, comment.id, data, content, True)
    return ctx.respond(ctx.ser.attachment(issue, row), ctx.cfg.import_status)


def _plain_upload(ctx: Ctx, issue: IssueRow | None) -> Response:
    content, part_name, declared = ctx.upload()
    name = ctx.request.args.get("filename") or part_name or "file"
    ctx.check.string("filename", name, ctx.cfg.max_filename)
    with ctx.store.transaction():
        row = _store(
            ctx, issue, None, _record(name, content, declared, ctx.now, ctx.user.uid), content, False
        )
    return ctx.respond(ctx.ser.attachment(issue, row), ctx.cfg.create_status)


def attach_file(ctx: Ctx, key: str) -> Response:
    return _plain_upload(ctx, ctx.issue(key))


def upload_temporary(ctx: Ctx) -> Response:
    return _plain_upload(ctx, None)


def list_attachments(ctx: Ctx, key: str) -> Response:
    issue = ctx.issue(key)
    rows, headers = paged(ctx.request, ctx.store.attachments(issue.seq), ctx.cfg)
    return ctx.respond([ctx.ser.attachment(issue, r) for r in rows], headers=headers)


def _attachment(ctx: Ctx, issue: IssueRow | None, attachment_id: str) -> AttachmentRow:
    row = ctx.store.attachment(int(attachment_id)) if attachment_id.isdigit() else None
    if row is None or (issue is not None and row.issue_seq != issue.seq):
        raise ApiError(404, f"Attachment {attachment_id} does not exist")
    return row


def get_attachment(ctx: Ctx, key: str, attachment_id: str) -> Response:
    issue = ctx.issue(key)
    return ctx.respond(ctx.ser.attachment(issue, _attachment(ctx, issue, attachment_id)))


def get_temporary(ctx: Ctx, attachment_id: str) -> Response:
    row = _attachment(ctx, None, attachment_id)
    issue = ctx.store.issue_by_seq(row.issue_seq) if row.issue_seq is not None else None
    return ctx.respond(ctx.ser.attachment(issue, row))


def _download(ctx: Ctx, row: AttachmentRow) -> Response:
    content = ctx.store.attachment_content(row.id) or b""
    response = Response(content, 200, content_type=row.data["mimetype"])
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(row.data['name'])}"
    return response


def download(ctx: Ctx, key: str, attachment_id: str, name: str) -> Response:
    return _download(ctx, _attachment(ctx, ctx.issue(key), attachment_id))


def download_temporary(ctx: Ctx, attachment_id: str, name: str) -> Response:
    return _download(ctx, _attachment(ctx, None, attachment_id))


def delete_attachment(ctx: Ctx, key: str, attachment_id: str) -> Response:
    """``DELETE issues/{key}/attachments/{id}`` (204), an issue's or a comment's file."""
    with ctx.store.transaction():
        issue = ctx.issue(key)
        row = _attachment(ctx, issue, attachment_id)
        ctx.store.delete_attachment(row.id)
        ctx.child_changed(issue)
    return Response(status=204)


def thumbnail(ctx: Ctx, key: str, attachment_id: str) -> Response:
    raise ApiError(404, "Thumbnails are not generated by the sandbox")


ROUTES = [
    Route("POST", "/issues/<key>/attachments/_import", "attachment_import", import_attachment),
    Route(
        "POST",
        "/issues/<key>/comments/<comment_id>/attachments/_import",
        "comment_attachment_import",
        import_comment_attachment,
    ),
    Route("POST", "/issues/<key>/attachments", "attachment_create", attach_file),
    Route("GET", "/issues/<key>/attachments", "list_attachments", list_attachments),
    Route("GET", "/issues/<key>/attachments/<attachment_id>", "get_attachment", get_attachment),
    Route("DELETE", "/issues/<key>/attachments/<attachment_id>", "attachment_delete", delete_attachment),
    Route("GET", "/issues/<key>/attachments/<attachment_id>/<path:name>", "download", download),
    Route("GET", "/issues/<key>/thumbnails/<attachment_id>", "thumbnail", thumbnail),
    Route("POST", "/attachments", "upload", upload_temporary),
    Route("GET", "/attachments/<attachment_id>", "get_attachment", get_temporary),
    Route("GET", "/attachments/<attachment_id>/<path:name>", "download", download_temporary),
]
