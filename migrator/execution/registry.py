"""Which :class:`~migrator.execution.kinds.ObjectKind` handles a ledger row: the import kinds
(``kinds.py``) and the delta kinds (``updates.py``)."""

from __future__ import annotations

from migrator.execution.kinds import (
    AttachmentKind,
    CommentAttachmentKind,
    CommentKind,
    DescriptionKind,
    IssueKind,
    LinkKind,
    LocalFieldsKind,
    ObjectKind,
    WorklogKind,
)
from migrator.execution.updates import CommentEditKind, IssueUpdateKind, RemovalKind
from migrator.state import LedgerRow
from migrator.vocabulary import Kind

_KINDS: dict[Kind, ObjectKind] = {
    handler.kind: handler
    for handler in (
        IssueKind(),
        CommentKind(),
        AttachmentKind(),
        CommentAttachmentKind(),
        WorklogKind(),
        DescriptionKind(),
        LinkKind(),
        LocalFieldsKind(),
        IssueUpdateKind(),
        CommentEditKind(),
        RemovalKind(),
    )
}


def kind_of(row: LedgerRow) -> ObjectKind:
    """The (stateless) handler of the row's kind."""
    return _KINDS[row.kind]
