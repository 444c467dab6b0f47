"""What the export holds, counted as the run will send it, and the API calls that will take.

``Tally`` is fed one issue at a time by :class:`migrator.pipeline.prepared.PreparedRun`; ``estimate``
turns it into the call count and duration that ``validate`` reports before anything is written.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from migrator.model import Issue
from migrator.plan import PlannedIssue
from migrator.results import Estimate

# Tracker's documented rate limit: up to 10 requests per second, outside search and bulk operations.
DEFAULT_MAX_RPS = 10.0
SEARCH_PAGE = 100  # issues per search request
# Metadata the run reads before writing: myself, statuses, issue types, priorities, resolutions,
# link types, fields, queue, local fields, components, versions, ~2 workflows; plus users, 1 per 100.
FIXED_METADATA_READS = 13
USERS_PER_PAGE = 100


@dataclass
class Tally:
    """Counts of what the export holds, in the form the run will send it.

    Planned issues are counted as planned (links de-duplicated, files resolved to their sizes). An
    issue the transform could not plan (it has errors) is counted as read from the export, so the
    counts and the estimate describe the whole export, not just its clean part.
    """

    issues: int = 0  # issues read from the sources
    planned: int = 0  # issues the transform could plan
    comments: int = 0
    attachments: int = 0  # issue files + comment files
    attachment_bytes: int = 0  # of planned files (sizes of unplanned ones only when the export states them)
    worklogs: int = 0
    local_field_patches: int = 0  # issues needing a PATCH for queue-local fields
    description_patches: int = 0  # issues whose description is PATCHed to show its files
    # A link listed on both ends is planned twice with one ledger id and imported once.
    _link_ids: set[str] = field(default_factory=set)

    @property
    def links(self) -> int:
        """Distinct links (parent links included)."""
        return len(self._link_ids)

    def add(self, planned: PlannedIssue) -> None:
        self.planned += 1
        self.comments += len(planned.comments)
        self._link_ids.update(link.source_id for link in planned.links)
        self.worklogs += len(planned.worklogs)
        self.local_field_patches += int(bool(planned.local_fields))
        self.description_patches += int(planned.description_patch)
        files = list(planned.attachments) + [a for c in planned.comments for a in c.attachments]
        self.attachments += len(files)
        self.attachment_bytes += sum(a.size or 0 for a in files)

    def add_unplanned(self, issue: Issue) -> None:
        self.comments += len(issue.comments)
        self.worklogs += len(issue.worklogs)
        files = list(issue.attachments) + [a for c in issue.comments for a in c.attachments]
        self.attachments += len(files)
        self.attachment_bytes += sum(a.size or 0 for a in files)
        self._link_ids.update(
            f"source:{link.from_key}|{link.relationship}|{link.to_key}" for link in issue.links
        )
        if issue.parent_key:
            self._link_ids.add(f"source:{issue.key}|parent|{issue.parent_key}")

    def as_counts(self) -> dict[str, int]:
        return {
            "issues": self.issues,
            "comments": self.comments,
            "attachments": self.attachments,
            "attachment_bytes": self.attachment_bytes,
            "links": self.links,
            "worklogs": self.worklogs,
            "issues_planned": self.planned,
            "issues_not_planned": self.issues - self.planned,
            "local_field_patches": self.local_field_patches,
            "description_patches": self.description_patches,
        }


def estimate(
    tally: Tally, *, max_rps: float = DEFAULT_MAX_RPS, users: int = 0, key_checks: int = 0
) -> Estimate:
    """API calls the run makes, by kind, and the time they take at ``max_rps``.

    One call per issue import, comment, file, link, worklog, local-field and description PATCH, plus
    the reads (target metadata, and the key searches: ``key_checks``). Retries are not included.
    """
    if max_rps <= 0:
        raise ValueError("max_rps must be positive")
    by_kind = {
        "issue_import": tally.issues,
        "comment_import": tally.comments,
        "attachment_import": tally.attachments,
        "link_import": tally.links,
        "worklog_import": tally.worklogs,
        "local_field_patch": tally.local_field_patches,
        "description_patch": tally.description_patches,
        "reads": FIXED_METADATA_READS + max(1, math.ceil(users / USERS_PER_PAGE)) + key_checks,
    }
    calls = sum(by_kind.values())
    return Estimate(api_calls=calls, calls_by_kind=by_kind, rate_rps=max_rps, seconds=calls / max_rps)


def key_check_reads(issues: int) -> int:
    """Requests of the ``keep_keys`` collision search: one count, then one search page per 100 keys."""
    return 1 + math.ceil(issues / SEARCH_PAGE)
