"""The mapping's policies for what history the export cannot give as it is: references to issues
outside the export (``target.dangling``) and links whose two issues never lived at the same time
(``target.undated_links``). Parsed here, applied by the pipeline's cross-issue planning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from migrator.mapping.config_checks import Problems, check_keys

# What to do with a link or parent whose other issue is not in the export, tried in order:
# ``existing`` links to an issue already in Tracker (it may not be found: the next one is tried);
# ``text`` leaves a line naming the old key (and URL) in the description; ``drop`` leaves it
# out; ``error`` blocks the run. Each is reported.
DANGLING_STRATEGIES = ("existing", "text", "drop", "error")
FINAL_STRATEGIES = frozenset({"text", "drop", "error"})  # always apply: nothing after them is tried

# Two issues whose lifetimes do not overlap: ``extend`` the earlier issue's updatedAt to the date of
# the link (reported); ``now`` creates the link undated, i.e. dated at the moment of the run by the
# importing user (reported; Tracker then also sets both issues' updatedAt/updatedBy).
UNDATED_LINK_POLICIES = ("extend", "now")


DANGLING_KEYS = frozenset({"links", "parent"})  # target.dangling as a mapping


@dataclass
class DanglingPolicy:
    links: list[str] = field(default_factory=lambda: ["error"])
    parent: list[str] = field(default_factory=lambda: ["error"])

    def for_field(self, name: str) -> list[str]:
        """The strategies for ``parent`` or ``links``."""
        return self.parent if name == "parent" else self.links


def parse_dangling(raw: Any, problems: Problems) -> DanglingPolicy:
    """``target.dangling``: one strategy or a list for both, or ``{links: ..., parent: ...}``."""
    if raw is None:
        return DanglingPolicy()
    if isinstance(raw, dict):
        check_keys("target.dangling", raw, DANGLING_KEYS, problems)
        return DanglingPolicy(
            links=_strategies("target.dangling.links", raw.get("links", "error"), problems),
            parent=_strategies("target.dangling.parent", raw.get("parent", "error"), problems),
        )
    both = _strategies("target.dangling", raw, problems)
    return DanglingPolicy(links=both, parent=list(both))


def _strategies(path: str, raw: Any, problems: Problems) -> list[str]:
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not items or any(item not in DANGLING_STRATEGIES for item in items):
        problems.add(
            path,
            f"must be one of {', '.join(DANGLING_STRATEGIES)}, or a list of them tried in order",
            "e.g. [existing, text]: link to the issue already in Tracker, else keep a line naming it",
        )
        return ["error"]
    for index, item in enumerate(items[:-1]):
        if item in FINAL_STRATEGIES:
            problems.add(
                f"{path}[{index + 1}]",
                f"{items[index + 1]!r} is never tried: {item!r} before it always applies",
                "only 'existing' can fail and fall through to the next strategy",
            )
            break
    return [str(item) for item in items]


def parse_undated_links(raw: Any, problems: Problems) -> str:
    """``target.undated_links``: ``extend`` (default) or ``now``."""
    if raw is None:
        return "extend"
    if raw not in UNDATED_LINK_POLICIES:
        problems.add(
            "target.undated_links",
            f"unknown policy {raw!r}",
            "extend (default: move the earlier issue's updatedAt to the link's date) or now "
            "(create such links undated, at the moment of the run)",
        )
        return "extend"
    return str(raw)
