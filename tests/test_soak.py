"""benchmarks/soak.py: its census finds what is lost or duplicated; its export says what it holds.

(The soak itself is a benchmark, not a test: even at 20 issues it needs well over 30 s here.)"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
SOAK = ROOT / "benchmarks" / "soak.py"


def _soak_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("soak", SOAK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["soak"] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


def test_census_counts_lost_and_duplicated_objects_per_kind() -> None:
    soak = _soak_module()
    expected = soak.Expected(
        children={
            "soak:soak:1": Counter(comments=2, files=1, links=1),
            "soak:soak:2": Counter(worklogs=1, links=1),
            "soak:soak:3": Counter(comments=1),
        }
    )
    found = {
        "soak:soak:1": Counter(comments=3, files=1, links=1),  # one comment twice
        "soak:soak:2": Counter(worklogs=0, links=1),  # its worklog lost
        "soak:soak:3": None,  # the issue itself lost (and so its comment)
    }
    census = soak._compare(expected, found)
    assert census["duplicated_by_kind"] == {"comments": 1}
    assert census["lost_by_kind"] == {"issues": 1, "worklogs": 1, "comments": 1}
    assert census["issues_found"] == 2 and census["lost"] == 3 and census["duplicated"] == 1
    assert expected.objects == 3 + 2 + 1 + 1 + 1 + 1  # issues, comments, file, worklog, comment, one link


def test_generated_export_matches_its_expectations(tmp_path: Path) -> None:
    import random

    soak = _soak_module()
    expected = soak.generate_export(tmp_path, 40, random.Random(3))
    issues = json.loads((tmp_path / "issues.json").read_text(encoding="utf-8"))
    assert len(issues) == len(expected.children) == 40
    for issue in issues:
        counts = expected.children[f"soak:soak:{issue['id']}"]
        assert counts["comments"] == len(issue["comments"]) and counts["files"] == len(issue["files"])
        for item in issue["files"]:
            assert (tmp_path / "files" / item["path"]).is_file()
    ends = sum(c["links"] for c in expected.children.values())
    listed = sum(len(i["links"]) + ("parent" in i) for i in issues)
    assert ends == 2 * listed  # every link counted at both of its issues
