"""The layering of ``docs/architecture.md``, checked on the source: every module of ``migrator/``
belongs to a room, and imports only from its own room and the rooms that room may use.

Imports are read with ``ast`` (nothing is run), wherever they are: module level, inside functions,
under ``if TYPE_CHECKING``. A failure names the module, the line and the import.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "migrator"

BASICS = frozenset(
    {
        "migrator.model",
        "migrator.errors",
        "migrator.timeutil",
        "migrator.findings",
        "migrator.limits",
        "migrator.spill",
    }
)
EXECUTION = BASICS | {
    "migrator.plan",
    "migrator.planning",
    "migrator.delta",
    "migrator.state",
    "migrator.tracker",
    "migrator.vocabulary",
    "migrator.textspans",
}

ROOT = "migrator"  # the package's __init__: only the version; anyone may import it
ANYTHING = frozenset({"*"})

# room -> the rooms it may import (besides itself). A room is a module or a package; a module
# belongs to the longest room its dotted name starts with (the root room holds the root only).
RULES: dict[str, frozenset[str]] = {
    ROOT: frozenset(),
    # shared vocabulary: depends on nothing, or on the model only
    "migrator.model": frozenset(),
    "migrator.errors": frozenset(),
    "migrator.timeutil": frozenset(),
    "migrator.vocabulary": frozenset(),
    "migrator.limits": frozenset(),  # safety limits on input: numbers and their checks only
    "migrator.spill": frozenset(),  # indexes kept in a temporary SQLite file: stdlib only
    # texts' pointers and their rendering: made by mapping, stored by plan, rendered by execution
    "migrator.textspans": frozenset(),
    "migrator.findings": frozenset({"migrator.model", "migrator.spill"}),
    "migrator.results": frozenset({"migrator.model", "migrator.findings"}),
    # the target side: a client and a model of the real service, sharing only the date format
    # (the client also reads the shared words: a local field's id)
    "migrator.tracker": frozenset({"migrator.errors", "migrator.timeutil", "migrator.vocabulary"}),
    "migrator.sandbox": frozenset(
        {"migrator.errors", "migrator.timeutil", "migrator.argtypes", "migrator.sandbox_options"}
    ),
    # `sandbox serve`'s options, outside the package: the CLI's parser must not import the server
    "migrator.sandbox_options": frozenset({"migrator.argtypes"}),
    # argparse types for numeric flags, shared by the migrator CLI and `migrator sandbox serve`
    "migrator.argtypes": frozenset({"migrator.limits"}),
    # export → plan
    "migrator.sources": BASICS,
    "migrator.mapping": BASICS
    | {
        "migrator.sources.spec",
        "migrator.plan",
        "migrator.vocabulary",
        "migrator.results",
        "migrator.textspans",
    },
    "migrator.plan": BASICS | {"migrator.vocabulary"},
    # planning decides order, depths and windows, then hands ready rows to the store
    "migrator.planning": BASICS
    | {"migrator.plan", "migrator.state", "migrator.vocabulary", "migrator.planning_texts", "migrator.delta"},
    "migrator.planning_texts": BASICS | {"migrator.plan", "migrator.state", "migrator.vocabulary"},
    # a newer export against the ledger: what changed, as delta rows and findings
    "migrator.delta": BASICS | {"migrator.plan", "migrator.state", "migrator.vocabulary"},
    "migrator.pipeline": BASICS
    | {"migrator.sources", "migrator.mapping", "migrator.plan", "migrator.vocabulary", "migrator.results"},
    "migrator.validate": BASICS | {"migrator.pipeline", "migrator.mapping", "migrator.results"},
    # presets: recognise an export, survey it through a preset, write a user's mapping (no target calls)
    "migrator.presets": BASICS | {"migrator.sources", "migrator.mapping", "migrator.vocabulary"},
    # errors: a report that cannot be written is a user-facing error (report/xlsx_aside.py)
    "migrator.report": frozenset({"migrator.errors", "migrator.findings", "migrator.results"}),
    # plan → target
    "migrator.state": BASICS | {"migrator.plan", "migrator.vocabulary"},
    "migrator.execution": EXECUTION,
    "migrator.verify": EXECUTION | {"migrator.execution"},
    "migrator.snapshot": frozenset({"migrator.errors", "migrator.tracker", "migrator.mapping.target_info"}),
    # the transform's view of a live queue, each catalogue read on first need
    "migrator.live_target": frozenset(
        {"migrator.errors", "migrator.tracker", "migrator.mapping.target_info", "migrator.snapshot"}
    ),
    # read-only: issues earlier runs imported (their ledgers, the target), for dangling references
    "migrator.existing": BASICS | {"migrator.plan", "migrator.state", "migrator.tracker"},
    # a throwaway queue shaped like the target queue, through the queue API
    "migrator.staging": frozenset({"migrator.errors", "migrator.tracker", "migrator.vocabulary"}),
    # the run manifest in the checkpoint file
    "migrator.history": frozenset({"migrator.errors"}),
    # one run per checkpoint file: an OS lock beside it
    "migrator.run_lock": frozenset({"migrator.errors"}),
    "migrator.target": frozenset({"migrator.errors", "migrator.tracker", "migrator.sandbox"}),
    # the top: wires every stage together
    "migrator.commands": ANYTHING,
    "migrator.cli": ANYTHING,
    "migrator.__main__": frozenset({"migrator.cli"}),
}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    line: int
    target: str  # the imported migrator module


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_package(name: str, root: Path) -> bool:
    return (root.parent / Path(*name.split(".")) / "__init__.py").is_file()


def is_module(name: str, root: Path) -> bool:
    path = root.parent / Path(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imports_of(source: str, module: str, root: Path) -> Iterator[Import]:
    """Every ``migrator`` module ``source`` imports; ``from pkg import submodule`` counts as the
    submodule, relative imports are resolved against ``module``."""
    package = module if is_package(module, root) else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "migrator":
                    yield Import(module, node.lineno, alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            if base.split(".")[0] != "migrator":
                continue
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                yield Import(module, node.lineno, candidate if is_module(candidate, root) else base)


def room_of(name: str, rules: Mapping[str, frozenset[str]]) -> str | None:
    matches = [room for room in rules if name == room or (room != ROOT and within(name, room))]
    return max(matches, key=len) if matches else None


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def may_import(room: str, target: str, rules: Mapping[str, frozenset[str]]) -> bool:
    if rules[room] == ANYTHING or target == ROOT or within(target, room):
        return True
    return any(within(target, allowed) for allowed in rules[room])


def violations(root: Path, rules: Mapping[str, frozenset[str]]) -> list[str]:
    problems = []
    for path in sorted(root.rglob("*.py")):
        module = module_name(path, root)
        room = room_of(module, rules)
        if room is None:
            problems.append(f"{module}: belongs to no room; add it to RULES and docs/architecture.md")
            continue
        for found in dict.fromkeys(imports_of(path.read_text(encoding="utf-8"), module, root)):
            if not may_import(room, found.target, rules):
                allowed = ", ".join(sorted(rules[room])) or "nothing"
                problems.append(
                    f"{module} (line {found.line}) imports {found.target}: {room} may import only {allowed}"
                )
    return problems


def test_every_module_imports_only_what_its_room_may() -> None:
    assert violations(PACKAGE, RULES) == []


def test_a_forbidden_import_is_named_with_its_module_and_line(tmp_path: Path) -> None:
    root = tmp_path / "migrator"
    (root / "sources").mkdir(parents=True)
    (root / "mapping").mkdir()
    for init in (root, root / "sources", root / "mapping"):
        (init / "__init__.py").write_text("")
    (root / "mapping" / "config.py").write_text("X = 1\n")
    (root / "sources" / "spec.py").write_text("Y = 2\n")
    (root / "sources" / "reader.py").write_text(
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "from migrator.sources import spec\n"
        "if TYPE_CHECKING:\n"
        "    from migrator.mapping import config\n"
    )
    (root / "mapping" / "loader.py").write_text("from ..sources.spec import Y\nfrom . import config\n")
    rules = {
        ROOT: frozenset(),
        "migrator.sources": frozenset(),
        "migrator.mapping": frozenset({"migrator.sources.spec"}),
    }
    assert violations(root, rules) == [
        "migrator.sources.reader (line 5) imports migrator.mapping.config: migrator.sources may import only nothing"
    ]
    (root / "stray.py").write_text("")
    assert violations(root, rules)[-1].startswith("migrator.stray: belongs to no room")


@pytest.mark.parametrize(
    ("module", "target"),
    [
        ("migrator.sources.builder", "migrator.mapping.config"),
        ("migrator.mapping.users", "migrator.report.html"),
        ("migrator.mapping.transform", "migrator.tracker.client"),
        ("migrator.execution.scheduler", "migrator.sources"),
        ("migrator.execution.kinds", "migrator.mapping.transform"),
        ("migrator.sandbox.app", "migrator.tracker.errors"),
        ("migrator.tracker.client", "migrator.sandbox"),
        ("migrator.report.html", "migrator.mapping.users"),
        ("migrator.pipeline.prepared", "migrator.state"),
        ("migrator.state", "migrator.tracker.client"),
    ],
)
def test_the_rules_forbid_what_the_architecture_forbids(module: str, target: str) -> None:
    room = room_of(module, RULES)
    assert room is not None and not may_import(room, target, RULES)


def test_no_two_public_classes_share_a_name_outside_the_sandbox() -> None:
    """The sandbox models the real service on its own, so its names may repeat the client's."""
    places: dict[str, list[str]] = defaultdict(list)
    for path in sorted(PACKAGE.rglob("*.py")):
        module = module_name(path, PACKAGE)
        if within(module, "migrator.sandbox"):
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                places[node.name].append(module)
    assert {name: where for name, where in places.items() if len(where) > 1} == {}
