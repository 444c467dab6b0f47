"""Texts finished when they are sent: the stored spans rendered from the ledger, never re-converted.

A planned description or comment holds its text with nothing resolved and, when it points at
something, its :class:`~migrator.plan.TextPointers`. Here the pure ``textspans.render_text`` fills
them in from the ledger: each referenced issue's Tracker key (imported, else planned —
``planning_texts.py``) and each shown file's Tracker id (its row is done: files are sent before the
texts that show them). The same ledger gives the same text, so a resumed run sends exactly what an
uninterrupted one would, and ``verify`` expects exactly that (``final_texts``).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from typing import Any

from migrator.execution.matching import normalize_text
from migrator.plan import PlannedComment, PlannedIssue, TextPointers
from migrator.state import CheckpointStore, LedgerRow
from migrator.textspans import (
    ConvertedText,
    IssueRef,
    issue_keys,
    render_text,
    rewrite_spans,
    spans_from_json,
)
from migrator.vocabulary import Kind, Status

FILE_KINDS: tuple[Kind, ...] = (Kind.ATTACHMENT, Kind.COMMENT_ATTACHMENT)


def render_stored(
    store: CheckpointStore, text: str, pointers: TextPointers | None, files: Mapping[str, str]
) -> str:
    """``text`` with its pointers resolved from the ledger (``files``: file source id -> Tracker id)."""
    if pointers is None or not pointers.spans:
        return text
    spans = spans_from_json(pointers.spans)
    wanted = issue_keys(spans)
    issues = store.issue_keys(sorted(wanted)) if wanted else {}
    converted = ConvertedText(text, [], spans)
    return render_text(converted, issues=issues, files=files, projects=store.text_projects()).text


def same_text(
    store: CheckpointStore, text: str, pointers: TextPointers | None, files: Mapping[str, str]
) -> Callable[[Any], bool]:
    """Is a text read from the target this one? Exactly as rendered now — or with other Tracker keys
    where it names issues: a text written by an earlier run whose state file is gone names issues
    by the keys they have, which this ledger may only learn later (files are compared as rendered:
    their ids come from reconciled rows). Used to find a write whose outcome is unknown, never to
    send, so such a text is claimed instead of written twice."""
    expected = normalize_text(render_stored(store, text, pointers, files))
    if pointers is None or not any("issue" in span for span in pointers.spans):
        return lambda actual: normalize_text(actual) == expected
    converted = ConvertedText(text, [], spans_from_json(pointers.spans))
    holed = rewrite_spans(
        converted, lambda span: _HOLE_MARK if isinstance(span.token, IssueRef) else span.token
    )
    shaped = render_text(holed, files=files).text
    pattern = re.compile(
        _HOLE_PATTERN.join(re.escape(part) for part in normalize_text(shaped).split(_HOLE_MARK)), re.DOTALL
    )
    return lambda actual: (
        normalize_text(actual) == expected or pattern.fullmatch(normalize_text(actual)) is not None
    )


_HOLE_MARK = "\ue010"  # a private-use character standing for an issue reference while the pattern is built
_HOLE_PATTERN = r"[^\n]{1,300}?"  # what an issue reference renders as: a key, /KEY, or a link to the old page


def _file_rows(store: CheckpointStore, issue_key: str) -> list[LedgerRow]:
    return store.rows_for_issue(issue_key, FILE_KINDS)


def _done_files(store: CheckpointStore, planned: PlannedIssue, shows_files: bool) -> dict[str, str]:
    """File source id -> Tracker attachment id, for the issue's files already in the target (none
    looked up for a text that shows no file)."""
    if not shows_files:
        return {}
    rows = _file_rows(store, planned.source_key)
    return {r.source_id: r.target_id for r in rows if r.status == Status.DONE and r.target_id}


def issue_body(store: CheckpointStore, planned: PlannedIssue) -> dict[str, Any]:
    """The import body with its planned key and its description's references resolved (its files
    are uploaded after it)."""
    body = dict(planned.body)
    if "key" not in body:
        key = store.planned_key(planned.source_key)
        if key is not None:
            body["key"] = key
    if planned.description_pointers is not None and "description" in body:
        body["description"] = render_stored(store, str(body["description"]), planned.description_pointers, {})
    return body


def final_description(store: CheckpointStore, planned: PlannedIssue) -> str:
    """The description as it ends up: with its files when it is PATCHed after them."""
    text = str(planned.body.get("description", ""))
    files = _done_files(store, planned, planned.description_patch)
    return render_stored(store, text, planned.description_pointers, files)


def comment_body(store: CheckpointStore, planned: PlannedIssue, comment: PlannedComment) -> dict[str, Any]:
    """The comment's import body, its text finished."""
    if comment.pointers is None:
        return comment.body
    files = _done_files(store, planned, bool(comment.pointers.shows))
    text = render_stored(store, str(comment.body.get("text", "")), comment.pointers, files)
    return {**comment.body, "text": text}


def comment_check(
    store: CheckpointStore, planned: PlannedIssue, comment: PlannedComment
) -> Callable[[Any], bool]:
    """``same_text`` for a comment's text."""
    files = _done_files(store, planned, bool(comment.pointers and comment.pointers.shows))
    return same_text(store, str(comment.body.get("text", "")), comment.pointers, files)


def description_check(store: CheckpointStore, planned: PlannedIssue) -> Callable[[Any], bool]:
    """``same_text`` for the final description (with its files)."""
    files = _done_files(store, planned, planned.description_patch)
    return same_text(store, str(planned.body.get("description", "")), planned.description_pointers, files)


def waiting_for(store: CheckpointStore, planned: PlannedIssue, pointers: TextPointers | None) -> str | None:
    """Why a text that shows files cannot be sent yet (a file it shows is not in the target)."""
    if pointers is None or not pointers.shows:
        return None
    rows = {r.source_id: r for r in _file_rows(store, planned.source_key)}
    missing = []
    for source_id in pointers.shows:
        row = rows.get(source_id)
        if row is None or row.status != Status.DONE:
            state = "not planned" if row is None else f"{row.status}: {row.last_error or 'not sent yet'}"
            missing.append(f"{_file_name(planned, source_id)} ({state})")
    if not missing:
        return None
    return "waits for the file(s) it shows: " + "; ".join(missing)


def final_texts(store: CheckpointStore | None, planned: PlannedIssue) -> PlannedIssue:
    """A copy of ``planned`` whose key, description and comment texts are what the run sends (for
    ``verify``). Without a state file the texts stay as planned (nothing to resolve them from)."""
    if store is None or not store.has_plan:
        return planned
    final = copy.deepcopy(planned)
    key = store.planned_key(planned.source_key)
    if key is not None and "key" not in final.body:
        final.body["key"] = key
    if "description" in final.body:
        final.body["description"] = final_description(store, planned)
    for comment in final.comments:
        comment.body = comment_body(store, planned, comment)
    return final


def _file_name(planned: PlannedIssue, source_id: str) -> str:
    files = list(planned.attachments) + [a for c in planned.comments for a in c.attachments]
    return next((repr(a.filename) for a in files if a.source_id == source_id), source_id)
