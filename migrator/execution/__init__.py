"""Exactly-once, resumable execution of a stored plan against Tracker's ``_import`` endpoints.

The executor sees only the :class:`~migrator.state.CheckpointStore` (plan + ledger) and the Tracker
client. A write whose outcome is unknown is **reconciled** against the target before anything is
re-sent: issues by ``unique``; comments by author, ``createdAt`` and text; files by name, size and
``createdAt``; worklogs by author, start and duration; links by relationship and the other issue's
key. A target object already claimed by another ledger row is never claimed twice, so two
identical comments stay two comments. Only a proven absence leads to a re-send.

Layout (each module one job):

* ``scheduler.py`` — :class:`Executor`: one pipeline of units on a pool sized by the rate, stop, progress;
* ``ready.py`` — the ready-queue: units, what each kind waits for, events that wake them;
* ``attempt.py`` — one object's attempt: send, reconcile, conflict, back-off (:class:`ExecutorPolicy`);
* ``kinds.py`` — one small class per object kind: payload, write call, listing, match, target id;
* ``matching.py`` — when a target object is the planned one (shared with ``migrator/verify.py``);
* ``summary.py`` — :class:`RunSummary` / :class:`KindSummary`, the console table;
* ``api.py`` — :class:`TrackerApi`, the client calls used, and how each client error is treated.
"""

from migrator.execution.api import TrackerApi
from migrator.execution.attempt import ExecutorPolicy
from migrator.execution.scheduler import MAX_WORKERS, Executor
from migrator.execution.summary import KindSummary, RunSummary

__all__ = ["MAX_WORKERS", "Executor", "ExecutorPolicy", "KindSummary", "RunSummary", "TrackerApi"]
