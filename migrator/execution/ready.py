"""The ready-queue: units of work, the events they wait for, and which of them may run now.

The run is one pipeline, not phases with barriers. Every object kind declares what its rows wait
for (:class:`After`, ``ObjectKind.after``); the scheduler groups an issue's rows into *units* by it:

* a **chain** (``After.PARENT`` + ``After.ISSUE``): the issue, then its children in chain order
  (comments and files by time, a comment's files after it, worklogs, and whatever a later kind adds
  to the chain). It waits for its parent issue's import to have been attempted;
* a **link** (``After.BOTH_ISSUES``): waits until the chains of both its issues are settled;
* the **last** rows of an issue (``After.LAST``: local fields, a delta's removals): after its chain
  and its own links.

Waiting is event-driven: a unit names the events it waits for (``("issue", key)``: that issue's
import was attempted; ``("chain", key)``: its chain is settled; ``("links", key)``: its own links
are settled); the units that *fire* an event are counted while they are admitted and unfinished,
and when the last of them finishes, exactly the units waiting for that event are woken — no polling,
no scans. An event nobody admitted will fire (a link whose other issue is admitted later) keeps its
waiters until :meth:`ReadyQueue.release_stalled`, which the scheduler calls only once nothing else
can happen (the ledger read to its end, nothing running, nothing ready).

At most one unit per issue runs at a time, so an issue's own objects are never written
concurrently. Continuations (links, last rows, and any unit that waited: a subtask whose parent was
just imported) go before fresh chains, so started work finishes first and the admitted window
stays small. This module is pure bookkeeping: no threads, no I/O.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum

Event = tuple[str, str]


class After(Enum):
    """What a kind's rows wait for before they may be attempted (``ObjectKind.after``)."""

    PARENT = "its parent issue"  # an issue: its parent's import attempted first (parents first)
    ISSUE = "its issue"  # a child: its issue imported; sent in chain order with the other children
    BOTH_ISSUES = "both issues"  # a link: the chains of both its issues settled (their windows final)
    LAST = "the rest of its issue"  # local fields: after the issue's chain and its own links


class Step(Enum):
    """The three kinds of unit (see the module docstring)."""

    CHAIN = "chain"
    LINK = "link"
    LAST = "last"


# Which unit runs the rows of each ``After``.
STEP_OF: dict[After, Step] = {
    After.PARENT: Step.CHAIN,
    After.ISSUE: Step.CHAIN,
    After.BOTH_ISSUES: Step.LINK,
    After.LAST: Step.LAST,
}


def issue_attempted(issue_key: str) -> Event:
    return ("issue", issue_key)


def chain_settled(issue_key: str) -> Event:
    return ("chain", issue_key)


def links_settled(issue_key: str) -> Event:
    return ("links", issue_key)


@dataclass(eq=False)
class Unit:
    """Rows of one issue run in order by one worker; ``fires`` = the events it completes. A chain
    reads its rows when it starts (``row_ids`` empty); a link or the last rows name theirs."""

    step: Step
    issue_key: str
    row_ids: list[int] = field(default_factory=list)
    fires: list[Event] = field(default_factory=list)
    waiting: int = 0  # events still awaited


class ReadyQueue:
    """Admitted units, the events they wait for, and the order in which ready ones are handed out."""

    def __init__(self) -> None:
        self._soon: deque[Unit] = deque()  # ready continuations: links, last rows, woken units
        self._fresh: deque[Unit] = deque()  # ready chains, in admission order
        self._open: Counter[Event] = Counter()  # event -> admitted, unfinished units that fire it
        self._waiters: dict[Event, list[Unit]] = {}
        self._busy: set[str] = set()  # issues with a running unit
        self._parked: dict[str, deque[Unit]] = {}  # ready units whose issue is busy
        self._waiting_units = 0

    # ------------------------------------------------------------------ facts

    def is_open(self, event: Event) -> bool:
        """Will an admitted unit still fire ``event``?"""
        return self._open[event] > 0

    @property
    def ready(self) -> int:
        """Units that could be handed out now or as soon as their issue is free."""
        return len(self._soon) + len(self._fresh) + sum(len(q) for q in self._parked.values())

    @property
    def waiting(self) -> int:
        """Units waiting for an event."""
        return self._waiting_units

    # ------------------------------------------------------------------ admission

    def add(self, unit: Unit, waits: Iterable[Event] = ()) -> None:
        """Admit ``unit``; it becomes ready once every event of ``waits`` has fired. Waiting for an
        event nobody has admitted yet is allowed: a later admission may open it."""
        for event in unit.fires:
            self._open[event] += 1
        pending = list(dict.fromkeys(waits))
        unit.waiting = len(pending)
        if not pending:
            self._make_ready(unit)
            return
        self._waiting_units += 1
        for event in pending:
            self._waiters.setdefault(event, []).append(unit)

    # ------------------------------------------------------------------ running

    def pop(self) -> Unit | None:
        """The next ready unit whose issue has no running unit (None: nothing can start now)."""
        for source in (self._soon, self._fresh):
            while source:
                unit = source.popleft()
                if unit.issue_key in self._busy:
                    self._parked.setdefault(unit.issue_key, deque()).append(unit)
                    continue
                self._busy.add(unit.issue_key)
                return unit
        return None

    def fire(self, unit: Unit, event: Event) -> None:
        """``unit`` (running) completed ``event`` before finishing (an issue attempted mid-chain)."""
        if event in unit.fires:
            unit.fires.remove(event)
            self._close(event)

    def finished(self, unit: Unit) -> None:
        """``unit`` is over (whatever its outcome): its issue is free and its events fire."""
        self._busy.discard(unit.issue_key)
        parked = self._parked.get(unit.issue_key)
        if parked:
            self._soon.appendleft(parked.popleft())
            if not parked:
                del self._parked[unit.issue_key]
        for event in unit.fires:
            self._close(event)
        unit.fires = []

    def release_stalled(self) -> int:
        """Fire every awaited event that no admitted unit will fire (call only when nothing else can
        happen): their waiters run and record why they cannot be written. Returns units woken."""
        stalled = [event for event in self._waiters if self._open[event] == 0]
        before = self.ready
        for event in stalled:
            self._wake(event)
        return self.ready - before

    # ------------------------------------------------------------------ internals

    def _close(self, event: Event) -> None:
        self._open[event] -= 1
        if self._open[event] <= 0:
            del self._open[event]
            self._wake(event)

    def _wake(self, event: Event) -> None:
        for unit in self._waiters.pop(event, []):
            unit.waiting -= 1
            if unit.waiting == 0:
                self._waiting_units -= 1
                self._soon.append(unit)  # what it waited for just happened: it continues that work

    def _make_ready(self, unit: Unit) -> None:
        (self._fresh if unit.step == Step.CHAIN else self._soon).append(unit)
