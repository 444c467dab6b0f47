"""load_mapping: every problem reported at once, each with its key path and a hint."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from migrator.errors import ConfigError
from migrator.mapping.config import load_mapping

DOCS = Path(__file__).resolve().parents[2] / "docs" / "mapping.md"

VALID = """\
version: 1
source:
  system: jira
  timezone: Europe/Berlin
  issues:
    fields: {id: Issue id, summary: Summary, created_at: Created, created_by: Reporter}
target: {queue: DEMO, namespace: jira-demo}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mapping.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_mapping(write(tmp_path, text))
    return caught.value.problems


def test_a_valid_mapping_loads(tmp_path: Path) -> None:
    config = load_mapping(write(tmp_path, VALID))
    assert (config.source.system, config.target.queue, config.target.namespace) == (
        "jira",
        "DEMO",
        "jira-demo",
    )
    assert config.target.markup_type == "md"
    assert config.users.match == ["email", "login"]


def test_queue_and_namespace_from_the_command_line_win(tmp_path: Path) -> None:
    config = load_mapping(write(tmp_path, VALID), queue="STAGE", namespace="trial-2")
    assert (config.target.queue, config.target.namespace) == ("STAGE", "trial-2")


def test_unknown_keys_get_a_did_you_mean(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        VALID.replace("namespace: jira-demo}", "namespace: jira-demo, markup_typ: md}") + "valeus: {}\n",
    )
    assert "target.markup_typ: unknown key (hint: did you mean 'markup_type'?)" in found
    assert "valeus: unknown key (hint: did you mean 'values'?)" in found


def test_unknown_canonical_field_gets_a_did_you_mean(tmp_path: Path) -> None:
    found = problems(
        tmp_path, VALID.replace("created_by: Reporter", "created_by: Reporter, asignee: Assignee")
    )
    assert found == ["source.issues.fields.asignee: unknown field (hint: did you mean 'assignee'?)"]


def test_missing_required_keys_are_named_by_their_path(tmp_path: Path) -> None:
    text = VALID.replace("  timezone: Europe/Berlin\n", "").replace("created_by: Reporter", "summary2: x")
    found = problems(tmp_path, text)
    assert any(p.startswith("source.timezone: is required") for p in found)
    assert any(p.startswith("source.issues.fields.created_by: is required") for p in found)


def test_bad_yaml_says_where(tmp_path: Path) -> None:
    found = problems(tmp_path, "version: 1\nsource:\n  system: [jira\n  timezone: UTC\n")
    assert len(found) == 1
    assert re.match(r"line \d+, column \d+: not valid YAML", found[0])
    assert found[0].startswith("line 4,")


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    text = """\
version: 2
source:
  system: jira
  timezone: Mars/Olympus
  markup: troff
  issues:
    fields: {id: Issue id, summary: Summary, created_at: Created}
target: {queue: DEMO, namespace: "a:b"}
values:
  status: {map: {Open: open}, unmapped: sometimes}
  priority: {unmapped: default}
users: {match: [email, phone]}
fields:
  - {target: storyPoints, from: points}
"""
    with pytest.raises(ConfigError) as caught:
        load_mapping(write(tmp_path, text))
    found = caught.value.problems
    paths = [p.split(":", 1)[0] for p in found]
    assert paths == [
        "version",
        "source.timezone",
        "source.markup",
        "source.issues.fields.created_by",
        "target.namespace",
        "values.status.unmapped",
        "values.priority.default",
        "users.match",
        "fields[0].from",
    ]
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'mapping.yaml'}: 9 problem(s) in the configuration:")
    assert "unknown time zone 'Mars/Olympus'" in message


def test_a_missing_file_is_one_clear_problem(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_mapping(tmp_path / "nope.yaml")
    assert caught.value.problems == [
        "file not found; pass an existing mapping with --mapping (see mappings/)"
    ]


def test_the_examples_in_docs_mapping_md_load(tmp_path: Path) -> None:
    """The reference's complete examples must stay valid mappings."""
    blocks = re.findall(r"```yaml\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.DOTALL)
    complete = [b for b in blocks if b.startswith("version: 1")]
    assert complete, "docs/mapping.md has no complete example"
    for index, block in enumerate(complete):
        config = load_mapping(write(tmp_path, block))
        assert config.target.queue, index
