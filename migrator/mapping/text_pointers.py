"""What an issue's texts point at, decided once its children are planned: which of its files each
text shows, what is stored for rendering at send time, and what stays lossy.

An embedded file is matched to one of the issue's planned files (by name, id, upload path or URL;
the latest one of a name wins, as Jira shows it). The import decides when a text can show it:

* a **comment** is sent after the files it shows, so its text carries their Tracker ids. Its *own*
  files (and those of later comments) are sent after it — unless ``target.comment_files: inline``
  (the default) attaches them to the issue, just before the comment (``text.file_to_issue``, info);
  with ``attached`` they stay on their comment and the text names them (lossy ``attachment_embed``);
* a **description** is imported before any file: it names them (lossy ``attachment_embed``, with a
  hint) unless ``target.description_files: patch`` PATCHes it once the files are in — which moves
  the issue's ``updatedAt`` to the time of the run (``text.description_patch``, info);
* a file that is not among the issue's files stays a readable name (lossy ``attachment_embed``).

Every text's lossy constructs are reported once here (``markup.lossy``), after this resolution.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from migrator.findings import Severity
from migrator.mapping.issue_context import IssueContext
from migrator.model import Attachment, SourceRef
from migrator.plan import PlannedAttachment, PlannedComment, PlannedIssue, TextPointers
from migrator.textspans import (
    SPAN_LOSSY,
    ConvertedText,
    FileRef,
    IssueRef,
    Mention,
    Span,
    Token,
    prefixed,
    rewrite_spans,
    spans_to_json,
)


@dataclass(frozen=True)
class RecordedText:
    """A text as the transform converted it, before its pointers are settled."""

    converted: ConvertedText
    markup: str
    field: str  # description, comments[3].text
    where: SourceRef | None


class IssueFiles:
    """The issue's planned files by every name a text may use for them."""

    def __init__(self, ctx: IssueContext, planned: PlannedIssue) -> None:
        self.owner: dict[str, str | None] = {a.source_id: None for a in planned.attachments}
        for comment in planned.comments:
            self.owner.update((a.source_id, comment.source_id) for a in comment.attachments)
        self.names: dict[str, str] = {}
        planned_files = {a.source_id: a for a in _all_files(planned)}
        sources = list(ctx.issue.attachments) + [a for c in ctx.issue.comments for a in c.attachments]
        for att in sorted(sources, key=lambda a: (a.created_at is not None, a.created_at or 0)):
            source_id = f"{ctx.unique}/attachment:{att.source.id}"
            found = planned_files.get(source_id)
            if found is None:
                continue  # not planned (missing, or a duplicate: its name finds the copy kept)
            for alias in _aliases(att, found):
                self.names[alias] = source_id

    def find(self, ref: FileRef) -> str | None:
        return next((self.names[key] for key in ref.keys if key in self.names), None)


def _all_files(planned: PlannedIssue) -> Iterable[PlannedAttachment]:
    yield from planned.attachments
    for comment in planned.comments:
        yield from comment.attachments


def _aliases(att: Attachment, planned: PlannedAttachment) -> list[str]:
    names = [planned.filename, att.source.id, f"asana:{att.source.id}"]
    location = (att.location or "").strip()
    if location:
        path = urlsplit(location).path or location
        rooted = "/" + path.lstrip("/")
        upload = rooted.find(
            "/uploads/"
        )  # GitLab: /uploads/<hash>/<name>, in the export uploads/<hash>/<name>
        names += [location, path, unquote(PurePosixPath(path).name)]
        if upload >= 0:
            names.append(rooted[upload:])
    return [n for n in names if n]


class PointerPlanner:
    """Settles the pointers of one planned issue's description and comments (see the module doc)."""

    def __init__(self, ctx: IssueContext, planned: PlannedIssue, recorded: dict[str, RecordedText]) -> None:
        self.ctx = ctx
        self.planned = planned
        self.recorded = recorded
        self.lossy: Counter[str] = Counter()
        self.files = IssueFiles(ctx, planned)

    def settle(self) -> None:
        self._comments()  # in the order the transform converted them: comments, then the description
        self._description()
        for text in self.recorded.values():  # texts not planned (empty comments) report their own losses
            self._report_lossy(text, text.converted.lossy, [])

    def _description(self) -> None:
        text = self.recorded.pop("description", None)
        body = self.planned.body
        if text is None or not body.get("description"):
            if text is not None:
                self._report_lossy(text, text.converted.lossy, [])
            return
        patch = self.ctx.cfg.target.description_files == "patch"

        def why_not(ref: FileRef, found: str) -> str | None:
            if patch:
                return None
            return (
                f"the description names {ref.name!r} (it is imported before its files; "
                "target.description_files: patch shows them)"
            )

        settled, shows, unshown = self._settle(_aligned(text.converted, str(body["description"])), why_not)
        self.planned.description_pointers = _pointers(settled, shows)
        if shows:
            self.planned.description_patch = True
            self.ctx.scope.info(
                "text.description_patch",
                f"the description shows {len(set(shows))} of the issue's files: it is PATCHed once they "
                "are uploaded, which sets the issue's updatedAt to the time of the run",
                field="description",
                value=", ".join(self._file_names(shows)),
                hint="target.description_files: named keeps updatedAt and names the files instead",
            )
        self._report_lossy(text, _lossy(settled), unshown)

    def _comments(self) -> None:
        fields = {
            f"{self.ctx.unique}/comment:{comment.source.id}": f"comments[{index}].text"
            for index, comment in enumerate(self.ctx.issue.comments)
        }  # the transform's field paths and comment ids (issue_children.py)
        later = {c.source_id for c in self.planned.comments}
        for comment in self.planned.comments:
            later.discard(comment.source_id)
            text = self.recorded.pop(fields.get(comment.source_id, ""), None)
            if text is not None:
                self._comment(comment, text, later)

    def _comment(self, comment: PlannedComment, text: RecordedText, later: set[str]) -> None:
        """``later``: the comments sent after this one (shared, not copied: an issue with thousands
        of comments must not cost a set per comment)."""
        inline = self.ctx.cfg.target.comment_files == "inline"

        def why_not(ref: FileRef, found: str) -> str | None:
            owner = self.files.owner.get(found)
            if owner != comment.source_id and owner not in later:
                return None  # an issue file, or one of a comment sent before this one
            if not inline:
                return f"{ref.name!r} stays attached to its comment: the text names it"
            self._to_issue(found, text)
            return None

        settled, shows, unshown = self._settle(
            _aligned(text.converted, str(comment.body.get("text", ""))), why_not
        )
        comment.pointers = _pointers(settled, shows)
        self._report_lossy(text, _lossy(settled), unshown)

    def _settle(
        self, converted: ConvertedText, why_not: Callable[[FileRef, str], str | None]
    ) -> tuple[ConvertedText, list[str], list[str]]:
        """Each embedded file matched to one of the issue's files; ``why_not(ref, file)`` says why
        the text cannot show it (None: it can). Returns the text, the files it shows, and why the
        others stay named."""
        shows: list[str] = []
        unshown: list[str] = []

        def resolve(span: Span) -> Token:
            token = span.token
            if not isinstance(token, FileRef):
                return token
            found = self.files.find(token)
            why = (
                f"{token.name!r} is not among the issue's files: the text names it" if found is None else None
            )
            why = why or why_not(token, found or "")
            if why is not None or found is None:
                unshown.append(why or "")
                return replace(token, keys=())
            shows.append(found)
            return replace(token, keys=(found,))

        return rewrite_spans(converted, resolve), shows, unshown

    def _to_issue(self, source_id: str, shown_by: RecordedText) -> None:
        """Attach a comment's file to the issue, so it is uploaded before the comment showing it."""
        owner = self.files.owner[source_id]
        holder = next(c for c in self.planned.comments if c.source_id == owner)
        file = next(a for a in holder.attachments if a.source_id == source_id)
        holder.attachments.remove(file)
        self.planned.attachments.append(file)
        self.files.owner[source_id] = None
        self.ctx.scope.info(
            "text.file_to_issue",
            f"{file.filename!r} belongs to a comment sent after this one's text (its own, or a later one): "
            "it is attached to the issue instead, uploaded just before this comment, so the comment can show it",
            field=shown_by.field,
            value=file.filename,
            where=shown_by.where,
            hint="target.comment_files: attached keeps such files on their comment and names them in the text",
        )

    def _file_names(self, source_ids: Iterable[str]) -> list[str]:
        by_id = {a.source_id: a.filename for a in _all_files(self.planned)}
        return sorted({by_id.get(s, s) for s in source_ids})

    def _report_lossy(self, text: RecordedText, kinds: list[str], unshown: list[str]) -> None:
        if not kinds:
            return
        self.lossy.update(kinds)
        names = sorted(set(kinds))
        severity = Severity.WARNING if "converter_failed" in kinds else Severity.INFO
        message = f"{text.markup} markup converted with losses: {', '.join(names)}"
        if unshown:
            message += "; " + "; ".join(sorted(set(unshown)))
        self.ctx.scope.report(
            severity,
            "markup.lossy",
            message,
            field=text.field,
            value=", ".join(names),
            where=text.where,
            hint="see docs/mapping.md (Markup) for what each kind means",
        )


def _aligned(converted: ConvertedText, final: str) -> ConvertedText:
    """``converted`` lined up with the text planned for the body (which may start with an
    "Originally by" note). A text that is not the conversion plus a prefix keeps no spans."""
    if final == converted.text:
        return converted
    if final.endswith(converted.text):
        return prefixed(converted, final[: len(final) - len(converted.text)])
    return ConvertedText(final, [k for k in converted.lossy if k not in SPAN_LOSSY])


def _pointers(settled: ConvertedText, shows: list[str]) -> TextPointers | None:
    """What is stored: issue references and files (mentions are final already)."""
    spans = [s for s in settled.spans if isinstance(s.token, IssueRef | FileRef)]
    if not spans:
        return None
    return TextPointers(spans=spans_to_json(spans), shows=sorted(set(shows)))


def _lossy(settled: ConvertedText) -> list[str]:
    """The final lossy kinds: the converter's, plus files that stay named and unmapped people."""
    kinds = [kind for kind in settled.lossy if kind not in SPAN_LOSSY]
    for span in settled.spans:
        token = span.token
        if isinstance(token, FileRef) and not token.keys and not token.external:
            kinds.append("attachment_embed")
        elif isinstance(token, Mention) and not token.login:
            kinds.append("mention_unmapped")
    return kinds
