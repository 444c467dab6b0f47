"""The words the plan, the ledger, the executor and verify share: object kinds, ledger statuses, and
Tracker's link relationships.

``Kind`` and ``Status`` values are stored in state files: never change a value, only add members.

Link relationships are written once, in :data:`RELATIONSHIPS` (the import endpoint's vocabulary →
link type id and the direction in which the API lists the link on the issue it was imported on).
Everything else is derived from that table: inverses (the same link type seen from the other
issue), the relationships a link type provides, and which relationship makes a parent/child edge.
A queue-local field's id is ``<queue hex id>--<field key>`` (:func:`split_local_field_id`).

The sandbox keeps its own copy of the table on purpose (it models the service, not this client);
``tests/test_vocabulary.py`` pins the two together.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal


class Kind(StrEnum):
    """A ledger row's object kind, in the order a summary lists them."""

    ISSUE = "issue"
    COMMENT = "comment"
    ATTACHMENT = "attachment"  # an issue-level file
    COMMENT_ATTACHMENT = "comment_attachment"  # a file that belongs to a comment
    WORKLOG = "worklog"
    DESCRIPTION = "description"  # the PATCH that lets a description show its files (an option)
    LINK = "link"
    LOCAL_FIELDS = "local_fields"  # the PATCH of queue-local fields after everything else
    # Delta runs (a newer export of the same source, see ``migrator/delta.py``):
    ISSUE_UPDATE = "issue_update"  # changed fields / status of an imported issue, through the ordinary API
    COMMENT_EDIT = "comment_edit"  # an imported comment whose text changed, edited in place
    REMOVAL = "removal"  # a child deleted from the export, deleted in Tracker (``--delete-missing``)


class Status(StrEnum):
    """A ledger row's status: ``pending`` → ``in_flight`` → ``done`` | ``failed`` | ``blocked``."""

    PENDING = "pending"
    IN_FLIGHT = "in_flight"  # written before the call; the outcome is unknown until confirmed
    DONE = "done"
    FAILED = "failed"
    BLOCKED = "blocked"  # the object it depends on (its issue, its comment) failed


KINDS: tuple[Kind, ...] = tuple(Kind)
STATUSES: tuple[Status, ...] = tuple(Status)
UNFINISHED: tuple[Status, ...] = (Status.PENDING, Status.IN_FLIGHT)

Direction = Literal["outward", "inward"]

# Relationship -> (link type id, direction as the API lists the link on the issue it was imported on).
RELATIONSHIPS: dict[str, tuple[str, Direction]] = {
    "relates": ("relates", "outward"),
    "depends on": ("depends", "outward"),
    "is dependent by": ("depends", "inward"),
    "is parent task for": ("subtask", "outward"),
    "is subtask for": ("subtask", "inward"),
    "is duplicated by": ("duplicates", "outward"),
    "duplicates": ("duplicates", "inward"),
    "has epic": ("epic", "outward"),
    "is epic of": ("epic", "inward"),
    "clone": ("clone", "outward"),
    "original": ("clone", "inward"),
}
# Link types that read the same from both ends (listed as ``outward`` on either issue).
SYMMETRIC_LINK_TYPES: frozenset[str] = frozenset({"relates"})
# The link type of the parent forest: its ``inward`` end is the sub-issue.
SUBTASK_LINK_TYPE = "subtask"


def _relationship_of(type_id: str, direction: Direction) -> str:
    return next(name for name, side in RELATIONSHIPS.items() if side == (type_id, direction))


def _inverse(relationship: str) -> str:
    type_id, direction = RELATIONSHIPS[relationship]
    if type_id in SYMMETRIC_LINK_TYPES:
        return relationship
    return _relationship_of(type_id, "inward" if direction == "outward" else "outward")


# The relationship as seen from the other issue (used to de-duplicate links listed on both ends).
INVERSE_RELATIONSHIP: dict[str, str] = {name: _inverse(name) for name in RELATIONSHIPS}

# Link type id -> the import relationships it provides (both directions), in table order.
LINK_TYPE_RELATIONSHIPS: dict[str, tuple[str, ...]] = {
    type_id: tuple(name for name, (t, _d) in RELATIONSHIPS.items() if t == type_id)
    for type_id in dict.fromkeys(t for t, _d in RELATIONSHIPS.values())
}

CHILD_OF = _relationship_of(SUBTASK_LINK_TYPE, "inward")  # this issue is a sub-issue of the linked one
PARENT_OF = INVERSE_RELATIONSHIP[CHILD_OF]  # the linked issue is a sub-issue of this one


LOCAL_FIELD_ID_SEPARATOR = "--"  # a queue-local field's id: <the queue's hex id>--<the field's key>


def split_local_field_id(field_id: str) -> tuple[str, str] | None:
    """``(queue hex id, field key)`` of a queue-local field's id, None for a global field's id."""
    queue_hex, separator, key = field_id.partition(LOCAL_FIELD_ID_SEPARATOR)
    return (queue_hex, key) if separator and queue_hex and key else None


def local_field_key(field_id: str) -> str:
    """The key a field is known by: a local field's key without its queue prefix, else the id."""
    parts = split_local_field_id(field_id)
    return parts[1] if parts else field_id
