"""Learned rate ceilings, remembered per Tracker organization between runs (one small JSON file).

The limit is the organization's, not the migration's: every namespace, staging copy and ``verify``
against the same target shares it, so it lives beside the checkpoint files (``.migrator/``) keyed by
the target's identity (API URL + org id — never a token), not inside one checkpoint file. It is a
cache: a missing, unreadable or foreign file only means starting from the safe default again, so
problems are logged, never fatal. Written atomically (temp file + rename); the last writer wins.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from migrator.timeutil import format_tracker_datetime, now_utc
from migrator.tracker.ratelimit import RateLimiter

log = logging.getLogger(__name__)

FORMAT_VERSION = 1


@dataclass(frozen=True)
class CeilingMemory:
    path: Path

    def recall(self, target: str) -> float | None:
        """The ceiling (requests/s) last learned for ``target``, or None."""
        entry = self._load().get(target)
        if not isinstance(entry, dict):
            return None
        value = entry.get("ceiling_rps")
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            return float(value)
        return None

    def remember(self, target: str, ceiling: float) -> None:
        targets = self._load()
        targets[target] = {"ceiling_rps": round(ceiling, 3), "learned_at": format_tracker_datetime(now_utc())}
        document = {"version": FORMAT_VERSION, "targets": targets}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(prefix=self.path.name, suffix=".tmp", dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(document, out, indent=2, sort_keys=True)
            os.replace(temp, self.path)
        except OSError as exc:
            log.warning("could not remember the learned rate ceiling in %s: %s", self.path, exc)

    def _load(self) -> dict[str, Any]:
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("ignoring the rate-ceiling file %s (%s); starting from the safe rate", self.path, exc)
            return {}
        if not isinstance(document, dict):
            document = {}
        targets = document.get("targets")
        if document.get("version") != FORMAT_VERSION or not isinstance(targets, dict):
            log.warning("ignoring the rate-ceiling file %s: not a version %d file", self.path, FORMAT_VERSION)
            return {}
        return targets


RateSetting = float | Literal["auto"]


def limiter_for(setting: RateSetting, target: str, memory: CeilingMemory | None) -> RateLimiter:
    """The shared limiter for one run against ``target``: ``auto`` learns the limit, a number caps
    it; either starts just under the ceiling remembered for this target, if any."""
    learned = memory.recall(target) if memory is not None else None
    if setting == "auto":
        return RateLimiter.auto(learned_ceiling=learned)
    return RateLimiter(setting, learned_ceiling=learned)


def remember_learned(limiter: RateLimiter, target: str, memory: CeilingMemory | None) -> None:
    """Store the ceiling if this run learned one (it met 429s); a recalled one is left as it was."""
    ceiling = limiter.ceiling
    if memory is not None and ceiling is not None and limiter.penalties > 0:
        memory.remember(target, ceiling)
