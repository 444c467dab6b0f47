"""Where a download request really goes: one URL parser for the allow-list check and the request.

``urlsplit`` and ``urllib3`` (which ``requests`` uses) read some URLs differently:
``http://EVIL\\@ALLOWED/x`` is host ``ALLOWED`` to the first and ``EVIL`` to the second, so a check
made with one and a request made with the other would send the Authorization value to ``EVIL``.
Here the URL is prepared by ``requests`` exactly as it will be sent, and the host is read from the
prepared URL with ``urllib3.util.parse_url``. URLs with a backslash or with a user name/password
before the host are refused outright: nothing legitimate needs them, and parsers disagree on them.
"""

from __future__ import annotations

from dataclasses import dataclass

import requests
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

SCHEMES = ("http", "https")


@dataclass(frozen=True)
class UrlTarget:
    """The URL as ``requests`` prepares it, and the parts a request for it connects to."""

    url: str
    scheme: str
    host: str  # lower-case; an IPv6 address without brackets
    port: int | None

    @property
    def origin(self) -> tuple[str, str, int | None]:
        return self.scheme, self.host, self.port


@dataclass(frozen=True)
class UrlRefused:
    message: str
    hint: str
    not_allowed: bool  # True: refused by policy (allow-list, ambiguous URL); False: not a usable URL


def url_target(url: str, allowed_hosts: frozenset[str] | None, *, via: str = "") -> UrlTarget | UrlRefused:
    """Where a request for ``url`` goes, or why none is sent. ``via`` prefixes the messages
    (e.g. "the server redirected the download to ")."""
    if "\\" in url:
        return UrlRefused(
            f"download refused: {via}a URL with a backslash (\\), which URL parsers read differently",
            "fix the location in the export (use /)",
            not_allowed=True,
        )
    try:
        prepared = requests.Request("GET", url).prepare().url or ""
        parts = parse_url(prepared)
    except (requests.RequestException, LocationParseError, ValueError) as exc:
        return UrlRefused(
            f"download failed: {via}an invalid URL ({exc})", "fix the location", not_allowed=False
        )
    scheme, host = (parts.scheme or "").lower(), host_of(prepared)
    if scheme not in SCHEMES or not host:
        return UrlRefused(
            f"download failed: {via}a {scheme or 'host-less'} URL",
            "only http and https locations are downloaded",
            not_allowed=False,
        )
    if parts.auth is not None:
        return UrlRefused(
            f"download refused: {via}a URL with a user name or password before the host ({host!r})",
            "credentials go in source.files.auth_env, never in the URL; fix the location in the export",
            not_allowed=True,
        )
    if allowed_hosts is not None and host not in allowed_hosts:
        return UrlRefused(
            f"{via}host {host!r} is not in source.files.allowed_hosts",
            f"allowed: {', '.join(sorted(allowed_hosts))}; add the host if it belongs to the source system, "
            "or copy the file under source.files.directory",
            not_allowed=True,
        )
    return UrlTarget(prepared, scheme, host, parts.port)


def host_of(prepared_url: str) -> str:
    """The host ``requests``/``urllib3`` connect to for an already prepared URL ('' if none)."""
    try:
        return (parse_url(prepared_url).host or "").lower().strip("[]")
    except LocationParseError:
        return ""
