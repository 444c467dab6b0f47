"""Disk-backed indexes behave like the dict, set and list they replace."""

from __future__ import annotations

import pytest

from migrator.model import SourceRef
from migrator.spill import DiskList, DiskMap, DiskSet


def test_disk_map_is_a_dict_in_first_insertion_order() -> None:
    disk: DiskMap[object] = DiskMap()
    plain: dict[str, object] = {}
    for n in range(3000):  # past the write buffer, several times
        key = f"K-{n % 2500}"
        value = (f"v{n}", SourceRef("jira", str(n), "issues.csv", n))
        disk[key] = value
        plain[key] = value
    assert len(disk) == len(plain) == 2500
    assert list(disk) == list(plain)  # overwriting a key keeps its place, as in a dict
    assert dict(disk.items_in_order()) == plain
    assert disk["K-7"] == plain["K-7"] and disk.get("missing") is None
    assert "K-2499" in disk and "K-2500" not in disk and 7 not in disk
    assert disk.setdefault("K-1", "other") == plain["K-1"]
    del disk["K-1"]
    assert "K-1" not in disk and len(disk) == 2499
    with pytest.raises(KeyError):
        disk["K-1"]
    with pytest.raises(KeyError):
        del disk["K-1"]


def test_disk_set_and_list_keep_their_items_in_order() -> None:
    items = DiskSet(f"L-{n % 1500}" for n in range(2000))
    assert len(items) == 1500 and "L-1499" in items and "L-1500" not in items
    assert list(items) == [f"L-{n}" for n in range(1500)]
    log: DiskList[tuple[str, int]] = DiskList()
    for n in range(2100):
        log.append(("x", n))
    assert len(log) == 2100 and list(log) == [("x", n) for n in range(2100)]
    for index in (items, log):
        index.close()
