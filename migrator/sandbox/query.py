"""Issue search: ``filter`` objects, ``keys``, ``queue`` and a small subset of the query language.

Supported query syntax: clauses ``Name: value`` (name and values bare or double-quoted, values
comma-separated = any of), optionally joined by ``AND``; ``empty()`` / ``notEmpty()`` values;
``"Sort by": Created DESC``. Examples: ``Queue: DEMO``, ``Key: DEMO-1, DEMO-2``,
``"Unique": "jira:10001" Status: open``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from migrator.sandbox.errors import ApiError
from migrator.sandbox.org import Org, Queue, RefIndex
from migrator.sandbox.store import IssueRow, Store

ONLY_ONE = "You can only use keys, a queue or a search query."
QUERY_NAMES = {
    "queue": "queue",
    "key": "key",
    "issue": "key",
    "unique": "unique",
    "status": "status",
    "type": "type",
    "priority": "priority",
    "resolution": "resolution",
    "assignee": "assignee",
    "author": "createdBy",
    "createdby": "createdBy",
    "created by": "createdBy",
    "updatedby": "updatedBy",
    "followers": "followers",
    "tags": "tags",
    "tag": "tags",
    "components": "components",
    "component": "components",
    "fix version": "fixVersions",
    "fixversions": "fixVersions",
    "affected version": "affectedVersions",
    "affectedversions": "affectedVersions",
    "summary": "summary",
    "description": "description",
}
SORT_NAMES = {
    "key": "key",
    "created": "createdAt",
    "createdat": "createdAt",
    "updated": "updatedAt",
    "updatedat": "updatedAt",
    "summary": "summary",
    "status": "status",
    "priority": "priority",
    "type": "type",
}
_USER_FIELDS = ("assignee", "createdBy", "updatedBy", "resolvedBy", "followers", "access")
_REF_FIELDS = ("status", "type", "priority", "resolution")
_TEXT_FIELDS = ("summary", "description")
_TOKEN = re.compile(r'\s*(?:(?P<quoted>"(?:[^"\\]|\\.)*")|(?P<colon>:)|(?P<comma>,)|(?P<word>[^\s:,"]+))')
EMPTY, NOT_EMPTY = "empty()", "notEmpty()"

Predicate = Callable[[IssueRow], bool]


@dataclass
class Criteria:
    queues: list[str] | None = None
    keys: list[str] | None = None
    uniques: list[str] | None = None
    predicates: list[Predicate] = field(default_factory=list)
    order: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)


class CriteriaBuilder:
    def __init__(self, org: Org, status: int, queue_by_key: Callable[[str], Queue | None]) -> None:
        self.org = org
        self.status = status
        self.queue_by_key = queue_by_key

    def bad(self, name: str, message: str) -> ApiError:
        return ApiError(self.status, message, field=name)

    def from_body(self, body: Any, allow_scroll: bool = False) -> Criteria:
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise ApiError(self.status, "The request body must be a JSON object")
        given = [n for n in ("keys", "queue") if body.get(n) not in (None, "", [])]
        searching = [n for n in ("filter", "query") if body.get(n) not in (None, "", {})]
        if len(given) + (1 if searching else 0) > 1:
            raise ApiError(self.status, ONLY_ONE, field=(given + searching)[-1], prefix=False)
        if body.get("filterId") is not None:
            raise ApiError(404, f"Filter {body['filterId']!r} does not exist", field="filterId")
        criteria = Criteria(order=self.order(body.get("order")))
        if "keys" in given:
            keys = body["keys"]
            criteria.keys = [keys] if isinstance(keys, str) else [str(k) for k in keys]
        if "queue" in given:
            criteria.queues = [self._queue_key(body["queue"])]
        if body.get("filter"):
            self.apply_filter(criteria, body["filter"])
        if body.get("query"):
            self.apply_query(criteria, body["query"])
        return criteria

    def _queue_key(self, value: Any) -> str:
        if isinstance(value, dict):
            value = value.get("key") or value.get("id")
        return str(value)

    def order(self, value: Any) -> list[tuple[str, bool]]:
        if value in (None, "", []):
            return []
        items = [value] if isinstance(value, str) else value
        out = []
        for item in items:
            text = str(item)
            descending = text.startswith("-")
            name = text.lstrip("+-")
            mapped = SORT_NAMES.get(name.lower())
            if mapped is None:
                raise self.bad(
                    "order", f"Cannot sort by {name!r}; use one of {', '.join(sorted(set(SORT_NAMES)))}"
                )
            out.append((mapped, descending))
        return out

    # --- filter ---
    def apply_filter(self, criteria: Criteria, value: Any) -> None:
        if not isinstance(value, dict):
            raise self.bad("filter", "filter must be an object {field: value}")
        for name, wanted in value.items():
            self.add(criteria, name, wanted if isinstance(wanted, list) else [wanted], "filter")

    def add(self, criteria: Criteria, name: str, values: list[Any], source: str) -> None:
        if name == "queue":
            criteria.queues = _intersect(criteria.queues, [self._queue_key(v) for v in values])
        elif name == "key":
            criteria.keys = _intersect(criteria.keys, [str(v) for v in values])
        elif name == "unique":
            criteria.uniques = _intersect(criteria.uniques, [str(v) for v in values])
        else:
            criteria.predicates.append(self.predicate(name, values, source))

    def predicate(self, name: str, values: list[Any], source: str) -> Predicate:
        if any(v in (EMPTY, NOT_EMPTY) for v in values):
            want_empty = EMPTY in values
            return lambda issue: (_raw(issue, name) in (None, [], "")) == want_empty
        if name in _USER_FIELDS:
            uids = {u.uid for u in (self.org.user_index.resolve(v) for v in values) if u is not None}
            return lambda issue: bool(uids & set(_as_list(issue.data.get(name))))
        if name in _REF_FIELDS:
            index: RefIndex[Any] = getattr(self.org, f"{name}_index")
            ids = {item.id for item in (index.resolve(v) for v in values) if item is not None}
            return lambda issue: issue.data.get(name) in ids
        if name in _TEXT_FIELDS:
            needles = [str(v).lower() for v in values]
            return lambda issue: any(n in str(issue.data.get(name) or "").lower() for n in needles)
        if name in ("components", "fixVersions", "affectedVersions", "tags"):
            return self._membership(name, values)
        plain = name if name in ("storyPoints", "deadline", "start", "end") else None
        custom = self.org.field_index.resolve(name)
        if plain is not None or custom is not None:
            field_id = plain or str(custom.id if custom else name)
            return lambda issue: _raw(issue, field_id) in values
        if "--" in name:
            return lambda issue: (issue.data.get("local") or {}).get(name) in values
        raise self.bad(source, f"Unknown field {name!r} in the search {source}")

    def _membership(self, name: str, values: list[Any]) -> Predicate:
        wanted = {str(v) for v in values}

        def matches(issue: IssueRow) -> bool:
            present = {str(v) for v in _as_list(issue.data.get(name))}
            return bool(wanted & present)

        if name == "tags":
            return matches
        return lambda issue: matches(issue) or bool(wanted & self._names(issue, name))

    def _names(self, issue: IssueRow, name: str) -> set[str]:
        queue = self.queue_by_key(issue.queue)
        if queue is None:
            return set()
        index = queue.component_index() if name == "components" else queue.version_index()
        return {index.by_id[str(i)].name for i in _as_list(issue.data.get(name)) if str(i) in index.by_id}

    # --- query language ---
    def apply_query(self, criteria: Criteria, text: Any) -> None:
        if not isinstance(text, str):
            raise self.bad("query", "query must be a string")
        for name, values in parse_query(text, self.bad):
            if name.lower() == "sort by":
                criteria.order += self.order(
                    [("-" if len(values) > 1 and values[1].upper() == "DESC" else "") + values[0]]
                )
                continue
            mapped = QUERY_NAMES.get(name.lower()) or (name if self._known_field(name) else None)
            if mapped is None:
                raise self.bad(
                    "query",
                    f"Unknown field {name!r} in the query (the sandbox supports "
                    f"{', '.join(sorted({n.title() for n in QUERY_NAMES}))} and field ids)",
                )
            self.add(criteria, mapped, values, "query")

    def _known_field(self, name: str) -> bool:
        return self.org.field_index.resolve(name) is not None or "--" in name


def parse_query(text: str, bad: Callable[[str, str], ApiError]) -> list[tuple[str, list[str]]]:
    tokens = _tokens(text, bad)
    clauses: list[tuple[str, list[str]]] = []
    pos = 0
    while pos < len(tokens):
        kind, name = tokens[pos]
        if kind == "word" and name.upper() == "AND":
            pos += 1
            continue
        if kind not in ("word", "quoted") or pos + 1 >= len(tokens) or tokens[pos + 1][0] != "colon":
            raise bad("query", f"Cannot parse the query near {name!r}: expected 'Field: value'")
        pos, values = _values(tokens, pos + 2, name.lower() == "sort by", bad)
        clauses.append((name, values))
    return clauses


def _tokens(text: str, bad: Callable[[str, str], ApiError]) -> list[tuple[str, str]]:
    tokens = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise bad("query", f"Cannot parse the query at position {pos}")
        kind = match.lastgroup or "word"
        value = match.group(kind)
        if kind == "quoted":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        tokens.append((kind, value))
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return tokens


def _values(
    tokens: list[tuple[str, str]], pos: int, sort: bool, bad: Callable[[str, str], ApiError]
) -> tuple[int, list[str]]:
    values: list[str] = []
    while True:
        if pos >= len(tokens) or tokens[pos][0] not in ("word", "quoted"):
            raise bad("query", "A query clause needs a value after ':'")
        values.append(tokens[pos][1])
        pos += 1
        if (
            sort
            and pos < len(tokens)
            and tokens[pos][1].upper() in ("ASC", "DESC")
            and (pos + 1 >= len(tokens) or tokens[pos + 1][0] != "colon")
        ):
            values.append(tokens[pos][1])
            pos += 1
        if pos < len(tokens) and tokens[pos][0] == "comma":
            pos += 1
            continue
        return pos, values


def _intersect(current: list[str] | None, new: list[str]) -> list[str]:
    return new if current is None else [v for v in current if v in new]


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _raw(issue: IssueRow, name: str) -> Any:
    if name in issue.data:
        return issue.data[name]
    return (issue.data.get("fields") or {}).get(name, (issue.data.get("local") or {}).get(name))


def _sort_key(issue: IssueRow, name: str) -> Any:
    if name == "key":
        return (issue.queue, issue.number)
    if name == "createdAt":
        return issue.created_at
    if name == "updatedAt":
        return issue.updated_at
    value = issue.data.get(name)
    return (value is None, value if value is not None else 0)


def run_search(
    store: Store, criteria: Criteria, offset: int = 0, limit: int | None = None
) -> tuple[list[IssueRow], int]:
    """Matching issues (the requested slice) and the total count."""
    clauses, params = [], []
    for column, values in (("queue", criteria.queues), ("key", criteria.keys), ("uniq", criteria.uniques)):
        if values is not None:
            clauses.append(f"{column} IN ({','.join('?' * len(values))})" if values else "0")
            params += values
    where = " AND ".join(clauses) or "1"
    if not criteria.predicates and not criteria.order:
        total = store.count_issues(where, tuple(params))
        return store.select_issues(where, tuple(params), limit, offset), total
    rows = [r for r in store.select_issues(where, tuple(params)) if all(p(r) for p in criteria.predicates)]
    for name, descending in reversed(criteria.order):
        rows.sort(key=functools.partial(_sort_key, name=name), reverse=descending)
    end = None if limit is None else offset + limit
    return rows[offset:end], len(rows)
