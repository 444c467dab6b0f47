"""Sandbox state shared by all requests (org, store, live queues, knobs) and the per-request context."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

from migrator.errors import ConfigError
from migrator.sandbox.auth import Credentials, setup_credentials
from migrator.sandbox.config import SandboxConfig
from migrator.sandbox.errors import ApiError
from migrator.sandbox.faults import FaultInjector, FaultSettings
from migrator.sandbox.fixture import build_org, load_org, org_to_dict, queue_from_dict, queue_to_dict
from migrator.sandbox.org import Org, Queue, User
from migrator.sandbox.paging import ScrollRegistry
from migrator.sandbox.rules import Checker, IssueDraft
from migrator.sandbox.serialize import Serializer, hex_id
from migrator.sandbox.stats import RequestStats
from migrator.sandbox.store import ChildRow, IssueRow, Store

MULTIPART_SLACK = 64 * 1024
_IF_MATCH = re.compile(r'^(?:W/)?"?(\d+)"?$')


@dataclass
class LiveQueue:
    queue: Queue
    version: int
    deleted: bool


class SandboxState:
    """Everything that outlives a request. Created once per server."""

    def __init__(self, cfg: SandboxConfig) -> None:
        self.cfg = cfg
        self.store = Store(cfg.data)
        try:
            seed = self._seed_org()
            self.org, self.credentials = self._credentials(seed)
            self.queues: dict[str, LiveQueue] = self._load_queues()
        except BaseException:
            self.store.close()
            raise
        self.faults = FaultInjector(FaultSettings.from_config(cfg))
        self.stats = RequestStats()
        self.scrolls = ScrollRegistry()

    def close(self) -> None:
        self.store.close()

    # --- bootstrap ---
    def _seed_org(self) -> Org:
        stored = self.store.get_meta("fixture")
        if stored is None:
            org = load_org(self.cfg.fixture)
            with self.store.transaction():
                self.store.set_meta("fixture", org_to_dict(org))
                for queue in org.queues:
                    self.store.put_queue(queue.key, queue.id, queue_to_dict(queue))
            return org
        if self.cfg.fixture is not None and org_to_dict(load_org(self.cfg.fixture)) != stored:
            raise ConfigError(
                str(self.cfg.data),
                [
                    "this data file was seeded from a different fixture; use a new --data file, or start "
                    "without --fixture to keep using the stored org"
                ],
            )
        return build_org(stored, str(self.cfg.data))

    def _credentials(self, seed: Org) -> tuple[Org, Credentials]:
        added = [User(**u) for u in self.store.get_meta("added_users") or []]
        known = {u.login for u in seed.users}
        org = replace(seed, users=[*seed.users, *(u for u in added if u.login not in known)])
        org, credentials = setup_credentials(org, self.cfg)
        extra = [u for u in org.users if u.login not in known]
        if extra:
            self.store.set_meta("added_users", [u.__dict__ for u in extra])
        return org, credentials

    def _load_queues(self) -> dict[str, LiveQueue]:
        return {
            data["key"]: LiveQueue(queue_from_dict(self.org, data), version, deleted)
            for data, version, deleted in self.store.queues(include_deleted=True)
        }

    # --- lookups ---
    def queue(self, key: str) -> Queue | None:
        live = self.queues.get(key)
        return live.queue if live is not None and not live.deleted else None

    def queue_any(self, key: str) -> Queue | None:
        live = self.queues.get(key)
        return live.queue if live is not None else None

    def find_queue(self, value: Any) -> Queue | None:
        if isinstance(value, dict) and len(value) == 1:
            value = value.get("key", value.get("id"))
        if isinstance(value, bool) or value is None:
            return None
        found = self.queue(str(value))
        if found is None:
            found = next(
                (
                    lq.queue
                    for lq in self.queues.values()
                    if not lq.deleted and str(lq.queue.id) == str(value)
                ),
                None,
            )
        return found

    def find_issue(self, ref: str) -> IssueRow | None:
        return self.store.issue_by_key(ref) or self.store.issue_by_id(ref)

    def issue_type_key(self, issue: IssueRow) -> str:
        return str(self.org.type_index.by_id[str(issue.data["type"])].key)

    def put_queue(self, queue: Queue, version: int, deleted: bool) -> None:
        self.store.put_queue(queue.key, queue.id, queue_to_dict(queue), version, deleted)
        self.queues = {**self.queues, queue.key: LiveQueue(queue, version, deleted)}

    # --- writes shared by handlers (call inside store.transaction()) ---
    def create_issue(self, draft: IssueDraft) -> IssueRow:
        store = self.store
        if draft.unique is not None:
            existing = store.issue_by_unique(draft.unique)
            if existing is not None:
                raise ApiError(
                    409,
                    f"An issue with unique {draft.unique!r} already exists: {existing.key}",
                    field="unique",
                )
        queue_key = draft.queue.key
        number = draft.number if draft.number is not None else store.next_issue_number(queue_key)
        key = f"{queue_key}-{number}"
        if draft.number is not None and store.issue_by_key(key) is not None:
            raise ApiError(409, f"Issue key {key} is already taken", field="key")
        seq = store.next_issue_seq()
        issue = IssueRow(
            seq,
            hex_id("issue", seq),
            key,
            queue_key,
            number,
            draft.unique,
            draft.created_at,
            draft.updated_at,
            1,
            draft.data,
        )
        store.insert_issue(issue)
        return issue

    def touch(self, issue: IssueRow, user_uid: int, when: int) -> None:
        """Record a change of the issue: updatedAt/updatedBy, version + 1."""
        issue.updated_at = max(issue.updated_at, when)
        issue.data["updatedBy"] = user_uid
        issue.version += 1
        self.store.update_issue(issue)


@dataclass
class Ctx:
    """One request: who asked, which API version, and helpers to read the body and answer."""

    state: SandboxState
    request: Request
    user: User
    api: str
    now: int

    @property
    def cfg(self) -> SandboxConfig:
        return self.state.cfg

    @property
    def store(self) -> Store:
        return self.state.store

    @cached_property
    def ser(self) -> Serializer:
        return Serializer(
            f"{self.request.host_url.rstrip('/')}/{self.api}", self.state.org, self.state.queue_any
        )

    @cached_property
    def check(self) -> Checker:
        return Checker(self.cfg, self.state.org, self.now)

    def json(self) -> Any:
        raw = self.request.get_data(cache=True)
        if not raw.strip():
            return None
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise ApiError(400, f"The request body is not valid JSON: {exc}") from exc

    def respond(self, data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        return Response(body, status, headers=headers, content_type="application/json; charset=utf-8")

    def require_import_rights(self) -> None:
        if self.cfg.import_requires_admin and not self.user.admin:
            raise ApiError(
                403,
                f"User {self.user.login!r} is not an administrator: import requests "
                "can only be made by an administrator",
            )

    def require_admin(self, what: str) -> None:
        if not self.user.admin:
            raise ApiError(
                403, f"User {self.user.login!r} is not an administrator: {what} needs administrator rights"
            )

    def issue(self, ref: str) -> IssueRow:
        issue = self.state.find_issue(ref)
        if issue is None:
            raise ApiError(404, f"Issue {ref!r} does not exist")
        return issue

    def child(self, table: str, issue: IssueRow, child_id: str, what: str) -> ChildRow:
        """The comment, link or worklog ``child_id`` of ``issue`` (404 naming it otherwise)."""
        row = self.store.child(table, int(child_id)) if child_id.isdigit() else None
        if row is None or row.issue_seq != issue.seq:
            raise ApiError(404, f"{what} {child_id} of issue {issue.key} does not exist")
        return row

    def child_changed(self, issue: IssueRow) -> None:
        """An ordinary (non-import) edit or deletion of a comment, link, file or worklog changes the
        issue as an ordinary create does (``child_create_touches_issue``)."""
        if self.cfg.child_create_touches_issue:
            self.state.touch(issue, self.user.uid, self.now)
        else:
            self.store.update_issue(issue)

    def expected_version(self) -> int | None:
        raw = self.request.args.get("version") or self.request.headers.get("If-Match")
        if raw is None or raw.strip() in ("", "*"):
            return None
        match = _IF_MATCH.match(raw.strip())
        if match is None:
            raise ApiError(
                self.cfg.validation_status, f"version must be a number, got {raw!r}", field="version"
            )
        return int(match.group(1))

    def upload(self) -> tuple[bytes, str | None, str | None]:
        """The single file part of a multipart body: (content, part filename, part content type)."""
        limit = self.cfg.max_file_size
        too_big = ApiError(413, f"The file size exceeds the limit of {limit} bytes", field="file")
        if (self.request.content_length or 0) > limit + MULTIPART_SLACK:
            raise too_big
        self.request.max_content_length = limit + MULTIPART_SLACK
        self.request.max_form_memory_size = limit + MULTIPART_SLACK
        try:
            parts = list(self.request.files.items(multi=True))
        except RequestEntityTooLarge as exc:
            raise too_big from exc
        if len(parts) != 1:
            raise ApiError(
                self.cfg.validation_status,
                f"Expected exactly one file in a multipart/form-data body, got {len(parts)}",
                field="file",
            )
        storage = parts[0][1]
        content = storage.read()
        if len(content) > limit:
            raise too_big
        return content, storage.filename, storage.mimetype
