"""Deterministic .tar.gz packing shared by the samples' make_*.py scripts.

A sample archive is built from a committed folder of text files; member order, times, owners and
the gzip header are fixed, so the same sources always give the same archive.
"""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path


def pack(source: Path, *, packed_at: int, prefix: str = "") -> bytes:
    """The files and folders under ``source`` as a gzipped tar; member names are ``prefix`` + path."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(source.rglob("*")):
            info = tar.gettarinfo(str(path), arcname=prefix + path.relative_to(source).as_posix())
            info.mtime, info.uid, info.gid, info.uname, info.gname = packed_at, 0, 0, "", ""
            info.mode = 0o755 if path.is_dir() else 0o644
            if path.is_file():
                with path.open("rb") as fh:
                    tar.addfile(info, fh)
            else:
                tar.addfile(info)
    return gzip.compress(raw.getvalue(), compresslevel=9, mtime=0)
