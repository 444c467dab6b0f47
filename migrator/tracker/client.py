"""The one HTTP client for Tracker's REST API (v2/v3), shared by all worker threads.

Retry policy is explicit per call: every method states whether it is a *safe read* (retried on
429, 5xx and connection failures, honouring ``Retry-After`` with capped, jittered backoff) or a
*write* (sent exactly once; an ambiguous failure raises :class:`OutcomeUnknown`, a 429 raises
:class:`RateLimited` — not applied — and a refused connection raises :class:`TrackerUnavailable`
— not sent). Payloads are passed through untouched: callers format dates and values.

The token lives only in the session's auth hook; log lines name method, path, status and
duration, never headers.

One module on purpose (over 500 lines): every endpoint, the paging and the search scroll go
through the same transport, retry and redaction plumbing, which splitting would expose.

Search: page-by-page search reaches only the first 10,000 results (tracker-api.md §6), so
:meth:`TrackerClient.search_issues` reads the first page, and when ``X-Total-Count`` says there
are more results than that it reads them with a sorted *scroll* instead — transparently, so callers
(the key-collision check, verify, reconciliation) work the same at 100,000 issues.
"""

from __future__ import annotations

import hashlib
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlencode, urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase
from urllib3.exceptions import NewConnectionError

from migrator.timeutil import now_utc
from migrator.tracker.errors import (
    ForeignURL,
    InvalidResponse,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    ServerError,
    TrackerError,
    TrackerUnavailable,
    UnsendableRequest,
    error_class_for,
)
from migrator.tracker.multipart import MultipartFile
from migrator.tracker.ratelimit import Outcome, Permit, RateLimiter
from migrator.tracker.settings import TrackerSettings

T = TypeVar("T")

log = logging.getLogger(__name__)

JSON = Any  # decoded JSON: dict, list, str, number, bool or None
SEARCH_PAGE_SIZE = 100  # Tracker's maximum perPage for issue search
SEARCH_WINDOW = 10_000  # results reachable page by page; more need a scroll (tracker-api.md §6)
PER_SCROLL = 1000  # the documented maximum perScroll (newer docs: default 100, max 1000)
SCROLL_TTL_MS = 60_000  # how long the server keeps a scroll between two requests
USERS_PAGE_SIZE = 100
_RETRYABLE = (RateLimited, ServerError, TrackerUnavailable)
_SECONDS_RE = re.compile(r"^\d+(\.\d+)?$")


class _TokenAuth(AuthBase):
    """Sets ``Authorization`` per request. Being ``session.auth`` also stops ``requests`` from
    consulting ``~/.netrc``; it is not re-applied when a redirect leaves the host."""

    def __init__(self, header_value: str) -> None:
        self._value = header_value

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = self._value
        return request

    def __repr__(self) -> str:
        return "_TokenAuth(***)"


@dataclass
class _Call:
    """One logical request (the retry loop may send it several times when it is safe)."""

    method: str
    url: str
    safe: bool
    params: Mapping[str, Any] | None = None
    json: JSON = None
    headers: dict[str, str] = field(default_factory=dict)
    body_factory: Callable[[], MultipartFile] | None = None  # fresh body per attempt (multipart uploads)
    stream: bool = False

    @property
    def path(self) -> str:
        return urlsplit(self.url).path


class TrackerClient:
    """Typed access to the Tracker endpoints migrator uses. Thread-safe; share one per process."""

    def __init__(
        self,
        settings: TrackerSettings,
        rate_limiter: RateLimiter | None = None,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        search_window: int = SEARCH_WINDOW,
    ) -> None:
        self.settings = settings
        self.rate_limiter = rate_limiter
        self.search_window = search_window
        self._session = session if session is not None else build_session(settings)
        self._sleep = sleep
        self._rng = rng if rng is not None else random.Random()
        base = urlsplit(settings.base_url)
        self._origin = (base.scheme, base.hostname, base.port)
        self._sent_lock = threading.Lock()
        self._sent = 0
        self._first_sent: float | None = None  # monotonic: the first request went out
        self._last_answer: float | None = None  # monotonic: the latest request ended

    @property
    def requests_sent(self) -> int:
        """HTTP requests sent so far (every attempt, 429s included): the run's share of the limit."""
        return self._sent

    @property
    def traffic_seconds(self) -> float:
        """From the first request sent to the latest one ended (0 before any): the span the run's
        requests were spread over, without the process's start and exit."""
        with self._sent_lock:
            if self._first_sent is None or self._last_answer is None:
                return 0.0
            return max(0.0, self._last_answer - self._first_sent)

    def __repr__(self) -> str:
        return f"TrackerClient({self.settings!r})"

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> TrackerClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------------ issues and their children

    def myself(self) -> JSON:
        return self._json("GET", "myself", safe=True)

    def get_issue(self, key: str, *, expand: str | None = None) -> JSON:
        return self._json("GET", _path("issues", key), safe=True, params=_params(expand=expand))

    def find_by_unique(self, unique: str) -> JSON | None:
        """The issue imported/created with this ``unique`` value, or None."""
        try:
            return self._json("POST", "issues/_findByUnique", safe=True, params={"unique": unique})
        except NotFound:
            return None

    def import_issue(self, body: Mapping[str, Any]) -> JSON:
        return self._json("POST", "issues/_import", safe=False, json=body)

    def create_issue(self, body: Mapping[str, Any]) -> JSON:
        """An ordinary (non-import) create: ``POST issues/``; a taken ``unique`` answers 409."""
        return self._json("POST", "issues/", safe=False, json=body)

    def import_comment(self, key: str, body: Mapping[str, Any]) -> JSON:
        return self._json("POST", _path("issues", key, "comments", "_import"), safe=False, json=body)

    def import_link(self, key: str, body: Mapping[str, Any]) -> JSON:
        return self._json("POST", _path("issues", key, "links", "_import"), safe=False, json=body)

    def create_link(self, key: str, relationship: str, other_key: str) -> JSON:
        """An ordinary (non-import) link: dated now, authored by the token's user."""
        body = {"relationship": relationship, "issue": other_key}
        return self._json("POST", _path("issues", key, "links"), safe=False, json=body)

    def import_worklog(self, key: str, body: Mapping[str, Any]) -> JSON:
        """Tracker answers with a JSON *array* of created worklog records (or one object)."""
        return self._json("POST", _path("issues", key, "worklogs", "_import"), safe=False, json=body)

    def import_attachment(
        self,
        key: str,
        path: str | Path,
        filename: str,
        created_at: str,
        created_by: str | int,
        comment_id: str | int | None = None,
    ) -> JSON:
        """Stream ``path`` as a multipart part named ``file``; Tracker stores it as ``filename``."""
        segments: tuple[str | int, ...] = ("issues", key)
        if comment_id is not None:
            segments += ("comments", comment_id)
        params = {"filename": filename, "createdAt": created_at, "createdBy": created_by}
        call = self._call("POST", _path(*segments, "attachments", "_import"), safe=False, params=params)
        call.body_factory = lambda: MultipartFile(path, field="file", part_filename="file")
        return self._decode(self._execute(call), call)

    def patch_issue(self, key: str, body: Mapping[str, Any], version: int | None = None) -> JSON:
        return self._json(
            "PATCH", _path("issues", key), safe=False, json=body, params=_params(version=version)
        )

    def get_transitions(self, key: str) -> list[JSON]:
        """The workflow transitions the issue has from its current status (``[{id, display, to}]``)."""
        return _as_list(self._json("GET", _path("issues", key, "transitions"), safe=True))

    def execute_transition(self, key: str, transition_id: str, body: Mapping[str, Any] | None = None) -> JSON:
        """Move the issue along a transition; ``body`` holds the fields its screen takes (e.g. resolution)."""
        path = _path("issues", key, "transitions", transition_id, "_execute")
        return self._json("POST", path, safe=False, json=dict(body or {}))

    def patch_comment(self, key: str, comment_id: str | int, body: Mapping[str, Any]) -> JSON:
        """Edit a comment (``{"text": ...}``): Tracker stamps it with the token's user and the time."""
        return self._json("PATCH", _path("issues", key, "comments", comment_id), safe=False, json=body)

    def delete_comment(self, key: str, comment_id: str | int) -> None:
        self._json("DELETE", _path("issues", key, "comments", comment_id), safe=False)

    def delete_attachment(self, key: str, attachment_id: str | int) -> None:
        self._json("DELETE", _path("issues", key, "attachments", attachment_id), safe=False)

    def delete_worklog(self, key: str, worklog_id: str | int) -> None:
        self._json("DELETE", _path("issues", key, "worklog", worklog_id), safe=False)

    def delete_link(self, key: str, link_id: str | int) -> None:
        self._json("DELETE", _path("issues", key, "links", link_id), safe=False)

    def list_comments(self, key: str) -> list[JSON]:
        return self._list(_path("issues", key, "comments"))

    def list_links(self, key: str) -> list[JSON]:
        return self._list(_path("issues", key, "links"))

    def list_attachments(self, key: str) -> list[JSON]:
        return self._list(_path("issues", key, "attachments"))

    def list_worklogs(self, key: str) -> list[JSON]:
        return self._list(_path("issues", key, "worklog"))

    def download(self, url: str) -> bytes:
        """The bytes behind an attachment's ``content`` URL (only on the configured Tracker host)."""
        response = self._execute(self._download_call(url, stream=False))
        return response.content

    def download_to(self, url: str, destination: str | Path, *, chunk_size: int = 1 << 16) -> int:
        """Stream an attachment's ``content`` URL into ``destination``; returns the bytes written."""
        return self._stream_download(url, lambda response: _save(response, Path(destination), chunk_size))

    def download_sha256(self, url: str, *, chunk_size: int = 1 << 16) -> str:
        """Hex SHA-256 of the bytes behind a ``content`` URL, hashed as they stream (never held whole)."""
        return self._stream_download(url, lambda response: _sha256(response, chunk_size))

    def _stream_download(self, url: str, consume: Callable[[requests.Response], T]) -> T:
        call = self._download_call(url, stream=True)
        attempt = 1
        while True:
            response = self._execute(call)
            try:
                return consume(response)
            except requests.RequestException as exc:  # the body broke off mid-stream: start over
                if attempt >= self.settings.retry.max_attempts:
                    raise TrackerUnavailable(
                        None, method="GET", url=call.url, detail="connection dropped during the download"
                    ) from exc
                self._sleep(self._backoff(attempt, None))
                attempt += 1

    # ------------------------------------------------------------------ search

    def search_issues(
        self,
        filter: Mapping[str, Any] | None = None,  # Tracker's own parameter name
        query: str | None = None,
        queue: str | None = None,
        keys: list[str] | str | None = None,
        *,
        order: str | None = None,
        expand: str | None = None,
    ) -> Iterator[JSON]:
        """Every matching issue: 100 per request following ``Link: rel="next"`` (same method and
        body) — or, beyond the search window, through a scroll (see :meth:`_scroll`)."""
        body = _body(filter=filter, query=query, queue=queue, keys=keys, order=order)
        params = _params(perPage=SEARCH_PAGE_SIZE, expand=expand)
        call = self._call("POST", "issues/_search", safe=True, params=params, json=body)
        first = self._execute(call)
        total = _total_count(first)
        if total is None or total <= self.search_window:
            yield from self._follow(call, first)
            return
        first.close()
        if "keys" in body:  # no scroll for keys; each batch fits in the window
            batch = min(self.search_window, SEARCH_PAGE_SIZE)
            wanted = [keys] if isinstance(keys, str) else list(keys or [])
            for start in range(0, len(wanted), batch):
                yield from self.search_issues(keys=wanted[start : start + batch], order=order, expand=expand)
            return
        if "queue" in body:  # no scroll for queue either; the same search as a filter
            body = _body(filter={"queue": body.pop("queue")}, order=order)
        yield from self._scroll(body, expand)

    def _scroll(self, body: JSON, expand: str | None) -> Iterator[JSON]:
        """A sorted scroll over ``body``'s results. A scroll advances on the server with every
        request, so a failed continuation is never simply re-sent (a lost answer would skip a chunk):
        the scroll starts over and the issues already yielded are skipped."""
        yielded: set[str] = set()
        attempt = 1
        while True:
            try:
                for issue in self._scroll_pages(body, expand):
                    ident = _issue_identity(issue)
                    if ident not in yielded:
                        yielded.add(ident)
                        yield issue
                return
            except (TrackerUnavailable, OutcomeUnknown, ServerError, RateLimited) as exc:
                if attempt >= self.settings.retry.max_attempts:
                    raise
                log.warning("search scroll interrupted (%s); starting it over", exc.title)
                self._sleep(self._backoff(attempt, getattr(exc, "retry_after", None)))
                attempt += 1

    def _scroll_pages(self, body: JSON, expand: str | None) -> Iterator[JSON]:
        per_scroll = min(PER_SCROLL, self.search_window)
        params = _params(
            scrollType="sorted", perScroll=per_scroll, scrollTTLMillis=SCROLL_TTL_MS, expand=expand
        )
        call = self._call("POST", "issues/_search", safe=True, params=params, json=body)
        read = 0
        while True:
            response = self._execute(call)
            items = _as_list(self._decode(response, call))
            yield from items
            read += len(items)
            total = _total_count(response)
            next_url = self._scroll_next(response)
            if not items or next_url is None or (total is not None and read >= total):
                return
            call = _Call("POST", next_url, False, json=body)  # a continuation: never re-sent as is

    def _scroll_next(self, response: requests.Response) -> str | None:
        """The next chunk of a scroll: the ``Link: rel="next"`` URL, else one built from the
        ``X-Scroll-Id`` / ``X-Scroll-Token`` headers."""
        next_url = response.links.get("next", {}).get("url")
        if next_url:
            absolute = urljoin(response.url, next_url)
            self._check_origin(absolute, "POST")
            return absolute
        scroll_id = response.headers.get("X-Scroll-Id")
        if not scroll_id:
            return None
        query = urlencode(_body(scrollId=scroll_id, scrollToken=response.headers.get("X-Scroll-Token")))
        return f"{self.settings.api_root}/issues/_search?{query}"

    def count_issues(
        self,
        filter: Mapping[str, Any] | None = None,
        query: str | None = None,
        queue: str | None = None,
        keys: list[str] | str | None = None,
    ) -> int:
        body = _body(filter=filter, query=query, queue=queue, keys=keys)
        return int(self._json("POST", "issues/_count", safe=True, json=body))

    # ------------------------------------------------------------------ metadata

    def get_queue(self, key: str, expand: str | None = None) -> JSON:
        return self._json("GET", _path("queues", key), safe=True, params=_params(expand=expand))

    def list_queues(self) -> list[JSON]:
        return self._list("queues")

    def create_queue(self, body: Mapping[str, Any]) -> JSON:
        """``POST /queues``: key, name, lead, defaultType, defaultPriority, issueTypesConfig (201)."""
        return self._json("POST", "queues", safe=False, json=body)

    def delete_queue(self, key: str) -> None:
        """``DELETE /queues/{key}`` (204); ``restore_queue`` brings it back."""
        self._json("DELETE", _path("queues", key), safe=False)

    def restore_queue(self, key: str) -> JSON:
        return self._json("POST", _path("queues", key, "_restore"), safe=False)

    def create_component(self, body: Mapping[str, Any]) -> JSON:
        """``POST /components``: name, queue, [description, lead, assignAuto]."""
        return self._json("POST", "components", safe=False, json=body)

    def create_version(self, body: Mapping[str, Any]) -> JSON:
        """``POST /versions``: queue, name, [description, startDate, dueDate]."""
        return self._json("POST", "versions", safe=False, json=body)

    def create_local_field(self, queue: str, body: Mapping[str, Any]) -> JSON:
        """``POST /queues/{key}/localFields``: id, name {en, ru}, category, type, [optionsProvider...]."""
        return self._json("POST", _path("queues", queue, "localFields"), safe=False, json=body)

    def list_queue_workflows(self, queue: str) -> list[JSON]:
        return _as_list(self._json("GET", _path("queues", queue, "workflows"), safe=True))

    def get_workflow(self, workflow_id: str) -> JSON:
        return self._json("GET", _path("workflows", workflow_id), safe=True)

    def list_users(self) -> list[JSON]:
        return self._list("users", params={"perPage": USERS_PAGE_SIZE})

    def list_statuses(self) -> list[JSON]:
        return self._list("statuses")

    def list_issue_types(self) -> list[JSON]:
        return self._list("issuetypes")

    def list_priorities(self) -> list[JSON]:
        return self._list("priorities")

    def list_resolutions(self) -> list[JSON]:
        return self._list("resolutions")

    def list_link_types(self) -> list[JSON]:
        return self._list("linktypes")

    def list_fields(self) -> list[JSON]:
        return self._list("fields")

    def list_local_fields(self, queue: str) -> list[JSON]:
        return self._list(_path("queues", queue, "localFields"))

    def list_components(self, queue: str) -> list[JSON]:
        return self._list(_path("queues", queue, "components"))

    def list_versions(self, queue: str) -> list[JSON]:
        return self._list(_path("queues", queue, "versions"))

    # ------------------------------------------------------------------ plumbing

    def _call(
        self,
        method: str,
        path: str,
        *,
        safe: bool,
        params: Mapping[str, Any] | None = None,
        json: JSON = None,
    ) -> _Call:
        return _Call(method, f"{self.settings.api_root}/{path}", safe, params=params, json=json)

    def _json(
        self,
        method: str,
        path: str,
        *,
        safe: bool,
        params: Mapping[str, Any] | None = None,
        json: JSON = None,
    ) -> JSON:
        call = self._call(method, path, safe=safe, params=params, json=json)
        return self._decode(self._execute(call), call)

    def _list(self, path: str, params: Mapping[str, Any] | None = None) -> list[JSON]:
        return list(self._pages("GET", path, params=params))

    def _pages(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None, json: JSON = None
    ) -> Iterator[JSON]:
        """Items of a list endpoint, page by page, following ``Link: <…>; rel="next"``."""
        call = self._call(method, path, safe=True, params=params, json=json)
        yield from self._follow(call, self._execute(call))

    def _follow(self, call: _Call, response: requests.Response) -> Iterator[JSON]:
        """Items of ``response`` (the answer to ``call``) and of every page after it."""
        seen: set[str] = set()
        while True:
            yield from _as_list(self._decode(response, call))
            next_url = response.links.get("next", {}).get("url")
            if not next_url:
                return
            next_url = urljoin(response.url, next_url)
            if next_url in seen:
                raise InvalidResponse(
                    response.status_code,
                    method=call.method,
                    url=next_url,
                    detail="pagination loops back to a page already read",
                )
            seen.add(next_url)
            self._check_origin(next_url, call.method)
            call = _Call(call.method, next_url, True, json=call.json)  # the next URL carries the query
            response = self._execute(call)

    def _download_call(self, url: str, *, stream: bool) -> _Call:
        absolute = urljoin(self.settings.base_url + "/", url)
        self._check_origin(absolute, "GET")
        return _Call("GET", absolute, True, headers={"Accept": "*/*"}, stream=stream)

    def _check_origin(self, url: str, method: str) -> None:
        parts = urlsplit(url)
        if (parts.scheme, parts.hostname, parts.port) != self._origin:
            raise ForeignURL(
                None,
                method=method,
                url=url,
                detail=f"only URLs on {self.settings.base_url} are followed (the token would go along)",
            )

    def _execute(self, call: _Call) -> requests.Response:
        """Send ``call``; retry only when it is a safe read. Returns a 2xx response."""
        policy = self.settings.retry
        attempt = 1
        while True:
            try:
                return self._attempt(call)
            except _RETRYABLE as exc:
                if not call.safe or attempt >= policy.max_attempts:
                    raise
                delay = self._backoff(attempt, getattr(exc, "retry_after", None))
                log.warning(
                    "%s %s: %s; retry %d/%d in %.2fs",
                    call.method,
                    call.path,
                    exc.title,
                    attempt,
                    policy.max_attempts - 1,
                    delay,
                )
                self._sleep(delay)
                attempt += 1

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        policy = self.settings.retry
        base = retry_after if retry_after is not None else policy.backoff_base * 2 ** (attempt - 1)
        return min(base, policy.backoff_max) * (1 + self._rng.uniform(0, policy.jitter))

    def _attempt(self, call: _Call) -> requests.Response:
        permit = self.rate_limiter.acquire() if self.rate_limiter is not None else None
        started = time.monotonic()
        with self._sent_lock:
            self._sent += 1
            if self._first_sent is None:
                self._first_sent = started
        try:
            response = self._send(call)
        except TrackerError:
            self._report(permit, "failed")
            raise
        finally:
            self._ended()
        elapsed = time.monotonic() - started
        log.debug("%s %s -> %d in %.3fs", call.method, call.path, response.status_code, elapsed)
        if response.status_code < 300:
            self._report(permit, "answered")
            return response
        error = self._http_error(response, call)
        if isinstance(error, RateLimited):
            self._report(permit, "throttled", error.retry_after)
        else:
            self._report(permit, "failed" if response.status_code >= 500 else "answered")
        response.close()
        raise error

    def _ended(self) -> None:
        with self._sent_lock:
            self._last_answer = time.monotonic()

    def _report(self, permit: Permit | None, outcome: Outcome, retry_after: float | None = None) -> None:
        """Tell the shared limiter how the request ended (it learns the rate from this)."""
        if self.rate_limiter is not None:
            self.rate_limiter.record(permit, outcome, retry_after)

    def _send(self, call: _Call) -> requests.Response:
        body = call.body_factory() if call.body_factory else None
        headers = dict(call.headers)
        if body is not None:
            headers["Content-Type"] = body.content_type
        timeout = (self.settings.connect_timeout, self.settings.read_timeout)
        try:
            return self._session.request(
                call.method,
                call.url,
                params=call.params,
                json=call.json,
                data=body,
                headers=headers,
                timeout=timeout,
                stream=call.stream,
                allow_redirects=call.method == "GET",
            )
        except requests.exceptions.InvalidJSONError as exc:  # raised before anything is sent
            raise UnsendableRequest(
                None, method=call.method, url=call.url, detail=f"the body is not valid JSON: {exc}"
            ) from exc
        except requests.RequestException as exc:
            raise self._transport_error(exc, call) from exc
        finally:
            if body is not None:
                body.close()

    def _transport_error(self, exc: requests.RequestException, call: _Call) -> TrackerError:
        not_sent, what = _classify_transport_failure(exc)
        log.warning("%s %s: %s", call.method, call.path, what)
        if not_sent or call.safe:
            return TrackerUnavailable(None, method=call.method, url=call.url, detail=what)
        return OutcomeUnknown(None, method=call.method, url=call.url, detail=what)

    def _http_error(self, response: requests.Response, call: _Call) -> TrackerError:
        status = response.status_code
        messages, errors, detail = self._error_body(response)
        args = (status, messages, errors, call.method, response.url or call.url)
        if status == 429:
            retry_after = _retry_after(response.headers.get("Retry-After"))
            return RateLimited(*args, retry_after=retry_after, detail=detail)
        if status >= 500 and not call.safe:
            return OutcomeUnknown(
                *args, detail=f"HTTP {status} on a write" + (f"; {detail}" if detail else "")
            )
        if 300 <= status < 400:
            detail = f"unexpected redirect to {response.headers.get('Location', '?')}"
        return error_class_for(status)(*args, detail=detail)

    def _error_body(self, response: requests.Response) -> tuple[list[str], dict[str, Any], str | None]:
        """(errorMessages, errors, raw text when the body is not Tracker's JSON error)."""
        try:
            data = response.json()
        except ValueError:
            text = self._scrub(response.text.strip())[:300]
            return [], {}, text or None
        if not isinstance(data, dict):
            return [], {}, self._scrub(str(data))[:300]
        messages = data.get("errorMessages") or []
        errors = data.get("errors") or {}
        if isinstance(messages, str):
            messages = [messages]
        if isinstance(errors, list):  # tolerate a list of messages in ``errors``
            messages, errors = [*messages, *map(str, errors)], {}
        return (
            [self._scrub(str(m)) for m in messages],
            {str(k): self._scrub(str(v)) for k, v in errors.items()},
            None,
        )

    def _decode(self, response: requests.Response, call: _Call) -> JSON:
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise InvalidResponse(
                response.status_code, method=call.method, url=call.url, detail="the response body is not JSON"
            ) from exc

    def _scrub(self, text: str) -> str:
        """Belt and braces: never let the token through, even if a server echoes it."""
        return text.replace(self.settings.token, "***") if self.settings.token else text


def build_session(settings: TrackerSettings) -> requests.Session:
    """A pooled session: one connection per worker thread, no transport-level retries."""
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=settings.pool_size, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.auth = _TokenAuth(settings.authorization)
    session.headers.update(
        {"Accept": "application/json", "User-Agent": settings.user_agent, **settings.org_headers}
    )
    return session


def _sha256(response: requests.Response, chunk_size: int) -> str:
    digest = hashlib.sha256()
    with response:
        for chunk in response.iter_content(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def _save(response: requests.Response, destination: Path, chunk_size: int) -> int:
    written = 0
    with response, destination.open("wb") as out:
        for chunk in response.iter_content(chunk_size):
            out.write(chunk)
            written += len(chunk)
    return written


def _classify_transport_failure(exc: requests.RequestException) -> tuple[bool, str]:
    """(certainly not sent?, short description). Only a failed *connect* proves nothing was sent."""
    if isinstance(exc, requests.ConnectTimeout):
        return True, "connect timeout"
    if isinstance(exc, requests.exceptions.SSLError):
        return True, "TLS handshake failed"
    if isinstance(exc, requests.ConnectionError) and _caused_by(exc, NewConnectionError):
        return True, "connection refused or host unreachable"
    if isinstance(exc, requests.ReadTimeout):
        return False, "read timeout: no response in time"
    if isinstance(exc, requests.ConnectionError | requests.exceptions.ChunkedEncodingError):
        return False, "connection dropped before the response was complete"
    return False, f"transport error ({type(exc).__name__})"


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    stack: list[BaseException | None] = [exc]
    seen: set[int] = set()
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, kind):
            return True
        stack.extend(arg for arg in current.args if isinstance(arg, BaseException))
        stack.extend([getattr(current, "reason", None), current.__cause__, current.__context__])
    return False


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP-date); None if absent/garbled."""
    if not value:
        return None
    value = value.strip()
    if _SECONDS_RE.match(value):
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now_utc()).total_seconds())


def _path(*segments: str | int) -> str:
    return "/".join(quote(str(segment), safe="") for segment in segments)


def _params(**values: Any) -> dict[str, Any] | None:
    present = {name: value for name, value in values.items() if value is not None}
    return present or None


def _body(**values: Any) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}


def _total_count(response: requests.Response) -> int | None:
    value = response.headers.get("X-Total-Count", "")
    return int(value) if value.isdigit() and len(value) < 19 else None


def _issue_identity(issue: JSON) -> str:
    if isinstance(issue, dict):
        for name in ("id", "key", "self"):
            if issue.get(name) is not None:
                return f"{name}:{issue[name]}"
    return repr(issue)


def _as_list(data: JSON) -> list[JSON]:
    if data is None:
        return []
    return data if isinstance(data, list) else [data]
