"""The readers' keys of the source section: ``format: xml``, ``adapter``, ``archives``."""

from __future__ import annotations

from pathlib import Path

from migrator.mapping.config import MappingConfig, load_mapping
from migrator.sources.spec import DEFAULT_ARCHIVE_CACHE

from .mapping_helpers import mapping_problems

BASE = """\
version: 1
source:
  system: trello
  timezone: UTC
{extra}
  issues:
    records: rss.channel.item
    fields: {{id: id, summary: name, created_at: created_at, created_by: created_by}}
target: {{queue: DEMO, namespace: t}}
"""


def _load(tmp_path: Path, extra: str) -> MappingConfig:
    path = tmp_path / "mapping.yaml"
    path.write_text(BASE.format(extra=extra), encoding="utf-8")
    return load_mapping(path)


def test_adapter_format_and_archive_settings_are_read(tmp_path: Path) -> None:
    config = _load(
        tmp_path, "  format: xml\n  adapter: trello\n  archives: {cache: tmp/arch, max_member_mb: 10}"
    )
    source = config.source
    assert (source.format, source.adapter) == ("xml", "trello")
    assert (source.archives.cache, source.archives.max_member_mb, source.archives.max_total_mb) == (
        "tmp/arch",
        10.0,
        65536.0,
    )


def test_defaults(tmp_path: Path) -> None:
    source = _load(tmp_path, "").source
    assert source.adapter is None and source.archives.cache == DEFAULT_ARCHIVE_CACHE


def test_bad_reader_settings_are_all_reported(tmp_path: Path) -> None:
    extra = "  adapter: 'Trello Board'\n  archives: {max_member_mb: -1, cache: '', size: 3}"
    found = mapping_problems(tmp_path, BASE.format(extra=extra))
    text = "\n".join(found)
    assert "source.adapter: must be an adapter's name" in text
    assert "source.archives.max_member_mb: must be a positive number of megabytes" in text
    assert "source.archives.cache: must be a folder name" in text
    assert "source.archives.size" in text


def test_a_link_column_pattern_has_one_star(tmp_path: Path) -> None:
    extra = "  links: {columns: {'Outward issue link (*)': '* (outward)', 'Link * (*)': '*'}}"
    text = "\n".join(mapping_problems(tmp_path, BASE.format(extra=extra)))
    assert "source.links.columns: the header pattern 'Link * (*)' has more than one '*'" in text
    assert "'Outward issue link (*)' has" not in text


def test_a_children_column_is_a_name_or_candidate_names(tmp_path: Path) -> None:
    config = _load(
        tmp_path, "  comments: {column: [Comment, Comentario], pattern: '{created_at};{author};{text}'}"
    )
    assert config.source.comments is not None
    assert config.source.comments.column == "Comment"
    assert config.source.comments.column_names == ("Comment", "Comentario")
    extra = "  comments: {column: [Comment, 3], pattern: '{created_at};{author};{text}'}"
    text = "\n".join(mapping_problems(tmp_path, BASE.format(extra=extra)))
    assert "source.comments.column: must be a column name or a list of candidate names" in text
