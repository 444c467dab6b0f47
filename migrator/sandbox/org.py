"""The sandbox org's reference data (users, statuses, types, queues...) and lookups by id/key/name.

Request bodies name reference values as an id (number or numeric string), a key (string) or an
object ``{"id"|"key"|"name": ...}``; users as a login, a uid, or ``{"uid"|"id"|"login": ...}``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Generic, TypeVar


@dataclass(frozen=True)
class User:
    uid: int
    login: str
    email: str
    display: str
    first_name: str = ""
    last_name: str = ""
    admin: bool = False
    token: str | None = None
    dismissed: bool = False


@dataclass(frozen=True)
class Status:
    id: int
    key: str
    name: str
    type: str = "new"
    order: int = 0


@dataclass(frozen=True)
class IssueType:
    id: int
    key: str
    name: str


@dataclass(frozen=True)
class Priority:
    id: int
    key: str
    name: str
    order: int = 0


@dataclass(frozen=True)
class Resolution:
    id: int
    key: str
    name: str


@dataclass(frozen=True)
class LinkType:
    id: str
    inward: str
    outward: str

    @property
    def key(self) -> str:
        return self.id

    @property
    def name(self) -> str:
        return self.id


@dataclass(frozen=True)
class Field:
    id: str
    key: str
    name: str
    schema: dict[str, Any]
    options: tuple[Any, ...] | None = None
    readonly: bool = False


@dataclass(frozen=True)
class Workflow:
    id: str
    name: str
    initial: str
    statuses: tuple[str, ...]
    types: tuple[str, ...]


@dataclass(frozen=True)
class Component:
    id: int
    name: str
    description: str = ""


@dataclass(frozen=True)
class Version:
    id: int
    name: str
    description: str = ""
    released: bool = False
    archived: bool = False


@dataclass(frozen=True)
class Queue:
    id: int
    key: str
    name: str
    lead: str
    default_type: str
    default_priority: str
    workflows: tuple[Workflow, ...]
    hex_id: str
    description: str = ""
    resolutions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    components: tuple[Component, ...] = ()
    versions: tuple[Version, ...] = ()
    local_fields: tuple[Field, ...] = ()

    def workflow_for(self, type_key: str) -> Workflow | None:
        return next((w for w in self.workflows if type_key in w.types), None)

    def type_keys(self) -> list[str]:
        return [t for w in self.workflows for t in w.types]

    def allowed_resolutions(self, type_key: str) -> tuple[str, ...] | None:
        """Resolution keys allowed for the type, or None when every resolution is allowed."""
        allowed = self.resolutions.get(type_key)
        return tuple(allowed) if allowed else None

    def component_index(self) -> RefIndex[Component]:
        return self._component_index

    def version_index(self) -> RefIndex[Version]:
        return self._version_index

    @cached_property
    def _component_index(self) -> RefIndex[Component]:
        return RefIndex(self.components, plain_string="name")

    @cached_property
    def _version_index(self) -> RefIndex[Version]:
        return RefIndex(self.versions, plain_string="name")

    def local_field(self, name: str) -> Field | None:
        """By full id (``<hex>--key``) or by bare key."""
        return next((f for f in self.local_fields if name in (f.id, f.key)), None)


T = TypeVar("T")


class RefIndex(Generic[T]):
    """Resolves reference values to items by id, key or name.

    A plain string is looked up as ``plain_string`` ("key" or "name") first, then as an id.
    """

    def __init__(self, items: Iterable[T], plain_string: str = "key") -> None:
        self.items: list[T] = list(items)
        self.plain_string = plain_string
        self.by_id = {str(getattr(i, "id")): i for i in self.items}  # noqa: B009 - generic items
        self.by_key = {getattr(i, "key"): i for i in self.items if hasattr(i, "key")}  # noqa: B009
        self.by_name = {getattr(i, "name"): i for i in self.items}  # noqa: B009

    def resolve(self, value: Any) -> T | None:
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return self.by_id.get(str(value))
        if isinstance(value, str):
            primary = self.by_name if self.plain_string == "name" else self.by_key
            return primary.get(value) or self.by_id.get(value)
        if isinstance(value, dict) and len(value) == 1:
            ((kind, inner),) = value.items()
            if kind == "id" and isinstance(inner, int | str) and not isinstance(inner, bool):
                return self.by_id.get(str(inner))
            if kind == "key" and isinstance(inner, str):
                return self.by_key.get(inner)
            if kind == "name" and isinstance(inner, str):
                return self.by_name.get(inner)
        return None


class UserIndex:
    """Users by login or uid."""

    def __init__(self, users: Iterable[User]) -> None:
        self.items = list(users)
        self.by_login = {u.login: u for u in self.items}
        self.by_uid = {u.uid: u for u in self.items}

    def resolve(self, value: Any) -> User | None:
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return self.by_uid.get(value)
        if isinstance(value, str):
            if value.startswith("login:"):
                return self.by_login.get(value[len("login:") :])
            found = self.by_login.get(value)
            if found is None and value.isdigit():
                found = self.by_uid.get(int(value))
            return found
        if isinstance(value, dict) and len(value) == 1:
            ((kind, inner),) = value.items()
            if kind in ("uid", "id", "passportUid", "trackerUid"):
                return self.resolve(int(inner)) if str(inner).isdigit() else None
            if kind in ("login", "key"):
                return self.by_login.get(inner) if isinstance(inner, str) else None
        return None


@dataclass
class Org:
    """The whole reference model. ``queues`` is the seed; live queues are kept by the store."""

    id: str
    cloud_org_id: str | None
    users: list[User]
    statuses: list[Status]
    issue_types: list[IssueType]
    priorities: list[Priority]
    resolutions: list[Resolution]
    link_types: list[LinkType]
    fields: list[Field]
    queues: list[Queue]
    tokens: dict[str, str] = field(default_factory=dict)  # token -> login (from the fixture)

    def __post_init__(self) -> None:
        self.user_index = UserIndex(self.users)
        self.status_index = RefIndex(self.statuses)
        self.type_index = RefIndex(self.issue_types)
        self.priority_index = RefIndex(self.priorities)
        self.resolution_index = RefIndex(self.resolutions)
        self.link_type_index = RefIndex(self.link_types)
        self.field_index = RefIndex(self.fields)

    def org_ids(self) -> set[str]:
        return {v for v in (self.id, self.cloud_org_id) if v}

    def workflows(self) -> dict[str, Workflow]:
        """Every workflow defined in the seed queues, by id (new queues may reuse them)."""
        found: dict[str, Workflow] = {}
        for queue in self.queues:
            for workflow in queue.workflows:
                found.setdefault(workflow.id, workflow)
        return found
