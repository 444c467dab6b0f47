"""``LiveTarget``: the core of the queue's metadata read at once, every other catalogue on first
need, each once — and every answer the same as from a full read of the target."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator

import pytest

from migrator.live_target import LiveTarget
from migrator.mapping.target_info import FixtureTarget
from migrator.sandbox import SandboxServer
from migrator.tracker import TrackerClient, TrackerSettings
from migrator.tracker.errors import NotFound
from migrator.tracker.metadata import TargetMetadata


@pytest.fixture
def client(sandbox: SandboxServer) -> Iterator[TrackerClient]:
    settings = TrackerSettings(token=sandbox.admin_token, org_id=str(sandbox.org_id), base_url=sandbox.url)
    with TrackerClient(settings) as api:
        yield api


def _requests(sandbox: SandboxServer) -> Counter[str]:
    return Counter(sandbox.stats()["by_kind"])


def test_the_core_is_read_at_once_and_each_other_catalogue_on_first_need(
    sandbox: SandboxServer, client: TrackerClient
) -> None:
    before = _requests(sandbox)
    info = LiveTarget(client, "DEMO")
    try:
        info.ready()
        core = _requests(sandbox) - before
        # users; statuses, issue types, priorities and the queue's one workflow; the queue itself
        assert core == Counter({"users": 1, "metadata": 4, "queues": 1})
        assert info.has_status("open") and info.has_type("task") and info.default_type() == "task"
        assert _requests(sandbox) - before == core  # asking about the core reads nothing more

        for ask in (
            lambda: info.has_resolution("fixed"),
            lambda: info.components(),
            lambda: info.versions(),
            lambda: info.global_field("components"),
            lambda: info.local_field("customer"),
            lambda: info.link_relationships(),
        ):
            sent = _requests(sandbox)
            ask()
            assert _requests(sandbox) - sent == Counter({"metadata": 1})  # read the first time
            ask()
            assert _requests(sandbox) - sent == Counter({"metadata": 1})  # and only then
    finally:
        info.close()


def test_every_answer_is_the_one_of_a_full_read(sandbox: SandboxServer, client: TrackerClient) -> None:
    full = FixtureTarget(TargetMetadata.fetch(client, "DEMO").to_dict(), "DEMO")
    info = LiveTarget(client, "DEMO")
    try:
        assert info.components() == full.components() and info.versions() == full.versions()
        assert info.local_field("customer") == full.local_field("customer") is not None
        assert info.global_field("components") == full.global_field("components") is not None
        assert info.link_relationships() == full.link_relationships()
        assert [info.has_resolution(k) for k in ("fixed", "nonsense")] == [True, False]
        assert info.users() == full.users()
        assert info.statuses_for_type("task") == full.statuses_for_type("task") is not None
        assert [info.has_priority(k) for k in ("normal", "nonsense")] == [True, False]
    finally:
        info.close()


def test_a_missing_queue_is_the_reads_error_when_asked(client: TrackerClient) -> None:
    info = LiveTarget(client, "NOPE")
    try:
        with pytest.raises(NotFound):
            info.ready()
        with pytest.raises(NotFound):
            info.has_status("open")
    finally:
        info.close()


def test_a_catalogue_read_ahead_is_in_before_it_is_asked_and_read_once(
    sandbox: SandboxServer, client: TrackerClient
) -> None:
    info = LiveTarget(client, "DEMO")
    try:
        info.ready()
        before = _requests(sandbox)
        info.read_ahead("link_types")
        info.read_ahead("local_fields")  # a part of the queue: read for this queue
        info._pool.submit(lambda: None).result()  # the pool is FIFO: the reads above have started
        for _ in range(50):  # they are answered while nobody waits for them
            if _requests(sandbox) - before == Counter({"metadata": 2}):
                break
            threading.Event().wait(0.02)
        assert _requests(sandbox) - before == Counter({"metadata": 2})
        assert "relates" in info.link_relationships() and info.local_field("customer") is not None
        assert _requests(sandbox) - before == Counter({"metadata": 2})  # asking read nothing more
    finally:
        info.close()
