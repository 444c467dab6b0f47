"""The planned issue's children: comments (in time order, with their files), files, worklogs and
links (one ledger id per link, whichever end lists it), each inside the issue's time window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from migrator.mapping.attachments import MAX_FILENAME, FileProblem
from migrator.mapping.issue_context import Activity, IssueContext, ms, not_migrated_note, wire
from migrator.model import Attachment, Comment, Link, SourceRef, Worklog
from migrator.plan import (
    PlannedAttachment,
    PlannedComment,
    PlannedLink,
    PlannedWorklog,
    append_notes,
)
from migrator.timeutil import format_iso_duration
from migrator.vocabulary import CHILD_OF, INVERSE_RELATIONSHIP

# Files the export cannot give (as opposed to files Tracker would refuse, or a download that may
# work next time — ``attachment.download_failed`` stays an error): with
# ``source.files.missing: skip-file`` their issue is imported without them, and its text names them.
UNOBTAINABLE = {
    "attachment.missing": "file missing in the export",
    "attachment.unreadable": "file unreadable in the export",
}


def canonical_link_id(this_key: str, relationship: str, other_key: str) -> str:
    """The ledger id of a link, the same from both ends: the lexicographically smaller source key
    is the ``from`` side (the relationship inverted when the pair is flipped)."""
    if this_key <= other_key:
        return f"link:{this_key}|{relationship}|{other_key}"
    return f"link:{other_key}|{INVERSE_RELATIONSHIP[relationship]}|{this_key}"


@dataclass
class CommentDraft:
    planned: PlannedComment
    created_at: datetime
    author: str | None


class IssueChildrenPlanner:
    """Plans one issue's comments, files, worklogs and links; records their times as activities."""

    def __init__(self, ctx: IssueContext) -> None:
        self.ctx = ctx
        self._files_seen: set[tuple[str, int, str]] = set()  # (name, size, sha256): one import each

    def comments(self) -> tuple[list[CommentDraft], list[tuple[Attachment, str]]]:
        """Planned comments in createdAt order, and files that end up issue-level (of skipped or
        unknown comments) with the field path they are reported under."""
        by_comment: dict[str, list[tuple[Attachment, str]]] = {}
        loose: list[tuple[Attachment, str]] = []
        for index, att in enumerate(self.ctx.issue.attachments):
            if att.comment_id is None:
                continue
            by_comment.setdefault(att.comment_id, []).append((att, f"attachments[{index}]"))
        drafts: list[CommentDraft] = []
        order = sorted(enumerate(self.ctx.issue.comments), key=lambda pair: ms(pair[1].created_at))
        for index, comment in order:
            files = [(a, f"comments[{index}].attachments[{j}]") for j, a in enumerate(comment.attachments)]
            files += by_comment.pop(comment.source.id, [])
            draft = self._comment(index, comment)
            if draft is None:
                loose.extend(files)
                continue
            draft.planned.attachments, notes = self._attachments(
                files, draft.created_at, "the comment's createdAt", draft.author, "the comment"
            )
            if notes:
                draft.planned.body["text"] = append_notes(draft.planned.body["text"], notes)
                self.ctx.check_length(draft.planned.body["text"], f"comments[{index}].text", comment.source)
            drafts.append(draft)
        for comment_id, files in by_comment.items():
            for att, path in files:
                self.ctx.scope.warning(
                    "attachment.comment_missing",
                    f"file {att.filename!r} belongs to comment {comment_id!r}, which the issue does not have",
                    field=f"{path}.comment_id",
                    value=comment_id,
                    where=att.source,
                    hint="the file is attached to the issue instead",
                )
                loose.append((att, path))
        return drafts, loose

    def _comment(self, index: int, comment: Comment) -> CommentDraft | None:
        prefix, where = f"comments[{index}]", comment.source
        author = self.ctx.user(comment.author, f"{prefix}.author", where)
        created = self.ctx.not_before(
            comment.created_at, self.ctx.created_at, f"{prefix}.created_at", "the issue's createdAt", where
        )
        text = self.ctx.t.convert_text(comment.text or "", self.ctx.scope, f"{prefix}.text", where)
        if not text.strip():
            files = len(comment.attachments)
            self.ctx.scope.warning(
                "comment.empty",
                "the comment has no text and is skipped" + (" (its files go to the issue)" if files else ""),
                field=f"{prefix}.text",
                where=where,
                hint="Tracker does not accept comments without text",
            )
            return None
        text = self.ctx.attributed(text, author, comment.author)
        self.ctx.check_length(text, f"{prefix}.text", where)
        body: dict[str, Any] = {"text": text, "createdAt": wire(created), "createdBy": author.login}
        self.ctx.parts.activities.append(Activity(created, author.login))
        if comment.updated_at is not None:
            updated = self.ctx.not_before(
                comment.updated_at, created, f"{prefix}.updated_at", "the comment's createdAt", where
            )
            editor = (
                self.ctx.user(comment.updated_by, f"{prefix}.updated_by", where).login
                if comment.updated_by
                else author.login
            )
            body["updatedAt"] = wire(updated)
            body["updatedBy"] = editor
            self.ctx.parts.activities.append(Activity(updated, editor))
        if self.ctx.cfg.target.markup_type:
            body["markupType"] = self.ctx.cfg.target.markup_type
        planned = PlannedComment(source_id=f"{self.ctx.unique}/comment:{comment.source.id}", body=body)
        return CommentDraft(planned, created, author.login)

    def issue_attachments(self, loose: list[tuple[Attachment, str]]) -> list[PlannedAttachment]:
        """Issue-level files; a file that cannot be had is named in the description instead."""
        files = [
            (a, f"attachments[{i}]") for i, a in enumerate(self.ctx.issue.attachments) if a.comment_id is None
        ]
        planned, notes = self._attachments(
            files + loose,
            self.ctx.created_at,
            "the issue's createdAt",
            self.ctx.created_by,
            "the description",
        )
        self.ctx.parts.notes.extend(notes)
        return planned

    def _attachments(
        self,
        files: list[tuple[Attachment, str]],
        floor: datetime,
        floor_label: str,
        default_by: str | None,
        named_in: str,
    ) -> tuple[list[PlannedAttachment], list[str]]:
        """The planned files, and a note for each file that cannot be had (``skip-file``), which goes
        into ``named_in`` (the description or the comment's text)."""
        planned, notes = [], []
        for att, path in files:
            item = self._attachment(att, path, floor, floor_label, default_by, named_in)
            if isinstance(item, PlannedAttachment):
                planned.append(item)
            elif item is not None:
                notes.append(item)
        return planned, notes

    def _attachment(
        self,
        att: Attachment,
        path: str,
        floor: datetime,
        floor_label: str,
        default_by: str | None,
        named_in: str,
    ) -> PlannedAttachment | str | None:
        """The planned file; or the note naming a file that cannot be had (``skip-file``); or None."""
        where = att.source
        filename = (att.filename or "").strip() or Path(att.location or "").name
        if len(filename) > MAX_FILENAME:
            self.ctx.scope.error(
                "attachment.name_too_long",
                f"the file name has {len(filename)} characters (Tracker allows {MAX_FILENAME})",
                field=f"{path}.filename",
                value=filename[:60] + "…",
                where=where,
                hint="rename the file in the export",
            )
        issue = self.ctx.issue
        found = self.ctx.t.files.resolve(att, (issue.key, issue.source.id))
        if isinstance(found, FileProblem):
            return self._unusable_file(found, att, path, filename, named_in)
        self._check_size(att, found.size, path)
        fingerprint = (filename, found.size, found.sha256)
        if fingerprint in self._files_seen:
            self.ctx.scope.warning(
                "attachment.duplicate",
                f"{filename!r} ({found.size} bytes) is attached twice; imported once",
                field=path,
                value=filename,
                where=where,
                hint="same name, size and SHA-256 as an earlier file of the issue",
            )
            return None
        self._files_seen.add(fingerprint)
        created = self.ctx.not_before(
            att.created_at or floor, floor, f"{path}.created_at", floor_label, where
        )
        by = self.ctx.user(att.author, f"{path}.author", where).login if att.author else default_by
        self.ctx.parts.activities.append(Activity(created, by))
        return PlannedAttachment(
            source_id=f"{self.ctx.unique}/attachment:{att.source.id}",
            filename=filename,
            path=str(found.path),
            created_at=wire(created),
            created_by=by or "",
            size=found.size,
            sha256=found.sha256,
        )

    def _unusable_file(
        self, found: FileProblem, att: Attachment, path: str, filename: str, named_in: str
    ) -> str | None:
        """Report a file that cannot be imported. With ``source.files.missing: skip-file`` a file that
        cannot be had is a warning and the note naming it is returned; anything else is an error."""
        reason = UNOBTAINABLE.get(found.kind)
        if reason is None or self.ctx.cfg.source.files.missing != "skip-file":
            self.ctx.scope.error(
                found.kind,
                found.message,
                field=f"{path}.location",
                value=att.location,
                where=att.source,
                hint=found.hint
                + (
                    "; or set source.files.missing: skip-file to import the issue without it"
                    if reason
                    else ""
                ),
            )
            return None
        self.ctx.scope.warning(
            found.kind,
            f"{found.message}; the issue is imported without it and {named_in} names it",
            field=f"{path}.location",
            value=att.location,
            where=att.source,
            hint=found.hint + "; or set source.files.missing: error to keep the issue out until it is found",
        )
        return not_migrated_note(filename, reason)

    def _check_size(self, att: Attachment, actual: int, path: str) -> None:
        if att.size is not None and att.size != actual:
            self.ctx.scope.warning(
                "attachment.size_mismatch",
                f"the export says {att.size} bytes, the file has {actual}",
                field=f"{path}.size",
                value=att.size,
                where=att.source,
                hint="the file may be truncated or a different version",
            )

    def worklogs(self) -> list[PlannedWorklog]:
        planned = []
        for index, worklog in enumerate(self.ctx.issue.worklogs):
            item = self._worklog(index, worklog)
            if item is not None:
                planned.append(item)
        return planned

    def _worklog(self, index: int, worklog: Worklog) -> PlannedWorklog | None:
        prefix, where = f"worklogs[{index}]", worklog.source
        if worklog.duration.total_seconds() <= 0:
            self.ctx.scope.warning(
                "worklog.empty",
                f"the worklog's duration is {worklog.duration}; skipped",
                field=f"{prefix}.duration",
                value=str(worklog.duration),
                where=where,
                hint="Tracker needs a positive duration",
            )
            return None
        author = self.ctx.user(worklog.author, f"{prefix}.author", where).login
        start = ms(worklog.start)
        self.ctx.check_future(start, f"{prefix}.start", where)
        created = self.ctx.not_before(
            worklog.created_at or start,
            self.ctx.created_at,
            f"{prefix}.created_at",
            "the issue's createdAt",
            where,
        )
        self.ctx.parts.activities.append(Activity(created, author))
        body: dict[str, Any] = {
            "start": wire(start),
            "duration": format_iso_duration(worklog.duration),
            "createdAt": wire(created),
            "createdBy": author,
        }
        if worklog.comment and worklog.comment.strip():
            body["comment"] = worklog.comment
        return PlannedWorklog(source_id=f"{self.ctx.unique}/worklog:{worklog.source.id}", body=body)

    def links(self) -> list[PlannedLink]:
        planned: dict[str, PlannedLink] = {}
        for index, link in enumerate(self.ctx.issue.links):
            self._link(index, link, planned)
        if self.ctx.issue.parent_key:
            self._add_link(
                planned,
                self.ctx.issue.parent_key,
                CHILD_OF,
                self.ctx.created_at,
                self.ctx.created_by,
                "parent",
            )
        return list(planned.values())

    def _link(self, index: int, link: Link, planned: dict[str, PlannedLink]) -> None:
        prefix, where, key = f"links[{index}]", link.source, self.ctx.issue.key
        relationship = self._relationship(link.relationship, f"{prefix}.relationship", where)
        if relationship is None:
            return
        if link.from_key == key:
            other, seen_here = link.to_key, relationship
        elif link.to_key == key:
            other, seen_here = link.from_key, INVERSE_RELATIONSHIP[relationship]
        else:
            self.ctx.scope.error(
                "link.not_on_issue",
                f"link {link.from_key} -> {link.to_key} does not involve this issue",
                field=prefix,
                value=f"{link.from_key} {link.relationship} {link.to_key}",
                where=where,
                hint="the source adapter attached the link to the wrong issue",
            )
            return
        if other == key:
            self.ctx.scope.warning(
                "link.self", "the issue links to itself; skipped", field=prefix, value=other, where=where
            )
            return
        created = self.ctx.not_before(
            link.created_at or self.ctx.created_at,
            self.ctx.created_at,
            f"{prefix}.created_at",
            "the issue's createdAt",
            where,
        )
        by = (
            self.ctx.user(link.author, f"{prefix}.author", where).login
            if link.author
            else self.ctx.created_by
        )
        self._add_link(planned, other, seen_here, created, by, prefix)

    def _relationship(self, value: str, field_name: str, where: SourceRef) -> str | None:
        if not value or not value.strip():
            return None
        mapped = self.ctx.t.values.apply(
            "link", value.strip(), self.ctx.scope.value_reporter(field_name, where)
        )
        if mapped.target is None:
            return None
        if mapped.target in INVERSE_RELATIONSHIP and mapped.target in self.ctx.target.link_relationships():
            return mapped.target
        self.ctx.scope.error(
            "value.unknown_in_target",
            f"link relationship {mapped.target!r} is not one Tracker can import",
            field=field_name,
            value=value,
            where=where,
            hint=f"map it in values.link.map to one of: {', '.join(sorted(self.ctx.target.link_relationships()))}",
        )
        return None

    def _add_link(
        self,
        planned: dict[str, PlannedLink],
        other: str,
        relationship: str,
        created: datetime,
        by: str | None,
        label: str,
    ) -> None:
        if relationship not in self.ctx.target.link_relationships():
            self.ctx.scope.error(
                "value.unknown_in_target",
                f"the target has no link type for {relationship!r}",
                field=label,
                value=relationship,
                hint="add the link type in Tracker",
            )
            return
        source_id = canonical_link_id(self.ctx.issue.key, relationship, other)
        if source_id in planned:
            return
        self.ctx.parts.activities.append(Activity(created, by))
        planned[source_id] = PlannedLink(
            source_id=source_id,
            to_source_key=other,
            relationship=relationship,
            created_at=wire(created),
            created_by=by or "",
        )
