"""The search window: like Tracker, page-by-page search reaches only the first ``search_window``
results (10,000; small here); beyond it a scroll is needed. ``search_window_overflow`` says what a
page past the window gets: 400 (default) or an empty page."""

from __future__ import annotations

from collections.abc import Callable

from .sandbox_helpers import Api, assert_error

WINDOW = 10


def filled(make_api: Callable[..., Api], count: int = 25, **settings: object) -> Api:
    api = make_api(search_window=WINDOW, **settings)
    for n in range(count):
        response = api.post("issues", json={"queue": "DEMO", "summary": f"i{n}"})
        assert response.status_code == 201, response.text
    return api


def keys(api: Api, params: dict[str, object], body: dict[str, object] | None = None) -> list[str]:
    response = api.post("issues/_search", params=params, json=body or {"queue": "DEMO"})
    assert response.status_code == 200, response.text
    return [i["key"] for i in response.json()]


def test_pages_stop_at_the_window_and_links_never_point_past_it(make_api: Callable[..., Api]) -> None:
    api = filled(make_api)
    response = api.post("issues/_search", params={"perPage": 4, "page": 3}, json={"queue": "DEMO"})
    assert [i["key"] for i in response.json()] == ["DEMO-9", "DEMO-10"]  # cut at row 10
    assert response.headers["X-Total-Count"] == "25"  # the real total: the client can tell it needs a scroll
    assert response.headers["X-Total-Pages"] == "3"
    assert "next" not in response.links and response.links["last"]["url"].endswith("page=3")


def test_a_page_past_the_window_is_refused_naming_the_scroll(make_api: Callable[..., Api]) -> None:
    api = filled(make_api)
    response = api.post("issues/_search", params={"perPage": 5, "page": 3}, json={"queue": "DEMO"})
    assert_error(response, 400, "page", text="use a scroll")
    assert_error(api.get("issues", params={"queue": "DEMO", "perPage": 5, "page": 3}), 400, "page")


def test_truncate_mode_answers_an_empty_page(make_api: Callable[..., Api]) -> None:
    api = filled(make_api, search_window_overflow="truncate")
    assert keys(api, {"perPage": 5, "page": 3}) == []
    assert keys(api, {"perPage": 5, "page": 2}) == [f"DEMO-{n}" for n in range(6, 11)]


def test_a_scroll_reads_past_the_window(make_api: Callable[..., Api]) -> None:
    api = filled(make_api)
    body = {"filter": {"queue": "DEMO"}}
    response = api.post("issues/_search", params={"scrollType": "sorted", "perScroll": 20}, json=body)
    seen = [i["key"] for i in response.json()]
    response = api.post(response.links["next"]["url"], json=body)
    seen += [i["key"] for i in response.json()]
    assert seen == [f"DEMO-{n}" for n in range(1, 26)]
