"""Disk-backed indexes behave like the dict, set and list they replace."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migrator import spill
from migrator.model import SourceRef
from migrator.spill import DiskList, DiskMap, DiskSet, KeyFilter


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


@given(st.lists(st.text(max_size=12), max_size=300), st.lists(st.text(max_size=12), max_size=50))
def test_key_filter_never_forgets_a_key(added: list[str], probed: list[str]) -> None:
    key_filter = KeyFilter(8)  # tiny: most examples fill it, which must not lose a key either
    for key in added:
        key_filter.add(key)
    assert all(key_filter.might_hold(key) for key in added)
    absent = set(probed) - set(added)  # each once: a key probed twice is one false positive, not two
    if not key_filter.full:  # within its capacity the filter answers most absent keys itself
        assert sum(key_filter.might_hold(key) for key in absent) <= max(2, len(absent) // 4)


_OPS = st.lists(
    st.tuples(st.sampled_from(["set", "del", "get", "in"]), st.integers(0, 60), st.integers()),
    max_size=400,
)


@settings(max_examples=60, deadline=None)
@given(_OPS)
def test_disk_map_with_its_filter_is_the_dict(ops: list[tuple[str, int, int]]) -> None:
    """A filter that starts tiny is rebuilt several times within one example: answers stay a dict's."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(spill, "_FILTER_START", 2)
        patch.setattr(spill, "_FLUSH_AT", 7)  # keys in the buffer and in the file alike
        disk: DiskMap[int] = DiskMap()
        plain: dict[str, int] = {}
        for op, number, value in ops:
            key = f"K-{number}"
            if op == "set":
                disk[key], plain[key] = value, value
            elif op == "del" and key in plain:
                del disk[key], plain[key]
            assert (key in disk) == (key in plain) and disk.get(key) == plain.get(key)
            assert disk.get(key, -1) == plain.get(key, -1)
        assert len(disk) == len(plain) and list(disk) == list(plain)
        disk.close()


_ADD_OPS = st.lists(
    st.tuples(
        st.sampled_from(["setdefault", "put_new", "add", "add_absent"]), st.integers(0, 40), st.integers()
    ),
    max_size=300,
)


@settings(max_examples=60, deadline=None)
@given(_ADD_OPS)
def test_one_look_up_adds_are_the_dict_and_set_ones(ops: list[tuple[str, int, int]]) -> None:
    """``setdefault``, ``put_new`` (a key just found absent), and a set's ``add`` that says whether
    the item was new and ``add_absent`` answer and store what a dict and a set do."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(spill, "_FILTER_START", 2)
        patch.setattr(spill, "_FLUSH_AT", 5)
        disk: DiskMap[int] = DiskMap()
        members = DiskSet()
        plain: dict[str, int] = {}
        plain_set: set[str] = set()
        for op, number, value in ops:
            key = f"K-{number}"
            if op == "setdefault":
                assert disk.setdefault(key, value) == plain.setdefault(key, value)
            elif op == "put_new" and key not in disk:
                disk.put_new(key, value)
                plain[key] = value
            elif op == "add":
                assert members.add(key) == (key not in plain_set)
                plain_set.add(key)
            elif op == "add_absent" and key not in members:
                members.add_absent(key)
                plain_set.add(key)
            assert disk.get(key) == plain.get(key) and (key in members) == (key in plain_set)
        assert len(disk) == len(plain) and dict(disk.items_in_order()) == plain
        assert len(members) == len(plain_set) and set(members) == plain_set
        disk.close()
        members.close()
