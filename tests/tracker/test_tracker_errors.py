from __future__ import annotations

import pickle

import pytest

from migrator.tracker import errors as e


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, e.BadRequest),
        (401, e.Unauthorized),
        (403, e.Forbidden),
        (404, e.NotFound),
        (409, e.Conflict),
        (412, e.PreconditionFailed),
        (413, e.PayloadTooLarge),
        (422, e.UnprocessableEntity),
        (423, e.Locked),
        (429, e.RateLimited),
        (500, e.ServerError),
        (503, e.ServerError),
        (418, e.TrackerError),
    ],
)
def test_status_mapping(status: int, cls: type[e.TrackerError]) -> None:
    assert e.error_class_for(status) is cls


def test_message_names_request_status_and_tracker_messages() -> None:
    exc = e.UnprocessableEntity(
        422,
        ["Validation failed"],
        {"createdAt": "must be in the past"},
        "post",
        "https://tracker.test/v2/issues/_import",
    )
    text = str(exc)
    assert text.startswith("POST https://tracker.test/v2/issues/_import failed: HTTP 422")
    assert "Validation failed" in text and "createdAt: must be in the past" in text
    assert exc.messages == ["Validation failed", "createdAt: must be in the past"]
    assert "UnprocessableEntity(status=422" in repr(exc)


def test_rate_limited_carries_retry_after_and_survives_pickling() -> None:
    exc = e.RateLimited(429, ["slow down"], None, "GET", "https://t/v2/myself", retry_after=2.5)
    clone = pickle.loads(pickle.dumps(exc))
    assert isinstance(clone, e.RateLimited)
    assert clone.retry_after == 2.5 and str(clone) == str(exc)


def test_url_credentials_and_secret_params_are_redacted() -> None:
    exc = e.NotFound(404, [], None, "GET", "https://user:pw@t.test/v2/x?access_token=abc&page=2")
    assert "pw" not in str(exc) and "abc" not in str(exc)
    assert "page=2" in exc.url


def test_field_errors_already_in_the_messages_are_not_repeated() -> None:
    exc = e.BadRequest(
        400,
        ["Field 'status': unknown status 'x'"],
        {"status": "unknown status 'x'", "type": "bad"},
        "POST",
        "https://t/v2/issues/_import",
    )
    assert str(exc).count("unknown status") == 1
    assert "type: bad" in str(exc)
