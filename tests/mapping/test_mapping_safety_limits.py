"""Hostile mapping files: alias bombs, oversize files, absurd nesting, giant numbers — and the
``limits:`` section / ``--limit`` values that raise each limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrator.errors import ConfigError
from migrator.limits import Limits
from migrator.mapping.config import load_mapping

VALID = """\
version: 1
source:
  system: jira
  timezone: UTC
  issues:
    fields: {id: Issue id, summary: Summary, created_at: Created, created_by: Reporter}
target: {queue: DEMO, namespace: safety}
"""


def alias_bomb(levels: int, width: int = 9) -> str:
    """Each level is a list of ``width`` aliases of the level before: width**levels leaves."""
    lines = ["bomb:", '  l0: &l0 ["lol"]']
    for level in range(1, levels + 1):
        refs = ", ".join([f"*l{level - 1}"] * width)
        lines.append(f"  l{level}: &l{level} [{refs}]")
    return "\n".join(lines) + "\n"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mapping.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path, **limits: float) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_mapping(path, limits=limits)
    return caught.value.problems


def refused(path: Path, **limits: float) -> str:
    """The whole message, as the command line prints it."""
    return str(ConfigError(str(path), problems(path, **limits)))


def test_an_alias_bomb_in_a_values_map_is_refused_before_it_expands(tmp_path: Path) -> None:
    # 9**7 = 4.8 million expanded nodes from a 500-byte file (the trial's 9**9 took 2.2 GB).
    text = alias_bomb(7).replace("bomb:", "x-anchors:") + "values:\n  status:\n    map: {Open: *l7}\n"
    message = refused(write(tmp_path, VALID + text))
    assert "mapping.yaml" in message
    assert "more than 1,000,000 nodes" in message and "--limit yaml_nodes=" in message
    assert "line 15:" in message  # l6: its ninth alias of l5 crosses the limit


def test_the_node_limit_counts_aliases_expanded_and_can_be_raised(tmp_path: Path) -> None:
    path = write(tmp_path, VALID + alias_bomb(3).replace("bomb:", "x:"))
    # 9**3 = 729 leaves through aliases; only ~40 nodes are written in the file.
    message = refused(path, yaml_nodes=200)
    assert "more than 200 nodes" in message
    assert problems(path, yaml_nodes=2000) == [  # raised enough: the file parses, and `x` is unknown
        "x: unknown key (hint: allowed keys: fields, limits, name, preset, source, target, users, values, version)"
    ]


def test_a_list_as_a_value_map_target_is_a_problem_not_a_string(tmp_path: Path) -> None:
    path = write(tmp_path, VALID + "values:\n  status:\n    map: {Open: [a, b], Done: closed}\n")
    assert problems(path) == ["values.status.map.Open: must map source values to Tracker keys: got a list"]


def test_users_map_values_must_be_plain_logins(tmp_path: Path) -> None:
    path = write(tmp_path, VALID + "users:\n  map: {alice: {login: a}}\n")
    assert problems(path) == ["users.map.alice: must map source user names to Tracker logins: got a dict"]


def test_an_oversize_mapping_is_not_read_unless_the_limit_is_raised(tmp_path: Path) -> None:
    path = write(tmp_path, VALID + "# " + "x" * (5 * 1024 * 1024) + "\n")
    message = refused(path)
    assert "over the 4 MB limit" in message and "--limit mapping_mb=N" in message
    assert load_mapping(path, limits={"mapping_mb": 8}).target.namespace == "safety"


def test_absurd_nesting_is_one_clear_problem(tmp_path: Path) -> None:
    path = write(tmp_path, VALID + "x: " + "[" * 200_000 + "]" * 200_000 + "\n")
    assert "nested too deeply" in refused(path)


def test_an_integer_python_refuses_is_one_clear_problem(tmp_path: Path) -> None:
    path = write(tmp_path, VALID + "version_note: " + "9" * 5000 + "\n")
    message = refused(path)
    assert "a value cannot be read" in message and "4300 digits" in message


def test_the_limits_section_sets_export_limits(tmp_path: Path) -> None:
    config = load_mapping(write(tmp_path, VALID + "limits: {cell_mb: 64, json_depth: 300}\n"))
    assert config.source.limits == Limits(cell_mb=64, json_depth=300)


def test_command_line_limits_override_the_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, VALID + "limits: {cell_mb: 64}\n")
    assert load_mapping(path, limits={"cell_mb": 2, "yaml_nodes": 5000}).source.limits == Limits(
        cell_mb=2, yaml_nodes=5000
    )


def test_limit_problems_name_the_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        VALID + "limits: {cell_mb: -1, json_depth: 2.5, depth: 3, yaml_nodes: 10, xlsx_ratio: lots}\n",
    )
    assert problems(path) == [
        "limits.cell_mb: cell_mb must be a positive number, got -1",
        "limits.json_depth: json_depth must be a whole number, got 2.5",
        "limits.depth: unknown limit 'depth' (limits: mapping_mb, yaml_nodes, cell_mb, json_depth, "
        "xlsx_unpacked_mb, xlsx_ratio)",
        "limits.yaml_nodes: guards the reading of the mapping itself, so it cannot be set inside it "
        "(hint: pass --limit yaml_nodes=N on the command line)",
        "limits.xlsx_ratio: xlsx_ratio must be a positive number, got 'lots'",
    ]
