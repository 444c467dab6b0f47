"""Paged lists (``perPage``/``page``, ``X-Total-Count``, ``X-Total-Pages``, ``Link``) and search scrolls.

The official client follows ``Link: <...>; rel="next"`` re-issuing the same method and body, so
every link keeps the request's own query string and only changes ``page``.

Issue search pages reach only the first ``search_window`` results (Tracker's documentation: more
than 10,000 results need a scroll). ``X-Total-Count`` stays the real total, so a client can tell;
``X-Total-Pages`` and the links stop at the window; a page past it is a 400 naming ``page``, or
(``search_window_overflow: truncate``) an empty page.
"""

from __future__ import annotations

import math
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request

from migrator.sandbox.config import SandboxConfig
from migrator.sandbox.errors import ApiError


@dataclass(frozen=True)
class Page:
    number: int
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def positive_int(args: MultiDict[str, str], name: str, default: int, status: int) -> int:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ApiError(status, f"must be a positive integer, got {raw!r}", field=name) from exc
    if value < 1:
        raise ApiError(status, f"must be a positive integer, got {raw!r}", field=name)
    return value


def requested_page(request: Request, cfg: SandboxConfig) -> Page:
    """``perPage`` above the maximum is clamped (documented max 100 for search)."""
    size = positive_int(request.args, "perPage", cfg.per_page_default, cfg.validation_status)
    number = positive_int(request.args, "page", 1, cfg.validation_status)
    return Page(number, min(size, cfg.per_page_max))


def _url(request: Request, params: list[tuple[str, str]]) -> str:
    return f"{request.base_url}?{urlencode(params)}" if params else request.base_url


def window_rows(page: Page, cfg: SandboxConfig) -> int:
    """How many rows of a *search* page may be answered: the page is cut at the search window; a
    page starting past it is refused (or empty, in truncate mode)."""
    if page.offset < cfg.search_window:
        return min(page.size, cfg.search_window - page.offset)
    if cfg.search_window_overflow == "truncate":
        return 0
    raise ApiError(
        cfg.validation_status,
        f"only the first {cfg.search_window} results can be read page by page; "
        "use a scroll (scrollType=sorted) for more",
        field="page",
    )


def page_headers(
    request: Request, page: Page, total: int, cfg: SandboxConfig, *, reachable: int | None = None
) -> dict[str, str]:
    """Paging headers; ``reachable`` (search: the rows inside the window) bounds the pages linked,
    while ``X-Total-Count`` stays ``total``."""
    pages = max(1, math.ceil((total if reachable is None else reachable) / page.size))
    keep = [(k, v) for k, v in request.args.items(multi=True) if k not in ("page", "perPage")]
    keep.append(("perPage", str(page.size)))
    links = []
    if page.number < pages:
        links.append(f'<{_url(request, [*keep, ("page", str(page.number + 1))])}>; rel="next"')
    if page.number > 1:
        links.append(f'<{_url(request, [*keep, ("page", str(min(page.number - 1, pages)))])}>; rel="prev"')
    links.append(f'<{_url(request, [*keep, ("page", "1")])}>; rel="first"')
    links.append(f'<{_url(request, [*keep, ("page", str(pages))])}>; rel="last"')
    if cfg.link_seek:
        links.append(f'<{_url(request, keep)}{{&page}}>; rel="seek"')
    return {"X-Total-Count": str(total), "X-Total-Pages": str(pages), "Link": ", ".join(links)}


def paged(request: Request, items: list[Any], cfg: SandboxConfig) -> tuple[list[Any], dict[str, str]]:
    page = requested_page(request, cfg)
    return items[page.offset : page.offset + page.size], page_headers(request, page, len(items), cfg)


@dataclass
class _Scroll:
    seqs: list[int]
    position: int
    per_scroll: int
    ttl_ms: int
    expires: float
    token: str


class ScrollRegistry:
    """Search scroll contexts: a snapshot of matching issues handed out ``perScroll`` at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scrolls: dict[str, _Scroll] = {}

    def start(self, seqs: list[int], per_scroll: int, ttl_ms: int) -> tuple[str, _Scroll]:
        scroll_id = secrets.token_hex(12)
        scroll = _Scroll(
            list(seqs), 0, per_scroll, ttl_ms, time.monotonic() + ttl_ms / 1000, secrets.token_hex(8)
        )
        with self._lock:
            self._expire()
            self._scrolls[scroll_id] = scroll
        return scroll_id, scroll

    def take(self, scroll_id: str, token: str | None, status: int) -> _Scroll:
        with self._lock:
            self._expire()
            scroll = self._scrolls.get(scroll_id)
            if scroll is None:
                raise ApiError(
                    status, f"Scroll {scroll_id!r} does not exist or has expired", field="scrollId"
                )
            if token is not None and token != scroll.token:
                raise ApiError(status, "scrollToken does not match the scroll", field="scrollToken")
            scroll.expires = time.monotonic() + scroll.ttl_ms / 1000
            return scroll

    def next_chunk(self, scroll: _Scroll) -> list[int]:
        with self._lock:
            chunk = scroll.seqs[scroll.position : scroll.position + scroll.per_scroll]
            scroll.position += len(chunk)
            return chunk

    def _expire(self) -> None:
        now = time.monotonic()
        for scroll_id in [k for k, s in self._scrolls.items() if s.expires < now]:
            del self._scrolls[scroll_id]
