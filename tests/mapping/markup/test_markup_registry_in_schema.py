"""Every converter the markup package has is a value the mapping file accepts for `source.markup`."""

from __future__ import annotations

from pathlib import Path

from migrator.mapping.config import load_mapping
from migrator.mapping.markup import MARKUPS

MAPPING = """\
version: 1
source:
  system: demo
  timezone: UTC
  markup: {markup}
  issues:
    fields: {{id: Id, summary: Summary, created_at: Created, created_by: Author}}
target: {{queue: DEMO, namespace: demo}}
"""


def test_every_converter_is_a_valid_source_markup(tmp_path: Path) -> None:
    assert {"plain", "jira", "adf", "html", "textile", "markdown", "yfm"} <= set(MARKUPS)
    for markup in MARKUPS:
        path = tmp_path / f"{markup}.yaml"
        path.write_text(MAPPING.format(markup=markup), encoding="utf-8")
        assert load_mapping(path).source.markup == markup
