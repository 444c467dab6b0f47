"""The mapping's history policies: target.dangling, target.undated_links, source.files.missing,
source.issue_url — defaults, every accepted form, and every mistake named by its key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrator.errors import ConfigError
from migrator.mapping.config import MappingConfig, load_mapping

BASE = """\
version: 1
source:
  system: jira
  timezone: UTC
{source_extra}
  issues:
    fields: {{id: Issue id, summary: Summary, created_at: Created, created_by: Reporter}}
target:
  queue: DEMO
  namespace: ns
{target_extra}
"""


def load(tmp_path: Path, *, source_extra: str = "", target_extra: str = "") -> MappingConfig:
    path = tmp_path / "mapping.yaml"
    path.write_text(BASE.format(source_extra=source_extra, target_extra=target_extra), encoding="utf-8")
    return load_mapping(path)


def problems(tmp_path: Path, **extra: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, **extra)
    return caught.value.problems


def test_defaults_keep_history_and_refuse_dangling_references(tmp_path: Path) -> None:
    config = load(tmp_path)
    assert (config.target.dangling.links, config.target.dangling.parent) == (["error"], ["error"])
    assert config.target.undated_links == "extend"
    assert config.source.files.missing == "skip-file"
    assert config.source.issue_url is None


@pytest.mark.parametrize(
    ("text", "links", "parent"),
    [
        ("  dangling: text", ["text"], ["text"]),
        ("  dangling: [existing, drop]", ["existing", "drop"], ["existing", "drop"]),
        ("  dangling: {links: [existing, text], parent: drop}", ["existing", "text"], ["drop"]),
        ("  dangling: {parent: existing}", ["error"], ["existing"]),
    ],
)
def test_dangling_forms(tmp_path: Path, text: str, links: list[str], parent: list[str]) -> None:
    config = load(tmp_path, target_extra=text)
    assert (config.target.dangling.links, config.target.dangling.parent) == (links, parent)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  dangling: ignore", "target.dangling: must be one of existing, text, drop, error"),
        ("  dangling: []", "target.dangling: must be one of existing, text, drop, error"),
        ("  dangling: {links: keep}", "target.dangling.links: must be one of"),
        ("  dangling: {link: drop}", "target.dangling.link: unknown key (hint: did you mean 'links'?)"),
        ("  dangling: [text, existing]", "target.dangling[1]: 'existing' is never tried: 'text' before it"),
        ("  undated_links: later", "target.undated_links: unknown policy 'later'"),
    ],
)
def test_policy_mistakes_are_named(tmp_path: Path, text: str, expected: str) -> None:
    found = problems(tmp_path, target_extra=text)
    assert any(p.startswith(expected) for p in found), found


def test_undated_links_now_is_accepted(tmp_path: Path) -> None:
    assert load(tmp_path, target_extra="  undated_links: now").target.undated_links == "now"


def test_missing_files_policy(tmp_path: Path) -> None:
    assert load(tmp_path, source_extra="  files: {missing: error}").source.files.missing == "error"
    (problem,) = problems(tmp_path, source_extra="  files: {missing: ignore}")
    assert problem.startswith("source.files.missing: unknown policy 'ignore'")


def test_issue_url_needs_a_key_placeholder(tmp_path: Path) -> None:
    url = "https://jira.example.com/browse/{key}"
    assert load(tmp_path, source_extra=f'  issue_url: "{url}"').source.issue_url == url
    (problem,) = problems(tmp_path, source_extra='  issue_url: "https://jira.example.com/browse/"')
    assert problem.startswith("source.issue_url: must be an http(s) URL with {key}")
    (problem,) = problems(tmp_path, source_extra='  issue_url: "https://x/{key}/{id}"')
    assert problem.startswith("source.issue_url: may contain no placeholder but {key}")


def test_issue_url_defaults_to_the_systems_issue_page_under_base_url(tmp_path: Path) -> None:
    """The texts' ``base_url`` (old issue pages) also gives the dangling-link lines their URL."""
    config = load(tmp_path, source_extra="  base_url: https://jira.example.com/")
    assert config.source.issue_url == "https://jira.example.com/browse/{key}"
    explicit = '  base_url: https://jira.example.com\n  issue_url: "https://mirror.example.com/{key}"'
    assert load(tmp_path, source_extra=explicit).source.issue_url == "https://mirror.example.com/{key}"
