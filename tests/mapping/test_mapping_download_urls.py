"""url_target: the host the allow-list checks is the host requests connects to."""

from __future__ import annotations

import pytest
import requests

from migrator.mapping.download_urls import UrlRefused, UrlTarget, url_target

ALLOWED = frozenset({"jira.example.com", "::1"})


@pytest.mark.parametrize(
    ("url", "host", "port"),
    [
        ("https://Jira.Example.com/secure/attachment/1/a.png", "jira.example.com", None),
        ("http://jira.example.com:8080/a%20b.png", "jira.example.com", 8080),
        ("http://[::1]:8000/x", "::1", 8000),
    ],
)
def test_the_checked_host_is_the_host_of_the_prepared_request(url: str, host: str, port: int | None) -> None:
    target = url_target(url, ALLOWED)
    assert isinstance(target, UrlTarget)
    assert (target.host, target.port) == (host, port)
    assert target.url == requests.Request("GET", url).prepare().url


@pytest.mark.parametrize(
    ("url", "says", "not_allowed"),
    [
        ("http://evil.example\\@jira.example.com/x", "backslash", True),
        ("http://jira.example.com\\x", "backslash", True),
        ("http://evil.example%2F@jira.example.com/x", "user name or password", True),
        ("https://user:pw@jira.example.com/x", "user name or password", True),
        ("https://files.example.com/x", "not in source.files.allowed_hosts", True),
        ("ftp://jira.example.com/x", "a ftp URL", False),
        ("http://", "invalid URL", False),
    ],
)
def test_ambiguous_foreign_and_unusable_urls_are_refused(url: str, says: str, not_allowed: bool) -> None:
    refused = url_target(url, ALLOWED, via="the server redirected the download to ")
    assert isinstance(refused, UrlRefused), refused
    assert says in refused.message and refused.not_allowed is not_allowed
