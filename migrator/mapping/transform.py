"""Canonical ``Issue`` -> API-ready ``PlannedIssue``: the bodies the ``_import`` endpoints take.

``IssueTransformer.transform(issue)`` applies the mapping (value maps, users, markup, extra
fields), enforces the import API's rules (lengths, the issue's time window, resolution pairing)
and reports — never silently fixes — everything it had to change. It returns ``None`` when the
issue has any error; a returned ``PlannedIssue`` is complete (nothing in it was dropped because of
an error). Every finding names the issue's file/row/key and the field (``comments[3].created_at``).

The work is split by what it touches: ``issue_context`` (one issue's findings scope and shared
checks), ``issue_fields`` (the issue's own fields and time window), ``issue_children`` (comments,
files, worklogs, links), ``texts`` (markup per field, references, mentions; conversion ahead in a
process pool) and ``text_pointers`` (which files each text shows, what is rendered at send time). The full rule list, and every finding kind, is in ``docs/mapping.md``.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path

from migrator.findings import Findings
from migrator.mapping.attachments import AttachmentFiles
from migrator.mapping.config import MappingConfig
from migrator.mapping.issue_children import IssueChildrenPlanner
from migrator.mapping.issue_context import Catalogue, IssueContext, IssueScope, ms
from migrator.mapping.issue_fields import IssueFieldsPlanner
from migrator.mapping.target_info import TargetInfo
from migrator.mapping.text_pointers import PointerPlanner, RecordedText
from migrator.mapping.texts import TextConversions
from migrator.mapping.users import UserResolver
from migrator.mapping.values import ValueMapper
from migrator.model import Issue, SourceRef
from migrator.plan import PlannedIssue
from migrator.results import UserRow, ValueCoverageRow
from migrator.timeutil import now_utc

BODY_ORDER = (
    "queue",
    "unique",
    "key",
    "summary",
    "description",
    "markupType",
    "type",
    "status",
    "priority",
    "createdAt",
    "createdBy",
    "updatedAt",
    "updatedBy",
    "resolution",
    "resolvedAt",
    "resolvedBy",
    "assignee",
    "followers",
    "tags",
    "components",
    "affectedVersions",
    "fixVersions",
    "deadline",
    "start",
    "end",
    "originalEstimation",
    "spent",
    "storyPoints",
)


class IssueTransformer:
    """Transforms canonical issues into planned imports; collects coverage, users and lossiness
    across every issue it sees (see ``coverage``, ``user_rows``, ``distributions``, ``lossy``)."""

    def __init__(
        self,
        config: MappingConfig,
        target: TargetInfo,
        findings: Findings,
        *,
        source_dir: Path | None,
        now: datetime | None = None,
        env: Mapping[str, str] | None = None,
        source_roots: Sequence[Path] = (),
    ) -> None:
        """``env`` (default: the process environment) holds ``source.files.auth_env``;
        ``source_roots`` are the export's own folders (SOURCE folders, the archive cache), where
        attachments the readers found keep their absolute local path."""
        self.config = config
        self.target = target
        self.findings = findings
        self.now = ms(now or now_utc())
        self.values = ValueMapper(config.values)
        self.users = UserResolver(config.users, target.users())
        self.texts = TextConversions(config.source, self.users.mention_login)
        self._recorded: dict[str, RecordedText] = {}  # the issue being transformed: field path -> text
        self.files = AttachmentFiles.from_spec(
            config.source.files, Path(source_dir or "."), os.environ if env is None else env, source_roots
        )
        self.lossy: Counter[str] = Counter()
        self.component_ids = Catalogue(target.components)
        self.version_ids = Catalogue(target.versions)

    def transform(self, issue: Issue) -> PlannedIssue | None:
        """The planned import of ``issue``, or None when it has errors (all recorded in findings)."""
        scope = IssueScope(self.findings, issue)
        self._recorded = {}
        ctx = IssueContext(self, issue, scope)
        planned = build_planned_issue(ctx)
        pointers = PointerPlanner(ctx, planned, self._recorded)
        pointers.settle()
        self.lossy.update(pointers.lossy)
        return planned if scope.errors == 0 else None

    def prefetch(self, issues: Iterable[Issue], *, large: bool = False) -> Iterator[Issue]:
        """The issue stream, with its texts converted ahead (in a process pool when it is large;
        ``large``: known to be large before it is read)."""
        return self.texts.prefetch(issues, large=large)

    @property
    def coverage(self) -> list[ValueCoverageRow]:
        return self.values.coverage()

    @property
    def user_rows(self) -> list[UserRow]:
        return self.users.rows()

    @property
    def distributions(self) -> dict[str, list[tuple[str, str | None, int]]]:
        return self.values.distributions()

    def convert_text(
        self, text: str, scope: IssueScope, field_name: str, where: SourceRef | None = None
    ) -> str:
        """Source markup -> YFM with nothing resolved. The conversion is kept for the issue's
        pointers (``text_pointers``), which also report its lossy constructs once settled."""
        converted = self.texts.convert(text, field_name)
        self._recorded[field_name] = RecordedText(
            converted, self.texts.markup_of(field_name), field_name, where
        )
        return converted.text


def build_planned_issue(ctx: IssueContext) -> PlannedIssue:
    """The issue's fields, then its children, then the window their times decide, then the
    description (its author note depends on the resolved author)."""
    body = ctx.parts.body
    body["queue"] = ctx.cfg.target.queue
    body["unique"] = ctx.unique
    fields, children = IssueFieldsPlanner(ctx), IssueChildrenPlanner(ctx)
    fields.summary()
    author = fields.creation()
    resolution = fields.classification()
    fields.people()
    fields.labels()
    fields.schedule()
    fields.extra_fields()
    fields.key()
    comments, loose_files = children.comments()
    attachments = children.issue_attachments(loose_files)
    worklogs = children.worklogs()
    links = children.links()
    fields.window(resolution)
    fields.local_fields_patch()
    fields.description(author)
    extras = {k: v for k, v in body.items() if k not in BODY_ORDER}
    ordered = {k: body[k] for k in BODY_ORDER if k in body} | extras
    return PlannedIssue(
        source=ctx.issue.source,
        source_key=ctx.issue.key,
        body=ordered,
        local_fields=ctx.parts.local_fields,
        comments=[d.planned for d in comments],
        attachments=attachments,
        worklogs=worklogs,
        links=links,
        parent_key=ctx.issue.parent_key,
    )
