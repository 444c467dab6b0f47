"""Pack archive/ into migration_archive.tar.gz, the file GitHub's migration export hands out.

The archive's members are the files of archive/ at the tarball's root (schema.json,
issues_000001.json, attachments/<uuid>/<file> …). Run from anywhere:

    python samples/github-archive/make_archive.py            # rewrites migration_archive.tar.gz
    python samples/github-archive/make_archive.py out.tar.gz # or writes elsewhere
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # samples/tarball.py

from tarball import pack  # noqa: E402

PACKED_AT = 1745856000  # 2025-04-28T16:00:00Z, the day of the export


def main(argv: list[str]) -> None:
    target = Path(argv[0]) if argv else HERE / "migration_archive.tar.gz"
    target.write_bytes(pack(HERE / "archive", packed_at=PACKED_AT))


if __name__ == "__main__":
    main(sys.argv[1:])
