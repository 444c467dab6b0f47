"""What the plan stage decides so that every text can be finished when it is sent, the same on
every run: the Tracker key of every issue, and that a file a comment shows is uploaded before it.

**Keys, known before anything is imported.** A text may name an issue imported later (a forward
reference), so every issue's key is decided at plan load, before the first import:

* with ``target.keep_keys`` it is the source number (``PROJ-12`` → ``DEMO-12``), already in the body;
* otherwise the issues that have no key yet get the next numbers after the highest the queue (and
  this state file) uses, in the order of their source keys' numbers (``PAY-2`` before ``PAY-10``;
  keys without a number last, in export order). The highest number is read once — one search
  request, only when some issue needs a new number — and the keys are kept in the ledger
  (``planned_keys``): a repeated or resumed run reuses them and reads nothing.

Every issue is imported with its key (the ``_import`` endpoint accepts any free number of the
queue), so no text is ever re-written after the import: no second pass, no extra write, and the
issue's ``updatedAt`` stays the export's. If another writer takes a planned number meanwhile, the
import answers 409 and that issue fails, naming the key (``execution/kinds.py``): it is never
renumbered, because texts already written name it by that key.

**Files before the comments that show them.** ``first_shown`` gives, for each issue-level file a
comment shows (``PlannedComment.pointers.shows``), when the first such comment is sent: the chain
then uploads the file just before it, so the comment's text can carry the file's Tracker id.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from migrator.plan import PlannedIssue
from migrator.state import NumberOrder, PlanLoad

_PROJECT_KEY_RE = re.compile(r"([A-Z][A-Z0-9_]*)-\d+")
_TRAILING_NUMBER_RE = re.compile(r"(\d+)$")


@dataclass(frozen=True)
class KeyPlan:
    """How issues get their Tracker keys at plan load. ``highest_number`` reads the highest key
    number used in the queue (called at most once per load, only when an issue needs a new key);
    ``reference_projects`` are project keys texts may name besides the export's own
    (``source.references.project_keys``)."""

    highest_number: Callable[[], int]
    reference_projects: tuple[str, ...] = ()


class KeyAllocator:
    """Gives each issue of one plan load its Tracker key (see the module doc): ``add`` every issue
    as the plan streams, then ``finish`` numbers the new ones. A key the body does not carry is
    added to it when the issue is sent (``execution/texts.py``)."""

    def __init__(self, load: PlanLoad, queue: str, plan: KeyPlan) -> None:
        self._load = load
        self._queue = queue
        self._plan = plan
        self._new = load.key_queue()  # issues waiting for a new number: on disk, not in memory
        self.allocated = 0  # new keys given by this load

    def add(self, issue: PlannedIssue, seq: int) -> None:
        key = issue.body.get("key")
        if isinstance(key, str) and key:  # keep_keys: the source number
            self._load.plan_key(issue.source_key, key)
            return
        if not self._load.first:  # a first load has no key planned or issue imported to look up
            imported = self._load.imported_key(issue.source_key)
            if imported is not None:  # imported by a run that did not plan keys
                self._load.plan_key(issue.source_key, imported)
                return
            if self._load.planned_key(issue.source_key) is not None:
                return
        self._new.add(issue.source_key, _number_order(issue.source_key, seq))

    def finish(self) -> None:
        if not len(self._new):
            return
        start = max(self._plan.highest_number(), self._load.highest_planned_number(self._queue)) + 1
        self.allocated = self._new.number(self._queue, start)


def _number_order(source_key: str, seq: int) -> NumberOrder:
    """``PAY-2`` before ``PAY-10`` (by prefix, then number); keys without a number last, by ``seq``."""
    match = _TRAILING_NUMBER_RE.search(source_key)
    if match is None:
        return NumberOrder(False, "", "", seq)
    return NumberOrder(True, source_key[: match.start()], match.group(1), seq)


def text_projects(source_keys: Iterable[str], plan: KeyPlan | None) -> list[str]:
    """The projects whose ``KEY-N`` references are issues of the old tracker: the export's own
    (from its issue keys) and those the mapping names."""
    projects = {m.group(1) for key in source_keys if (m := _PROJECT_KEY_RE.fullmatch(key))}
    return sorted(projects | set(plan.reference_projects if plan is not None else ()))


def first_shown(issue: PlannedIssue) -> dict[str, str]:
    """Issue-level file source id -> ``createdAt`` of the first comment (chain order) showing it."""
    shown: dict[str, str] = {}
    issue_files = {a.source_id for a in issue.attachments}
    for comment in issue.comments:
        for source_id in comment.pointers.shows if comment.pointers is not None else ():
            if source_id in issue_files:
                shown.setdefault(source_id, str(comment.body.get("createdAt")))
    return shown
