"""Reading a YAML file that may be hostile: size, alias expansion and nesting are bounded.

PyYAML's safe loader shares one Python object for every use of an anchor, so a "billion laughs"
file (nine aliases of nine aliases of …) loads quickly — and then explodes the moment anything
walks it (``str()`` of a value map took 2.2 GB). The loader here counts, while composing, every
node *as it would be expanded*: an alias adds the expanded size of the node it names. Past
``max_nodes`` the load stops with :class:`YamlLimitError`, before anything is constructed.
"""

from __future__ import annotations

from typing import Any

import yaml


class YamlLimitError(yaml.YAMLError):
    """The document expands to more nodes than allowed; ``line`` is 1-based."""

    def __init__(self, max_nodes: int, line: int) -> None:
        super().__init__(f"the YAML expands to more than {max_nodes:,} nodes (aliases counted expanded)")
        self.max_nodes = max_nodes
        self.line = line


class _CountingLoader(yaml.SafeLoader):
    def __init__(self, text: str, max_nodes: int) -> None:
        super().__init__(text)
        self._max_nodes = max_nodes
        self._nodes = 0
        self._anchored_sizes: dict[str, int] = {}  # anchor -> expanded size of its node

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]  # untyped in types-PyYAML
        if isinstance(event, yaml.AliasEvent):
            # An alias of a node still being composed (a recursive structure) counts as one node.
            self._count(self._anchored_sizes.get(event.anchor or "", 1), event)
            return super().compose_node(parent, index)
        before = self._nodes
        node = super().compose_node(parent, index)
        self._count(1, event)
        if event.anchor is not None:
            self._anchored_sizes[event.anchor] = self._nodes - before
        return node

    def _count(self, nodes: int, event: yaml.Event) -> None:
        self._nodes += nodes
        if self._nodes > self._max_nodes:
            mark = event.start_mark
            raise YamlLimitError(self._max_nodes, mark.line + 1 if mark is not None else 0)


def load_yaml(text: str, *, max_nodes: int) -> Any:
    """The document in ``text`` (safe types only). Raises ``yaml.YAMLError`` (including
    :class:`YamlLimitError`), ``RecursionError`` for absurd nesting and ``ValueError`` for values
    Python refuses (an integer of more than 4,300 digits)."""
    loader = _CountingLoader(text, max_nodes)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
