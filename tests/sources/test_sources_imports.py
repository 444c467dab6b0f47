"""What loading a mapping imports: the mapping language (``sources.spec``), not the readers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

_READERS_AFTER = """
import json, sys
from pathlib import Path
import migrator.commands
from migrator.mapping.config import load_mapping
load_mapping(Path({mapping!r}))
print(json.dumps(sorted(m for m in sys.modules if m.startswith("migrator.sources."))))
"""


def test_loading_a_mapping_imports_the_mapping_language_not_the_readers() -> None:
    # `run` loads the mapping before its first request; the readers (~0.1 s of imports) are imported
    # by the pass, while the first metadata reads are in flight.
    mapping = Path(__file__).parents[2] / "mappings" / "jira-csv.yaml"
    code = _READERS_AFTER.format(mapping=str(mapping))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(done.stdout))
    assert "migrator.sources.spec" in loaded
    assert not {"migrator.sources.reading", "migrator.sources.builder", "migrator.sources.tables"} & loaded
