"""The queue lease held in the target: taken once, refused to others, expired, taken over, renewed, lost."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from execution.helpers_executor import client_for
from migrator.errors import MigratorError
from migrator.execution.queue_lease import (
    LeaseLost,
    LeaseRecord,
    QueueLease,
    QueueLocked,
    lease_unique,
)
from migrator.sandbox import SandboxServer
from migrator.tracker.errors import TrackerUnavailable


class Clock:
    """A settable wall clock and monotonic clock for lease expiry."""

    def __init__(self) -> None:
        self.wall = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
        self.mono = 1000.0

    def now(self) -> datetime:
        return self.wall

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.wall += timedelta(seconds=seconds)
        self.mono += seconds


def _lease(client, clock: Clock, *, owner: str = "file-a", namespace: str = "ns-a", queue: str = "DEMO"):  # noqa: ANN001
    return QueueLease(
        client,
        queue,
        namespace=namespace,
        owner=owner,
        ttl_s=600,
        renew_every_s=120,
        now=clock.now,
        monotonic=clock.monotonic,
    )


def _marker(client, queue: str = "DEMO") -> dict:  # noqa: ANN001
    found = client.find_by_unique(lease_unique(queue))
    assert found is not None
    return found


def test_first_run_creates_the_marker_and_a_second_is_refused_naming_the_holder(
    sandbox: SandboxServer,
) -> None:
    clock = Clock()
    with client_for(sandbox) as client:
        first = _lease(client, clock)
        first.acquire()
        marker = _marker(client)
        assert marker["key"] == first.key and marker["queue"]["key"] == "DEMO"
        record = LeaseRecord.parse(marker["description"])
        assert record is not None and record.holder == first.token and not record.released

        second = _lease(client, clock, owner="file-b", namespace="ns-b")
        with pytest.raises(QueueLocked) as refused:
            second.check()
        assert "ns-a" in str(refused.value) and f"pid {record.pid}" in str(refused.value)
        assert "--ignore-queue-lock" in str(refused.value)
        with pytest.raises(QueueLocked):
            second.acquire()
        # one marker issue, whatever the number of attempts
        assert sandbox.stats()["objects"]["issues"] == 1


def test_released_lease_is_taken_by_the_next_run_on_the_same_marker(sandbox: SandboxServer) -> None:
    clock = Clock()
    with client_for(sandbox) as client:
        first = _lease(client, clock)
        first.acquire()
        key = first.key
        first.release()
        assert LeaseRecord.parse(_marker(client)["description"]).released

        second = _lease(client, clock, owner="file-b", namespace="ns-b")
        second.acquire()
        assert second.key == key
        assert LeaseRecord.parse(_marker(client)["description"]).holder == second.token
        assert sandbox.stats()["objects"]["issues"] == 1


def test_a_lease_not_renewed_expires_and_another_run_may_take_it(sandbox: SandboxServer) -> None:
    clock = Clock()
    with client_for(sandbox) as client:
        _lease(client, clock).acquire()  # then the holder is killed: never renewed, never released
        other = _lease(client, clock, owner="file-b", namespace="ns-b")
        clock.advance(600)  # the lease's time to live, but within the tolerated clock skew
        with pytest.raises(QueueLocked):
            other.acquire()
        clock.advance(61)
        other.acquire()
        assert LeaseRecord.parse(_marker(client)["description"]).holder == other.token


def test_the_same_checkpoint_file_takes_over_a_dead_runs_lease_at_once(sandbox: SandboxServer) -> None:
    """The checkpoint file's lock proves the previous holder of the same file dead: no waiting."""
    clock = Clock()
    with client_for(sandbox) as client:
        _lease(client, clock, owner="file-a").acquire()
        resumed = _lease(client, clock, owner="file-a")
        resumed.check()
        resumed.acquire()
        assert LeaseRecord.parse(_marker(client)["description"]).holder == resumed.token


def test_two_runs_racing_for_a_free_lease_one_wins(sandbox: SandboxServer) -> None:
    clock = Clock()
    outcomes: list[str] = []
    with client_for(sandbox) as client:
        seed = _lease(client, clock, owner="seed")
        seed.acquire()
        seed.release()
        leases = [_lease(client, clock, owner=f"file-{n}", namespace=f"ns-{n}") for n in range(6)]
        barrier = threading.Barrier(len(leases))

        def race(lease: QueueLease) -> None:
            barrier.wait()
            try:
                lease.acquire()
                outcomes.append("held")
            except QueueLocked:
                outcomes.append("refused")

        threads = [threading.Thread(target=race, args=(lease,)) for lease in leases]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["held"] + ["refused"] * 5
        holder = LeaseRecord.parse(_marker(client)["description"]).holder
        assert [lease.token for lease in leases if lease.token == holder]


def test_renewal_keeps_the_lease_alive_past_its_time_to_live(sandbox: SandboxServer) -> None:
    clock = Clock()
    with client_for(sandbox) as client:
        holder = _lease(client, clock)
        holder.acquire()
        other = _lease(client, clock, owner="file-b", namespace="ns-b")
        for _ in range(10):
            clock.advance(120)
            holder.renew()
        with pytest.raises(QueueLocked):
            other.acquire()


def test_a_holder_whose_lease_was_taken_finds_out_at_its_next_renewal(sandbox: SandboxServer) -> None:
    clock = Clock()
    with client_for(sandbox) as client:
        stale = _lease(client, clock)
        stale.acquire()
        clock.advance(700)  # it could not renew (stalled); its lease expired
        taker = _lease(client, clock, owner="file-b", namespace="ns-b")
        taker.acquire()
        with pytest.raises(LeaseLost, match="ns-b"):
            stale.renew()
        stale.release()  # not its lease any more: leaves the taker's alone
        assert LeaseRecord.parse(_marker(client)["description"]).holder == taker.token


def test_holding_renews_in_the_background_and_reports_a_loss(sandbox: SandboxServer) -> None:
    clock = Clock()
    lost: list[str] = []
    with client_for(sandbox) as client:
        lease = QueueLease(
            client, "DEMO", namespace="ns-a", owner="file-a", ttl_s=600, renew_every_s=0.05,
            now=clock.now, monotonic=clock.monotonic,
        )  # fmt: skip
        with lease.holding(on_lost=lost.append):
            # another run overwrites the marker (as if it had found the lease expired)
            marker = _marker(client)
            taken = LeaseRecord.parse(marker["description"])
            intruder = LeaseRecord(**{**taken.__dict__, "holder": "intruder", "namespace": "ns-x"})
            client.patch_issue(marker["key"], {"description": intruder.text("DEMO")})
            waited = threading.Event()
            for _ in range(500):  # a hang guard: the renewal thread notices within a few beats
                if lost or waited.wait(0.02):
                    break
        assert lost and "ns-x" in lost[0]
        with pytest.raises(LeaseLost):
            lease.raise_if_lost()
        # a lost lease is not released: the intruder keeps it
        assert LeaseRecord.parse(_marker(client)["description"]).holder == "intruder"


def test_holding_releases_on_the_way_out_even_after_an_error(sandbox: SandboxServer) -> None:
    clock = Clock()
    with client_for(sandbox) as client:
        lease = _lease(client, clock)
        with pytest.raises(RuntimeError), lease.holding(on_lost=lambda reason: None):
            raise RuntimeError("the run failed")
        assert LeaseRecord.parse(_marker(client)["description"]).released


def test_the_marker_is_imported_under_the_key_after_the_planned_numbers(sandbox: SandboxServer) -> None:
    """Planned numbers must stay free, so the marker takes the key it is given (asked only once the
    marker has to be made)."""
    clock = Clock()
    asked: list[str] = []

    def next_free() -> str:
        asked.append("DEMO-41")
        return "DEMO-41"

    with client_for(sandbox) as client:
        lease = _lease(client, clock)
        lease.acquire(marker_key=next_free)
        assert lease.key == "DEMO-41"
        assert client.get_issue("DEMO-41")["unique"] == lease_unique("DEMO")
        lease.release()
        again = _lease(client, clock)
        again.acquire(marker_key=next_free)
        assert again.key == "DEMO-41" and asked == ["DEMO-41"]  # found: no new key asked


def test_a_taken_marker_key_is_asked_for_again_never_left_to_tracker_numbering(
    sandbox: SandboxServer,
) -> None:
    clock = Clock()
    offered = iter(["DEMO-1", "DEMO-7"])
    with client_for(sandbox) as client:
        client.create_issue({"queue": "DEMO", "summary": "already there"})  # DEMO-1
        lease = _lease(client, clock)
        lease.acquire(marker_key=lambda: next(offered))
        assert lease.key == "DEMO-7"  # not DEMO-2, which Tracker would number it (a planned key)


@pytest.mark.parametrize("mode", ["rate_limit", "fail"])
def test_a_refused_or_failed_marker_import_is_tried_again_once(sandbox: SandboxServer, mode: str) -> None:
    """A 429 (not applied) or a 500 after the commit: the marker's ``unique`` makes trying again safe,
    so the run takes the lease instead of failing — and there is still one marker."""
    clock = Clock()
    slept: list[float] = []
    with client_for(sandbox) as client:
        sandbox.fail_next("issue_import", 1, mode=mode)
        lease = QueueLease(
            client, "DEMO", namespace="ns-a", owner="file-a", now=clock.now, sleep=slept.append
        )
        lease.acquire(marker_key=lambda: "DEMO-5")
        # a 429 waits before the next try; a 500 after the commit is an unknown outcome: looked up at once
        assert lease.key == "DEMO-5" and len(slept) == (1 if mode == "rate_limit" else 0)
        assert [i["key"] for i in client.search_issues(queue="DEMO")] == ["DEMO-5"]


def test_a_marker_key_tracker_refuses_falls_back_to_tracker_numbering(sandbox: SandboxServer) -> None:
    clock = Clock()
    with client_for(sandbox) as client:
        lease = _lease(client, clock)
        lease.acquire(marker_key=lambda: "OTHER-3")  # not a key of the queue: 400/422
        assert lease.key == "DEMO-1"


def test_an_edited_marker_without_a_record_counts_as_free(sandbox: SandboxServer) -> None:
    clock = Clock()
    with client_for(sandbox) as client:
        client.create_issue({"queue": "DEMO", "summary": "lease", "unique": lease_unique("DEMO")})
        lease = _lease(client, clock)
        lease.acquire()
        assert LeaseRecord.parse(_marker(client)["description"]).holder == lease.token


def test_record_parse_rejects_anything_but_a_lease() -> None:
    assert LeaseRecord.parse(None) is None
    assert LeaseRecord.parse("plain words") is None
    assert LeaseRecord.parse('{"migrator_queue_lease": {"holder": "x"}}') is None
    assert LeaseRecord.parse('{"other": 1}') is None


def test_renew_every_must_be_shorter_than_the_time_to_live() -> None:
    with pytest.raises(ValueError):
        QueueLease(None, "DEMO", namespace="n", owner="o", ttl_s=10, renew_every_s=10)  # type: ignore[arg-type]


def test_lease_errors_are_user_facing(sandbox: SandboxServer) -> None:
    clock = Clock()
    with client_for(sandbox) as client:
        _lease(client, clock).acquire()
        with pytest.raises(MigratorError) as refused:
            _lease(client, clock, owner="other").acquire()
        assert refused.value.exit_code == 2


class Unreachable:
    """The real client until ``down`` is set; then every renewal fails as if the target were gone."""

    def __init__(self, client) -> None:  # noqa: ANN001
        self.client = client
        self.down = False

    def __getattr__(self, name: str):  # noqa: ANN204
        return getattr(self.client, name)

    def patch_issue(self, key, body, version=None):  # noqa: ANN001, ANN201
        if self.down:
            raise TrackerUnavailable(None, ["connection refused"], {}, "PATCH", f"/v2/issues/{key}")
        return self.client.patch_issue(key, body, version=version)


def test_a_lease_that_cannot_be_renewed_for_nearly_its_time_to_live_stops_the_run(
    sandbox: SandboxServer,
) -> None:
    clock = Clock()
    lost: list[str] = []
    with client_for(sandbox) as client:
        flaky = Unreachable(client)
        lease = QueueLease(
            flaky, "DEMO", namespace="ns-a", owner="file-a", ttl_s=600, renew_every_s=0.05,
            now=clock.now, monotonic=clock.monotonic,
        )  # fmt: skip
        with lease.holding(on_lost=lost.append):
            flaky.down = True
            clock.advance(400)  # still within the lease: the renewals keep failing quietly
            waited = threading.Event()
            waited.wait(0.3)
            assert not lost
            clock.advance(250)  # 650 s without a renewal: the lease has expired, another run may take it
            for _ in range(500):  # hang guard
                if lost or waited.wait(0.02):
                    break
        assert lost and "could not be renewed for 650 s" in lost[0]


def _finds(sandbox: SandboxServer) -> int:
    return int(sandbox.stats()["by_kind"].get("find_by_unique", 0))


def test_acquire_after_check_reads_the_marker_once_when_it_did_not_change(sandbox: SandboxServer) -> None:
    clock = Clock()
    with client_for(sandbox) as client:
        first = _lease(client, clock)
        before = _finds(sandbox)
        first.check()
        first.acquire(marker_key=lambda: "DEMO-3")  # no marker yet: made from what check() read
        assert first.key == "DEMO-3" and _finds(sandbox) - before == 1
        first.release()

        second = _lease(client, clock, owner="file-b", namespace="ns-b")
        before = _finds(sandbox)
        second.check()
        second.acquire()  # a released marker: taken with the version check() read
        assert second.key == "DEMO-3" and _finds(sandbox) - before == 1
        assert LeaseRecord.parse(_marker(client)["description"]).holder == second.token


def test_a_marker_taken_between_check_and_acquire_is_read_again_and_refused(sandbox: SandboxServer) -> None:
    """What check() read is stale: the take with its version answers 409, acquire reads the marker
    again and finds the other run's live lease."""
    clock = Clock()
    with client_for(sandbox) as client:
        seed = _lease(client, clock, owner="seed")
        seed.acquire()
        seed.release()
        late = _lease(client, clock, owner="file-b", namespace="ns-b")
        late.check()  # free (released)
        _lease(client, clock, owner="file-c", namespace="ns-c").acquire()  # meanwhile another run takes it
        before = _finds(sandbox)
        with pytest.raises(QueueLocked) as refused:
            late.acquire()
        assert "ns-c" in str(refused.value) and _finds(sandbox) - before == 1


def test_a_marker_made_between_check_and_acquire_is_read_again_and_refused(sandbox: SandboxServer) -> None:
    """check() found no marker; another run makes it meanwhile: the create answers 409 (``unique``)
    and acquire reads the other run's lease instead of making a second marker."""
    clock = Clock()
    with client_for(sandbox) as client:
        late = _lease(client, clock, owner="file-b", namespace="ns-b")
        late.check()
        _lease(client, clock, owner="file-c", namespace="ns-c").acquire(marker_key=lambda: "DEMO-2")
        with pytest.raises(QueueLocked):
            late.acquire(marker_key=lambda: "DEMO-9")
        assert sandbox.stats()["objects"]["issues"] == 1


def _myself_reads(sandbox: SandboxServer) -> int:
    return int(sandbox.stats()["by_kind"].get("myself", 0))


def test_the_marker_authors_read_goes_ahead_only_when_the_marker_must_be_made(sandbox: SandboxServer) -> None:
    """``read_ahead`` sends ``myself`` before ``acquire`` when ``check`` found no marker (acquire then
    uses that answer: one read), and nothing when there is a marker to take."""
    clock = Clock()
    with client_for(sandbox) as client, ThreadPoolExecutor(max_workers=1) as pool:
        first = _lease(client, clock)
        first.check()
        assert first.marker_missing
        before = _myself_reads(sandbox)
        first.read_ahead(pool)
        pool.submit(lambda: None).result()  # one worker: the read ahead has been answered
        assert _myself_reads(sandbox) - before == 1
        first.acquire(marker_key=lambda: "DEMO-3")
        assert _myself_reads(sandbox) - before == 1
        assert _marker(client)["createdBy"]["id"] == str(client.myself()["uid"])
        first.release()

        second = _lease(client, clock, owner="file-b", namespace="ns-b")
        second.check()
        assert not second.marker_missing
        before = _myself_reads(sandbox)
        second.read_ahead(pool)
        pool.submit(lambda: None).result()
        second.acquire()
        assert _myself_reads(sandbox) == before


def test_a_failed_read_ahead_is_read_again_when_the_marker_is_made(sandbox: SandboxServer) -> None:
    clock = Clock()
    with client_for(sandbox) as client, ThreadPoolExecutor(max_workers=1) as pool:
        lease = _lease(client, clock)
        lease.check()
        sandbox.fail_next("myself", 1, mode="fail_before", status=403)
        before = _myself_reads(sandbox)
        lease.read_ahead(pool)
        pool.submit(lambda: None).result()
        assert sandbox.stats()["faults"]["failed_before"] == 1  # the read ahead was refused
        lease.acquire(marker_key=lambda: "DEMO-4")
        assert lease.key == "DEMO-4" and _myself_reads(sandbox) - before == 2
        assert _marker(client)["createdBy"]["id"] == str(client.myself()["uid"])
