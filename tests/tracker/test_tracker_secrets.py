"""The token never appears in settings reprs, in any error's str/repr, or in log output."""

from __future__ import annotations

import logging
import pickle
import traceback

import pytest
import requests

from migrator.tracker import TrackerClient, TrackerError, TrackerSettings
from migrator.tracker import errors as errors_module
from migrator.tracker.client import build_session

from .conftest import SENTINEL_TOKEN, ScriptedClient
from .tracker_fakes import response

ALL_ERROR_TYPES = sorted(
    {cls for cls in vars(errors_module).values() if isinstance(cls, type) and issubclass(cls, TrackerError)},
    key=lambda cls: cls.__name__,
)


def assert_clean(text: str) -> None:
    assert SENTINEL_TOKEN not in text


def test_settings_client_and_session_reprs(settings: TrackerSettings) -> None:
    assert_clean(repr(settings))
    assert_clean(str(settings))
    client = TrackerClient(settings)
    assert_clean(repr(client))
    assert_clean(repr(build_session(settings).auth))


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 412, 413, 418, 422, 423, 429, 500, 503])
def test_http_errors_never_show_the_token(
    scripted: ScriptedClient, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    echo = {"errorMessages": [f"echo: OAuth {SENTINEL_TOKEN}"], "errors": {"auth": SENTINEL_TOKEN}}
    client, _ = scripted(response(status, echo))
    with pytest.raises(TrackerError) as info:
        client.import_issue({"summary": "x"})
    exc = info.value
    for text in (
        str(exc),
        repr(exc),
        "".join(traceback.format_exception(exc)),
        repr(pickle.loads(pickle.dumps(exc))),
    ):
        assert_clean(text)
    assert_clean(caplog.text)


@pytest.mark.parametrize(
    "failure", [requests.ReadTimeout("t"), requests.ConnectTimeout("t"), requests.ConnectionError("x")]
)
def test_transport_errors_never_show_the_token(
    scripted: ScriptedClient, failure: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client, _ = scripted(failure)
    with pytest.raises(TrackerError) as info:
        client.import_comment("A-1", {"text": "t"})
    assert_clean(str(info.value) + repr(info.value) + "".join(traceback.format_exception(info.value)))
    assert_clean(caplog.text)


@pytest.mark.parametrize("cls", ALL_ERROR_TYPES, ids=lambda cls: cls.__name__)
def test_every_error_type(cls: type[TrackerError]) -> None:
    exc = cls(500, ["m"], {"f": "v"}, "GET", f"https://t.test/v2/x?access_token={SENTINEL_TOKEN}")
    assert_clean(str(exc))
    assert_clean(repr(exc))


def test_logs_of_a_full_exchange(scripted: ScriptedClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client, _ = scripted(response(503), response(200, [{"key": "A-1"}]), response(200, {"key": "A-1"}))
    list(client.search_issues(queue="A"))
    client.import_issue({"summary": "x"})
    assert "POST /v2/issues/_search -> 503" in caplog.text
    assert_clean(caplog.text)
