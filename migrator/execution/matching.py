"""When is an object in the target the planned one? The rules reconciliation and verify share.

The executor uses them to find a write whose outcome was unknown (so it is claimed, not re-sent);
verify uses the same rules to pair planned objects with what the target holds, so the two can
never disagree about what "already there" means. Dates compare by instant, texts ignore line-ending
and trailing-space differences, users compare through the org's directory (logins vs. ids).
"""

from __future__ import annotations

import logging
import math
import os
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from migrator.execution.api import TrackerApi
from migrator.plan import PlannedAttachment
from migrator.timeutil import parse_duration
from migrator.tracker.errors import TrackerError
from migrator.vocabulary import RELATIONSHIPS, SYMMETRIC_LINK_TYPES

log = logging.getLogger(__name__)


def same_instant(a: Any, b: Any) -> bool:
    """Two Tracker timestamps name the same millisecond (format differences ignored)."""
    if a is None or b is None:
        return a is b
    left, right = _lenient_instant(a), _lenient_instant(b)
    if left is None or right is None:
        return str(a) == str(b)
    return abs((left - right).total_seconds()) < 0.001


def _lenient_instant(value: Any) -> datetime | None:
    """Tracker's wire format, or any ISO 8601 form with an offset (as some responses carry)."""
    text = str(value)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def normalize_text(value: Any) -> str:
    """Text as compared: line endings unified, trailing whitespace of lines and of the text ignored."""
    text = "" if value is None else str(value)
    return "\n".join(
        line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    ).strip()


def same_duration(a: Any, b: Any) -> bool:
    """ISO 8601 durations in Tracker's business units (``P1W`` == ``P5D`` == ``PT40H``)."""
    try:
        return abs((parse_duration(str(a)) - parse_duration(str(b))).total_seconds()) < 1
    except ValueError:
        return str(a) == str(b)


def link_view(link: Mapping[str, Any]) -> tuple[str, str, str | None]:
    """(type id, direction, other issue key) of a link as the API lists it."""
    link_type = link.get("type") or {}
    other = link.get("object") or {}
    type_id = str(link_type.get("id")) if isinstance(link_type, Mapping) else str(link_type)
    key = other.get("key") if isinstance(other, Mapping) else None
    return type_id, str(link.get("direction") or ""), key


def relationship_matches(link: Mapping[str, Any], relationship: str, other_key: str) -> bool:
    """Is ``link`` (listed on issue X) the relationship ``X --relationship--> other_key``?"""
    expected = RELATIONSHIPS.get(relationship)
    type_id, direction, key = link_view(link)
    if key != other_key or expected is None:
        return False
    if type_id != expected[0]:
        return False
    return type_id in SYMMETRIC_LINK_TYPES or direction == expected[1]


class UserDirectory:
    """Compares the ``createdBy``-style references the API returns with planned users (logins or ids).

    The org's users are read once, lazily, and only when a comparison needs them. When they cannot
    be read, authors are not compared (dates and texts still are)."""

    def __init__(self, client: TrackerApi) -> None:
        self._client = client
        self._lock = threading.Lock()
        self._ids_by_login: dict[str, set[str]] | None = None

    def _directory(self) -> dict[str, set[str]]:
        with self._lock:
            if self._ids_by_login is None:
                self._ids_by_login = self._read()
            return self._ids_by_login

    def _read(self) -> dict[str, set[str]]:
        directory: dict[str, set[str]] = {}
        try:
            users = self._client.list_users()
        except TrackerError as exc:
            log.warning("cannot read the org's users (%s); authors are not compared", exc.title)
            return directory
        for user in users or []:
            if not isinstance(user, Mapping) or not user.get("login"):
                continue
            ids = {
                str(user[name])
                for name in ("uid", "trackerUid", "passportUid", "cloudUid", "id")
                if user.get(name) not in (None, "")
            }
            directory[str(user["login"])] = ids | {str(user["login"])}
        return directory

    def same_user(self, ref: Any, planned: Any) -> bool | None:
        """True/False when it can tell; None when the planned user is unknown to the target."""
        if planned is None or ref is None:
            return ref is None and planned is None
        ref_ids = _ref_ids(ref)
        wanted = str(planned)
        if wanted in ref_ids:
            return True
        ids = self._directory().get(wanted)
        if ids is None:
            return None
        return bool(ids & ref_ids)


def _ref_ids(ref: Any) -> set[str]:
    if isinstance(ref, Mapping):
        return {
            str(ref[name])
            for name in ("id", "uid", "login", "passportUid", "trackerUid", "cloudUid")
            if ref.get(name) not in (None, "")
        }
    return {str(ref)}


def _author_ok(users: UserDirectory, ref: Any, planned: Any) -> bool:
    verdict = users.same_user(ref, planned)
    return verdict is not False


def comment_matches(users: UserDirectory, target: Mapping[str, Any], body: Mapping[str, Any]) -> bool:
    return (
        same_instant(target.get("createdAt"), body.get("createdAt"))
        and normalize_text(target.get("text")) == normalize_text(body.get("text"))
        and _author_ok(users, target.get("createdBy"), body.get("createdBy"))
    )


def planned_size(attachment: PlannedAttachment) -> int | None:
    if attachment.size is not None:
        return attachment.size
    try:
        return os.path.getsize(attachment.path)
    except OSError:
        return None


def attachment_matches(
    users: UserDirectory, target: Mapping[str, Any], attachment: PlannedAttachment
) -> bool:
    if target.get("name") != attachment.filename:
        return False
    size = planned_size(attachment)
    if size is not None and target.get("size") is not None and int(target["size"]) != size:
        return False
    if target.get("createdAt") is not None and not same_instant(target["createdAt"], attachment.created_at):
        return False
    return _author_ok(users, target.get("createdBy"), attachment.created_by)


def worklog_matches(users: UserDirectory, target: Mapping[str, Any], body: Mapping[str, Any]) -> bool:
    return (
        same_instant(target.get("start"), body.get("start"))
        and same_duration(target.get("duration"), body.get("duration"))
        and _author_ok(users, target.get("createdBy"), body.get("createdBy"))
    )


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def ref_matches(expected: Any, actual: Any) -> bool:
    """A planned reference (key, id, name or ``{key|id|name: ...}``) against the API's reference object."""
    if expected is None or actual is None:
        return expected is None and actual is None
    wanted = {str(v) for v in expected.values()} if isinstance(expected, Mapping) else {str(expected)}
    if isinstance(actual, Mapping):
        have = {str(actual[n]) for n in ("id", "key", "name", "display") if actual.get(n) is not None}
    else:
        have = {str(actual)}
    return bool(wanted & have)


def lists_match(expected: list[Any], actual: list[Any], same: Callable[[Any, Any], bool]) -> bool:
    """Same length and a one-to-one pairing under ``same`` (order ignored)."""
    if len(expected) != len(actual):
        return False
    remaining = list(actual)
    for item in expected:
        hit = next((a for a in remaining if same(item, a)), None)
        if hit is None:
            return False
        remaining.remove(hit)
    return True


def value_matches(users: UserDirectory, expected: Any, actual: Any) -> bool:
    """A planned field value (as sent) against the value the API returns for it."""
    if isinstance(actual, Mapping) and not isinstance(expected, Mapping):
        return ref_matches(expected, actual) or users.same_user(actual, expected) is True
    if isinstance(expected, list) or isinstance(actual, list):
        return lists_match(as_list(expected), as_list(actual), lambda e, a: value_matches(users, e, a))
    if isinstance(expected, bool) or isinstance(actual, bool):
        return bool(expected == actual)
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return math.isclose(float(expected), float(actual), rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(expected, str) and isinstance(actual, str):
        return normalize_text(expected) == normalize_text(actual)
    return bool(expected == actual)


# How each field of an import body is read back (verify and a delta's issue_update compare the same way).
_DATES = ("createdAt", "updatedAt", "resolvedAt")
_USERS = ("createdBy", "updatedBy", "resolvedBy", "assignee")
_USER_LISTS = ("followers", "access", "votedBy")
_REFS = ("type", "status", "priority", "resolution", "queue")
_REF_LISTS = ("components", "fixVersions", "affectedVersions", "followingMaillists", "sprint")
_MILLIS = ("originalEstimation", "estimation", "spent")
_TEXTS = ("summary", "description")
_SETS = ("tags",)


def issue_field_matches(users: UserDirectory, name: str, expected: Any, actual: Any) -> bool:
    """A planned issue field (as sent to ``_import`` or PATCH) against what the API returns for it."""
    if name in _DATES:
        return same_instant(expected, actual)
    if name in _USERS:
        return _user_equal(users, actual, expected)
    if name in _USER_LISTS:
        return lists_match(as_list(expected), as_list(actual), lambda e, a: _user_equal(users, a, e))
    if name in _REFS:
        return ref_matches(expected, actual)
    if name in _REF_LISTS:
        return lists_match(as_list(expected), as_list(actual), lambda e, a: ref_matches(e, a))
    if name in _MILLIS:
        return _millis_equal(expected, actual)
    if name in _TEXTS:
        return normalize_text(expected) == normalize_text(actual)
    if name in _SETS:
        return sorted(map(str, as_list(expected))) == sorted(map(str, as_list(actual)))
    return value_matches(users, expected, actual)


def _user_equal(users: UserDirectory, actual: Any, expected: Any) -> bool:
    if expected is None or actual is None:
        return expected is None and actual is None
    return users.same_user(actual, expected) is not False


def _millis_equal(expected: Any, actual: Any) -> bool:
    if expected is None or actual is None:
        return expected is None and actual is None
    try:
        got = parse_duration(str(actual)).total_seconds() * 1000 if isinstance(actual, str) else float(actual)
        return abs(float(expected) - got) < 1000
    except (TypeError, ValueError):
        return str(expected) == str(actual)
