"""Indexes that grow with the export, kept in a temporary SQLite file instead of in memory.

A pass over an export keeps a few indexes with one entry per issue — id → key, every source key for
duplicate and dangling checks, parent edges, link ids — and the plan stage a few more. As Python
dicts they cost a few hundred bytes per issue, which at 400,000 issues is most of the process. A
:class:`DiskMap` (a ``MutableMapping[str, V]``) and a :class:`DiskList` keep them in a private
temporary SQLite database instead (deleted when closed or collected): memory stays flat whatever
the export's size, at about 2-3 µs per lookup. Writes are buffered and sent in batches.

Most lookups of a pass are for keys not stored yet (every new issue is looked up before it is
added), and those are the costly ones once an index outgrows SQLite's page cache. A
:class:`KeyFilter` (a Bloom filter: one to two bytes per key, in memory) answers them without
SQLite; only keys it may hold are looked up in the file.

Values are pickled: they are our own objects (source references, tuples, strings) written and
read back by this process only, never taken from an export. Iteration follows the order in which
keys were first inserted, as a dict's does.
"""

from __future__ import annotations

import pickle
import sqlite3
from collections.abc import Iterable, Iterator, MutableMapping
from typing import Generic, TypeVar, overload

V = TypeVar("V")
T = TypeVar("T")

_FLUSH_AT = 1024  # buffered writes sent to SQLite in one batch
_CACHE_KIB = 1024  # SQLite page cache per index
_FILTER_BITS_PER_KEY = 8  # two probes: at most about 5% of absent keys still go to SQLite
# Keys the first filter is sized for (64 KiB of bits); it doubles when full. Each doubling reads every
# key back from the file: starting small rebuilt it four times by 40,000 issues, for a few KiB saved.
_FILTER_START = 1 << 16


def temporary_database(*, shared_by_threads: bool = False) -> sqlite3.Connection:
    """A private on-disk database SQLite deletes itself when the connection closes. Shared by
    threads: the caller serialises every use of the connection itself (``findings.py``)."""
    conn = sqlite3.connect("", isolation_level=None, check_same_thread=not shared_by_threads)
    conn.execute("PRAGMA journal_mode=OFF")  # nothing to recover: the file dies with the process
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute(f"PRAGMA cache_size=-{_CACHE_KIB}")
    return conn


class KeyFilter:
    """A Bloom filter over strings: ``might_hold`` is False only for a key never added (no false
    negatives; a few false positives). Sized for ``capacity`` keys; the owner rebuilds a larger one
    from its keys when :attr:`full` (so the false-positive rate stays low as the index grows).

    Probes come from the built-in ``hash`` of the key: salted per process, which is all a filter
    that never leaves the process needs."""

    __slots__ = ("_added", "_bits", "_size", "capacity")

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._size = capacity * _FILTER_BITS_PER_KEY
        self._bits = bytearray((self._size + 7) // 8)
        self._added = 0

    @property
    def full(self) -> bool:
        return self._added > self.capacity

    def add(self, key: str) -> None:
        h = hash(key)
        first, second = h % self._size, (h >> 32) % self._size
        self._bits[first >> 3] |= 1 << (first & 7)
        self._bits[second >> 3] |= 1 << (second & 7)
        self._added += 1

    def might_hold(self, key: str) -> bool:
        h = hash(key)
        first, second = h % self._size, (h >> 32) % self._size
        return bool(
            self._bits[first >> 3] & (1 << (first & 7)) and self._bits[second >> 3] & (1 << (second & 7))
        )


class DiskMap(MutableMapping[str, V]):
    """A ``str``-keyed mapping stored in a temporary SQLite file (see the module docstring)."""

    def __init__(self, items: Iterable[tuple[str, V]] = ()) -> None:
        self._conn = temporary_database()
        self._conn.execute("CREATE TABLE entries (key TEXT NOT NULL UNIQUE, value BLOB NOT NULL)")
        self._buffer: dict[str, bytes] = {}
        self._filter = KeyFilter(_FILTER_START)
        self._count = 0
        for key, value in items:
            self[key] = value

    def __getitem__(self, key: str) -> V:
        blob = self._blob(key)
        if blob is None:
            raise KeyError(key)
        value: V = pickle.loads(blob)
        return value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._blob(key) is not None

    @overload
    def get(self, key: str, /) -> V | None: ...
    @overload
    def get(self, key: str, /, default: V | T) -> V | T: ...
    def get(self, key: str, /, default: V | T | None = None) -> V | T | None:
        """``Mapping.get`` with one look-up: not ``in`` and then ``[]`` (two SQLite reads for a key
        that is there), nor ``[]`` and a ``KeyError`` caught (costly for the many absent keys)."""
        blob = self._blob(key)
        if blob is None:
            return default
        value: V = pickle.loads(blob)
        return value

    def _blob(self, key: str) -> bytes | None:
        """The stored value's pickle, None when ``key`` is absent (the filter spares SQLite the
        question for most absent keys)."""
        blob = self._buffer.get(key)
        if blob is not None or not self._filter.might_hold(key):
            return blob
        row = self._conn.execute("SELECT value FROM entries WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        stored: bytes = row[0]
        return stored

    def __setitem__(self, key: str, value: V) -> None:
        blob = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        if self._blob(key) is None:
            self._store_new(key, blob)
        else:
            self._put(key, blob)

    def setdefault(self, key: str, default: V) -> V:
        """``self[key]`` when present, else ``default`` stored and returned: one look-up either way
        (the mixin's looks the key up, raises KeyError, then looks it up again to store it)."""
        blob = self._blob(key)
        if blob is not None:
            value: V = pickle.loads(blob)
            return value
        self._store_new(key, pickle.dumps(default, protocol=pickle.HIGHEST_PROTOCOL))
        return default

    def put_new(self, key: str, value: V) -> None:
        """``self[key] = value`` for a ``key`` the caller has just found absent (no second look-up)."""
        self._store_new(key, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))

    def _store_new(self, key: str, blob: bytes) -> None:
        """Every new key of a pass comes here: the filter's step is written out (not in a helper of
        its own), as it is taken hundreds of thousands of times."""
        self._count += 1
        keys = self._filter
        keys.add(key)
        if keys.full:
            self._grow_filter(key)
        self._put(key, blob)

    def _put(self, key: str, blob: bytes) -> None:
        self._buffer[key] = blob
        if len(self._buffer) >= _FLUSH_AT:
            self._flush()

    def _grow_filter(self, key: str) -> None:
        """The filter, full after ``key`` was added, rebuilt twice as large from every key."""
        self._flush()
        larger = KeyFilter(self._filter.capacity * 2)
        for (stored,) in self._conn.execute("SELECT key FROM entries"):
            larger.add(stored)
        larger.add(key)
        self._filter = larger

    def __delitem__(self, key: str) -> None:
        if key not in self:
            raise KeyError(key)
        self._flush()
        self._conn.execute("DELETE FROM entries WHERE key = ?", (key,))
        self._count -= 1

    def __iter__(self) -> Iterator[str]:
        self._flush()
        for (key,) in self._conn.execute("SELECT key FROM entries ORDER BY rowid"):
            yield key

    def items_in_order(self) -> Iterator[tuple[str, V]]:
        """``(key, value)`` in first-insertion order, read in one pass."""
        self._flush()
        for key, blob in self._conn.execute("SELECT key, value FROM entries ORDER BY rowid"):
            yield key, pickle.loads(blob)

    def __len__(self) -> int:
        return self._count

    def close(self) -> None:
        self._buffer.clear()
        self._conn.close()

    def _flush(self) -> None:
        if self._buffer:
            self._conn.executemany(
                "INSERT INTO entries (key, value) VALUES (?, ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                self._buffer.items(),
            )
            self._buffer.clear()


_PRESENT = pickle.dumps(True, protocol=pickle.HIGHEST_PROTOCOL)  # a DiskSet's value for every member


class DiskSet:
    """A set of strings in a temporary SQLite file: ``add``, ``in``, ``len``, iteration in order."""

    def __init__(self, items: Iterable[str] = ()) -> None:
        self._map: DiskMap[bool] = DiskMap()
        self.update(items)

    def add(self, item: str) -> bool:
        """Add ``item``; True when it was not in the set yet."""
        members = self._map
        if members._blob(item) is not None:
            return False
        members._store_new(item, _PRESENT)
        return True

    def add_absent(self, item: str) -> None:
        """Add an ``item`` the caller has just found absent (no second look-up)."""
        self._map._store_new(item, _PRESENT)

    def update(self, items: Iterable[str]) -> None:
        for item in items:
            self.add(item)

    def __contains__(self, item: object) -> bool:
        return item in self._map

    def __len__(self) -> int:
        return len(self._map)

    def __iter__(self) -> Iterator[str]:
        return iter(self._map)

    def close(self) -> None:
        self._map.close()


class DiskList(Generic[T]):
    """An append-only list in a temporary SQLite file, read back in order."""

    def __init__(self) -> None:
        self._conn = temporary_database()
        self._conn.execute("CREATE TABLE items (value BLOB NOT NULL)")
        self._buffer: list[tuple[bytes]] = []
        self._count = 0

    def append(self, item: T) -> None:
        self._buffer.append((pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL),))
        self._count += 1
        if len(self._buffer) >= _FLUSH_AT:
            self._flush()

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[T]:
        self._flush()
        for (blob,) in self._conn.execute("SELECT value FROM items ORDER BY rowid"):
            item: T = pickle.loads(blob)
            yield item

    def close(self) -> None:
        self._buffer.clear()
        self._conn.close()

    def _flush(self) -> None:
        if self._buffer:
            self._conn.executemany("INSERT INTO items (value) VALUES (?)", self._buffer)
            self._buffer.clear()
