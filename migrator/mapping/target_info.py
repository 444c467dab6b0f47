"""What the mapping stage needs to know about the target queue, as a small protocol.

The transform only *asks questions* about the target (does this status exist, which statuses does
this type's workflow allow, which id does component "Backend" have, who are the users ...). Any
object answering them satisfies :class:`TargetInfo`; ``TargetInfo.from_fixture_dict`` builds one
straight from the org fixture / target snapshot format of ``docs/architecture.md`` so tests (and
the sandbox's default fixture) need nothing else.

Keys are case-sensitive (as in Tracker); component/version *names* and user e-mails compare
case-insensitively.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from migrator.vocabulary import INVERSE_RELATIONSHIP, LINK_TYPE_RELATIONSHIPS


class TargetUserLike(Protocol):
    """A Tracker user as far as user resolution cares."""

    @property
    def login(self) -> str: ...

    @property
    def email(self) -> str | None: ...

    @property
    def display(self) -> str | None: ...

    @property
    def uid(self) -> int | str | None: ...


@dataclass(frozen=True)
class TargetUser:
    login: str
    email: str | None = None
    display: str | None = None
    uid: int | str | None = None
    dismissed: bool = False


class FieldInfo(NamedTuple):
    """A Tracker field: its id (a local field's full ``<hex>--<key>`` id), schema and allowed options."""

    id: str
    schema: dict[str, Any]
    options: list[Any] | None


class TargetInfo(Protocol):
    """The questions the transform asks about the target queue (see the module docstring)."""

    @property
    def queue_key(self) -> str: ...

    def has_status(self, key: str) -> bool: ...

    def has_type(self, key: str) -> bool: ...

    def default_type(self) -> str | None:
        """The queue's default issue type key (used when an issue has no type)."""
        ...

    def statuses_for_type(self, type_key: str) -> set[str] | None:
        """Status keys the type's workflow allows in the queue; None when the queue has no workflow for it."""
        ...

    def has_priority(self, key: str) -> bool: ...

    def has_resolution(self, key: str) -> bool: ...

    def components(self) -> dict[str, Any]:
        """Component name -> id."""
        ...

    def versions(self) -> dict[str, Any]:
        """Version name -> id."""
        ...

    def users(self) -> Iterable[TargetUserLike]: ...

    def global_field(self, field_id: str) -> FieldInfo | None: ...

    def local_field(self, key: str) -> FieldInfo | None:
        """A queue-local field by key (or full id); ``FieldInfo.id`` is the full ``<hex>--<key>`` id."""
        ...

    def link_relationships(self) -> set[str]:
        """Import relationships (``INVERSE_RELATIONSHIP`` vocabulary) the target's link types provide."""
        ...

    @staticmethod
    def from_fixture_dict(data: Mapping[str, Any], queue: str) -> FixtureTarget:
        """Build a TargetInfo from the fixture/snapshot dict format (``FixtureTarget``). Being in the
        protocol body makes it a member for type checkers too, so implementations carry it."""
        return FixtureTarget(data, queue)


class FixtureTarget:
    """``TargetInfo`` over the org fixture / target snapshot dict (``docs/architecture.md``)."""

    def __init__(self, data: Mapping[str, Any], queue: str) -> None:
        queues = [q for q in data.get("queues") or [] if q.get("key") == queue]
        if not queues:
            known = [q.get("key") for q in data.get("queues") or []]
            raise KeyError(f"queue {queue!r} is not in the target metadata (queues: {known})")
        self._queue: Mapping[str, Any] = queues[0]
        self._queue_key = queue
        self._statuses = {s["key"] for s in data.get("statuses") or [] if s.get("key")}
        self._types = {t["key"] for t in data.get("issue_types") or [] if t.get("key")}
        self._priorities = {p["key"] for p in data.get("priorities") or [] if p.get("key")}
        self._resolutions = {r["key"] for r in data.get("resolutions") or [] if r.get("key")}
        self._users = [_user(u) for u in data.get("users") or [] if u.get("login")]
        self._fields = {str(f.get("id") or f.get("key")): f for f in data.get("fields") or []}
        self._fields.update({str(f["key"]): f for f in data.get("fields") or [] if f.get("key")})
        self._link_types = [str(t.get("id")) for t in data.get("link_types") or []]

    @staticmethod
    def from_fixture_dict(data: Mapping[str, Any], queue: str) -> FixtureTarget:
        return FixtureTarget(data, queue)

    @property
    def queue_key(self) -> str:
        return self._queue_key

    def has_status(self, key: str) -> bool:
        return key in self._statuses

    def has_type(self, key: str) -> bool:
        return key in self._types

    def default_type(self) -> str | None:
        return self._queue.get("default_type")

    def statuses_for_type(self, type_key: str) -> set[str] | None:
        for workflow in self._queue.get("workflows") or []:
            if type_key in (workflow.get("types") or []):
                return set(workflow.get("statuses") or [])
        return None

    def has_priority(self, key: str) -> bool:
        return key in self._priorities

    def has_resolution(self, key: str) -> bool:
        return key in self._resolutions

    def components(self) -> dict[str, Any]:
        return _by_name(self._queue.get("components"))

    def versions(self) -> dict[str, Any]:
        return _by_name(self._queue.get("versions"))

    def users(self) -> list[TargetUser]:
        return list(self._users)

    def global_field(self, field_id: str) -> FieldInfo | None:
        record = self._fields.get(field_id)
        if record is None:
            return None
        return FieldInfo(
            str(record.get("id") or field_id), dict(record.get("schema") or {}), record.get("options")
        )

    def local_field(self, key: str) -> FieldInfo | None:
        for record in self._queue.get("local_fields") or []:
            if key in (record.get("key"), record.get("id")):
                full_id = str(record.get("id") or f"{self._queue_hex_id()}--{record.get('key')}")
                return FieldInfo(full_id, dict(record.get("schema") or {}), record.get("options"))
        return None

    def _queue_hex_id(self) -> str:
        """A hand-written fixture may omit local field ids; the sandbox then derives them from the
        queue's ``hex_id`` or this stable hash of the key (same rule, so the ids agree)."""
        return str(
            self._queue.get("hex_id") or hashlib.sha1(f"queue:{self._queue_key}".encode()).hexdigest()[:24]
        )

    def link_relationships(self) -> set[str]:
        if not self._link_types:
            return set(INVERSE_RELATIONSHIP)
        out: set[str] = set()
        for type_id in self._link_types:
            out.update(LINK_TYPE_RELATIONSHIPS.get(type_id, ()))
        return out


def _user(record: Mapping[str, Any]) -> TargetUser:
    return TargetUser(
        login=str(record["login"]),
        email=record.get("email"),
        display=record.get("display"),
        uid=record.get("uid"),
        dismissed=bool(record.get("dismissed", False)),
    )


def _by_name(records: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for index, record in enumerate(records or [], start=1):
        out[str(record.get("name"))] = record.get("id", index)
    return out
