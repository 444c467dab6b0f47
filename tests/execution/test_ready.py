"""The ready-queue on its own: events wake exactly their waiters, one unit per issue at a time,
continuations before fresh chains, stalled waits released only on request."""

from __future__ import annotations

from migrator.execution.ready import (
    STEP_OF,
    After,
    ReadyQueue,
    Step,
    Unit,
    chain_settled,
    issue_attempted,
    links_settled,
)
from migrator.execution.registry import kind_of
from migrator.state import LedgerRow
from migrator.vocabulary import KINDS, Kind, Status


def _unit(step: Step, key: str, *fires: tuple[str, str]) -> Unit:
    return Unit(step, key, [], list(fires))


def _drain(queue: ReadyQueue) -> list[Unit]:
    """Pop everything that can start now (without finishing anything)."""
    out = []
    while (unit := queue.pop()) is not None:
        out.append(unit)
    return out


def test_a_unit_without_waits_is_ready_at_once() -> None:
    queue = ReadyQueue()
    chain = _unit(Step.CHAIN, "A", chain_settled("A"))
    queue.add(chain)
    assert queue.ready == 1 and queue.waiting == 0
    assert queue.pop() is chain


def test_a_child_chain_waits_for_its_parents_import_not_for_the_parents_chain() -> None:
    queue = ReadyQueue()
    parent = _unit(Step.CHAIN, "P", chain_settled("P"), issue_attempted("P"))
    queue.add(parent)
    child = _unit(Step.CHAIN, "C", chain_settled("C"), issue_attempted("C"))
    queue.add(child, [issue_attempted("P")])
    assert queue.pop() is parent and queue.pop() is None
    queue.fire(parent, issue_attempted("P"))  # the parent's issue is imported; its comments still run
    assert queue.pop() is child
    queue.finished(parent)  # the parent's remaining event (its chain) does not wake the child twice
    assert queue.pop() is None and queue.waiting == 0


def test_a_link_waits_for_both_chains_and_wakes_when_the_last_one_settles() -> None:
    queue = ReadyQueue()
    a = _unit(Step.CHAIN, "A", chain_settled("A"))
    b = _unit(Step.CHAIN, "B", chain_settled("B"))
    queue.add(a)
    queue.add(b)
    link = _unit(Step.LINK, "A", links_settled("A"))
    queue.add(link, [chain_settled("A"), chain_settled("B")])
    assert _drain(queue) == [a, b]
    queue.finished(a)
    assert queue.pop() is None and queue.waiting == 1
    queue.finished(b)
    assert queue.pop() is link and queue.waiting == 0


def test_an_event_fires_only_when_every_unit_that_fires_it_has_finished() -> None:
    queue = ReadyQueue()
    first, second = (_unit(Step.LINK, "A", links_settled("A")) for _ in range(2))
    queue.add(first)
    queue.add(second)
    last = _unit(Step.LAST, "A")
    queue.add(last, [links_settled("A")])
    assert queue.is_open(links_settled("A"))
    started = queue.pop()
    assert started is first
    queue.finished(first)
    assert queue.pop() is second
    assert queue.pop() is None  # the issue is busy, and the last rows still wait for the second link
    queue.finished(second)
    assert not queue.is_open(links_settled("A"))
    assert queue.pop() is last


def test_one_unit_per_issue_runs_at_a_time() -> None:
    queue = ReadyQueue()
    links = [_unit(Step.LINK, "A", links_settled("A")) for _ in range(3)]
    other = _unit(Step.LINK, "B", links_settled("B"))
    for unit in [*links, other]:
        queue.add(unit)
    assert _drain(queue) == [links[0], other]  # the other links of A are parked while A is busy
    assert queue.ready == 2
    queue.finished(links[0])
    assert _drain(queue) == [links[1]]
    queue.finished(links[1])
    assert _drain(queue) == [links[2]]


def test_continuations_go_before_fresh_chains() -> None:
    queue = ReadyQueue()
    chains = [_unit(Step.CHAIN, key, chain_settled(key)) for key in ("A", "B", "C")]
    for chain in chains:
        queue.add(chain)
    link = _unit(Step.LINK, "Z", links_settled("Z"))
    queue.add(link)
    assert _drain(queue) == [link, *chains]


def test_a_wait_for_an_event_nobody_opened_yet_is_kept_until_a_later_admission_fires_it() -> None:
    queue = ReadyQueue()
    link = _unit(Step.LINK, "A", links_settled("A"))
    queue.add(link, [chain_settled("Z")])  # Z is later in the ledger: not admitted yet
    assert queue.pop() is None and queue.waiting == 1
    z = _unit(Step.CHAIN, "Z", chain_settled("Z"))
    queue.add(z)
    assert queue.pop() is z
    queue.finished(z)
    assert queue.pop() is link


def test_release_stalled_wakes_only_waits_that_no_admitted_unit_will_fire() -> None:
    queue = ReadyQueue()
    running = _unit(Step.CHAIN, "B", chain_settled("B"))
    queue.add(running)
    waits_for_running = _unit(Step.LINK, "A", links_settled("A"))
    queue.add(waits_for_running, [chain_settled("B")])
    orphan = _unit(Step.LINK, "C", links_settled("C"))
    queue.add(orphan, [chain_settled("GONE")])  # an issue whose chain ended earlier with rows left
    assert queue.pop() is running
    assert queue.release_stalled() == 1
    assert queue.pop() is orphan and queue.pop() is None
    queue.finished(running)
    assert queue.pop() is waits_for_running


def test_every_kind_declares_what_it_waits_for() -> None:
    expected = {
        Kind.ISSUE: After.PARENT,
        Kind.COMMENT: After.ISSUE,
        Kind.ATTACHMENT: After.ISSUE,
        Kind.COMMENT_ATTACHMENT: After.ISSUE,
        Kind.WORKLOG: After.ISSUE,
        Kind.DESCRIPTION: After.ISSUE,  # in the chain, after every file of the issue (plan order)
        Kind.LINK: After.BOTH_ISSUES,
        Kind.LOCAL_FIELDS: After.LAST,
        # a delta (migrator/delta.py): the update after its issue, an edit after its comment, removals last
        Kind.ISSUE_UPDATE: After.ISSUE,
        Kind.COMMENT_EDIT: After.ISSUE,
        Kind.REMOVAL: After.LAST,
    }
    for kind in KINDS:
        row = LedgerRow(1, kind, "x", "S-1", None, 0, Status.PENDING, False, None, None, 0, None)
        handler = kind_of(row)
        assert handler.after == expected[kind], kind
        assert handler.blocked_with_issue == (kind not in (Kind.ISSUE, Kind.LINK)), kind
    assert set(STEP_OF) == set(After)


def test_a_woken_unit_goes_before_fresh_chains() -> None:
    queue = ReadyQueue()
    parent = _unit(Step.CHAIN, "P", chain_settled("P"), issue_attempted("P"))
    queue.add(parent)
    child = _unit(Step.CHAIN, "C", chain_settled("C"))
    queue.add(child, [issue_attempted("P")])
    fresh = [_unit(Step.CHAIN, key, chain_settled(key)) for key in ("X", "Y")]
    for unit in fresh:
        queue.add(unit)
    assert queue.pop() is parent
    queue.fire(parent, issue_attempted("P"))
    assert _drain(queue) == [child, *fresh]
